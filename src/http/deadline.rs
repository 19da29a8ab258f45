//! Per-connection deadlines: how long a request head may take to arrive, and how long a
//! kept-alive connection may sit idle between requests.
//!
//! hyper's own `header_read_timeout` cannot express both. In hyper 1.12 its timer is armed
//! in `Conn::poll_read_head` (`src/proto/h1/conn.rs`) whenever hyper starts waiting for a
//! head, and `State::idle` sets `notify_read` after every response precisely so that the next
//! wait starts the timer again: one duration bounds idle time *plus* the next head. So it is
//! switched off (see `server.rs`) and replaced here. A connection is always in one [`Phase`];
//! the stream wrapper [`Watched`] moves it from idle to head on the first byte, the service
//! moves it to handling when hyper hands over a parsed head, and back to idle when the
//! handler has answered. [`Deadlines::expired`] resolves once the current phase has lasted
//! longer than its limit, and the connection task then drops the connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

/// What a connection is doing, and since when.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Between requests, no byte of the next one yet.
    Idle { since: Instant },
    /// A request head is on its way: bytes arrived (or the connection just opened) but hyper
    /// has not parsed a complete head yet.
    Head { since: Instant },
    /// The handler has the request; no deadline of ours applies.
    Handling,
}

/// The phase of one connection and the limits that turn it into a deadline.
#[derive(Debug)]
pub(super) struct Deadlines {
    /// The current phase; a `watch` so that [`Deadlines::expired`] sees every change.
    phase: watch::Sender<Phase>,
    /// Longest time in [`Phase::Head`].
    head_timeout: Duration,
    /// Longest time in [`Phase::Idle`].
    idle_timeout: Duration,
}

impl Deadlines {
    /// A fresh connection waits for its first request head, so its clock starts in
    /// [`Phase::Head`]: a client that connects and sends nothing gets `head_timeout`.
    pub(super) fn new(head_timeout: Duration, idle_timeout: Duration) -> Deadlines {
        let (phase, _) = watch::channel(Phase::Head {
            since: Instant::now(),
        });
        Deadlines {
            phase,
            head_timeout,
            idle_timeout,
        }
    }

    /// Bytes arrived from the client: an idle connection is now reading a head.
    fn bytes_received(&self) {
        self.phase.send_if_modified(|phase| match phase {
            Phase::Idle { .. } => {
                *phase = Phase::Head {
                    since: Instant::now(),
                };
                true
            }
            Phase::Head { .. } | Phase::Handling => false,
        });
    }

    /// hyper parsed a complete head and called the service.
    pub(super) fn request_started(&self) {
        self.phase.send_replace(Phase::Handling);
    }

    /// The handler answered; the connection is idle until the next request's first byte.
    pub(super) fn request_finished(&self) {
        self.phase.send_replace(Phase::Idle {
            since: Instant::now(),
        });
    }

    /// Resolves when the connection has stayed in its current phase past that phase's limit.
    pub(super) async fn expired(&self) {
        let mut phase = self.phase.subscribe();
        loop {
            let deadline = match *phase.borrow_and_update() {
                Phase::Idle { since } => Some(since + self.idle_timeout),
                Phase::Head { since } => Some(since + self.head_timeout),
                Phase::Handling => None,
            };
            match deadline {
                // `self` owns the sender, so `changed` cannot fail while we borrow it.
                None => {
                    let _ = phase.changed().await;
                }
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {
                            if !phase.has_changed().unwrap_or(false) {
                                return;
                            }
                        }
                        _ = phase.changed() => {}
                    }
                }
            }
        }
    }
}

/// A stream that reports received bytes to the connection's [`Deadlines`].
#[derive(Debug)]
pub(super) struct Watched<IO> {
    inner: IO,
    deadlines: Arc<Deadlines>,
}

impl<IO> Watched<IO> {
    pub(super) fn new(inner: IO, deadlines: Arc<Deadlines>) -> Watched<IO> {
        Watched { inner, deadlines }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.deadlines.bytes_received();
        }
        result
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(30);

    /// Whether `expired` resolves within `wait` of (paused, auto-advancing) time.
    async fn expires_within(deadlines: &Deadlines, wait: Duration) -> bool {
        tokio::time::timeout(wait, deadlines.expired())
            .await
            .is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_connection_gets_the_head_timeout() {
        let deadlines = Deadlines::new(HEAD, IDLE);
        assert!(!expires_within(&deadlines, HEAD - Duration::from_millis(1)).await);
        assert!(expires_within(&deadlines, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_gets_the_idle_timeout_then_the_head_timeout() {
        let deadlines = Deadlines::new(HEAD, IDLE);
        deadlines.request_started();
        deadlines.request_finished();
        assert!(!expires_within(&deadlines, IDLE - Duration::from_secs(1)).await);
        deadlines.bytes_received();
        assert!(!expires_within(&deadlines, HEAD - Duration::from_secs(1)).await);
        assert!(expires_within(&deadlines, Duration::from_secs(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_being_handled_has_no_deadline() {
        let deadlines = Deadlines::new(HEAD, IDLE);
        deadlines.request_started();
        deadlines.bytes_received();
        assert!(!expires_within(&deadlines, IDLE * 10).await);
    }
}

//! The listener loop both sipprov listeners run on: accept, cap, TLS, HTTP/1.1, deadlines,
//! graceful shutdown.
//!
//! [`serve`] takes a bound listener and a shutdown future, so the caller chooses the address
//! (tests bind `127.0.0.1:0`) and the moment to stop. Each accepted connection runs in its own
//! task holding a permit of the connection cap; a [`Handler`] sees every request that parsed,
//! whatever its method or path, and answers with a complete response.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONNECTION;
use http::{HeaderValue, Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, debug, info, info_span, warn};

use super::deadline::{Deadlines, Watched};
use super::tls::Tls;

/// Answers requests. One value serves every connection of a listener, concurrently.
pub trait Handler: Send + Sync + 'static {
    /// The body of its answers: whole (`Full<Bytes>`), or streamed (a firmware image).
    type Body: Body<Data = Bytes, Error: Into<Box<dyn StdError + Send + Sync>>> + Send + 'static;

    /// Answers one request. The handler decides about every method and path; reading the
    /// body is up to it (with [`read_body`](super::read_body) and a size limit).
    fn handle(
        &self,
        request: Request<Incoming>,
        peer: Peer,
    ) -> impl Future<Output = Response<Self::Body>> + Send;
}

/// What the connection tells about the client, handed to the handler with each request.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address as the socket sees it (a NAT or proxy address, possibly).
    pub address: SocketAddr,
    /// Whether the request came over TLS.
    pub tls: bool,
    /// The certificate chain the client presented, end-entity first. Always `None` while the
    /// listeners do not ask for client certificates (DESIGN §7, device certificates).
    pub client_certificates: Option<Arc<[CertificateDer<'static>]>>,
}

/// Limits a listener enforces on every connection. `Default` holds the safe values of
/// DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A request head (request line and headers) must be complete within this time: counted
    /// from the end of the TLS handshake for a connection's first request, and from the first
    /// byte for later ones. A client that connects and sends nothing is dropped after it.
    pub head_timeout: Duration,
    /// A kept-alive connection with no request under way is closed after this long.
    pub idle_timeout: Duration,
    /// The TLS handshake must be complete within this time.
    pub tls_handshake_timeout: Duration,
    /// On shutdown, requests in flight get this long to finish before their connections are
    /// dropped.
    pub shutdown_grace: Duration,
    /// Open connections at most; past it, a new connection is closed as soon as accepted.
    pub max_connections: usize,
    /// Requests served on one connection at most: the answer to the last one says
    /// `Connection: close`, so a client cannot pipeline without end on one connection.
    pub max_requests_per_connection: usize,
    /// Largest request head (request line and headers) in bytes; a larger one gets
    /// `431 Request Header Fields Too Large` and the connection is closed.
    pub max_header_bytes: usize,
    /// Largest request body a handler should accept: the limit handlers pass to
    /// [`read_body`](super::read_body). `serve` does not read bodies itself.
    pub max_body_bytes: usize,
    /// Largest firmware image the admin listener takes (`POST /api/v1/firmware/images`, the
    /// one route whose body is streamed to a file rather than read into memory).
    pub max_firmware_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            tls_handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            max_connections: 10_000,
            max_requests_per_connection: 1000,
            max_header_bytes: 16 * 1024,
            max_body_bytes: 1024 * 1024,
            max_firmware_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Serves HTTP/1.1 on `listener` (over TLS when `tls` is given) until `shutdown` resolves,
/// then stops accepting, lets requests in flight finish for up to
/// [`Limits::shutdown_grace`], drops what is left and returns.
///
/// Accept errors (a full file table, say) are logged and retried after a pause; they do not
/// end the loop.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    tls: Option<Tls>,
    handler: Arc<H>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let acceptor = tls.as_ref().map(Tls::acceptor);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    // Whether the last connection was refused for the cap: warn once per episode, not per
    // refused connection, which under a flood would be a log line per packet.
    let mut at_cap = false;
    info!(address = %local, tls = acceptor.is_some(), "listening");

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(ended) = connections.join_next() => {
                if let Err(error) = ended {
                    warn!(%error, "connection task failed");
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, address)) => {
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        if !at_cap {
                            warn!(address = %local, max = limits.max_connections,
                                "connection cap reached; closing new connections");
                        }
                        at_cap = true;
                        continue;
                    };
                    at_cap = false;
                    let connection = Connection {
                        address,
                        acceptor: acceptor.clone(),
                        handler: Arc::clone(&handler),
                        limits,
                        stopping: stopping.clone(),
                        _permit: permit,
                    };
                    connections.spawn(connection.run(stream));
                }
                Err(error) => pause_after_accept_error(error).await,
            },
        }
    }

    drop(listener);
    stop.send_replace(true);
    info!(address = %local, open = connections.len(), "shutting down");
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(address = %local, open = connections.len(), "shutdown grace over; dropping connections");
        connections.shutdown().await;
    }
    Ok(())
}

/// Errors that concern only the connection being accepted are skipped; anything else (out
/// of file descriptors or memory) is logged and waited out briefly instead of spinning.
async fn pause_after_accept_error(error: io::Error) {
    match error.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::Interrupted => debug!(%error, "accept failed"),
        _ => {
            warn!(%error, "accept failed; pausing");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One accepted connection and what it needs to serve itself.
struct Connection<H> {
    address: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    handler: Arc<H>,
    limits: Limits,
    /// Turns `true` when the listener shuts down.
    stopping: watch::Receiver<bool>,
    /// Held for the connection's lifetime: its place under [`Limits::max_connections`].
    _permit: OwnedSemaphorePermit,
}

impl<H: Handler> Connection<H> {
    async fn run(mut self, stream: TcpStream) {
        // Responses are written whole; do not let Nagle hold back their last segment.
        let _ = stream.set_nodelay(true);
        let Some(acceptor) = self.acceptor.take() else {
            let peer = Peer {
                address: self.address,
                tls: false,
                client_certificates: None,
            };
            return self.serve_http(stream, peer).await;
        };
        let handshake =
            tokio::time::timeout(self.limits.tls_handshake_timeout, acceptor.accept(stream));
        let stream = tokio::select! {
            result = handshake => match result {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    debug!(address = %self.address, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    debug!(address = %self.address, "TLS handshake timed out");
                    return;
                }
            },
            _ = self.stopping.wait_for(|&stop| stop) => return,
        };
        let peer = Peer {
            address: self.address,
            tls: true,
            client_certificates: stream.get_ref().1.peer_certificates().map(Arc::from),
        };
        self.serve_http(stream, peer).await;
    }

    /// Runs HTTP/1.1 on an established stream until the client leaves, a deadline passes or
    /// shutdown has let the request in flight finish.
    async fn serve_http<IO>(mut self, io: IO, peer: Peer)
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let limits = self.limits;
        let deadlines = Arc::new(Deadlines::new(limits.head_timeout, limits.idle_timeout));
        let io = TokioIo::new(Watched::new(io, Arc::clone(&deadlines)));
        let handler = self.handler;
        let service_deadlines = Arc::clone(&deadlines);
        let served = Arc::new(AtomicUsize::new(0));
        let service = service_fn(move |request| {
            service_deadlines.request_started();
            let handler = Arc::clone(&handler);
            let deadlines = Arc::clone(&service_deadlines);
            let peer = peer.clone();
            let last =
                served.fetch_add(1, Ordering::Relaxed) + 1 >= limits.max_requests_per_connection;
            async move {
                let mut response = respond(&*handler, request, peer).await;
                if last {
                    // hyper closes the connection once this answer is written.
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                }
                deadlines.request_finished();
                Ok::<_, Infallible>(response)
            }
        });
        let connection = http1::Builder::new()
            // Replaced by `Deadlines`: see `deadline.rs` for why hyper's timer cannot tell a
            // slow head from an idle keep-alive connection.
            .header_read_timeout(None)
            .max_header_size(limits.max_header_bytes)
            .serve_connection(io, service);
        tokio::pin!(connection);

        let mut draining = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        debug!(address = %self.address, %error, "connection ended with an error");
                    }
                    return;
                }
                () = deadlines.expired() => {
                    debug!(address = %self.address, "connection timed out");
                    return;
                }
                _ = self.stopping.wait_for(|&stop| stop), if !draining => {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Calls the handler inside a span naming the request, and logs the outcome. The query
/// string and the headers stay out of the log: they may carry credentials; so does the path
/// of a set-password link (`/welcome/<token>`), logged without its token.
async fn respond<H: Handler>(
    handler: &H,
    request: Request<Incoming>,
    peer: Peer,
) -> Response<H::Body> {
    let path = request.uri().path();
    let span = info_span!(
        "request",
        method = %request.method(),
        path = ?if path.starts_with("/welcome/") { "/welcome/…" } else { path },
        peer = %peer.address,
    );
    let started = Instant::now();
    let response = handler.handle(request, peer).instrument(span.clone()).await;
    span.in_scope(|| {
        info!(
            status = response.status().as_u16(),
            elapsed = ?started.elapsed(),
            "answered"
        );
    });
    response
}

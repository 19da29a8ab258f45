//! Reading a request body into memory, never more than a limit.

use std::error::Error;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the handler accepts (answer `413 Content Too Large`).
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The client broke off or sent a malformed body (answer `400 Bad Request`, if anything).
    #[error("cannot read the request body")]
    Read {
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
}

/// Reads `body` (`request.into_body()`) whole, refusing it once it exceeds `limit` bytes.
///
/// A declared `Content-Length` over the limit is refused before anything is read (hyper
/// then never sends `100 Continue`); a chunked body is refused at the chunk that crosses
/// the limit, so at most `limit` bytes plus one read are ever held.
pub async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: Body,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let declared = body.size_hint().lower();
    if usize::try_from(declared).map_or(true, |declared| declared > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(source) if source.is::<LengthLimitError>() => Err(BodyError::TooLarge { limit }),
        Err(source) => Err(BodyError::Read { source }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use http_body_util::Full;
    use hyper::body::Frame;

    use super::*;

    /// A body that does not declare its length, like a chunked request.
    struct Chunked(VecDeque<Bytes>);

    impl Body for Chunked {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(
                self.get_mut()
                    .0
                    .pop_front()
                    .map(|chunk| Ok(Frame::data(chunk))),
            )
        }
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = Full::new(Bytes::from_static(b"0123456789"));
        assert_eq!(read_body(body, 10).await.unwrap(), "0123456789");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused() {
        let body = Full::new(Bytes::from_static(b"0123456789"));
        let error = read_body(body, 9).await.unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit: 9 }));
    }

    #[tokio::test]
    async fn an_undeclared_length_is_refused_at_the_chunk_crossing_the_limit() {
        let chunks = ["0123", "4567", "89"].map(|chunk| Bytes::from_static(chunk.as_bytes()));
        let body = Chunked(VecDeque::from(chunks));
        let error = read_body(body, 9).await.unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit: 9 }));
        let chunks = ["0123", "4567", "8"].map(|chunk| Bytes::from_static(chunk.as_bytes()));
        let body = Chunked(VecDeque::from(chunks));
        assert_eq!(read_body(body, 9).await.unwrap(), "012345678");
    }
}

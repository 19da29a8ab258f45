//! The phones' listener: `GET|HEAD /<any directory>/<file>` → the file, or a refusal
//! (DESIGN.md §4).
//!
//! The handler translates: it reads the file name, the User-Agent and the `Authorization`
//! header, calls `Service::phone_fetch` on a blocking thread with the listener's failure
//! budgets ([`PhoneThrottle`]), and shapes the answer. Every refusal of a device file —
//! unknown MAC, wrong credentials, spent hand-off — is the same 401: same headers (a fresh
//! nonce aside), same empty body; a spent budget is the same 429.

mod auth;
mod budgets;
mod range;
mod route;
mod throttle;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH, IF_RANGE, RANGE, RETRY_AFTER, USER_AGENT,
    WWW_AUTHENTICATE,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use tokio::io::AsyncSeekExt;
use tracing::{error, info};

pub use auth::Authenticator;
pub use budgets::{Budget, Budgets, PhoneThrottle, Tier, Trips, network_key};
pub use range::ByteRange;
pub use route::PhoneRoute;
pub use throttle::{Throttle, address_key};

use super::file_body::FileBody;
use super::{Handler, Peer};
use crate::service::{PhoneAnswer, PhoneRequest, Service};

/// Longest User-Agent kept (for the audit); longer ones are cut.
const MAX_USER_AGENT: usize = 256;

/// Serves phones their files.
#[derive(Debug)]
pub struct PhoneHandler {
    service: Arc<Service>,
    auth: Authenticator,
    throttle: Arc<PhoneThrottle>,
    /// The URL phones are told to keep polling; `None` to derive it from `Host`.
    phone_url: Option<String>,
    /// Used when `phone_url` is not set and a request has no usable `Host`.
    fallback_url: String,
}

impl PhoneHandler {
    pub fn new(
        service: Arc<Service>,
        throttle: Arc<PhoneThrottle>,
        phone_url: Option<String>,
        fallback_url: String,
    ) -> PhoneHandler {
        PhoneHandler {
            service,
            auth: Authenticator::new("sipprov"),
            throttle,
            phone_url,
            fallback_url,
        }
    }

    /// The provisioning URL to write into files: the configured one, else the scheme and
    /// `Host` the phone used (a valid authority only), else the listener's own address.
    fn server_url(&self, request: &Request<Incoming>, peer: &Peer) -> String {
        if let Some(url) = &self.phone_url {
            return url.clone();
        }
        let scheme = if peer.tls { "https" } else { "http" };
        let host = request
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<http::uri::Authority>().ok())
            .filter(|a| a.as_str().len() <= 255 && !a.as_str().contains('@'));
        match host {
            Some(host) => format!("{scheme}://{host}/"),
            None => self.fallback_url.clone(),
        }
    }
}

fn seconds_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the phone listener answers with: a whole body, or a firmware image streamed.
pub type PhoneBody = Either<Full<Bytes>, FileBody>;

impl Handler for PhoneHandler {
    type Body = PhoneBody;

    async fn handle(&self, request: Request<Incoming>, peer: Peer) -> Response<PhoneBody> {
        let head = request.method() == Method::HEAD;
        if request.method() != Method::GET && !head {
            return whole(empty(StatusCode::METHOD_NOT_ALLOWED).with(ALLOW, "GET, HEAD"));
        }
        let file = match PhoneRoute::parse(request.uri().path()) {
            PhoneRoute::File(file) => file,
            PhoneRoute::TooLong => return whole(empty(StatusCode::URI_TOO_LONG)),
            PhoneRoute::NotAFile => return whole(empty(StatusCode::NOT_FOUND)),
        };
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let credentials = self.auth.credentials(
            header(AUTHORIZATION),
            request.method().as_str(),
            target,
            seconds_now(),
        );
        let address = peer.address.ip();
        let phone = PhoneRequest {
            file,
            address,
            user_agent: header(USER_AGENT).map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
            credentials,
            server_url: self.server_url(&request, &peer),
        };
        let if_none_match = header(IF_NONE_MATCH).map(str::to_owned);
        let range = header(RANGE).map(str::to_owned);
        let if_range = header(IF_RANGE).map(str::to_owned);
        let service = Arc::clone(&self.service);
        let throttle = Arc::clone(&self.throttle);
        let answered = tokio::task::spawn_blocking(move || {
            let answer = service.phone_fetch(&phone, throttle.as_ref());
            (phone.file, answer)
        })
        .await;
        let (file, answer) = match answered {
            Ok((file, Ok(answer))) => (file, answer),
            Ok((file, Err(failure))) => {
                error!(%file, error = %failure, "phone request failed");
                return whole(empty(StatusCode::INTERNAL_SERVER_ERROR));
            }
            Err(panic) => {
                error!(error = %panic, "phone request panicked");
                return whole(empty(StatusCode::INTERNAL_SERVER_ERROR));
            }
        };
        let response = match answer {
            PhoneAnswer::Firmware { path, size, etag } => {
                // A range of another version of the file (`If-Range`) is sent whole.
                let range = match if_range {
                    Some(tag) if tag.trim() != etag => ByteRange::Whole,
                    _ => ByteRange::parse(range.as_deref(), size),
                };
                image(&path, size, &etag, range, head).await
            }
            answer => whole(self.respond(answer, head, if_none_match.as_deref())),
        };
        info!(%file, %address, status = response.status().as_u16(), "phone fetch");
        response
    }
}

impl PhoneHandler {
    fn respond(
        &self,
        answer: PhoneAnswer,
        head: bool,
        if_none_match: Option<&str>,
    ) -> Response<Full<Bytes>> {
        match answer {
            PhoneAnswer::File { body, etag } => {
                let unchanged = if_none_match.is_some_and(|tags| {
                    tags.split(',')
                        .any(|tag| tag.trim() == etag || tag.trim() == "*")
                });
                if unchanged {
                    return empty(StatusCode::NOT_MODIFIED).with(ETAG, &etag);
                }
                let mut response = empty(StatusCode::OK).with(ETAG, &etag);
                if head {
                    response = response.with(CONTENT_LENGTH, &body.len().to_string());
                } else {
                    *response.body_mut() = Full::new(Bytes::from(body));
                }
                response
            }
            PhoneAnswer::NotFound => empty(StatusCode::NOT_FOUND),
            PhoneAnswer::Unauthorized => {
                let [digest, basic] = self.auth.challenge(seconds_now());
                let mut response = empty(StatusCode::UNAUTHORIZED);
                for challenge in [digest, basic] {
                    if let Ok(value) = HeaderValue::from_str(&challenge) {
                        response.headers_mut().append(WWW_AUTHENTICATE, value);
                    }
                }
                response
            }
            PhoneAnswer::Forbidden => empty(StatusCode::FORBIDDEN),
            PhoneAnswer::Throttled => empty(StatusCode::TOO_MANY_REQUESTS).with(RETRY_AFTER, "60"),
            // Streamed by `image`; never reaches here.
            PhoneAnswer::Firmware { .. } => empty(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

fn whole(response: Response<Full<Bytes>>) -> Response<PhoneBody> {
    response.map(Either::Left)
}

/// A firmware image, whole or the requested range, streamed from its file.
async fn image(
    path: &std::path::Path,
    size: u64,
    etag: &str,
    range: ByteRange,
    head: bool,
) -> Response<PhoneBody> {
    let (status, start, length) = match range {
        ByteRange::Whole => (StatusCode::OK, 0, size),
        ByteRange::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        ByteRange::Unsatisfiable => {
            let response = empty(StatusCode::RANGE_NOT_SATISFIABLE)
                .with(CONTENT_RANGE, &format!("bytes */{size}"))
                .with(ACCEPT_RANGES, "bytes");
            return whole(response);
        }
    };
    let mut response = empty(status)
        .with(CONTENT_TYPE, "application/octet-stream")
        .with(ACCEPT_RANGES, "bytes")
        .with(ETAG, etag);
    if status == StatusCode::PARTIAL_CONTENT {
        let end = start + length - 1;
        response = response.with(CONTENT_RANGE, &format!("bytes {start}-{end}/{size}"));
    }
    if head {
        return whole(response.with(CONTENT_LENGTH, &length.to_string()));
    }
    let opened = async {
        let mut file = tokio::fs::File::open(path).await?;
        file.seek(std::io::SeekFrom::Start(start)).await?;
        Ok::<_, std::io::Error>(file)
    };
    match opened.await {
        Ok(file) => {
            let (parts, _) = response.into_parts();
            Response::from_parts(parts, Either::Right(FileBody::new(file, length)))
        }
        Err(error) => {
            error!(path = %path.display(), %error, "cannot open a firmware image");
            whole(empty(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

/// A response with no body, `text/plain`, never cached.
fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

trait With {
    fn with(self, name: http::header::HeaderName, value: &str) -> Self;
}

impl With for Response<Full<Bytes>> {
    fn with(mut self, name: http::header::HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers_mut().insert(name, value);
        }
        self
    }
}

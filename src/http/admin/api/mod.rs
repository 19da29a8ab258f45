//! The JSON admin API under `/api/v1` (DESIGN.md §5), and the registrar directory under
//! `/registrar/v1` (DESIGN.md §7) that registrars read HA1 hashes from.
//!
//! Each request goes through the same steps: parse the route (`route`), authenticate the
//! bearer token and check that its scope opens the route (`Access`: admin tokens the API,
//! read-only ones only with `GET`; registrar tokens the directory only), check the content
//! type and read the body under the size limit, parse the JSON, form or query into the
//! service's input type, call one use case on a blocking thread, and shape the result
//! (`handlers`, and `registrar` for the registrars' own formats). Every failure becomes a
//! response in `error`, the one place that maps errors to statuses.

mod error;
mod handlers;
mod input;
mod openapi;
mod registrar;
mod route;
mod scope;
mod upload;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

pub use openapi::document as openapi_document;
pub use route::{Access, ApiRoute, BodyKind, ROUTES};

use self::error::{ApiError, json_response};
use self::openapi::Contract;
use self::route::RouteError;
use crate::domain::TokenScope;
use crate::http::{BodyError, Peer, read_body};
use crate::service::{Service, TokenView};

#[derive(Debug)]
pub struct Api {
    service: Arc<Service>,
    max_body: usize,
    /// The OpenAPI document, generated once, and the schemas bodies are checked against.
    contract: Arc<Contract>,
}

/// What a handler answers: a status and a JSON value, a registrar's text, or no content.
pub(crate) enum Reply {
    Json(StatusCode, serde_json::Value),
    /// JSON already serialized (the OpenAPI document).
    Document(Bytes),
    Text {
        status: StatusCode,
        content_type: &'static str,
        body: String,
    },
    NoContent,
}

/// A request, read and authenticated, ready for its handler.
pub(crate) struct Call {
    pub route: ApiRoute,
    pub body: Bytes,
    pub query: Option<String>,
    /// Who calls: what they may see.
    pub principal: scope::Principal,
}

impl Api {
    pub fn new(service: Arc<Service>, max_body: usize) -> Api {
        Api {
            service,
            max_body,
            contract: Arc::new(Contract::new()),
        }
    }

    pub async fn handle(&self, request: Request<Incoming>, _peer: Peer) -> Response<Full<Bytes>> {
        match self.answer(request).await {
            Ok(Reply::Json(status, value)) => json_response(status, &value),
            Ok(Reply::Document(bytes)) => {
                let mut response = Response::new(Full::new(bytes));
                let headers = response.headers_mut();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Ok(Reply::Text {
                status,
                content_type,
                body,
            }) => {
                let mut response = Response::new(Full::new(Bytes::from(body)));
                *response.status_mut() = status;
                let headers = response.headers_mut();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Ok(Reply::NoContent) => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            Err(error) => error.into_response(),
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Result<Reply, ApiError> {
        let parsed = ApiRoute::parse(request.method(), request.uri().path());
        if parsed
            .as_ref()
            .is_ok_and(|route| route.access() == Access::Public)
        {
            return Ok(Reply::Document(self.contract.bytes.clone()));
        }
        // The token first: without one, nothing about the path is said.
        let token = self.authenticate(&request)?;
        let route = parsed.map_err(|error| match error {
            RouteError::NotFound => ApiError::NotFound("route".into()),
            RouteError::MethodNotAllowed(allowed) => ApiError::MethodNotAllowed(allowed),
            RouteError::BadParameter(name, message) => ApiError::invalid(name, message),
        })?;
        let access = route.access();
        authorize(access, request.method(), &token)?;
        let query = request.uri().query().map(str::to_owned);
        let has_body_method = matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        );
        let body_kind = route.body_kind();
        let expected = body_kind.media_type();
        let typed = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(expected))
            });
        if body_kind == BodyKind::Binary {
            let principal = scope::Principal::from(&token);
            principal.check(&self.service, &route)?;
            if !typed {
                return Err(ApiError::UnsupportedMediaType(expected));
            }
            return upload::firmware(&self.service, request, query).await;
        }
        let body = read_body(request.into_body(), self.max_body)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge { limit } => ApiError::TooLarge(limit),
                BodyError::Read { .. } => {
                    ApiError::MalformedJson("the body could not be read".into())
                }
            })?;
        if !body.is_empty() && (!typed || !has_body_method) {
            return Err(ApiError::UnsupportedMediaType(expected));
        }
        let call = Call {
            route,
            body,
            query,
            principal: scope::Principal::from(&token),
        };
        let service = Arc::clone(&self.service);
        let contract = Arc::clone(&self.contract);
        tokio::task::spawn_blocking(move || handlers::dispatch(&service, &contract.schemas, call))
            .await
            .map_err(|panic| ApiError::Internal(panic.to_string()))?
    }

    /// The token a request's `Authorization` header names.
    ///
    /// Checked right here on the async worker, not on a blocking thread like the handlers:
    /// a SHA-256 and two point reads of the token trees, which hold a handful of records
    /// read by every request, so sled has them in memory and the check never waits on the
    /// disk. Handing it to a blocking thread and back (thread wake-ups, context switches)
    /// cost more than the check itself: without the hop a directory lookup takes about a
    /// third less server CPU (`scripts/bench directory`: 74 → 51 µs at 10,000 lines).
    fn authenticate(&self, request: &Request<Incoming>) -> Result<TokenView, ApiError> {
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(presented_token)
            .ok_or(ApiError::Unauthorized { presented: false })?;
        self.service
            .authenticate_token(&token)?
            .ok_or(ApiError::Unauthorized { presented: true })
    }
}

/// The token of an `Authorization` header: `Bearer <token>`, or `Basic` with the token as
/// the password (the user name is free) for registrars whose HTTP client can only send
/// credentials — FreeSWITCH's `gateway-credentials`, a `https://name:token@host/…` URL.
fn presented_token(header: &str) -> Option<String> {
    let (scheme, value) = header.trim().split_once(' ')?;
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        value.trim().to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(value.trim()).ok()?;
        let (_, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
        password.to_owned()
    } else {
        return None;
    };
    (!token.is_empty()).then_some(token)
}

/// Whether `token` opens a route of `access` with `method`: admin tokens the API (read-only
/// ones only to read), registrar tokens only the directory, and the directory — hashes that
/// register phones — only to registrar tokens and admin tokens that are not read-only.
fn authorize(access: Access, method: &Method, token: &TokenView) -> Result<(), ApiError> {
    let refuse = |why: &str| {
        Err(ApiError::Forbidden(format!(
            "the token {:?} {why}",
            token.name
        )))
    };
    match (access, token.scope) {
        (Access::Public, _) | (Access::Directory, TokenScope::Registrar) => Ok(()),
        (Access::Admin, TokenScope::Registrar) => {
            refuse("is a registrar token: it may only read the registrar directory (/registrar/v1)")
        }
        (_, TokenScope::Admin) if token.read_only && access == Access::Directory => {
            refuse("is read-only: reading HA1 hashes takes a registrar token or an admin token")
        }
        (_, TokenScope::Admin) if token.read_only && method != Method::GET => {
            refuse("is read-only")
        }
        (_, TokenScope::Admin) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_as_bearer_or_as_a_basic_password() {
        assert_eq!(presented_token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(presented_token("bearer  abc ").as_deref(), Some("abc"));
        let basic = format!("Basic {}", STANDARD.encode("freeswitch:abc"));
        assert_eq!(presented_token(&basic).as_deref(), Some("abc"));
        for refused in ["Bearer ", "Basic !!!", "Digest abc", "abc", ""] {
            assert_eq!(presented_token(refused), None, "{refused:?}");
        }
        let empty_password = format!("Basic {}", STANDARD.encode("freeswitch:"));
        assert_eq!(presented_token(&empty_password), None);
    }
}

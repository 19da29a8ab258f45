//! The JSON admin API under `/api/v1` (DESIGN.md §5).
//!
//! Each request goes through the same steps: parse the route (`route`), authenticate the
//! bearer token (read-only tokens may only `GET`), check the content type and read the body
//! under the size limit, parse the JSON or query into the service's input type (unknown
//! fields refused), call one use case on a blocking thread, and shape the result. Every
//! failure becomes a response in `error`, the one place that maps errors to statuses.

mod error;
mod handlers;
mod input;
mod route;

use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

pub use route::{ApiRoute, ROUTES};

use self::error::{ApiError, json_response};
use self::route::RouteError;
use crate::http::{BodyError, Peer, read_body};
use crate::service::Service;

/// The hand-written OpenAPI 3 document of every route.
pub const OPENAPI: &str = include_str!("openapi.json");

#[derive(Debug)]
pub struct Api {
    service: Arc<Service>,
    max_body: usize,
}

/// What a handler answers: a status and a JSON value, or no content.
pub(crate) enum Reply {
    Json(StatusCode, serde_json::Value),
    NoContent,
}

/// A request, read and authenticated, ready for its handler.
pub(crate) struct Call {
    pub route: ApiRoute,
    pub body: Bytes,
    pub query: Option<String>,
}

impl Api {
    pub fn new(service: Arc<Service>, max_body: usize) -> Api {
        Api { service, max_body }
    }

    pub async fn handle(&self, request: Request<Incoming>, _peer: Peer) -> Response<Full<Bytes>> {
        match self.answer(request).await {
            Ok(Reply::Json(status, value)) => json_response(status, &value),
            Ok(Reply::NoContent) => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            Err(error) => error.into_response(),
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Result<Reply, ApiError> {
        let route =
            ApiRoute::parse(request.method(), request.uri().path()).map_err(
                |error| match error {
                    RouteError::NotFound => ApiError::NotFound("route".into()),
                    RouteError::MethodNotAllowed(allowed) => ApiError::MethodNotAllowed(allowed),
                    RouteError::BadParameter(name, message) => ApiError::invalid(name, message),
                },
            )?;
        if route == ApiRoute::OpenApi {
            let document =
                serde_json::from_str(OPENAPI).map_err(|e| ApiError::Internal(e.to_string()))?;
            return Ok(Reply::Json(StatusCode::OK, document));
        }
        self.authenticate(&request).await?;
        let query = request.uri().query().map(str::to_owned);
        let has_body_method = matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        );
        let json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
            });
        let body = read_body(request.into_body(), self.max_body)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge { limit } => ApiError::TooLarge(limit),
                BodyError::Read { .. } => {
                    ApiError::MalformedJson("the body could not be read".into())
                }
            })?;
        if !body.is_empty() && (!json || !has_body_method) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let call = Call { route, body, query };
        let service = Arc::clone(&self.service);
        tokio::task::spawn_blocking(move || handlers::dispatch(&service, call))
            .await
            .map_err(|panic| ApiError::Internal(panic.to_string()))?
    }

    /// Checks the bearer token; read-only tokens may only read.
    async fn authenticate(&self, request: &Request<Incoming>) -> Result<(), ApiError> {
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let service = Arc::clone(&self.service);
        let token = tokio::task::spawn_blocking(move || service.authenticate_token(&token))
            .await
            .map_err(|panic| ApiError::Internal(panic.to_string()))??
            .ok_or(ApiError::Unauthorized)?;
        if token.read_only && request.method() != Method::GET {
            return Err(ApiError::Forbidden(format!(
                "the token {:?} is read-only",
                token.name
            )));
        }
        Ok(())
    }
}

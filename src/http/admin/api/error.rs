//! The one place admin API failures become HTTP responses:
//! `{"error": {"code": …, "message": …, "fields": {name: message}}}`.
//!
//! Internal failures are logged with their detail and answered with a generic message;
//! nothing about the store or the server leaks into a response.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use tracing::error;
use utoipa::ToSchema;

use crate::service::Error as ServiceError;

/// A refused or failed API request.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON.
    MalformedJson(String),
    /// 400: a call that needs a body got none (the type it takes named).
    MissingBody(&'static str),
    /// 401: no usable bearer token.
    /// No token, or one that is not (or no longer) valid: `true` when one was sent.
    Unauthorized { presented: bool },
    /// 403: the token may not do this.
    Forbidden(String),
    /// 404: no such route or record.
    NotFound(String),
    /// 405: the path exists with other methods.
    MethodNotAllowed(Vec<&'static str>),
    /// 409: a unique value taken, or a record in use.
    Conflict { field: String, message: String },
    /// 413: the body is over the limit.
    TooLarge(usize),
    /// 415: a body of another type than the route takes (named).
    UnsupportedMediaType(&'static str),
    /// 422: rule violations, every failing field named.
    Invalid(BTreeMap<String, String>),
    /// 500: logged, not shown.
    Internal(String),
}

/// Every refusal and failure of the API: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ErrorDetail {
    code: ErrorCode,
    /// For people; the code and the fields are for programs.
    message: String,
    /// Field name (dotted for nested fields, `numbers[0]` for items) → why it was refused.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<String, String>,
}

/// What kind of refusal or failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    MissingBody,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Invalid,
    Internal,
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    fn parts(self) -> (StatusCode, ErrorCode, String, BTreeMap<String, String>) {
        let none = BTreeMap::new();
        match self {
            ApiError::MalformedJson(detail) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {detail}"),
                none,
            ),
            ApiError::MissingBody(expected) => (
                StatusCode::BAD_REQUEST,
                ErrorCode::MissingBody,
                format!("this call takes a body ({expected}), and none was sent"),
                none,
            ),
            ApiError::Unauthorized { presented: false } => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "no token: send one as 'Authorization: Bearer <token>'".into(),
                none,
            ),
            ApiError::Unauthorized { presented: true } => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "token refused: it is unknown, revoked or expired".into(),
                none,
            ),
            ApiError::Forbidden(message) => {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden, message, none)
            }
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("{what} not found"),
                none,
            ),
            ApiError::MethodNotAllowed(allowed) => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                format!("this path allows {}", allowed.join(", ")),
                none,
            ),
            ApiError::Conflict { field, message } => (
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("{field}: {message}"),
                BTreeMap::from([(field, message)]),
            ),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body is over {limit} bytes"),
                none,
            ),
            ApiError::UnsupportedMediaType(expected) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                format!("send the body as 'Content-Type: {expected}'"),
                none,
            ),
            ApiError::Invalid(fields) => {
                let count = fields.len();
                let message = format!("{count} field{} refused", if count == 1 { "" } else { "s" });
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::Invalid,
                    message,
                    fields,
                )
            }
            ApiError::Internal(detail) => {
                error!(%detail, "admin API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server failed; see its log".into(),
                    none,
                )
            }
        }
    }

    pub fn into_response(self) -> Response<Full<Bytes>> {
        let allow = match &self {
            ApiError::MethodNotAllowed(allowed) => Some(allowed.join(", ")),
            _ => None,
        };
        let unauthorized = matches!(self, ApiError::Unauthorized { .. });
        let (status, code, message, fields) = self.parts();
        let mut response = json_response(
            status,
            &ErrorBody {
                error: ErrorDetail {
                    code,
                    message,
                    fields,
                },
            },
        );
        if let Some(allow) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
            response.headers_mut().insert(ALLOW, allow);
        }
        if unauthorized {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sipprov\""),
            );
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        match error {
            ServiceError::Invalid(invalid) => ApiError::Invalid(invalid.fields().clone()),
            ServiceError::Conflict { field, message } => ApiError::Conflict { field, message },
            ServiceError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            ServiceError::Forbidden(message) => ApiError::Forbidden(message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A JSON response, never cached (bodies carry credentials).
pub fn json_response<T: Serialize + ?Sized>(
    status: StatusCode,
    value: &T,
) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

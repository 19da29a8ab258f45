//! Turning a handler's answer into a response: the page frame (who is signed in, the CSRF
//! token, the navigation, the message left by the last form), error pages, and the headers
//! every response of the UI carries.
//!
//! This is the one place that maps failures to status codes. Internal failures are logged
//! here and shown only as "something went wrong".

use bytes::Bytes;
use http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, LOCATION,
    REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use serde_json::{Value, json};

use super::access::Who;
use super::{Call, Failure, Page, Reply, Ui};
use crate::render::Pages;
use crate::service;

/// Scripts and styles only from this server's `/static/` files, no frames, no plugins, forms
/// only to this server.
const CONTENT_SECURITY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every page shows around its content.
#[derive(Debug, Serialize)]
struct Frame<'a> {
    title: &'a str,
    who: Option<Who>,
    /// The session's CSRF token, for every form on the page.
    csrf: &'a str,
    /// What the last form did, shown once.
    flash: Option<String>,
    section: &'a str,
    /// The account the page is about: id and name.
    account: Option<Value>,
}

impl Ui {
    /// The response to a handler's answer.
    pub(super) fn respond(
        &self,
        result: Result<Reply, Failure>,
        call: &Call,
    ) -> Response<Full<Bytes>> {
        match result {
            Ok(Reply::Page(page)) => self.page(page, Some(call)),
            Ok(Reply::Redirect { to, flash, cookie }) => {
                if let (Some(flash), Some(session)) = (flash, &call.session) {
                    self.sessions.set_flash(&session.id, flash);
                }
                let mut response = redirect(&to);
                if let Some(cookie) = cookie {
                    add_cookie(&mut response, &cookie);
                }
                response
            }
            Err(Failure::SignInRequired) => redirect("/signin"),
            Err(failure) => self.page(failure_page(failure), Some(call)),
        }
    }

    /// An error page for a request that never reached a handler.
    pub(super) fn bare_failure(&self, failure: Failure) -> Response<Full<Bytes>> {
        self.page(failure_page(failure), None)
    }

    fn page(&self, page: Page, call: Option<&Call>) -> Response<Full<Bytes>> {
        let session = call.and_then(|call| call.session.as_ref());
        let frame = Frame {
            title: &page.title,
            who: call.and_then(|c| c.access.as_ref()).map(|a| a.who()),
            csrf: session.map_or("", |s| s.csrf.as_str()),
            flash: session.and_then(|s| self.sessions.take_flash(&s.id)),
            section: page.section,
            account: page
                .account
                .map(|(id, name)| json!({"id": id, "name": name})),
        };
        let mut context = page.context;
        // A session without the right to read secrets sees them masked, on every page.
        if call
            .and_then(|c| c.access.as_ref())
            .is_some_and(|access| !access.reads_secrets())
        {
            crate::service::mask_secrets(&mut context);
        }
        let mut context = match context {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        context.insert("frame".into(), super::json(&frame));
        match self
            .service
            .renderer()
            .pages()
            .render(page.template, &context)
        {
            Ok(html) => html_response(page.status, html),
            Err(error) => {
                tracing::error!(%error, "cannot render a page");
                let mut response = html_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Error</title><p>Something went wrong.".into(),
                );
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }
        }
    }
}

/// The error page of a failure.
fn failure_page(failure: Failure) -> Page {
    let (status, heading, message) = match failure {
        Failure::NotFound(what) => (
            StatusCode::NOT_FOUND,
            "Not found",
            format!("There is no such {what}, or it is not yours to see."),
        ),
        Failure::Forbidden(message) => (StatusCode::FORBIDDEN, "Not allowed", message),
        Failure::BadRequest(message) => (StatusCode::BAD_REQUEST, "Bad request", message),
        Failure::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            "The form is larger than this server accepts.".into(),
        ),
        Failure::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported form",
            "Forms must be sent URL-encoded, as browsers send them.".into(),
        ),
        Failure::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "Too many failed sign-ins from your address. Wait a few minutes and try again.".into(),
        ),
        Failure::Expired | Failure::SignInRequired => (
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form has expired or did not come from this site. Go back, reload the page \
             and try again."
                .into(),
        ),
        Failure::Service(error) => return service_failure_page(error),
        Failure::Internal(detail) => {
            tracing::error!(%detail, "the web UI failed");
            return internal();
        }
    };
    error_page(status, heading, message)
}

fn service_failure_page(error: service::Error) -> Page {
    match error {
        service::Error::NotFound(what) => failure_page(Failure::NotFound(what)),
        service::Error::Forbidden(message) => failure_page(Failure::Forbidden(message)),
        service::Error::Invalid(invalid) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Refused",
            invalid.to_string(),
        ),
        service::Error::Conflict { field, message } => error_page(
            StatusCode::CONFLICT,
            "Conflict",
            format!("{field}: {message}"),
        ),
        error @ (service::Error::Store(_)
        | service::Error::Render(_)
        | service::Error::Outbox(_)
        | service::Error::Firmware(_)
        | service::Error::DataKey(_)) => {
            tracing::error!(%error, "a use case failed");
            internal()
        }
    }
}

fn internal() -> Page {
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The server could not do this. The details are in its log.".into(),
    )
}

fn error_page(status: StatusCode, heading: &str, message: String) -> Page {
    Page::new(
        "error",
        heading,
        json!({"status": status.as_u16(), "heading": heading, "message": message}),
    )
    .status(status)
}

/// The headers every response of the UI carries.
fn secure_headers(response: &mut Response<Full<Bytes>>) {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY),
    );
}

fn html_response(status: StatusCode, html: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(&mut response);
    response
}

/// `303 See Other` to a path of this server.
fn redirect(to: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SEE_OTHER;
    let location = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    response.headers_mut().insert(LOCATION, location);
    secure_headers(&mut response);
    response
}

pub(super) fn add_cookie(response: &mut Response<Full<Bytes>>, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// `405 Method Not Allowed` with `Allow`.
pub(super) fn not_allowed(allowed: &[&str]) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Method not allowed")));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(ALLOW, value);
    }
    secure_headers(&mut response);
    response
}

/// A static asset, or 404.
pub(super) fn asset(pages: &Pages, name: &str) -> Response<Full<Bytes>> {
    let kind = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    let mut response = match pages.asset(name) {
        Some(text) => {
            let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
            response
        }
        None => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    secure_headers(&mut response);
    response
}

//! The admins' listener: the JSON API under `/api/`, the registrar directory under
//! `/registrar/`, and the server-rendered web UI on every other path. The API and the
//! directory share one route table, the UI has its own; this module only splits the traffic.

mod api;
mod ui;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;

use super::{Handler, Peer};
use crate::service::Service;

pub use api::{Access, ApiRoute, ROUTES, openapi_document};

/// Serves the admin API and the web UI.
#[derive(Debug)]
pub struct AdminHandler {
    api: api::Api,
    ui: ui::Ui,
}

impl AdminHandler {
    /// `max_body`: largest request body accepted. `secure`: whether the listener runs TLS
    /// (session cookies are then `Secure`).
    pub fn new(service: Arc<Service>, max_body: usize, secure: bool) -> AdminHandler {
        AdminHandler {
            api: api::Api::new(Arc::clone(&service), max_body),
            ui: ui::Ui::new(service, max_body, secure),
        }
    }
}

impl Handler for AdminHandler {
    type Body = Full<Bytes>;

    async fn handle(&self, request: Request<Incoming>, peer: Peer) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        if path == "/api" || path.starts_with("/api/") || path.starts_with("/registrar/") {
            self.api.handle(request, peer).await
        } else {
            self.ui.handle(request, peer).await
        }
    }
}

//! The admins' listener: the JSON API under `/api/v1` and the web UI.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use super::{Handler, Peer};
use crate::service::Service;

#[derive(Debug)]
pub struct AdminHandler {
    service: Arc<Service>,
    max_body: usize,
    secure: bool,
}

impl AdminHandler {
    pub fn new(service: Arc<Service>, max_body: usize, secure: bool) -> AdminHandler {
        AdminHandler {
            service,
            max_body,
            secure,
        }
    }
}

impl Handler for AdminHandler {
    async fn handle(&self, _request: Request<Incoming>, _peer: Peer) -> Response<Full<Bytes>> {
        let _ = (&self.service, self.max_body, self.secure);
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    }
}

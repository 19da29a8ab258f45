//! The JSON admin API under `/api/v1` (DESIGN.md §5). Being built.

mod route;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

pub use route::{ApiRoute, Endpoint};

use crate::http::Peer;
use crate::service::Service;

#[derive(Debug)]
pub struct Api {
    service: Arc<Service>,
    max_body: usize,
}

impl Api {
    pub fn new(service: Arc<Service>, max_body: usize) -> Api {
        Api { service, max_body }
    }

    pub async fn handle(&self, _request: Request<Incoming>, _peer: Peer) -> Response<Full<Bytes>> {
        let _ = (&self.service, self.max_body);
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    }
}

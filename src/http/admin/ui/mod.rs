//! The admin web UI (server-rendered pages). To be built.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::http::Peer;
use crate::service::Service;

#[derive(Debug)]
pub struct Ui {
    service: Arc<Service>,
    max_body: usize,
    secure: bool,
}

impl Ui {
    pub fn new(service: Arc<Service>, max_body: usize, secure: bool) -> Ui {
        Ui {
            service,
            max_body,
            secure,
        }
    }

    pub async fn handle(&self, _request: Request<Incoming>, _peer: Peer) -> Response<Full<Bytes>> {
        let _ = (&self.service, self.max_body, self.secure);
        let mut response = Response::new(Full::new(Bytes::from_static(b"Not found")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    }
}

//! HTTP over TCP and TLS: the only module that sees hyper, rustls, tokio-rustls and rcgen.
//!
//! [`serve`] runs one listener (the phones' or the admins') for a [`Handler`], enforcing the
//! [`Limits`] of DESIGN §4: a connection cap, a TLS handshake deadline, a request-head
//! deadline distinct from the idle keep-alive deadline (`deadline`), a header size limit,
//! and graceful shutdown. [`read_body`] reads a request body under a size limit. [`Tls`] is
//! the server certificate, the operator's or a generated self-signed one. [`Client`] is the
//! HTTP/1.1 client of the admin CLI, the integration tests and the benchmark.

mod body;
mod client;
mod deadline;
mod file_body;
mod server;
mod tls;

pub mod admin;
pub mod phone;

pub use body::{BodyError, read_body};
pub use client::{Client, ClientError, Connection, RequestSpec, Response, Trust};
pub use file_body::FileBody;
pub use server::{Handler, Limits, Peer, serve};
pub use tls::{CERTIFICATE_FILE, KEY_FILE, Tls, TlsError};

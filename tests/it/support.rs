//! A real server on `127.0.0.1:0`, over real TLS with a freshly generated certificate, and
//! the raw-socket helpers the tests use to misbehave as clients.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use sipprov::http::{BodyError, Client, Handler, Limits, Peer, Tls, Trust, read_body, serve};
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Largest body `POST /upload` accepts.
pub const BODY_LIMIT: usize = 1024;

/// A running server; shuts down when dropped.
pub struct TestServer {
    pub address: SocketAddr,
    /// The server's certificate, `None` for a plain-HTTP server.
    pub certificate_pem: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
    _certs: TempDir,
}

impl TestServer {
    /// A TLS server with a self-signed certificate generated into a temporary directory.
    pub async fn start(limits: Limits) -> TestServer {
        TestServer::start_with(limits, true).await
    }

    /// A plain-HTTP server (what `--insecure-http` gives phones).
    pub async fn start_plain(limits: Limits) -> TestServer {
        TestServer::start_with(limits, false).await
    }

    async fn start_with(limits: Limits, tls: bool) -> TestServer {
        let certs = tempfile::tempdir().expect("a temporary directory");
        let tls =
            tls.then(|| Tls::load_or_generate(certs.path()).expect("a generated certificate"));
        let certificate_pem = tls.as_ref().map(|tls| tls.certificate_pem().to_owned());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("a bound address");
        let (shutdown, signal) = oneshot::channel::<()>();
        let stopped = async {
            let _ = signal.await;
        };
        let task = tokio::spawn(serve(listener, tls, Arc::new(TestHandler), limits, stopped));
        TestServer {
            address,
            certificate_pem,
            shutdown: Some(shutdown),
            task: Some(task),
            _certs: certs,
        }
    }

    /// `https://127.0.0.1:PORT` (the certificate names 127.0.0.1), or `http://…`.
    pub fn base_url(&self) -> String {
        let scheme = if self.certificate_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// A client that trusts this server's certificate and gives up after 5 s.
    pub fn client(&self) -> Client {
        let trust = match &self.certificate_pem {
            Some(pem) => Trust::pem(pem).expect("the server certificate parses"),
            None => Trust::none(),
        };
        Client::new(&self.base_url(), trust)
            .expect("the base URL parses")
            .with_timeout(Duration::from_secs(5))
    }

    /// Resolves the shutdown future and waits for `serve` to return; how long that took.
    pub async fn stop(mut self) -> Duration {
        let started = Instant::now();
        let _ = self.shutdown.take().expect("not stopped yet").send(());
        let task = self.task.take().expect("not stopped yet");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("serve returns after shutdown")
            .expect("the serve task does not panic")
            .expect("serve returns Ok");
        started.elapsed()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Routes of the test handler:
/// - `GET /peer` → `tls=<bool> address=<addr>`
/// - `GET /header/<name>` → the value of that request header
/// - `GET /slow/<ms>` → waits, then `slept`
/// - `POST /upload` → the body's length, or 413 past [`BODY_LIMIT`]
/// - any other `GET`/`HEAD` → 404, any other method → 405; both echo `<method> <target>`.
struct TestHandler;

impl Handler for TestHandler {
    type Body = Full<Bytes>;

    async fn handle(&self, request: Request<Incoming>, peer: Peer) -> Response<Full<Bytes>> {
        let echo = format!("{} {}", request.method(), request.uri());
        let path = request.uri().path().to_owned();
        match (request.method().clone(), path.as_str()) {
            (Method::GET, "/peer") => text(
                StatusCode::OK,
                format!("tls={} address={}", peer.tls, peer.address),
            ),
            (Method::GET, header) if header.starts_with("/header/") => {
                let value = request.headers().get(&header["/header/".len()..]);
                let value =
                    value.map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                text(StatusCode::OK, value.unwrap_or_default())
            }
            (Method::GET, slow) if slow.starts_with("/slow/") => {
                let millis = slow["/slow/".len()..].parse().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(millis)).await;
                text(StatusCode::OK, "slept".to_owned())
            }
            (Method::POST, "/upload") => match read_body(request.into_body(), BODY_LIMIT).await {
                Ok(body) => text(StatusCode::OK, body.len().to_string()),
                Err(BodyError::TooLarge { .. }) => {
                    text(StatusCode::PAYLOAD_TOO_LARGE, String::new())
                }
                Err(BodyError::Read { .. }) => text(StatusCode::BAD_REQUEST, String::new()),
            },
            (Method::GET | Method::HEAD, _) => text(StatusCode::NOT_FOUND, echo),
            _ => text(StatusCode::METHOD_NOT_ALLOWED, echo),
        }
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

/// Limits with short timeouts, so that tests about them run in a fraction of a second.
pub fn quick_limits() -> Limits {
    Limits {
        head_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1200),
        tls_handshake_timeout: Duration::from_millis(300),
        shutdown_grace: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// A TLS connection to `server` speaking only `version`, made with rustls directly.
pub async fn tls_connect(
    server: &TestServer,
    version: &'static SupportedProtocolVersion,
) -> io::Result<TlsStream<TcpStream>> {
    let pem = server.certificate_pem.as_deref().expect("a TLS server");
    let mut roots = RootCertStore::empty();
    for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let certificate = certificate.expect("the certificate parses");
        roots.add(certificate).expect("a usable trust anchor");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let stream = TcpStream::connect(server.address).await?;
    let name = ServerName::from(server.address.ip());
    TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
}

/// Reads until the server closes the connection (end of stream or an error such as a reset)
/// and returns what was read and when the close came. Panics after `limit`.
pub async fn read_until_closed(
    stream: &mut (impl AsyncRead + Unpin),
    limit: Duration,
) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let read = tokio::time::timeout_at((started + limit).into(), stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("the server kept the connection open for {limit:?}"));
        match read {
            Ok(0) | Err(_) => return (received, started.elapsed()),
            Ok(count) => received.extend_from_slice(&buffer[..count]),
        }
    }
}

//! A small HTTP/1.1 client for sipprov's own servers: the admin CLI, the integration tests
//! and the benchmark use it.
//!
//! It trusts exactly the certificates it is given ([`Trust`]), not the web PKI, because a
//! sipprov server usually presents its own self-signed certificate. A [`Connection`] is one
//! TCP (and TLS) connection that carries several requests, so a benchmark can pay for one
//! handshake per simulated phone. Requests go out as written: the path is sent verbatim,
//! unnormalised, and any header may be set.

use std::borrow::Cow;
use std::error::Error;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tracing::debug;

/// How long a connection attempt or one request may take by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request could not be made or answered.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid base URL {url:?}: {reason}")]
    BaseUrl { url: String, reason: &'static str },
    /// The PEM to trust holds no usable certificate, or an `https` base has nothing to trust.
    #[error("no certificate to trust: {0}")]
    Trust(String),
    #[error("cannot connect to {address}")]
    Connect { address: String, source: io::Error },
    #[error("TLS handshake with {address} failed")]
    Handshake { address: String, source: io::Error },
    /// The request could not be built (a path or header that is not valid HTTP).
    #[error("invalid request: {0}")]
    Request(String),
    /// The connection failed or closed before a whole response arrived.
    #[error("HTTP exchange failed")]
    Exchange {
        source: Box<dyn Error + Send + Sync>,
    },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// The certificates a client trusts.
#[derive(Debug, Clone)]
pub struct Trust {
    roots: Option<Arc<RootCertStore>>,
}

impl Trust {
    /// Trusts nothing: enough for `http://` bases only.
    pub fn none() -> Trust {
        Trust { roots: None }
    }

    /// Trusts the certificates in `pem`: a server's self-signed certificate, or the CA that
    /// issued its certificate.
    pub fn pem(pem: &str) -> Result<Trust, ClientError> {
        let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| ClientError::Trust(error.to_string()))?;
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(ClientError::Trust(
                "the PEM holds no usable certificate".to_owned(),
            ));
        }
        Ok(Trust {
            roots: Some(Arc::new(roots)),
        })
    }
}

/// One request as it will be sent.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: Method,
    /// The request target, sent verbatim: `/../../etc/passwd` stays as it is.
    pub path: String,
    /// Sent in order, as given. A `Host` header is added when none is given.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl RequestSpec {
    pub fn new(method: Method, path: impl Into<String>) -> RequestSpec {
        RequestSpec {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> RequestSpec {
        RequestSpec::new(Method::GET, path)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> RequestSpec {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> RequestSpec {
        self.body = body.into();
        self
    }

    fn into_request(self, host: &str) -> Result<Request<Full<Bytes>>, ClientError> {
        let mut builder = Request::builder().method(self.method).uri(self.path);
        let mut has_host = false;
        for (name, value) in self.headers {
            has_host |= name.eq_ignore_ascii_case(HOST.as_str());
            builder = builder.header(name, value);
        }
        if !has_host {
            builder = builder.header(HOST, host);
        }
        builder
            .body(Full::new(self.body))
            .map_err(|error| ClientError::Request(error.to_string()))
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// Where to connect and how: made once from a base URL, then used for every connection.
#[derive(Debug, Clone)]
pub struct Client {
    /// Host name or address to resolve, without IPv6 brackets.
    host: String,
    port: u16,
    /// The `Host` header: the base URL's authority as written.
    authority: String,
    /// TLS settings and the name the certificate must carry; `None` for `http://`.
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    timeout: Duration,
    /// The source address connections are made from; `None` lets the system choose.
    local_address: Option<IpAddr>,
}

impl Client {
    /// A client for `base`, `http://host[:port]` or `https://host[:port]` with no path.
    pub fn new(base: &str, trust: Trust) -> Result<Client, ClientError> {
        let invalid = |reason| ClientError::BaseUrl {
            url: base.to_owned(),
            reason,
        };
        let uri: Uri = base
            .parse()
            .map_err(|_| invalid("not a URL like https://host:port"))?;
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(invalid("a base URL has no path or query"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let (tls, default_port) = match uri.scheme_str() {
            Some("http") => (None, 80),
            Some("https") => {
                let roots = trust.roots.ok_or_else(|| {
                    ClientError::Trust(format!("{base} is https but no certificate is trusted"))
                })?;
                let name = ServerName::try_from(host.to_owned())
                    .map_err(|_| invalid("the host is not a valid TLS server name"))?;
                (Some((client_config(roots)?, name)), 443)
            }
            _ => return Err(invalid("the scheme must be http or https")),
        };
        Ok(Client {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(default_port),
            authority: authority.as_str().to_owned(),
            tls,
            timeout: DEFAULT_TIMEOUT,
            local_address: None,
        })
    }

    /// Sets how long connecting (TCP and TLS) and each request may take; 30 s by default.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Makes every connection from `address` (any port): a test or benchmark on Linux can act
    /// as many clients, since every address of 127.0.0.0/8 is the loopback interface's.
    pub fn with_local_address(mut self, address: IpAddr) -> Client {
        self.local_address = Some(address);
        self
    }

    /// Makes every connection a full TLS handshake, as a phone's first boot is: no session
    /// resumption from earlier connections of this client.
    pub fn without_resumption(mut self) -> Client {
        if let Some((config, _)) = &mut self.tls {
            let mut fresh = (**config).clone();
            fresh.resumption = rustls::client::Resumption::disabled();
            *config = Arc::new(fresh);
        }
        self
    }

    /// Opens one connection (TCP, then TLS for `https`) for any number of requests.
    pub async fn connect(&self) -> Result<Connection, ClientError> {
        within(self.timeout, self.open()).await
    }

    /// Sends one request over a fresh connection.
    pub async fn send(&self, request: RequestSpec) -> Result<Response, ClientError> {
        self.connect().await?.send(request).await
    }

    async fn open(&self) -> Result<Connection, ClientError> {
        let address = format!("{}:{}", self.host, self.port);
        let stream = self.tcp().await.map_err(|source| ClientError::Connect {
            address: address.clone(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let sender = match &self.tls {
            None => handshake(stream).await?,
            Some((config, name)) => {
                let stream = TlsConnector::from(Arc::clone(config))
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|source| ClientError::Handshake { address, source })?;
                handshake(stream).await?
            }
        };
        Ok(Connection {
            sender,
            authority: self.authority.clone(),
            timeout: self.timeout,
        })
    }

    /// The TCP connection: from the local address when one is set, to the first resolved
    /// server address of the same family.
    async fn tcp(&self) -> io::Result<TcpStream> {
        let Some(local) = self.local_address else {
            return TcpStream::connect((self.host.as_str(), self.port)).await;
        };
        let remote = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await?
            .find(|remote| remote.is_ipv4() == local.is_ipv4())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} has no address of the family of {local}", self.host),
                )
            })?;
        let socket = if local.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind(SocketAddr::new(local, 0))?;
        socket.connect(remote).await
    }
}

fn client_config(roots: Arc<RootCertStore>) -> Result<Arc<ClientConfig>, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|error| ClientError::Trust(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Starts HTTP/1.1 on `stream`; the connection is driven by its own task until the
/// [`SendRequest`] half is dropped.
async fn handshake<IO>(stream: IO) -> Result<SendRequest<Full<Bytes>>, ClientError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(exchange_failed)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            debug!(%error, "client connection ended with an error");
        }
    });
    Ok(sender)
}

/// One open connection to the server; requests on it are sent one after another.
#[derive(Debug)]
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    timeout: Duration,
}

impl Connection {
    /// Sends `request` and reads the whole response.
    pub async fn send(&mut self, request: RequestSpec) -> Result<Response, ClientError> {
        let request = request.into_request(&self.authority)?;
        let sender = &mut self.sender;
        within(self.timeout, async move {
            sender.ready().await.map_err(exchange_failed)?;
            let response = sender
                .send_request(request)
                .await
                .map_err(exchange_failed)?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(exchange_failed)?.to_bytes();
            Ok(Response {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        })
        .await
    }
}

fn exchange_failed(error: hyper::Error) -> ClientError {
    ClientError::Exchange {
        source: error.into(),
    }
}

async fn within<T>(
    timeout: Duration,
    work: impl Future<Output = Result<T, ClientError>>,
) -> Result<T, ClientError> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(ClientError::Timeout(timeout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_parsed() {
        let client = Client::new("http://127.0.0.1:8081", Trust::none()).unwrap();
        assert_eq!((client.host.as_str(), client.port), ("127.0.0.1", 8081));
        assert!(client.tls.is_none());

        let client = Client::new("http://[::1]/", Trust::none()).unwrap();
        assert_eq!((client.host.as_str(), client.port), ("::1", 80));
        assert_eq!(client.authority, "[::1]");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for base in [
            "ftp://host",
            "host:80",
            "http://host/api",
            "http://host/?q=1",
            "",
        ] {
            let result = Client::new(base, Trust::none());
            assert!(
                matches!(result, Err(ClientError::BaseUrl { .. })),
                "{base}: {result:?}"
            );
        }
    }

    #[test]
    fn https_needs_something_to_trust() {
        let result = Client::new("https://localhost:8443", Trust::none());
        assert!(matches!(result, Err(ClientError::Trust(_))), "{result:?}");
        assert!(matches!(
            Trust::pem("no PEM here"),
            Err(ClientError::Trust(_))
        ));
    }

    #[test]
    fn the_path_is_kept_verbatim_and_host_is_added() {
        let request = RequestSpec::get("/../a/%2e%2e%2f?x=1")
            .header("X-Test", "1")
            .into_request("example.net:8443")
            .unwrap();
        assert_eq!(request.uri().to_string(), "/../a/%2e%2e%2f?x=1");
        assert_eq!(request.headers()[HOST], "example.net:8443");
    }
}

//! The whole sipprov server on `127.0.0.1:0` (both listeners, over real TLS, a temporary
//! data directory), the phone and admin clients that talk to it, and the captured log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use sipprov::app::{ADMIN_TOKEN_FILE, Server};
use sipprov::config::Config;
use sipprov::http::phone::PhoneThrottle;
use sipprov::http::{Client, Trust};
use sipprov::service::Service;
use tempfile::TempDir;

/// Everything every server of this test binary logged.
static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    });
}

/// Everything logged so far by the servers of this test binary (at debug level).
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG.get().expect("a server started").lock().unwrap()).into_owned()
}

/// A running server; it stops when dropped.
pub struct TestApp {
    server: Option<Server>,
    pub dir: TempDir,
}

impl TestApp {
    pub async fn start() -> TestApp {
        TestApp::start_with(|_| {}).await
    }

    /// Starts with the test defaults adjusted by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().join("data"),
            certs_dir: dir.path().join("certs"),
            phone_listen: "127.0.0.1:0".parse().unwrap(),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        adjust(&mut config);
        let server = Server::start(&config).await.expect("the server starts");
        TestApp {
            server: Some(server),
            dir,
        }
    }

    fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    pub fn service(&self) -> &Service {
        self.server().service()
    }

    /// A client of the phone listener, trusting the server's certificate.
    pub fn phone(&self) -> Client {
        let base = format!("https://{}", self.server().phone_address());
        Client::new(&base, Trust::pem(self.server().certificate_pem()).unwrap())
            .unwrap()
            .with_timeout(Duration::from_secs(10))
    }

    /// A registered device's own file, fetched as the phone does: its User-Agent and its
    /// provisioning credentials over Basic; the fetch must succeed.
    pub async fn device_file(&self, mac: &str, user_agent: &str) -> String {
        use base64::Engine;
        let device = self.service().device(mac.parse().unwrap()).unwrap();
        let login = format!(
            "{}:{}",
            device.provisioning.username, device.provisioning.password
        );
        let request = sipprov::http::RequestSpec::get(format!("/{}.cfg", device.mac))
            .header("User-Agent", user_agent)
            .header(
                "Authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(login)
                ),
            );
        let response = self.phone().send(request).await.unwrap();
        assert_eq!(response.status, http::StatusCode::OK, "{}", response.text());
        response.text().into_owned()
    }

    /// A client of the phone listener whose connections come from `address`: any address of
    /// 127.0.0.0/8, all of which Linux routes to the loopback interface.
    pub fn phone_from(&self, address: &str) -> Client {
        self.phone()
            .with_local_address(address.parse().expect("an IP address"))
    }

    /// The phone listener's failure budgets, for their counters.
    pub fn throttle(&self) -> &PhoneThrottle {
        self.server().phone_throttle()
    }

    /// A client of the admin listener (plain HTTP on loopback).
    pub fn admin(&self) -> Client {
        let base = format!("http://{}", self.server().admin_address());
        Client::new(&base, Trust::none())
            .unwrap()
            .with_timeout(Duration::from_secs(10))
    }

    pub fn admin_address(&self) -> std::net::SocketAddr {
        self.server().admin_address()
    }

    pub fn admin_base(&self) -> String {
        format!("http://{}", self.server().admin_address())
    }

    pub fn phone_address(&self) -> std::net::SocketAddr {
        self.server().phone_address()
    }

    /// The first admin token, as written to the data directory.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data").join(ADMIN_TOKEN_FILE))
            .unwrap()
            .trim()
            .to_owned()
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            // Stopping needs the runtime; a test that ends without `stop` leaves the
            // listeners to the runtime's own shutdown.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(server.stop());
            }
        }
    }
}

/// Parses test input the way the admin API does.
pub fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

/// The account most tests use: group name set, a registrar, a pool, English, New York time.
pub fn acme() -> Value {
    json!({
        "name": "Acme",
        "domain": "acme.sip.example.com",
        "group_name": "acme",
        "registrar": {"host": "sip.example.com", "port": 5060, "transport": "udp"},
        "language": "en",
        "time_zone": "America/New_York",
        "numbers": ["+15145550100", "+15145550101"],
    })
}

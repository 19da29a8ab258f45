//! A real browser for the web UI's tests: headless Chromium driven through WebDriver.
//!
//! Each [`Browser`] starts its own `chromedriver --port=0` (the port it picked is read from
//! its first line of output) and one Chromium session with a fresh profile directory, and
//! ends both when dropped, so a failing test leaves no process behind. The WebDriver client
//! is the crate's own HTTP client speaking the W3C protocol's JSON. Chromium and
//! chromedriver come from the Debian packages `chromium` and `chromium-driver`
//! (`scripts/test` installs them); `SIPPROV_CHROMIUM` and `SIPPROV_CHROMEDRIVER` name other
//! binaries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use serde_json::{Value, json};
use sipprov::http::{Client, RequestSpec, Trust};
use tempfile::TempDir;

/// The key of a web element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long to wait for an element or a page.
const WAIT: Duration = Duration::from_secs(10);

fn binary(variable: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "{} is missing: the browser tests need Debian's {package} package \
         (apt-get install -y --no-install-recommends chromium chromium-driver; scripts/test \
         installs it), or {variable} set to another binary",
        path.display()
    );
    path
}

/// A chromedriver process on a port of its choosing.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start() -> Chromedriver {
        let program = binary(
            "SIPPROV_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromium-driver",
        );
        let mut child = Command::new(program)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().expect("chromedriver's output");
        // Its output is read on a thread of its own, to the end, so chromedriver never
        // blocks on a full pipe; the port it chose comes back through a channel.
        let (port_sender, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // "ChromeDriver was started successfully on port 41545."
                if let Some(rest) = line.split("successfully on port ").nth(1) {
                    let _ = port_sender.send(rest.trim_end_matches('.').trim().parse::<u16>());
                }
            }
        });
        match port.recv_timeout(WAIT) {
            Ok(Ok(port)) => Chromedriver { child, port },
            other => {
                let _ = child.kill();
                panic!("chromedriver did not say which port it listens on: {other:?}");
            }
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One headless Chromium window.
pub struct Browser {
    client: Client,
    session: String,
    /// The admin listener's base URL, for relative paths.
    base: String,
    driver: Chromedriver,
    _profile: TempDir,
}

/// An element of the current page.
#[derive(Clone)]
pub struct Element {
    id: String,
}

impl Browser {
    /// Starts chromedriver and Chromium; `base` is prefixed to paths given to [`Browser::open`].
    pub async fn start(base: &str) -> Browser {
        let chromium = binary("SIPPROV_CHROMIUM", "/usr/bin/chromium", "chromium");
        let driver = Chromedriver::start();
        let profile = tempfile::tempdir().unwrap();
        let client = Client::new(&format!("http://127.0.0.1:{}", driver.port), Trust::none())
            .unwrap()
            .with_timeout(Duration::from_secs(60));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let created = command(&client, Method::POST, "/session", Some(capabilities)).await;
        let session = created["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_owned();
        Browser {
            client,
            session,
            base: base.trim_end_matches('/').to_owned(),
            driver,
            _profile: profile,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        command(&self.client, method, &path, body).await
    }

    /// Loads a path of the admin listener and waits for it.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.call(Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The current URL's path and query.
    pub async fn path(&self) -> String {
        let url = self.call(Method::GET, "/url", None).await;
        let url = url.as_str().unwrap_or_default();
        url.strip_prefix(&self.base).unwrap_or(url).to_owned()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.find("body").await.text(self).await
    }

    /// The first element matching a CSS selector, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(element) = self.try_find(css).await {
                return element;
            }
            assert!(
                started.elapsed() < WAIT,
                "no element matches {css} on {}:\n{}",
                self.path().await,
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first element matching a CSS selector now, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let found = self
            .call(Method::POST, "/elements", Some(by_css(css)))
            .await;
        found.as_array()?.first().map(element)
    }

    /// Every element matching a CSS selector now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(Method::POST, "/elements", Some(by_css(css)))
            .await;
        found
            .as_array()
            .map(|all| all.iter().map(element).collect())
            .unwrap_or_default()
    }

    /// Clears a field and types into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        self.call(
            Method::POST,
            &format!("/element/{}/clear", field.id),
            Some(json!({})),
        )
        .await;
        field.type_text(self, text).await;
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click(self).await;
    }

    /// Chooses the option of a `<select>` with this value.
    pub async fn select(&self, select: &str, value: &str) {
        self.click(&format!("{select} option[value=\"{value}\"]"))
            .await;
    }

    /// Submits a form by clicking its submit button, and waits until the URL or the page
    /// changes.
    pub async fn submit(&self, button: &str) {
        let before = self.find("body").await;
        self.click(button).await;
        let started = Instant::now();
        // The old page's body goes stale once the new page has loaded.
        while started.elapsed() < WAIT {
            let probe = self
                .call_raw(Method::GET, &format!("/element/{}/name", before.id))
                .await;
            if probe.get("error").is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("submitting {button} loaded no page");
    }

    /// A JavaScript expression's value (`return …`).
    pub async fn script(&self, script: &str) -> Value {
        self.call(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    pub async fn source(&self) -> String {
        let source = self.call(Method::GET, "/source", None).await;
        source.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the whole page (the window is stretched to the page's height) as
    /// `tests-output/<name>.png` at the repository's root.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let height = self
            .script("return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 4000);
        self.call(
            Method::POST,
            "/window/rect",
            Some(json!({"width": 1280, "height": height + 140})),
        )
        .await;
        let png = self.call(Method::GET, "/screenshot", None).await;
        let bytes = STANDARD
            .decode(png.as_str().expect("a base64 screenshot"))
            .unwrap();
        let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests-output");
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        self.call(
            Method::POST,
            "/window/rect",
            Some(json!({"width": 1280, "height": 1000})),
        )
        .await;
        path
    }

    /// Sends a command and returns its whole answer, errors included.
    async fn call_raw(&self, method: Method, path: &str) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let request = RequestSpec::new(method, path);
        let response = self
            .client
            .send(request)
            .await
            .expect("chromedriver answers");
        serde_json::from_slice::<Value>(&response.body).unwrap_or(Value::Null)["value"].clone()
    }
}

impl Drop for Browser {
    /// Ends the Chromium session, then chromedriver. Drop cannot wait on the async client,
    /// so a blocking socket sends the `DELETE` and reads its answer (chromedriver answers
    /// once Chromium has quit).
    fn drop(&mut self) {
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
            self.session
        );
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.driver.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(WAIT));
        if stream.write_all(request.as_bytes()).is_err() {
            return;
        }
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        while let Ok(read @ 1..) = stream.read(&mut buffer) {
            answer.extend_from_slice(&buffer[..read]);
            if complete(&answer) {
                break;
            }
        }
    }
}

/// Whether an HTTP response has arrived whole (head, and the body its length announces).
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some(head_end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..head_end]
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    answer.len() >= head_end + 4 + length
}

impl Element {
    pub async fn click(&self, browser: &Browser) {
        browser
            .call(
                Method::POST,
                &format!("/element/{}/click", self.id),
                Some(json!({})),
            )
            .await;
    }

    pub async fn type_text(&self, browser: &Browser, text: &str) {
        browser
            .call(
                Method::POST,
                &format!("/element/{}/value", self.id),
                Some(json!({"text": text})),
            )
            .await;
    }

    pub async fn text(&self, browser: &Browser) -> String {
        let text = browser
            .call(Method::GET, &format!("/element/{}/text", self.id), None)
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// A DOM property (`value`, `checked`, `disabled`, `required`).
    pub async fn property(&self, browser: &Browser, name: &str) -> Value {
        browser
            .call(
                Method::GET,
                &format!("/element/{}/property/{name}", self.id),
                None,
            )
            .await
    }
}

fn by_css(css: &str) -> Value {
    json!({"using": "css selector", "value": css})
}

fn element(value: &Value) -> Element {
    Element {
        id: value[ELEMENT]
            .as_str()
            .expect("an element reference")
            .to_owned(),
    }
}

/// Sends a WebDriver command; a WebDriver error fails the test with its message.
async fn command(client: &Client, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut request = RequestSpec::new(method.clone(), path);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
    }
    let response = client.send(request).await.expect("chromedriver answers");
    let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let value = answer["value"].clone();
    if let Some(error) = value.get("error") {
        panic!(
            "WebDriver {method} {path} failed: {error}: {}",
            value["message"]
        );
    }
    value
}

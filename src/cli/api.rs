//! The CLI's connection to the admin API: where the server is, which token to present,
//! and one call = one request whose JSON answer or error comes back as a value.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use http::Method;
use serde_json::Value;

use crate::app::ADMIN_TOKEN_FILE;
use crate::http::{Client, RequestSpec, Trust};

/// How to reach the admin API; every admin sub-command takes these.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Admin API base URL
    #[arg(
        long,
        env = "SIPPROV_SERVER",
        default_value = "http://127.0.0.1:8081",
        global = true
    )]
    pub server: String,
    /// Admin token [default: the first line of <data>/admin-token]
    #[arg(long, env = "SIPPROV_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Data directory of a local server, to read its admin-token file
    #[arg(
        long = "data",
        env = "SIPPROV_DATA_DIR",
        default_value = "./sipprov-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// PEM certificate to trust for an https server [default: ./certs/cert.pem when present]
    #[arg(long, env = "SIPPROV_CA", global = true)]
    pub ca: Option<PathBuf>,
    /// Print the server's JSON instead of tables
    #[arg(long, global = true)]
    pub json: bool,
}

/// A failure the server reported: its status, message and refused fields.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {})", self.message, self.status)?;
        // A conflict's message already names its one field.
        let repeated = self.fields.len() == 1
            && self
                .fields
                .iter()
                .all(|(field, _)| self.message.starts_with(field.as_str()));
        for (field, message) in self.fields.iter().filter(|_| !repeated) {
            write!(f, "\n  {field}: {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiFailure {}

/// A connected admin API client.
#[derive(Debug)]
pub struct Api {
    client: Client,
    token: String,
}

impl Api {
    pub fn connect(connection: &Connection) -> anyhow::Result<Api> {
        let token = match &connection.token {
            Some(token) => token.trim().to_owned(),
            None => read_token(&connection.data_dir)?,
        };
        let trust = match (&connection.ca, connection.server.starts_with("https:")) {
            (Some(path), _) => Trust::pem(&read(path)?)?,
            (None, true) if Path::new("certs/cert.pem").exists() => {
                Trust::pem(&read(Path::new("certs/cert.pem"))?)?
            }
            _ => Trust::none(),
        };
        let client = Client::new(&connection.server, trust)
            .with_context(|| format!("cannot use the server URL {}", connection.server))?
            .with_timeout(std::time::Duration::from_secs(30));
        Ok(Api { client, token })
    }

    /// Calls `method path` (below `/api/v1`); the JSON answer, `Null` for 204.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = RequestSpec::new(method, format!("/api/v1{path}"))
            .header("Authorization", format!("Bearer {}", self.token));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = self.send(request).await?;
        let value: Value = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).with_context(|| {
                format!(
                    "the server answered HTTP {} with a body that is not JSON",
                    response.status
                )
            })?
        };
        if response.status.is_success() {
            return Ok(value);
        }
        Err(failure(response.status.as_u16(), &value).into())
    }

    /// `POST path` (below `/api/v1`) with raw bytes (`application/octet-stream`): an upload.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<Value> {
        let request = RequestSpec::new(Method::POST, format!("/api/v1{path}"))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/octet-stream")
            .body(bytes);
        // An image of hundreds of MiB takes longer than an ordinary call.
        let response = self
            .client
            .clone()
            .with_timeout(std::time::Duration::from_secs(3600))
            .send(request)
            .await
            .context("cannot reach the sipprov server (is it running? see --server)")?;
        let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if response.status.is_success() {
            return Ok(value);
        }
        Err(failure(response.status.as_u16(), &value).into())
    }

    /// `GET path` (the whole path, such as `/registrar/v1/subscribers?format=csv`) of an
    /// answer that is text, returned as it came.
    pub async fn text(&self, path: &str) -> anyhow::Result<String> {
        let request = RequestSpec::get(path.to_owned())
            .header("Authorization", format!("Bearer {}", self.token));
        let response = self.send(request).await?;
        if response.status.is_success() {
            return String::from_utf8(response.body.to_vec())
                .context("the server answered with a body that is not UTF-8");
        }
        let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        Err(failure(response.status.as_u16(), &value).into())
    }

    async fn send(&self, request: RequestSpec) -> anyhow::Result<crate::http::Response> {
        self.client
            .send(request)
            .await
            .context("cannot reach the sipprov server (is it running? see --server)")
    }
}

/// The server's refusal, from its JSON error body.
fn failure(status: u16, value: &Value) -> ApiFailure {
    let error = &value["error"];
    let fields = error["fields"]
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    ApiFailure {
        status,
        message: error["message"]
            .as_str()
            .unwrap_or("the server refused the request")
            .to_owned(),
        fields,
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_token(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.lines().next().unwrap_or_default().trim().to_owned()),
        Err(_) => bail!(
            "no admin token: set SIPPROV_TOKEN or --token, or point --data at the server's data directory (no {} found)",
            path.display()
        ),
    }
}

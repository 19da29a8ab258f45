//! Starting and stopping a whole sipprov server: the store, the service, the certificate,
//! both listeners. `sipprov serve` runs one until a signal; the integration tests start one
//! on `127.0.0.1:0` and stop it when dropped.

use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use jiff::SignedDuration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::info;

use crate::config::Config;
use crate::http::admin::AdminHandler;
use crate::http::phone::{PhoneHandler, PhoneThrottle};
use crate::http::{Tls, serve};
use crate::render::Renderer;
use crate::secret::{DataKeys, KeyError};
use crate::service::{Service, Settings};
use crate::store::Store;
use crate::vendors::Catalogue;

/// Name of the file, in the data directory, that receives the first admin token.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// A running server.
#[derive(Debug)]
pub struct Server {
    phone: SocketAddr,
    admin: SocketAddr,
    certificate_pem: String,
    service: Arc<Service>,
    /// The phone listener's failure budgets, for their counters.
    throttle: Arc<PhoneThrottle>,
    stop: watch::Sender<bool>,
    listeners: JoinSet<std::io::Result<()>>,
}

impl Server {
    /// Opens everything `config` names and starts both listeners.
    pub async fn start(config: &Config) -> anyhow::Result<Server> {
        let (service, tls) = prepare(config)?;
        let service = Arc::new(service);

        let phone_listener = bind(config.phone_listen, "phone").await?;
        let admin_listener = bind(config.admin_listen, "admin").await?;
        let phone = phone_listener.local_addr()?;
        let admin = admin_listener.local_addr()?;
        let throttle = Arc::new(PhoneThrottle::new(config.phone_throttle));
        let phone_tls = (!config.insecure_http_phone).then(|| tls.clone());
        let fallback_url = base_url(phone, phone_tls.is_some());
        let phone_url = config
            .phone_url
            .as_ref()
            .map(|url| format!("{}/", url.trim_end_matches('/')));
        let phone_handler = PhoneHandler::new(
            Arc::clone(&service),
            Arc::clone(&throttle),
            phone_url,
            fallback_url,
        );
        // Plain HTTP on the admin listener only on a loopback address.
        let admin_tls = (!admin.ip().is_loopback()).then(|| tls.clone());
        let admin_handler = AdminHandler::new(
            Arc::clone(&service),
            config.limits.max_body_bytes,
            admin_tls.is_some(),
        );

        let (stop, stopping) = watch::channel(false);
        let mut listeners = JoinSet::new();
        let signal = |mut stopping: watch::Receiver<bool>| async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        listeners.spawn(serve(
            phone_listener,
            phone_tls,
            Arc::new(phone_handler),
            config.limits,
            signal(stopping.clone()),
        ));
        listeners.spawn(serve(
            admin_listener,
            admin_tls,
            Arc::new(admin_handler),
            config.limits,
            signal(stopping.clone()),
        ));
        listeners.spawn(save_token_uses(Arc::clone(&service), stopping));
        if config.insecure_http_phone {
            tracing::warn!(
                "phones are served plain HTTP (--insecure-http): their SIP passwords cross the network in clear"
            );
        }
        info!(%phone, %admin, "sipprov is running");
        Ok(Server {
            phone,
            admin,
            certificate_pem: tls.certificate_pem().to_owned(),
            service,
            throttle,
            stop,
            listeners,
        })
    }

    pub fn phone_address(&self) -> SocketAddr {
        self.phone
    }

    pub fn admin_address(&self) -> SocketAddr {
        self.admin
    }

    /// The certificate both TLS listeners present (clients of a self-signed server trust it).
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The use cases, for tests that set up data without going through HTTP.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// The phone listener's failure budgets: how often they tripped, how many failures
    /// they let through.
    pub fn phone_throttle(&self) -> &PhoneThrottle {
        &self.throttle
    }

    /// Stops accepting, lets requests in flight finish, and returns.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        while let Some(ended) = self.listeners.join_next().await {
            if let Ok(Err(error)) = ended {
                tracing::warn!(%error, "a listener ended with an error");
            }
        }
    }
}

/// Saves when tokens were last used, every minute and once more when the server stops.
async fn save_token_uses(
    service: Arc<Service>,
    mut stopping: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut minutes = tokio::time::interval(std::time::Duration::from_secs(60));
    minutes.tick().await;
    loop {
        let stop = tokio::select! {
            _ = minutes.tick() => false,
            _ = stopping.wait_for(|stop| *stop) => true,
        };
        let saver = Arc::clone(&service);
        match tokio::task::spawn_blocking(move || saver.save_token_uses()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "cannot save when tokens were last used"),
            Err(panic) => tracing::warn!(%panic, "saving token uses panicked"),
        }
        if stop {
            return Ok(());
        }
    }
}

/// Everything but the listeners: the data directory and its database, the service, the
/// first admin token, the certificate. `sipprov init` stops here.
pub fn prepare(config: &Config) -> anyhow::Result<(Service, Tls)> {
    let catalogue = Catalogue::init().context("the built-in device catalogue is broken")?;
    let renderer =
        Renderer::new(config.templates_dir.as_deref()).context("cannot load the templates")?;
    private_by_construction(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let db = config.data_dir.join("db");
    let key_file = key_file(config);
    let keys = data_keys(&key_file, &db)?;
    let store = Store::open(&db, keys.clone()).with_context(|| {
        format!(
            "cannot open the database {} with the data key {}",
            db.display(),
            key_file.display()
        )
    })?;
    if keys.rotating() {
        // A rotation was interrupted: finish it before serving.
        let resealed = store.reseal(keys.clone())?;
        keys.current_only().save(&key_file)?;
        info!(
            resealed,
            "finished the data key rotation an earlier run began"
        );
    }
    let service = Service::new(store, catalogue, renderer, settings(config));
    service
        .clean_firmware_staging()
        .context("cannot clear unfinished firmware uploads")?;
    write_initial_token(&service, &config.data_dir)?;
    let tls = Tls::load_or_generate(&config.certs_dir)
        .with_context(|| format!("cannot set up TLS from {}", config.certs_dir.display()))?;
    Ok((service, tls))
}

/// The data directory holds SIP passwords and set-password links: everything this process
/// creates from now on is private (files 0600, folders 0700) whatever umask it was started
/// with, the data directory is created so, and what is already in it — left by an older
/// release or another umask — is brought down to the same modes.
fn private_by_construction(data_dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(data_dir)?;
    #[cfg(unix)]
    make_private(data_dir)?;
    Ok(())
}

/// Folders 0700 and files 0600 below `path` (symbolic links are left alone).
#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::symlink_metadata(path)?;
    let mode = if metadata.is_dir() {
        0o700
    } else if metadata.is_file() {
        0o600
    } else {
        return Ok(());
    };
    if metadata.permissions().mode() & 0o777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    if metadata.is_dir() {
        for entry in fs::read_dir(path)? {
            make_private(&entry?.path())?;
        }
    }
    Ok(())
}

fn key_file(config: &Config) -> PathBuf {
    config
        .key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("data.key"))
}

/// The data key of the database in `db`: read from `path`; made (0600) when there is no
/// sealed database yet; never made anew for a sealed database, whose secrets it alone opens.
fn data_keys(path: &Path, db: &Path) -> anyhow::Result<DataKeys> {
    match DataKeys::load(path) {
        Ok(keys) => Ok(keys),
        Err(KeyError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            if Store::is_sealed(db)? {
                anyhow::bail!(
                    "the data key {} is missing, and the database {} is sealed with it: restore \
                     the key file from its backup, or point --key-file (SIPPROV_KEY_FILE) at it; \
                     sipprov never makes a new key for a sealed database",
                    path.display(),
                    db.display()
                );
            }
            let keys = DataKeys::generate();
            keys.save(path)?;
            info!(path = %path.display(), "created the data key: back it up apart from the data, which cannot be opened without it");
            Ok(keys)
        }
        Err(error) => Err(error.into()),
    }
}

async fn bind(address: SocketAddr, name: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} for the {name} listener"))
}

/// `https://host:port/` for a listener, naming the machine when it listens on every address.
fn base_url(address: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let host = if address.ip().is_unspecified() {
        fs::read_to_string("/proc/sys/kernel/hostname")
            .map_or_else(|_| "localhost".to_owned(), |h| h.trim().to_owned())
    } else {
        match address {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        }
    };
    format!("{scheme}://{host}:{}/", address.port())
}

fn settings(config: &Config) -> Settings {
    let mut settings = Settings::new(&config.data_dir);
    settings.key_file = key_file(config);
    settings.portal_url = match &config.portal_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => base_url(config.admin_listen, !config.admin_listen.ip().is_loopback())
            .trim_end_matches('/')
            .to_owned(),
    };
    settings.handoff_window =
        SignedDuration::try_from(config.handoff_window).unwrap_or(SignedDuration::from_hours(72));
    settings.handoff_networks = config.handoff_networks.clone();
    settings.unclaimed_limit = config.unclaimed_limit;
    settings.phone_defaults = config.phone_settings.clone();
    settings.phone_url = match &config.phone_url {
        Some(url) => format!("{}/", url.trim_end_matches('/')),
        None => base_url(config.phone_listen, !config.insecure_http_phone),
    };
    settings.firmware_max_bytes = config.limits.max_firmware_bytes;
    settings
}

/// On a fresh installation, creates the first admin token and writes it (mode 0600) where
/// the operator can read it; the token itself never reaches the log.
fn write_initial_token(service: &Service, data_dir: &Path) -> anyhow::Result<()> {
    let Some(token) = service
        .create_initial_token()
        .context("cannot create the first admin token")?
    else {
        return Ok(());
    };
    write_token_file(data_dir, &token.token)?;
    info!(path = %data_dir.join(ADMIN_TOKEN_FILE).display(), "wrote the first admin token (use it as SIPPROV_TOKEN or let the CLI read this file)");
    Ok(())
}

/// `sipprov init --new-admin-token`: a new admin token, whatever tokens exist, written over
/// the token file — the way back in when every admin token is lost. Needs the data directory
/// to itself (the database refuses a second process), so the server must be stopped.
pub fn write_recovery_token(service: &Service, data_dir: &Path) -> anyhow::Result<()> {
    let token = service
        .create_token(&crate::service::TokenInput {
            name: Some("recovery".into()),
            secrets: Some(true),
            ..crate::service::TokenInput::default()
        })
        .context("cannot create a new admin token")?;
    write_token_file(data_dir, &token.token)?;
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    info!(path = %path.display(), id = %token.id, "wrote a new admin token, named recovery");
    println!(
        "A new admin token (id {}) is in {}",
        token.id,
        path.display()
    );
    Ok(())
}

/// Writes a token to the token file, readable by this user only.
fn write_token_file(data_dir: &Path, token: &str) -> anyhow::Result<()> {
    let path: PathBuf = data_dir.join(ADMIN_TOKEN_FILE);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // An older file keeps its mode when truncated: make it private whatever it was.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "{token}")?;
    Ok(())
}

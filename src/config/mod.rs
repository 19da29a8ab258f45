//! The settings of `sipprov serve`: one validated [`Config`], passed explicitly.
//!
//! Built in two stages. First the raw layers: [`ServeArgs`], where clap has already put
//! command-line flags over `SIPPROV_*` environment variables, and the optional TOML file it
//! names (`--config FILE`). Then [`Config::load`] lays flags and environment over the file
//! over the defaults, and checks every value, naming the setting it refuses. Every
//! flag-backed field of `ServeArgs` is an `Option`, so "not given" falls through to the next
//! layer. Insecure choices are off unless asked for (`--insecure-http`).
//!
//! Durations are written `500ms`, `10s`, `30m`, `72h` or `7d`; relative paths are relative to
//! the working directory. The file uses the names of [`Config`]'s fields, with the limits
//! and the throttle in `[limits]` and `[phone_throttle]` tables (the per-address budget as
//! `burst` and `window`, the others prefixed `network_` and `global_`); an unknown key is an
//! error.

mod args;
mod duration;
mod file;

pub use self::args::ServeArgs;
pub use self::duration::HumanDuration;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use self::file::FileSettings;
use crate::http::Limits;
use crate::http::phone::{Budget, Budgets};

/// Why the settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong kind (the message names the key).
    #[error("config file {}", path.display())]
    File {
        path: PathBuf,
        source: toml::de::Error,
    },
    /// A value that parsed but is not allowed.
    #[error("setting {setting} ({flag}): {message}")]
    Invalid {
        /// The file key, dotted for tables: `limits.max_connections`.
        setting: &'static str,
        /// The command-line flag for the same setting.
        flag: &'static str,
        message: String,
    },
}

/// The validated settings of one `sipprov serve`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the database and the first admin token live. Default `./sipprov-data`.
    pub data_dir: PathBuf,
    /// Where `cert.pem` and `key.pem` are read from, and a self-signed pair is generated when
    /// both are missing. Default `./certs`.
    pub certs_dir: PathBuf,
    /// Address of the phone listener. Default `0.0.0.0:8443`.
    pub phone_listen: SocketAddr,
    /// Address of the admin listener (API and web UI). Default `127.0.0.1:8081`.
    pub admin_listen: SocketAddr,
    /// Base URL phones are told to keep polling, without a trailing `/`. `None`: derived
    /// from the `Host` of each phone request.
    pub phone_url: Option<String>,
    /// Base URL of the admin web portal, used in welcome emails, without a trailing `/`.
    /// `None`: derived from `admin_listen`.
    pub portal_url: Option<String>,
    /// How long a newly registered (or re-armed) device may fetch its file once without
    /// credentials. Default 72 h; `0s` disables the first-boot hand-off.
    pub handoff_window: Duration,
    /// When not empty, the credential-less first fetch is accepted only from these networks.
    /// Default empty (any address).
    pub handoff_networks: Vec<IpNet>,
    /// The key file sealing the database's secrets. `None`: `data.key` in `data_dir`.
    pub key_file: Option<PathBuf>,
    /// Directory of templates overriding the built-in ones. Default `None` (built-ins only).
    pub templates_dir: Option<PathBuf>,
    /// Serve phones plain HTTP instead of HTTPS (`--insecure-http`). Default `false`.
    pub insecure_http_phone: bool,
    /// Connection limits, applied to each listener.
    pub limits: Limits,
    /// How many failed phone requests one address, one network and everyone together may
    /// make before requests without valid credentials get `429`.
    pub phone_throttle: Budgets,
    /// Most entries kept in the unclaimed-devices list. Default 1000.
    pub unclaimed_limit: usize,
    /// The provider's phone settings (config file `[phone_settings]`), under every
    /// account's. Default: none (sipprov's own defaults apply).
    pub phone_settings: crate::domain::Settings,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("./sipprov-data"),
            certs_dir: PathBuf::from("./certs"),
            phone_listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            phone_url: None,
            portal_url: None,
            handoff_window: Duration::from_secs(72 * 3600),
            handoff_networks: Vec::new(),
            key_file: None,
            templates_dir: None,
            insecure_http_phone: false,
            limits: Limits::default(),
            phone_throttle: Budgets::default(),
            unclaimed_limit: 1000,
            phone_settings: crate::domain::Settings::default(),
        }
    }
}

impl Config {
    /// Reads the file `args.config` names, if any, and merges flags and environment over it
    /// over the defaults, then validates.
    pub fn load(args: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => FileSettings::read(path)?,
            None => FileSettings::default(),
        };
        Config::merge(args, file)
    }

    fn merge(args: &ServeArgs, file: FileSettings) -> Result<Config, ConfigError> {
        let default = Config::default();
        let duration = |arg: Option<HumanDuration>, file: Option<HumanDuration>, default| {
            arg.or(file)
                .map_or(default, |HumanDuration(duration)| duration)
        };
        let limits = Limits {
            head_timeout: duration(
                args.head_timeout,
                file.limits.head_timeout,
                default.limits.head_timeout,
            ),
            idle_timeout: duration(
                args.idle_timeout,
                file.limits.idle_timeout,
                default.limits.idle_timeout,
            ),
            tls_handshake_timeout: duration(
                args.tls_handshake_timeout,
                file.limits.tls_handshake_timeout,
                default.limits.tls_handshake_timeout,
            ),
            shutdown_grace: duration(
                args.shutdown_grace,
                file.limits.shutdown_grace,
                default.limits.shutdown_grace,
            ),
            max_connections: (args.max_connections.or(file.limits.max_connections))
                .unwrap_or(default.limits.max_connections),
            max_requests_per_connection: (args
                .max_requests_per_connection
                .or(file.limits.max_requests_per_connection))
            .unwrap_or(default.limits.max_requests_per_connection),
            max_header_bytes: (args.max_header_bytes.or(file.limits.max_header_bytes))
                .unwrap_or(default.limits.max_header_bytes),
            max_body_bytes: (args.max_body_bytes.or(file.limits.max_body_bytes))
                .unwrap_or(default.limits.max_body_bytes),
            max_firmware_bytes: (args.max_firmware_bytes.or(file.limits.max_firmware_bytes))
                .unwrap_or(default.limits.max_firmware_bytes),
        };
        let budget = |(arg_burst, file_burst): (Option<u32>, Option<u32>),
                      (arg_window, file_window),
                      default: Budget| Budget {
            burst: arg_burst.or(file_burst).unwrap_or(default.burst),
            window: duration(arg_window, file_window, default.window),
        };
        let insecure_http_phone = args.insecure_http_phone.or(file.insecure_http_phone);
        let config = Config {
            data_dir: args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or(default.data_dir),
            certs_dir: args
                .certs_dir
                .clone()
                .or(file.certs_dir)
                .unwrap_or(default.certs_dir),
            phone_listen: args
                .phone_listen
                .or(file.phone_listen)
                .unwrap_or(default.phone_listen),
            admin_listen: args
                .admin_listen
                .or(file.admin_listen)
                .unwrap_or(default.admin_listen),
            phone_url: args.phone_url.clone().or(file.phone_url),
            portal_url: args.portal_url.clone().or(file.portal_url),
            handoff_window: duration(
                args.handoff_window,
                file.handoff_window,
                default.handoff_window,
            ),
            handoff_networks: (args.handoff_networks.clone().or(file.handoff_networks))
                .unwrap_or(default.handoff_networks),
            key_file: args.key_file.clone().or(file.key_file),
            templates_dir: args.templates_dir.clone().or(file.templates_dir),
            insecure_http_phone: insecure_http_phone.unwrap_or(default.insecure_http_phone),
            limits,
            phone_throttle: Budgets {
                address: budget(
                    (args.throttle_burst, file.phone_throttle.burst),
                    (args.throttle_window, file.phone_throttle.window),
                    default.phone_throttle.address,
                ),
                network: budget(
                    (
                        args.throttle_network_burst,
                        file.phone_throttle.network_burst,
                    ),
                    (
                        args.throttle_network_window,
                        file.phone_throttle.network_window,
                    ),
                    default.phone_throttle.network,
                ),
                global: budget(
                    (args.throttle_global_burst, file.phone_throttle.global_burst),
                    (
                        args.throttle_global_window,
                        file.phone_throttle.global_window,
                    ),
                    default.phone_throttle.global,
                ),
            },
            unclaimed_limit: args
                .unclaimed_limit
                .or(file.unclaimed_limit)
                .unwrap_or(default.unclaimed_limit),
            phone_settings: phone_settings(file.phone_settings.as_ref())?,
        };
        config.validated()
    }

    /// Checks what types alone cannot, and trims the trailing `/` of the URLs.
    fn validated(mut self) -> Result<Config, ConfigError> {
        let limits = self.limits;
        for (setting, flag, duration) in [
            ("limits.head_timeout", "--head-timeout", limits.head_timeout),
            ("limits.idle_timeout", "--idle-timeout", limits.idle_timeout),
            (
                "limits.tls_handshake_timeout",
                "--tls-handshake-timeout",
                limits.tls_handshake_timeout,
            ),
            (
                "phone_throttle.window",
                "--throttle-window",
                self.phone_throttle.address.window,
            ),
            (
                "phone_throttle.network_window",
                "--throttle-network-window",
                self.phone_throttle.network.window,
            ),
            (
                "phone_throttle.global_window",
                "--throttle-global-window",
                self.phone_throttle.global.window,
            ),
        ] {
            check(
                duration > Duration::ZERO,
                setting,
                flag,
                "must be longer than 0s",
            )?;
        }
        check(
            (1..=1_000_000).contains(&limits.max_connections),
            "limits.max_connections",
            "--max-connections",
            "must be between 1 and 1000000",
        )?;
        check(
            (1..=1_000_000).contains(&limits.max_requests_per_connection),
            "limits.max_requests_per_connection",
            "--max-requests-per-connection",
            "must be between 1 and 1000000",
        )?;
        check(
            (1024..=1024 * 1024).contains(&limits.max_header_bytes),
            "limits.max_header_bytes",
            "--max-header-bytes",
            "must be between 1024 and 1048576",
        )?;
        check(
            limits.max_body_bytes > 0,
            "limits.max_body_bytes",
            "--max-body-bytes",
            "must be at least 1",
        )?;
        check(
            limits.max_firmware_bytes > 0,
            "limits.max_firmware_bytes",
            "--max-firmware-bytes",
            "must be at least 1",
        )?;
        for (setting, flag, burst) in [
            (
                "phone_throttle.burst",
                "--throttle-burst",
                self.phone_throttle.address.burst,
            ),
            (
                "phone_throttle.network_burst",
                "--throttle-network-burst",
                self.phone_throttle.network.burst,
            ),
            (
                "phone_throttle.global_burst",
                "--throttle-global-burst",
                self.phone_throttle.global.burst,
            ),
        ] {
            check(burst > 0, setting, flag, "must be at least 1")?;
        }
        check(
            self.admin_listen != self.phone_listen || self.admin_listen.port() == 0,
            "admin_listen",
            "--admin-listen",
            "must differ from phone_listen",
        )?;
        if let Some(url) = self.phone_url.take() {
            let url =
                base_url(&url).map_err(|message| invalid("phone_url", "--phone-url", message))?;
            check(
                self.insecure_http_phone || url.starts_with("https://"),
                "phone_url",
                "--phone-url",
                "is http:// but phones are served HTTPS (see --insecure-http)",
            )?;
            self.phone_url = Some(url);
        }
        if let Some(url) = self.portal_url.take() {
            let url =
                base_url(&url).map_err(|message| invalid("portal_url", "--portal-url", message))?;
            self.portal_url = Some(url);
        }
        Ok(self)
    }
}

/// The `[phone_settings]` table, checked as the API checks an account's `settings`. SRTP
/// `required` is not refused here: whether a registrar is on TLS is each account's matter.
fn phone_settings(
    input: Option<&crate::service::SettingsInput>,
) -> Result<crate::domain::Settings, ConfigError> {
    let mut settings = crate::domain::Settings::default();
    let Some(input) = input else {
        return Ok(settings);
    };
    let mut refused = crate::domain::Invalid::new();
    let patch = crate::service::parse_settings(
        input,
        "phone_",
        crate::domain::Transport::Tls,
        &mut refused,
    );
    if let Err(refused) = refused.into_result() {
        let message = refused
            .fields()
            .iter()
            .map(|(field, why)| format!("{field}: {why}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(invalid("phone_settings", "(config file only)", message));
    }
    settings.apply(&patch);
    Ok(settings)
}

fn invalid(setting: &'static str, flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        flag,
        message: message.into(),
    }
}

fn check(
    ok: bool,
    setting: &'static str,
    flag: &'static str,
    message: &str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(invalid(setting, flag, message))
    }
}

/// An absolute `http` or `https` URL with a host and no query, returned without trailing `/`.
fn base_url(text: &str) -> Result<String, String> {
    let refused = || format!("{text:?} is not a URL like https://host[:port][/path]");
    let uri: http::Uri = text.parse().map_err(|_| refused())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    if !scheme_ok || !host_ok || uri.query().is_some() {
        return Err(refused());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn flags(flags: &[&str]) -> ServeArgs {
        args::parse(flags).unwrap()
    }

    fn file(text: &str) -> FileSettings {
        toml::from_str(text).unwrap()
    }

    const FILE: &str = r#"
        data_dir = "/file/data"
        certs_dir = "/file/certs"
        phone_listen = "0.0.0.0:9443"
        admin_listen = "127.0.0.1:9081"
        insecure_http_phone = true
        handoff_networks = ["10.0.0.0/8"]
        [limits]
        head_timeout = "5s"
        max_connections = 50
        [phone_throttle]
        window = "1h"
        global_burst = 1200
    "#;

    /// What a setting was refused for, or a panic if it was not.
    fn refusal(args: &ServeArgs, file_text: &str) -> (&'static str, String) {
        match Config::merge(args, file(file_text)) {
            Err(ConfigError::Invalid {
                setting, message, ..
            }) => (setting, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn nothing_given_means_the_safe_defaults() {
        let config = Config::merge(&flags(&[]), FileSettings::default()).unwrap();
        assert_eq!(config, Config::default());
        assert!(!config.insecure_http_phone);
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8081");
        assert_eq!(config.limits.head_timeout, Duration::from_secs(10));
        assert_eq!(config.limits.idle_timeout, Duration::from_secs(30));
        assert_eq!(config.handoff_window, Duration::from_secs(72 * 3600));
    }

    #[test]
    fn the_file_overrides_defaults_and_flags_override_the_file() {
        let config = Config::merge(&flags(&[]), file(FILE)).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/file/data"));
        assert_eq!(config.limits.head_timeout, Duration::from_secs(5));
        assert_eq!(config.limits.idle_timeout, Duration::from_secs(30));
        assert_eq!(config.limits.max_connections, 50);
        assert_eq!(
            config.phone_throttle.address.window,
            Duration::from_secs(3600)
        );
        assert_eq!(config.phone_throttle.address.burst, 20);
        assert_eq!(config.phone_throttle.global.burst, 1200);
        assert_eq!(
            config.phone_throttle.global.window,
            Duration::from_secs(600),
            "the default where the file says nothing"
        );
        assert!(config.insecure_http_phone);

        let args = flags(&[
            "--data=/flag/data",
            "--head-timeout=250ms",
            "--handoff-network=192.168.1.0/24",
            "--handoff-network=fd00::/8",
            "--insecure-http=false",
            "--throttle-global-burst=300",
            "--throttle-network-window=1m",
        ]);
        let config = Config::merge(&args, file(FILE)).unwrap();
        assert_eq!(config.phone_throttle.global.burst, 300);
        assert_eq!(
            config.phone_throttle.network.window,
            Duration::from_secs(60)
        );
        assert_eq!(config.data_dir, PathBuf::from("/flag/data"));
        assert_eq!(config.certs_dir, PathBuf::from("/file/certs"));
        assert_eq!(config.limits.head_timeout, Duration::from_millis(250));
        assert_eq!(config.limits.max_connections, 50);
        let networks: Vec<String> = config
            .handoff_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(networks, ["192.168.1.0/24", "fd00::/8"]);
        assert!(!config.insecure_http_phone);
    }

    /// Sets environment variables by running this very test again in a child process: the
    /// only way without `std::env::set_var`, which is unsafe in edition 2024.
    #[test]
    fn the_environment_sits_between_the_file_and_flags() {
        if std::env::var_os("SIPPROV_TEST_CHILD").is_none() {
            let output = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "config::tests::the_environment_sits_between_the_file_and_flags",
                ])
                .env("SIPPROV_TEST_CHILD", "1")
                .env("SIPPROV_DATA_DIR", "/env/data")
                .env("SIPPROV_ADMIN_LISTEN", "127.0.0.1:7001")
                .env("SIPPROV_INSECURE_HTTP", "no")
                .env("SIPPROV_HANDOFF_NETWORKS", "10.1.0.0/16,10.2.0.0/16")
                .env("SIPPROV_IDLE_TIMEOUT", "45s")
                .env("SIPPROV_THROTTLE_NETWORK_BURST", "90")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                stdout.contains("1 passed"),
                "the child ran no test: {stdout}"
            );
            return;
        }
        let config = Config::merge(&flags(&["--admin-listen=127.0.0.1:7002"]), file(FILE)).unwrap();
        assert_eq!(
            config.data_dir,
            PathBuf::from("/env/data"),
            "environment over file"
        );
        assert!(!config.insecure_http_phone, "environment over file");
        assert_eq!(config.handoff_networks.len(), 2);
        assert_eq!(
            config.limits.idle_timeout,
            Duration::from_secs(45),
            "environment over default"
        );
        assert_eq!(config.phone_throttle.network.burst, 90);
        assert_eq!(
            config.certs_dir,
            PathBuf::from("/file/certs"),
            "file where nothing else"
        );
        assert_eq!(
            config.admin_listen.to_string(),
            "127.0.0.1:7002",
            "flag over environment"
        );
    }

    #[test]
    fn a_refused_value_names_its_setting() {
        let none = flags(&[]);
        assert_eq!(
            refusal(&flags(&["--max-connections=0"]), "").0,
            "limits.max_connections"
        );
        assert_eq!(
            refusal(&none, "[limits]\nmax_header_bytes = 10").0,
            "limits.max_header_bytes"
        );
        assert_eq!(
            refusal(&none, "[limits]\nidle_timeout = \"0s\"").0,
            "limits.idle_timeout"
        );
        assert_eq!(
            refusal(&none, "[phone_throttle]\nburst = 0").0,
            "phone_throttle.burst"
        );
        assert_eq!(
            refusal(&flags(&["--throttle-network-burst=0"]), "").0,
            "phone_throttle.network_burst"
        );
        assert_eq!(
            refusal(&none, "[phone_throttle]\nglobal_window = \"0s\"").0,
            "phone_throttle.global_window"
        );
        assert_eq!(
            refusal(&flags(&["--admin-listen=0.0.0.0:8443"]), "").0,
            "admin_listen"
        );
        assert_eq!(
            refusal(&flags(&["--portal-url=example.com"]), "").0,
            "portal_url"
        );
        let (setting, message) = refusal(&flags(&["--phone-url=http://prov.example.com"]), "");
        assert_eq!(setting, "phone_url");
        assert!(message.contains("--insecure-http"), "{message}");

        let error =
            Config::merge(&flags(&["--max-connections=0"]), FileSettings::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "setting limits.max_connections (--max-connections): must be between 1 and 1000000"
        );
    }

    #[test]
    fn urls_lose_their_trailing_slash() {
        let args = flags(&[
            "--phone-url=https://prov.example.com:8443/",
            "--portal-url=http://admin.local/ui/",
        ]);
        let config = Config::merge(&args, FileSettings::default()).unwrap();
        assert_eq!(
            config.phone_url.as_deref(),
            Some("https://prov.example.com:8443")
        );
        assert_eq!(config.portal_url.as_deref(), Some("http://admin.local/ui"));
    }

    #[test]
    fn load_reads_the_named_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("sipprov.toml");
        std::fs::write(&path, FILE).unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..ServeArgs::default()
        };
        assert_eq!(
            Config::load(&args).unwrap().data_dir,
            PathBuf::from("/file/data")
        );

        let args = ServeArgs {
            config: Some(directory.path().join("missing.toml")),
            ..ServeArgs::default()
        };
        assert!(matches!(Config::load(&args), Err(ConfigError::Read { .. })));
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    /// The example file of the repository is a valid configuration equal to the defaults.
    #[test]
    fn the_example_file_states_the_defaults() {
        let args = ServeArgs {
            config: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sipprov.example.toml")),
            ..ServeArgs::default()
        };
        assert_eq!(Config::load(&args).unwrap(), Config::default());
    }

    /// `[phone_settings]` is checked as the API checks a `settings` object.
    #[test]
    fn phone_settings_are_checked_at_startup() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sipprov.toml");
        let args = ServeArgs {
            config: Some(file.clone()),
            ..ServeArgs::default()
        };
        std::fs::write(
            &file,
            "[phone_settings]\ncodecs = [\"g722\", \"pcmu\"]\n[phone_settings.raw]\n\"features.dnd.allow\" = \"0\"\n",
        )
        .unwrap();
        let config = Config::load(&args).unwrap();
        assert_eq!(config.phone_settings.raw["features.dnd.allow"], "0");
        assert_eq!(config.phone_settings.codecs.map(|c| c.len()), Some(2));
        std::fs::write(
            &file,
            "[phone_settings.raw]\n\"static.auto_provision.server.url\" = \"https://evil.example.com\"\n",
        )
        .unwrap();
        let refused = Config::load(&args).unwrap_err().to_string();
        assert!(
            refused.contains("phone_settings")
                && refused.contains("phone_settings.raw.static.auto_provision.server.url"),
            "{refused}"
        );
    }
}

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
//! and the throttle in `[limits]` and `[phone_throttle]` tables; an unknown key is an error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use ipnet::IpNet;
use serde::Deserialize;

use crate::http::Limits;

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
    /// Directory of templates overriding the built-in ones. Default `None` (built-ins only).
    pub templates_dir: Option<PathBuf>,
    /// Serve phones plain HTTP instead of HTTPS (`--insecure-http`). Default `false`.
    pub insecure_http_phone: bool,
    /// Connection limits, applied to each listener.
    pub limits: Limits,
    /// How many failed phone requests one address may make before it gets `429`.
    pub phone_throttle: PhoneThrottle,
    /// Most entries kept in the unclaimed-devices list. Default 1000.
    pub unclaimed_limit: usize,
}

/// The failure budget of one client address on the phone listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneThrottle {
    /// Failed requests allowed at once. Default 20.
    pub burst: u32,
    /// Time over which a spent budget is fully regained. Default 10 minutes.
    pub window: Duration,
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
            templates_dir: None,
            insecure_http_phone: false,
            limits: Limits::default(),
            phone_throttle: PhoneThrottle {
                burst: 20,
                window: Duration::from_secs(600),
            },
            unclaimed_limit: 1000,
        }
    }
}

/// The flags of `sipprov serve`; each also reads a `SIPPROV_*` environment variable, which a
/// flag overrides. Embed with `#[command(flatten)]` or as a subcommand's arguments.
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct ServeArgs {
    /// TOML file of settings; environment variables and flags override it
    #[arg(long, env = "SIPPROV_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./sipprov-data]
    #[arg(long = "data", env = "SIPPROV_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of cert.pem and key.pem, generated self-signed if both are missing
    /// [default: ./certs]
    #[arg(long = "certs", env = "SIPPROV_CERTS_DIR", value_name = "DIR")]
    pub certs_dir: Option<PathBuf>,
    /// Phone listener address [default: 0.0.0.0:8443]
    #[arg(long, env = "SIPPROV_PHONE_LISTEN", value_name = "ADDR")]
    pub phone_listen: Option<SocketAddr>,
    /// Admin listener address [default: 127.0.0.1:8081]
    #[arg(long, env = "SIPPROV_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Base URL phones are told to poll [default: from each request's Host]
    #[arg(long, env = "SIPPROV_PHONE_URL", value_name = "URL")]
    pub phone_url: Option<String>,
    /// Base URL of the admin portal, for welcome emails [default: from the admin address]
    #[arg(long, env = "SIPPROV_PORTAL_URL", value_name = "URL")]
    pub portal_url: Option<String>,
    /// How long a new device may fetch once without credentials [default: 72h]
    #[arg(long, env = "SIPPROV_HANDOFF_WINDOW", value_name = "DURATION")]
    pub handoff_window: Option<HumanDuration>,
    /// Accept the credential-less first fetch only from this network (repeatable; the
    /// variable takes a comma-separated list) [default: any]
    #[arg(
        long = "handoff-network",
        env = "SIPPROV_HANDOFF_NETWORKS",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub handoff_networks: Option<Vec<IpNet>>,
    /// Directory of templates overriding the built-in ones
    #[arg(long = "templates", env = "SIPPROV_TEMPLATES_DIR", value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    /// Serve phones plain HTTP instead of HTTPS: their SIP passwords cross the network in clear
    #[arg(
        long = "insecure-http",
        env = "SIPPROV_INSECURE_HTTP",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new()
    )]
    pub insecure_http_phone: Option<bool>,
    /// Time allowed for a request's head [default: 10s]
    #[arg(
        long,
        env = "SIPPROV_HEAD_TIMEOUT",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub head_timeout: Option<HumanDuration>,
    /// Idle keep-alive connections are closed after this [default: 30s]
    #[arg(
        long,
        env = "SIPPROV_IDLE_TIMEOUT",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub idle_timeout: Option<HumanDuration>,
    /// Time allowed for a TLS handshake [default: 10s]
    #[arg(
        long,
        env = "SIPPROV_TLS_HANDSHAKE_TIMEOUT",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub tls_handshake_timeout: Option<HumanDuration>,
    /// Time requests in flight get to finish on shutdown [default: 10s]
    #[arg(
        long,
        env = "SIPPROV_SHUTDOWN_GRACE",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub shutdown_grace: Option<HumanDuration>,
    /// Open connections per listener [default: 10000]
    #[arg(
        long,
        env = "SIPPROV_MAX_CONNECTIONS",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_connections: Option<usize>,
    /// Largest request head in bytes [default: 16384]
    #[arg(
        long,
        env = "SIPPROV_MAX_HEADER_BYTES",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_header_bytes: Option<usize>,
    /// Largest request body in bytes [default: 1048576]
    #[arg(
        long,
        env = "SIPPROV_MAX_BODY_BYTES",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_body_bytes: Option<usize>,
    /// Failed phone requests one address may make at once before 429 [default: 20]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_BURST",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub throttle_burst: Option<u32>,
    /// Time over which --throttle-burst is fully regained [default: 10m]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_WINDOW",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub throttle_window: Option<HumanDuration>,
    /// Most devices kept in the unclaimed list [default: 1000]
    #[arg(
        long,
        env = "SIPPROV_UNCLAIMED_LIMIT",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub unclaimed_limit: Option<usize>,
}

/// The config file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    certs_dir: Option<PathBuf>,
    phone_listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    phone_url: Option<String>,
    portal_url: Option<String>,
    handoff_window: Option<HumanDuration>,
    handoff_networks: Option<Vec<IpNet>>,
    templates_dir: Option<PathBuf>,
    insecure_http_phone: Option<bool>,
    unclaimed_limit: Option<usize>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    phone_throttle: FileThrottle,
}

/// The `[limits]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    head_timeout: Option<HumanDuration>,
    idle_timeout: Option<HumanDuration>,
    tls_handshake_timeout: Option<HumanDuration>,
    shutdown_grace: Option<HumanDuration>,
    max_connections: Option<usize>,
    max_header_bytes: Option<usize>,
    max_body_bytes: Option<usize>,
}

/// The `[phone_throttle]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileThrottle {
    burst: Option<u32>,
    window: Option<HumanDuration>,
}

impl FileSettings {
    fn read(path: &Path) -> Result<FileSettings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::File {
            path: path.to_owned(),
            source,
        })
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
            max_header_bytes: (args.max_header_bytes.or(file.limits.max_header_bytes))
                .unwrap_or(default.limits.max_header_bytes),
            max_body_bytes: (args.max_body_bytes.or(file.limits.max_body_bytes))
                .unwrap_or(default.limits.max_body_bytes),
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
            templates_dir: args.templates_dir.clone().or(file.templates_dir),
            insecure_http_phone: insecure_http_phone.unwrap_or(default.insecure_http_phone),
            limits,
            phone_throttle: PhoneThrottle {
                burst: (args.throttle_burst.or(file.phone_throttle.burst))
                    .unwrap_or(default.phone_throttle.burst),
                window: duration(
                    args.throttle_window,
                    file.phone_throttle.window,
                    default.phone_throttle.window,
                ),
            },
            unclaimed_limit: args
                .unclaimed_limit
                .or(file.unclaimed_limit)
                .unwrap_or(default.unclaimed_limit),
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
                self.phone_throttle.window,
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
            self.phone_throttle.burst > 0,
            "phone_throttle.burst",
            "--throttle-burst",
            "must be at least 1",
        )?;
        check(
            self.admin_listen != self.phone_listen,
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

/// A duration written with a unit: `500ms`, `10s`, `30m`, `72h`, `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<HumanDuration, String> {
        let refused = || format!("{text:?} is not a duration like 500ms, 10s, 30m, 72h or 7d");
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let number: u64 = number.parse().map_err(|_| refused())?;
        let unit_millis = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60 * 1000,
            "h" => 3600 * 1000,
            "d" => 24 * 3600 * 1000,
            _ => return Err(refused()),
        };
        let millis = number.checked_mul(unit_millis).ok_or_else(refused)?;
        Ok(HumanDuration(Duration::from_millis(millis)))
    }
}

impl TryFrom<String> for HumanDuration {
    type Error = String;

    fn try_from(text: String) -> Result<HumanDuration, String> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn flags(flags: &[&str]) -> ServeArgs {
        let argv = std::iter::once("sipprov").chain(flags.iter().copied());
        Cli::try_parse_from(argv).unwrap().serve
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
        assert_eq!(config.phone_throttle.window, Duration::from_secs(3600));
        assert_eq!(config.phone_throttle.burst, 20);
        assert!(config.insecure_http_phone);

        let args = flags(&[
            "--data=/flag/data",
            "--head-timeout=250ms",
            "--handoff-network=192.168.1.0/24",
            "--handoff-network=fd00::/8",
            "--insecure-http=false",
        ]);
        let config = Config::merge(&args, file(FILE)).unwrap();
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
    fn the_flags_are_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn the_insecure_http_flag_is_off_unless_given() {
        assert_eq!(flags(&[]).insecure_http_phone, None);
        assert_eq!(flags(&["--insecure-http"]).insecure_http_phone, Some(true));
        assert_eq!(
            flags(&["--insecure-http=false"]).insecure_http_phone,
            Some(false)
        );
        assert!(Cli::try_parse_from(["sipprov", "--insecure-http=maybe"]).is_err());
    }

    #[test]
    fn an_unknown_file_key_is_named() {
        for (text, key) in [
            ("data_directory = \"x\"", "data_directory"),
            ("[limits]\nmax_conections = 5", "max_conections"),
        ] {
            let error = toml::from_str::<FileSettings>(text).unwrap_err();
            assert!(error.to_string().contains(key), "{error}");
        }
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
    fn durations_need_a_unit() {
        let parse = |text: &str| {
            text.parse::<HumanDuration>()
                .map(|HumanDuration(duration)| duration)
        };
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("72h"), Ok(Duration::from_secs(72 * 3600)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86400)));
        for text in [
            "",
            "10",
            "s",
            "1.5s",
            "-1s",
            "10 s",
            "99999999999999999999d",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        assert!(Cli::try_parse_from(["sipprov", "--head-timeout=10"]).is_err());
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

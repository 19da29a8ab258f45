//! The flags of `sipprov serve`, each with its `SIPPROV_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use ipnet::IpNet;

use super::HumanDuration;

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
    /// The data key that seals the database's secrets (created 0600 on a new data
    /// directory; never recreated for an existing one) [default: <data>/data.key]
    #[arg(long = "key-file", env = "SIPPROV_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
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
    /// Requests served on one connection before it is closed [default: 1000]
    #[arg(
        long,
        env = "SIPPROV_MAX_REQUESTS_PER_CONNECTION",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_requests_per_connection: Option<usize>,
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
    /// Largest firmware image an upload may hold, in bytes [default: 268435456]
    #[arg(
        long,
        env = "SIPPROV_MAX_FIRMWARE_BYTES",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub max_firmware_bytes: Option<u64>,
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
    /// Failed phone requests one network (IPv4 /24, IPv6 /56) may make at once before 429
    /// [default: 60]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_NETWORK_BURST",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub throttle_network_burst: Option<u32>,
    /// Time over which --throttle-network-burst is fully regained [default: 10m]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_NETWORK_WINDOW",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub throttle_network_window: Option<HumanDuration>,
    /// Failed phone requests all clients together may make at once before 429 [default: 600]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_GLOBAL_BURST",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub throttle_global_burst: Option<u32>,
    /// Time over which --throttle-global-burst is fully regained [default: 10m]
    #[arg(
        long,
        env = "SIPPROV_THROTTLE_GLOBAL_WINDOW",
        value_name = "DURATION",
        help_heading = "Limits"
    )]
    pub throttle_global_window: Option<HumanDuration>,
    /// Most devices kept in the unclaimed list [default: 1000]
    #[arg(
        long,
        env = "SIPPROV_UNCLAIMED_LIMIT",
        value_name = "N",
        help_heading = "Limits"
    )]
    pub unclaimed_limit: Option<usize>,
}

/// Parses `flags` as `sipprov serve` would (with the environment as it is).
#[cfg(test)]
pub(super) fn parse(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }
    let argv = std::iter::once("sipprov").chain(flags.iter().copied());
    Cli::try_parse_from(argv).map(|cli| cli.serve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(flags: &[&str]) -> ServeArgs {
        parse(flags).unwrap()
    }

    #[test]
    fn the_flags_are_well_formed() {
        use clap::{Command, FromArgMatches};

        let command = <ServeArgs as clap::Args>::augment_args(Command::new("sipprov"));
        command.clone().debug_assert();
        let matches = command
            .try_get_matches_from(["sipprov", "--data=/d"])
            .unwrap();
        let args = ServeArgs::from_arg_matches(&matches).unwrap();
        assert_eq!(args.data_dir, Some(PathBuf::from("/d")));
    }

    #[test]
    fn the_insecure_http_flag_is_off_unless_given() {
        assert_eq!(parsed(&[]).insecure_http_phone, None);
        assert_eq!(parsed(&["--insecure-http"]).insecure_http_phone, Some(true));
        assert_eq!(
            parsed(&["--insecure-http=false"]).insecure_http_phone,
            Some(false)
        );
        assert!(parse(&["--insecure-http=maybe"]).is_err());
    }

    #[test]
    fn durations_and_addresses_are_checked_when_parsed() {
        assert!(parse(&["--head-timeout=10"]).is_err());
        assert!(parse(&["--admin-listen=localhost:8081"]).is_err());
        assert!(parse(&["--handoff-network=10.0.0.1"]).is_err());
    }
}

//! The optional TOML config file: every key optional, unknown keys refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use super::{ConfigError, HumanDuration};

/// The config file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSettings {
    pub(super) data_dir: Option<PathBuf>,
    pub(super) certs_dir: Option<PathBuf>,
    pub(super) phone_listen: Option<SocketAddr>,
    pub(super) admin_listen: Option<SocketAddr>,
    pub(super) phone_url: Option<String>,
    pub(super) portal_url: Option<String>,
    pub(super) handoff_window: Option<HumanDuration>,
    pub(super) handoff_networks: Option<Vec<IpNet>>,
    pub(super) key_file: Option<PathBuf>,
    pub(super) templates_dir: Option<PathBuf>,
    pub(super) insecure_http_phone: Option<bool>,
    pub(super) unclaimed_limit: Option<usize>,
    #[serde(default)]
    pub(super) limits: FileLimits,
    #[serde(default)]
    pub(super) phone_throttle: FileThrottle,
    /// The provider's phone settings: the API's `settings` object as a table.
    pub(super) phone_settings: Option<crate::service::SettingsInput>,
}

/// The `[limits]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileLimits {
    pub(super) head_timeout: Option<HumanDuration>,
    pub(super) idle_timeout: Option<HumanDuration>,
    pub(super) tls_handshake_timeout: Option<HumanDuration>,
    pub(super) shutdown_grace: Option<HumanDuration>,
    pub(super) max_connections: Option<usize>,
    pub(super) max_requests_per_connection: Option<usize>,
    pub(super) max_header_bytes: Option<usize>,
    pub(super) max_body_bytes: Option<usize>,
    pub(super) max_firmware_bytes: Option<u64>,
}

/// The `[phone_throttle]` table: the per-address budget, then the network and global ones.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileThrottle {
    pub(super) burst: Option<u32>,
    pub(super) window: Option<HumanDuration>,
    pub(super) network_burst: Option<u32>,
    pub(super) network_window: Option<HumanDuration>,
    pub(super) global_burst: Option<u32>,
    pub(super) global_window: Option<HumanDuration>,
}

impl FileSettings {
    pub(super) fn read(path: &Path) -> Result<FileSettings, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

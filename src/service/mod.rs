//! The use cases: the only writer of the store.
//!
//! Each public method is one use case and runs as one store write (see `store`): it parses
//! every input field into domain types, applies the rules of DESIGN.md §3, checks
//! uniqueness, and writes — or refuses with every failing field named and writes nothing.
//! Inputs and outputs are named after the fields of the admin API (DESIGN.md §5), so the
//! HTTP layer only translates.
//!
//! Methods block (sled I/O, fsync, Argon2); async callers run them on a blocking thread.

mod accounts;
mod bulk;
mod credentials;
mod data_key;
mod device_file;
mod devices;
mod directory;
mod firmware;
mod firmware_download;
mod firmware_targets;
mod line_keys;
mod lines;
mod numbers;
mod portal;
mod profiles;
mod provisioning;
pub(crate) mod schema;
mod settings;
mod tokens;
mod user_form;
mod users;
mod views;
mod welcome;

use std::path::PathBuf;

use ipnet::IpNet;
use jiff::{SignedDuration, Timestamp};
use thiserror::Error;

use crate::domain::Invalid;
use crate::render::Renderer;
use crate::store::{Store, StoreError, Unique};
use crate::vendors::Catalogue;

pub use accounts::{AccountInput, NumberInput, NumberingInput, RegistrarInput};
pub use bulk::{BulkInput, BulkOutcome, OrderSummary};
pub use credentials::{Credentials, DigestResponse};
pub use data_key::KeyRotation;
pub use devices::{ArmInput, ClaimInput, DeviceInput, ReplaceInput};
pub use directory::{LookupCounts, Subscriber, SubscriberList};
pub use firmware::{
    DeviceFirmwareView, FirmwareUploadInput, FirmwareView, ImageSpec, PinInput, PinView,
    StageError, StagedImage,
};
pub use line_keys::{LineKeyInput, LineKeysInput, LineKeysView};
pub use lines::LineInput;
pub use portal::LinkState;
pub use provisioning::{FailureAllowance, PhoneAnswer, PhoneRequest};
pub use settings::{
    DeviceUpdate, EffectiveView, ProfileInput, ProfileView, SettingsInput, SourcedValue,
    parse_settings,
};
pub use tokens::{NewToken, TokenInput};
pub use user_form::{DeviceLineInput, UserInput, UserNumberInput, VoicemailInput};
pub use users::UserQuery;
pub use views::{
    AccountView, DeviceView, LineView, NumberView, Page, ProvisioningView, SipView, TokenView,
    UnclaimedView, UserLineView, UserView, mask_secrets,
};

/// Digest nonces whose counts are remembered (about 100 bytes each): far more than the
/// phones answering challenges within a nonce's five minutes.
const NONCE_COUNTS: usize = 100_000;

/// What the use cases need to know about the deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where welcome messages are written as `.eml` files.
    pub outbox: PathBuf,
    /// Base URL of the admin web portal, for the links in welcome messages.
    pub portal_url: String,
    /// How long a newly registered or re-armed device may fetch once without credentials.
    pub handoff_window: SignedDuration,
    /// When not empty, hand-off fetches must come from these networks.
    pub handoff_networks: Vec<IpNet>,
    /// How long a set-password link stays valid.
    pub password_link_lifetime: SignedDuration,
    /// Most unclaimed devices remembered; the longest unseen are forgotten first, those
    /// that look like real phones after the others.
    pub unclaimed_limit: usize,
    /// Fetches kept in each device's audit.
    pub audit_limit: usize,
    /// The sender of welcome messages.
    pub mail_from: String,
    /// Time servers written into common files.
    pub ntp_servers: Vec<String>,
    /// The provider's phone settings (config file `[phone_settings]`), under every
    /// account's.
    pub phone_defaults: crate::domain::Settings,
    /// The phone listener's URL as phones know it, for previews of device files.
    pub phone_url: String,
    /// The data key file, rewritten by a key rotation.
    pub key_file: PathBuf,
    /// Where firmware images are kept, as `<sha256>.rom`.
    pub firmware_dir: PathBuf,
    /// The largest firmware image an upload may hold, in bytes.
    pub firmware_max_bytes: u64,
}

/// The default largest firmware image: 256 MiB (Yealink images are tens of MiB).
pub const FIRMWARE_MAX_BYTES: u64 = 256 * 1024 * 1024;

impl Settings {
    /// Defaults for a data directory: the outbox inside it, a loopback portal URL.
    pub fn new(data_dir: &std::path::Path) -> Settings {
        Settings {
            outbox: data_dir.join("outbox"),
            portal_url: "http://127.0.0.1:8081".into(),
            handoff_window: SignedDuration::from_hours(72),
            handoff_networks: Vec::new(),
            password_link_lifetime: SignedDuration::from_hours(72),
            unclaimed_limit: 1000,
            audit_limit: 100,
            mail_from: "sipprov <noreply@sipprov.invalid>".into(),
            ntp_servers: vec!["0.pool.ntp.org".into(), "1.pool.ntp.org".into()],
            phone_defaults: crate::domain::Settings::default(),
            phone_url: "https://127.0.0.1:8443/".into(),
            key_file: data_dir.join("data.key"),
            firmware_dir: data_dir.join("firmware"),
            firmware_max_bytes: FIRMWARE_MAX_BYTES,
        }
    }
}

/// The use cases over one store.
#[derive(Debug)]
pub struct Service {
    store: Store,
    catalogue: &'static Catalogue,
    renderer: Renderer,
    settings: Settings,
    /// Registrar directory lookups answered since start.
    lookups: directory::Lookups,
    /// Digest nonce counts already used by phones, to refuse replays.
    nonce_counts: credentials::NonceCounts,
    /// Held by the data key rotation in progress.
    rotations: data_key::Rotations,
    /// When each token was last presented, saved now and then by `save_token_uses`.
    token_uses: std::sync::Mutex<std::collections::HashMap<crate::domain::TokenId, Timestamp>>,
}

/// Why a use case was refused or failed.
#[derive(Debug, Error)]
pub enum Error {
    /// Rule violations, every failing field named (HTTP 422).
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    /// A value that must be unique is already taken, or the record is in use (HTTP 409).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// No such record (HTTP 404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not do this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed (HTTP 500; details logged, never shown).
    #[error(transparent)]
    Store(StoreError),
    /// A template failed to render (HTTP 500).
    #[error("rendering failed: {0}")]
    Render(String),
    /// The welcome message could not be written (HTTP 500).
    #[error("cannot write to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    /// A firmware image could not be written, renamed or removed (HTTP 500).
    #[error("firmware repository: {0}")]
    Firmware(std::io::Error),
    /// The data key file could not be written (HTTP 500).
    #[error(transparent)]
    DataKey(#[from] crate::secret::KeyError),
}

impl Error {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Error {
        Error::Invalid(Invalid::field(field, message))
    }

    pub(crate) fn conflict(field: &str, message: impl Into<String>) -> Error {
        Error::Conflict {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Error {
        Error::Invalid(invalid)
    }
}

impl From<StoreError> for Error {
    /// A unique index refusing a write becomes a conflict on the field it guards; use cases
    /// check uniqueness first with better messages, so this is the backstop.
    fn from(error: StoreError) -> Error {
        match error {
            StoreError::Taken(unique) => {
                let field = match unique {
                    Unique::AccountDomain => "domain",
                    Unique::UserExtension => "extension",
                    Unique::UserUsername => "username",
                    Unique::UserEmail => "email",
                    Unique::LineSipUser => "sip_username",
                    Unique::Number => "numbers",
                };
                Error::conflict(field, "is already taken")
            }
            other => Error::Store(other),
        }
    }
}

impl Service {
    pub fn new(
        store: Store,
        catalogue: &'static Catalogue,
        renderer: Renderer,
        settings: Settings,
    ) -> Service {
        Service {
            store,
            catalogue,
            renderer,
            settings,
            lookups: directory::Lookups::default(),
            nonce_counts: credentials::NonceCounts::new(NONCE_COUNTS),
            rotations: data_key::Rotations::default(),
            token_uses: std::sync::Mutex::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The templates, for the web UI's pages.
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

#[cfg(test)]
mod settings_tests;
#[cfg(test)]
mod tests;

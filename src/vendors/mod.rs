//! The device catalogue as data: for each vendor and model, the file names its phones
//! request, how to read their User-Agent, how many SIP accounts (lines) and DECT handsets it
//! has, which templates render its files, and the vendor's words for languages and time zones.
//!
//! The facts live in `data/vendors/<vendor>.toml` (one row per model) and
//! `data/yealink-timezones.tsv`, compiled into the binary and parsed once by
//! [`Catalogue::init`]; adding a model is a row, not code. This module does no I/O and knows
//! nothing of HTTP, templates or storage: it answers questions — which model is `SIP-T46S`,
//! what is `00156574b150.cfg`, what does this User-Agent claim, does this unknown device
//! look like a real phone, what does Yealink call `Europe/Paris`.

mod catalogue;
mod dst;
mod file_name;
mod firmware;
mod locale;
mod model;
mod plausibility;
mod recheck;
pub mod settings;
mod user_agent;

pub use catalogue::{Catalogue, CatalogueError};
pub use dst::{ManualDst, dst_year};
pub use file_name::{FileNameMatch, FileNamePattern, PhoneFile};
pub use firmware::{FirmwareRelease, FirmwareVersion, respell_static_keys};
pub use locale::{LanguageNames, YealinkTime};
pub use model::{
    Cells, Dect, Languages, Model, Syntax, Templates, TransportCodes, UserAgentFormat, Vendor,
};
pub use recheck::RecheckWindow;
pub use user_agent::UserAgent;

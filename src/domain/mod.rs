//! Parsed types and the rules of the user-creation core. No I/O.
//!
//! Every identifier an admin or a phone sends is parsed into one of these types at the edge
//! (`Mac`, `Extension`, `Username`, `Email`, `E164` …); the records (`Account`, `User`,
//! `Device`) hold only parsed values, and every rule of DESIGN.md §3 is a pure function here,
//! unit-tested beside it. Use cases in `service` combine them with the store.

mod account;
mod credentials;
mod device;
mod error;
mod extension;
mod firmware;
mod identity;
pub mod line_key;
mod locale;
mod mac;
mod phone_number;
pub mod settings;
mod text;
mod token;
mod user;

pub use account::{
    Account, AccountId, DeviceAuth, ProvisioningCredentials, Registrar, SipRoute, SipServer,
    Transport, calling_plan, group_name, registrar_host, sip_domain,
};
pub use credentials::{Secret, SipUsername, VoicemailPin, portal_password};
pub use device::{
    Device, Fetch, FetchOutcome, HandOff, Line, ModelMismatch, SipCredentials, Unclaimed,
    WebPasswords, line_number,
};
pub use error::{Invalid, ParseError};
pub use extension::{Extension, ExtensionRange, NumberingPlan};
pub use firmware::{
    FirmwareImage, FirmwarePin, FirmwareVersion, ImageDigest, Percent, PinScope, Stage,
    effective_pin, stage_bucket,
};
pub use identity::{Email, Username, app_username, is_dns_name};
pub use locale::{Language, TimeZone};
pub use mac::Mac;
pub use phone_number::{AreaCode, E164, PoolNumber, number_and_area_code};
pub use settings::{Effective, Settings, SettingsPatch, Source};
pub use text::{Tag, line_of_text, optional_text, tags};
pub use token::{AccountScope, AdminToken, PasswordLink, TokenId, TokenScope};
pub use user::{
    AdminLevel, FeaturePlan, Role, SystemTag, User, UserId, UserStatus, UserType, Voicemail,
    system_tags, welcome_due,
};

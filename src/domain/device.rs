//! `Device`: a desk phone or DECT base known by its MAC, its `Line`s, and the state of its
//! first-boot hand-off.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ParseError;
use super::account::{AccountId, ProvisioningCredentials};
use super::credentials::{Secret, SipUsername};
use super::mac::Mac;
use super::settings::Settings;
use super::user::UserId;

/// A registered device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Unique across all accounts.
    pub mac: Mac,
    pub account: AccountId,
    /// Vendor of the catalogue entry (`yealink`).
    pub vendor: String,
    /// Model name from the catalogue (`T46S`, `W60B`).
    pub model: String,
    /// Where the device is, as the admin describes it.
    pub label: Option<String>,
    /// What this device presents when fetching its file (unless its account uses one
    /// account-wide credential).
    pub provisioning: ProvisioningCredentials,
    pub handoff: HandOff,
    /// Line number (1-based) → line.
    pub lines: BTreeMap<u16, Line>,
    /// The logins of the device's own web page and menu; `None` only in records written
    /// before schema 4, which the store's upgrade fills.
    #[serde(default)]
    pub web_passwords: Option<WebPasswords>,
    /// The account's profile this device takes its settings from, if any.
    #[serde(default)]
    pub profile: Option<String>,
    /// Phone settings of this device alone (over its profile's and its account's).
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    pub created_at: Timestamp,
    /// The last request with valid credentials (or through the hand-off) whose User-Agent
    /// named a model of another family, refused: the device is registered as the wrong
    /// model, or another phone holds its credentials. `None` until the first.
    #[serde(default)]
    pub model_mismatch: Option<ModelMismatch>,
}

/// Requests refused because their User-Agent named a model of another family than the
/// device's (`FetchOutcome::ModelMismatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelMismatch {
    /// When the last one came.
    #[schema(value_type = String, format = DateTime)]
    pub last_at: Timestamp,
    /// Its User-Agent, as sent.
    pub user_agent: String,
    /// The catalogue model that User-Agent named (`T46S`).
    pub model: String,
    /// How many were refused so.
    pub count: u32,
}

/// The passwords of a device's two built-in logins (Yealink: `admin`, with every right on
/// its web page, and `user`): generated for each device, so no phone keeps its factory
/// `admin`/`admin` and no two devices share one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebPasswords {
    pub admin: Secret,
    pub user: Secret,
}

/// One SIP account of a device, bound to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub number: u16,
    pub user: UserId,
    /// Shown on the phone (and as the handset name on a DECT base).
    pub name: String,
    pub sip: SipCredentials,
}

/// A line's SIP credentials, as the registrar must also accept them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SipCredentials {
    /// Unique in the account's SIP domain.
    pub username: SipUsername,
    pub password: Secret,
    /// MD5(username:realm:password), all a registrar needs to check a Digest response.
    pub ha1: String,
    /// MD5(username@realm:realm:password): the HA1 of registrars whose clients send the
    /// user name with its domain (Kamailio's `ha1b` column). Empty only in records written
    /// before schema 2, which the store's upgrade fills.
    #[serde(default)]
    pub ha1b: String,
}

/// The first-boot hand-off: while armed, the device may fetch its file once without
/// credentials, which hands it its credentials; any successful fetch disarms it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HandOff {
    /// Until when an unauthenticated fetch is allowed; `None` when disarmed.
    pub armed_until: Option<Timestamp>,
    /// When not empty, the unauthenticated fetch must come from one of these networks.
    #[serde(default)]
    pub allowed_from: Vec<IpNet>,
    /// When the device last received its credentials through the hand-off.
    pub handed_off_at: Option<Timestamp>,
    /// Unauthenticated attempts refused after the hand-off (a clone or an attacker — or a
    /// factory-reset phone that needs re-arming).
    #[serde(default)]
    pub refused_attempts: u32,
    pub last_refused_at: Option<Timestamp>,
}

impl HandOff {
    /// An armed hand-off for a newly registered or re-armed device.
    pub fn armed(
        now: Timestamp,
        window: jiff::SignedDuration,
        allowed_from: Vec<IpNet>,
    ) -> HandOff {
        HandOff {
            armed_until: now.checked_add(window).ok(),
            allowed_from,
            ..HandOff::default()
        }
    }

    /// Whether a fetch without credentials from `address` at `now` may be served.
    pub fn admits(&self, now: Timestamp, address: IpAddr) -> bool {
        let in_window = self.armed_until.is_some_and(|until| now < until);
        let from_allowed = self.allowed_from.is_empty()
            || self.allowed_from.iter().any(|net| net.contains(&address));
        in_window && from_allowed
    }
}

/// A line number for a device with `line_count` accounts: the one asked for, checked, or
/// the lowest free one.
pub fn line_number(
    requested: Option<u16>,
    line_count: u16,
    taken: &BTreeMap<u16, Line>,
) -> Result<u16, ParseError> {
    match requested {
        Some(number) if number == 0 || number > line_count => Err(ParseError::new(format!(
            "must be between 1 and {line_count}, the number of lines of this model"
        ))),
        Some(number) if taken.contains_key(&number) => Err(ParseError::new(format!(
            "line {number} is already assigned"
        ))),
        Some(number) => Ok(number),
        None => (1..=line_count)
            .find(|number| !taken.contains_key(number))
            .ok_or_else(|| {
                ParseError::new(format!(
                    "all {line_count} lines of this device are assigned"
                ))
            }),
    }
}

/// One fetch of a phone, as recorded in the audit and the device's last-seen record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fetch {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The address the request came from.
    #[schema(value_type = String, example = "192.0.2.10")]
    pub address: IpAddr,
    /// The file asked for, as named in the request.
    pub file: String,
    pub user_agent: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub outcome: FetchOutcome,
}

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FetchOutcome {
    /// Served to a device presenting valid credentials.
    Served,
    /// Served without credentials through the first-boot hand-off.
    HandedOff,
    /// Refused: no or wrong credentials.
    Unauthorized,
    /// Refused: the User-Agent named another MAC.
    MacMismatch,
    /// Refused: valid credentials (or the hand-off), but the User-Agent named a model of
    /// another family than the device's.
    ModelMismatch,
    /// Refused: too many failures from the address. Found in older audits only: a throttled
    /// request is no longer recorded.
    Throttled,
    /// Refused: a Digest answer already used (a captured header replayed).
    Replayed,
}

impl FetchOutcome {
    pub fn succeeded(self) -> bool {
        matches!(self, FetchOutcome::Served | FetchOutcome::HandedOff)
    }
}

/// A device that asked for its file without being registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unclaimed {
    pub mac: Mac,
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: Timestamp,
    /// The address of the last request.
    #[schema(value_type = String, example = "192.0.2.10")]
    pub address: IpAddr,
    pub user_agent: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub requests: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: u16) -> Line {
        Line {
            number,
            user: UserId(1),
            name: "Ada".into(),
            sip: SipCredentials {
                username: "u1".parse().unwrap(),
                password: Secret::generated("x".repeat(20)),
                ha1: String::new(),
                ha1b: String::new(),
            },
        }
    }

    #[test]
    fn line_numbers_are_checked_against_the_model() {
        let taken: BTreeMap<u16, Line> = [(1, line(1)), (3, line(3))].into();
        assert_eq!(line_number(None, 5, &taken), Ok(2));
        assert_eq!(line_number(Some(5), 5, &taken), Ok(5));
        assert!(
            line_number(Some(6), 5, &taken)
                .unwrap_err()
                .message()
                .contains("between 1 and 5")
        );
        assert!(line_number(Some(0), 5, &taken).is_err());
        assert!(
            line_number(Some(3), 5, &taken)
                .unwrap_err()
                .message()
                .contains("already assigned")
        );
        let full: BTreeMap<u16, Line> = [(1, line(1))].into();
        assert!(
            line_number(None, 1, &full)
                .unwrap_err()
                .message()
                .contains("all 1 lines")
        );
    }

    #[test]
    fn an_armed_hand_off_admits_within_its_window_and_networks() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let window = jiff::SignedDuration::from_hours(72);
        let office: IpAddr = "192.0.2.10".parse().unwrap();
        let elsewhere: IpAddr = "198.51.100.1".parse().unwrap();

        let open = HandOff::armed(now, window, vec![]);
        assert!(open.admits(now, office));
        assert!(!open.admits(now + jiff::SignedDuration::from_hours(73), office));

        let fenced = HandOff::armed(now, window, vec!["192.0.2.0/24".parse().unwrap()]);
        assert!(fenced.admits(now, office));
        assert!(!fenced.admits(now, elsewhere));

        assert!(!HandOff::default().admits(now, office));
    }
}

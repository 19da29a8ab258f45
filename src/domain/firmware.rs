//! Firmware: the images an admin uploads, the version pinned per model (for every account, or
//! for one account), and the stage of a rollout — which devices of the fleet get it now.
//!
//! A device is in a stage when its MAC's stage bucket (SHA-256 of `firmware-stage` ‖ the six
//! MAC octets, first eight bytes as a big-endian number, modulo 100) is below the stage's
//! percentage: the bucket never changes, so raising the percentage only ever adds devices,
//! and lowering it only removes them. Devices of the profiles a stage names are in it first,
//! whatever their bucket (a pilot group).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AccountId, Mac, ParseError};

/// Fields of a version at most (`66.86.0.15` has four).
const MAX_VERSION_FIELDS: usize = 6;

/// A firmware version: 2 to 6 dot-separated decimal numbers (Yealink: `66.86.0.15`, the first
/// field the platform). Compared field by field as numbers, so `66.86.0.9 < 66.86.0.15`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "66.86.0.15", pattern = r"^[0-9]{1,9}(\.[0-9]{1,9}){1,5}$")]
pub struct FirmwareVersion(Vec<u32>);

impl FromStr for FirmwareVersion {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<FirmwareVersion, ParseError> {
        let refuse = || {
            ParseError::new(
                "must be a firmware version: 2 to 6 numbers separated by dots, such as 66.86.0.15",
            )
        };
        let fields: Vec<u32> = text
            .split('.')
            .map(|field| {
                let digits = !field.is_empty()
                    && field.len() <= 9
                    && field.bytes().all(|b| b.is_ascii_digit());
                digits.then(|| field.parse().ok()).flatten()
            })
            .collect::<Option<_>>()
            .ok_or_else(refuse)?;
        if !(2..=MAX_VERSION_FIELDS).contains(&fields.len()) {
            return Err(refuse());
        }
        Ok(FirmwareVersion(fields))
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&text.join("."))
    }
}

impl Ord for FirmwareVersion {
    fn cmp(&self, other: &FirmwareVersion) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for FirmwareVersion {
    fn partial_cmp(&self, other: &FirmwareVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl TryFrom<String> for FirmwareVersion {
    type Error = ParseError;

    fn try_from(text: String) -> Result<FirmwareVersion, ParseError> {
        text.parse()
    }
}

impl From<FirmwareVersion> for String {
    fn from(version: FirmwareVersion) -> String {
        version.to_string()
    }
}

/// The SHA-256 of an image: its identity, and its file name on disk and in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageDigest([u8; 32]);

impl ImageDigest {
    pub fn new(bytes: [u8; 32]) -> ImageDigest {
        ImageDigest(bytes)
    }

    pub fn bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl FromStr for ImageDigest {
    type Err = ParseError;

    /// 64 hex digits, either case.
    fn from_str(text: &str) -> Result<ImageDigest, ParseError> {
        let refuse = || ParseError::new("must be a SHA-256: 64 hex digits");
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| refuse())?;
        }
        Ok(ImageDigest(bytes))
    }
}

impl fmt::Display for ImageDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl TryFrom<String> for ImageDigest {
    type Error = ParseError;

    fn try_from(text: String) -> Result<ImageDigest, ParseError> {
        text.parse()
    }
}

impl From<ImageDigest> for String {
    fn from(digest: ImageDigest) -> String {
        digest.to_string()
    }
}

/// An uploaded firmware image. The bytes live in the data directory under `<digest>.rom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareImage {
    pub digest: ImageDigest,
    /// Vendor id from the catalogue (`yealink`).
    pub vendor: String,
    /// A model of the catalogue (`T46S`), or a DECT handset model of the vendor (`W56H`).
    pub model: String,
    pub version: FirmwareVersion,
    /// Bytes.
    pub size: u64,
    pub uploaded_at: Timestamp,
}

/// Whole percent of the fleet, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Percent(u8);

impl Percent {
    pub const ALL: Percent = Percent(100);

    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Percent {
    type Error = ParseError;

    fn try_from(value: u8) -> Result<Percent, ParseError> {
        if value <= 100 {
            Ok(Percent(value))
        } else {
            Err(ParseError::new("must be a percentage from 0 to 100"))
        }
    }
}

impl From<Percent> for u8 {
    fn from(percent: Percent) -> u8 {
        percent.0
    }
}

/// Which devices a rollout reaches now: the devices of the named profiles first, then the
/// share of the whole fleet given by the percentage. A device is in the stage when either
/// criterion takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Devices whose [`stage_bucket`] is below this.
    pub percent: Percent,
    /// Devices assigned a profile of one of these names (in their own account) are in the
    /// stage whatever their bucket: a pilot group first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
}

impl Stage {
    /// Whether a device with this MAC and profile is in the stage.
    pub fn includes(&self, mac: Mac, profile: Option<&str>) -> bool {
        profile.is_some_and(|name| self.profiles.iter().any(|p| p == name))
            || stage_bucket(mac) < self.percent.value()
    }
}

/// A MAC's place in every rollout, 0 to 99: fixed for the device, spread evenly over a fleet.
pub fn stage_bucket(mac: Mac) -> u8 {
    let digest = Sha256::new()
        .chain_update(b"firmware-stage")
        .chain_update(mac.octets())
        .finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    // Below 100: the cast cannot truncate.
    (u64::from_be_bytes(head) % 100) as u8
}

/// Where a pin applies: every account, or one account (which overrides the global pin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PinScope {
    Global,
    Account(AccountId),
}

/// A version pinned for a model in a scope, with the stage it has reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwarePin {
    pub scope: PinScope,
    pub vendor: String,
    pub model: String,
    pub version: FirmwareVersion,
    pub stage: Stage,
    pub updated_at: Timestamp,
}

impl FirmwarePin {
    /// Whether this pin sends a device (its MAC, its profile) its version now.
    pub fn reaches(&self, mac: Mac, profile: Option<&str>) -> bool {
        self.stage.includes(mac, profile)
    }
}

/// The pin that applies to a device of an account: the account's own, else the global one.
pub fn effective_pin<'a>(
    account_pin: Option<&'a FirmwarePin>,
    global_pin: Option<&'a FirmwarePin>,
) -> Option<&'a FirmwarePin> {
    account_pin.or(global_pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(n: u32) -> Mac {
        let b = n.to_be_bytes();
        Mac::from_octets([0x00, 0x15, 0x65, b[1], b[2], b[3]]).unwrap()
    }

    #[test]
    fn versions_parse_and_compare_as_numbers() {
        let v: FirmwareVersion = "66.86.0.15".parse().unwrap();
        assert_eq!(v.to_string(), "66.86.0.15");
        assert!(v > "66.86.0.9".parse().unwrap());
        assert!(v < "66.87.0.1".parse().unwrap());
        for bad in [
            "",
            "66",
            "66.",
            ".86",
            "66..0",
            "66.86.0.15a",
            "-1.2",
            "1.2.3.4.5.6.7",
            "1 .2",
            "1234567890.1",
        ] {
            assert!(bad.parse::<FirmwareVersion>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_64_hex_digits() {
        let text = "ab".repeat(32);
        let digest: ImageDigest = text.to_uppercase().parse().unwrap();
        assert_eq!(digest.to_string(), text);
        assert!("ab".repeat(31).parse::<ImageDigest>().is_err());
        assert!("zz".repeat(32).parse::<ImageDigest>().is_err());
    }

    #[test]
    fn percentages_stop_at_100() {
        assert!(Percent::try_from(100).is_ok());
        assert!(Percent::try_from(101).is_err());
    }

    #[test]
    fn buckets_are_stable_and_spread() {
        let m = mac(1);
        assert_eq!(stage_bucket(m), stage_bucket(m));
        let mut counts = [0u32; 10];
        for n in 0..10_000 {
            counts[usize::from(stage_bucket(mac(n)) / 10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn raising_the_percentage_only_adds_devices() {
        let stage = |p| Stage {
            percent: Percent::try_from(p).unwrap(),
            profiles: Vec::new(),
        };
        for n in 0..2000 {
            let m = mac(n);
            let mut was_in = false;
            for p in 0..=100 {
                let now_in = stage(p).includes(m, None);
                assert!(!was_in || now_in, "{m} left the stage at {p}%");
                was_in = now_in;
            }
            assert!(!stage(0).includes(m, None) && stage(100).includes(m, None));
        }
    }

    #[test]
    fn a_profile_named_in_the_stage_goes_first() {
        let pilot = Stage {
            percent: Percent::try_from(0).unwrap(),
            profiles: vec!["pilot".into()],
        };
        assert!(pilot.includes(mac(1), Some("pilot")));
        assert!(!pilot.includes(mac(1), Some("reception")));
        assert!(!pilot.includes(mac(1), None));
    }
}

//! What users and devices authenticate with: SIP credentials, the portal password and the
//! voicemail PIN — the values and the strength rules for those an admin types in.
//!
//! Generation and hashing live in `crate::secret`; this module only says what is acceptable.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// The SIP authentication user name of a line: 1–64 letters, digits, `.`, `_` or `-`, so it
/// is safe in a SIP URI, a Digest header and a configuration file alike.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SipUsername(String);

impl SipUsername {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SipUsername {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<SipUsername, ParseError> {
        let text = input.trim();
        if text.is_empty() || text.len() > 64 {
            return Err(ParseError::new("must be 1 to 64 characters long"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(ParseError::new(
                "may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(SipUsername(text.to_owned()))
    }
}

/// A secret a phone presents: printable ASCII without spaces (it is written verbatim into
/// configuration files), 12 to 128 characters when an admin supplies it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The shortest secret an admin may supply.
    pub const MIN_SUPPLIED: usize = 12;

    /// Wraps a secret the server generated itself.
    pub fn generated(value: String) -> Secret {
        Secret(value)
    }

    /// The secret in clear, for the configuration file and the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = ParseError;

    /// Checks a secret an admin supplied.
    fn from_str(input: &str) -> Result<Secret, ParseError> {
        if input.len() < Secret::MIN_SUPPLIED {
            return Err(ParseError::new(format!(
                "must be at least {} characters long",
                Secret::MIN_SUPPLIED
            )));
        }
        if input.len() > 128 {
            return Err(ParseError::new("must be at most 128 characters long"));
        }
        if !input.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ParseError::new(
                "may contain only printable ASCII characters, without spaces",
            ));
        }
        Ok(Secret(input.to_owned()))
    }
}

/// Secrets never reach logs: `Debug` shows only that one is there.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A portal password as typed, with its confirmation; it is hashed before it is stored.
pub fn portal_password(password: &str, confirmation: Option<&str>) -> Result<String, ParseError> {
    if confirmation != Some(password) {
        return Err(ParseError::new("does not match the confirmation"));
    }
    let length = password.chars().count();
    if length < 8 {
        return Err(ParseError::new("must be at least 8 characters long"));
    }
    if length > 128 {
        return Err(ParseError::new("must be at most 128 characters long"));
    }
    if password.chars().any(char::is_control) {
        return Err(ParseError::new("must not contain control characters"));
    }
    Ok(password.to_owned())
}

/// A voicemail PIN: at least 4 digits, digits only (at most 12).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VoicemailPin(String);

impl VoicemailPin {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for VoicemailPin {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<VoicemailPin, ParseError> {
        let text = input.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("must contain digits only"));
        }
        if !(4..=12).contains(&text.len()) {
            return Err(ParseError::new("must be 4 to 12 digits"));
        }
        Ok(VoicemailPin(text.to_owned()))
    }
}

impl fmt::Debug for VoicemailPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VoicemailPin(…)")
    }
}

impl TryFrom<String> for SipUsername {
    type Error = ParseError;
    fn try_from(value: String) -> Result<SipUsername, ParseError> {
        value.parse()
    }
}

impl From<SipUsername> for String {
    fn from(value: SipUsername) -> String {
        value.0
    }
}

impl fmt::Display for SipUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SipUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SipUsername({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_usernames_are_uri_safe() {
        assert!("101-x7k2".parse::<SipUsername>().is_ok());
        for bad in ["", "ada@example.com", "a b", "a:b", "a\"b", &"x".repeat(65)] {
            assert!(bad.parse::<SipUsername>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn supplied_secrets_need_twelve_printable_characters() {
        assert!("correct-horse".parse::<Secret>().is_ok());
        let short = "short-pass1".parse::<Secret>().unwrap_err();
        assert!(short.message().contains("at least 12"));
        assert!("has a space in it".parse::<Secret>().is_err());
        assert!("line\nbreak-secret".parse::<Secret>().is_err());
        let secret: Secret = "correct-horse".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn portal_passwords_must_match_their_confirmation() {
        assert!(portal_password("s3cret-pass", Some("s3cret-pass")).is_ok());
        let mismatch = portal_password("s3cret-pass", Some("s3cret-pasS")).unwrap_err();
        assert!(mismatch.message().contains("confirmation"));
        assert!(portal_password("s3cret-pass", None).is_err());
        assert!(portal_password("short", Some("short")).is_err());
    }

    #[test]
    fn voicemail_pins_are_at_least_four_digits() {
        assert!("1234".parse::<VoicemailPin>().is_ok());
        assert!(
            "123"
                .parse::<VoicemailPin>()
                .unwrap_err()
                .message()
                .contains("4 to 12")
        );
        assert!(
            "12a4"
                .parse::<VoicemailPin>()
                .unwrap_err()
                .message()
                .contains("digits only")
        );
        assert!("1234567890123".parse::<VoicemailPin>().is_err());
    }
}

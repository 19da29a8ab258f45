//! How people sign in and are reached: `Username` and `Email`.
//!
//! Both are unique across all accounts, compared case-insensitively: [`Username::key`] and
//! [`Email::key`] give the lower-cased form the store indexes, while the value keeps the
//! spelling the admin typed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// A portal username: 3–64 letters, digits, `.`, `_` or `-`, and never an email address.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased form uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl FromStr for Username {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Username, ParseError> {
        let text = input.trim();
        if text.contains('@') {
            return Err(ParseError::new(
                "must be a username, not an email address (the app username adds @<account group name> itself)",
            ));
        }
        if !(3..=64).contains(&text.len()) {
            return Err(ParseError::new("must be 3 to 64 characters long"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(ParseError::new(
                "may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(Username(text.to_owned()))
    }
}

/// The username a user signs in to the apps with: `username@<account group name>`.
pub fn app_username(username: &Username, group_name: &str) -> String {
    format!("{}@{}", username.as_str(), group_name)
}

/// An email address: `local@domain`, with a dotted domain, no spaces, at most 254 characters.
///
/// Deliberately simple (RFC 5321 lengths, no quoted local parts, no IP-literal domains):
/// what a provider's staff type into a form, not everything RFC 5322 allows.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased form uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl FromStr for Email {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Email, ParseError> {
        let text = input.trim();
        let invalid = || ParseError::new("must be a valid email address such as ada@example.com");
        if text.len() > 254 {
            return Err(ParseError::new("must be at most 254 characters"));
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !local_ok || !is_dns_name(domain) || !domain.contains('.') {
            return Err(invalid());
        }
        Ok(Email(text.to_owned()))
    }
}

/// A DNS host name: dot-separated labels of letters, digits and inner hyphens.
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

macro_rules! string_newtype_impls {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<$name, ParseError> {
                value.parse()
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }
    )*};
}
pub(crate) use string_newtype_impls;

string_newtype_impls!(Username, Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_portal_rules() {
        for good in ["ada", "ada.lovelace", "a_b-c", "ADA42", &"x".repeat(64)] {
            assert!(good.parse::<Username>().is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "ada lovelace",
            "ada@example.com",
            "ädä",
            "a/b",
            &"x".repeat(65),
        ] {
            assert!(bad.parse::<Username>().is_err(), "{bad}");
        }
        let refusal = "ada@example.com".parse::<Username>().unwrap_err();
        assert!(refusal.message().contains("not an email"));
        assert_eq!("Ada.L".parse::<Username>().unwrap().key(), "ada.l");
    }

    #[test]
    fn app_username_appends_the_account_group() {
        let username: Username = "ada".parse().unwrap();
        assert_eq!(app_username(&username, "acme"), "ada@acme");
    }

    #[test]
    fn emails_are_checked_and_keyed_lower_case() {
        for good in [
            "ada@example.com",
            "Ada.Lovelace+pbx@Mail.Example.org",
            "o'neil@ex-ample.co",
        ] {
            assert!(good.parse::<Email>().is_ok(), "{good}");
        }
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada..l@example.com",
            "ada@-example.com",
            "ada@example.com\nBcc: x@y.z",
        ] {
            assert!(bad.parse::<Email>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "Ada@Example.COM".parse::<Email>().unwrap().key(),
            "ada@example.com"
        );
    }

    #[test]
    fn dns_names() {
        assert!(is_dns_name("pbx.example.com"));
        assert!(is_dns_name("10.0.0.1"));
        assert!(!is_dns_name("pbx..example.com"));
        assert!(!is_dns_name("pbx_example.com"));
        assert!(!is_dns_name(""));
    }
}

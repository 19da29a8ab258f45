//! `Mac`: a device's hardware address, the key phones are provisioned by.
//!
//! Admins type MACs in whatever notation their label printer used; phones put them in file
//! names and User-Agents. Every accepted form parses to the same value, which is stored and
//! shown as 12 lower-case hex digits — the form Yealink (and most vendors) use in file names.

use std::fmt;
use std::str::FromStr;

use macaddr::MacAddr6;
use serde::{Deserialize, Serialize};

use super::ParseError;

/// A unicast, non-zero MAC address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mac([u8; 6]);

impl Mac {
    /// The six octets, for use as a store key.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// Rebuilds a `Mac` from octets that were stored by [`Mac::octets`].
    pub fn from_octets(octets: [u8; 6]) -> Result<Mac, ParseError> {
        let addr = MacAddr6::from(octets);
        if addr.is_nil() {
            return Err(ParseError::new("an all-zero MAC address is not a device"));
        }
        if addr.is_broadcast() {
            return Err(ParseError::new("the broadcast MAC address is not a device"));
        }
        if !addr.is_unicast() {
            return Err(ParseError::new("a multicast MAC address is not a device"));
        }
        Ok(Mac(octets))
    }

    /// The organisationally unique identifier (first three octets) as six lower-case hex digits.
    pub fn oui(self) -> String {
        format!("{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// Upper-case, no separators: the form some vendors (Snom, Gigaset) use in file names.
    pub fn to_upper(self) -> String {
        self.to_string().to_ascii_uppercase()
    }

    /// Lower-case with colons: the form Yealink puts in its User-Agent.
    pub fn to_colon(self) -> String {
        let o = self.0;
        format!(
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

impl FromStr for Mac {
    type Err = ParseError;

    /// Accepts `001565aabbcc`, `00:15:65:AA:BB:CC`, `00-15-65-aa-bb-cc` and `0015.65aa.bbcc`,
    /// in either case, surrounded by optional whitespace.
    fn from_str(input: &str) -> Result<Mac, ParseError> {
        let text = input.trim();
        let bare = text.len() == 12 && text.bytes().all(|b| b.is_ascii_hexdigit());
        let addr = if bare {
            let mut octets = [0u8; 6];
            for (i, octet) in octets.iter_mut().enumerate() {
                *octet = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                    .map_err(|_| ParseError::new(MAC_FORMS))?;
            }
            MacAddr6::from(octets)
        } else {
            text.parse::<MacAddr6>()
                .map_err(|_| ParseError::new(MAC_FORMS))?
        };
        Mac::from_octets(addr.into_array())
    }
}

const MAC_FORMS: &str = "must be a MAC address such as 001565aabbcc, 00:15:65:aa:bb:cc, \
                         00-15-65-aa-bb-cc or 0015.65aa.bbcc";

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for octet in self.0 {
            write!(f, "{octet:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({self})")
    }
}

impl TryFrom<String> for Mac {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Mac, ParseError> {
        value.parse()
    }
}

impl From<Mac> for String {
    fn from(mac: Mac) -> String {
        mac.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notation_parses_to_the_same_address() {
        let forms = [
            "001565aabbcc",
            "001565AABBCC",
            "00:15:65:AA:BB:CC",
            "00:15:65:aa:bb:cc",
            "00-15-65-aa-bb-cc",
            "0015.65aa.bbcc",
            " 00:15:65:aa:bb:cc\n",
        ];
        for form in forms {
            let mac: Mac = form.parse().unwrap_or_else(|e| panic!("{form:?}: {e}"));
            assert_eq!(mac.to_string(), "001565aabbcc", "{form:?}");
        }
    }

    #[test]
    fn special_and_malformed_addresses_are_refused() {
        for bad in [
            "000000000000",
            "ffffffffffff",
            "FF:FF:FF:FF:FF:FF",
            "01005e000001",
            "011565aabbcc",
            "001565aabbc",
            "001565aabbccd",
            "00:15:65:aa:bb",
            "00:15-65:aa:bb:cc",
            "g01565aabbcc",
            "",
            "../../etc/pa",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn renders_in_vendor_forms() {
        let mac: Mac = "00:15:65:AA:BB:CC".parse().unwrap();
        assert_eq!(mac.to_colon(), "00:15:65:aa:bb:cc");
        assert_eq!(mac.to_upper(), "001565AABBCC");
        assert_eq!(mac.oui(), "001565");
        assert_eq!(Mac::from_octets(mac.octets()).unwrap(), mac);
    }

    #[test]
    fn serde_round_trips_through_the_canonical_string() {
        let mac: Mac = serde_json::from_str("\"0015.65aa.bbcc\"").unwrap();
        assert_eq!(serde_json::to_string(&mac).unwrap(), "\"001565aabbcc\"");
        assert!(serde_json::from_str::<Mac>("\"ffffffffffff\"").is_err());
    }
}

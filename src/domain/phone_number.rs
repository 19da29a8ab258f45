//! Telephone numbers: `E164` and the `AreaCode` numbers are ordered by.
//!
//! An account's pool holds E.164 numbers, each filed under an area code. For the North
//! American Numbering Plan (`+1`) the area code is the three digits after the country code;
//! elsewhere area codes have no fixed length, so the admin gives it with the number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;
use super::account::AccountId;
use super::identity::string_newtype_impls;
use super::user::UserId;

/// A number in E.164 form: `+`, a country code not starting with 0, 8 to 15 digits in all.
/// Spaces, dots, dashes and parentheses typed between digits are dropped.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The area code this number belongs to when the numbering plan fixes it (NANP), else `None`.
    pub fn nanp_area_code(&self) -> Option<AreaCode> {
        let digits = self.0.strip_prefix("+1")?;
        (digits.len() == 10).then(|| AreaCode(digits[..3].to_owned()))
    }
}

impl FromStr for E164 {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<E164, ParseError> {
        let invalid = || {
            ParseError::new(
                "must be an E.164 number: '+', country code and number, such as +15145550123",
            )
        };
        let text = input.trim();
        let rest = text.strip_prefix('+').ok_or_else(invalid)?;
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(invalid()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(invalid());
        }
        Ok(E164(format!("+{digits}")))
    }
}

/// A number written with its area code after it, `+14385550101 438`: two words, an E.164
/// number and an area code. Read as one number, the area code's digits would join it.
pub fn number_and_area_code(text: &str) -> Option<(E164, AreaCode)> {
    let mut words = text.split_whitespace();
    let (number, code) = (words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    Some((number.parse().ok()?, code.parse().ok()?))
}

/// An area code: 1 to 5 digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AreaCode {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<AreaCode, ParseError> {
        let text = input.trim();
        if (1..=5).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AreaCode(text.to_owned()))
        } else {
            Err(ParseError::new("must be an area code of 1 to 5 digits"))
        }
    }
}

string_newtype_impls!(E164, AreaCode);

/// A number of an account's pool, filed under its area code, and who has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolNumber {
    pub number: E164,
    pub account: AccountId,
    pub area_code: Option<AreaCode>,
    /// The user the number is assigned to; `None` while it is free.
    pub user: Option<UserId>,
}

impl PoolNumber {
    /// A free number, filed under the area code given, else the one its numbering plan fixes.
    pub fn new(number: E164, account: AccountId, area_code: Option<AreaCode>) -> PoolNumber {
        let area_code = area_code.or_else(|| number.nanp_area_code());
        PoolNumber {
            number,
            account,
            area_code,
            user: None,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_number_and_its_area_code_are_two_things() {
        let (number, code) = number_and_area_code("+14385550101 438").unwrap();
        assert_eq!((number.as_str(), code.as_str()), ("+14385550101", "438"));
        assert!(number_and_area_code("+14385550101").is_none());
        assert!(number_and_area_code("+1 438 555 0101").is_none());
        assert!(number_and_area_code("+14385550101 438 1").is_none());
    }

    use super::*;

    #[test]
    fn e164_numbers_are_normalised() {
        assert_eq!(
            "+1 (514) 555-0123".parse::<E164>().unwrap().as_str(),
            "+15145550123"
        );
        assert_eq!(
            "+33.1.23.45.67.89".parse::<E164>().unwrap().as_str(),
            "+33123456789"
        );
        for bad in [
            "5145550123",
            "+0145550123",
            "+1514",
            "+1234567890123456",
            "+1514x555",
            "+",
        ] {
            assert!(bad.parse::<E164>().is_err(), "{bad}");
        }
    }

    #[test]
    fn nanp_numbers_know_their_area_code() {
        let number: E164 = "+15145550123".parse().unwrap();
        assert_eq!(number.nanp_area_code().unwrap().as_str(), "514");
        let paris: E164 = "+33123456789".parse().unwrap();
        assert_eq!(paris.nanp_area_code(), None);
        let filed = PoolNumber::new(paris, AccountId(1), Some("1".parse().unwrap()));
        assert_eq!(filed.area_code.unwrap().as_str(), "1");
    }

    #[test]
    fn area_codes_are_short_digit_strings() {
        assert!("514".parse::<AreaCode>().is_ok());
        assert!("".parse::<AreaCode>().is_err());
        assert!("5a4".parse::<AreaCode>().is_err());
        assert!("123456".parse::<AreaCode>().is_err());
    }
}

//! `Language` of the phone prompts and the user's IANA `TimeZone`.
//!
//! Valid time zones are the IANA names of tzdata 2025b (aliases such as `US/Eastern`
//! included), read at compile time from the first column of `data/yealink-timezones.tsv` —
//! the same table the vendors module maps to Yealink's own names, so every zone a user can
//! have is a zone a phone can be given.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// Language of the telephone user interface prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
}

impl FromStr for Language {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Language, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            _ => Err(ParseError::new("must be 'en' (English) or 'fr' (French)")),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An IANA time zone name, in its canonical spelling (`Europe/Paris`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct TimeZone(&'static str);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TimeZone, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

const ZONE_TABLE: &str = include_str!("../../data/yealink-timezones.tsv");

fn zone_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        ZONE_TABLE
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .filter_map(|line| line.split('\t').next())
            .collect()
    })
}

impl TimeZone {
    pub fn name(self) -> &'static str {
        self.0
    }

    /// Every accepted zone name, in table order.
    pub fn all() -> impl Iterator<Item = TimeZone> {
        zone_names().iter().map(|name| TimeZone(name))
    }
}

impl FromStr for TimeZone {
    type Err = ParseError;

    /// Accepts any IANA name case-insensitively and returns its canonical spelling.
    fn from_str(input: &str) -> Result<TimeZone, ParseError> {
        let text = input.trim();
        zone_names()
            .iter()
            .find(|name| name.eq_ignore_ascii_case(text))
            .map(|name| TimeZone(name))
            .ok_or_else(|| {
                ParseError::new(
                    "must be an IANA time zone name such as Europe/Paris or America/New_York",
                )
            })
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.0.to_owned()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_english_or_french() {
        assert_eq!("FR".parse::<Language>().unwrap(), Language::Fr);
        assert_eq!("en".parse::<Language>().unwrap(), Language::En);
        assert!("de".parse::<Language>().is_err());
        assert_eq!(serde_json::to_string(&Language::Fr).unwrap(), "\"fr\"");
    }

    #[test]
    fn time_zones_are_iana_names_in_canonical_spelling() {
        assert_eq!(
            "europe/paris".parse::<TimeZone>().unwrap().name(),
            "Europe/Paris"
        );
        assert_eq!(
            "US/Eastern".parse::<TimeZone>().unwrap().name(),
            "US/Eastern"
        );
        assert!("Europe/Pariss".parse::<TimeZone>().is_err());
        assert!("+01:00".parse::<TimeZone>().is_err());
        assert!(TimeZone::all().count() > 590);
    }
}

//! A user's programmable keys: what each key of their desk phone does, in order. The phone
//! of the user on its line 1 shows them; every other key of the model is cleared, so a
//! phone that changes hands keeps nothing of its last owner.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;
use super::settings::dial_string;

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKeyKind {
    /// One of the phone's lines (its account `line`).
    Line,
    /// Busy lamp field of another extension of the same account.
    Blf,
    /// Dials `value`.
    SpeedDial,
    /// Parks the call (at `value`, the park code).
    Park,
    /// Calls voicemail.
    Voicemail,
}

impl LineKeyKind {
    pub const ALL: [LineKeyKind; 5] = [
        LineKeyKind::Line,
        LineKeyKind::Blf,
        LineKeyKind::SpeedDial,
        LineKeyKind::Park,
        LineKeyKind::Voicemail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LineKeyKind::Line => "line",
            LineKeyKind::Blf => "blf",
            LineKeyKind::SpeedDial => "speed_dial",
            LineKeyKind::Park => "park",
            LineKeyKind::Voicemail => "voicemail",
        }
    }
}

impl fmt::Display for LineKeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LineKeyKind {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<LineKeyKind, ParseError> {
        LineKeyKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == input)
            .ok_or_else(|| {
                ParseError::new(format!(
                    "{input:?} is not one of line, blf, speed_dial, park, voicemail"
                ))
            })
    }
}

/// One programmable key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineKey {
    #[serde(rename = "type")]
    pub kind: LineKeyKind,
    /// Which of the phone's accounts the key uses, from 1.
    pub line: u16,
    /// The extension (BLF), number (speed dial) or park code; `None` for the others.
    pub value: Option<String>,
    /// Shown beside the key; the phone's own when `None`.
    pub label: Option<String>,
}

/// The most keys a user may have (the largest desk phones have 29, plus pages).
pub const MAX_LINE_KEYS: usize = 64;

/// The highest account a key may name.
pub const MAX_KEY_LINE: u16 = 16;

impl LineKey {
    /// Checks one key: the value its type needs (an extension is checked against the
    /// account by the caller), a line between 1 and 16, a short label on one line.
    pub fn new(
        kind: LineKeyKind,
        line: Option<u16>,
        value: Option<&str>,
        label: Option<&str>,
    ) -> Result<LineKey, (&'static str, ParseError)> {
        let line = line.unwrap_or(1);
        if line == 0 || line > MAX_KEY_LINE {
            return Err((
                "line",
                ParseError::new(format!("must be between 1 and {MAX_KEY_LINE}")),
            ));
        }
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let value = match (kind, value) {
            (LineKeyKind::Line | LineKeyKind::Voicemail, None) => None,
            (LineKeyKind::Line | LineKeyKind::Voicemail, Some(_)) => {
                return Err((
                    "value",
                    ParseError::new(format!("a {kind} key takes no value")),
                ));
            }
            (_, None) => {
                return Err((
                    "value",
                    ParseError::new(format!("a {kind} key needs a value")),
                ));
            }
            (LineKeyKind::Blf, Some(extension)) => {
                if extension.is_empty()
                    || extension.len() > 10
                    || !extension.chars().all(|c| c.is_ascii_digit())
                {
                    return Err((
                        "value",
                        ParseError::new("a blf key's value is an extension (digits)"),
                    ));
                }
                Some(extension.to_owned())
            }
            (_, Some(number)) => Some(dial_string(number).map_err(|e| ("value", e))?),
        };
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        if let Some(label) = label
            && (label.chars().count() > 32 || label.chars().any(char::is_control))
        {
            return Err((
                "label",
                ParseError::new("must be at most 32 characters on one line"),
            ));
        }
        Ok(LineKey {
            kind,
            line,
            value,
            label: label.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_takes_the_value_it_needs() {
        assert!(LineKey::new(LineKeyKind::Blf, None, Some("202"), Some("Bob")).is_ok());
        assert!(LineKey::new(LineKeyKind::Blf, None, Some("bob"), None).is_err());
        assert!(LineKey::new(LineKeyKind::Blf, None, None, None).is_err());
        assert!(LineKey::new(LineKeyKind::SpeedDial, None, Some("+15145550100"), None).is_ok());
        assert!(LineKey::new(LineKeyKind::Line, Some(2), None, None).is_ok());
        assert!(LineKey::new(LineKeyKind::Line, Some(0), None, None).is_err());
        assert!(LineKey::new(LineKeyKind::Voicemail, None, Some("*97"), None).is_err());
        assert!(LineKey::new(LineKeyKind::Park, None, Some("*70"), Some("a\nb")).is_err());
        assert_eq!("speed_dial".parse(), Ok(LineKeyKind::SpeedDial));
        assert!("Speed Dial".parse::<LineKeyKind>().is_err());
    }
}

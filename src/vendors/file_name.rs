//! File names phones request: the per-vendor patterns of the catalogue, and `PhoneFile`, what
//! a requested name turns out to be.
//!
//! A pattern is the file name with placeholders — `{mac}` (12 lower-case hex digits), `{MAC}`
//! (upper-case) and `#` (one decimal digit) — so that a vendor's naming scheme is data:
//! Yealink `{mac}.cfg` and `y000000000###.cfg`, Grandstream `cfg{mac}.xml`, Gigaset
//! `{MAC}.xml`. Requests are matched case-insensitively: phones and admins disagree on case.

use std::fmt;

use super::Catalogue;
use crate::domain::Mac;

/// The longest file name worth looking at; longer requests are never a phone's file.
const MAX_FILE_NAME: usize = 64;

/// What a requested file name is, once classified by [`Catalogue::route`](super::Catalogue::route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneFile<'c> {
    /// The per-device file (with the device's lines and secrets) of the device `mac`.
    DeviceConfig { vendor: &'c str, mac: Mac },
    /// A model family's common file: nothing secret, nothing device-specific. `file` is the
    /// name in its canonical case.
    CommonConfig { vendor: &'c str, file: String },
    /// Anything sipprov does not serve (boot files, `-local.cfg`, `-contact.xml`,
    /// `_Security.enc`, firmware, unsafe names): the caller answers 404.
    NotServed,
}

/// One piece of a [`FileNamePattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A character that must be present (compared ignoring ASCII case).
    Literal(char),
    /// One decimal digit.
    Digit,
    /// A MAC address as 12 hex digits, written in upper case when `upper`.
    Mac { upper: bool },
}

/// A vendor's file-name pattern, parsed from the catalogue.
#[derive(Clone, PartialEq, Eq)]
pub struct FileNamePattern {
    /// The pattern as written in the catalogue.
    source: String,
    /// The pattern, piece by piece.
    pieces: Vec<Piece>,
}

/// A name that matched a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNameMatch {
    /// The name in its canonical case: literals as in the pattern, the MAC in the pattern's case.
    pub canonical: String,
    /// The MAC the name carries, when the pattern has a MAC placeholder.
    pub mac: Option<Mac>,
}

impl FileNamePattern {
    /// Parses a pattern; `None` when it has more than one MAC placeholder or is empty.
    pub fn parse(source: &str) -> Option<FileNamePattern> {
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{mac}") {
                pieces.push(Piece::Mac { upper: false });
                rest = after;
            } else if let Some(after) = rest.strip_prefix("{MAC}") {
                pieces.push(Piece::Mac { upper: true });
                rest = after;
            } else {
                pieces.push(if c == '#' {
                    Piece::Digit
                } else {
                    Piece::Literal(c)
                });
                rest = &rest[c.len_utf8()..];
            }
        }
        let macs = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Mac { .. }))
            .count();
        (!pieces.is_empty() && macs <= 1).then(|| FileNamePattern {
            source: source.to_owned(),
            pieces,
        })
    }

    /// Whether the pattern names a per-device file (it has a MAC placeholder).
    pub fn has_mac(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Mac { .. }))
    }

    /// The file name of device `mac` under this pattern (`#` placeholders become `0`).
    pub fn file_name(&self, mac: Mac) -> String {
        let mut name = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(c) => name.push(*c),
                Piece::Digit => name.push('0'),
                Piece::Mac { upper: false } => name.push_str(&mac.to_string()),
                Piece::Mac { upper: true } => name.push_str(&mac.to_upper()),
            }
        }
        name
    }

    /// Matches `name` against the whole pattern, ignoring ASCII case. A MAC placeholder only
    /// matches a valid device MAC (not multicast, broadcast or all-zero).
    pub fn matches(&self, name: &str) -> Option<FileNameMatch> {
        let mut canonical = String::with_capacity(name.len());
        let mut mac = None;
        let mut rest = name;
        for piece in &self.pieces {
            let c = rest.chars().next()?;
            match piece {
                Piece::Literal(expected) if c.eq_ignore_ascii_case(expected) => {
                    canonical.push(*expected);
                    rest = &rest[c.len_utf8()..];
                }
                Piece::Digit if c.is_ascii_digit() => {
                    canonical.push(c);
                    rest = &rest[1..];
                }
                Piece::Mac { upper } => {
                    let hex = rest
                        .get(..12)
                        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
                    let parsed: Mac = hex.parse().ok()?;
                    canonical.push_str(&if *upper {
                        parsed.to_upper()
                    } else {
                        parsed.to_string()
                    });
                    mac = Some(parsed);
                    rest = &rest[12..];
                }
                Piece::Literal(_) | Piece::Digit => return None,
            }
        }
        rest.is_empty().then_some(FileNameMatch { canonical, mac })
    }
}

impl fmt::Debug for FileNamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileNamePattern({:?})", self.source)
    }
}

impl Catalogue {
    /// Classifies a requested file name (the last path segment, already percent-decoded):
    /// a vendor's per-device file, one of its common files, or something not served. Names
    /// are matched ignoring case; unsafe names (`/`, `\\`, NUL, `..`) are never served. When
    /// two vendors share a pattern, the first in catalogue order answers; the device's own
    /// record says which vendor it really is.
    pub fn route(&self, file_name: &str) -> PhoneFile<'_> {
        if !is_plain_file_name(file_name) {
            return PhoneFile::NotServed;
        }
        for vendor in self.vendors() {
            if let Some(mac) = vendor
                .device_file
                .matches(file_name)
                .and_then(|found| found.mac)
            {
                return PhoneFile::DeviceConfig {
                    vendor: &vendor.id,
                    mac,
                };
            }
            if let Some(found) = vendor
                .common_files
                .iter()
                .find_map(|p| p.matches(file_name))
            {
                return PhoneFile::CommonConfig {
                    vendor: &vendor.id,
                    file: found.canonical,
                };
            }
        }
        PhoneFile::NotServed
    }
}

/// Whether `name` is a plain file name a phone could ask for: not empty, not too long, and
/// free of path separators, NUL, `..` and other control characters.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FILE_NAME
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(source: &str) -> FileNamePattern {
        FileNamePattern::parse(source).unwrap()
    }

    #[test]
    fn mac_patterns_match_either_case_and_give_the_canonical_name() {
        let lower = pattern("{mac}.cfg");
        let found = lower.matches("00156574B150.CFG").unwrap();
        assert_eq!(found.canonical, "00156574b150.cfg");
        assert_eq!(found.mac.unwrap().to_string(), "00156574b150");

        let gigaset = pattern("{MAC}.xml");
        assert_eq!(
            gigaset.matches("7c2f80123456.xml").unwrap().canonical,
            "7C2F80123456.xml"
        );
        let grandstream = pattern("cfg{mac}.xml");
        assert!(grandstream.matches("cfg000b828aa872.xml").is_some());
        assert!(grandstream.matches("000b828aa872.xml").is_none());
    }

    #[test]
    fn mac_patterns_refuse_near_misses_and_special_addresses() {
        let device = pattern("{mac}.cfg");
        for name in [
            "00156574b150-local.cfg",
            "00156574b150.boot",
            "00156574b15.cfg",
            "00156574b1500.cfg",
            "00156574b15g.cfg",
            "000000000000.cfg",
            "ffffffffffff.cfg",
            "01005e000001.cfg",
            "00:15:65:74:b1:50.cfg",
            "",
        ] {
            assert!(device.matches(name).is_none(), "{name:?} matched");
        }
    }

    #[test]
    fn digit_patterns_match_digits_only() {
        let common = pattern("y000000000###.cfg");
        assert_eq!(
            common.matches("Y000000000066.CFG").unwrap().canonical,
            "y000000000066.cfg"
        );
        assert_eq!(common.matches("y000000000146.cfg").unwrap().mac, None);
        for name in [
            "y00000000066.cfg",
            "y0000000000066.cfg",
            "y000000000x66.cfg",
            "y000000000000.boot",
        ] {
            assert!(common.matches(name).is_none(), "{name:?} matched");
        }
    }

    #[test]
    fn patterns_name_files() {
        let mac: Mac = "00:15:65:aa:bb:cc".parse().unwrap();
        assert_eq!(pattern("{mac}.cfg").file_name(mac), "001565aabbcc.cfg");
        assert_eq!(pattern("{MAC}.xml").file_name(mac), "001565AABBCC.xml");
        assert!(pattern("{mac}.cfg").has_mac());
        assert!(!pattern("y000000000###.cfg").has_mac());
        assert!(FileNamePattern::parse("{mac}{mac}").is_none());
        assert!(FileNamePattern::parse("").is_none());
    }

    #[test]
    fn yealink_requests_are_routed() {
        let catalogue = Catalogue::builtin();
        let mac: Mac = "00156574b150".parse().unwrap();
        let device = PhoneFile::DeviceConfig {
            vendor: "yealink",
            mac,
        };
        assert_eq!(catalogue.route("00156574b150.cfg"), device);
        assert_eq!(catalogue.route("00156574B150.CFG"), device);
        for (name, file) in [
            ("y000000000066.cfg", "y000000000066.cfg"),
            ("Y000000000025.CFG", "y000000000025.cfg"),
            ("y000000000146.cfg", "y000000000146.cfg"),
            ("y000000000000.cfg", "y000000000000.cfg"),
            ("y000000000999.cfg", "y000000000999.cfg"),
        ] {
            let common = PhoneFile::CommonConfig {
                vendor: "yealink",
                file: file.into(),
            };
            assert_eq!(catalogue.route(name), common, "{name}");
        }
    }

    #[test]
    fn everything_else_is_not_served() {
        let catalogue = Catalogue::builtin();
        for name in [
            "00156574b150.boot",
            "y000000000000.boot",
            "00156574b150-local.cfg",
            "00156574b150-contact.xml",
            "y000000000066.cfg_Security.enc",
            "00156574b150.cfg_Security.enc",
            "00156574b150.cfg.enc",
            "T46S(T48S,T42S,T41S)-66.86.0.15.rom",
            "000000000000.cfg",
            "ffffffffffff.cfg",
            "y0000000000066.cfg",
            "y00000000066.cfg",
            "../00156574b150.cfg",
            "dir/00156574b150.cfg",
            "dir\\00156574b150.cfg",
            "00156574b150.cfg\0",
            "..",
            "",
            "index.html",
        ] {
            assert_eq!(catalogue.route(name), PhoneFile::NotServed, "{name:?}");
        }
    }

    #[test]
    fn only_plain_names_are_plain() {
        assert!(is_plain_file_name("001565aabbcc.cfg"));
        for name in [
            "",
            "../001565aabbcc.cfg",
            "a/b.cfg",
            "a\\b.cfg",
            "a\0.cfg",
            "..",
            "a\n.cfg",
        ] {
            assert!(!is_plain_file_name(name), "{name:?}");
        }
        assert!(!is_plain_file_name(&"a".repeat(65)));
    }
}

//! `UserAgent`: what a provisioning request's User-Agent header says about the device, and
//! the tolerant Yealink parser behind it.
//!
//! The header is spoofable, so it only ever *identifies* (model and firmware for the audit,
//! the MAC for a cross-check with the file name); it never authorises. The parser is written
//! by hand to the grammar of reference §1.5 and refuses anything else, quickly: a header
//! longer than a real one is refused before it is looked at.

use super::{Catalogue, Model, UserAgentFormat, Vendor};
use crate::domain::Mac;

/// Longer User-Agents are not a phone's (real ones are under 70 characters).
const MAX_USER_AGENT: usize = 160;
/// Longer model tokens are not a model.
const MAX_MODEL_TOKEN: usize = 24;

/// A User-Agent the catalogue recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent<'c> {
    /// The vendor's catalogue id (`yealink`).
    pub vendor: &'c str,
    /// The catalogue model the token names, if the catalogue knows it.
    pub model: Option<&'c Model>,
    /// The model as the device spelled it (`T21P_E2`, `T58`, `W52P`).
    pub model_token: String,
    /// The firmware version (`66.85.0.5`).
    pub firmware: Option<String>,
    /// The MAC the device claims; absent from SIP User-Agents and very old firmware.
    pub mac: Option<Mac>,
}

impl Catalogue {
    /// Reads a provisioning request's User-Agent. `None` when no vendor's grammar accepts it
    /// (non-Yealink devices for now, garbage, oversized headers).
    pub fn identify(&self, user_agent: &str) -> Option<UserAgent<'_>> {
        self.vendors().find_map(|vendor| match vendor.user_agent {
            UserAgentFormat::Yealink => self.identify_yealink(vendor, user_agent),
        })
    }

    fn identify_yealink<'c>(&'c self, vendor: &'c Vendor, header: &str) -> Option<UserAgent<'c>> {
        let parts = parse_yealink(header, &vendor.name)?;
        if parts.bare
            && !vendor
                .bare_user_agents
                .iter()
                .any(|token| token.eq_ignore_ascii_case(parts.token))
        {
            return None;
        }
        Some(UserAgent {
            vendor: &vendor.id,
            model: self.model_by_user_agent(&vendor.id, parts.token),
            model_token: parts.token.to_owned(),
            firmware: Some(parts.firmware.to_owned()),
            mac: parts.mac,
        })
    }
}

/// The parts of a Yealink User-Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct YealinkParts<'a> {
    /// The model token, after any `SIP-` / `SIP VP-` prefix.
    pub token: &'a str,
    pub firmware: &'a str,
    pub mac: Option<Mac>,
    /// The header did not start with the vendor word (`W52P 25.30.0.2 …`).
    pub bare: bool,
}

/// Reads `<vendor>[ -]{1,2}[SIP-|SIP VP-]<model> {1,2}<a.b.c.d>[ {1,2}<mac>|<hardware>]`, or
/// the same without the vendor word, ignoring surrounding whitespace and the case of the
/// vendor word and prefix. The MAC is `aa:bb:cc:dd:ee:ff` or 12 hex digits; the very old
/// T46G firmware puts a dotted hardware version there instead, which gives no MAC.
pub(super) fn parse_yealink<'a>(header: &'a str, vendor_word: &str) -> Option<YealinkParts<'a>> {
    let text = header.trim();
    if text.len() > MAX_USER_AGENT || !text.is_ascii() {
        return None;
    }
    let (rest, bare) = match strip_prefix_ignore_case(text, vendor_word) {
        Some(rest) => (skip_separators(rest, |b| b == b' ' || b == b'-')?, false),
        None => (text, true),
    };
    let rest = strip_prefix_ignore_case(rest, "SIP VP-")
        .or_else(|| strip_prefix_ignore_case(rest, "SIP-"))
        .unwrap_or(rest);
    let (token, rest) = split_while(rest, |b| b.is_ascii_alphanumeric() || b == b'_');
    if token.is_empty() || token.len() > MAX_MODEL_TOKEN {
        return None;
    }
    let (firmware, rest) = split_while(skip_spaces(rest)?, |b| b.is_ascii_digit() || b == b'.');
    if !is_dotted_number(firmware, 4) {
        return None;
    }
    let mac = if rest.is_empty() {
        None
    } else {
        trailing_mac(skip_spaces(rest)?)?
    };
    Some(YealinkParts {
        token,
        firmware,
        mac,
        bare,
    })
}

/// The last field: `Some(Some(mac))` for a valid MAC, `Some(None)` for a hardware version,
/// `None` for anything else (including a MAC-shaped field that is no device's MAC).
fn trailing_mac(field: &str) -> Option<Option<Mac>> {
    let colon_form = field.len() == 17
        && field.bytes().enumerate().all(|(i, b)| {
            if i % 3 == 2 {
                b == b':'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    let bare_form = field.len() == 12 && field.bytes().all(|b| b.is_ascii_hexdigit());
    if colon_form || bare_form {
        return field.parse().ok().map(Some);
    }
    let fields = field.split('.').count();
    (fields >= 2 && is_dotted_number(field, fields)).then_some(None)
}

/// `fields` dot-separated runs of 1–6 digits.
fn is_dotted_number(text: &str, fields: usize) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == fields
        && parts
            .iter()
            .all(|p| (1..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Skips one or two bytes for which `is_separator` holds; `None` when there are none or more.
fn skip_separators(text: &str, is_separator: impl Fn(u8) -> bool) -> Option<&str> {
    let count = text.bytes().take_while(|b| is_separator(*b)).count();
    (1..=2).contains(&count).then(|| &text[count..])
}

fn skip_spaces(text: &str) -> Option<&str> {
    skip_separators(text, |b| b == b' ' || b == b'\t')
}

fn split_while(text: &str, keep: impl Fn(u8) -> bool) -> (&str, &str) {
    let end = text.bytes().take_while(|b| keep(*b)).count();
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(header: &str) -> Option<(String, String, Option<String>, bool)> {
        parse_yealink(header, "Yealink").map(|p| {
            (
                p.token.to_owned(),
                p.firmware.to_owned(),
                p.mac.map(|m| m.to_string()),
                p.bare,
            )
        })
    }

    #[test]
    fn the_grammar_takes_prefixes_separators_and_both_mac_forms() {
        let (token, firmware, mac, bare) =
            parts("Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44").unwrap();
        assert_eq!((token.as_str(), firmware.as_str()), ("T49G", "51.80.0.10"));
        assert_eq!(mac.as_deref(), Some("0015659b5a44"));
        assert!(!bare);
        let (token, _, mac, _) = parts("YEALINK  sip-T46S  66.85.0.5  001565AABBCC").unwrap();
        assert_eq!(
            (token.as_str(), mac.as_deref()),
            ("T46S", Some("001565aabbcc"))
        );
        let (token, _, mac, bare) = parts("W52P 25.30.0.2 00:15:65:44:b3:7c").unwrap();
        assert_eq!((token.as_str(), mac.is_some(), bare), ("W52P", true, true));
    }

    /// User-Agent, model found, token, firmware, MAC. Every example of reference §1.5; where the
    /// reference elides the end (`Yealink CP960 73.83.0.30 …`, `Yealink AX83H …`) a firmware
    /// and MAC of the same shape are filled in.
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
        Option<&'static str>,
    );

    #[rustfmt::skip]
    const REFERENCE: &[Case] = &[
        ("Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37", Some("T46G"), "T46G", "28.72.0.1", Some("0015654aa937")),
        ("Yealink SIP-T48G 35.72.0.6 00:15:65:5c:60:82", Some("T48G"), "T48G", "35.72.0.6", Some("0015655c6082")),
        ("Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44", Some("T49G"), "T49G", "51.80.0.10", Some("0015659b5a44")),
        ("Yealink SIP-T38G  38.70.0.125 00:15:65:2f:c3:5e", Some("T38G"), "T38G", "38.70.0.125", Some("0015652fc35e")),
        ("yealink SIP-T28P 2.70.0.140 00:15:65:13:ae:0b", Some("T28P"), "T28P", "2.70.0.140", Some("00156513ae0b")),
        ("Yealink SIP-T21P_E2 52.80.0.3 00:15:65:4c:4c:26", Some("T21P E2"), "T21P_E2", "52.80.0.3", Some("0015654c4c26")),
        ("Yealink SIP-T31G 124.85.257.55 80:5e:c0:d5:7d:72", Some("T31G"), "T31G", "124.85.257.55", Some("805ec0d57d72")),
        ("Yealink SIP-T34W 124.86.0.75 24:9a:d8:88:d0:f4", Some("T34W"), "T34W", "124.86.0.75", Some("249ad888d0f4")),
        ("Yealink SIP-CP920 78.85.0.5 00:15:65:5e:16:7c", Some("CP920"), "CP920", "78.85.0.5", Some("0015655e167c")),
        ("Yealink CP860 37.72.0.5 00:15:65:8a:37:86", Some("CP860"), "CP860", "37.72.0.5", Some("0015658a3786")),
        ("Yealink CP960 73.83.0.30 00:15:65:8a:37:87", Some("CP960"), "CP960", "73.83.0.30", Some("0015658a3787")),
        ("Yealink SIP-T58A 58.83.0.15 00:15:65:9b:5b:22", Some("T58A"), "T58A", "58.83.0.15", Some("0015659b5b22")),
        ("Yealink SIP-T58 58.83.0.15 00:15:65:9b:5b:22", Some("T58A"), "T58", "58.83.0.15", Some("0015659b5b22")),
        ("Yealink SIP-T56A  58.80.0.25 001565f429a4", Some("T56A"), "T56A", "58.80.0.25", Some("001565f429a4")),
        ("Yealink SIP-T77U 185.87.0.10 44:db:d2:bd:b5:69", Some("T77U"), "T77U", "185.87.0.10", Some("44dbd2bdb569")),
        ("Yealink SIP-W52P 25.73.0.20 00:15:65:40:ae:35", Some("W52P"), "W52P", "25.73.0.20", Some("00156540ae35")),
        ("W52P 25.30.0.2 00:15:65:44:b3:7c", Some("W52P"), "W52P", "25.30.0.2", Some("00156544b37c")),
        ("Yealink W52P 25.80.0.15 00:15:65:b8:60:05", Some("W52P"), "W52P", "25.80.0.15", Some("001565b86005")),
        ("Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc", Some("W60B"), "W60B", "77.81.0.35", Some("805ec009abdc")),
        ("Yealink W70B 146.85.0.5 80:5e:0c:1d:65:4e", Some("W70B"), "W70B", "146.85.0.5", Some("805e0c1d654e")),
        ("Yealink W80B 103.83.0.90 80:5e:c0:71:01:38", Some("W80B"), "W80B", "103.83.0.90", Some("805ec0710138")),
        ("Yealink W80DM 103.83.0.122 24:9a:d8:d1:a6:31", Some("W80DM"), "W80DM", "103.83.0.122", Some("249ad8d1a631")),
        ("Yealink W90DM 130.85.0.15 80:5e:c0:d9:c7:44", Some("W90DM"), "W90DM", "130.85.0.15", Some("805ec0d9c744")),
        ("Yealink W75B 175.85.0.5 24:9a:d8:df:fb:11", Some("W75B"), "W75B", "175.85.0.5", Some("249ad8dffb11")),
        ("Yealink AX83H 180.86.0.5 24:9a:d8:df:fb:12", Some("AX83H"), "AX83H", "180.86.0.5", Some("249ad8dffb12")),
        ("VP530P 23.70.0.40 00:15:65:31:4b:c0", Some("VP530"), "VP530P", "23.70.0.40", Some("001565314bc0")),
        ("VP530 23.70.0.40 00:15:65:31:4b:c0", Some("VP530"), "VP530", "23.70.0.40", Some("001565314bc0")),
        ("W60B 77.81.0.35 80:5e:c0:09:ab:dc", Some("W60B"), "W60B", "77.81.0.35", Some("805ec009abdc")),
        ("Yealink-T46G 28.71.0.81 28.1.0.128.0.0.0", Some("T46G"), "T46G", "28.71.0.81", None),
        ("Yealink SIP-T46S 66.85.0.5", Some("T46S"), "T46S", "66.85.0.5", None),
    ];

    fn check(header: &str, model: Option<&str>, token: &str, firmware: &str, mac: Option<&str>) {
        let found = Catalogue::builtin()
            .identify(header)
            .unwrap_or_else(|| panic!("{header:?} was not identified"));
        assert_eq!(found.vendor, "yealink", "{header:?}");
        assert_eq!(found.model.map(|m| m.name.as_str()), model, "{header:?}");
        assert_eq!(found.model_token, token, "{header:?}");
        assert_eq!(found.firmware.as_deref(), Some(firmware), "{header:?}");
        assert_eq!(
            found.mac.map(|m| m.to_string()).as_deref(),
            mac,
            "{header:?}"
        );
    }

    #[test]
    fn every_user_agent_of_the_reference_is_identified() {
        for &(header, model, token, firmware, mac) in REFERENCE {
            check(header, model, token, firmware, mac);
        }
    }

    #[test]
    fn variants_of_the_reference_are_identified() {
        for &(header, model, token, firmware, mac) in REFERENCE {
            check(&header.replace(':', ""), model, token, firmware, mac);
            check(
                &header.replacen("Yealink", "yealink", 1),
                model,
                token,
                firmware,
                mac,
            );
            check(
                &header.to_uppercase(),
                model,
                &token.to_uppercase(),
                firmware,
                mac,
            );
            check(&format!("  {header} \t\r\n"), model, token, firmware, mac);
            if !header.contains("  ") && !header.contains("SIP VP-") {
                let double_spaces = header.replace(' ', "  ");
                check(&double_spaces, model, token, firmware, mac);
            }
        }
    }

    #[test]
    fn unknown_models_keep_their_token() {
        let found = Catalogue::builtin()
            .identify("Yealink SIP-T99Z 199.90.0.1 00:15:65:aa:bb:cc")
            .unwrap();
        assert_eq!((found.model, found.model_token.as_str()), (None, "T99Z"));
    }

    #[test]
    fn other_user_agents_are_not_identified() {
        let huge = format!("Yealink SIP-T46S 66.85.0.5 {}", "0".repeat(10 * 1024));
        for header in [
            "",
            "garbage",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "T46S 66.85.0.5 00:15:65:aa:bb:cc",
            "Polycom W52P 25.30.0.2 00:15:65:44:b3:7c",
            "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application",
            "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872",
            "Fanvil X4 2.10.2.6887 0c383e07e16c",
            "Yealink SIP-T46S",
            "Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc:dd",
            huge.as_str(),
            "Yealink ".repeat(2000).as_str(),
        ] {
            assert!(
                Catalogue::builtin().identify(header).is_none(),
                "{:?}",
                &header[..header.len().min(60)]
            );
        }
    }

    #[test]
    fn the_grammar_refuses_what_it_does_not_know() {
        for header in [
            "",
            "Yealink",
            "YealinkT46S 66.85.0.5",
            "Yealink   SIP-T46S 66.85.0.5",
            "Yealink SIP-T46S   66.85.0.5",
            "Yealink SIP-T46S 66.85.0",
            "Yealink SIP-T46S 66.85.0.5.1",
            "Yealink SIP-T46S 66.85.0.x",
            "Yealink SIP-T46S 66.85.0.5 00:15:65:9b:5a",
            "Yealink SIP-T46S 66.85.0.5 00-15-65-9b-5a-44",
            "Yealink SIP-T46S 66.85.0.5 ff:ff:ff:ff:ff:ff",
            "Yealink SIP-T46S 66.85.0.5 00:15:65:9b:5a:44 extra",
            "Yealink SIP-T46S 66.85.0.5 hello",
            "Yealink SIP- 66.85.0.5",
            "Yealink SIP-T46Sé 66.85.0.5",
        ] {
            assert_eq!(parts(header), None, "{header:?}");
        }
    }
}

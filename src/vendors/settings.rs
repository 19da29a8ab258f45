//! Phone settings in the vendor's words: the keys each named setting becomes, and the raw
//! keys a vendor refuses because sipprov owns them.
//!
//! Yealink is the one vendor of the catalogue; its keys are from `reference/yealink.md`
//! (§3 accounts, "Other useful keys", and the keys checked against public templates). A
//! second vendor adds its own `owned` table and `named_keys` function beside these.

use crate::domain::settings::{Codec, Dtmf, Srtp};
use crate::domain::{ParseError, Settings};

/// One configuration line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// Raw keys sipprov writes itself, as patterns: segments separated by `.`, `#` one number,
/// a trailing `*` any rest. A leading `static.` is ignored when matching (older firmware
/// reads the same keys without it). Each with who owns it, for the refusal.
const YEALINK_OWNED: &[(&str, &str)] = &[
    ("account.#.enable", LINES),
    ("account.#.label", LINES),
    ("account.#.display_name", LINES),
    ("account.#.user_name", LINES),
    ("account.#.auth_name", LINES),
    ("account.#.password", LINES),
    ("account.#.register_name", LINES),
    ("account.#.sip_server.*", LINES),
    ("account.#.sip_server_host", LINES),
    ("account.#.sip_server_port", LINES),
    ("account.#.outbound_proxy_enable", LINES),
    ("account.#.outbound_proxy.*", LINES),
    ("account.#.outbound_host", LINES),
    ("account.#.outbound_port", LINES),
    ("account.#.transport", LINES),
    ("account.#.expires", LINES),
    ("account.#.subscribe_mwi", LINES),
    ("template.*", LINES),
    ("handset.#.name", LINES),
    ("handset.#.incoming_lines", LINES),
    ("handset.#.dial_out_lines", LINES),
    ("handset.#.dial_out_default_line", LINES),
    ("account.#.codec.*", "the named setting codecs"),
    ("account.#.srtp_encryption", "the named setting srtp"),
    (
        "account.#.sip_trust_ctrl",
        "the named setting trust_control",
    ),
    ("sip.trust_ctrl", "the named setting trust_control"),
    (
        "account.#.nat.udp_update_enable",
        "the named setting nat_keepalive",
    ),
    (
        "account.#.nat.udp_update_time",
        "the named setting nat_keepalive",
    ),
    (
        "network.vlan.internet_port_enable",
        "the named settings vlan_id and vlan_priority",
    ),
    (
        "network.vlan.internet_port_vid",
        "the named setting vlan_id",
    ),
    (
        "network.vlan.internet_port_priority",
        "the named setting vlan_priority",
    ),
    ("account.#.dtmf.type", "the named setting dtmf"),
    ("voice_mail.number.*", "the named setting voicemail_number"),
    (
        "remote_phonebook.data.1.*",
        "the named setting phonebook_url",
    ),
    ("dialplan.dialnow.*", "the named setting dial_plan"),
    ("voice.tone.country", "the named setting tone_country"),
    ("security.user_password", "the device's web passwords"),
    ("security.user_name.*", "the device's web passwords"),
    (
        "auto_provision.*",
        "the provisioning server: sipprov itself",
    ),
    ("firmware.*", "the firmware repository"),
    ("over_the_air.*", "the firmware repository"),
    ("linekey.*", "the user's line keys"),
    ("lang.gui", LOCALE),
    ("lang.wui", LOCALE),
    ("custom.handset.language", LOCALE),
    (
        "local_time.*",
        "the time zone of the user on line 1 and the provider's time servers",
    ),
];
const LINES: &str = "the device's lines: assignments, credentials and the account's registrar";
const LOCALE: &str = "the language of the user on line 1";

/// The longest raw key and value.
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 1024;

/// Checks a raw key against Yealink's grammar (lower-case segments of letters, digits and
/// `_`, separated by dots) and the keys sipprov owns.
pub fn check_raw_key(key: &str) -> Result<(), ParseError> {
    let grammar = !key.is_empty()
        && key.len() <= MAX_KEY
        && key.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if !grammar {
        return Err(ParseError::new(format!(
            "{:?} is not a Yealink key: dot-separated lower-case words (a-z, 0-9, _), at most {MAX_KEY} characters",
            key.chars().take(MAX_KEY).collect::<String>()
        )));
    }
    let unprefixed = key.strip_prefix("static.").unwrap_or(key);
    if let Some((_, owner)) = YEALINK_OWNED
        .iter()
        .find(|(pattern, _)| matches(pattern, unprefixed))
    {
        return Err(ParseError::new(format!(
            "{key} is set by sipprov ({owner}); it cannot be a raw key"
        )));
    }
    Ok(())
}

/// Checks a raw value: one line, no control characters, at most 1024 characters; `%NULL%`
/// clears the key on the phone.
pub fn check_raw_value(key: &str, value: &str) -> Result<String, ParseError> {
    if value.chars().any(char::is_control) {
        return Err(ParseError::new(format!(
            "the value of {key} must not contain control characters such as line breaks"
        )));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(ParseError::new(format!(
            "the value of {key} is empty: %NULL% clears the key on the phone, null removes it from this level"
        )));
    }
    if value.chars().count() > MAX_VALUE {
        return Err(ParseError::new(format!(
            "the value of {key} must be at most {MAX_VALUE} characters"
        )));
    }
    Ok(value.to_owned())
}

fn matches(pattern: &str, key: &str) -> bool {
    let mut keys = key.split('.');
    for part in pattern.split('.') {
        if part == "*" {
            return keys.next().is_some();
        }
        match keys.next() {
            Some(segment) if part == "#" => {
                if segment.is_empty() || !segment.chars().all(|c| c.is_ascii_digit()) {
                    return false;
                }
            }
            Some(segment) if segment == part => {}
            _ => return false,
        }
    }
    keys.next().is_none()
}

/// The Yealink lines of the named settings that write their own keys (`voicemail_number`,
/// `tone_country` and `web_passwords` shape the line, locale and security keys instead),
/// named setting by named setting; `accounts`: the numbers of the device's used accounts.
pub fn yealink_named(settings: &Settings, accounts: &[u16]) -> Vec<(&'static str, Vec<KeyValue>)> {
    let mut blocks = Vec::new();
    let kv = |key: String, value: String| KeyValue { key, value };
    let per_account = |f: &dyn Fn(u16) -> Vec<KeyValue>| -> Vec<KeyValue> {
        accounts.iter().flat_map(|n| f(*n)).collect()
    };
    if let Some(codecs) = &settings.codecs {
        blocks.push((
            "codecs",
            per_account(&|n| {
                Codec::ALL
                    .iter()
                    .flat_map(|codec| {
                        let rank = codecs.iter().position(|c| c == codec);
                        let name = codec.as_str();
                        [
                            kv(
                                format!("account.{n}.codec.{name}.enable"),
                                u8::from(rank.is_some()).to_string(),
                            ),
                            kv(
                                format!("account.{n}.codec.{name}.priority"),
                                rank.map_or(0, |r| r + 1).to_string(),
                            ),
                        ]
                    })
                    .collect()
            }),
        ));
    }
    if let Some(srtp) = settings.srtp {
        let code = match srtp {
            Srtp::Off => "0",
            Srtp::Optional => "1",
            Srtp::Required => "2",
        };
        blocks.push((
            "srtp",
            per_account(&|n| vec![kv(format!("account.{n}.srtp_encryption"), code.into())]),
        ));
    }
    if let Some(trust) = settings.trust_control {
        blocks.push((
            "trust_control",
            vec![kv("sip.trust_ctrl".into(), u8::from(trust).to_string())],
        ));
    }
    if let Some(seconds) = settings.nat_keepalive {
        blocks.push((
            "nat_keepalive",
            per_account(&|n| {
                let mut lines = vec![kv(
                    format!("account.{n}.nat.udp_update_enable"),
                    u8::from(seconds > 0).to_string(),
                )];
                if seconds > 0 {
                    lines.push(kv(
                        format!("account.{n}.nat.udp_update_time"),
                        seconds.to_string(),
                    ));
                }
                lines
            }),
        ));
    }
    if let Some(id) = settings.vlan_id {
        let mut lines = vec![kv(
            "static.network.vlan.internet_port_enable".into(),
            u8::from(id > 0).to_string(),
        )];
        if id > 0 {
            lines.push(kv(
                "static.network.vlan.internet_port_vid".into(),
                id.to_string(),
            ));
        }
        blocks.push(("vlan_id", lines));
    }
    if let Some(priority) = settings.vlan_priority {
        blocks.push((
            "vlan_priority",
            vec![kv(
                "static.network.vlan.internet_port_priority".into(),
                priority.to_string(),
            )],
        ));
    }
    if let Some(dtmf) = settings.dtmf {
        let code = match dtmf {
            Dtmf::Inband => "0",
            Dtmf::Rfc2833 => "1",
            Dtmf::SipInfo => "2",
        };
        blocks.push((
            "dtmf",
            per_account(&|n| vec![kv(format!("account.{n}.dtmf.type"), code.into())]),
        ));
    }
    if let Some(url) = &settings.phonebook_url {
        blocks.push((
            "phonebook_url",
            vec![
                kv("remote_phonebook.data.1.url".into(), url.clone()),
                kv("remote_phonebook.data.1.name".into(), "Directory".into()),
            ],
        ));
    }
    if let Some(rules) = &settings.dial_plan {
        // Rules past the list are cleared, so a shorter plan leaves no old rule behind.
        let lines = (1..=DIAL_RULES)
            .flat_map(|i| {
                let rule = rules.get(i - 1);
                [
                    kv(
                        format!("dialplan.dialnow.rule.{i}"),
                        rule.cloned().unwrap_or_else(|| "%NULL%".into()),
                    ),
                    kv(
                        format!("dialplan.dialnow.line.{i}"),
                        if rule.is_some() { "0" } else { "%NULL%" }.into(),
                    ),
                ]
            })
            .collect();
        blocks.push(("dial_plan", lines));
    }
    blocks
}

/// Dial-now rules a plan may hold (and that a plan clears).
pub const DIAL_RULES: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sipprov_owns_are_refused_with_their_owner() {
        for key in [
            "account.1.password",
            "account.12.sip_server.1.address",
            "static.auto_provision.server.url",
            "auto_provision.server.url",
            "static.security.user_password",
            "static.firmware.url",
            "linekey.3.value",
            "account.2.codec.g722.enable",
            "sip.trust_ctrl",
            "template.1.sip_server.1.address",
        ] {
            let refusal = check_raw_key(key).unwrap_err();
            assert!(refusal.message().contains("set by sipprov"), "{key}");
        }
        assert!(
            check_raw_key("account.1.codec.g722.enable")
                .unwrap_err()
                .message()
                .contains("codecs")
        );
        for key in [
            "features.dnd.allow",
            "account.1.cid_source",
            "static.syslog.server",
            "phone_setting.backlight_time",
        ] {
            assert!(check_raw_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn keys_outside_the_grammar_are_refused() {
        for key in [
            "",
            "a..b",
            "A.b",
            "a.b c",
            "a=b",
            "a.b\nstatic.x",
            ".a",
            "a%b",
        ] {
            assert!(check_raw_key(key).is_err(), "{key:?}");
        }
        assert!(check_raw_value("k", "a\nb").is_err());
        assert!(check_raw_value("k", " ").is_err());
        assert_eq!(check_raw_value("k", " %NULL% ").unwrap(), "%NULL%");
    }

    #[test]
    fn named_settings_become_yealink_keys_on_every_used_account() {
        let settings: Settings = serde_json::from_value(serde_json::json!({
            "codecs": ["g722", "pcmu"], "srtp": "required", "nat_keepalive": 0, "vlan_id": 20,
            "dial_plan": ["1xx"]
        }))
        .unwrap();
        let blocks = yealink_named(&settings, &[1, 3]);
        let lines: Vec<String> = blocks
            .iter()
            .flat_map(|(_, lines)| lines.iter().map(|l| format!("{} = {}", l.key, l.value)))
            .collect();
        for expected in [
            "account.1.codec.g722.priority = 1",
            "account.3.codec.pcmu.priority = 2",
            "account.3.codec.g729.enable = 0",
            "account.1.srtp_encryption = 2",
            "account.3.nat.udp_update_enable = 0",
            "static.network.vlan.internet_port_vid = 20",
            "dialplan.dialnow.rule.1 = 1xx",
            "dialplan.dialnow.rule.2 = %NULL%",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{expected}");
        }
        assert!(!lines.iter().any(|l| l.starts_with("account.2.")));
    }
}

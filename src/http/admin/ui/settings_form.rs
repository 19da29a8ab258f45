//! The phone settings form, the same at every level (`phone_settings` in
//! `components.html`): a level's settings as the form's fields, and the submitted form as the
//! service's `settings` object. A named setting left empty is inherited; the raw keys
//! textarea holds the level's whole set of `key = value` lines, so a key no longer there is
//! removed. Refusals keep the service's field names (`settings.codecs`); those of a raw key
//! (`settings.raw.<key>`) go beside the textarea, naming the key.

use std::collections::BTreeMap;

use serde_json::Value;

use super::form::Form;
use crate::domain::{Invalid, Settings};
use crate::service::SettingsInput;

/// The raw keys textarea.
pub const RAW: &str = "settings.raw";

/// The settings form's fields filled from a level's settings.
pub fn settings_values(settings: &Settings) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = settings
        .to_map()
        .into_iter()
        .map(|(name, value)| {
            let text = match (name.as_str(), &value) {
                ("dial_plan", Value::Array(rules)) => {
                    rules.iter().map(plain).collect::<Vec<_>>().join("\n")
                }
                _ => shown_value(&value),
            };
            (format!("settings.{name}"), text)
        })
        .collect();
    let raw: Vec<String> = settings
        .raw
        .iter()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect();
    values.insert(RAW.into(), raw.join("\n"));
    values
}

/// A setting's value as the pages show it: lists comma-separated, booleans `on`/`off`.
pub fn shown_value(value: &Value) -> String {
    match value {
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Bool(true) => "on".into(),
        Value::Bool(false) => "off".into(),
        other => plain(other),
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The settings form as a `settings` object that replaces the level's: an empty field
/// clears the setting (inherited again), and the raw keys of `current` missing from the
/// textarea are removed. What the form itself cannot read is refused into `invalid`.
pub fn settings_input(
    form: &Form,
    current: &BTreeMap<String, String>,
    invalid: &mut Invalid,
) -> SettingsInput {
    let text = |name: &str| {
        form.filled(&format!("settings.{name}"))
            .map(|t| t.trim().to_owned())
    };
    let trust_control = match text("trust_control").as_deref() {
        None => None,
        Some("on") => Some(true),
        Some("off") => Some(false),
        Some(_) => {
            invalid.add(
                "settings.trust_control",
                "must be on or off (or empty: inherit)",
            );
            None
        }
    };
    let list = |name: &str, separator: char| {
        text(name).map(|text| {
            text.split(separator)
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()
        })
    };
    SettingsInput {
        codecs: Some(list("codecs", ',')),
        srtp: Some(text("srtp")),
        trust_control: Some(trust_control),
        nat_keepalive: Some(form.number("settings.nat_keepalive", invalid)),
        vlan_id: Some(form.number("settings.vlan_id", invalid)),
        vlan_priority: Some(form.number("settings.vlan_priority", invalid)),
        dtmf: Some(text("dtmf")),
        voicemail_number: Some(text("voicemail_number")),
        phonebook_url: Some(text("phonebook_url")),
        dial_plan: Some(list("dial_plan", '\n')),
        tone_country: Some(text("tone_country")),
        web_passwords: Some(text("web_passwords")),
        raw: Some(raw_keys(form.text(RAW), current, invalid)),
    }
}

/// The raw keys textarea (`key = value` lines; blank lines and `#` comments skipped) as the
/// change of the level's raw keys `current`: every typed key set, every other removed.
fn raw_keys(
    text: &str,
    current: &BTreeMap<String, String>,
    invalid: &mut Invalid,
) -> BTreeMap<String, Option<String>> {
    let mut typed = BTreeMap::new();
    let mut refused = Vec::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
    {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some((key, value)) if !key.is_empty() => {
                let value = Some(value.to_owned());
                if typed.insert(key.to_owned(), value).is_some() {
                    refused.push(format!("line {number}: {key} is given twice"));
                }
            }
            _ => refused.push(format!("line {number}: expected key = value")),
        }
    }
    if !refused.is_empty() {
        invalid.add(RAW, refused.join("; "));
    }
    for key in current.keys() {
        typed.entry(key.clone()).or_insert(None);
    }
    typed
}

/// The refusals of a raw key (`settings.raw.<key>`) gathered beside the textarea, each
/// naming its key.
pub fn beside_raw(errors: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut raw = Vec::new();
    for (field, message) in errors {
        match field.strip_prefix("settings.raw.") {
            Some(key) if message.contains(key) => raw.push(message),
            Some(key) => raw.push(format!("{key}: {message}")),
            None if field == RAW => raw.insert(0, message),
            None => {
                fields.insert(field, message);
            }
        }
    }
    if !raw.is_empty() {
        fields.insert(RAW.to_owned(), raw.join("; "));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn empty_fields_inherit_and_typed_ones_are_read() {
        let mut invalid = Invalid::new();
        let body = "settings.codecs=g722%2C+pcmu&settings.trust_control=off\
                    &settings.vlan_id=20&settings.dial_plan=%5B2-9%5Dxxx%0D%0A1xxxxxxxxxx&settings.srtp=";
        let input = settings_input(&form(body), &BTreeMap::new(), &mut invalid);
        assert!(invalid.is_empty(), "{invalid}");
        assert_eq!(input.codecs, Some(Some(vec!["g722".into(), "pcmu".into()])));
        assert_eq!(input.trust_control, Some(Some(false)));
        assert_eq!(input.vlan_id, Some(Some(20)));
        assert_eq!(
            input.dial_plan,
            Some(Some(vec!["[2-9]xxx".into(), "1xxxxxxxxxx".into()]))
        );
        assert_eq!(input.srtp, Some(None));
        assert_eq!(input.tone_country, Some(None));
    }

    #[test]
    fn unreadable_fields_are_refused_by_name() {
        let mut invalid = Invalid::new();
        let body = "settings.trust_control=maybe&settings.nat_keepalive=soon\
                    &settings.raw=features.dnd.allow+%3D+0%0Ano+equals+sign";
        settings_input(&form(body), &BTreeMap::new(), &mut invalid);
        let fields = invalid.fields();
        assert!(fields.contains_key("settings.trust_control"));
        assert!(fields.contains_key("settings.nat_keepalive"));
        assert_eq!(fields[RAW], "line 2: expected key = value");
    }

    #[test]
    fn raw_keys_left_out_of_the_textarea_are_removed() {
        let current = BTreeMap::from([
            ("features.dnd.allow".to_owned(), "0".to_owned()),
            ("lang.gui".to_owned(), "English".to_owned()),
        ]);
        let mut invalid = Invalid::new();
        let patch = raw_keys(
            "# kept\nfeatures.dnd.allow = 1\n\nphone_setting.backlight_time=60",
            &current,
            &mut invalid,
        );
        assert!(invalid.is_empty());
        assert_eq!(
            patch,
            BTreeMap::from([
                ("features.dnd.allow".to_owned(), Some("1".to_owned())),
                ("lang.gui".to_owned(), None),
                (
                    "phone_setting.backlight_time".to_owned(),
                    Some("60".to_owned())
                ),
            ])
        );
    }

    #[test]
    fn a_refused_raw_key_is_shown_beside_the_textarea_by_its_name() {
        let errors = BTreeMap::from([
            (
                "settings.raw.account.1.password".to_owned(),
                "sipprov writes it".to_owned(),
            ),
            ("settings.srtp".to_owned(), "no".to_owned()),
        ]);
        let shown = beside_raw(errors);
        assert_eq!(shown[RAW], "account.1.password: sipprov writes it");
        let named = "features.x is set by sipprov".to_owned();
        let errors = BTreeMap::from([("settings.raw.features.x".to_owned(), named.clone())]);
        assert_eq!(
            beside_raw(errors)[RAW],
            named,
            "a message naming its key is kept"
        );
        assert_eq!(shown["settings.srtp"], "no");
    }

    #[test]
    fn a_level_fills_its_form() {
        let settings = Settings {
            codecs: Some(vec![
                crate::domain::settings::Codec::G722,
                crate::domain::settings::Codec::Pcmu,
            ]),
            trust_control: Some(true),
            dial_plan: Some(vec!["1xxx".into(), "2xxx".into()]),
            raw: BTreeMap::from([("features.dnd.allow".into(), "0".into())]),
            ..Settings::default()
        };
        let values = settings_values(&settings);
        assert_eq!(values["settings.codecs"], "g722, pcmu");
        assert_eq!(values["settings.trust_control"], "on");
        assert_eq!(values["settings.dial_plan"], "1xxx\n2xxx");
        assert_eq!(values[RAW], "features.dnd.allow = 0");
        assert!(!values.contains_key("settings.srtp"));
    }
}

//! Phone settings at each level: the account's settings and its device profiles (list,
//! create, edit, delete), a device's profile and own settings with its effective settings
//! and their sources, and the preview of its file.
//!
//! Every level has the same form (`phone_settings` in `components.html`): a named setting
//! left empty is inherited, and the raw keys textarea holds the level's whole set of
//! `key = value` lines — a key no longer there is removed from the level. Refusals keep the
//! service's field names (`settings.codecs`); those of a raw key (`settings.raw.<key>`) are
//! shown beside the textarea, naming the key.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Value, json};

use super::form::Form;
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::settings::ProfileName;
use crate::domain::{AccountId, Invalid, Mac, Settings};
use crate::service::{self, AccountInput, DeviceUpdate, ProfileInput, SettingsInput};

/// The raw keys textarea.
const RAW: &str = "settings.raw";

/// A form shown again: its values and its errors by field.
type Shown = (BTreeMap<String, String>, BTreeMap<String, String>);

impl Ui {
    pub(super) async fn phone_settings(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        Ok(Reply::Page(self.account_page(account, None, None).await?))
    }

    /// The account's phone settings page; `refused_profile`: a profile that was not deleted,
    /// and why.
    async fn account_page(
        &self,
        account: AccountId,
        shown: Option<Shown>,
        refused_profile: Option<(String, String)>,
    ) -> Result<Page, Failure> {
        let (view, profiles) = self
            .run(move |s| Ok((s.account(account)?, s.profiles(account)?)))
            .await?;
        let (values, errors) =
            shown.unwrap_or_else(|| (settings_values(&view.settings), BTreeMap::new()));
        let (refused_name, refusal) = refused_profile.unzip();
        let page = Page::new(
            "phone_settings",
            format!("{} — phone settings", view.name),
            json!({
                "account": json(&view),
                "profiles": json(&profiles),
                "form": {"values": values, "errors": errors},
                "refused_profile": refused_name,
                "refusal": refusal,
            }),
        );
        Ok(page.in_account(&view, "phone-settings"))
    }

    pub(super) async fn update_phone_settings(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let current = self.run(move |s| s.account(account)).await?.settings.raw;
        let mut invalid = Invalid::new();
        let input = AccountInput {
            settings: Some(settings_input(&call.form, &current, &mut invalid)),
            ..AccountInput::default()
        };
        let saved = self
            .run(move |s| {
                invalid.into_result()?;
                s.update_account(account, &input)
            })
            .await;
        match saved {
            Ok(_) => Ok(Reply::redirect_with(
                format!("/accounts/{account}/phone-settings"),
                "Phone settings saved; the account's phones get them at their next fetch.",
            )),
            Err(failure) => {
                let shown = (call.form.values(), beside_raw(refusals(failure)?));
                let page = self.account_page(account, Some(shown), None).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn new_profile(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let shown = (BTreeMap::new(), BTreeMap::new());
        Ok(Reply::Page(self.profile_page(account, None, shown).await?))
    }

    /// A profile's page, or the new profile form (`name` is `None`).
    async fn profile_page(
        &self,
        account: AccountId,
        name: Option<String>,
        (values, errors): Shown,
    ) -> Result<Page, Failure> {
        let (view, profile) = self
            .run(move |s| {
                let profile = name.map(|name| s.profile(account, &name)).transpose()?;
                Ok((s.account(account)?, profile))
            })
            .await?;
        let title = match &profile {
            Some(profile) => format!("{} — profile {}", view.name, profile.name),
            None => format!("{} — new device profile", view.name),
        };
        let values = match (&profile, values.is_empty()) {
            (Some(profile), true) => settings_values(&profile.settings),
            _ => values,
        };
        let page = Page::new(
            "profile",
            title,
            json!({
                "account": json(&view),
                "profile": profile.as_ref().map(json),
                "form": {"values": values, "errors": errors},
            }),
        );
        Ok(page.in_account(&view, "phone-settings"))
    }

    pub(super) async fn create_profile(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let mut invalid = Invalid::new();
        let input = ProfileInput {
            name: Some(call.form.text("name").to_owned()),
            settings: Some(settings_input(&call.form, &BTreeMap::new(), &mut invalid)),
        };
        let created = self
            .run(move |s| {
                invalid.into_result()?;
                s.create_profile(account, &input)
            })
            .await;
        match created {
            Ok(profile) => Ok(Reply::redirect_with(
                format!("/accounts/{account}/profiles/{}", profile.name),
                format!(
                    "Profile {} created; assign it to devices on their phone settings page.",
                    profile.name
                ),
            )),
            Err(failure) => {
                let shown = (call.form.values(), beside_raw(refusals(failure)?));
                let page = self.profile_page(account, None, shown).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn profile(
        &self,
        call: &Call,
        account: AccountId,
        name: ProfileName,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let shown = (BTreeMap::new(), BTreeMap::new());
        let page = self.profile_page(account, Some(name.0), shown).await?;
        Ok(Reply::Page(page))
    }

    pub(super) async fn update_profile(
        &self,
        call: &Call,
        account: AccountId,
        ProfileName(name): ProfileName,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let asked = name.clone();
        let current = self
            .run(move |s| s.profile(account, &asked))
            .await?
            .settings
            .raw;
        let mut invalid = Invalid::new();
        let input = ProfileInput {
            name: None,
            settings: Some(settings_input(&call.form, &current, &mut invalid)),
        };
        let asked = name.clone();
        let saved = self
            .run(move |s| {
                invalid.into_result()?;
                s.update_profile(account, &asked, &input)
            })
            .await;
        match saved {
            Ok(profile) => Ok(Reply::redirect_with(
                format!("/accounts/{account}/profiles/{name}"),
                format!(
                    "Profile {name} saved; its {} device(s) get it at their next fetch.",
                    profile.devices.len()
                ),
            )),
            Err(failure) => {
                let shown = (call.form.values(), beside_raw(refusals(failure)?));
                let page = self.profile_page(account, Some(name), shown).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    /// Deletes a profile; one that devices use comes back as a `409` beside its row.
    pub(super) async fn delete_profile(
        &self,
        call: &Call,
        account: AccountId,
        ProfileName(name): ProfileName,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let asked = name.clone();
        match self.run(move |s| s.delete_profile(account, &asked)).await {
            Ok(()) => Ok(Reply::redirect_with(
                format!("/accounts/{account}/phone-settings"),
                format!("Profile {name} deleted."),
            )),
            Err(Failure::Service(service::Error::Conflict { message, .. })) => {
                let page = self
                    .account_page(account, None, Some((name, message)))
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::CONFLICT)))
            }
            Err(failure) => Err(failure),
        }
    }

    pub(super) async fn device_settings(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        self.device_of(call, mac).await?;
        Ok(Reply::Page(
            self.device_settings_page(mac, None, None).await?,
        ))
    }

    /// A device's phone settings page: its profile, its own settings (or the refused form
    /// `shown`), and its effective settings; `profile_error`: why the profile was refused.
    async fn device_settings_page(
        &self,
        mac: Mac,
        shown: Option<Shown>,
        profile_error: Option<String>,
    ) -> Result<Page, Failure> {
        let (device, account, effective) = self
            .run(move |s| {
                let device = s.device(mac)?;
                let account = s.account(device.account)?;
                Ok((device, account, s.device_settings(mac)?))
            })
            .await?;
        let (values, errors) =
            shown.unwrap_or_else(|| (settings_values(&device.settings), BTreeMap::new()));
        let sourced = |(name, sourced): (&String, &service::SourcedValue)| {
            json!({
                "name": name,
                "value": shown_value(&sourced.value),
                "source": sourced.source,
                "profile": sourced.profile,
            })
        };
        let page = Page::new(
            "device_settings",
            format!("{} {} — phone settings", device.model, device.mac),
            json!({
                "device": json(&device),
                "account": json(&account),
                "named": effective.settings.iter().map(sourced).collect::<Vec<_>>(),
                "raw": effective.raw.iter().map(sourced).collect::<Vec<_>>(),
                "form": {"values": values, "errors": errors},
                "profile_form": {
                    "values": {"profile": device.profile},
                    "errors": {"profile": profile_error},
                },
                "profiles": account
                    .profiles
                    .iter()
                    .map(|name| json!({"value": name, "label": name}))
                    .collect::<Vec<_>>(),
            }),
        );
        Ok(page.in_account(&account, "devices"))
    }

    pub(super) async fn set_device_profile(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        self.device_of(call, mac).await?;
        let input = DeviceUpdate {
            profile: Some(call.form.filled("profile")),
            ..DeviceUpdate::default()
        };
        match self.run(move |s| s.update_device(mac, &input)).await {
            Ok(device) => Ok(Reply::redirect_with(
                format!("/devices/{mac}/settings"),
                match device.profile {
                    Some(profile) => format!("The device takes the settings of profile {profile}."),
                    None => "The device has no profile now.".into(),
                },
            )),
            Err(failure) => {
                let error = refusals(failure)?.remove("profile");
                let page = self.device_settings_page(mac, None, error).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn update_device_settings(
        &self,
        call: &Call,
        mac: Mac,
    ) -> Result<Reply, Failure> {
        let (device, _) = self.device_of(call, mac).await?;
        let mut invalid = Invalid::new();
        let input = DeviceUpdate {
            settings: Some(settings_input(
                &call.form,
                &device.settings.raw,
                &mut invalid,
            )),
            ..DeviceUpdate::default()
        };
        let saved = self
            .run(move |s| {
                invalid.into_result()?;
                s.update_device(mac, &input)
            })
            .await;
        match saved {
            Ok(_) => Ok(Reply::redirect_with(
                format!("/devices/{mac}/settings"),
                "The device's settings are saved; the phone gets them at its next fetch.",
            )),
            Err(failure) => {
                let shown = (call.form.values(), beside_raw(refusals(failure)?));
                let page = self.device_settings_page(mac, Some(shown), None).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    /// The device's file as the phone gets it, every secret masked by the service.
    pub(super) async fn device_preview(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        let (device, _) = self.device_of(call, mac).await?;
        let (account, file) = self
            .run(move |s| Ok((s.account(device.account)?, s.preview_device(mac)?)))
            .await?;
        let page = Page::new(
            "preview",
            format!("{mac} — preview of its file"),
            json!({"mac": mac.to_string(), "file": file}),
        );
        Ok(Reply::Page(page.in_account(&account, "devices")))
    }
}

/// The settings form's fields filled from a level's settings.
fn settings_values(settings: &Settings) -> BTreeMap<String, String> {
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
fn shown_value(value: &Value) -> String {
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
fn settings_input(
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
fn beside_raw(errors: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut raw = Vec::new();
    for (field, message) in errors {
        match field.strip_prefix("settings.raw.") {
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

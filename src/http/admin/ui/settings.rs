//! Phone settings at each level: the account's settings and its device profiles (list,
//! create, edit, delete), a device's profile and own settings with its effective settings
//! and their sources, and the preview of its file. Every level has the same form
//! (`settings_form`).

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use super::settings_form::{beside_raw, settings_input, settings_values, shown_value};
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::settings::ProfileName;
use crate::domain::{AccountId, Invalid, Mac};
use crate::service::{self, AccountInput, DeviceUpdate, ProfileInput};

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

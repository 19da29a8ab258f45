//! Devices: an account's devices and registering one by MAC; a device's page with its
//! lines (assign, rename, rotate credentials, unassign), its provisioning credentials and
//! hand-off state (re-arm), its last fetch and fetch audit, replacing it by a new MAC; the
//! unclaimed devices and claiming one.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Value, json};

use super::access::Access;
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{AccountId, Invalid, Mac};
use crate::service::{
    ArmInput, ClaimInput, DeviceInput, DeviceView, LineInput, ReplaceInput, UserQuery,
};

/// Most devices listed, fetches shown in the audit, users offered for a line.
const PAGE: usize = 500;
const AUDIT: usize = 50;

/// A refused form on a page with several: which one (a line number, a MAC), and why.
type Refused = Option<(String, BTreeMap<String, String>)>;

/// The values typed into a refused form, shown again.
type Typed = BTreeMap<String, String>;

impl Ui {
    pub(super) async fn devices(&self, call: &Call, account: AccountId) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let page = self
            .devices_page(account, BTreeMap::new(), BTreeMap::new())
            .await?;
        Ok(Reply::Page(page))
    }

    async fn devices_page(
        &self,
        account: AccountId,
        values: BTreeMap<String, String>,
        errors: BTreeMap<String, String>,
    ) -> Result<Page, Failure> {
        let (account, devices) = self
            .run(move |s| Ok((s.account(account)?, s.devices(account, None, PAGE)?)))
            .await?;
        let models: Vec<Value> = self
            .service
            .catalogue()
            .models()
            .map(|m| json!({"name": m.name, "lines": m.lines}))
            .collect();
        let page = Page::new(
            "devices",
            format!("{} — devices", account.name),
            json!({
                "account": json(&account),
                "devices": json(&devices.items),
                "models": models,
                "form": {"values": values, "errors": errors},
            }),
        );
        Ok(page.in_account(&account, "devices"))
    }

    pub(super) async fn create_device(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let input = DeviceInput {
            mac: Some(call.form.text("mac").to_owned()),
            model: call.form.filled("model"),
            label: call.form.filled("label"),
        };
        match self.run(move |s| s.create_device(account, &input)).await {
            Ok(device) => Ok(Reply::redirect_with(
                format!("/devices/{}", device.mac),
                format!(
                    "{} {} registered. Give the phone the provisioning credentials below, or let it \
                     fetch once without them while it is armed.",
                    device.model, device.mac
                ),
            )),
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self
                    .devices_page(account, call.form.values(), errors)
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    /// A device the caller administers.
    pub(super) async fn device_of<'c>(
        &self,
        call: &'c Call,
        mac: Mac,
    ) -> Result<(DeviceView, &'c Access), Failure> {
        let access = call.admin()?;
        let device = self.run(move |s| s.device(mac)).await?;
        if !access.sees_account(device.account) {
            return Err(Failure::NotFound("device"));
        }
        Ok((device, access))
    }

    pub(super) async fn device(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        self.device_of(call, mac).await?;
        Ok(Reply::Page(
            self.device_page(mac, None, Typed::new()).await?,
        ))
    }

    async fn device_page(
        &self,
        mac: Mac,
        refused: Refused,
        values: Typed,
    ) -> Result<Page, Failure> {
        let (device, account, audit, users) = self
            .run(move |s| {
                let device = s.device(mac)?;
                let account = s.account(device.account)?;
                let audit = s.device_audit(mac, AUDIT)?;
                let query = UserQuery {
                    status: Some("active".into()),
                    limit: PAGE,
                    ..UserQuery::default()
                };
                let users = s.users(device.account, &query)?.items;
                Ok((device, account, audit, users))
            })
            .await?;
        let slots: Vec<Value> = (1..=device.line_count)
            .map(|number| {
                let line = device.lines.iter().find(|l| l.line == number);
                json!({"number": number, "line": line.map(json)})
            })
            .collect();
        let people: Vec<Value> = users
            .iter()
            .filter(|u| u.kind.is_person())
            .map(|u| json!({"id": u.id, "name": u.display_name, "extension": u.extension}))
            .collect();
        // A replacement is of the same vendor: the models offered for it.
        let models: Vec<Value> = self
            .service
            .catalogue()
            .models()
            .filter(|m| m.vendor == device.vendor)
            .map(|m| json!({"name": m.name, "lines": m.lines}))
            .collect();
        let (refused_form, errors) = refused.unwrap_or_default();
        let replace_errors = if refused_form == "replace" {
            errors.clone()
        } else {
            BTreeMap::new()
        };
        let page = Page::new(
            "device",
            format!("{} {}", device.model, device.mac),
            json!({
                "device": json(&device),
                "account": json(&account),
                "slots": slots,
                "audit": json(&audit),
                "users": people,
                "models": models,
                "replace": {"values": values, "errors": replace_errors},
                "refused": refused_form,
                "errors": errors,
            }),
        );
        Ok(page.in_account(&account, "devices"))
    }

    /// Runs a change of a device's lines; a refusal shows the device page again with the
    /// refused form's errors.
    async fn change_device(
        &self,
        call: &Call,
        mac: Mac,
        form: String,
        change: impl FnOnce(&crate::service::Service) -> Result<String, crate::service::Error>
        + Send
        + 'static,
    ) -> Result<Reply, Failure> {
        self.device_of(call, mac).await?;
        match self.run(change).await {
            Ok(message) => Ok(Reply::redirect_with(format!("/devices/{mac}"), message)),
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self
                    .device_page(mac, Some((form, errors)), Typed::new())
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn assign_line(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        let mut invalid = Invalid::new();
        let line: Option<u16> = call.form.number("line", &mut invalid);
        let user: Option<u64> = call.form.number("user", &mut invalid);
        let input = LineInput {
            user,
            name: call.form.filled("name"),
            sip_username: None,
            sip_password: None,
        };
        let form = line.map_or_else(String::new, |n| n.to_string());
        self.change_device(call, mac, form, move |s| {
            invalid.into_result()?;
            let line = s.assign_line(mac, line, &input)?;
            Ok(format!(
                "Line {} assigned to {}.",
                line.line, line.user_name
            ))
        })
        .await
    }

    pub(super) async fn rename_line(
        &self,
        call: &Call,
        mac: Mac,
        line: u16,
    ) -> Result<Reply, Failure> {
        let name = call.form.text("name").to_owned();
        self.change_device(call, mac, line.to_string(), move |s| {
            let line = s.rename_line(mac, line, &name)?;
            Ok(format!("Line {} renamed {}.", line.line, line.name))
        })
        .await
    }

    pub(super) async fn rotate_line(
        &self,
        call: &Call,
        mac: Mac,
        line: u16,
    ) -> Result<Reply, Failure> {
        self.change_device(call, mac, line.to_string(), move |s| {
            let line = s.rotate_line(mac, line)?;
            Ok(format!(
                "Line {} has a new SIP password; the phone gets it at its next fetch.",
                line.line
            ))
        })
        .await
    }

    pub(super) async fn rotate_web_passwords(
        &self,
        call: &Call,
        mac: Mac,
    ) -> Result<Reply, Failure> {
        self.change_device(call, mac, "web".into(), move |s| {
            s.rotate_web_passwords(mac)?;
            Ok("The device has new web passwords; it gets them at its next fetch.".into())
        })
        .await
    }

    pub(super) async fn unassign_line(
        &self,
        call: &Call,
        mac: Mac,
        line: u16,
    ) -> Result<Reply, Failure> {
        self.change_device(call, mac, line.to_string(), move |s| {
            s.unassign_line(mac, line)?;
            Ok(format!(
                "Line {line} is free; the phone clears it at its next fetch."
            ))
        })
        .await
    }

    pub(super) async fn arm_device(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        let mut invalid = Invalid::new();
        let input = ArmInput {
            hours: call.form.number("hours", &mut invalid),
            networks: None,
        };
        self.change_device(call, mac, "arm".into(), move |s| {
            invalid.into_result()?;
            let device = s.arm_device(mac, &input)?;
            let until = device
                .provisioning
                .armed_until
                .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            Ok(format!(
                "Re-armed: the phone may fetch once without credentials until {until}."
            ))
        })
        .await
    }

    /// Moves the device's lines to the MAC typed; the new device's page follows. A refusal
    /// shows this page again with the typed values, each error beside its field.
    pub(super) async fn replace_device(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        self.device_of(call, mac).await?;
        let input = ReplaceInput {
            mac: Some(call.form.text("mac").to_owned()),
            model: call.form.filled("model"),
        };
        match self.run(move |s| s.replace_device(mac, &input)).await {
            Ok(device) => Ok(Reply::redirect_with(
                format!("/devices/{}", device.mac),
                format!(
                    "{mac} replaced by {} {}: its lines moved with their SIP credentials, and it \
                     is armed for its first fetch.",
                    device.model, device.mac
                ),
            )),
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self
                    .device_page(mac, Some(("replace".into(), errors)), call.form.values())
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn unclaimed(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        Ok(Reply::Page(self.unclaimed_page(None).await?))
    }

    async fn unclaimed_page(&self, refused: Refused) -> Result<Page, Failure> {
        let (devices, accounts) = self
            .run(|s| Ok((s.unclaimed_devices()?, s.accounts(None, PAGE)?.items)))
            .await?;
        let accounts: Vec<Value> = accounts
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name, "domain": a.domain}))
            .collect();
        let models: Vec<&str> = self
            .service
            .catalogue()
            .models()
            .map(|m| m.name.as_str())
            .collect();
        let (refused_form, errors) = refused.unwrap_or_default();
        let page = Page::new(
            "unclaimed",
            "Unclaimed devices",
            json!({
                "devices": json(&devices),
                "accounts": accounts,
                "models": models,
                "refused": refused_form,
                "errors": errors,
            }),
        );
        Ok(page.section("unclaimed"))
    }

    pub(super) async fn claim(&self, call: &Call, mac: Mac) -> Result<Reply, Failure> {
        call.provider()?;
        let mut invalid = Invalid::new();
        let input = ClaimInput {
            account: call.form.number("account", &mut invalid),
            model: call.form.filled("model"),
            label: call.form.filled("label"),
        };
        let claimed = self
            .run(move |s| {
                invalid.into_result()?;
                s.claim_device(mac, &input)
            })
            .await;
        match claimed {
            Ok(device) => Ok(Reply::redirect_with(
                format!("/devices/{}", device.mac),
                format!(
                    "{} {} claimed; it is armed for its first fetch.",
                    device.model, device.mac
                ),
            )),
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self.unclaimed_page(Some((mac.to_string(), errors))).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }
}

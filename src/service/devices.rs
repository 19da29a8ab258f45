//! Devices: register by MAC with a catalogue model, read, list, delete, re-arm the
//! first-boot hand-off, claim a device from the unclaimed list, and replace a broken one.

use ipnet::IpNet;
use jiff::SignedDuration;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{DeviceView, Page, UnclaimedView};
use super::{Error, Service, now};
use crate::domain::{
    Account, AccountId, Device, HandOff, Invalid, Mac, ProvisioningCredentials, optional_text,
};
use crate::secret;
use crate::store::{Reads, Write};
use crate::vendors::Model;

/// `POST /api/v1/accounts/{id}/devices`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// In any notation: `001565aabbcc`, `00:15:65:aa:bb:cc`, `00-15-65-aa-bb-cc`, `0015.65aa.bbcc`.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        example = "00:15:65:aa:bb:cc"
    )]
    pub mac: Option<String>,
    /// A model of the catalogue (`GET /api/v1/models`).
    #[schema(required = true, nullable = false, min_length = 1, example = "T46S")]
    pub model: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub label: Option<String>,
}

/// `POST /api/v1/devices/{mac}/arm`: re-open the hand-off window (a factory-reset phone).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmInput {
    /// Window length in hours; the server's default when left out.
    #[schema(minimum = 1, maximum = 720)]
    pub hours: Option<u32>,
    /// Networks the unauthenticated fetch must come from (CIDR); the server's default when
    /// left out.
    #[schema(example = json!(["192.0.2.0/24"]))]
    pub networks: Option<Vec<String>>,
}

/// `POST /api/v1/unclaimed/{mac}/claim`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The account the device joins.
    #[schema(required = true, nullable = false)]
    pub account: Option<u64>,
    /// Needed when the device's User-Agent did not name a catalogue model.
    #[schema(min_length = 1, example = "T46S")]
    pub model: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub label: Option<String>,
}

/// `POST /api/v1/devices/{mac}/replace`: the phone that takes a broken one's place.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceInput {
    /// The new device's MAC, in any notation; not registered yet.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        example = "00:15:65:aa:bb:cd"
    )]
    pub mac: Option<String>,
    /// The new device's model: of the same vendor, with a line for every line in use. The
    /// old device's model when left out.
    #[schema(min_length = 1, example = "T46S")]
    pub model: Option<String>,
}

impl Service {
    pub(crate) fn find_model(
        &self,
        field: &str,
        name: Option<&str>,
    ) -> Result<&'static Model, Invalid> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return Err(Invalid::field(field, "is required"));
        };
        self.catalogue.model(name).ok_or_else(|| {
            Invalid::field(
                field,
                format!("{name:?} is not a model of the catalogue (GET /api/v1/models lists them)"),
            )
        })
    }

    /// Registers a device in the write: MAC unique across accounts, model from the
    /// catalogue, fresh provisioning credentials, hand-off armed. Field names are prefixed
    /// with `prefix` (`device.` inside the user form).
    pub(crate) fn register_device(
        &self,
        w: &mut Write<'_>,
        account: &Account,
        mac: Mac,
        model: &Model,
        label: Option<String>,
        prefix: &str,
    ) -> Result<Device, Error> {
        if let Some(existing) = w.device(mac)? {
            let whose = if existing.account == account.id {
                "this"
            } else {
                "another"
            };
            return Err(Error::conflict(
                &format!("{prefix}mac"),
                format!("{mac} is already registered to {whose} account"),
            ));
        }
        let registered_at = now();
        let device = Device {
            mac,
            account: account.id,
            vendor: model.vendor.to_string(),
            model: model.name.to_string(),
            label,
            provisioning: ProvisioningCredentials {
                username: mac.to_string(),
                password: secret::password(),
            },
            handoff: HandOff::armed(
                registered_at,
                self.settings.handoff_window,
                self.settings.handoff_networks.clone(),
            ),
            lines: Default::default(),
            web_passwords: Some(secret::web_passwords()),
            profile: None,
            settings: Default::default(),
            created_at: registered_at,
            model_mismatch: None,
        };
        w.put_device(&device)?;
        w.delete_unclaimed(mac)?;
        Ok(device)
    }

    pub(crate) fn device_view(
        &self,
        reads: &(impl Reads + ?Sized),
        device: Device,
    ) -> Result<DeviceView, Error> {
        let model = self.catalogue.model(&device.model);
        let line_count = model.map_or(device.lines.len() as u16, |m| m.lines);
        let handsets = model.and_then(|m| m.dect.as_ref().map(|d| d.handsets));
        DeviceView::load(reads, device, line_count, handsets)
    }

    pub fn create_device(
        &self,
        account: AccountId,
        input: &DeviceInput,
    ) -> Result<DeviceView, Error> {
        let mut invalid = Invalid::new();
        let mac = match &input.mac {
            Some(text) => invalid.check("mac", text.parse::<Mac>()),
            None => {
                invalid.add("mac", "is required");
                None
            }
        };
        let model = self
            .find_model("model", input.model.as_deref())
            .map_err(|e| invalid.merge("", e))
            .ok();
        let label = invalid
            .check("label", optional_text(input.label.as_deref(), 64))
            .flatten();
        invalid.into_result()?;
        let (Some(mac), Some(model)) = (mac, model) else {
            unreachable!("checked above")
        };
        self.store.write(|w| {
            let account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let device = self.register_device(w, &account, mac, model, label, "")?;
            self.device_view(w, device)
        })
    }

    pub fn device(&self, mac: Mac) -> Result<DeviceView, Error> {
        let device = self.store.device(mac)?.ok_or(Error::NotFound("device"))?;
        self.device_view(&self.store, device)
    }

    pub fn devices(
        &self,
        account: AccountId,
        after: Option<Mac>,
        limit: usize,
    ) -> Result<Page<DeviceView>, Error> {
        self.store
            .account(account)?
            .ok_or(Error::NotFound("account"))?;
        let devices: Vec<Device> = self
            .store
            .devices_of(account)?
            .into_iter()
            .filter(|d| after.is_none_or(|after| d.mac > after))
            .take(limit + 1)
            .collect();
        let views = devices
            .into_iter()
            .map(|device| self.device_view(&self.store, device))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(views, limit, |view| view.mac.to_string()))
    }

    /// Deletes a device and its lines; the users keep everything else.
    /// The account a device belongs to, if it exists.
    pub fn device_account(&self, mac: Mac) -> Result<Option<AccountId>, Error> {
        Ok(self.store.device(mac)?.map(|device| device.account))
    }

    pub fn delete_device(&self, mac: Mac) -> Result<(), Error> {
        self.store.write(|w| {
            w.device(mac)?.ok_or(Error::NotFound("device"))?;
            w.delete_device(mac)?;
            Ok(())
        })
    }

    /// Re-arms the hand-off: the device may again fetch once without credentials.
    pub fn arm_device(&self, mac: Mac, input: &ArmInput) -> Result<DeviceView, Error> {
        let mut invalid = Invalid::new();
        let window = match input.hours {
            Some(0) => {
                invalid.add("hours", "must be at least 1");
                None
            }
            Some(hours) if hours > 24 * 30 => {
                invalid.add("hours", "must be at most 720 (30 days)");
                None
            }
            Some(hours) => Some(SignedDuration::from_hours(i64::from(hours))),
            None => Some(self.settings.handoff_window),
        };
        let networks: Option<Vec<IpNet>> = match &input.networks {
            Some(texts) => texts
                .iter()
                .map(|t| t.trim().parse::<IpNet>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    invalid.add(
                        "networks",
                        "must be networks in CIDR notation such as 192.0.2.0/24",
                    )
                })
                .ok(),
            None => Some(self.settings.handoff_networks.clone()),
        };
        invalid.into_result()?;
        let (Some(window), Some(networks)) = (window, networks) else {
            unreachable!("checked above")
        };
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            // The refusal history stays: it tells the admin why the phone needed re-arming.
            device.handoff = HandOff {
                refused_attempts: device.handoff.refused_attempts,
                last_refused_at: device.handoff.last_refused_at,
                handed_off_at: device.handoff.handed_off_at,
                ..HandOff::armed(now(), window, networks.clone())
            };
            w.put_device(&device)?;
            self.device_view(w, device)
        })
    }

    /// New generated passwords for the device's web logins; its next file carries them.
    pub fn rotate_web_passwords(&self, mac: Mac) -> Result<DeviceView, Error> {
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            device.web_passwords = Some(secret::web_passwords());
            w.put_device(&device)?;
            self.device_view(w, device)
        })
    }

    /// Moves every line of a device to a new MAC in one write: same line numbers, names
    /// and SIP credentials (so the registrar directory answers the same hashes), the old
    /// device's label, profile and own settings; fresh provisioning credentials and web
    /// passwords, the hand-off armed as for a new device. The old device goes with its
    /// audit and last fetch: they describe the broken phone, and a record left under a MAC
    /// that is no longer registered would come back if that MAC were registered again.
    pub fn replace_device(&self, old: Mac, input: &ReplaceInput) -> Result<DeviceView, Error> {
        let mut invalid = Invalid::new();
        let mac = match &input.mac {
            Some(text) => invalid.check("mac", text.parse::<Mac>()),
            None => {
                invalid.add("mac", "is required");
                None
            }
        };
        if mac == Some(old) {
            invalid.add(
                "mac",
                "is the device being replaced; give the new device's MAC",
            );
        }
        let given_model = match &input.model {
            Some(name) => self
                .find_model("model", Some(name))
                .map_err(|e| invalid.merge("", e))
                .ok(),
            None => None,
        };
        invalid.into_result()?;
        let Some(mac) = mac else {
            unreachable!("checked above")
        };
        self.store.write(|w| {
            let replaced = w.device(old)?.ok_or(Error::NotFound("device"))?;
            let model = match given_model {
                Some(model) => model,
                None => self.find_model("model", Some(&replaced.model))?,
            };
            check_replacement(&replaced, model)?;
            let account = w
                .account(replaced.account)?
                .ok_or(Error::NotFound("account"))?;
            w.delete_device(old)?;
            let mut device = self.register_device(w, &account, mac, model, replaced.label, "")?;
            device.lines = replaced.lines;
            device.profile = replaced.profile;
            device.settings = replaced.settings;
            w.put_device(&device)?;
            self.device_view(w, device)
        })
    }

    /// A device's recorded fetches, newest first.
    pub fn device_audit(&self, mac: Mac, limit: usize) -> Result<Vec<crate::domain::Fetch>, Error> {
        self.store.device(mac)?.ok_or(Error::NotFound("device"))?;
        Ok(self.store.audit(mac, limit)?)
    }

    pub fn unclaimed_devices(&self) -> Result<Vec<UnclaimedView>, Error> {
        Ok(self.store.unclaimed_devices()?)
    }

    /// Registers an unclaimed device to an account, with the model it told us or the one given.
    pub fn claim_device(&self, mac: Mac, input: &ClaimInput) -> Result<DeviceView, Error> {
        let account = input
            .account
            .map(AccountId)
            .ok_or_else(|| Invalid::field("account", "is required"))?;
        let label = optional_text(input.label.as_deref(), 64)
            .map_err(|e| Invalid::field("label", e.message()))?;
        self.store.write(|w| {
            let unclaimed = w
                .unclaimed(mac)?
                .ok_or(Error::NotFound("unclaimed device"))?;
            let account = w
                .account(account)?
                .ok_or_else(|| Invalid::field("account", "no such account"))?;
            let model_name = input.model.as_deref().or(unclaimed.model.as_deref());
            let model = self.find_model("model", model_name)?;
            let device = self.register_device(w, &account, mac, model, label.clone(), "")?;
            self.device_view(w, device)
        })
    }
}

/// Refuses a model that cannot take the lines of `replaced`: another vendor (its settings
/// and keys are that vendor's), or fewer lines than the highest line number in use.
fn check_replacement(replaced: &Device, model: &Model) -> Result<(), Invalid> {
    if model.vendor != replaced.vendor {
        return Err(Invalid::field(
            "model",
            format!(
                "{} is a {} model; a {} device is replaced by one of the same vendor",
                model.name, model.vendor, replaced.vendor
            ),
        ));
    }
    match replaced.lines.keys().next_back() {
        Some(&highest) if highest > model.lines => Err(Invalid::field(
            "model",
            format!(
                "{} has {} lines, but the device uses line {highest}",
                model.name, model.lines
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::service::Settings;
    use crate::store::Store;
    use crate::vendors::Catalogue;

    fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    /// A T46S with a line 3, read back as the store holds it.
    fn t46s_with_line_three(dir: &std::path::Path) -> Device {
        let store = Store::open(&dir.join("db"), crate::secret::DataKeys::generate()).unwrap();
        let service = Service::new(
            store,
            Catalogue::builtin(),
            crate::render::Renderer::new(None).unwrap(),
            Settings::new(dir),
        );
        let account = service
            .create_account(&from_json(json!({
                "name": "Acme", "domain": "acme.example.com", "group_name": "acme",
                "registrar": {"host": "sip.example.com"}, "language": "en",
                "time_zone": "America/Montreal",
            })))
            .unwrap()
            .id;
        let user = service
            .create_user(account, &from_json(json!({"first_name": "Ada"})))
            .unwrap()
            .id;
        let mac: Mac = "001565004601".parse().unwrap();
        service
            .create_device(account, &from_json(json!({"mac": mac, "model": "T46S"})))
            .unwrap();
        service
            .assign_line(mac, Some(3), &from_json(json!({"user": user.0})))
            .unwrap();
        service.store.device(mac).unwrap().unwrap()
    }

    #[test]
    fn a_replacement_is_of_the_same_vendor_with_a_line_for_each_line_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let device = t46s_with_line_three(dir.path());
        let catalogue = Catalogue::builtin();
        let model = |name| catalogue.model(name).unwrap();
        assert!(check_replacement(&device, model("T48S")).is_ok());
        assert!(check_replacement(&device, model("T22P")).is_ok(), "3 lines");
        let two_lines = check_replacement(&device, model("T21P")).unwrap_err();
        assert_eq!(
            two_lines.to_string(),
            "model: T21P has 2 lines, but the device uses line 3"
        );
        let other_vendor = Model {
            vendor: "snom".into(),
            ..model("T46S").clone()
        };
        let refused = check_replacement(&device, &other_vendor).unwrap_err();
        assert!(refused.to_string().starts_with("model: "), "{refused}");
    }
}

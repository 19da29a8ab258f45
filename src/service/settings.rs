//! Phone settings at each level (`domain::settings`): parsing a `settings` object of the
//! API or the config file into a checked change, device profiles, setting a device's
//! profile and settings, and a device's effective settings with their sources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::accounts::present;
use super::views::DeviceView;
use super::{Error, Service};
use crate::domain::settings::{self as named, Dtmf, Srtp, WebPasswordPolicy};
use crate::domain::{
    Account, AccountId, Device, Effective, Invalid, Mac, ParseError, Settings, SettingsPatch,
    Source, Transport, optional_text,
};
use crate::store::Reads;
use crate::vendors::settings::{check_raw_key, check_raw_value};

/// A `settings` object: named settings sipprov renders for every vendor, and raw vendor
/// keys. A field left out keeps its value at this level; `null` clears it (the level below
/// applies again). Under `raw`, a key set to `null` is removed from this level.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Audio codecs in order of preference; every other codec is disabled.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<CodecName>>, nullable, min_items = 1)]
    pub codecs: Option<Option<Vec<String>>>,
    /// `off`, `optional`, or `required` (only with a registrar on TLS).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SrtpName>, nullable)]
    pub srtp: Option<Option<String>>,
    /// Accept SIP requests only from the registrar / outbound proxy.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>, nullable)]
    pub trust_control: Option<Option<bool>>,
    /// Seconds between NAT keep-alive packets; 0 turns them off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, nullable, minimum = 0, maximum = 3600)]
    pub nat_keepalive: Option<Option<u32>>,
    /// Voice VLAN id of the phone's internet port; 0: untagged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u16>, nullable, minimum = 0, maximum = 4094)]
    pub vlan_id: Option<Option<u16>>,
    /// 802.1p priority of the voice VLAN.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u8>, nullable, minimum = 0, maximum = 7)]
    pub vlan_priority: Option<Option<u8>>,
    /// `rfc2833`, `inband` or `sip_info`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DtmfName>, nullable)]
    pub dtmf: Option<Option<String>>,
    /// What users with voicemail dial for it (digits, `*`, `#`, `+`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 32, example = "*97")]
    pub voicemail_number: Option<Option<String>>,
    /// A remote phone book (http or https URL).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 512, example = "https://pbx.example.com/phonebook.xml")]
    pub phonebook_url: Option<Option<String>>,
    /// Dial-now patterns (digits, `x`, `.`, `[2-9]`, …), at most 20.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, nullable, max_items = 20, example = json!(["[2-9]xxxxxx", "1xxxxxxxxxx"]))]
    pub dial_plan: Option<Option<Vec<String>>>,
    /// ISO 3166 country of the call-progress tones; unset: the country of the time zone.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, pattern = "^[A-Z]{2}$", example = "CA")]
    pub tone_country: Option<Option<String>>,
    /// `per_device` (generated web passwords in every file) or `unmanaged`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<WebPasswordsName>, nullable)]
    pub web_passwords: Option<Option<String>>,
    /// Vendor keys written as they are (`key: value`; `null` removes the key from this
    /// level). Keys sipprov writes itself (lines, credentials, provisioning, web
    /// passwords, firmware, line keys, locale, and the keys of the named settings) are
    /// refused.
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>, example = json!({"features.dnd.allow": "0"}))]
    pub raw: Option<BTreeMap<String, Option<String>>>,
}

/// Schema-only names of the closed sets of words.
#[derive(ToSchema)]
#[schema(as = CodecName)]
#[allow(dead_code)]
enum CodecName {
    #[schema(rename = "pcmu")]
    Pcmu,
    #[schema(rename = "pcma")]
    Pcma,
    #[schema(rename = "g722")]
    G722,
    #[schema(rename = "g729")]
    G729,
    #[schema(rename = "opus")]
    Opus,
    #[schema(rename = "ilbc")]
    Ilbc,
    #[schema(rename = "g726_16")]
    G726_16,
    #[schema(rename = "g726_24")]
    G726_24,
    #[schema(rename = "g726_32")]
    G726_32,
    #[schema(rename = "g726_40")]
    G726_40,
    #[schema(rename = "g723_53")]
    G723_53,
    #[schema(rename = "g723_63")]
    G723_63,
}

#[derive(ToSchema)]
#[schema(as = SrtpName)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum SrtpName {
    Off,
    Optional,
    Required,
}

#[derive(ToSchema)]
#[schema(as = DtmfName)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum DtmfName {
    Rfc2833,
    Inband,
    SipInfo,
}

#[derive(ToSchema)]
#[schema(as = WebPasswordsName)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum WebPasswordsName {
    PerDevice,
    Unmanaged,
}

/// Parses a `settings` object into a change of one level. Refusals are named
/// `<prefix>settings.<name>` and `<prefix>settings.raw.<key>`; `registrar` is the
/// account's transport, which `srtp: required` needs to be TLS.
pub fn parse_settings(
    input: &SettingsInput,
    prefix: &str,
    registrar: Transport,
    invalid: &mut Invalid,
) -> SettingsPatch {
    let mut patch = SettingsPatch::default();
    let field = |name: &str| format!("{prefix}settings.{name}");
    let mut set = |name: &'static str,
                   value: &Option<Option<Value>>,
                   parsed: Option<Result<Value, ParseError>>,
                   invalid: &mut Invalid| {
        match (value, parsed) {
            (None, _) => {}
            (Some(None), _) => patch.named.push((name, None)),
            (Some(Some(_)), Some(Ok(value))) => patch.named.push((name, Some(value))),
            (Some(Some(_)), Some(Err(refusal))) => invalid.add(&field(name), refusal.message()),
            (Some(Some(_)), None) => {}
        }
    };
    macro_rules! named {
        ($name:ident, |$v:ident| $parse:expr) => {{
            let given = input
                .$name
                .as_ref()
                .map(|v| v.as_ref().map(|_| Value::Null));
            let parsed = input
                .$name
                .as_ref()
                .and_then(Option::as_ref)
                .map(|$v| $parse);
            set(stringify!($name), &given, parsed, invalid);
        }};
    }
    fn json<T: Serialize>(value: T) -> Value {
        serde_json::to_value(value).unwrap_or(Value::Null)
    }
    named!(codecs, |v| named::codec_list(v).map(json));
    named!(srtp, |v| {
        v.parse::<Srtp>().and_then(|srtp| {
        if srtp == Srtp::Required && registrar != Transport::Tls {
            Err(ParseError::new(
                "required needs the account's registrar on TLS: SRTP keys travel in the SIP messages",
            ))
        } else {
            Ok(json(srtp))
        }
    })
    });
    named!(trust_control, |v| Ok(json(v)));
    named!(nat_keepalive, |v| bounded(u64::from(*v), 3600).map(json));
    named!(vlan_id, |v| bounded(u64::from(*v), 4094).map(json));
    named!(vlan_priority, |v| bounded(u64::from(*v), 7).map(json));
    named!(dtmf, |v| v.parse::<Dtmf>().map(json));
    named!(voicemail_number, |v| named::dial_string(v).map(json));
    named!(phonebook_url, |v| named::web_url(v).map(json));
    named!(dial_plan, |v| dial_plan(v).map(json));
    named!(tone_country, |v| named::country_code(v).map(json));
    named!(web_passwords, |v| v.parse::<WebPasswordPolicy>().map(json));
    for (key, value) in input.raw.iter().flatten() {
        let name = format!("{prefix}settings.raw.{key}");
        if let Err(refusal) = check_raw_key(key) {
            invalid.add(&name, refusal.message());
            continue;
        }
        match value {
            None => patch.raw.push((key.clone(), None)),
            Some(value) => {
                if let Some(value) = invalid.check(&name, check_raw_value(key, value)) {
                    patch.raw.push((key.clone(), Some(value)));
                }
            }
        }
    }
    patch
}

fn bounded(value: u64, max: u64) -> Result<u64, ParseError> {
    if value <= max {
        Ok(value)
    } else {
        Err(ParseError::new(format!("must be at most {max}")))
    }
}

fn dial_plan(rules: &[String]) -> Result<Vec<String>, ParseError> {
    if rules.len() > crate::vendors::settings::DIAL_RULES {
        return Err(ParseError::new(format!(
            "may hold at most {} patterns",
            crate::vendors::settings::DIAL_RULES
        )));
    }
    rules.iter().map(|rule| named::dial_pattern(rule)).collect()
}

/// sipprov's own defaults, under the provider's: voicemail on `*97`, generated web
/// passwords.
pub(crate) fn builtin_defaults() -> Settings {
    Settings {
        voicemail_number: Some("*97".into()),
        web_passwords: Some(WebPasswordPolicy::PerDevice),
        ..Settings::default()
    }
}

/// `POST /api/v1/accounts/{id}/profiles` and `PATCH …/profiles/{name}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Lower-case letters, digits, `-` and `_`; required on creation, fixed after.
    #[schema(min_length = 1, max_length = 32, example = "reception")]
    pub name: Option<String>,
    pub settings: Option<SettingsInput>,
}

/// A device profile: settings an admin assigns to many devices of the account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub account: AccountId,
    pub name: String,
    /// The profile's settings, as stored (named settings and `raw`).
    #[schema(value_type = Object)]
    pub settings: Settings,
    /// Devices assigned this profile.
    #[schema(value_type = Vec<String>)]
    pub devices: Vec<Mac>,
}

/// `PATCH /api/v1/devices/{mac}`: fields left out keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceUpdate {
    /// Where the device is; `null` or an empty string clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 64)]
    pub label: Option<Option<String>>,
    /// A profile of the device's account; `null` removes the device from its profile.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, min_length = 1, max_length = 32)]
    pub profile: Option<Option<String>>,
    pub settings: Option<SettingsInput>,
}

/// One effective value and the level it comes from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourcedValue {
    /// The value, of the setting's type.
    #[schema(schema_with = any_value)]
    pub value: Value,
    /// `default`, `provider`, `account`, `profile` (with `profile`), `device`, or
    /// `time_zone` (the tone country of the time zone of the user on line 1).
    pub source: &'static str,
    pub profile: Option<String>,
}

/// `GET /api/v1/devices/{mac}/settings`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EffectiveView {
    #[schema(value_type = String)]
    pub mac: Mac,
    pub profile: Option<String>,
    /// Named settings in force, by name.
    pub settings: BTreeMap<String, SourcedValue>,
    /// Raw keys in force, by key.
    pub raw: BTreeMap<String, SourcedValue>,
}

fn sourced(value: Value, source: &Source) -> SourcedValue {
    let (source, profile) = match source {
        Source::Default => ("default", None),
        Source::Provider => ("provider", None),
        Source::Account => ("account", None),
        Source::Profile { name } => ("profile", Some(name.clone())),
        Source::Device => ("device", None),
    };
    SourcedValue {
        value,
        source,
        profile,
    }
}

fn any_value() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .build()
}

impl EffectiveView {
    pub(crate) fn of(mac: Mac, profile: Option<String>, effective: &Effective) -> EffectiveView {
        let source = |name: &str| effective.sources.get(name).unwrap_or(&Source::Default);
        EffectiveView {
            mac,
            profile,
            settings: effective
                .settings
                .to_map()
                .into_iter()
                .map(|(name, value)| {
                    let sourced = sourced(value, source(&name));
                    (name, sourced)
                })
                .collect(),
            raw: effective
                .settings
                .raw
                .iter()
                .map(|(key, value)| {
                    let sourced =
                        sourced(Value::from(value.clone()), source(&format!("raw.{key}")));
                    (key.clone(), sourced)
                })
                .collect(),
        }
    }
}

impl Service {
    /// The levels of a device, lowest first.
    pub(crate) fn effective_settings(&self, device: &Device, account: &Account) -> Effective {
        let defaults = builtin_defaults();
        let profile = device
            .profile
            .as_ref()
            .and_then(|name| account.profiles.get(name).map(|settings| (name, settings)));
        let mut levels = vec![
            (Source::Default, &defaults),
            (Source::Provider, &self.settings.phone_defaults),
            (Source::Account, &account.settings),
        ];
        if let Some((name, settings)) = profile {
            levels.push((Source::Profile { name: name.clone() }, settings));
        }
        levels.push((Source::Device, &device.settings));
        Settings::layer(levels)
    }

    /// `PATCH /api/v1/devices/{mac}`: its label, its profile, its own settings.
    pub fn update_device(&self, mac: Mac, input: &DeviceUpdate) -> Result<DeviceView, Error> {
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            let account = w
                .account(device.account)?
                .ok_or(Error::NotFound("account"))?;
            let mut invalid = Invalid::new();
            if let Some(label) = &input.label {
                let label = label.as_deref().filter(|l| !l.trim().is_empty());
                if let Some(label) = invalid.check("label", optional_text(label, 64)) {
                    device.label = label;
                }
            }
            if let Some(profile) = &input.profile {
                match profile {
                    None => device.profile = None,
                    Some(name) => match named::profile_name(name) {
                        Ok(name) if account.profiles.contains_key(&name) => {
                            device.profile = Some(name);
                        }
                        Ok(name) => {
                            invalid.add("profile", format!("the account has no profile {name:?}"))
                        }
                        Err(refusal) => invalid.add("profile", refusal.message()),
                    },
                }
            }
            if let Some(settings) = &input.settings {
                let patch = parse_settings(settings, "", account.registrar.transport, &mut invalid);
                device.settings.apply(&patch);
            }
            invalid.into_result()?;
            w.put_device(&device)?;
            self.device_view(w, device)
        })
    }

    /// A device's effective settings, with where each value comes from.
    pub fn device_settings(&self, mac: Mac) -> Result<EffectiveView, Error> {
        let device = self.store.device(mac)?.ok_or(Error::NotFound("device"))?;
        let account = self
            .store
            .account(device.account)?
            .ok_or(Error::NotFound("account"))?;
        let effective = self.effective_settings(&device, &account);
        let mut view = EffectiveView::of(mac, device.profile.clone(), &effective);
        if effective.settings.tone_country.is_none()
            && let Some(country) = self.tone_country_of_zone(&device, &account)?
        {
            view.settings.insert(
                "tone_country".into(),
                SourcedValue {
                    value: Value::from(country),
                    source: "time_zone",
                    profile: None,
                },
            );
        }
        Ok(view)
    }
}

impl Service {
    /// The country of the time zone of the user on line 1 (else the account's).
    pub(crate) fn tone_country_of_zone(
        &self,
        device: &Device,
        account: &Account,
    ) -> Result<Option<&'static str>, Error> {
        let zone = match device.lines.get(&1) {
            Some(line) => self
                .store
                .user(line.user)?
                .map_or(account.time_zone, |user| user.time_zone),
            None => account.time_zone,
        };
        Ok(self.catalogue.zone_country(zone))
    }
}

impl Service {
    /// A device's file as the phone would get it (with the key spellings of the firmware
    /// it last fetched with), every secret masked: its lines' and web passwords, its
    /// provisioning password.
    pub fn preview_device(&self, mac: Mac) -> Result<String, Error> {
        let mut device = self.store.device(mac)?.ok_or(Error::NotFound("device"))?;
        let mut account = self
            .store
            .account(device.account)?
            .ok_or(Error::NotFound("account"))?;
        let masked = || crate::domain::Secret::generated(MASK.into());
        device.provisioning.password = masked();
        if let crate::domain::DeviceAuth::Account(shared) = &mut account.device_auth {
            shared.password = masked();
        }
        for line in device.lines.values_mut() {
            line.sip.password = masked();
        }
        if let Some(web) = &mut device.web_passwords {
            web.admin = masked();
            web.user = masked();
        }
        // The key spellings of the firmware the device last fetched with.
        let firmware = self.store.last_fetch(mac)?.and_then(|fetch| fetch.firmware);
        self.render_device(
            &device,
            &account,
            &self.settings.phone_url,
            firmware.as_deref(),
        )
    }
}

/// What a preview shows in place of a secret.
pub const MASK: &str = "********";

//! Accounts: create, read, list, update, delete (refused while it owns users or devices).

use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{AccountView, Page};
use super::{Error, Service, now};
use crate::domain::{
    Account, AccountId, AreaCode, DeviceAuth, E164, ExtensionRange, Invalid, Language,
    NumberingPlan, ProvisioningCredentials, Registrar, TimeZone, Transport, calling_plan,
    group_name, line_of_text, registrar_host, sip_domain,
};
use crate::secret;
use crate::store::{IdKind, Reads, Write};

/// `POST /api/v1/accounts` and `PATCH /api/v1/accounts/{id}`: on update, fields left out
/// (or `null`) keep their value; `numbers`, when given, is the whole pool.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// Required on creation.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "Acme"
    )]
    pub name: Option<String>,
    /// The SIP domain (realm), unique; required on creation. It cannot change once the
    /// account has users or devices.
    #[schema(min_length = 1, example = "acme.sip.example.com")]
    pub domain: Option<String>,
    /// The account group name; needed before users can be created. An empty string clears it.
    #[schema(max_length = 64, example = "acme")]
    pub group_name: Option<String>,
    /// Required on creation.
    pub registrar: Option<RegistrarInput>,
    /// Where phones turn when the registrar does not answer (Yealink sip_server.2 /
    /// outbound_proxy.2); `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RegistrarInput>)]
    pub backup_registrar: Option<Option<RegistrarInput>>,
    pub numbering: Option<NumberingInput>,
    #[schema(value_type = Option<crate::domain::Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::domain::TimeZone>)]
    pub time_zone: Option<String>,
    pub calling_plans: Option<Vec<String>>,
    /// One of `calling_plans`; an empty string clears it.
    pub default_calling_plan: Option<String>,
    /// The whole pool of numbers.
    pub numbers: Option<Vec<NumberInput>>,
    /// `per_device` (default) or `account`.
    #[schema(schema_with = device_auth_input)]
    pub device_auth: Option<String>,
    /// Phone settings of the account's devices (over the provider's defaults).
    pub settings: Option<super::SettingsInput>,
}

fn device_auth_input() -> utoipa::openapi::Object {
    super::schema::one_of(&["per_device", "account"], true)
}

/// A field that may be given as `null` (`Some(None)`) or left out (`None`).
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Where phones send their REGISTERs. Phones register as user@domain (the account's SIP
/// domain, the realm); a registrar whose host is not the domain becomes their outbound
/// proxy. Fields left out keep their value (on creation: port 5060, or 5061 for TLS, and
/// UDP).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrarInput {
    /// A DNS name or an IP address; required on creation.
    #[schema(min_length = 1, example = "sip.example.com")]
    pub host: Option<String>,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    #[schema(value_type = Option<crate::domain::Transport>)]
    pub transport: Option<String>,
}

/// The extensions of the account: their length and the ranges they are taken from.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberingInput {
    /// Digits of the shortest extension (1–10).
    #[schema(minimum = 1, maximum = 10)]
    pub min_length: Option<u8>,
    /// Digits of the longest extension (1–10, at least `min_length`).
    #[schema(minimum = 1, maximum = 10)]
    pub max_length: Option<u8>,
    #[schema(example = json!(["100-899"]))]
    pub ranges: Option<Vec<String>>,
    #[schema(example = json!(["900-999"]))]
    pub reserved: Option<Vec<String>>,
}

/// A pool number: `"+15145550100"`, or `{"number": "+33123456789", "area_code": "1"}`
/// where the area code cannot be read off the number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum NumberInput {
    /// E.164, e.g. +15145550100 (NANP numbers are filed under their area code).
    #[schema(value_type = crate::domain::E164)]
    Number(String),
    Filed {
        #[schema(min_length = 1, example = "+33123456789")]
        number: String,
        #[schema(min_length = 1, max_length = 5, example = "1")]
        area_code: Option<String>,
    },
}

/// An account as the input describes it, every field parsed.
struct AccountDraft {
    name: String,
    domain: String,
    group_name: Option<String>,
    registrar: Registrar,
    backup_registrar: Option<Registrar>,
    numbering: NumberingPlan,
    language: Language,
    time_zone: TimeZone,
    calling_plans: Vec<String>,
    default_calling_plan: Option<String>,
    numbers: Option<Vec<(E164, Option<AreaCode>)>>,
    account_wide_auth: bool,
    settings: crate::domain::Settings,
}

/// A registrar (`field` names it in refusals: `registrar`, `backup_registrar`); fields
/// left out keep the value of `base`.
fn parse_registrar(
    field: &str,
    input: Option<&RegistrarInput>,
    base: Option<&Registrar>,
    invalid: &mut Invalid,
) -> Option<Registrar> {
    let empty = RegistrarInput::default();
    let input = input.unwrap_or(&empty);
    let transport = match &input.transport {
        Some(text) => invalid.check(&format!("{field}.transport"), text.parse::<Transport>())?,
        None => base.map_or(Transport::Udp, |r| r.transport),
    };
    let host = match (&input.host, base) {
        (Some(text), _) => invalid.check(&format!("{field}.host"), registrar_host(text))?,
        (None, Some(base)) => base.host.clone(),
        (None, None) => {
            invalid.add(&format!("{field}.host"), "is required");
            return None;
        }
    };
    let port = match (input.port, base) {
        (Some(0), _) => {
            invalid.add(&format!("{field}.port"), "must be between 1 and 65535");
            return None;
        }
        (Some(port), _) => port,
        (None, Some(base)) if input.transport.is_none() => base.port,
        (None, _) => transport.default_port(),
    };
    Some(Registrar {
        host,
        port,
        transport,
    })
}

fn parse_ranges(
    field: &str,
    texts: &[String],
    invalid: &mut Invalid,
) -> Option<Vec<ExtensionRange>> {
    let ranges: Result<Vec<ExtensionRange>, _> = texts.iter().map(|text| text.parse()).collect();
    invalid.check(field, ranges)
}

fn parse_numbering(
    input: Option<&NumberingInput>,
    base: &NumberingPlan,
    invalid: &mut Invalid,
) -> Option<NumberingPlan> {
    let Some(input) = input else {
        return Some(base.clone());
    };
    let ranges = match &input.ranges {
        Some(texts) => parse_ranges("numbering.ranges", texts, invalid),
        None => Some(base.ranges.clone()),
    };
    let reserved = match &input.reserved {
        Some(texts) => parse_ranges("numbering.reserved", texts, invalid),
        None => Some(base.reserved.clone()),
    };
    let plan = NumberingPlan::new(
        input.min_length.unwrap_or(base.min_length),
        input.max_length.unwrap_or(base.max_length),
        ranges?,
        reserved?,
    );
    invalid.check("numbering", plan)
}

fn parse_numbers(inputs: &[NumberInput], invalid: &mut Invalid) -> Vec<(E164, Option<AreaCode>)> {
    let mut numbers: Vec<(E164, Option<AreaCode>)> = Vec::new();
    for input in inputs {
        let (number, area_code) = match input {
            NumberInput::Number(number) => (number, None),
            NumberInput::Filed { number, area_code } => (number, area_code.as_ref()),
        };
        // "+14385550101 438" is a number and its area code, not the number +14385550101438.
        if let Some((number, code)) = crate::domain::number_and_area_code(number)
            .filter(|_| matches!(input, NumberInput::Number(_)))
        {
            invalid.add(
                "numbers",
                format!("{number} {code} reads as a number followed by its area code: give {{\"number\": \"{number}\", \"area_code\": \"{code}\"}}"),
            );
            continue;
        }
        let number = invalid.check("numbers", number.parse::<E164>());
        let area_code =
            area_code.and_then(|code| invalid.check("numbers", code.parse::<AreaCode>()));
        if let Some(number) = number {
            if numbers.iter().any(|(n, _)| *n == number) {
                invalid.add("numbers", format!("{number} is listed twice"));
            }
            numbers.push((number, area_code));
        }
    }
    numbers
}

fn parse_calling_plans(
    input: &AccountInput,
    base: Option<&Account>,
    invalid: &mut Invalid,
) -> (Vec<String>, Option<String>) {
    let plans: Vec<String> = match &input.calling_plans {
        Some(texts) => texts
            .iter()
            .filter_map(|text| invalid.check("calling_plans", calling_plan(text)))
            .collect(),
        None => base.map(|b| b.calling_plans.clone()).unwrap_or_default(),
    };
    let default = match &input.default_calling_plan {
        Some(text) if text.trim().is_empty() => None,
        Some(text) => invalid.check("default_calling_plan", calling_plan(text)),
        None => base
            .and_then(|b| b.default_calling_plan.clone())
            .filter(|d| plans.contains(d)),
    };
    if let Some(default) = &default {
        if !plans.contains(default) {
            invalid.add(
                "default_calling_plan",
                format!("{default:?} is not one of the account's calling plans"),
            );
        }
    }
    (plans, default)
}

fn parse_account(input: &AccountInput, base: Option<&Account>) -> Result<AccountDraft, Invalid> {
    let mut invalid = Invalid::new();
    let name = match (&input.name, base) {
        (Some(text), _) => invalid.check("name", line_of_text(text, 128)),
        (None, Some(base)) => Some(base.name.clone()),
        (None, None) => {
            invalid.add("name", "is required");
            None
        }
    };
    let domain = match (&input.domain, base) {
        (Some(text), _) => invalid.check("domain", sip_domain(text)),
        (None, Some(base)) => Some(base.domain.clone()),
        (None, None) => {
            invalid.add(
                "domain",
                "is required: the SIP domain (realm) of the account",
            );
            None
        }
    };
    let group_name = match &input.group_name {
        Some(text) if text.trim().is_empty() => None,
        Some(text) => invalid.check("group_name", group_name(text)),
        None => base.and_then(|b| b.group_name.clone()),
    };
    let registrar = parse_registrar(
        "registrar",
        input.registrar.as_ref(),
        base.map(|b| &b.registrar),
        &mut invalid,
    );
    let base_backup = base.and_then(|b| b.backup_registrar.as_ref());
    let backup_registrar = match &input.backup_registrar {
        None => Some(base_backup.cloned()),
        Some(None) => Some(None),
        Some(Some(backup)) => {
            parse_registrar("backup_registrar", Some(backup), base_backup, &mut invalid).map(Some)
        }
    };
    let default_plan = NumberingPlan::default();
    let numbering = parse_numbering(
        input.numbering.as_ref(),
        base.map_or(&default_plan, |b| &b.numbering),
        &mut invalid,
    );
    let language = match &input.language {
        Some(text) => invalid.check("language", text.parse()),
        None => Some(base.map_or(Language::En, |b| b.language)),
    };
    let time_zone = match (&input.time_zone, base) {
        (Some(text), _) => invalid.check("time_zone", text.parse()),
        (None, Some(base)) => Some(base.time_zone),
        (None, None) => invalid.check("time_zone", "UTC".parse()),
    };
    let (calling_plans, default_calling_plan) = parse_calling_plans(input, base, &mut invalid);
    let numbers = input
        .numbers
        .as_ref()
        .map(|numbers| parse_numbers(numbers, &mut invalid));
    let account_wide_auth = match input.device_auth.as_deref().map(str::trim) {
        Some("per_device") => false,
        Some("account") => true,
        Some(_) => {
            invalid.add("device_auth", "must be 'per_device' or 'account'");
            false
        }
        None => base.is_some_and(|b| matches!(b.device_auth, DeviceAuth::Account(_))),
    };
    let mut settings = base.map(|b| b.settings.clone()).unwrap_or_default();
    if let Some(input) = &input.settings {
        // SRTP `required` is checked against the registrar as this change leaves it.
        let transport = registrar
            .as_ref()
            .map_or(crate::domain::Transport::Udp, |r| r.transport);
        settings.apply(&super::settings::parse_settings(
            input,
            "",
            transport,
            &mut invalid,
        ));
    }
    match (
        name,
        domain,
        registrar,
        backup_registrar,
        numbering,
        language,
        time_zone,
    ) {
        (
            Some(name),
            Some(domain),
            Some(registrar),
            Some(backup_registrar),
            Some(numbering),
            Some(language),
            Some(time_zone),
        ) if invalid.is_empty() => Ok(AccountDraft {
            name,
            domain,
            group_name,
            registrar,
            backup_registrar,
            numbering,
            language,
            time_zone,
            calling_plans,
            default_calling_plan,
            numbers,
            account_wide_auth,
            settings,
        }),
        _ => Err(invalid),
    }
}

/// The account-wide credential, kept when it already exists.
fn device_auth(account_wide: bool, base: Option<&Account>, id: AccountId) -> DeviceAuth {
    match (account_wide, base.map(|b| &b.device_auth)) {
        (false, _) => DeviceAuth::PerDevice,
        (true, Some(existing @ DeviceAuth::Account(_))) => existing.clone(),
        (true, _) => DeviceAuth::Account(ProvisioningCredentials {
            username: format!("account{id}"),
            password: secret::password(),
        }),
    }
}

impl Service {
    pub fn create_account(&self, input: &AccountInput) -> Result<AccountView, Error> {
        let draft = parse_account(input, None)?;
        self.store.write(|w| {
            if w.account_by_domain(&draft.domain)?.is_some() {
                return Err(Error::conflict(
                    "domain",
                    format!("{} is already the domain of another account", draft.domain),
                ));
            }
            let id = AccountId(w.next_id(IdKind::Account)?);
            save(w, draft, id, None)
        })
    }

    pub fn account(&self, id: AccountId) -> Result<AccountView, Error> {
        let account = self.store.account(id)?.ok_or(Error::NotFound("account"))?;
        AccountView::load(&self.store, account)
    }

    pub fn accounts(
        &self,
        after: Option<AccountId>,
        limit: usize,
    ) -> Result<Page<AccountView>, Error> {
        let accounts = self.store.accounts(after, limit + 1)?;
        let views = accounts
            .into_iter()
            .map(|account| AccountView::load(&self.store, account))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(views, limit, |view| view.id.to_string()))
    }

    pub fn update_account(
        &self,
        id: AccountId,
        input: &AccountInput,
    ) -> Result<AccountView, Error> {
        self.store.write(|w| {
            let old = w.account(id)?.ok_or(Error::NotFound("account"))?;
            let draft = parse_account(input, Some(&old))?;
            if draft.domain != old.domain {
                check_domain_change(w, &old, &draft.domain)?;
            }
            save(w, draft, id, Some(&old))
        })
    }

    /// The account's number pool.
    pub fn numbers(&self, id: AccountId) -> Result<Vec<super::views::NumberView>, Error> {
        Ok(self.account(id)?.numbers)
    }

    /// Adds numbers to the pool (`NumberInput` as in the account form).
    pub fn add_numbers(
        &self,
        id: AccountId,
        numbers: &[NumberInput],
    ) -> Result<AccountView, Error> {
        let mut invalid = Invalid::new();
        let added = parse_numbers(numbers, &mut invalid);
        invalid.into_result()?;
        self.store.write(|w| {
            let account = w.account(id)?.ok_or(Error::NotFound("account"))?;
            let mut pool: Vec<(E164, Option<AreaCode>)> = w
                .numbers_of(id)?
                .into_iter()
                .map(|n| (n.number, n.area_code))
                .collect();
            for (number, area_code) in added {
                match pool.iter_mut().find(|(n, _)| *n == number) {
                    Some(entry) => entry.1 = area_code.or(entry.1.take()),
                    None => pool.push((number, area_code)),
                }
            }
            super::numbers::set_pool(w, id, pool)?;
            AccountView::load(w, account)
        })
    }

    /// Removes a free number from the pool.
    pub fn remove_number(&self, id: AccountId, number: &E164) -> Result<(), Error> {
        self.store.write(|w| {
            w.account(id)?.ok_or(Error::NotFound("account"))?;
            let entry = w
                .number(number)?
                .filter(|n| n.account == id)
                .ok_or(Error::NotFound("number"))?;
            if let Some(user) = entry.user {
                return Err(Error::conflict(
                    "number",
                    format!("{number} is assigned to user {user}; take it from the user first"),
                ));
            }
            w.delete_number(number)?;
            Ok(())
        })
    }

    /// Deletes an account that owns no users and no devices; its free numbers go with it.
    pub fn delete_account(&self, id: AccountId) -> Result<(), Error> {
        self.store.write(|w| {
            w.account(id)?.ok_or(Error::NotFound("account"))?;
            if w.has_users(id)? {
                return Err(Error::conflict(
                    "account",
                    "still has users; delete them first",
                ));
            }
            if w.has_devices(id)? {
                return Err(Error::conflict(
                    "account",
                    "still has devices; delete them first",
                ));
            }
            for number in w.numbers_of(id)? {
                w.delete_number(&number.number)?;
            }
            w.delete_firmware_pins_of(id)?;
            w.delete_account(id)?;
            Ok(())
        })
    }
}

/// Writes an account as its draft describes it, with its pool when the draft names one.
fn save(
    w: &mut Write<'_>,
    draft: AccountDraft,
    id: AccountId,
    old: Option<&Account>,
) -> Result<AccountView, Error> {
    let account = Account {
        id,
        name: draft.name,
        domain: draft.domain,
        group_name: draft.group_name,
        registrar: draft.registrar,
        backup_registrar: draft.backup_registrar,
        numbering: draft.numbering,
        language: draft.language,
        time_zone: draft.time_zone,
        calling_plans: draft.calling_plans,
        default_calling_plan: draft.default_calling_plan,
        device_auth: device_auth(draft.account_wide_auth, old, id),
        settings: draft.settings,
        profiles: old.map(|o| o.profiles.clone()).unwrap_or_default(),
        created_at: old.map_or_else(now, |o| o.created_at),
    };
    w.put_account(&account)?;
    if let Some(numbers) = draft.numbers {
        super::numbers::set_pool(w, id, numbers)?;
    }
    AccountView::load(w, account)
}

/// The SIP domain is the realm of every credential of the account (their HA1 depends on
/// it), so it may only change while the account has no users or devices yet.
fn check_domain_change(w: &Write<'_>, old: &Account, domain: &str) -> Result<(), Error> {
    if w.has_users(old.id)? || w.has_devices(old.id)? {
        return Err(Error::invalid(
            "domain",
            "cannot change once the account has users or devices: it is the realm of their SIP credentials",
        ));
    }
    if w.account_by_domain(domain)?.is_some() {
        return Err(Error::conflict(
            "domain",
            format!("{domain} is already the domain of another account"),
        ));
    }
    Ok(())
}

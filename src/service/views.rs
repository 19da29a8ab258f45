//! What use cases return: records shaped as the admin API's JSON (DESIGN.md §5), with
//! derived fields (app username, system tags, the user's lines) filled in.

use std::collections::BTreeMap;

use ipnet::IpNet;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::Error;
use crate::domain::{
    Account, AccountId, AccountScope, AdminLevel, Device, DeviceAuth, Fetch, Line, Mac,
    ModelMismatch, NumberingPlan, Registrar, Secret, SystemTag, Tag, TokenId, TokenScope,
    Unclaimed, User, UserId, UserStatus, UserType, WebPasswords, app_username,
};
use crate::store::Reads;

/// One page of a list: `{"items": […], "next_cursor": …}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items: the extra one only says there is more.
    pub(crate) fn of(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(cursor) } else { None };
        Page { items, next_cursor }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    /// The SIP domain (realm), unique.
    pub domain: String,
    /// The account group name; needed before users can be created.
    pub group_name: Option<String>,
    pub registrar: Registrar,
    /// Where phones turn when the registrar does not answer (Yealink sip_server.2 /
    /// outbound_proxy.2).
    pub backup_registrar: Option<Registrar>,
    pub numbering: NumberingView,
    pub language: crate::domain::Language,
    pub time_zone: crate::domain::TimeZone,
    pub calling_plans: Vec<String>,
    pub default_calling_plan: Option<String>,
    pub numbers: Vec<NumberView>,
    /// `per_device` or `account`.
    #[schema(schema_with = device_auth_schema)]
    pub device_auth: &'static str,
    /// The account-wide provisioning credential, when `device_auth` is `account`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub provisioning: Option<CredentialView>,
    /// The account's own phone settings (named settings and `raw`).
    #[schema(value_type = Object)]
    pub settings: crate::domain::Settings,
    /// The names of its device profiles.
    pub profiles: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// `per_device` or `account`: whether each device has its own provisioning credential.
fn device_auth_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["per_device", "account"]))
        .build()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NumberingView {
    pub min_length: u8,
    pub max_length: u8,
    pub ranges: Vec<String>,
    pub reserved: Vec<String>,
}

impl From<&NumberingPlan> for NumberingView {
    fn from(plan: &NumberingPlan) -> NumberingView {
        NumberingView {
            min_length: plan.min_length,
            max_length: plan.max_length,
            ranges: plan.ranges.iter().map(ToString::to_string).collect(),
            reserved: plan.reserved.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NumberView {
    pub number: String,
    pub area_code: Option<String>,
    pub user: Option<UserId>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialView {
    pub username: String,
    /// `null` for a token without the secrets right.
    #[schema(nullable)]
    pub password: String,
}

impl AccountView {
    pub(crate) fn load(
        reads: &(impl Reads + ?Sized),
        account: Account,
    ) -> Result<AccountView, Error> {
        let numbers = reads
            .numbers_of(account.id)?
            .into_iter()
            .map(|n| NumberView {
                number: n.number.to_string(),
                area_code: n.area_code.map(|a| a.to_string()),
                user: n.user,
            })
            .collect();
        let (device_auth, provisioning) = match &account.device_auth {
            DeviceAuth::PerDevice => ("per_device", None),
            DeviceAuth::Account(credentials) => (
                "account",
                Some(CredentialView {
                    username: credentials.username.clone(),
                    password: credentials.password.expose().to_owned(),
                }),
            ),
        };
        Ok(AccountView {
            id: account.id,
            numbering: NumberingView::from(&account.numbering),
            name: account.name,
            domain: account.domain,
            group_name: account.group_name,
            registrar: account.registrar,
            backup_registrar: account.backup_registrar,
            language: account.language,
            time_zone: account.time_zone,
            calling_plans: account.calling_plans,
            default_calling_plan: account.default_calling_plan,
            numbers,
            device_auth,
            provisioning,
            profiles: account.profiles.keys().cloned().collect(),
            settings: account.settings,
            created_at: account.created_at,
        })
    }
}

/// A line's SIP credentials; the password is left out of views that list many users.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SipView {
    pub username: String,
    /// Left out of user lists; `null` for a token without the secrets right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The realm: the account's SIP domain.
    pub domain: String,
}

impl SipView {
    fn of(line: &Line, domain: &str, with_password: bool) -> SipView {
        SipView {
            username: line.sip.username.to_string(),
            password: with_password.then(|| line.sip.password.expose().to_owned()),
            domain: domain.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub account: AccountId,
    pub status: UserStatus,
    #[serde(rename = "type")]
    pub kind: UserType,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: String,
    pub department: Option<String>,
    pub tags: Vec<Tag>,
    pub system_tags: Vec<SystemTag>,
    pub extension: String,
    pub language: crate::domain::Language,
    pub time_zone: crate::domain::TimeZone,
    pub feature_plan: crate::domain::FeaturePlan,
    pub portal_access: bool,
    pub email: Option<String>,
    pub notification_emails: Vec<String>,
    pub username: Option<String>,
    /// `username@<account group name>`, when the user has a username.
    pub app_username: Option<String>,
    /// `limited` or `admin`.
    #[schema(schema_with = role_schema)]
    pub role: &'static str,
    pub admin_level: Option<AdminLevel>,
    pub block_welcome_email: bool,
    pub calling_plan: Option<String>,
    pub emergency_caller_id: Option<String>,
    pub voicemail: VoicemailView,
    pub password_set: bool,
    pub numbers: Vec<String>,
    pub lines: Vec<UserLineView>,
    /// The device model ordered with a bulk placeholder.
    pub ordered_model: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// `limited` or `admin`.
fn role_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["limited", "admin"]))
        .build()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoicemailView {
    pub enabled: bool,
    pub pin_set: bool,
}

/// A line of a user, seen from the user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserLineView {
    pub mac: Mac,
    pub line: u16,
    pub name: String,
    pub model: String,
    pub sip: SipView,
}

impl UserView {
    /// Shapes a user with its lines; SIP passwords only when `with_secrets`.
    pub(crate) fn load(
        reads: &(impl Reads + ?Sized),
        user: User,
        with_secrets: bool,
    ) -> Result<UserView, Error> {
        let account = reads
            .account(user.account)?
            .ok_or(Error::NotFound("account"))?;
        let mut lines = Vec::new();
        for (mac, number) in reads.lines_of_user(user.id)? {
            let Some(device) = reads.device(mac)? else {
                continue;
            };
            if let Some(line) = device.lines.get(&number) {
                lines.push(UserLineView {
                    mac,
                    line: number,
                    name: line.name.clone(),
                    model: device.model.clone(),
                    sip: SipView::of(line, &account.domain, with_secrets),
                });
            }
        }
        let app_username = match (&user.username, &account.group_name) {
            (Some(username), Some(group)) => Some(app_username(username, group)),
            _ => None,
        };
        Ok(UserView {
            id: user.id,
            account: user.account,
            status: user.status,
            kind: user.kind,
            display_name: user.display_name(),
            system_tags: user.system_tags(),
            first_name: user.first_name,
            last_name: user.last_name,
            department: user.department,
            tags: user.tags,
            extension: user.extension.to_string(),
            language: user.language,
            time_zone: user.time_zone,
            feature_plan: user.feature_plan,
            portal_access: user.portal_access,
            email: user.email.map(|e| e.to_string()),
            notification_emails: user
                .notification_emails
                .iter()
                .map(ToString::to_string)
                .collect(),
            username: user.username.map(|u| u.to_string()),
            app_username,
            role: user.role.name(),
            admin_level: user.role.admin_level(),
            block_welcome_email: user.block_welcome_email,
            calling_plan: user.calling_plan,
            emergency_caller_id: user.emergency_caller_id.map(|n| n.to_string()),
            voicemail: VoicemailView {
                enabled: user.voicemail.enabled,
                pin_set: user.voicemail.pin.is_some(),
            },
            password_set: user.password_hash.is_some(),
            numbers: user.numbers.iter().map(ToString::to_string).collect(),
            lines,
            ordered_model: user.ordered_model,
            created_at: user.created_at,
        })
    }
}

/// A line, seen from its device.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub mac: Mac,
    pub line: u16,
    pub user: UserId,
    /// The user's display name and extension, for lists.
    pub user_name: String,
    pub extension: String,
    pub name: String,
    pub sip: SipView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub mac: Mac,
    pub account: AccountId,
    pub vendor: String,
    pub model: String,
    pub label: Option<String>,
    /// How many lines the model has.
    pub line_count: u16,
    /// DECT bases: how many handsets.
    pub handsets: Option<u16>,
    pub lines: Vec<LineView>,
    pub provisioning: ProvisioningView,
    /// The logins of the device's own web page, written into its file.
    pub web: WebView,
    /// The account's profile it takes settings from.
    pub profile: Option<String>,
    /// Its own phone settings, over its profile's and its account's.
    #[schema(value_type = Object)]
    pub settings: crate::domain::Settings,
    /// The device's last recorded fetch; `null` before the first.
    pub last_fetch: Option<Fetch>,
    /// The firmware it runs (from its User-Agent) against the one it should.
    pub firmware: super::DeviceFirmwareView,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Requests with valid credentials whose User-Agent named a model of another family,
    /// refused with 403 (the device is registered as the wrong model, or another phone
    /// holds its credentials); `null` when there was none.
    pub model_mismatch: Option<ModelMismatch>,
}

/// How the device authenticates, and the state of its first-boot hand-off.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvisioningView {
    /// `per_device` or `account` (the account-wide credential applies).
    #[schema(schema_with = device_auth_schema)]
    pub mode: &'static str,
    pub username: String,
    /// `null` for a token without the secrets right.
    #[schema(nullable)]
    pub password: String,
    /// Until when the device may fetch once without credentials.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub armed_until: Option<Timestamp>,
    /// Networks that fetch must come from (CIDR); empty: any.
    #[schema(value_type = Vec<String>, example = json!(["192.0.2.0/24"]))]
    pub allowed_from: Vec<IpNet>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub handed_off_at: Option<Timestamp>,
    pub refused_attempts: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_refused_at: Option<Timestamp>,
}

/// A device's web logins (Yealink: `admin` and `user`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebView {
    pub admin: WebLoginView,
    pub user: WebLoginView,
}

/// One web login of a device.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebLoginView {
    pub username: &'static str,
    /// `null` for a token without the secrets right (and for a device whose passwords are
    /// not yet generated).
    #[schema(nullable)]
    pub password: Option<String>,
}

impl WebView {
    fn of(web: Option<&WebPasswords>) -> WebView {
        let login = |username, password: Option<&Secret>| WebLoginView {
            username,
            password: password.map(|p| p.expose().to_owned()),
        };
        WebView {
            admin: login("admin", web.map(|w| &w.admin)),
            user: login("user", web.map(|w| &w.user)),
        }
    }
}

impl DeviceView {
    pub(crate) fn load(
        reads: &(impl Reads + ?Sized),
        device: Device,
        line_count: u16,
        handsets: Option<u16>,
    ) -> Result<DeviceView, Error> {
        let account = reads
            .account(device.account)?
            .ok_or(Error::NotFound("account"))?;
        let mut users: BTreeMap<UserId, Option<User>> = BTreeMap::new();
        let mut lines = Vec::new();
        for line in device.lines.values() {
            let user = match users.get(&line.user) {
                Some(user) => user.clone(),
                None => {
                    let user = reads.user(line.user)?;
                    users.insert(line.user, user.clone());
                    user
                }
            };
            lines.push(LineView {
                mac: device.mac,
                line: line.number,
                user: line.user,
                user_name: user.as_ref().map(User::display_name).unwrap_or_default(),
                extension: user.map(|u| u.extension.to_string()).unwrap_or_default(),
                name: line.name.clone(),
                sip: SipView::of(line, &account.domain, true),
            });
        }
        let (mode, credentials) = match &account.device_auth {
            DeviceAuth::PerDevice => ("per_device", &device.provisioning),
            DeviceAuth::Account(credentials) => ("account", credentials),
        };
        let provisioning = ProvisioningView {
            mode,
            username: credentials.username.clone(),
            password: credentials.password.expose().to_owned(),
            armed_until: device.handoff.armed_until,
            allowed_from: device.handoff.allowed_from.clone(),
            handed_off_at: device.handoff.handed_off_at,
            refused_attempts: device.handoff.refused_attempts,
            last_refused_at: device.handoff.last_refused_at,
        };
        Ok(DeviceView {
            last_fetch: reads.last_fetch(device.mac)?,
            firmware: super::firmware_targets::device_firmware(reads, &device)?,
            mac: device.mac,
            account: device.account,
            vendor: device.vendor,
            model: device.model,
            label: device.label,
            line_count,
            handsets,
            lines,
            provisioning,
            web: WebView::of(device.web_passwords.as_ref()),
            profile: device.profile,
            settings: device.settings,
            created_at: device.created_at,
            model_mismatch: device.model_mismatch,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    /// `admin` (the admin API and web UI) or `registrar` (the registrar directory,
    /// `/registrar/v1`, only).
    pub scope: TokenScope,
    pub read_only: bool,
    /// May read secrets; without, they are masked in every answer.
    pub secrets: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// The only accounts the token may see; empty: every account.
    pub accounts: Vec<AccountId>,
    /// Kept to the minute.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl TokenView {
    /// Whether the token may change the directory: the admin API's writes, the web UI.
    pub fn administers(&self) -> bool {
        self.scope.administers(self.read_only)
    }

    /// Whether the token may sign in to the web UI at `now`: it administers every account
    /// (read-only, account-limited and registrar tokens are for the API) and is live.
    pub fn opens_web_ui(&self, now: Timestamp) -> bool {
        self.administers()
            && self.accounts.is_empty()
            && self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// The accounts the token may see.
    pub fn account_scope(&self) -> AccountScope {
        AccountScope::of(&self.accounts)
    }
}

impl From<crate::domain::AdminToken> for TokenView {
    fn from(token: crate::domain::AdminToken) -> TokenView {
        TokenView {
            secrets: token.reads_secrets(),
            id: token.id,
            name: token.name,
            scope: token.scope,
            read_only: token.read_only,
            expires_at: token.expires_at,
            accounts: token.accounts,
            last_used_at: token.last_used_at,
            created_at: token.created_at,
        }
    }
}

/// The names of the fields that hold secrets in every view: a view's `password` is one.
const SECRET_FIELDS: &[&str] = &["password"];

/// Masks every secret of a view as `null`, for whoever lacks the right to read secrets.
/// New secret fields of views are named `password` (or added to `SECRET_FIELDS`).
pub fn mask_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if SECRET_FIELDS.contains(&name.as_str()) && !field.is_null() {
                    *field = serde_json::Value::Null;
                } else {
                    mask_secrets(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

pub type UnclaimedView = Unclaimed;

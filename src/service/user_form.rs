//! The user form: `UserInput` as the API and the web form send it, and its parsing into a
//! `UserDraft` — every field checked, every rule of DESIGN.md §3 that needs no store
//! applied, every refusal collected. Uniqueness and the pool are checked by `users`, inside
//! the write.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::numbers::NumberRequest;
use crate::domain::{
    Account, AreaCode, E164, Email, Extension, FeaturePlan, Invalid, Language, Mac, ParseError,
    Role, Secret, SipUsername, Tag, TimeZone, User, UserStatus, UserType, Username, Voicemail,
    VoicemailPin, line_of_text, optional_text, portal_password, tags,
};

/// `POST /api/v1/accounts/{id}/users`, `PATCH /api/v1/users/{id}` and the enable call.
/// On update, fields left out (or `null`) keep their value and an empty string clears an
/// optional one (`last_name`, `department`, `email`, `username`, `calling_plan`,
/// `emergency_caller_id`, `voicemail.pin`; `first_name` of an unassigned user).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// `person` (default) or a resource that handles calls.
    #[serde(rename = "type")]
    #[schema(value_type = Option<crate::domain::UserType>)]
    pub kind: Option<String>,
    /// Required for an active user.
    #[schema(
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$",
        example = "Ada"
    )]
    pub first_name: Option<String>,
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(schema_with = extension_schema)]
    pub extension: Option<String>,
    #[schema(value_type = Option<crate::domain::Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::domain::TimeZone>)]
    pub time_zone: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub department: Option<String>,
    /// Needed with portal access.
    pub email: Option<String>,
    #[schema(schema_with = notification_emails_schema)]
    pub notification_emails: Option<Vec<String>>,
    pub username: Option<String>,
    #[schema(value_type = Option<crate::domain::FeaturePlan>)]
    pub feature_plan: Option<String>,
    pub portal_access: Option<bool>,
    /// `limited` or `admin`, or a hosted-PBX user scope (`no_portal`, `office_manager` …).
    #[schema(schema_with = role_schema)]
    pub role: Option<String>,
    /// Required for an admin.
    #[schema(value_type = Option<crate::domain::AdminLevel>)]
    pub admin_level: Option<String>,
    pub block_welcome_email: Option<bool>,
    /// One of the account's calling plans.
    pub calling_plan: Option<String>,
    /// An E.164 number.
    pub emergency_caller_id: Option<String>,
    pub voicemail: Option<VoicemailInput>,
    /// A new portal password (with `password_confirmation`).
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: Option<String>,
    /// The same password again.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password_confirmation: Option<String>,
    pub numbers: Option<Vec<UserNumberInput>>,
    /// The "Number & Device" section: a device line for the new user (on creation only).
    pub device: Option<DeviceLineInput>,
}

fn extension_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    super::schema::text_or_number(
        "On creation: the extension, in the account's numbering plan (the lowest free one \
         when left out). It never changes afterwards.",
        "101",
    )
}

fn pin_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    super::schema::text_or_number("4 to 12 digits; an empty string clears it.", "4321")
}

fn notification_emails_schema() -> utoipa::openapi::Schema {
    super::schema::non_empty_strings("Addresses that also get voicemail notifications.")
}

fn role_schema() -> utoipa::openapi::Object {
    super::schema::one_of(
        &[
            "limited",
            "admin",
            "no_portal",
            "simple_user",
            "basic_user",
            "call_center_agent",
            "call_center_supervisor",
            "site_manager",
            "office_manager",
        ],
        true,
    )
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailInput {
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(schema_with = pin_schema)]
    pub pin: Option<String>,
}

/// A number of the pool (`"+15145550100"`) or a new one in an area code (`{"area_code": "514"}`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum UserNumberInput {
    /// A number of the account's pool.
    #[schema(value_type = crate::domain::E164)]
    Number(String),
    AreaCode {
        /// The lowest free number of the pool filed under this area code.
        #[schema(min_length = 1, max_length = 5, example = "514")]
        area_code: String,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceLineInput {
    /// Required.
    #[schema(min_length = 1, example = "805ec009abdc")]
    pub mac: Option<String>,
    /// Needed when the MAC is not registered yet.
    #[schema(min_length = 1, example = "W60B")]
    pub model: Option<String>,
    /// The line (the lowest free one when left out).
    #[schema(minimum = 1, maximum = 65535)]
    pub line: Option<u16>,
    /// Shown on the phone; the user's name when left out.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub line_name: Option<String>,
    /// Supplied SIP credentials; generated when left out.
    #[schema(min_length = 1, max_length = 64)]
    pub sip_username: Option<String>,
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub sip_password: Option<String>,
}

/// Accepts `"101"` or `101` for fields people think of as numbers.
fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(u64),
    }
    Ok(
        Option::<TextOrNumber>::deserialize(deserializer)?.map(|value| match value {
            TextOrNumber::Text(text) => text,
            TextOrNumber::Number(number) => number.to_string(),
        }),
    )
}

/// Which use case the form is for; the rules differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Create,
    Update,
    /// Giving a bulk placeholder a person.
    Enable,
}

/// A device line asked for in the user form, parsed.
#[derive(Debug, Clone)]
pub(crate) struct DeviceLineDraft {
    pub mac: Mac,
    pub model: Option<String>,
    pub line: Option<u16>,
    pub line_name: Option<String>,
    pub sip_username: Option<SipUsername>,
    pub sip_password: Option<Secret>,
}

/// A user as the form describes it, every field parsed and the form's rules applied.
#[derive(Debug, Clone)]
pub(crate) struct UserDraft {
    pub status: UserStatus,
    pub kind: UserType,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub tags: Vec<Tag>,
    /// `None`: take the lowest free extension.
    pub extension: Option<Extension>,
    pub language: Language,
    pub time_zone: TimeZone,
    pub feature_plan: FeaturePlan,
    pub portal_access: bool,
    pub email: Option<Email>,
    pub notification_emails: Vec<Email>,
    pub username: Option<Username>,
    pub role: Role,
    pub block_welcome_email: bool,
    pub calling_plan: Option<String>,
    pub emergency_caller_id: Option<E164>,
    pub voicemail: Voicemail,
    /// A new portal password, in clear until it is hashed.
    pub password: Option<String>,
    /// `None`: keep the user's numbers.
    pub numbers: Option<Vec<NumberRequest>>,
    pub device: Option<DeviceLineDraft>,
}

/// Parses an optional field: left out → the base value; empty → cleared; else parsed.
fn optional<T: Clone>(
    invalid: &mut Invalid,
    field: &str,
    input: Option<&String>,
    base: Option<T>,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> Option<T> {
    match input.map(|text| text.trim()) {
        None => base,
        Some("") => None,
        Some(text) => invalid.check(field, parse(text)),
    }
}

/// Parses a field that always has a value: left out → the base value or the default.
fn with_default<T>(
    invalid: &mut Invalid,
    field: &str,
    input: Option<&String>,
    fallback: T,
    parse: impl FnOnce(&str) -> Result<T, ParseError>,
) -> T {
    match input {
        Some(text) => invalid.check(field, parse(text)).unwrap_or(fallback),
        None => fallback,
    }
}

pub(crate) fn parse(
    input: &UserInput,
    account: &Account,
    base: Option<&User>,
    purpose: Purpose,
) -> Result<UserDraft, Invalid> {
    let mut invalid = Invalid::new();
    if purpose != Purpose::Update && account.group_name.is_none() {
        invalid.add(
            "account",
            "set the account group name before creating users",
        );
    }
    let status = match purpose {
        Purpose::Create | Purpose::Enable => UserStatus::Active,
        Purpose::Update => base.map_or(UserStatus::Active, |b| b.status),
    };
    let kind = with_default(
        &mut invalid,
        "type",
        input.kind.as_ref(),
        base.map_or(UserType::Person, |b| b.kind),
        str::parse,
    );
    let first_name = optional(
        &mut invalid,
        "first_name",
        input.first_name.as_ref(),
        base.and_then(|b| b.first_name.clone()),
        |t| line_of_text(t, 64),
    );
    if first_name.is_none()
        && status == UserStatus::Active
        && !invalid.fields().contains_key("first_name")
    {
        invalid.add("first_name", "is required");
    }
    let last_name = optional(
        &mut invalid,
        "last_name",
        input.last_name.as_ref(),
        base.and_then(|b| b.last_name.clone()),
        |t| line_of_text(t, 64),
    );
    let department = optional(
        &mut invalid,
        "department",
        input.department.as_ref(),
        base.and_then(|b| b.department.clone()),
        |t| line_of_text(t, 64),
    );
    let tags = match &input.tags {
        Some(texts) => invalid
            .check("tags", tags(texts.iter().map(String::as_str)))
            .unwrap_or_default(),
        None => base.map(|b| b.tags.clone()).unwrap_or_default(),
    };
    let extension = parse_extension(&mut invalid, input.extension.as_ref(), account, base);
    let language = with_default(
        &mut invalid,
        "language",
        input.language.as_ref(),
        base.map_or(account.language, |b| b.language),
        str::parse,
    );
    let time_zone = with_default(
        &mut invalid,
        "time_zone",
        input.time_zone.as_ref(),
        base.map_or(account.time_zone, |b| b.time_zone),
        str::parse,
    );
    let feature_plan = with_default(
        &mut invalid,
        "feature_plan",
        input.feature_plan.as_ref(),
        base.map_or(FeaturePlan::Standard, |b| b.feature_plan),
        str::parse,
    );
    let (role, no_portal) = parse_role(&mut invalid, input, base);
    let portal_access =
        parse_portal_access(&mut invalid, input, base, kind, feature_plan, no_portal);
    let email = optional(
        &mut invalid,
        "email",
        input.email.as_ref(),
        base.and_then(|b| b.email.clone()),
        str::parse,
    );
    let username = optional(
        &mut invalid,
        "username",
        input.username.as_ref(),
        base.and_then(|b| b.username.clone()),
        str::parse,
    );
    if portal_access {
        if email.is_none() && !invalid.fields().contains_key("email") {
            invalid.add("email", "is required with portal access");
        }
        if username.is_none() && !invalid.fields().contains_key("username") {
            invalid.add("username", "is required with portal access");
        }
    }
    let notification_emails = match &input.notification_emails {
        Some(texts) => texts
            .iter()
            .filter(|text| !text.trim().is_empty())
            .filter_map(|text| invalid.check("notification_emails", text.parse::<Email>()))
            .collect(),
        None => base
            .map(|b| b.notification_emails.clone())
            .unwrap_or_default(),
    };
    let calling_plan = parse_calling_plan(&mut invalid, input, account, base);
    let emergency_caller_id = optional(
        &mut invalid,
        "emergency_caller_id",
        input.emergency_caller_id.as_ref(),
        base.and_then(|b| b.emergency_caller_id.clone()),
        str::parse,
    );
    let voicemail = parse_voicemail(&mut invalid, input.voicemail.as_ref(), base, kind);
    let password = match &input.password {
        Some(password) if !password.is_empty() => invalid.check(
            "password",
            portal_password(password, input.password_confirmation.as_deref()),
        ),
        _ => None,
    };
    let numbers = input
        .numbers
        .as_ref()
        .map(|numbers| parse_number_requests(&mut invalid, numbers));
    let device = parse_device(&mut invalid, input.device.as_ref(), kind, purpose);
    if invalid.is_empty() {
        Ok(UserDraft {
            status,
            kind,
            first_name,
            last_name,
            department,
            tags,
            extension,
            language,
            time_zone,
            feature_plan,
            portal_access,
            email,
            notification_emails,
            username,
            role,
            block_welcome_email: input
                .block_welcome_email
                .or(base.map(|b| b.block_welcome_email))
                .unwrap_or(false),
            calling_plan,
            emergency_caller_id,
            voicemail,
            password,
            numbers,
            device,
        })
    } else {
        Err(invalid)
    }
}

/// Creation takes a given extension (checked against the plan) or none (lowest free);
/// afterwards the extension never changes.
fn parse_extension(
    invalid: &mut Invalid,
    input: Option<&String>,
    account: &Account,
    base: Option<&User>,
) -> Option<Extension> {
    let text = input.map(|t| t.trim()).filter(|t| !t.is_empty());
    match (text, base) {
        (None, base) => base.map(|b| b.extension.clone()),
        (Some(text), Some(base)) => {
            if text != base.extension.as_str() {
                invalid.add(
                    "extension",
                    format!(
                        "cannot be changed after creation (it is {})",
                        base.extension
                    ),
                );
            }
            Some(base.extension.clone())
        }
        (Some(text), None) => {
            let extension = invalid.check("extension", text.parse::<Extension>())?;
            invalid.check("extension", account.numbering.check(&extension))?;
            Some(extension)
        }
    }
}

fn parse_role(invalid: &mut Invalid, input: &UserInput, base: Option<&User>) -> (Role, bool) {
    let base_role = base.map_or(Role::Limited, |b| b.role);
    if input.role.is_none() && input.admin_level.is_none() {
        return (base_role, false);
    }
    let role = input.role.as_deref().or(Some(base_role.name()));
    let level = input.admin_level.as_deref().or_else(|| {
        // Keep the base level when only the role is restated as admin.
        (input.role.as_deref().map(str::trim) == Some("admin"))
            .then(|| base_role.admin_level().map(|l| l.name()))
            .flatten()
    });
    match Role::parse(role, level) {
        Ok(parsed) => parsed,
        Err((field, error)) => {
            invalid.add(field, error.message());
            (base_role, false)
        }
    }
}

fn parse_portal_access(
    invalid: &mut Invalid,
    input: &UserInput,
    base: Option<&User>,
    kind: UserType,
    plan: FeaturePlan,
    no_portal: bool,
) -> bool {
    if !kind.is_person() {
        if input.portal_access == Some(true) {
            invalid.add(
                "portal_access",
                format!("only persons get portal access, not a {}", kind.name()),
            );
        }
        return false;
    }
    if no_portal {
        if plan != FeaturePlan::Standard {
            invalid.add(
                "role",
                format!(
                    "no_portal cannot be used on the {} plan, whose apps need a portal login",
                    plan.name()
                ),
            );
        } else if input.portal_access == Some(true) {
            invalid.add("portal_access", "must be off for the no_portal scope");
        }
        return false;
    }
    // On update a Standard user keeps their setting; moving to Advanced turns it on.
    let requested = input.portal_access.or_else(|| {
        base.filter(|_| plan == FeaturePlan::Standard)
            .map(|b| b.portal_access)
    });
    match plan.portal_access(requested) {
        Ok(access) => access,
        Err(error) => {
            invalid.add("portal_access", error.message());
            true
        }
    }
}

fn parse_calling_plan(
    invalid: &mut Invalid,
    input: &UserInput,
    account: &Account,
    base: Option<&User>,
) -> Option<String> {
    match input.calling_plan.as_deref().map(str::trim) {
        None => base.map_or(account.default_calling_plan.clone(), |b| {
            b.calling_plan.clone()
        }),
        Some("") => None,
        Some(plan) if account.calling_plans.iter().any(|p| p == plan) => Some(plan.to_owned()),
        Some(plan) => {
            invalid.add(
                "calling_plan",
                format!(
                    "{plan:?} is not offered by the account ({})",
                    account.calling_plans.join(", ")
                ),
            );
            None
        }
    }
}

fn parse_voicemail(
    invalid: &mut Invalid,
    input: Option<&VoicemailInput>,
    base: Option<&User>,
    kind: UserType,
) -> Voicemail {
    let enabled = input
        .and_then(|v| v.enabled)
        .or(base.map(|b| b.voicemail.enabled))
        .unwrap_or(kind.default_voicemail());
    let base_pin = base.and_then(|b| b.voicemail.pin.clone());
    let pin = optional(
        invalid,
        "voicemail.pin",
        input.and_then(|v| v.pin.as_ref()),
        base_pin,
        |t| t.parse::<VoicemailPin>(),
    );
    Voicemail { enabled, pin }
}

fn parse_number_requests(invalid: &mut Invalid, inputs: &[UserNumberInput]) -> Vec<NumberRequest> {
    inputs
        .iter()
        .filter_map(|input| match input {
            UserNumberInput::Number(text) => invalid
                .check("numbers", text.parse::<E164>())
                .map(NumberRequest::Number),
            UserNumberInput::AreaCode { area_code } => invalid
                .check("numbers", area_code.parse::<AreaCode>())
                .map(NumberRequest::InAreaCode),
        })
        .collect()
}

fn parse_device(
    invalid: &mut Invalid,
    input: Option<&DeviceLineInput>,
    kind: UserType,
    purpose: Purpose,
) -> Option<DeviceLineDraft> {
    let input = input?;
    if purpose == Purpose::Update {
        invalid.add(
            "device",
            "assign device lines through the device's lines instead",
        );
        return None;
    }
    if !kind.is_person() {
        invalid.add(
            "device",
            format!("only persons get device lines, not a {}", kind.name()),
        );
        return None;
    }
    let mac = match input.mac.as_deref() {
        Some(text) => invalid.check("device.mac", text.parse::<Mac>()),
        None => {
            invalid.add("device.mac", "is required");
            None
        }
    };
    let line_name = optional(
        invalid,
        "device.line_name",
        input.line_name.as_ref(),
        None,
        |t| line_of_text(t, 64),
    );
    let sip_username = optional(
        invalid,
        "device.sip_username",
        input.sip_username.as_ref(),
        None,
        str::parse,
    );
    let sip_password = match input.sip_password.as_deref() {
        None | Some("") => None,
        Some(text) => invalid.check("device.sip_password", text.parse::<Secret>()),
    };
    let model = optional_text(input.model.as_deref(), 64).ok().flatten();
    Some(DeviceLineDraft {
        mac: mac?,
        model,
        line: input.line,
        line_name,
        sip_username,
        sip_password,
    })
}

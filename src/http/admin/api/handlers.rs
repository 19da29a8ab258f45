//! One function per endpoint: read the input, call one use case, shape the reply.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::route::{ApiRoute, BodyUse};
use super::scope::Principal;
use super::{Call, Reply};
use super::{input, registrar};
use crate::domain::{AccountId, Mac, UserId};
use crate::service::{
    AccountInput, ArmInput, BulkInput, BulkOutcome, ClaimInput, DeviceInput, DeviceUpdate,
    FirmwareUploadInput, LineInput, NumberInput, Page, PinInput, ProfileInput, ReplaceInput,
    Service, TokenInput, UserInput, UserQuery, mask_secrets,
};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// A page of a list whose items have numeric ids (accounts).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Items per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{0,19}$")]
    cursor: Option<String>,
}

/// A page of a list of devices.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DevicePageQuery {
    /// Items per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// `next_cursor` of the previous page (a MAC).
    #[param(pattern = "^(?!0{12}$)([0-9a-f][02468ace][0-9a-f]{10})?$")]
    cursor: Option<String>,
}

/// How many entries of an audit.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Entries (1–500, default 50), newest first.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// A search of an account's users, a page at a time.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsersQuery {
    /// Name, username, email or extension contains.
    q: Option<String>,
    /// An admin tag or a system tag.
    tag: Option<String>,
    /// Extension starts with.
    extension: Option<String>,
    /// `active` or `unassigned`.
    #[param(inline, value_type = Option<crate::domain::UserStatus>)]
    status: Option<String>,
    /// Items per page (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{0,19}$")]
    cursor: Option<String>,
}

/// `POST /api/v1/firmware/images`: what the image in the body is.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FirmwareQuery {
    /// The vendor (`yealink`); optional, the model names it.
    vendor: Option<String>,
    /// A model of the catalogue (`T46S`), or a DECT handset model (`W56H`).
    #[param(required = true, example = "T46S")]
    model: Option<String>,
    /// The image's version: 2 to 6 numbers separated by dots.
    #[param(
        required = true,
        example = "66.86.0.15",
        pattern = r"^[0-9]{1,9}(\.[0-9]{1,9}){1,5}$"
    )]
    version: Option<String>,
}

impl From<FirmwareQuery> for FirmwareUploadInput {
    fn from(query: FirmwareQuery) -> FirmwareUploadInput {
        FirmwareUploadInput {
            vendor: query.vendor,
            model: query.model,
            version: query.version,
        }
    }
}

/// `POST /api/v1/accounts/{id}/numbers`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumbersInput {
    numbers: Vec<NumberInput>,
}

/// `PATCH /api/v1/devices/{mac}/lines/{n}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameInput {
    /// Shown on the phone.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: Option<String>,
}

/// A model of the device catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelView {
    vendor: String,
    name: String,
    /// SIP accounts.
    lines: u16,
    /// DECT bases: how many handsets.
    handsets: Option<u16>,
    /// The model family's common file.
    common_file: String,
    note: Option<String>,
}

fn limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        Some(_) => Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A cursor as the list returned it: the last id (digits) or MAC (12 lower-case hex digits)
/// of the previous page; empty: the first page.
fn cursor<T: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            let canonical = c
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'a'..=b'f'));
            canonical
                .then(|| c.parse().ok())
                .flatten()
                .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this list returned"))
        })
        .transpose()
}

fn to_value<T: Serialize>(value: T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

fn ok<T: Serialize>(value: T) -> Result<Reply, ApiError> {
    Ok(Reply::Json(StatusCode::OK, to_value(value)?))
}

fn created<T: Serialize>(value: T) -> Result<Reply, ApiError> {
    Ok(Reply::Json(StatusCode::CREATED, to_value(value)?))
}

/// `{"items": […], "next_cursor": null}` for lists that fit one page.
fn items<T: Serialize>(items: Vec<T>) -> Result<Reply, ApiError> {
    ok(Page {
        items,
        next_cursor: None,
    })
}

/// Checks what the caller may see, answers, and masks secrets for a caller without the right.
/// `schemas` are the document's, which bodies are checked against.
pub(crate) fn dispatch(
    service: &Service,
    schemas: &Map<String, Value>,
    call: Call,
) -> Result<Reply, ApiError> {
    call.principal.check(service, &call.route)?;
    // What the caller may do is said first, then what is wrong with the request.
    if call.body.is_empty() && call.route.body_use() == BodyUse::Required {
        return Err(ApiError::MissingBody(call.route.body_kind().media_type()));
    }
    let reply = answer(service, schemas, &call)?;
    Ok(match reply {
        Reply::Json(status, mut value) if !call.principal.secrets => {
            mask_secrets(&mut value);
            Reply::Json(status, value)
        }
        other => other,
    })
}

fn answer(service: &Service, schemas: &Map<String, Value>, call: &Call) -> Result<Reply, ApiError> {
    let body = &call.body[..];
    let query = call.query.as_deref();
    let principal = &call.principal;
    match call.route.clone() {
        ApiRoute::OpenApi => Err(ApiError::NotFound("route".into())),
        ApiRoute::Models => items(service.catalogue().models().map(model).collect()),
        ApiRoute::CreateAccount => {
            created(service.create_account(&input::json::<AccountInput>(body, schemas)?)?)
        }
        ApiRoute::ListAccounts => list_accounts(service, principal, query),
        ApiRoute::GetAccount(account) => ok(service.account(account)?),
        ApiRoute::UpdateAccount(account) => {
            ok(service.update_account(account, &input::json::<AccountInput>(body, schemas)?)?)
        }
        ApiRoute::DeleteAccount(account) => no_content(service.delete_account(account)),
        ApiRoute::ListNumbers(account) => items(service.numbers(account)?),
        ApiRoute::AddNumbers(account) => {
            let input = input::json::<NumbersInput>(body, schemas)?;
            ok(service.add_numbers(account, &input.numbers)?.numbers)
        }
        ApiRoute::RemoveNumber(account, number) => {
            no_content(service.remove_number(account, &number))
        }
        ApiRoute::CreateUser(account) => {
            created(service.create_user(account, &input::json::<UserInput>(body, schemas)?)?)
        }
        ApiRoute::BulkUsers(account) => bulk(service, schemas, account, body),
        ApiRoute::ListUsers(account) => list_users(service, account, query),
        ApiRoute::GetUser(user) => ok(service.user(user)?),
        ApiRoute::UpdateUser(user) => {
            ok(service.update_user(user, &input::json::<UserInput>(body, schemas)?)?)
        }
        ApiRoute::DeleteUser(user) => no_content(service.delete_user(user)),
        ApiRoute::EnableUser(user) => {
            ok(service.enable_user(user, &input::json::<UserInput>(body, schemas)?)?)
        }
        ApiRoute::GetLineKeys(user) => ok(service.line_keys(user)?),
        ApiRoute::SetLineKeys(user) => ok(service.set_line_keys(
            user,
            &input::json::<crate::service::LineKeysInput>(body, schemas)?,
        )?),
        ApiRoute::CreateDevice(account) => {
            created(service.create_device(account, &input::json::<DeviceInput>(body, schemas)?)?)
        }
        ApiRoute::ListDevices(account) => list_devices(service, account, query),
        ApiRoute::GetDevice(mac) => ok(service.device(mac)?),
        ApiRoute::UpdateDevice(mac) => {
            ok(service.update_device(mac, &input::json::<DeviceUpdate>(body, schemas)?)?)
        }
        ApiRoute::DeviceSettings(mac) => ok(service.device_settings(mac)?),
        ApiRoute::DevicePreview(mac) => Ok(Reply::Text {
            status: http::StatusCode::OK,
            content_type: "text/plain; charset=utf-8",
            body: service.preview_device(mac)?,
        }),
        ApiRoute::ListProfiles(account) => items(service.profiles(account)?),
        ApiRoute::CreateProfile(account) => {
            created(service.create_profile(account, &input::json::<ProfileInput>(body, schemas)?)?)
        }
        ApiRoute::GetProfile(account, name) => ok(service.profile(account, &name.0)?),
        ApiRoute::UpdateProfile(account, name) => ok(service.update_profile(
            account,
            &name.0,
            &input::json::<ProfileInput>(body, schemas)?,
        )?),
        ApiRoute::DeleteProfile(account, name) => {
            no_content(service.delete_profile(account, &name.0))
        }
        ApiRoute::DeleteDevice(mac) => no_content(service.delete_device(mac)),
        ApiRoute::ArmDevice(mac) => {
            ok(service.arm_device(mac, &input::json::<ArmInput>(body, schemas)?)?)
        }
        ApiRoute::ReplaceDevice(mac) => {
            created(service.replace_device(mac, &input::json::<ReplaceInput>(body, schemas)?)?)
        }
        ApiRoute::DeviceAudit(mac) => {
            let page = input::query::<AuditQuery>(query)?;
            items(service.device_audit(mac, limit(page.limit)?)?)
        }
        ApiRoute::AssignLine(mac, line) => created(service.assign_line(
            mac,
            Some(line),
            &input::json::<LineInput>(body, schemas)?,
        )?),
        ApiRoute::AssignLowestLine(mac) => {
            created(service.assign_line(mac, None, &input::json::<LineInput>(body, schemas)?)?)
        }
        ApiRoute::RenameLine(mac, line) => {
            let name = input::json::<RenameInput>(body, schemas)?
                .name
                .ok_or_else(|| ApiError::invalid("name", "is required"))?;
            ok(service.rename_line(mac, line, &name)?)
        }
        ApiRoute::DeleteLine(mac, line) => no_content(service.unassign_line(mac, line)),
        ApiRoute::RotateLine(mac, line) => ok(service.rotate_line(mac, line)?),
        ApiRoute::RotateWebPasswords(mac) => ok(service.rotate_web_passwords(mac)?),
        ApiRoute::ListUnclaimed => items(service.unclaimed_devices()?),
        ApiRoute::ClaimDevice(mac) => {
            created(service.claim_device(mac, &input::json::<ClaimInput>(body, schemas)?)?)
        }
        ApiRoute::CreateToken => {
            created(service.create_token(&input::json::<TokenInput>(body, schemas)?)?)
        }
        ApiRoute::ListTokens => items(service.tokens()?),
        ApiRoute::DeleteToken(token) => no_content(service.delete_token(token)),
        ApiRoute::RotateDataKey => ok(service.rotate_data_key()?),
        // Streamed to a file before any handler (`Api::upload_firmware`).
        ApiRoute::UploadFirmware => Err(ApiError::NotFound("route".into())),
        ApiRoute::ListFirmware => items(service.firmware_images()?),
        ApiRoute::DeleteFirmware(digest) => no_content(service.delete_firmware(digest)),
        ApiRoute::ListFirmwarePins => {
            let mut pins = service.firmware_pins()?;
            pins.retain(|pin| pin.account.is_none_or(|account| principal.sees(account)));
            items(pins)
        }
        ApiRoute::PinFirmware(scope, model) => {
            ok(service.pin_firmware(scope, &model, &input::json::<PinInput>(body, schemas)?)?)
        }
        ApiRoute::UnpinFirmware(scope, model) => no_content(service.unpin_firmware(scope, &model)),
        ApiRoute::DirectoryLookups => ok(service.directory_lookups()),
        ApiRoute::Ha1 => registrar::ha1(service, principal, query),
        ApiRoute::Subscribers => registrar::subscribers(service, principal, query),
        ApiRoute::FreeSwitchDirectory => registrar::freeswitch(service, principal, body),
        ApiRoute::AsteriskAuths(credential, rows) => {
            registrar::asterisk(service, principal, body, credential, rows)
        }
    }
}

/// 204 for a use case that answers nothing.
fn no_content(result: Result<(), crate::service::Error>) -> Result<Reply, ApiError> {
    result.map(|()| Reply::NoContent).map_err(Into::into)
}

fn model(model: &crate::vendors::Model) -> ModelView {
    ModelView {
        vendor: model.vendor.clone(),
        name: model.name.clone(),
        lines: model.lines,
        handsets: model.dect.as_ref().map(|d| d.handsets),
        common_file: model.common_file.clone(),
        note: model.note.clone(),
    }
}

/// Accounts, those the caller sees.
fn list_accounts(
    service: &Service,
    principal: &Principal,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let page = input::query::<PageQuery>(query)?;
    let mut accounts = service.accounts(
        cursor::<u64>(page.cursor.as_deref())?.map(AccountId),
        limit(page.limit)?,
    )?;
    accounts.items.retain(|account| principal.sees(account.id));
    ok(accounts)
}

fn list_users(
    service: &Service,
    account: AccountId,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let params = input::query::<UsersQuery>(query)?;
    if let Some(status) = params.status.as_deref() {
        if !matches!(status, "active" | "unassigned") {
            return Err(ApiError::invalid(
                "status",
                "must be 'active' or 'unassigned'",
            ));
        }
    }
    let user_query = UserQuery {
        q: params.q,
        tag: params.tag,
        extension: params.extension,
        status: params.status,
        cursor: cursor::<u64>(params.cursor.as_deref())?.map(UserId),
        limit: limit(params.limit)?,
    };
    ok(service.users(account, &user_query)?)
}

fn list_devices(
    service: &Service,
    account: AccountId,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let page = input::query::<DevicePageQuery>(query)?;
    ok(service.devices(
        account,
        cursor::<Mac>(page.cursor.as_deref())?,
        limit(page.limit)?,
    )?)
}

/// A dry run answers 200 with the order summary; a placed order 201 with the users.
fn bulk(
    service: &Service,
    schemas: &Map<String, Value>,
    account: AccountId,
    body: &[u8],
) -> Result<Reply, ApiError> {
    match service.bulk_create_users(account, &input::json::<BulkInput>(body, schemas)?)? {
        summary @ BulkOutcome::Summary(_) => ok(summary),
        created_users @ BulkOutcome::Created { .. } => created(created_users),
    }
}

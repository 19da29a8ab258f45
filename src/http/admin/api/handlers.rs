//! One function per endpoint: read the input, call one use case, shape the reply.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiError;
use super::input;
use super::route::Endpoint;
use super::{Call, Reply};
use crate::domain::{AccountId, Mac, UserId};
use crate::service::{
    AccountInput, ArmInput, BulkInput, BulkOutcome, ClaimInput, DeviceInput, LineInput,
    NumberInput, Service, TokenInput, UserInput, UserQuery,
};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersQuery {
    q: Option<String>,
    tag: Option<String>,
    extension: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NumbersInput {
    numbers: Vec<NumberInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameInput {
    name: Option<String>,
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

fn cursor<T: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse()
                .map_err(|_| ApiError::invalid("cursor", "is not a cursor this list returned"))
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
    ok(json!({"items": to_value(items)?, "next_cursor": null}))
}

/// Path parameters are present whenever the route table says so; their absence is a bug.
fn param<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::Internal("route parameter missing".into()))
}

pub(crate) fn dispatch(service: &Service, call: Call) -> Result<Reply, ApiError> {
    let route = &call.route;
    let body = &call.body[..];
    let query = call.query.as_deref();
    match route.endpoint {
        Endpoint::OpenApi => Err(ApiError::NotFound("route".into())),
        Endpoint::Models => items(service.catalogue().models().map(model).collect()),
        Endpoint::CreateAccount => {
            created(service.create_account(&input::json::<AccountInput>(body)?)?)
        }
        Endpoint::ListAccounts => list_accounts(service, query),
        Endpoint::GetAccount => ok(service.account(param(route.account)?)?),
        Endpoint::UpdateAccount => {
            ok(service
                .update_account(param(route.account)?, &input::json::<AccountInput>(body)?)?)
        }
        Endpoint::DeleteAccount => service
            .delete_account(param(route.account)?)
            .map(|()| Reply::NoContent)
            .map_err(Into::into),
        Endpoint::ListNumbers => items(service.numbers(param(route.account)?)?),
        Endpoint::AddNumbers => {
            let input = input::json::<NumbersInput>(body)?;
            ok(service
                .add_numbers(param(route.account)?, &input.numbers)?
                .numbers)
        }
        Endpoint::RemoveNumber => {
            service.remove_number(param(route.account)?, &param(route.number.clone())?)?;
            Ok(Reply::NoContent)
        }
        Endpoint::CreateUser => {
            created(service.create_user(param(route.account)?, &input::json::<UserInput>(body)?)?)
        }
        Endpoint::BulkUsers => bulk(service, param(route.account)?, body),
        Endpoint::ListUsers => list_users(service, param(route.account)?, query),
        Endpoint::GetUser => ok(service.user(param(route.user)?)?),
        Endpoint::UpdateUser => {
            ok(service.update_user(param(route.user)?, &input::json::<UserInput>(body)?)?)
        }
        Endpoint::DeleteUser => service
            .delete_user(param(route.user)?)
            .map(|()| Reply::NoContent)
            .map_err(Into::into),
        Endpoint::EnableUser => {
            ok(service.enable_user(param(route.user)?, &input::json::<UserInput>(body)?)?)
        }
        Endpoint::CreateDevice => created(
            service.create_device(param(route.account)?, &input::json::<DeviceInput>(body)?)?,
        ),
        Endpoint::ListDevices => list_devices(service, param(route.account)?, query),
        Endpoint::GetDevice => ok(service.device(param(route.mac)?)?),
        Endpoint::DeleteDevice => service
            .delete_device(param(route.mac)?)
            .map(|()| Reply::NoContent)
            .map_err(Into::into),
        Endpoint::ArmDevice => {
            ok(service.arm_device(param(route.mac)?, &input::json::<ArmInput>(body)?)?)
        }
        Endpoint::DeviceAudit => {
            let page = input::query::<PageQuery>(query)?;
            items(service.device_audit(param(route.mac)?, limit(page.limit)?)?)
        }
        Endpoint::AssignLine => created(service.assign_line(
            param(route.mac)?,
            Some(param(route.line)?),
            &input::json::<LineInput>(body)?,
        )?),
        Endpoint::AssignLowestLine => created(service.assign_line(
            param(route.mac)?,
            None,
            &input::json::<LineInput>(body)?,
        )?),
        Endpoint::RenameLine => {
            let name = input::json::<RenameInput>(body)?
                .name
                .ok_or_else(|| ApiError::invalid("name", "is required"))?;
            ok(service.rename_line(param(route.mac)?, param(route.line)?, &name)?)
        }
        Endpoint::DeleteLine => service
            .unassign_line(param(route.mac)?, param(route.line)?)
            .map(|()| Reply::NoContent)
            .map_err(Into::into),
        Endpoint::RotateLine => ok(service.rotate_line(param(route.mac)?, param(route.line)?)?),
        Endpoint::ListUnclaimed => items(service.unclaimed_devices()?),
        Endpoint::ClaimDevice => {
            created(service.claim_device(param(route.mac)?, &input::json::<ClaimInput>(body)?)?)
        }
        Endpoint::CreateToken => created(service.create_token(&input::json::<TokenInput>(body)?)?),
        Endpoint::ListTokens => items(service.tokens()?),
        Endpoint::DeleteToken => service
            .delete_token(param(route.token)?)
            .map(|()| Reply::NoContent)
            .map_err(Into::into),
    }
}

fn model(model: &crate::vendors::Model) -> Value {
    json!({
        "vendor": model.vendor,
        "name": model.name,
        "lines": model.lines,
        "handsets": model.dect.map(|d| d.handsets),
        "common_file": model.common_file,
        "note": model.note,
    })
}

fn list_accounts(service: &Service, query: Option<&str>) -> Result<Reply, ApiError> {
    let page = input::query::<PageQuery>(query)?;
    ok(service.accounts(
        cursor::<u64>(page.cursor.as_deref())?.map(AccountId),
        limit(page.limit)?,
    )?)
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
    let page = input::query::<PageQuery>(query)?;
    ok(service.devices(
        account,
        cursor::<Mac>(page.cursor.as_deref())?,
        limit(page.limit)?,
    )?)
}

/// A dry run answers 200 with the order summary; a placed order 201 with the users.
fn bulk(service: &Service, account: AccountId, body: &[u8]) -> Result<Reply, ApiError> {
    match service.bulk_create_users(account, &input::json::<BulkInput>(body)?)? {
        summary @ BulkOutcome::Summary(_) => ok(summary),
        created_users @ BulkOutcome::Created { .. } => created(created_users),
    }
}

//! Accounts: the list, and the form that creates or edits one (numbering plan, calling
//! plans, number pool, how its phones authenticate). Creating and editing accounts is the
//! provider's work; an account's own admins see only their account in the list.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use super::form::account_input;
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{AccountId, TimeZone};
use crate::service::AccountView;

/// Most accounts listed on one page.
const PAGE: usize = 500;

impl Ui {
    pub(super) async fn accounts(&self, call: &Call) -> Result<Reply, Failure> {
        let access = call.admin()?;
        let accounts = match access {
            super::Access::AccountAdmin { account, .. } => {
                let id = *account;
                vec![self.run(move |s| s.account(id)).await?]
            }
            _ => self.run(|s| s.accounts(None, PAGE)).await?.items,
        };
        let rows: Vec<_> = accounts
            .iter()
            .map(|account| {
                let free = account.numbers.iter().filter(|n| n.user.is_none()).count();
                json!({"account": json(account), "free_numbers": free})
            })
            .collect();
        let page = Page::new(
            "accounts",
            "Accounts",
            json!({"rows": rows, "provider": access.is_provider()}),
        )
        .section("accounts");
        Ok(Reply::Page(page))
    }

    pub(super) fn new_account(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let values = BTreeMap::from(
            [
                ("registrar.port", "5060"),
                ("registrar.transport", "udp"),
                ("backup_registrar.transport", "udp"),
                ("numbering.min_length", "3"),
                ("numbering.max_length", "4"),
                ("numbering.ranges", "100-899"),
                ("numbering.reserved", "900-999"),
                ("language", "en"),
                ("time_zone", "UTC"),
                ("device_auth", "per_device"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        Ok(Reply::Page(account_form(None, values, BTreeMap::new())))
    }

    pub(super) async fn create_account(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let refused = |errors| {
            let page = account_form(None, call.form.values(), errors);
            Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
        };
        let input = match account_input(&call.form) {
            Ok(input) => input,
            Err(invalid) => return refused(invalid.fields().clone()),
        };
        match self.run(move |s| s.create_account(&input)).await {
            Ok(account) => Ok(Reply::redirect_with(
                format!("/accounts/{}/users", account.id),
                format!("Account {} created.", account.name),
            )),
            Err(failure) => refused(refusals(failure)?),
        }
    }

    pub(super) async fn edit_account(&self, call: &Call, id: AccountId) -> Result<Reply, Failure> {
        call.provider()?;
        let account = self.run(move |s| s.account(id)).await?;
        let values = account_values(&account);
        Ok(Reply::Page(account_form(
            Some(&account),
            values,
            BTreeMap::new(),
        )))
    }

    pub(super) async fn update_account(
        &self,
        call: &Call,
        id: AccountId,
    ) -> Result<Reply, Failure> {
        call.provider()?;
        let account = self.run(move |s| s.account(id)).await?;
        let refused = |errors| {
            let page = account_form(Some(&account), call.form.values(), errors);
            Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
        };
        let input = match account_input(&call.form) {
            Ok(input) => input,
            Err(invalid) => return refused(invalid.fields().clone()),
        };
        match self.run(move |s| s.update_account(id, &input)).await {
            Ok(account) => Ok(Reply::redirect_with(
                format!("/accounts/{id}"),
                format!("Account {} saved.", account.name),
            )),
            Err(failure) => refused(refusals(failure)?),
        }
    }
}

/// The account form's fields, filled from an account.
fn account_values(account: &AccountView) -> BTreeMap<String, String> {
    let numbers: Vec<String> = account
        .numbers
        .iter()
        .map(|n| match &n.area_code {
            Some(area_code) => format!("{} {area_code}", n.number),
            None => n.number.clone(),
        })
        .collect();
    let backup = account.backup_registrar.as_ref();
    let fields = [
        ("name", account.name.clone()),
        ("domain", account.domain.clone()),
        ("group_name", account.group_name.clone().unwrap_or_default()),
        ("registrar.host", account.registrar.host.clone()),
        ("registrar.port", account.registrar.port.to_string()),
        (
            "registrar.transport",
            account.registrar.transport.name().into(),
        ),
        (
            "backup_registrar.host",
            backup.map(|r| r.host.clone()).unwrap_or_default(),
        ),
        (
            "backup_registrar.port",
            backup.map(|r| r.port.to_string()).unwrap_or_default(),
        ),
        (
            "backup_registrar.transport",
            backup.map_or("udp", |r| r.transport.name()).into(),
        ),
        (
            "numbering.min_length",
            account.numbering.min_length.to_string(),
        ),
        (
            "numbering.max_length",
            account.numbering.max_length.to_string(),
        ),
        ("numbering.ranges", account.numbering.ranges.join(", ")),
        ("numbering.reserved", account.numbering.reserved.join(", ")),
        ("language", account.language.code().into()),
        ("time_zone", account.time_zone.name().into()),
        ("calling_plans", account.calling_plans.join(", ")),
        (
            "default_calling_plan",
            account.default_calling_plan.clone().unwrap_or_default(),
        ),
        ("numbers", numbers.join("\n")),
        ("device_auth", account.device_auth.into()),
    ];
    fields.map(|(k, v)| (k.to_owned(), v)).into_iter().collect()
}

/// The account form: new (`account` is `None`) or editing one.
fn account_form(
    account: Option<&AccountView>,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
) -> Page {
    let (title, action) = match account {
        Some(account) => (
            format!("{} — settings", account.name),
            format!("/accounts/{}", account.id),
        ),
        None => ("New account".to_owned(), "/accounts".to_owned()),
    };
    let zones: Vec<&str> = TimeZone::all().map(TimeZone::name).collect();
    let page = Page::new(
        "account_form",
        title,
        json!({
            "form": {"values": values, "errors": errors, "action": action},
            "account": account.map(json),
            "time_zones": zones,
        }),
    );
    match account {
        Some(account) => page.in_account(account, "settings"),
        None => page.section("accounts"),
    }
}

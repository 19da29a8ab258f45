//! Bulk add: quantity, area code and device model → the order summary (the service's dry
//! run) → the order, confirmed with an acknowledgement → the new users wait as unassigned
//! extensions until an admin enables each with a person.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use super::form::Form;
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{AccountId, Invalid};
use crate::service::{AccountView, BulkInput, BulkOutcome, OrderSummary};

impl Ui {
    pub(super) async fn bulk_form(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let account = self.run(move |s| s.account(account)).await?;
        let values = BTreeMap::from([("quantity".to_owned(), "1".to_owned())]);
        Ok(Reply::Page(self.bulk_page(
            &account,
            values,
            BTreeMap::new(),
        )))
    }

    /// `step=summary` shows the order summary; `step=order` places the order.
    pub(super) async fn bulk(&self, call: &Call, account: AccountId) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let account = self.run(move |s| s.account(account)).await?;
        let refused = |errors| {
            let page = self.bulk_page(&account, call.form.values(), errors);
            Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
        };
        let mut input = match bulk_input(&call.form) {
            Ok(input) => input,
            Err(invalid) => return refused(invalid.fields().clone()),
        };
        let ordering = call.form.text("step") == "order";
        let acknowledged = call.form.checked("acknowledge");
        input.dry_run = !(ordering && acknowledged);
        let id = account.id;
        let outcome = match self.run(move |s| s.bulk_create_users(id, &input)).await {
            Ok(outcome) => outcome,
            Err(failure) => return refused(refusals(failure)?),
        };
        match outcome {
            BulkOutcome::Summary(summary) => {
                let mut problems = BTreeMap::new();
                if ordering {
                    problems.insert(
                        "acknowledge".to_owned(),
                        "tick the acknowledgement to place the order".to_owned(),
                    );
                }
                let status = if problems.is_empty() && summary.can_create {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                let page = summary_page(&account, &summary, &call.form, problems);
                Ok(Reply::Page(page.status(status)))
            }
            BulkOutcome::Created { summary, users } => {
                let range = match (summary.extensions.first(), summary.extensions.last()) {
                    (Some(first), Some(last)) if first != last => format!("{first}–{last}"),
                    (Some(only), _) => only.clone(),
                    _ => String::new(),
                };
                Ok(Reply::redirect_with(
                    format!("/accounts/{}/users?status=unassigned", account.id),
                    format!(
                        "Order placed: {} unassigned extensions ({range}). Enable each with a person below.",
                        users.len()
                    ),
                ))
            }
        }
    }

    fn bulk_page(
        &self,
        account: &AccountView,
        values: BTreeMap<String, String>,
        errors: BTreeMap<String, String>,
    ) -> Page {
        let models: Vec<_> = self
            .service
            .catalogue()
            .models()
            .map(|m| json!({"name": m.name, "lines": m.lines}))
            .collect();
        let mut area_codes: BTreeMap<&str, usize> = BTreeMap::new();
        for number in account.numbers.iter().filter(|n| n.user.is_none()) {
            if let Some(code) = &number.area_code {
                *area_codes.entry(code).or_default() += 1;
            }
        }
        let area_codes: Vec<_> = area_codes
            .into_iter()
            .map(|(code, free)| json!({"code": code, "free": free}))
            .collect();
        Page::new(
            "bulk",
            "Add users in bulk",
            json!({
                "account": json(account),
                "form": {"values": values, "errors": errors},
                "models": models,
                "area_codes": area_codes,
            }),
        )
        .in_account(account, "users")
    }
}

fn summary_page(
    account: &AccountView,
    summary: &OrderSummary,
    form: &Form,
    errors: BTreeMap<String, String>,
) -> Page {
    Page::new(
        "bulk_summary",
        "Order summary",
        json!({
            "account": json(account),
            "summary": json(summary),
            "order": {
                "quantity": form.text("quantity"),
                "area_code": form.text("area_code"),
                "model": form.text("model"),
            },
            "errors": errors,
        }),
    )
    .in_account(account, "users")
}

fn bulk_input(form: &Form) -> Result<BulkInput, Invalid> {
    let mut invalid = Invalid::new();
    let input = BulkInput {
        quantity: form.number("quantity", &mut invalid),
        area_code: form.filled("area_code"),
        model: form.filled("model"),
        dry_run: true,
    };
    invalid.into_result().map(|()| input)
}

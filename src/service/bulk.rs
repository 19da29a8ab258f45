//! Bulk orders: N `unassigned` placeholder users with consecutive free extensions (and a
//! number each when an area code is given), confirmed from an order summary first.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::numbers;
use super::views::UserView;
use super::{Error, Service, now};
use crate::domain::{
    Account, AreaCode, E164, Extension, FeaturePlan, Invalid, Role, User, UserId, UserStatus,
    UserType, Voicemail,
};
use crate::store::{IdKind, Reads, Write};

/// Largest bulk order.
pub const MAX_QUANTITY: u32 = 500;

/// `POST /api/v1/accounts/{id}/users/bulk`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    #[schema(required = true, nullable = false, minimum = 1, maximum = 500)]
    pub quantity: Option<u32>,
    /// Each user also gets the lowest free number of the pool filed under this area code.
    #[schema(min_length = 1, max_length = 5, example = "514")]
    pub area_code: Option<String>,
    /// The device model ordered for each user.
    #[schema(min_length = 1, example = "T46S")]
    pub model: Option<String>,
    /// Return the order summary and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a bulk order would create, and why it cannot when it cannot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderSummary {
    pub quantity: u32,
    pub extensions: Vec<String>,
    pub area_code: Option<String>,
    pub numbers: Vec<String>,
    pub model: Option<String>,
    pub can_create: bool,
    /// Field → why the order cannot be placed.
    pub problems: std::collections::BTreeMap<String, String>,
}

/// A dry run's summary, or the placeholders created.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BulkOutcome {
    Summary(OrderSummary),
    Created {
        summary: OrderSummary,
        users: Vec<UserView>,
    },
}

struct Order {
    quantity: u32,
    area_code: Option<AreaCode>,
    model: Option<String>,
}

impl Service {
    fn parse_order(&self, input: &BulkInput) -> Result<Order, Invalid> {
        let mut invalid = Invalid::new();
        let quantity = match input.quantity {
            Some(q) if (1..=MAX_QUANTITY).contains(&q) => q,
            Some(_) => {
                invalid.add("quantity", format!("must be between 1 and {MAX_QUANTITY}"));
                0
            }
            None => {
                invalid.add("quantity", "is required");
                0
            }
        };
        let area_code = match input.area_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => invalid.check("area_code", text.parse()),
        };
        let model = match input
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            None => None,
            Some(name) => match self.catalogue.model(name) {
                Some(model) => Some(model.name.to_string()),
                None => {
                    invalid.add("model", format!("{name:?} is not a model of the catalogue"));
                    None
                }
            },
        };
        invalid.into_result().map(|()| Order {
            quantity,
            area_code,
            model,
        })
    }

    /// Places a bulk order, or with `dry_run` only says what it would create.
    pub fn bulk_create_users(
        &self,
        account: crate::domain::AccountId,
        input: &BulkInput,
    ) -> Result<BulkOutcome, Error> {
        let order = self.parse_order(input)?;
        let mut outcome = None;
        let result = self.store.write(|w| {
            let account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let (summary, extensions, numbers) = summarise(w, &account, &order)?;
            if input.dry_run {
                outcome = Some(BulkOutcome::Summary(summary));
                return Ok(());
            }
            if !summary.can_create {
                let mut invalid = Invalid::new();
                for (field, problem) in &summary.problems {
                    invalid.add(field, problem.clone());
                }
                return Err(Error::Invalid(invalid));
            }
            let mut users = Vec::new();
            for (index, extension) in extensions.into_iter().enumerate() {
                let number = numbers.get(index).cloned();
                let user = placeholder(w, &account, extension, number, order.model.clone())?;
                users.push(UserView::load(w, user, false)?);
            }
            outcome = Some(BulkOutcome::Created { summary, users });
            Ok(())
        });
        result?;
        outcome.ok_or(Error::NotFound("bulk order"))
    }
}

fn summarise(
    w: &Write<'_>,
    account: &Account,
    order: &Order,
) -> Result<(OrderSummary, Vec<Extension>, Vec<E164>), Error> {
    let mut problems = std::collections::BTreeMap::new();
    if account.group_name.is_none() {
        problems.insert(
            "account".to_owned(),
            "set the account group name before creating users".to_owned(),
        );
    }
    let count = order.quantity as usize;
    let extensions = account
        .numbering
        .consecutive_free(&w.extensions_of(account.id)?, count)
        .unwrap_or_else(|| {
            problems.insert(
                "quantity".to_owned(),
                format!("the numbering plan has no {count} consecutive free extensions"),
            );
            Vec::new()
        });
    let numbers = match &order.area_code {
        None => Vec::new(),
        Some(area_code) => {
            let free = numbers::free_in_area(&w.numbers_of(account.id)?, area_code, count);
            if free.len() < count {
                problems.insert(
                    "area_code".to_owned(),
                    format!(
                        "only {} free numbers in area code {area_code}, {count} needed",
                        free.len()
                    ),
                );
            }
            free
        }
    };
    let summary = OrderSummary {
        quantity: order.quantity,
        extensions: extensions.iter().map(ToString::to_string).collect(),
        area_code: order.area_code.as_ref().map(ToString::to_string),
        numbers: numbers.iter().map(ToString::to_string).collect(),
        model: order.model.clone(),
        can_create: problems.is_empty(),
        problems,
    };
    Ok((summary, extensions, numbers))
}

fn placeholder(
    w: &mut Write<'_>,
    account: &Account,
    extension: Extension,
    number: Option<E164>,
    model: Option<String>,
) -> Result<User, Error> {
    let id = UserId(w.next_id(IdKind::User)?);
    let numbers: Vec<E164> = number.into_iter().collect();
    let user = User {
        id,
        account: account.id,
        status: UserStatus::Unassigned,
        kind: UserType::Person,
        first_name: None,
        last_name: None,
        department: None,
        tags: Vec::new(),
        extension,
        language: account.language,
        time_zone: account.time_zone,
        feature_plan: FeaturePlan::Standard,
        portal_access: false,
        email: None,
        notification_emails: Vec::new(),
        username: None,
        role: Role::Limited,
        block_welcome_email: false,
        calling_plan: account.default_calling_plan.clone(),
        emergency_caller_id: None,
        voicemail: Voicemail {
            enabled: true,
            pin: None,
        },
        password_hash: None,
        numbers: numbers.clone(),
        ordered_model: model,
        line_keys: Vec::new(),
        created_at: now(),
    };
    w.put_user(&user)?;
    numbers::assign(w, id, &[], &numbers)?;
    Ok(user)
}

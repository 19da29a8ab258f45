//! The user form, laid out like the provider's "Add User" page: 1. User Information,
//! 2. Feature Plan & Voice Portal, 3. Calling Plans, 4. Number & Device. The same form
//! adds a user, edits one (without section 4: lines are managed on devices), and enables a
//! bulk placeholder.
//!
//! A refused form comes back `422` with every typed value (secrets aside) and each refusal
//! next to its field; refusals of fields the form does not show are listed at the top.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{Value, json};

use super::access::Access;
use super::form::{UserFormMode, user_input};
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{AccountId, AdminLevel, Role, TimeZone, UserId, UserType};
use crate::service::{AccountView, UserInput, UserView};

/// The fields every mode shows; refusals of other fields are listed at the top.
const FIELDS: &[&str] = &[
    "type",
    "first_name",
    "last_name",
    "extension",
    "language",
    "time_zone",
    "tags",
    "department",
    "email",
    "notification_emails",
    "username",
    "feature_plan",
    "portal_access",
    "block_welcome_email",
    "role",
    "admin_level",
    "calling_plan",
    "emergency_caller_id",
    "voicemail.enabled",
    "voicemail.pin",
    "password",
    "numbers",
];

/// The fields of section 4, shown when adding and enabling.
const DEVICE_FIELDS: &[&str] = &[
    "device",
    "device.mac",
    "device.model",
    "device.line",
    "device.line_name",
    "device.sip_username",
    "device.sip_password",
];

/// What the form is for, with what it needs to know.
struct FormTarget<'a> {
    mode: UserFormMode,
    account: &'a AccountView,
    /// The user edited or enabled.
    user: Option<&'a UserView>,
}

impl FormTarget<'_> {
    fn action(&self) -> String {
        match (self.mode, self.user) {
            (UserFormMode::Edit, Some(user)) => format!("/users/{}", user.id),
            (UserFormMode::Enable, Some(user)) => format!("/users/{}/enable", user.id),
            _ => format!("/accounts/{}/users", self.account.id),
        }
    }

    fn title(&self) -> String {
        match (self.mode, self.user) {
            (UserFormMode::Edit, Some(user)) => format!("Edit {}", user.display_name),
            (UserFormMode::Enable, Some(user)) => format!("Enable extension {}", user.extension),
            _ => "Add User".to_owned(),
        }
    }
}

impl Ui {
    pub(super) async fn new_user(&self, call: &Call, account: AccountId) -> Result<Reply, Failure> {
        let access = call.admin_of(account)?;
        let account = self.run(move |s| s.account(account)).await?;
        let target = FormTarget {
            mode: UserFormMode::Create,
            account: &account,
            user: None,
        };
        let values = new_values(&account, None);
        Ok(Reply::Page(self.user_form(
            &target,
            access,
            values,
            BTreeMap::new(),
        )))
    }

    pub(super) async fn create_user(
        &self,
        call: &Call,
        account: AccountId,
    ) -> Result<Reply, Failure> {
        let access = call.admin_of(account)?;
        let account = self.run(move |s| s.account(account)).await?;
        let target = FormTarget {
            mode: UserFormMode::Create,
            account: &account,
            user: None,
        };
        let id = account.id;
        let submitted = self
            .submit(call, access, &target, move |s, input| {
                s.create_user(id, input)
            })
            .await?;
        Ok(match submitted {
            Ok(user) => Reply::redirect_with(
                format!("/users/{}", user.id),
                format!(
                    "{} created with extension {}.",
                    user.display_name, user.extension
                ),
            ),
            Err(page) => Reply::Page(page),
        })
    }

    pub(super) async fn edit_user(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, access) = self.managed_user(call, id).await?;
        let target = FormTarget {
            mode: UserFormMode::Edit,
            account: &account,
            user: Some(&user),
        };
        let values = user_values(&user);
        Ok(Reply::Page(self.user_form(
            &target,
            access,
            values,
            BTreeMap::new(),
        )))
    }

    pub(super) async fn update_user(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, access) = self.managed_user(call, id).await?;
        let target = FormTarget {
            mode: UserFormMode::Edit,
            account: &account,
            user: Some(&user),
        };
        let submitted = self
            .submit(call, access, &target, move |s, input| {
                s.update_user(id, input)
            })
            .await?;
        Ok(match submitted {
            Ok(user) => Reply::redirect_with(
                format!("/users/{}", user.id),
                format!("{} saved.", user.display_name),
            ),
            Err(page) => Reply::Page(page),
        })
    }

    pub(super) async fn enable_form(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, access) = self.managed_user(call, id).await?;
        let target = FormTarget {
            mode: UserFormMode::Enable,
            account: &account,
            user: Some(&user),
        };
        let values = new_values(&account, Some(&user));
        Ok(Reply::Page(self.user_form(
            &target,
            access,
            values,
            BTreeMap::new(),
        )))
    }

    pub(super) async fn enable(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, access) = self.managed_user(call, id).await?;
        let target = FormTarget {
            mode: UserFormMode::Enable,
            account: &account,
            user: Some(&user),
        };
        let submitted = self
            .submit(call, access, &target, move |s, input| {
                s.enable_user(id, input)
            })
            .await?;
        Ok(match submitted {
            Ok(user) => Reply::redirect_with(
                format!("/users/{}", user.id),
                format!(
                    "Extension {} enabled for {}.",
                    user.extension, user.display_name
                ),
            ),
            Err(page) => Reply::Page(page),
        })
    }

    /// Reads the form, checks the role against the caller's level and makes the use case;
    /// a refusal comes back as the form to show again.
    async fn submit(
        &self,
        call: &Call,
        access: &Access,
        target: &FormTarget<'_>,
        use_case: impl FnOnce(
            &crate::service::Service,
            &UserInput,
        ) -> Result<UserView, crate::service::Error>
        + Send
        + 'static,
    ) -> Result<Result<UserView, Page>, Failure> {
        let refused = |errors| {
            let page = self.user_form(target, access, call.form.values(), errors);
            Ok(Err(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
        };
        let input = match user_input(&call.form, target.mode) {
            Ok(input) => input,
            Err(invalid) => return refused(invalid.fields().clone()),
        };
        if let Some(refusal) = grant_refusal(access, &input) {
            return refused(BTreeMap::from([("admin_level".to_owned(), refusal)]));
        }
        match self.run(move |s| use_case(s, &input)).await {
            Ok(user) => Ok(Ok(user)),
            Err(failure) => refused(refusals(failure)?),
        }
    }

    fn user_form(
        &self,
        target: &FormTarget<'_>,
        access: &Access,
        values: BTreeMap<String, String>,
        errors: BTreeMap<String, String>,
    ) -> Page {
        let with_device = target.mode != UserFormMode::Edit;
        let unplaced: Vec<(&String, &String)> = errors
            .iter()
            .filter(|(field, _)| {
                let shown = FIELDS.contains(&field.as_str())
                    || (with_device && DEVICE_FIELDS.contains(&field.as_str()));
                !shown
            })
            .collect();
        let levels: Vec<&str> = [
            AdminLevel::Super,
            AdminLevel::Advanced,
            AdminLevel::Standard,
            AdminLevel::Basic,
        ]
        .into_iter()
        .filter(|level| access.may_grant(Role::Admin(*level)))
        .map(AdminLevel::name)
        .collect();
        let models: Vec<Value> = self
            .service
            .catalogue()
            .models()
            .map(|m| {
                let lines = if m.lines == 1 { "line" } else { "lines" };
                json!({"value": m.name, "label": format!("{} — {} {lines}", m.name, m.lines)})
            })
            .collect();
        let types: Vec<Value> = UserType::ALL
            .iter()
            .map(|t| json!({"value": t.name(), "label": sentence(t.name())}))
            .collect();
        let page = Page::new(
            "user_form",
            target.title(),
            json!({
                "mode": match target.mode {
                    UserFormMode::Create => "create",
                    UserFormMode::Edit => "edit",
                    UserFormMode::Enable => "enable",
                },
                "form": {"values": values, "errors": errors, "action": target.action()},
                "unplaced": unplaced,
                "account": json(target.account),
                "user": target.user.map(json),
                "options": {
                    "types": types,
                    "time_zones": TimeZone::all().map(TimeZone::name).collect::<Vec<_>>(),
                    "admin_levels": levels,
                    "models": models,
                    "pool": pool(target.account, target.user),
                    "area_codes": area_codes(target.account),
                },
            }),
        );
        page.in_account(target.account, "users")
    }
}

/// Why the caller may not give the role the form asks for, if they may not.
fn grant_refusal(access: &Access, input: &UserInput) -> Option<String> {
    let (role, _) = Role::parse(input.role.as_deref(), input.admin_level.as_deref()).ok()?;
    if access.may_grant(role) {
        return None;
    }
    let ceiling = access.ceiling().map_or("none", AdminLevel::name);
    Some(format!(
        "you may grant admin levels up to your own ({ceiling}), not {}",
        role.admin_level().map_or("this", AdminLevel::name)
    ))
}

/// Pool numbers the user may take: the free ones, and the user's own.
fn pool(account: &AccountView, user: Option<&UserView>) -> Vec<Value> {
    account
        .numbers
        .iter()
        .filter(|n| n.user.is_none() || n.user == user.map(|u| u.id))
        .map(|n| json!({"number": n.number, "area_code": n.area_code, "mine": n.user.is_some()}))
        .collect()
}

/// Area codes with free numbers, and how many.
fn area_codes(account: &AccountView) -> Vec<Value> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for number in account.numbers.iter().filter(|n| n.user.is_none()) {
        if let Some(code) = &number.area_code {
            *counts.entry(code).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(code, free)| json!({"code": code, "free": free}))
        .collect()
}

/// `call_queue` → `Call queue`.
fn sentence(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn values_of(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A fresh Add User form, or the Enable form of a placeholder.
fn new_values(account: &AccountView, placeholder: Option<&UserView>) -> BTreeMap<String, String> {
    let has_numbers = placeholder.is_some_and(|u| !u.numbers.is_empty());
    values_of(&[
        ("type", "person".into()),
        ("language", account.language.code().into()),
        ("time_zone", account.time_zone.name().into()),
        ("feature_plan", "standard".into()),
        ("voicemail.enabled", "on".into()),
        (
            "calling_plan",
            account.default_calling_plan.clone().unwrap_or_default(),
        ),
        (
            "number_source",
            if has_numbers { "keep" } else { "none" }.into(),
        ),
        ("sip_mode", "generate".into()),
        (
            "device.model",
            placeholder
                .and_then(|u| u.ordered_model.clone())
                .unwrap_or_default(),
        ),
    ])
}

/// The Edit form, filled from the user.
fn user_values(user: &UserView) -> BTreeMap<String, String> {
    let on = |flag: bool| if flag { "on" } else { "" }.to_owned();
    let tags: Vec<String> = user.tags.iter().map(ToString::to_string).collect();
    let mut values = values_of(&[
        ("type", user.kind.name().into()),
        ("first_name", user.first_name.clone().unwrap_or_default()),
        ("last_name", user.last_name.clone().unwrap_or_default()),
        ("extension", user.extension.clone()),
        ("language", user.language.code().into()),
        ("time_zone", user.time_zone.name().into()),
        ("tags", tags.join(", ")),
        ("department", user.department.clone().unwrap_or_default()),
        ("email", user.email.clone().unwrap_or_default()),
        ("notification_emails", user.notification_emails.join(", ")),
        ("username", user.username.clone().unwrap_or_default()),
        ("feature_plan", user.feature_plan.name().into()),
        ("portal_access", on(user.portal_access)),
        ("block_welcome_email", on(user.block_welcome_email)),
        ("admin_access", on(user.admin_level.is_some())),
        (
            "admin_level",
            user.admin_level.map_or("", AdminLevel::name).into(),
        ),
        (
            "calling_plan",
            user.calling_plan.clone().unwrap_or_default(),
        ),
        (
            "emergency_caller_id",
            user.emergency_caller_id.clone().unwrap_or_default(),
        ),
        ("voicemail.enabled", on(user.voicemail.enabled)),
        ("numbers", user.numbers.join(" ")),
    ]);
    values.retain(|_, value| !value.is_empty());
    values
}

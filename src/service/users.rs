//! Users: create (with the "Number & Device" section), read, search, update, enable a bulk
//! placeholder, delete.

use super::lines::{self, LineRequest};
use super::numbers;
use super::user_form::{self, DeviceLineDraft, Purpose, UserDraft, UserInput};
use super::views::{Page, UserView};
use super::welcome::{self, StagedMail};
use super::{Error, Service, now};
use crate::domain::{Account, AccountId, Invalid, User, UserId, UserStatus, welcome_due};
use crate::secret;
use crate::store::{IdKind, Reads, Write};

/// `GET /api/v1/accounts/{id}/users?q=&tag=&extension=`.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Matches names, username, email and extension, case-insensitively.
    pub q: Option<String>,
    /// An admin tag or a system tag (`new`, `setup_required`, `password_required`).
    pub tag: Option<String>,
    /// Extensions starting with these digits.
    pub extension: Option<String>,
    /// `active` or `unassigned`.
    pub status: Option<String>,
    pub cursor: Option<UserId>,
    pub limit: usize,
}

impl UserQuery {
    fn matches(&self, user: &User) -> bool {
        let q_matches = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .is_none_or(|q| {
                let q = q.to_lowercase();
                let fields = [
                    Some(user.display_name()),
                    user.username.as_ref().map(ToString::to_string),
                    user.email.as_ref().map(ToString::to_string),
                    Some(user.extension.to_string()),
                    user.department.clone(),
                ];
                fields
                    .iter()
                    .flatten()
                    .any(|field| field.to_lowercase().contains(&q))
            });
        let tag_matches = self
            .tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .is_none_or(|tag| {
                user.tags.iter().any(|t| t.matches(tag))
                    || user
                        .system_tags()
                        .iter()
                        .any(|t| t.name().eq_ignore_ascii_case(tag))
            });
        let extension_matches = self
            .extension
            .as_deref()
            .map(str::trim)
            .is_none_or(|digits| user.extension.as_str().starts_with(digits));
        let status_matches = self.status.as_deref().is_none_or(|status| match status {
            "active" => user.status == UserStatus::Active,
            "unassigned" => user.status == UserStatus::Unassigned,
            _ => true,
        });
        q_matches && tag_matches && extension_matches && status_matches
    }
}

/// Hashes a valid new portal password before the write, so the slow hash never holds the
/// writer; `user_form` checks the same password again inside the write.
fn prehash(input: &UserInput) -> Option<String> {
    let password = input.password.as_deref().filter(|p| !p.is_empty())?;
    crate::domain::portal_password(password, input.password_confirmation.as_deref())
        .ok()
        .map(|password| secret::hash_password(&password))
}

impl Service {
    pub fn create_user(&self, account: AccountId, input: &UserInput) -> Result<UserView, Error> {
        let password_hash = prehash(input);
        let mut mail = None;
        let result = self.store.write(|w| {
            let account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let draft = user_form::parse(input, &account, None, Purpose::Create)?;
            let id = UserId(w.next_id(IdKind::User)?);
            let user = self.save_user(w, &account, id, None, draft.clone(), password_hash)?;
            if let Some(device) = draft.device {
                self.add_device_line(w, &account, &user, device)?;
            }
            if welcome_due(user.portal_access, user.block_welcome_email) {
                mail = Some(welcome::stage(w, &self.settings, &account, &user)?);
            }
            UserView::load(w, user, true)
        });
        settle(mail, &result);
        result
    }

    pub fn user(&self, id: UserId) -> Result<UserView, Error> {
        let user = self.store.user(id)?.ok_or(Error::NotFound("user"))?;
        UserView::load(&self.store, user, false)
    }

    pub fn users(&self, account: AccountId, query: &UserQuery) -> Result<Page<UserView>, Error> {
        self.store
            .account(account)?
            .ok_or(Error::NotFound("account"))?;
        let users: Vec<User> = self
            .store
            .users_of(account)?
            .into_iter()
            .filter(|u| query.cursor.is_none_or(|cursor| u.id > cursor))
            .filter(|u| query.matches(u))
            .take(query.limit + 1)
            .collect();
        let views = users
            .into_iter()
            .map(|user| UserView::load(&self.store, user, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(views, query.limit, |view| view.id.to_string()))
    }

    /// Updates a user: fields left out keep their value; every rule is checked again, and
    /// the extension cannot change.
    pub fn update_user(&self, id: UserId, input: &UserInput) -> Result<UserView, Error> {
        self.change_user(id, input, Purpose::Update)
    }

    /// Gives a bulk placeholder a person: the same form and rules as creation.
    pub fn enable_user(&self, id: UserId, input: &UserInput) -> Result<UserView, Error> {
        self.change_user(id, input, Purpose::Enable)
    }

    fn change_user(
        &self,
        id: UserId,
        input: &UserInput,
        purpose: Purpose,
    ) -> Result<UserView, Error> {
        let password_hash = prehash(input);
        let mut mail = None;
        let result = self.store.write(|w| {
            let old = w.user(id)?.ok_or(Error::NotFound("user"))?;
            if purpose == Purpose::Enable && old.status != UserStatus::Unassigned {
                return Err(Error::conflict("status", "the user is already active"));
            }
            let account = w.account(old.account)?.ok_or(Error::NotFound("account"))?;
            let draft = user_form::parse(input, &account, Some(&old), purpose)?;
            let user = self.save_user(w, &account, id, Some(&old), draft.clone(), password_hash)?;
            if let Some(mut device) = draft.device {
                // Enabling a placeholder of a bulk order: its device is the model ordered.
                if purpose == Purpose::Enable && device.model.is_none() {
                    device.model = old.ordered_model.clone();
                }
                self.add_device_line(w, &account, &user, device)?;
            }
            let portal_opened =
                user.portal_access && (!old.portal_access || old.status == UserStatus::Unassigned);
            if portal_opened && welcome_due(user.portal_access, user.block_welcome_email) {
                mail = Some(welcome::stage(w, &self.settings, &account, &user)?);
            }
            UserView::load(w, user, purpose == Purpose::Enable)
        });
        settle(mail, &result);
        result
    }

    /// Deletes a user: its device lines are freed and its numbers return to the pool.
    /// The account a user belongs to, if the user exists.
    pub fn user_account(&self, id: UserId) -> Result<Option<AccountId>, Error> {
        Ok(self.store.user(id)?.map(|user| user.account))
    }

    pub fn delete_user(&self, id: UserId) -> Result<(), Error> {
        self.store.write(|w| {
            let user = w.user(id)?.ok_or(Error::NotFound("user"))?;
            for (mac, number) in w.lines_of_user(id)? {
                if let Some(mut device) = w.device(mac)? {
                    device.lines.remove(&number);
                    w.put_device(&device)?;
                }
            }
            numbers::assign(w, id, &user.numbers, &[])?;
            w.delete_user(id)?;
            Ok(())
        })
    }

    /// Checks what only the store can tell (extension, username and email uniqueness, the
    /// pool), then writes the user and its numbers.
    fn save_user(
        &self,
        w: &mut Write<'_>,
        account: &Account,
        id: UserId,
        old: Option<&User>,
        draft: UserDraft,
        password_hash: Option<String>,
    ) -> Result<User, Error> {
        let extension = match draft.extension {
            Some(extension) => extension,
            None => account
                .numbering
                .lowest_free(&w.extensions_of(account.id)?)
                .ok_or_else(|| {
                    Invalid::field(
                        "extension",
                        "no free extension is left in the numbering plan",
                    )
                })?,
        };
        if let Some(holder) = w.user_by_extension(account.id, &extension)? {
            if holder != id {
                return Err(Error::conflict(
                    "extension",
                    format!("{extension} is already taken in this account"),
                ));
            }
        }
        if let Some(username) = &draft.username {
            if w.user_by_username(&username.key())?
                .is_some_and(|holder| holder != id)
            {
                return Err(Error::conflict(
                    "username",
                    format!("{username} is already taken"),
                ));
            }
        }
        if let Some(email) = &draft.email {
            if w.user_by_email(&email.key())?
                .is_some_and(|holder| holder != id)
            {
                return Err(Error::conflict(
                    "email",
                    format!("{email} is already used by another user"),
                ));
            }
        }
        let old_numbers = old.map(|o| o.numbers.clone()).unwrap_or_default();
        let numbers = match &draft.numbers {
            Some(requests) => numbers::resolve(w, account.id, Some(id), requests)?,
            None => old_numbers.clone(),
        };
        let password_hash = match draft.password {
            Some(_) => password_hash,
            None => old.and_then(|o| o.password_hash.clone()),
        };
        let user = User {
            id,
            account: account.id,
            status: draft.status,
            kind: draft.kind,
            first_name: draft.first_name,
            last_name: draft.last_name,
            department: draft.department,
            tags: draft.tags,
            extension,
            language: draft.language,
            time_zone: draft.time_zone,
            feature_plan: draft.feature_plan,
            portal_access: draft.portal_access,
            email: draft.email,
            notification_emails: draft.notification_emails,
            username: draft.username,
            role: draft.role,
            block_welcome_email: draft.block_welcome_email,
            calling_plan: draft.calling_plan,
            emergency_caller_id: draft.emergency_caller_id,
            voicemail: draft.voicemail,
            password_hash,
            numbers: numbers.clone(),
            ordered_model: old
                .and_then(|o| o.ordered_model.clone())
                .filter(|_| draft.status == UserStatus::Unassigned),
            line_keys: old.map(|o| o.line_keys.clone()).unwrap_or_default(),
            created_at: old.map_or_else(now, |o| o.created_at),
        };
        w.put_user(&user)?;
        numbers::assign(w, id, &old_numbers, &numbers)?;
        Ok(user)
    }

    /// The form's "Number & Device" section: the device (registered here when new) and a
    /// line on it. Refusals name `device.*` fields.
    fn add_device_line(
        &self,
        w: &mut Write<'_>,
        account: &Account,
        user: &User,
        draft: DeviceLineDraft,
    ) -> Result<(), Error> {
        let mut device = match w.device(draft.mac)? {
            Some(device) if device.account != account.id => {
                return Err(Error::conflict(
                    "device.mac",
                    format!("{} is registered to another account", draft.mac),
                ));
            }
            Some(device) => {
                if let Some(model) = draft.model.as_deref().and_then(|m| self.catalogue.model(m)) {
                    if !model.name.eq_ignore_ascii_case(&device.model) {
                        return Err(Error::invalid(
                            "device.model",
                            format!("the device {} is a {}", draft.mac, device.model),
                        ));
                    }
                }
                device
            }
            None => {
                let model = self.find_model("device.model", draft.model.as_deref())?;
                self.register_device(w, account, draft.mac, model, None, "device.")?
            }
        };
        let line_count = self.catalogue.model(&device.model).map_or(0, |m| m.lines);
        let request = LineRequest {
            number: draft.line,
            name: draft.line_name,
            sip_username: draft.sip_username,
            sip_password: draft.sip_password,
        };
        lines::assign(w, account, &mut device, line_count, user, request).map_err(device_fields)?;
        w.put_device(&device)?;
        Ok(())
    }
}

/// Renames the line endpoints' field names to the user form's `device.*` names.
fn device_fields(error: Error) -> Error {
    let rename = |field: &str| match field {
        "name" => "device.line_name".to_owned(),
        other => format!("device.{other}"),
    };
    match error {
        Error::Invalid(invalid) => {
            let mut renamed = Invalid::new();
            for (field, message) in invalid.fields() {
                renamed.add(&rename(field), message.clone());
            }
            Error::Invalid(renamed)
        }
        Error::Conflict { field, message } => Error::Conflict {
            field: rename(&field),
            message,
        },
        other => other,
    }
}

/// Publishes a staged welcome message if the write committed, else drops it.
fn settle<T>(mail: Option<StagedMail>, result: &Result<T, Error>) {
    if let Some(mail) = mail {
        if result.is_ok() {
            mail.publish()
        } else {
            mail.discard()
        }
    }
}

//! Device profiles: named settings of an account ("reception", "warehouse") that an admin
//! assigns to many devices; a device's own settings go over its profile's.

use super::settings::{ProfileInput, ProfileView, parse_settings};
use super::{Error, Service};
use crate::domain::settings::profile_name;
use crate::domain::{Account, AccountId, Invalid, Settings};
use crate::store::Reads;

impl Service {
    pub fn profiles(&self, account: AccountId) -> Result<Vec<ProfileView>, Error> {
        let account = self
            .store
            .account(account)?
            .ok_or(Error::NotFound("account"))?;
        account
            .profiles
            .keys()
            .map(|name| profile_view(&self.store, &account, name))
            .collect()
    }

    pub fn profile(&self, account: AccountId, name: &str) -> Result<ProfileView, Error> {
        let account = self
            .store
            .account(account)?
            .ok_or(Error::NotFound("account"))?;
        let name = existing(&account, name)?;
        profile_view(&self.store, &account, &name)
    }

    pub fn create_profile(
        &self,
        account: AccountId,
        input: &ProfileInput,
    ) -> Result<ProfileView, Error> {
        self.store.write(|w| {
            let mut account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let mut invalid = Invalid::new();
            let name = match &input.name {
                Some(name) => invalid.check("name", profile_name(name)),
                None => {
                    invalid.add("name", "is required");
                    None
                }
            };
            let mut settings = Settings::default();
            if let Some(input) = &input.settings {
                settings.apply(&parse_settings(
                    input,
                    "",
                    account.registrar.transport,
                    &mut invalid,
                ));
            }
            invalid.into_result()?;
            let Some(name) = name else {
                unreachable!("checked above")
            };
            if account.profiles.contains_key(&name) {
                return Err(Error::conflict(
                    "name",
                    format!("the account already has a profile {name}"),
                ));
            }
            account.profiles.insert(name.clone(), settings);
            w.put_account(&account)?;
            profile_view(w, &account, &name)
        })
    }

    /// Changes a profile's settings (its name stays: devices refer to it).
    pub fn update_profile(
        &self,
        account: AccountId,
        name: &str,
        input: &ProfileInput,
    ) -> Result<ProfileView, Error> {
        self.store.write(|w| {
            let mut account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let name = existing(&account, name)?;
            let mut invalid = Invalid::new();
            if let Some(new_name) = &input.name
                && profile_name(new_name).ok().as_deref() != Some(name.as_str())
            {
                invalid.add("name", "cannot change: devices refer to the profile by it");
            }
            let patch = input.settings.as_ref().map(|settings| {
                parse_settings(settings, "", account.registrar.transport, &mut invalid)
            });
            invalid.into_result()?;
            if let (Some(patch), Some(settings)) = (patch, account.profiles.get_mut(&name)) {
                settings.apply(&patch);
            }
            w.put_account(&account)?;
            profile_view(w, &account, &name)
        })
    }

    /// Deletes a profile no device uses.
    pub fn delete_profile(&self, account: AccountId, name: &str) -> Result<(), Error> {
        self.store.write(|w| {
            let mut account = w.account(account)?.ok_or(Error::NotFound("account"))?;
            let name = existing(&account, name)?;
            let users = devices_of_profile(w, &account, &name)?;
            if let Some(first) = users.first() {
                return Err(Error::conflict(
                    "name",
                    format!(
                        "{} device(s) use the profile {name} (first {first}): move them to another profile first",
                        users.len()
                    ),
                ));
            }
            account.profiles.remove(&name);
            w.put_account(&account)?;
            Ok(())
        })
    }
}

/// The stored name of the account's profile `name`, or not found.
fn existing(account: &Account, name: &str) -> Result<String, Error> {
    profile_name(name)
        .ok()
        .filter(|name| account.profiles.contains_key(name))
        .ok_or(Error::NotFound("profile"))
}

fn devices_of_profile(
    reads: &(impl Reads + ?Sized),
    account: &Account,
    name: &str,
) -> Result<Vec<crate::domain::Mac>, Error> {
    Ok(reads
        .devices_of(account.id)?
        .into_iter()
        .filter(|device| device.profile.as_deref() == Some(name))
        .map(|device| device.mac)
        .collect())
}

fn profile_view(
    reads: &(impl Reads + ?Sized),
    account: &Account,
    name: &str,
) -> Result<ProfileView, Error> {
    Ok(ProfileView {
        account: account.id,
        name: name.to_owned(),
        settings: account.profiles.get(name).cloned().unwrap_or_default(),
        devices: devices_of_profile(reads, account, name)?,
    })
}

//! Typed reads, shared by the committed store and a write in progress.
//!
//! Both implement the raw `Source` (get and prefix scan); every typed read is written once,
//! here, on top of it. A `Write` answers from its staged changes first, so a use case sees
//! what it has already written.

use std::collections::HashSet;
use std::sync::Arc;

use super::keys::{self, TreeId};
use super::{Store, StoreError, decode_record};
use crate::domain::{
    Account, AccountId, AdminToken, Device, E164, Extension, Fetch, Mac, PasswordLink, PoolNumber,
    TokenId, Unclaimed, User, UserId,
};

pub(crate) mod source {
    use std::sync::Arc;

    use super::{StoreError, TreeId};
    use crate::secret::DataKeys;

    /// Key–value pairs in key order.
    pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

    /// Raw access to the trees: the one thing a backend must provide for reads.
    pub trait Source {
        fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
        /// Every entry whose key starts with `prefix`, in key order.
        fn scan(&self, tree: TreeId, prefix: &[u8]) -> Result<Entries, StoreError>;
        /// The keys the sealed trees' records open with.
        fn data_keys(&self) -> Arc<DataKeys>;
    }
}

use source::{Entries, Source};

impl Source for Store {
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree(tree).get(key)?.map(|value| value.to_vec()))
    }

    fn scan(&self, tree: TreeId, prefix: &[u8]) -> Result<Entries, StoreError> {
        self.tree(tree)
            .scan_prefix(prefix)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((key.to_vec(), value.to_vec()))
            })
            .collect()
    }

    fn data_keys(&self) -> Arc<crate::secret::DataKeys> {
        Store::data_keys(self)
    }
}

pub(super) fn record<T: serde::de::DeserializeOwned>(
    source: &(impl Source + ?Sized),
    tree: TreeId,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    source
        .get(tree, key)?
        .map(|bytes| decode_record(&source.data_keys(), tree, key, &bytes))
        .transpose()
}

pub(super) fn records<T: serde::de::DeserializeOwned>(
    source: &(impl Source + ?Sized),
    tree: TreeId,
    prefix: &[u8],
) -> Result<Vec<T>, StoreError> {
    let keys = source.data_keys();
    source
        .scan(tree, prefix)?
        .iter()
        .map(|(key, value)| decode_record(&keys, tree, key, value))
        .collect()
}

/// Ids stored as 8-byte values of an index (`user.username` → user id, …).
fn indexed_id(
    source: &(impl Source + ?Sized),
    tree: TreeId,
    key: &[u8],
) -> Result<Option<u64>, StoreError> {
    match source.get(tree, key)? {
        None => Ok(None),
        Some(bytes) => keys::read_id(&bytes)
            .map(Some)
            .ok_or_else(|| super::corrupt(tree, "index value is not an id")),
    }
}

/// Records found through an owner index (`account ‖ child key`), then loaded one by one.
fn owned_keys(
    source: &(impl Source + ?Sized),
    tree: TreeId,
    owner: &[u8],
) -> Result<Vec<Vec<u8>>, StoreError> {
    Ok(source
        .scan(tree, owner)?
        .into_iter()
        .map(|(key, _)| key[owner.len()..].to_vec())
        .collect())
}

/// Typed reads of every record and index. Implemented for [`Store`] and [`super::Write`].
pub trait Reads: Source {
    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        record(self, TreeId::Accounts, &keys::id(id.0))
    }

    /// Accounts in id order, starting after `after`.
    fn accounts(&self, after: Option<AccountId>, limit: usize) -> Result<Vec<Account>, StoreError> {
        let all: Vec<Account> = records(self, TreeId::Accounts, &[])?;
        Ok(all
            .into_iter()
            .filter(|account| after.is_none_or(|after| account.id > after))
            .take(limit)
            .collect())
    }

    fn account_by_domain(&self, domain: &str) -> Result<Option<AccountId>, StoreError> {
        Ok(indexed_id(self, TreeId::AccountDomain, domain.as_bytes())?.map(AccountId))
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        record(self, TreeId::Users, &keys::id(id.0))
    }

    /// Every user of an account, in id order.
    fn users_of(&self, account: AccountId) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::new();
        for key in owned_keys(self, TreeId::UserAccount, &keys::account_prefix(account))? {
            let id = keys::read_id(&key)
                .ok_or_else(|| super::corrupt(TreeId::UserAccount, "bad key"))?;
            users.extend(self.user(UserId(id))?);
        }
        Ok(users)
    }

    fn has_users(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(!self
            .scan(TreeId::UserAccount, &keys::account_prefix(account))?
            .is_empty())
    }

    /// Extensions taken in an account.
    fn extensions_of(&self, account: AccountId) -> Result<HashSet<Extension>, StoreError> {
        owned_keys(self, TreeId::UserExtension, &keys::account_prefix(account))?
            .into_iter()
            .map(|key| {
                std::str::from_utf8(&key)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .ok_or_else(|| super::corrupt(TreeId::UserExtension, "bad extension"))
            })
            .collect()
    }

    fn user_by_extension(
        &self,
        account: AccountId,
        extension: &Extension,
    ) -> Result<Option<UserId>, StoreError> {
        let key = keys::owned(account.0, extension.as_str().as_bytes());
        Ok(indexed_id(self, TreeId::UserExtension, &key)?.map(UserId))
    }

    /// The user holding a username, given in its lower-cased key form.
    fn user_by_username(&self, username_key: &str) -> Result<Option<UserId>, StoreError> {
        Ok(indexed_id(self, TreeId::UserUsername, username_key.as_bytes())?.map(UserId))
    }

    /// The user holding an email address, given in its lower-cased key form.
    fn user_by_email(&self, email_key: &str) -> Result<Option<UserId>, StoreError> {
        Ok(indexed_id(self, TreeId::UserEmail, email_key.as_bytes())?.map(UserId))
    }

    fn device(&self, mac: Mac) -> Result<Option<Device>, StoreError> {
        record(self, TreeId::Devices, &keys::mac(mac))
    }

    /// Every device of an account, in MAC order.
    fn devices_of(&self, account: AccountId) -> Result<Vec<Device>, StoreError> {
        let mut devices = Vec::new();
        for key in owned_keys(self, TreeId::DeviceAccount, &keys::account_prefix(account))? {
            let mac = keys::read_mac(&key)
                .ok_or_else(|| super::corrupt(TreeId::DeviceAccount, "bad key"))?;
            devices.extend(self.device(mac)?);
        }
        Ok(devices)
    }

    fn has_devices(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(!self
            .scan(TreeId::DeviceAccount, &keys::account_prefix(account))?
            .is_empty())
    }

    /// Where a SIP user name of an account's realm is used: device and line number.
    fn line_by_sip_user(
        &self,
        account: AccountId,
        sip_user: &str,
    ) -> Result<Option<(Mac, u16)>, StoreError> {
        let key = keys::owned(account.0, sip_user.as_bytes());
        match self.get(TreeId::LineSipUser, &key)? {
            None => Ok(None),
            Some(bytes) => keys::read_line_place(&bytes)
                .map(Some)
                .ok_or_else(|| super::corrupt(TreeId::LineSipUser, "bad line place")),
        }
    }

    /// The device lines a user has, as (MAC, line number).
    fn lines_of_user(&self, user: UserId) -> Result<Vec<(Mac, u16)>, StoreError> {
        owned_keys(self, TreeId::LineUser, &keys::user_prefix(user))?
            .iter()
            .map(|key| {
                keys::read_line_place(key)
                    .ok_or_else(|| super::corrupt(TreeId::LineUser, "bad key"))
            })
            .collect()
    }

    fn number(&self, number: &E164) -> Result<Option<PoolNumber>, StoreError> {
        record(self, TreeId::Numbers, number.as_str().as_bytes())
    }

    /// An account's pool, in number order.
    fn numbers_of(&self, account: AccountId) -> Result<Vec<PoolNumber>, StoreError> {
        let mut numbers = Vec::new();
        for key in owned_keys(self, TreeId::NumberAccount, &keys::account_prefix(account))? {
            numbers.extend(record(self, TreeId::Numbers, &key)?);
        }
        Ok(numbers)
    }

    fn token(&self, id: TokenId) -> Result<Option<AdminToken>, StoreError> {
        record(self, TreeId::Tokens, &keys::id(id.0))
    }

    fn token_by_digest(&self, digest: &str) -> Result<Option<AdminToken>, StoreError> {
        match indexed_id(self, TreeId::TokenDigest, digest.as_bytes())? {
            Some(id) => self.token(TokenId(id)),
            None => Ok(None),
        }
    }

    fn tokens(&self) -> Result<Vec<AdminToken>, StoreError> {
        records(self, TreeId::Tokens, &[])
    }

    fn password_link(&self, digest: &str) -> Result<Option<PasswordLink>, StoreError> {
        record(self, TreeId::PasswordLinks, digest.as_bytes())
    }

    fn unclaimed(&self, mac: Mac) -> Result<Option<Unclaimed>, StoreError> {
        record(self, TreeId::Unclaimed, &keys::mac(mac))
    }

    /// Unclaimed devices, most recently seen first.
    fn unclaimed_devices(&self) -> Result<Vec<Unclaimed>, StoreError> {
        let mut all: Vec<Unclaimed> = records(self, TreeId::Unclaimed, &[])?;
        all.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.mac.cmp(&b.mac)));
        Ok(all)
    }

    /// A device's recorded fetches, newest first.
    fn audit(&self, mac: Mac, limit: usize) -> Result<Vec<Fetch>, StoreError> {
        let mut fetches: Vec<Fetch> = records(self, TreeId::Audit, &keys::mac(mac))?;
        fetches.reverse();
        fetches.truncate(limit);
        Ok(fetches)
    }

    fn last_fetch(&self, mac: Mac) -> Result<Option<Fetch>, StoreError> {
        record(self, TreeId::LastFetch, &keys::mac(mac))
    }
}

impl<T: Source + ?Sized> Reads for T {}

//! A write in progress: staged changes over the committed trees, the typed `put_*` and
//! `delete_*` operations that keep every index in step, and the commit.

use std::collections::BTreeMap;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::keys::{self, TreeId};
use super::reads::Reads;
use super::reads::source::{Entries, Source};
use super::{IdKind, Store, StoreError, Unique, encode, encode_record};
use crate::domain::{
    Account, AccountId, AdminToken, Device, E164, Mac, PasswordLink, PoolNumber, TokenId,
    Unclaimed, User, UserId,
};

/// Staged changes of one use case; see [`Store::write`].
pub struct Write<'a> {
    store: &'a Store,
    /// (tree, key) → new value, or `None` for a removal.
    staged: BTreeMap<(TreeId, Vec<u8>), Option<Vec<u8>>>,
}

impl std::fmt::Debug for Write<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("staged", &self.staged.len())
            .finish()
    }
}

impl Source for Write<'_> {
    fn get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.staged.get(&(tree, key.to_vec())) {
            Some(staged) => Ok(staged.clone()),
            None => self.store.get(tree, key),
        }
    }

    fn scan(&self, tree: TreeId, prefix: &[u8]) -> Result<Entries, StoreError> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.store.scan(tree, prefix)?.into_iter().collect();
        let staged = self
            .staged
            .range((tree, prefix.to_vec())..)
            .take_while(|((t, key), _)| *t == tree && key.starts_with(prefix));
        for ((_, key), value) in staged {
            match value {
                Some(value) => merged.insert(key.clone(), value.clone()),
                None => merged.remove(key),
            };
        }
        Ok(merged.into_iter().collect())
    }

    fn data_keys(&self) -> std::sync::Arc<crate::secret::DataKeys> {
        self.store.data_keys()
    }
}

impl<'a> Write<'a> {
    pub(super) fn new(store: &'a Store) -> Write<'a> {
        Write {
            store,
            staged: BTreeMap::new(),
        }
    }

    fn set(&mut self, tree: TreeId, key: Vec<u8>, value: Vec<u8>) {
        self.staged.insert((tree, key), Some(value));
    }

    /// Stages a record, sealed when its tree is.
    pub(super) fn set_record<T: serde::Serialize>(
        &mut self,
        tree: TreeId,
        key: Vec<u8>,
        record: &T,
    ) {
        let value = encode_record(&self.store.data_keys(), tree, &key, record);
        self.set(tree, key, value);
    }

    pub(super) fn remove(&mut self, tree: TreeId, key: Vec<u8>) {
        self.staged.insert((tree, key), None);
    }

    /// Points a unique index entry at `owner`, refusing a key another record holds.
    fn claim(
        &mut self,
        tree: TreeId,
        key: Vec<u8>,
        owner: Vec<u8>,
        unique: Unique,
    ) -> Result<(), StoreError> {
        match self.get(tree, &key)? {
            Some(holder) if holder != owner => Err(StoreError::Taken(unique)),
            _ => {
                self.set(tree, key, owner);
                Ok(())
            }
        }
    }

    /// Sets a value of the `meta` tree (the schema version, the key check).
    pub(super) fn set_meta(&mut self, key: &[u8], value: &[u8]) {
        self.set(TreeId::Meta, key.to_vec(), value.to_vec());
    }

    /// Stages a value as it is, already sealed or encoded (upgrades and re-sealing).
    pub(super) fn set_raw(&mut self, tree: TreeId, key: Vec<u8>, value: Vec<u8>) {
        self.set(tree, key, value);
    }

    /// The next id of a kind of record: 1, 2, 3 … per kind, never reused (the counter
    /// lives in `meta` and moves inside the write, under the writer lock).
    pub fn next_id(&mut self, kind: IdKind) -> Result<u64, StoreError> {
        let key = format!("next_id.{}", kind.name()).into_bytes();
        let next = match self.get(TreeId::Meta, &key)? {
            Some(bytes) => keys::read_id(&bytes)
                .ok_or_else(|| super::corrupt(TreeId::Meta, "bad id counter"))?,
            None => 1,
        };
        self.set(TreeId::Meta, key, keys::id(next + 1));
        Ok(next)
    }

    pub fn put_account(&mut self, account: &Account) -> Result<(), StoreError> {
        let id = keys::id(account.id.0);
        if let Some(old) = self.account(account.id)? {
            if old.domain != account.domain {
                self.remove(TreeId::AccountDomain, old.domain.into_bytes());
            }
        }
        self.claim(
            TreeId::AccountDomain,
            account.domain.as_bytes().to_vec(),
            id.clone(),
            Unique::AccountDomain,
        )?;
        self.set_record(TreeId::Accounts, id, account);
        Ok(())
    }

    /// Removes an account record; the caller makes sure it owns nothing any more.
    pub fn delete_account(&mut self, id: AccountId) -> Result<(), StoreError> {
        if let Some(old) = self.account(id)? {
            self.remove(TreeId::AccountDomain, old.domain.into_bytes());
            self.remove(TreeId::Accounts, keys::id(id.0));
        }
        Ok(())
    }

    pub fn put_user(&mut self, user: &User) -> Result<(), StoreError> {
        let id = keys::id(user.id.0);
        let old = self.user(user.id)?;
        if let Some(old) = &old {
            self.unindex_user(old);
        }
        self.claim(
            TreeId::UserExtension,
            keys::owned(user.account.0, user.extension.as_str().as_bytes()),
            id.clone(),
            Unique::UserExtension,
        )?;
        if let Some(username) = &user.username {
            self.claim(
                TreeId::UserUsername,
                username.key().into_bytes(),
                id.clone(),
                Unique::UserUsername,
            )?;
        }
        if let Some(email) = &user.email {
            self.claim(
                TreeId::UserEmail,
                email.key().into_bytes(),
                id.clone(),
                Unique::UserEmail,
            )?;
        }
        self.set(
            TreeId::UserAccount,
            keys::owned(user.account.0, &id),
            Vec::new(),
        );
        self.set_record(TreeId::Users, id, user);
        Ok(())
    }

    fn unindex_user(&mut self, user: &User) {
        let id = keys::id(user.id.0);
        self.remove(
            TreeId::UserExtension,
            keys::owned(user.account.0, user.extension.as_str().as_bytes()),
        );
        if let Some(username) = &user.username {
            self.remove(TreeId::UserUsername, username.key().into_bytes());
        }
        if let Some(email) = &user.email {
            self.remove(TreeId::UserEmail, email.key().into_bytes());
        }
        self.remove(TreeId::UserAccount, keys::owned(user.account.0, &id));
    }

    /// Removes a user record and its indexes; the caller frees its lines and numbers.
    pub fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        if let Some(old) = self.user(id)? {
            self.unindex_user(&old);
            self.remove(TreeId::Users, keys::id(id.0));
        }
        Ok(())
    }

    pub fn put_device(&mut self, device: &Device) -> Result<(), StoreError> {
        let mac = keys::mac(device.mac);
        if let Some(old) = self.device(device.mac)? {
            self.unindex_device(&old);
        }
        for line in device.lines.values() {
            let place = keys::line_place(device.mac, line.number);
            self.claim(
                TreeId::LineSipUser,
                keys::owned(device.account.0, line.sip.username.as_str().as_bytes()),
                place.clone(),
                Unique::LineSipUser,
            )?;
            let mut by_user = keys::user_prefix(line.user);
            by_user.extend_from_slice(&place);
            self.set(TreeId::LineUser, by_user, Vec::new());
        }
        self.set(
            TreeId::DeviceAccount,
            keys::owned(device.account.0, &mac),
            Vec::new(),
        );
        self.set_record(TreeId::Devices, mac, device);
        Ok(())
    }

    fn unindex_device(&mut self, device: &Device) {
        for line in device.lines.values() {
            self.remove(
                TreeId::LineSipUser,
                keys::owned(device.account.0, line.sip.username.as_str().as_bytes()),
            );
            let mut by_user = keys::user_prefix(line.user);
            by_user.extend_from_slice(&keys::line_place(device.mac, line.number));
            self.remove(TreeId::LineUser, by_user);
        }
        self.remove(
            TreeId::DeviceAccount,
            keys::owned(device.account.0, &keys::mac(device.mac)),
        );
    }

    /// Removes a device with its lines, audit and last-seen record.
    pub fn delete_device(&mut self, mac: Mac) -> Result<(), StoreError> {
        if let Some(old) = self.device(mac)? {
            self.unindex_device(&old);
            self.remove(TreeId::Devices, keys::mac(mac));
        }
        for (key, _) in self.scan(TreeId::Audit, &keys::mac(mac))? {
            self.remove(TreeId::Audit, key);
        }
        self.remove(TreeId::LastFetch, keys::mac(mac));
        Ok(())
    }

    /// Adds or updates a pool number; a number of another account is refused.
    pub fn put_number(&mut self, number: &PoolNumber) -> Result<(), StoreError> {
        let key = number.number.as_str().as_bytes().to_vec();
        if let Some(old) = self.number(&number.number)? {
            if old.account != number.account {
                return Err(StoreError::Taken(Unique::Number));
            }
        }
        self.set(
            TreeId::NumberAccount,
            keys::owned(number.account.0, &key),
            Vec::new(),
        );
        self.set(TreeId::Numbers, key, encode(number));
        Ok(())
    }

    pub fn delete_number(&mut self, number: &E164) -> Result<(), StoreError> {
        if let Some(old) = self.number(number)? {
            let key = number.as_str().as_bytes().to_vec();
            self.remove(TreeId::NumberAccount, keys::owned(old.account.0, &key));
            self.remove(TreeId::Numbers, key);
        }
        Ok(())
    }

    pub fn put_token(&mut self, token: &AdminToken) -> Result<(), StoreError> {
        let id = keys::id(token.id.0);
        self.set(
            TreeId::TokenDigest,
            token.digest.as_bytes().to_vec(),
            id.clone(),
        );
        self.set(TreeId::Tokens, id, encode(token));
        Ok(())
    }

    pub fn delete_token(&mut self, id: TokenId) -> Result<(), StoreError> {
        if let Some(old) = self.token(id)? {
            self.remove(TreeId::TokenDigest, old.digest.into_bytes());
            self.remove(TreeId::Tokens, keys::id(id.0));
        }
        Ok(())
    }

    pub fn put_password_link(&mut self, link: &PasswordLink) -> Result<(), StoreError> {
        self.set(
            TreeId::PasswordLinks,
            link.digest.as_bytes().to_vec(),
            encode(link),
        );
        Ok(())
    }

    /// Records an unclaimed device under its rank and keeps the list within `limit`:
    /// beyond it, the longest-unseen guess is forgotten first, and the longest-unseen phone
    /// only while guesses hold no more than a quarter of the list — so guesses can never
    /// push out a phone, and phones can never shut out the newcomer that may become one.
    pub fn put_unclaimed(
        &mut self,
        device: &Unclaimed,
        rank: UnclaimedRank,
        limit: usize,
    ) -> Result<(), StoreError> {
        if let Some(old) = self.unclaimed(device.mac)? {
            // Filed under either index, whatever its rank was then.
            self.remove(TreeId::UnclaimedSeen, seen_key(&old));
            self.remove(TreeId::UnclaimedPhones, seen_key(&old));
        }
        self.set(rank.index(), seen_key(device), Vec::new());
        self.set(TreeId::Unclaimed, keys::mac(device.mac), encode(device));
        let mut guesses = self.scan(TreeId::UnclaimedSeen, &[])?.into_iter();
        let mut phones = self.scan(TreeId::UnclaimedPhones, &[])?.into_iter();
        let (mut guesses_left, mut phones_left) = (guesses.len(), phones.len());
        while guesses_left + phones_left > limit {
            let (index, key) = if guesses_left > limit / 4 || phones_left == 0 {
                guesses_left -= 1;
                (TreeId::UnclaimedSeen, guesses.next())
            } else {
                phones_left -= 1;
                (TreeId::UnclaimedPhones, phones.next())
            };
            let Some((key, _)) = key else { break };
            if let Some(mac) = key.get(8..).and_then(keys::read_mac) {
                self.remove(TreeId::Unclaimed, keys::mac(mac));
            }
            self.remove(index, key);
        }
        Ok(())
    }

    pub fn delete_unclaimed(&mut self, mac: Mac) -> Result<(), StoreError> {
        if let Some(old) = self.unclaimed(mac)? {
            self.remove(TreeId::UnclaimedSeen, seen_key(&old));
            self.remove(TreeId::UnclaimedPhones, seen_key(&old));
            self.remove(TreeId::Unclaimed, keys::mac(mac));
        }
        Ok(())
    }

    /// Applies every staged change atomically. Changes that would leave a value as it is
    /// are dropped first; a single remaining change is a plain insert or removal, changes in
    /// one tree one batch, across trees one transaction. (sled batches and transactions
    /// pause every reader of the database while they apply, so the common one-record
    /// write — a device disarmed at its first fetch — avoids them.)
    pub(super) fn commit(self) -> Result<(), StoreError> {
        let mut changes = Vec::with_capacity(self.staged.len());
        for ((tree, key), value) in self.staged {
            if self.store.tree(tree).get(&key)?.as_deref() != value.as_deref() {
                changes.push((tree, key, value));
            }
        }
        if let [(tree, key, value)] = &changes[..] {
            let tree = self.store.tree(*tree);
            match value {
                Some(value) => tree.insert(key.as_slice(), value.as_slice())?,
                None => tree.remove(key.as_slice())?,
            };
            return Ok(());
        }
        let mut batches: BTreeMap<TreeId, sled::Batch> = BTreeMap::new();
        for (tree, key, value) in changes {
            let batch = batches.entry(tree).or_default();
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        if batches.len() <= 1 {
            for (tree, batch) in batches {
                self.store.tree(tree).apply_batch(batch)?;
            }
            return Ok(());
        }
        let (touched, batches): (Vec<&sled::Tree>, Vec<sled::Batch>) = batches
            .into_iter()
            .map(|(tree, batch)| (self.store.tree(tree), batch))
            .unzip();
        touched[..]
            .transaction(|tx| {
                for (tree, batch) in tx.iter().zip(&batches) {
                    tree.apply_batch(batch)?;
                }
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|error| match error {
                TransactionError::Abort(error) => error,
                TransactionError::Storage(error) => StoreError::from(error),
            })
    }
}

/// Which entries of the unclaimed list are forgotten first when it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnclaimedRank {
    /// Looks like a real phone (`Catalogue::looks_like_a_phone`): kept over guesses.
    Phone,
    /// Anything else — a one-off guess, no or a foreign User-Agent: forgotten first.
    Guess,
}

impl UnclaimedRank {
    /// The eviction index holding entries of this rank. Guesses use the index every entry
    /// was in before ranks existed, so an older database needs no migration: its entries
    /// count as guesses until they are seen again.
    fn index(self) -> TreeId {
        match self {
            UnclaimedRank::Phone => TreeId::UnclaimedPhones,
            UnclaimedRank::Guess => TreeId::UnclaimedSeen,
        }
    }
}

/// `last seen seconds ‖ MAC`: the eviction order of the unclaimed list.
fn seen_key(device: &Unclaimed) -> Vec<u8> {
    let seconds = u64::try_from(device.last_seen.as_second()).unwrap_or(0);
    let mut key = seconds.to_be_bytes().to_vec();
    key.extend_from_slice(&keys::mac(device.mac));
    key
}

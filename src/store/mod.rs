//! The sled store: the only module that knows sled.
//!
//! Records are serde-encoded (JSON, so new optional fields can be added) in one tree per
//! record type, with index trees that keep fields unique (`account.domain`,
//! `user.extension`, `user.username`, `user.email`, `line.sip_user`, the number itself) or
//! find records by owner. See `keys` for the full list.
//!
//! Reads go straight to the trees and never wait. Writes go through [`Store::write`]: one
//! writer at a time runs the use case's closure, which reads (seeing its own staged writes)
//! and stages writes; the stores's `put_*` methods keep every index in step and refuse a
//! value another record holds. The staged writes then commit in **one sled transaction over
//! all trees**, so a uniqueness check and the write it guards can never interleave with
//! another request, and a refused or failed use case writes nothing. A write is acknowledged
//! only after the database is flushed to disk.
//!
//! The records of the trees that hold secrets (accounts, users, devices) are sealed under
//! the data key (`secret::DataKeys`) as they are staged and opened as they are read, so the
//! database files hold them as ciphertext only; a meta entry sealed under the key tells a
//! wrong key from the right one at open.
//!
//! Nothing outside this module sees a sled type: a second backend (DESIGN.md §7) implements
//! the same `Reads` and `Write` surface.

mod firmware;
mod keys;
mod reads;
mod upgrade;
mod write;

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use keys::TreeId;

use crate::domain::{Fetch, Mac};
use crate::secret::DataKeys;
pub use firmware::FirmwareReads;
pub use reads::Reads;
pub use write::{UnclaimedRank, Write};

/// The schema this build reads and writes. Bump it when a change needs a migration.
pub const SCHEMA_VERSION: u32 = 4;

const SCHEMA_KEY: &[u8] = b"schema_version";

/// A constant sealed under the data key: it opens only with the right key.
const KEY_CHECK: &[u8] = b"data_key.check";
const KEY_CHECK_VALUE: &[u8] = b"sipprov data key";

/// The database of one sipprov server.
pub struct Store {
    db: sled::Db,
    /// Indexed by `TreeId::index`.
    trees: Vec<sled::Tree>,
    /// Held by the one writer running at a time.
    writer: Mutex<()>,
    /// Seal and open the records of sealed trees; swapped during a key rotation.
    keys: RwLock<Arc<DataKeys>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// The kinds of record that get sequential ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Account,
    User,
    Token,
}

impl IdKind {
    fn name(self) -> &'static str {
        match self {
            IdKind::Account => "account",
            IdKind::User => "user",
            IdKind::Token => "token",
        }
    }
}

/// A value another record already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    AccountDomain,
    UserExtension,
    UserUsername,
    UserEmail,
    LineSipUser,
    Number,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error(
        "the data directory holds schema version {found}, but this sipprov understands \
         version {supported} at most; run the sipprov release that wrote it or a newer one"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("corrupt record in tree {tree}: {detail}")]
    Corrupt { tree: &'static str, detail: String },
    #[error("value already taken ({0:?})")]
    Taken(Unique),
    #[error("the data key does not open this database: it was sealed with another key")]
    WrongKey,
}

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> StoreError {
        StoreError::Database(error.to_string())
    }
}

impl Store {
    /// Opens (creating if needed) the database in `dir`, sealed under `keys`, checking the
    /// key and the schema version (and bringing an older schema up to date).
    pub fn open(dir: &Path, keys: DataKeys) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            // A ceiling, not an allocation: memory grows with what is read. Large enough
            // that 100,000 lines' records stay in memory (the registrar directory then never
            // reads the file: 20 % less CPU per lookup, measured with scripts/bench).
            .cache_capacity(1024 * 1024 * 1024)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|error| {
                StoreError::Database(format!(
                    "cannot open {} ({error}); is another sipprov using it?",
                    dir.display()
                ))
            })?;
        let trees = TreeId::ALL
            .iter()
            .map(|tree| db.open_tree(tree.name()))
            .collect::<Result<Vec<_>, _>>()?;
        let store = Store {
            db,
            trees,
            writer: Mutex::new(()),
            keys: RwLock::new(Arc::new(keys)),
        };
        store.check_key()?;
        store.check_schema()?;
        Ok(store)
    }

    /// Whether the database in `dir` exists and is sealed under a data key, so that only
    /// that key may open it (a database of an older release, or none, takes a new key).
    pub fn is_sealed(dir: &Path) -> Result<bool, StoreError> {
        if !dir.exists() {
            return Ok(false);
        }
        let db = sled::Config::new().path(dir).open().map_err(|error| {
            StoreError::Database(format!(
                "cannot open {} ({error}); is another sipprov using it?",
                dir.display()
            ))
        })?;
        Ok(db.open_tree(TreeId::Meta.name())?.get(KEY_CHECK)?.is_some())
    }

    /// The keys that seal and open the records.
    pub fn data_keys(&self) -> Arc<DataKeys> {
        Arc::clone(&self.keys.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn check_key(&self) -> Result<(), StoreError> {
        let meta = self.tree(TreeId::Meta);
        let keys = self.data_keys();
        let context = TreeId::Meta.seal_context(KEY_CHECK);
        match meta.get(KEY_CHECK)? {
            Some(sealed) => match keys.open(&context, &sealed) {
                Ok(value) if value == KEY_CHECK_VALUE => Ok(()),
                _ => Err(StoreError::WrongKey),
            },
            None => {
                meta.insert(KEY_CHECK, keys.seal(&context, KEY_CHECK_VALUE))?;
                self.db.flush()?;
                Ok(())
            }
        }
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let meta = self.tree(TreeId::Meta);
        match meta.get(SCHEMA_KEY)? {
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                self.db.flush()?;
                Ok(())
            }
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| corrupt(TreeId::Meta, "schema version is not 4 bytes"))?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                upgrade::upgrade(self, found)
            }
        }
    }

    fn tree(&self, tree: TreeId) -> &sled::Tree {
        &self.trees[tree.index()]
    }

    /// Runs one use case as one atomic, durable write. See the module documentation.
    pub fn write<T, E: From<StoreError>>(
        &self,
        use_case: impl FnOnce(&mut Write<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let value = self.write_unflushed(use_case)?;
        self.db.flush().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Like [`Store::write`], but leaves the flush to sled's background flusher (within
    /// 500 ms): for bookkeeping of the phone path (audit, last seen, unclaimed devices) that
    /// a crash may lose without harm.
    pub fn write_unflushed<T, E: From<StoreError>>(
        &self,
        use_case: impl FnOnce(&mut Write<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut write = Write::new(self);
        let value = use_case(&mut write)?;
        write.commit()?;
        Ok(value)
    }
}

impl Store {
    /// Appends a fetch to a device's audit (keeping the newest `keep`) and makes it the
    /// device's last-seen record. Bookkeeping of the phone path, written outside the writer
    /// and without a transaction: the two trees need not change together, and concurrent
    /// fetches of one device at worst keep an entry or two more for a moment.
    pub fn record_fetch(&self, mac: Mac, fetch: &Fetch, keep: usize) -> Result<(), StoreError> {
        let prefix = keys::mac(mac);
        let mut key = prefix.clone();
        // Audit keys only need to increase; sled's id generator is lock-free.
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        let value = encode(fetch);
        self.tree(TreeId::Audit).insert(key, value.as_slice())?;
        self.tree(TreeId::LastFetch)
            .insert(prefix.as_slice(), value)?;
        let audit = self.tree(TreeId::Audit);
        let stale: Vec<sled::IVec> = audit
            .scan_prefix(&prefix)
            .keys()
            .rev()
            .skip(keep)
            .collect::<Result<_, _>>()?;
        for key in stale {
            audit.remove(key)?;
        }
        Ok(())
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Records are plain data: serialising them to JSON cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(tree: TreeId, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| corrupt(tree, &error.to_string()))
}

/// A record as it is stored under `key` of `tree`: JSON, sealed in the sealed trees.
fn encode_record<T: Serialize>(keys: &DataKeys, tree: TreeId, key: &[u8], value: &T) -> Vec<u8> {
    let json = encode(value);
    if tree.is_sealed() {
        keys.seal(&tree.seal_context(key), &json)
    } else {
        json
    }
}

/// A stored record read back: opened first in the sealed trees.
fn decode_record<T: DeserializeOwned>(
    keys: &DataKeys,
    tree: TreeId,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    if tree.is_sealed() {
        let json = keys
            .open(&tree.seal_context(key), bytes)
            .map_err(|error| corrupt(tree, &format!("a sealed record {error}")))?;
        decode(tree, &json)
    } else {
        decode(tree, bytes)
    }
}

fn corrupt(tree: TreeId, detail: &str) -> StoreError {
    StoreError::Corrupt {
        tree: tree.name(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests;

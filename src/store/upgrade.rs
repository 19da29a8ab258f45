//! Schema upgrades and re-sealing.
//!
//! Each step brings a database from one schema version to the next, in one write with the
//! new version number, so a crash leaves either the old schema or the new. Schema 4 gives
//! devices their web passwords. Schema 3 seals
//! the records of the sealed trees; that is done first, for any older database, so that
//! every later step reads records the way this build does.

use super::keys::TreeId;
use super::reads::source::Source;
use super::{SCHEMA_KEY, SCHEMA_VERSION, Store, StoreError, Write, decode_record};
use crate::domain::Device;
use crate::secret::DataKeys;
use crate::store::Reads;

/// The trees whose records are sealed.
const SEALED: [TreeId; 3] = [TreeId::Accounts, TreeId::Users, TreeId::Devices];

/// Records re-sealed per write during a key rotation, so other writes go on meanwhile.
const RESEAL_BATCH: usize = 256;

/// Brings a database written with schema `found` up to [`SCHEMA_VERSION`].
pub(super) fn upgrade(store: &Store, found: u32) -> Result<(), StoreError> {
    if found < 3 {
        store.write(seal_clear_records)?;
    }
    for from in found..SCHEMA_VERSION {
        store.write(|w| {
            match from {
                1 => fill_ha1b(w)?,
                // 2 → 3 sealed the records, above.
                2 => {}
                3 => fill_web_passwords(w)?,
                _ => unreachable!("no schema step from version {from}"),
            }
            w.set_meta(SCHEMA_KEY, &(from + 1).to_be_bytes());
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}

/// → 3: the records of the sealed trees, written in clear before, are sealed.
fn seal_clear_records(w: &mut Write<'_>) -> Result<(), StoreError> {
    let keys = w.data_keys();
    for tree in SEALED {
        for (key, value) in w.scan(tree, &[])? {
            if value.first() == Some(&b'{') {
                let sealed = keys.seal(&tree.seal_context(&key), &value);
                w.set_raw(tree, key, sealed);
            }
        }
    }
    Ok(())
}

/// 3 → 4: every device gets its own web passwords (it kept the factory ones before).
fn fill_web_passwords(w: &mut Write<'_>) -> Result<(), StoreError> {
    let keys = w.data_keys();
    for (key, bytes) in w.scan(TreeId::Devices, &[])? {
        let mut device: Device = decode_record(&keys, TreeId::Devices, &key, &bytes)?;
        if device.web_passwords.is_none() {
            device.web_passwords = Some(crate::secret::web_passwords());
            w.put_device(&device)?;
        }
    }
    Ok(())
}

/// 1 → 2: lines gain `ha1b`, the hash of registrars that key on `user@domain`.
fn fill_ha1b(w: &mut Write<'_>) -> Result<(), StoreError> {
    let keys = w.data_keys();
    for (key, bytes) in w.scan(TreeId::Devices, &[])? {
        let mut device: Device = decode_record(&keys, TreeId::Devices, &key, &bytes)?;
        let Some(account) = w.account(device.account)? else {
            continue;
        };
        for line in device.lines.values_mut() {
            line.sip = crate::secret::sip_credentials(
                line.sip.username.clone(),
                line.sip.password.clone(),
                &account.domain,
            );
        }
        w.put_device(&device)?;
    }
    Ok(())
}

impl Store {
    /// Seals every record under the first of `keys`, which must open every record (the
    /// current keys with a new one in front), then keeps only that key: a data-key
    /// rotation, done in batches of writes so the server goes on serving. Returns how many
    /// records were re-sealed.
    pub fn reseal(&self, keys: DataKeys) -> Result<usize, StoreError> {
        self.swap_keys(keys.clone());
        let mut resealed = 0;
        for tree in SEALED {
            let names: Vec<Vec<u8>> = self.scan(tree, &[])?.into_iter().map(|(k, _)| k).collect();
            for batch in names.chunks(RESEAL_BATCH) {
                resealed += self.write(|w| {
                    let mut count = 0;
                    for key in batch {
                        let Some(value) = w.get(tree, key)? else {
                            continue;
                        };
                        if keys.is_current(&value) {
                            continue;
                        }
                        let context = tree.seal_context(key);
                        let json = keys
                            .open(&context, &value)
                            .map_err(|e| super::corrupt(tree, &format!("a sealed record {e}")))?;
                        w.set_raw(tree, key.clone(), keys.seal(&context, &json));
                        count += 1;
                    }
                    Ok::<_, StoreError>(count)
                })?;
            }
        }
        let current = keys.current_only();
        self.write(|w| {
            let context = TreeId::Meta.seal_context(super::KEY_CHECK);
            w.set_meta(
                super::KEY_CHECK,
                &current.seal(&context, super::KEY_CHECK_VALUE),
            );
            Ok::<_, StoreError>(())
        })?;
        self.swap_keys(current);
        Ok(resealed)
    }

    /// Replaces the keys between two writes: a write that began under the old keys has
    /// committed, every later one seals under the new.
    fn swap_keys(&self, keys: DataKeys) {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = std::sync::Arc::new(keys);
    }
}

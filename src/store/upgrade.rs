//! Schema upgrades: each step brings a database from one schema version to the next, in one
//! write with the new version number, so a crash leaves either the old schema or the new.

use super::keys::TreeId;
use super::reads::source::Source;
use super::{SCHEMA_KEY, SCHEMA_VERSION, Store, StoreError, Write, decode};
use crate::domain::Device;
use crate::store::Reads;

/// Brings a database written with schema `found` up to [`SCHEMA_VERSION`].
pub(super) fn upgrade(store: &Store, found: u32) -> Result<(), StoreError> {
    for from in found..SCHEMA_VERSION {
        store.write(|w| {
            match from {
                1 => fill_ha1b(w)?,
                _ => unreachable!("no schema step from version {from}"),
            }
            w.set_meta(SCHEMA_KEY, &(from + 1).to_be_bytes());
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}

/// 1 → 2: lines gain `ha1b`, the hash of registrars that key on `user@domain`.
fn fill_ha1b(w: &mut Write<'_>) -> Result<(), StoreError> {
    for (_, bytes) in w.scan(TreeId::Devices, &[])? {
        let mut device: Device = decode(TreeId::Devices, &bytes)?;
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

//! Rotating the data key (`sipprov rekey`): a new key seals every record while the server
//! keeps serving, and the old key is then forgotten.

use std::sync::Mutex;

use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Service};

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyRotation {
    /// The id of the key that now seals the database.
    pub key_id: u8,
    /// Records sealed again under it.
    pub resealed: usize,
    /// The key file, to back up now: the old key in older backups no longer opens anything.
    pub key_file: String,
}

/// One rotation at a time.
#[derive(Debug, Default)]
pub(crate) struct Rotations(Mutex<()>);

impl Service {
    /// Rotates the data key. The key file first lists the new key above the old one, so a
    /// crash at any point leaves a file that opens every record (the next start finishes
    /// the rotation); once every record is sealed under the new key, the old one goes.
    pub fn rotate_data_key(&self) -> Result<KeyRotation, Error> {
        let _one = self.rotations.0.lock().unwrap_or_else(|p| p.into_inner());
        let path = &self.settings.key_file;
        let rotated = self.store.data_keys().rotated();
        rotated.save(path)?;
        let resealed = self.store.reseal(rotated.clone())?;
        rotated.current_only().save(path)?;
        tracing::info!(
            key_id = rotated.current_id(),
            resealed,
            "rotated the data key"
        );
        Ok(KeyRotation {
            key_id: rotated.current_id(),
            resealed,
            key_file: path.display().to_string(),
        })
    }
}

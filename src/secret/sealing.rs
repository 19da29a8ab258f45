//! Secrets sealed at rest: the data key and the AEAD that seals the store's records.
//!
//! The records that hold secrets (SIP and provisioning passwords with their HA1, portal
//! password hashes, voicemail PINs) are sealed with XChaCha20-Poly1305 under a 256-bit data
//! key kept outside the database, in a key file readable by its owner only. A sealed value
//! is `0xA5 ‖ key id ‖ 24-byte random nonce ‖ ciphertext and tag`, with the record's tree
//! and key as associated data, so a sealed value cannot be moved to another record.
//!
//! The key file lists keys newest first: `key <id> <base64>` lines (and `#` comments).
//! The first one seals; every one listed opens. A rotation writes the new key above the old
//! one, re-seals every record, then drops the old key: a crash in between leaves a file
//! that still opens everything.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use thiserror::Error;

/// The first byte of a sealed value (records in clear are JSON, starting with `{`).
const SEALED: u8 = 0xA5;
const NONCE: usize = 24;

/// One data key and its id.
#[derive(Clone)]
struct DataKey {
    id: u8,
    cipher: XChaCha20Poly1305,
    bytes: [u8; 32],
}

/// The keys of a database: the first seals, all open.
#[derive(Clone)]
pub struct DataKeys {
    keys: Vec<DataKey>,
}

/// Keys never reach logs.
impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|k| k.id).collect();
        f.debug_struct("DataKeys").field("ids", &ids).finish()
    }
}

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("cannot read the data key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the data key {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the data key {path} is not a sipprov key file: {detail}")]
    Malformed { path: String, detail: String },
}

/// Why a sealed value would not open.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenError {
    #[error("sealed with key {0}, which the key file does not hold")]
    UnknownKey(u8),
    #[error("does not open with its key (altered, moved, or another key with the same id)")]
    Forged,
    #[error("not a sealed value")]
    NotSealed,
}

impl DataKey {
    fn new(id: u8, bytes: [u8; 32]) -> DataKey {
        DataKey {
            id,
            cipher: XChaCha20Poly1305::new(&bytes.into()),
            bytes,
        }
    }
}

impl DataKeys {
    /// A new random key, id 1.
    pub fn generate() -> DataKeys {
        DataKeys {
            keys: vec![random_key(1)],
        }
    }

    /// These keys with a new random one in front: it seals from now on.
    pub fn rotated(&self) -> DataKeys {
        let id = self.current_id().wrapping_add(1).max(1);
        let mut keys = vec![random_key(id)];
        keys.extend(self.keys.iter().filter(|k| k.id != id).cloned());
        DataKeys { keys }
    }

    /// Only the sealing key.
    pub fn current_only(&self) -> DataKeys {
        DataKeys {
            keys: self.keys[..1].to_vec(),
        }
    }

    pub fn current_id(&self) -> u8 {
        self.keys[0].id
    }

    /// Whether older keys are listed too: a rotation that has not finished.
    pub fn rotating(&self) -> bool {
        self.keys.len() > 1
    }

    /// Seals `plain` for the record `context` names.
    pub fn seal(&self, context: &[u8], plain: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE];
        rand::fill(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            // Encryption only fails for messages beyond 256 GiB.
            .unwrap_or_else(|_| unreachable!("a record fits the AEAD"));
        let mut value = Vec::with_capacity(2 + NONCE + sealed.len());
        value.push(SEALED);
        value.push(key.id);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&sealed);
        value
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, context: &[u8], value: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (header, rest) = value.split_at_checked(2).ok_or(OpenError::NotSealed)?;
        if header[0] != SEALED || rest.len() < NONCE {
            return Err(OpenError::NotSealed);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == header[1])
            .ok_or(OpenError::UnknownKey(header[1]))?;
        let (nonce, sealed) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| OpenError::NotSealed)?;
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context,
                },
            )
            .map_err(|_| OpenError::Forged)
    }

    /// Whether a stored value is sealed under the current key.
    pub fn is_current(&self, value: &[u8]) -> bool {
        value.len() > 2 && value[0] == SEALED && value[1] == self.current_id()
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<DataKeys, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let malformed = |detail: &str| KeyError::Malformed {
            path: path.display().to_string(),
            detail: detail.to_owned(),
        };
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some("key"), Some(id), Some(encoded), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                return Err(malformed("expected lines 'key <id> <base64 of 32 bytes>'"));
            };
            let id: u8 = id.parse().map_err(|_| malformed("a key id is not 0-255"))?;
            let bytes: [u8; 32] = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or_else(|| malformed("a key is not 32 bytes of base64"))?;
            if keys.iter().any(|k: &DataKey| k.id == id) {
                return Err(malformed("a key id is listed twice"));
            }
            keys.push(DataKey::new(id, bytes));
        }
        if keys.is_empty() {
            return Err(malformed("it holds no key"));
        }
        Ok(DataKeys { keys })
    }

    /// Writes the key file (mode 0600) in one step: a temporary file renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let failed = |source| KeyError::Write {
            path: path.display().to_string(),
            source,
        };
        let mut text = String::from(
            "# sipprov data key: it seals the secrets of the database. Keep it private, and back\n\
             # it up apart from the data: without it the database cannot be opened.\n",
        );
        for key in &self.keys {
            text.push_str(&format!("key {} {}\n", key.id, STANDARD.encode(key.bytes)));
        }
        let temporary = path.with_extension("new");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&temporary, path).map_err(failed)
    }
}

fn random_key(id: u8) -> DataKey {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    DataKey::new(id, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_record_and_key() {
        let keys = DataKeys::generate();
        let sealed = keys.seal(b"devices\0mac1", b"{\"password\":\"s3cret\"}");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            keys.open(b"devices\0mac1", &sealed).unwrap(),
            b"{\"password\":\"s3cret\"}"
        );
        assert_eq!(keys.open(b"devices\0mac2", &sealed), Err(OpenError::Forged));
        assert_eq!(
            DataKeys::generate().open(b"devices\0mac1", &sealed),
            Err(OpenError::Forged)
        );
        assert_eq!(keys.open(b"x", b"{\"plain\":1}"), Err(OpenError::NotSealed));
        assert_ne!(
            keys.seal(b"c", b"same"),
            keys.seal(b"c", b"same"),
            "fresh nonces"
        );
    }

    #[test]
    fn a_rotation_seals_with_the_new_key_and_opens_with_both() {
        let old = DataKeys::generate();
        let sealed_old = old.seal(b"c", b"old");
        let rotated = old.rotated();
        assert_eq!(rotated.current_id(), 2);
        let sealed_new = rotated.seal(b"c", b"new");
        assert!(rotated.is_current(&sealed_new) && !rotated.is_current(&sealed_old));
        assert_eq!(rotated.open(b"c", &sealed_old).unwrap(), b"old");
        let new_only = rotated.current_only();
        assert_eq!(
            new_only.open(b"c", &sealed_old),
            Err(OpenError::UnknownKey(1))
        );
        assert_eq!(new_only.open(b"c", &sealed_new).unwrap(), b"new");
    }

    #[test]
    fn key_files_round_trip_private_and_refuse_nonsense() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.key");
        let keys = DataKeys::generate().rotated();
        keys.save(&path).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        let loaded = DataKeys::load(&path).unwrap();
        let sealed = keys.seal(b"c", b"v");
        assert_eq!(loaded.open(b"c", &sealed).unwrap(), b"v");
        assert_eq!(format!("{loaded:?}"), "DataKeys { ids: [2, 1] }");
        for nonsense in [
            "",
            "# only a comment\n",
            "key 1 short\n",
            "key x AAAA\n",
            "other\n",
        ] {
            std::fs::write(&path, nonsense).unwrap();
            assert!(
                matches!(DataKeys::load(&path), Err(KeyError::Malformed { .. })),
                "{nonsense:?}"
            );
        }
        assert!(matches!(
            DataKeys::load(&dir.path().join("missing")),
            Err(KeyError::Read { .. })
        ));
    }
}

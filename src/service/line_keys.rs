//! A user's programmable keys: read and replace the list, and lay it out on a device's
//! keys (`keys_of_device`), clearing every key the user does not set.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Error, Service};
use crate::domain::line_key::{LineKey, LineKeyKind, MAX_LINE_KEYS};
use crate::domain::{Device, Invalid, User, UserId};
use crate::store::Reads;

/// `PUT /api/v1/users/{user}/line-keys`: the whole list, in key order.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineKeysInput {
    #[schema(required = true, nullable = false, max_items = 64)]
    pub keys: Option<Vec<LineKeyInput>>,
}

/// One key.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineKeyInput {
    /// `line`, `blf`, `speed_dial`, `park` or `voicemail`.
    #[serde(rename = "type")]
    #[schema(required = true, nullable = false, value_type = LineKeyType)]
    pub kind: Option<String>,
    /// The phone's account the key uses (1 unless given).
    #[schema(minimum = 1, maximum = 16)]
    pub line: Option<u16>,
    /// `blf`: an extension of another user of the account; `speed_dial`: the number;
    /// `park`: the park code. Left out for `line` and `voicemail`.
    #[schema(min_length = 1, max_length = 32, example = "202")]
    pub value: Option<String>,
    #[schema(max_length = 32, example = "Bob")]
    pub label: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = LineKeyType)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum LineKeyType {
    Line,
    Blf,
    SpeedDial,
    Park,
    Voicemail,
}

/// A user's keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineKeysView {
    pub user: UserId,
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<LineKey>,
}

/// One key of a device, as its file sets it: the user's key, the device's own line, or
/// cleared (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey {
    pub number: u16,
    pub key: Option<LineKey>,
}

impl Service {
    pub fn line_keys(&self, user: UserId) -> Result<LineKeysView, Error> {
        let user = self.store.user(user)?.ok_or(Error::NotFound("user"))?;
        Ok(LineKeysView {
            user: user.id,
            keys: user.line_keys,
        })
    }

    /// Replaces a user's keys; the phone of which they are on line 1 shows them at its next
    /// fetch. A BLF key watches another user of the same account.
    pub fn set_line_keys(
        &self,
        user: UserId,
        input: &LineKeysInput,
    ) -> Result<LineKeysView, Error> {
        let Some(keys) = &input.keys else {
            return Err(Invalid::field("keys", "is required (an empty list clears them)").into());
        };
        if keys.len() > MAX_LINE_KEYS {
            return Err(Invalid::field("keys", format!("at most {MAX_LINE_KEYS} keys")).into());
        }
        self.store.write(|w| {
            let mut user = w.user(user)?.ok_or(Error::NotFound("user"))?;
            let mut invalid = Invalid::new();
            let mut parsed = Vec::new();
            for (index, key) in keys.iter().enumerate() {
                let field = |name: &str| format!("keys[{index}].{name}");
                let Some(kind) = key.kind.as_deref() else {
                    invalid.add(&field("type"), "is required");
                    continue;
                };
                let Some(kind) = invalid.check(&field("type"), kind.parse::<LineKeyKind>()) else {
                    continue;
                };
                match LineKey::new(kind, key.line, key.value.as_deref(), key.label.as_deref()) {
                    Ok(key) => {
                        if key.kind == LineKeyKind::Blf {
                            check_watched(w, &user, &key, &field("value"), &mut invalid)?;
                        }
                        parsed.push(key);
                    }
                    Err((name, refusal)) => invalid.add(&field(name), refusal.message()),
                }
            }
            invalid.into_result()?;
            user.line_keys = parsed;
            w.put_user(&user)?;
            Ok(LineKeysView {
                user: user.id,
                keys: user.line_keys,
            })
        })
    }

    /// The keys of a device with `count` programmable keys: key N is the line-1 user's
    /// key N; else, when the device has a line N, a key for that line; else cleared.
    pub(crate) fn keys_of_device(
        &self,
        device: &Device,
        count: u16,
    ) -> Result<Vec<DeviceKey>, Error> {
        let owner_keys = match device.lines.get(&1) {
            Some(line) => self
                .store
                .user(line.user)?
                .map(|user| user.line_keys)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok((1..=count)
            .map(|number| {
                let key = owner_keys
                    .get(usize::from(number) - 1)
                    .cloned()
                    .or_else(|| {
                        device.lines.get(&number).map(|line| LineKey {
                            kind: LineKeyKind::Line,
                            line: number,
                            value: None,
                            label: Some(line.name.clone()),
                        })
                    });
                DeviceKey { number, key }
            })
            .collect())
    }
}

/// A BLF key watches an existing user of the same account, not the key's owner.
fn check_watched(
    reads: &(impl Reads + ?Sized),
    owner: &User,
    key: &LineKey,
    field: &str,
    invalid: &mut Invalid,
) -> Result<(), Error> {
    let Some(extension) = key.value.as_deref() else {
        return Ok(());
    };
    let watched = match extension.parse::<crate::domain::Extension>() {
        Ok(parsed) => reads.user_by_extension(owner.account, &parsed)?,
        Err(_) => None,
    };
    match watched {
        None => invalid.add(
            field,
            format!("no user of the account has extension {extension}"),
        ),
        Some(id) if id == owner.id => invalid.add(field, "a user's own extension"),
        Some(_) => {}
    }
    Ok(())
}

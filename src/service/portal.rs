//! The portal's own use cases: signing in with a username (or email) and password, and
//! setting a password through the one-time link of the welcome message.

use jiff::Timestamp;
use serde::Serialize;

use super::{Error, Service, now};
use crate::domain::{Invalid, User, portal_password};
use crate::secret;
use crate::store::Reads;

/// What a set-password link leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// The link works: whose password it sets, and until when.
    Valid {
        display_name: String,
        username: Option<String>,
        expires_at: Timestamp,
    },
    Expired,
    Used,
    Unknown,
}

/// A hash of a random secret, checked when the login is unknown so that signing in takes
/// as long whether or not the user exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| secret::hash_password(&secret::token()))
}

impl Service {
    /// The user a portal login (username or email, any case) and password belong to.
    pub fn sign_in(&self, login: &str, password: &str) -> Result<Option<User>, Error> {
        let key = login.trim().to_lowercase();
        let id = match self.store.user_by_username(&key)? {
            Some(id) => Some(id),
            None => self.store.user_by_email(&key)?,
        };
        let user = match id {
            Some(id) => self.store.user(id)?,
            None => None,
        };
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.as_deref())
            .unwrap_or(decoy_hash());
        let matches = secret::verify_password(password, hash);
        Ok(user.filter(|u| matches && u.portal_access && u.password_hash.is_some()))
    }

    pub fn password_link(&self, token: &str) -> Result<LinkState, Error> {
        let Some(link) = self.store.password_link(&secret::digest(token))? else {
            return Ok(LinkState::Unknown);
        };
        if link.used_at.is_some() {
            return Ok(LinkState::Used);
        }
        if link.expires_at <= now() {
            return Ok(LinkState::Expired);
        }
        match self.store.user(link.user)? {
            Some(user) => Ok(LinkState::Valid {
                display_name: user.display_name(),
                username: user.username.map(|u| u.to_string()),
                expires_at: link.expires_at,
            }),
            None => Ok(LinkState::Unknown),
        }
    }

    /// Sets the portal password through a link; the link then stops working.
    pub fn set_password_with_link(
        &self,
        token: &str,
        password: &str,
        confirmation: &str,
    ) -> Result<(), Error> {
        let password = portal_password(password, Some(confirmation))
            .map_err(|e| Invalid::field("password", e.message()))?;
        let hash = secret::hash_password(&password);
        let digest = secret::digest(token);
        self.store.write(|w| {
            let mut link = w.password_link(&digest)?.ok_or(Error::NotFound("link"))?;
            if link.used_at.is_some() {
                return Err(Error::conflict("link", "this link has already been used"));
            }
            if link.expires_at <= now() {
                return Err(Error::conflict(
                    "link",
                    "this link has expired; ask your administrator for a new one",
                ));
            }
            let mut user = w.user(link.user)?.ok_or(Error::NotFound("link"))?;
            user.password_hash = Some(hash);
            w.put_user(&user)?;
            link.used_at = Some(now());
            w.put_password_link(&link)?;
            Ok(())
        })
    }
}

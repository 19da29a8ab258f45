//! Sessions of the web UI, kept in memory: who signed in, the CSRF token of their forms,
//! and a message for the next page.
//!
//! A session id is 256 random bits in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/`, and
//! on HTTPS `Secure` with the `__Host-` name prefix); the table is keyed by the id's SHA-256,
//! so the lookup never compares secrets. Every form carries the session's CSRF token, also
//! 256 random bits, compared in constant time. A visitor who is not signed in gets an
//! *anonymous* session when the sign-in or set-password page is shown, so those forms carry
//! a token too; signing in replaces it with a fresh session (no fixation).
//!
//! The table is bounded: expired sessions are dropped first, then the longest idle of the
//! same kind, so a flood of anonymous visitors cannot push out signed-in admins.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;
use http::header::COOKIE;
use subtle::ConstantTimeEq;

use crate::domain::{TokenId, UserId};
use crate::secret;

/// Who a signed-in session belongs to. What they may do is worked out again on every
/// request, so a revoked token or a demoted admin loses access at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// Signed in with an admin API token.
    Token(TokenId),
    /// Signed in with a portal username (or email) and password.
    User(UserId),
}

/// How long sessions live and how many are kept.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// A signed-in session unused this long ends.
    pub idle: Duration,
    /// A signed-in session ends this long after sign-in, however busy.
    pub absolute: Duration,
    /// An anonymous session (sign-in and set-password forms) unused this long ends.
    pub anonymous_idle: Duration,
    /// Most signed-in sessions kept.
    pub max_signed_in: usize,
    /// Most anonymous sessions kept.
    pub max_anonymous: usize,
}

impl Default for SessionLimits {
    fn default() -> SessionLimits {
        SessionLimits {
            idle: Duration::from_secs(60 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
            anonymous_idle: Duration::from_secs(30 * 60),
            max_signed_in: 10_000,
            max_anonymous: 10_000,
        }
    }
}

/// The secret a browser holds. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(…)")
    }
}

/// A session as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// `None` for an anonymous session.
    pub principal: Option<Principal>,
}

impl Session {
    /// Whether a submitted CSRF token is this session's, compared in constant time.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        presented.len() == self.csrf.len()
            && bool::from(presented.as_bytes().ct_eq(self.csrf.as_bytes()))
    }
}

/// One session in the table.
#[derive(Debug)]
struct Entry {
    csrf: String,
    principal: Option<Principal>,
    started: Instant,
    last_seen: Instant,
    /// A message to show on the next page (what the last form did).
    flash: Option<String>,
}

/// The session table.
#[derive(Debug)]
pub struct Sessions {
    limits: SessionLimits,
    /// SHA-256 (hex) of the session id → session.
    table: Mutex<HashMap<String, Entry>>,
}

/// 256 random bits, URL-safe base64.
fn random_256() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    pub fn new(limits: SessionLimits) -> Sessions {
        Sessions {
            limits,
            table: Mutex::new(HashMap::new()),
        }
    }

    fn expired(&self, entry: &Entry, now: Instant) -> bool {
        let idle = now.saturating_duration_since(entry.last_seen);
        match entry.principal {
            None => idle >= self.limits.anonymous_idle,
            Some(_) => {
                idle >= self.limits.idle
                    || now.saturating_duration_since(entry.started) >= self.limits.absolute
            }
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a session, making room for it when the table is full.
    pub fn start(&self, principal: Option<Principal>, now: Instant) -> Session {
        let id = SessionId(random_256());
        let csrf = random_256();
        let mut table = self.table();
        let signed_in = principal.is_some();
        let limit = if signed_in {
            self.limits.max_signed_in
        } else {
            self.limits.max_anonymous
        };
        let count = |table: &HashMap<String, Entry>| {
            table
                .values()
                .filter(|e| e.principal.is_some() == signed_in)
                .count()
        };
        if count(&table) >= limit {
            table.retain(|_, entry| !self.expired(entry, now));
        }
        while count(&table) >= limit.max(1) {
            let oldest = table
                .iter()
                .filter(|(_, e)| e.principal.is_some() == signed_in)
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => table.remove(&key),
                None => break,
            };
        }
        let entry = Entry {
            csrf: csrf.clone(),
            principal,
            started: now,
            last_seen: now,
            flash: None,
        };
        table.insert(secret::digest(id.as_str()), entry);
        Session {
            id,
            csrf,
            principal,
        }
    }

    /// The live session of a cookie value, marked as used now; an expired one is dropped.
    pub fn find(&self, id: &str, now: Instant) -> Option<Session> {
        let key = secret::digest(id);
        let mut table = self.table();
        let entry = table.get_mut(&key)?;
        if self.expired(entry, now) {
            table.remove(&key);
            return None;
        }
        entry.last_seen = now;
        Some(Session {
            id: SessionId(id.to_owned()),
            csrf: entry.csrf.clone(),
            principal: entry.principal,
        })
    }

    pub fn end(&self, id: &SessionId) {
        self.table().remove(&secret::digest(id.as_str()));
    }

    /// Leaves a message for the session's next page.
    pub fn set_flash(&self, id: &SessionId, message: String) {
        if let Some(entry) = self.table().get_mut(&secret::digest(id.as_str())) {
            entry.flash = Some(message);
        }
    }

    /// The message left for this page, once.
    pub fn take_flash(&self, id: &SessionId) -> Option<String> {
        self.table()
            .get_mut(&secret::digest(id.as_str()))
            .and_then(|entry| entry.flash.take())
    }
}

/// The cookie's name: with the `__Host-` prefix on HTTPS, which browsers only accept from a
/// secure origin, for the whole host, and with no `Domain`.
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sipprov" } else { "sipprov" }
}

/// `Set-Cookie` for a session. No `Max-Age`: the cookie ends with the browser, the session
/// earlier if idle.
pub fn set_cookie(id: &SessionId, secure: bool) -> String {
    let secure_attribute = if secure { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict{secure_attribute}",
        cookie_name(secure),
        id.as_str()
    )
}

/// `Set-Cookie` that makes the browser forget the session.
pub fn clear_cookie(secure: bool) -> String {
    let secure_attribute = if secure { "; Secure" } else { "" };
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure_attribute}",
        cookie_name(secure)
    )
}

/// The session id the request's `Cookie` headers carry, if any.
pub fn cookie_value(headers: &HeaderMap, secure: bool) -> Option<&str> {
    let name = cookie_name(secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty() && value.len() <= 64)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn limits() -> SessionLimits {
        SessionLimits {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(600),
            anonymous_idle: Duration::from_secs(30),
            max_signed_in: 2,
            max_anonymous: 2,
        }
    }

    #[test]
    fn sessions_have_random_ids_and_csrf_tokens() {
        let sessions = Sessions::new(limits());
        let now = Instant::now();
        let one = sessions.start(Some(Principal::User(UserId(1))), now);
        let two = sessions.start(Some(Principal::User(UserId(1))), now);
        assert_ne!(one.id, two.id);
        assert_ne!(one.csrf, two.csrf);
        assert_eq!(one.id.as_str().len(), 43, "256 bits in base64");
        let found = sessions.find(one.id.as_str(), now).unwrap();
        assert_eq!(found.principal, Some(Principal::User(UserId(1))));
        assert!(found.csrf_matches(&one.csrf));
        assert!(!found.csrf_matches(&two.csrf));
        assert!(!found.csrf_matches(""));
        assert!(sessions.find("forged", now).is_none());
        assert!(!format!("{one:?}").contains(one.id.as_str()));
    }

    #[test]
    fn sessions_expire_when_idle_and_after_their_lifetime() {
        let sessions = Sessions::new(limits());
        let start = Instant::now();
        let admin = sessions.start(Some(Principal::Token(TokenId(1))), start);
        let visitor = sessions.start(None, start);
        let mut now = start;
        for _ in 0..11 {
            now += Duration::from_secs(50);
            assert!(sessions.find(admin.id.as_str(), now).is_some());
        }
        assert!(
            sessions
                .find(admin.id.as_str(), now + Duration::from_secs(51))
                .is_none(),
            "ends 600 s after sign-in however busy"
        );
        assert!(
            sessions
                .find(visitor.id.as_str(), start + Duration::from_secs(30))
                .is_none()
        );
        let idle = sessions.start(Some(Principal::Token(TokenId(1))), start);
        assert!(
            sessions
                .find(idle.id.as_str(), start + Duration::from_secs(61))
                .is_none()
        );
    }

    #[test]
    fn a_full_table_drops_the_longest_idle_of_the_same_kind() {
        let sessions = Sessions::new(limits());
        let now = Instant::now();
        let admin = sessions.start(Some(Principal::User(UserId(1))), now);
        let later = now + Duration::from_secs(1);
        let visitors: Vec<Session> = (0..5)
            .map(|i| sessions.start(None, later + Duration::from_millis(i)))
            .collect();
        assert!(sessions.find(admin.id.as_str(), later).is_some());
        let live = visitors
            .iter()
            .filter(|v| sessions.find(v.id.as_str(), later).is_some())
            .count();
        assert_eq!(live, 2);
        assert!(sessions.find(visitors[4].id.as_str(), later).is_some());
    }

    #[test]
    fn flash_messages_are_shown_once_and_ended_sessions_are_gone() {
        let sessions = Sessions::new(limits());
        let now = Instant::now();
        let session = sessions.start(Some(Principal::User(UserId(3))), now);
        sessions.set_flash(&session.id, "User created".into());
        assert_eq!(
            sessions.take_flash(&session.id).as_deref(),
            Some("User created")
        );
        assert_eq!(sessions.take_flash(&session.id), None);
        sessions.end(&session.id);
        assert!(sessions.find(session.id.as_str(), now).is_none());
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_https() {
        let id = SessionId("abc".into());
        assert_eq!(
            set_cookie(&id, false),
            "sipprov=abc; Path=/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            set_cookie(&id, true),
            "__Host-sipprov=abc; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(clear_cookie(true).contains("Max-Age=0"));

        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; sipprov=xyz"));
        headers.append(COOKIE, HeaderValue::from_static("__Host-sipprov=tls"));
        assert_eq!(cookie_value(&headers, false), Some("xyz"));
        assert_eq!(cookie_value(&headers, true), Some("tls"));
        assert_eq!(cookie_value(&HeaderMap::new(), false), None);
    }
}

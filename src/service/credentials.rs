//! What a phone presented to prove who it is, checking it against a stored password, and
//! refusing a Digest answer that was already used (a replay).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::secret;

/// Credentials read from a phone's `Authorization` header.
pub enum Credentials {
    /// No `Authorization` header: a first-boot hand-off may apply.
    None,
    /// A header that cannot be used (malformed, stale nonce, another realm or URI).
    Invalid,
    Basic {
        username: String,
        password: String,
    },
    Digest(DigestResponse),
}

/// The fields of a Digest `Authorization` header (RFC 7616 with MD5, `qop=auth`), with
/// the request method it answers for.
#[derive(Debug, Clone)]
pub struct DigestResponse {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
    pub method: String,
    /// When the server issued `nonce` (Unix seconds, read from the nonce itself).
    pub issued_at: u64,
}

impl Credentials {
    pub fn username(&self) -> Option<&str> {
        match self {
            Credentials::Basic { username, .. } => Some(username),
            Credentials::Digest(digest) => Some(&digest.username),
            Credentials::None | Credentials::Invalid => None,
        }
    }

    /// Whether the credentials prove knowledge of `password`.
    pub fn verify(&self, password: &str) -> bool {
        match self {
            Credentials::Basic {
                password: given, ..
            } => secret::same(given, password),
            Credentials::Digest(digest) => {
                let ha1 = secret::ha1(&digest.username, &digest.realm, password);
                let ha2 = secret::md5_hex(&format!("{}:{}", digest.method, digest.uri));
                let expected = match (&digest.qop, &digest.nc, &digest.cnonce) {
                    (Some(qop), Some(nc), Some(cnonce)) => secret::md5_hex(&format!(
                        "{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}",
                        digest.nonce
                    )),
                    (None, _, _) => secret::md5_hex(&format!("{ha1}:{}:{ha2}", digest.nonce)),
                    _ => return false,
                };
                secret::same(&expected, &digest.response.to_ascii_lowercase())
            }
            Credentials::None | Credentials::Invalid => false,
        }
    }

    /// Whether the phone presented anything at all.
    pub fn presented(&self) -> bool {
        !matches!(self, Credentials::None)
    }
}

/// The nonce counts seen in verified Digest answers, so that each (nonce, `nc`) is accepted
/// once and only with a count above the last one (RFC 7616 §3.4): a captured
/// `Authorization` header cannot be replayed, and a phone reusing its nonce with the next
/// count still can. An answer without `qop` has no count: its nonce is good for one use.
///
/// Memory is bounded: past `capacity` nonces, the older half is forgotten and every nonce
/// issued no later than those is refused from then on (the phone gets a fresh challenge),
/// so forgetting never reopens a replay. Kept per process, like the key nonces are made
/// with: a nonce is only ever accepted by the process that issued it.
#[derive(Debug)]
pub(crate) struct NonceCounts {
    capacity: usize,
    state: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// nonce → (issued at, highest count accepted).
    counts: HashMap<String, (u64, u32)>,
    /// Nonces issued at or before this second are refused (0: none yet).
    floor: u64,
}

impl NonceCounts {
    pub(crate) fn new(capacity: usize) -> NonceCounts {
        NonceCounts {
            capacity: capacity.max(2),
            state: Mutex::new(Seen::default()),
        }
    }

    /// Whether a verified Digest answer uses its nonce and count for the first time; if so,
    /// the count is recorded. A malformed count is never first.
    pub(crate) fn first_use(&self, digest: &DigestResponse) -> bool {
        let count = match &digest.nc {
            None => 1,
            Some(nc) if nc.len() == 8 => match u32::from_str_radix(nc, 16) {
                Ok(count) => count,
                Err(_) => return false,
            },
            Some(_) => return false,
        };
        let mut seen = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if digest.issued_at <= seen.floor {
            return false;
        }
        let fresh = match seen.counts.get(&digest.nonce) {
            Some(&(_, last)) => count > last && digest.qop.is_some(),
            None => true,
        };
        if fresh {
            seen.counts
                .insert(digest.nonce.clone(), (digest.issued_at, count));
            if seen.counts.len() > self.capacity {
                seen.forget_older_half();
            }
        }
        fresh
    }
}

impl Seen {
    fn forget_older_half(&mut self) {
        let mut issued: Vec<u64> = self.counts.values().map(|(at, _)| *at).collect();
        issued.sort_unstable();
        let floor = issued[issued.len() / 2];
        self.counts.retain(|_, (at, _)| *at > floor);
        self.floor = self.floor.max(floor);
    }
}

/// Never shows a password.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("Credentials::None"),
            Credentials::Invalid => f.write_str("Credentials::Invalid"),
            Credentials::Basic { username, .. } => write!(f, "Credentials::Basic({username:?}, …)"),
            Credentials::Digest(digest) => {
                write!(f, "Credentials::Digest({:?}, …)", digest.username)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(nonce: &str, issued_at: u64, nc: Option<&str>) -> DigestResponse {
        DigestResponse {
            username: "dev".into(),
            realm: "sipprov".into(),
            nonce: nonce.into(),
            uri: "/x.cfg".into(),
            response: String::new(),
            qop: nc.map(|_| "auth".into()),
            nc: nc.map(str::to_owned),
            cnonce: nc.map(|_| "c".into()),
            method: "GET".into(),
            issued_at,
        }
    }

    #[test]
    fn a_nonce_count_is_accepted_once_and_only_upwards() {
        let counts = NonceCounts::new(100);
        assert!(counts.first_use(&answer("n1", 10, Some("00000001"))));
        assert!(
            !counts.first_use(&answer("n1", 10, Some("00000001"))),
            "a replay"
        );
        assert!(
            counts.first_use(&answer("n1", 10, Some("00000003"))),
            "the phone's next count"
        );
        assert!(
            !counts.first_use(&answer("n1", 10, Some("00000002"))),
            "an older count"
        );
        assert!(
            counts.first_use(&answer("n2", 10, Some("00000001"))),
            "another nonce"
        );
        assert!(
            !counts.first_use(&answer("n3", 10, Some("0000000g"))),
            "not a count"
        );
        assert!(
            !counts.first_use(&answer("n3", 10, Some("1"))),
            "not eight digits"
        );
    }

    #[test]
    fn without_qop_a_nonce_is_good_for_one_use() {
        let counts = NonceCounts::new(100);
        assert!(counts.first_use(&answer("n1", 10, None)));
        assert!(!counts.first_use(&answer("n1", 10, None)));
    }

    #[test]
    fn forgetting_nonces_never_reopens_them() {
        let counts = NonceCounts::new(4);
        for (i, nonce) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert!(counts.first_use(&answer(nonce, 10 + i as u64, Some("00000001"))));
        }
        // The older half (issued at 10, 11, 12) is forgotten: refused, not reopened.
        for (nonce, issued_at) in [("a", 10), ("b", 11), ("c", 12), ("z", 12)] {
            assert!(
                !counts.first_use(&answer(nonce, issued_at, Some("00000002"))),
                "{nonce}"
            );
        }
        assert!(
            !counts.first_use(&answer("e", 14, Some("00000001"))),
            "still remembered"
        );
        assert!(
            counts.first_use(&answer("f", 15, Some("00000001"))),
            "newer nonces work"
        );
    }
}

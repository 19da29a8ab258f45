//! What a phone presented to prove who it is, and checking it against a stored password.

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

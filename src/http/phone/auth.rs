//! HTTP authentication of phones: reading `Authorization` (Basic or Digest), and the
//! challenge every refused request gets.
//!
//! Digest nonces are stateless: `seconds ‖ random ‖ HMAC-SHA256(key, seconds ‖ random)`,
//! valid for five minutes, with a key drawn at start-up (a restart only makes phones answer
//! one more challenge). Every challenge has its own nonce, so the service can refuse a
//! nonce count used before (a replayed answer). The challenge offers Digest first and Basic
//! second; both run inside TLS.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac as _};
use sha2::Sha256;

use crate::service::{Credentials, DigestResponse};

/// How long a nonce is accepted.
const NONCE_LIFETIME_SECONDS: u64 = 300;

/// Random bytes that make each nonce unique.
const NONCE_RANDOM: usize = 12;

/// Issues and checks nonces, and builds challenges, for one realm.
#[derive(Clone)]
pub struct Authenticator {
    realm: String,
    key: [u8; 32],
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(realm: &str) -> Authenticator {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Authenticator {
            realm: realm.to_owned(),
            key,
        }
    }

    fn mac(&self, data: &[u8]) -> [u8; 16] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("any key length"));
        mac.update(data);
        let tag = mac.finalize().into_bytes();
        let mut short = [0u8; 16];
        short.copy_from_slice(&tag[..16]);
        short
    }

    fn nonce(&self, now: u64) -> String {
        let mut bytes = now.to_be_bytes().to_vec();
        let mut unique = [0u8; NONCE_RANDOM];
        rand::fill(&mut unique);
        bytes.extend_from_slice(&unique);
        let tag = self.mac(&bytes);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// When a nonce this server made and that is still fresh was issued.
    fn nonce_issued_at(&self, nonce: &str, now: u64) -> Option<u64> {
        let bytes = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        if bytes.len() != 8 + NONCE_RANDOM + 16 {
            return None;
        }
        let (signed, tag) = bytes.split_at(8 + NONCE_RANDOM);
        let seconds = u64::from_be_bytes(*signed.first_chunk::<8>()?);
        let fresh = seconds <= now && now - seconds <= NONCE_LIFETIME_SECONDS;
        (fresh && crate::secret::same_bytes(tag, &self.mac(signed))).then_some(seconds)
    }

    /// The `WWW-Authenticate` values of a 401: Digest, then Basic.
    pub fn challenge(&self, now: u64) -> [String; 2] {
        [
            format!(
                "Digest realm=\"{}\", qop=\"auth\", algorithm=MD5, nonce=\"{}\", opaque=\"{}\"",
                self.realm,
                self.nonce(now),
                URL_SAFE_NO_PAD.encode(&self.mac(b"opaque")[..8])
            ),
            format!("Basic realm=\"{}\", charset=\"UTF-8\"", self.realm),
        ]
    }

    /// Reads an `Authorization` header. Anything present but unusable (malformed, a stale
    /// nonce, another realm) is `Credentials::Invalid`: it counts as a failed attempt and
    /// never as "no credentials", which would open the first-boot hand-off.
    pub fn credentials(
        &self,
        header: Option<&str>,
        method: &str,
        target: &str,
        now: u64,
    ) -> Credentials {
        let Some(header) = header.map(str::trim) else {
            return Credentials::None;
        };
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return basic(rest.trim()).unwrap_or(Credentials::Invalid);
        }
        if scheme.eq_ignore_ascii_case("digest") {
            return self
                .digest(rest, method, target, now)
                .unwrap_or(Credentials::Invalid);
        }
        Credentials::Invalid
    }

    fn digest(
        &self,
        parameters: &str,
        method: &str,
        target: &str,
        now: u64,
    ) -> Option<Credentials> {
        let fields = parse_parameters(parameters)?;
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let nonce = get("nonce")?;
        let response = DigestResponse {
            issued_at: self.nonce_issued_at(&nonce, now)?,
            username: get("username")?,
            realm: get("realm")?,
            nonce,
            uri: get("uri")?,
            response: get("response")?,
            qop: get("qop"),
            nc: get("nc"),
            cnonce: get("cnonce"),
            method: method.to_owned(),
        };
        let algorithm_ok = get("algorithm").is_none_or(|a| a.eq_ignore_ascii_case("md5"));
        let usable = algorithm_ok
            && response.realm == self.realm
            && response.uri == target
            && response.qop.as_deref().is_none_or(|q| q == "auth");
        usable.then_some(Credentials::Digest(response))
    }
}

fn basic(encoded: &str) -> Option<Credentials> {
    let decoded = STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    Some(Credentials::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// `name=value, name="quoted \" value", …` → pairs; `None` when malformed.
fn parse_parameters(input: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => value.push(chars.next()?.1),
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            (value, &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        pairs.push((name, value));
        rest = remainder.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        if pairs.len() > 32 {
            return None;
        }
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret;

    fn digest_header(auth: &Authenticator, password: &str, uri: &str, now: u64) -> String {
        let nonce = auth.nonce(now);
        let ha1 = secret::ha1("001565aabbcc", "sipprov", password);
        let ha2 = secret::md5_hex(&format!("GET:{uri}"));
        let response = secret::md5_hex(&format!("{ha1}:{nonce}:00000001:abc:auth:{ha2}"));
        format!(
            "Digest username=\"001565aabbcc\", realm=\"sipprov\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{response}\", qop=auth, nc=00000001, cnonce=\"abc\", algorithm=MD5"
        )
    }

    #[test]
    fn basic_credentials_are_decoded() {
        let auth = Authenticator::new("sipprov");
        let header = format!("Basic {}", STANDARD.encode("001565aabbcc:pa:ss"));
        match auth.credentials(Some(&header), "GET", "/x", 0) {
            Credentials::Basic { username, password } => assert_eq!(
                (username.as_str(), password.as_str()),
                ("001565aabbcc", "pa:ss")
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            auth.credentials(Some("Basic !!!"), "GET", "/x", 0),
            Credentials::Invalid
        ));
        assert!(matches!(
            auth.credentials(Some("Bearer abc"), "GET", "/x", 0),
            Credentials::Invalid
        ));
        assert!(matches!(
            auth.credentials(None, "GET", "/x", 0),
            Credentials::None
        ));
    }

    #[test]
    fn a_digest_response_verifies_against_the_password() {
        let auth = Authenticator::new("sipprov");
        let header = digest_header(&auth, "s3cret", "/001565aabbcc.cfg", 1000);
        let credentials = auth.credentials(Some(&header), "GET", "/001565aabbcc.cfg", 1010);
        assert_eq!(credentials.username(), Some("001565aabbcc"));
        assert!(credentials.verify("s3cret"));
        assert!(!credentials.verify("wrong"));
    }

    #[test]
    fn stale_forged_or_misdirected_digests_are_invalid() {
        let auth = Authenticator::new("sipprov");
        let header = digest_header(&auth, "s3cret", "/001565aabbcc.cfg", 1000);
        let stale = auth.credentials(
            Some(&header),
            "GET",
            "/001565aabbcc.cfg",
            1000 + NONCE_LIFETIME_SECONDS + 1,
        );
        assert!(matches!(stale, Credentials::Invalid));
        let other_uri = auth.credentials(Some(&header), "GET", "/001565aabbcd.cfg", 1010);
        assert!(matches!(other_uri, Credentials::Invalid));
        let other_server = Authenticator::new("sipprov");
        assert!(matches!(
            other_server.credentials(Some(&header), "GET", "/001565aabbcc.cfg", 1010),
            Credentials::Invalid
        ));
        assert!(matches!(
            auth.credentials(Some("Digest username=\"x"), "GET", "/", 0),
            Credentials::Invalid
        ));
    }

    #[test]
    fn challenges_offer_digest_then_basic() {
        let auth = Authenticator::new("sipprov");
        let [digest, basic] = auth.challenge(42);
        assert!(digest.starts_with("Digest realm=\"sipprov\", qop=\"auth\""));
        assert!(basic.starts_with("Basic realm=\"sipprov\""));
        let nonce = digest
            .split("nonce=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(auth.nonce_issued_at(nonce, 42), Some(42));
        assert_eq!(
            auth.nonce_issued_at(nonce, 42 + NONCE_LIFETIME_SECONDS + 1),
            None
        );
    }

    #[test]
    fn parameters_handle_quotes_and_escapes() {
        let pairs = parse_parameters(r#"a="x, \"y\"", b=2 ,c="""#).unwrap();
        assert_eq!(
            pairs,
            [
                ("a".into(), "x, \"y\"".into()),
                ("b".into(), "2".into()),
                ("c".into(), String::new())
            ]
        );
        assert!(parse_parameters("a=\"unterminated").is_none());
    }
}

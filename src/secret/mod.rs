//! Secrets: how they are generated and how they are kept.
//!
//! Every secret comes from `rand`'s thread-local CSPRNG (ChaCha12, seeded and periodically
//! reseeded from the operating system). What is stored depends on who must read it back:
//! SIP and provisioning passwords are written into phone configuration files, so they are
//! kept in clear (with the SIP HA1 beside them); portal passwords are kept only as Argon2id
//! hashes; full-entropy random tokens (API tokens, set-password links) only as SHA-256
//! digests, which is enough for a value that cannot be guessed. At rest, the records that
//! hold secrets are sealed under the data key (`sealing`).

mod sealing;

pub use sealing::{DataKeys, KeyError, OpenError};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use md5::Md5;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{Extension, Secret, SipCredentials, SipUsername};

/// Length of generated passwords: 24 alphanumerics ≈ 142 bits (DESIGN.md asks ≥ 119).
pub const PASSWORD_LENGTH: usize = 24;

/// Length of generated tokens: 40 alphanumerics ≈ 238 bits.
pub const TOKEN_LENGTH: usize = 40;

fn alphanumeric(length: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), length)
}

/// A generated SIP or provisioning password.
pub fn password() -> Secret {
    Secret::generated(alphanumeric(PASSWORD_LENGTH))
}

/// Generated passwords for a device's web logins.
pub fn web_passwords() -> crate::domain::WebPasswords {
    crate::domain::WebPasswords {
        admin: password(),
        user: password(),
    }
}

/// A generated bearer token or link token.
pub fn token() -> String {
    alphanumeric(TOKEN_LENGTH)
}

/// A generated SIP user name: the extension and eight random lower-case characters, so the
/// registrar's logs stay readable and names cannot be guessed from the extension alone.
pub fn sip_username(extension: &Extension) -> SipUsername {
    let suffix = alphanumeric(8).to_ascii_lowercase();
    let name = format!("{}-{suffix}", extension.as_str());
    // Digits, '-' and lower-case alphanumerics always form a valid SIP user name.
    name.parse()
        .unwrap_or_else(|_| unreachable!("generated SIP user name {name:?}"))
}

/// HA1 = MD5(user:realm:password), what a registrar checks a SIP Digest response against.
pub fn ha1(username: &str, realm: &str, password: &str) -> String {
    hex(&Md5::digest(
        format!("{username}:{realm}:{password}").as_bytes(),
    ))
}

/// A line's SIP credentials in `realm`, with the hashes a registrar checks them against.
pub fn sip_credentials(username: SipUsername, password: Secret, realm: &str) -> SipCredentials {
    SipCredentials {
        ha1: ha1(username.as_str(), realm, password.expose()),
        ha1b: ha1(&format!("{username}@{realm}"), realm, password.expose()),
        username,
        password,
    }
}

/// Hex MD5, for HTTP and SIP Digest (where the protocol, not this server, chose MD5).
pub fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

/// Hex SHA-256 of a token, the only form in which tokens are stored.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Argon2id PHC string of a portal password.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        // Argon2 only fails on parameters out of range or an unavailable OS RNG.
        .unwrap_or_else(|error| panic!("cannot hash a password: {error}"))
}

/// Whether `password` matches a stored Argon2 PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Compares two secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Compares two byte strings in time independent of where they differ.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lower-case hex of `bytes` (on every token check and HA1: no formatting machinery).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = password();
        let b = password();
        assert_eq!(a.expose().len(), PASSWORD_LENGTH);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose(), b.expose());
        // 24 symbols from 62 carry more than the 119 bits DESIGN.md asks for.
        assert!(PASSWORD_LENGTH as f64 * 62f64.log2() >= 119.0);
    }

    #[test]
    fn sip_usernames_start_with_the_extension() {
        let name = sip_username(&"101".parse().unwrap());
        assert!(name.as_str().starts_with("101-"));
        assert_eq!(name.as_str().len(), 12);
    }

    #[test]
    fn ha1_matches_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
        assert_eq!(
            ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9"
        );
    }

    #[test]
    fn sip_credentials_carry_both_registrar_hashes() {
        let credentials = sip_credentials(
            "101-x7k2".parse().unwrap(),
            Secret::generated("s3cret-s3cret".into()),
            "acme.example.com",
        );
        assert_eq!(
            credentials.ha1,
            md5_hex("101-x7k2:acme.example.com:s3cret-s3cret")
        );
        assert_eq!(
            credentials.ha1b,
            md5_hex("101-x7k2@acme.example.com:acme.example.com:s3cret-s3cret")
        );
    }

    #[test]
    fn portal_passwords_are_hashed_and_verified() {
        let hash = hash_password("s3cret-pass");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("s3cret-pass"));
        assert!(verify_password("s3cret-pass", &hash));
        assert!(!verify_password("s3cret-pasS", &hash));
        assert!(!verify_password("s3cret-pass", "not a hash"));
    }

    #[test]
    fn digests_and_comparisons() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}

//! Records of the secrets the admin path hands out: API tokens and one-time set-password
//! links. Only SHA-256 digests of the secrets are kept.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ParseError;
use super::account::AccountId;
use super::user::UserId;

/// Identifies an admin API token; assigned by the store.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct TokenId(pub u64);

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for TokenId {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<TokenId, ParseError> {
        input
            .parse()
            .map(TokenId)
            .map_err(|_| ParseError::new("must be a token id (a number)"))
    }
}

/// A bearer token of the admin listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminToken {
    pub id: TokenId,
    pub name: String,
    /// Hex SHA-256 of the token; the token itself is shown once, at creation.
    pub digest: String,
    /// What the token opens.
    #[serde(default)]
    pub scope: TokenScope,
    /// A read-only token may only read (`GET`); registrar tokens are always read-only.
    #[serde(default)]
    pub read_only: bool,
    /// May read secrets (SIP, provisioning and phone web passwords); without this right they
    /// are masked in every answer. `None` in tokens made before the right existed: those
    /// keep what they had, the right unless read-only.
    #[serde(default)]
    pub secrets: Option<bool>,
    /// After this the token opens nothing.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// The accounts the token may see; empty: every account.
    #[serde(default)]
    pub accounts: Vec<AccountId>,
    /// When the token was last presented (kept to the minute).
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl AdminToken {
    /// Whether the token may read secrets.
    pub fn reads_secrets(&self) -> bool {
        self.secrets
            .unwrap_or_else(|| self.scope.administers(self.read_only))
    }

    /// Whether the token opens anything at `now`.
    pub fn live_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }
}

/// The accounts someone may see: every one (the provider), or some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    All,
    Only(std::collections::BTreeSet<AccountId>),
}

impl AccountScope {
    /// The scope of a token's account list: empty means every account.
    pub fn of(accounts: &[AccountId]) -> AccountScope {
        if accounts.is_empty() {
            AccountScope::All
        } else {
            AccountScope::Only(accounts.iter().copied().collect())
        }
    }

    pub fn includes(&self, account: AccountId) -> bool {
        match self {
            AccountScope::All => true,
            AccountScope::Only(accounts) => accounts.contains(&account),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, AccountScope::All)
    }
}

/// What a token opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// The admin API (`/api/v1`) and the web UI.
    #[default]
    Admin,
    /// The registrar directory (`/registrar/v1`) only: HA1 hashes, nothing else.
    Registrar,
}

impl TokenScope {
    /// Whether a token of this scope may change the directory (the admin API's writes, the
    /// web UI): an admin token that is not read-only.
    pub fn administers(self, read_only: bool) -> bool {
        self == TokenScope::Admin && !read_only
    }

    pub fn name(self) -> &'static str {
        match self {
            TokenScope::Admin => "admin",
            TokenScope::Registrar => "registrar",
        }
    }
}

impl FromStr for TokenScope {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<TokenScope, ParseError> {
        match input.trim() {
            "admin" => Ok(TokenScope::Admin),
            "registrar" => Ok(TokenScope::Registrar),
            _ => Err(ParseError::new(
                "must be 'admin', 'read_only' or 'registrar'",
            )),
        }
    }
}

/// A one-time link that lets a user set their portal password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordLink {
    /// Hex SHA-256 of the token in the link.
    pub digest: String,
    pub user: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

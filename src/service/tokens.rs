//! API tokens: created with a name, a scope and rights (secrets, an expiry, the accounts
//! they may see), shown once, stored as SHA-256 digests, revoked; their last use noted.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::TokenView;
use super::{Error, Service, now};
use crate::domain::{AccountId, AdminToken, Invalid, TokenId, TokenScope, line_of_text};
use crate::secret;
use crate::store::{IdKind, Reads};

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// Required.
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "kamailio"
    )]
    pub name: Option<String>,
    /// `admin` (default: the admin API and the web UI), `read_only` (an admin token that
    /// may only read) or `registrar` (the registrar directory's HA1 lookups only).
    #[schema(schema_with = scope_input)]
    pub scope: Option<String>,
    /// A read-only token may only read; default `false` (registrar tokens always are).
    pub read_only: Option<bool>,
    /// May read secrets (SIP, provisioning, phone web passwords); default `false`: they are
    /// masked in every answer.
    pub secrets: Option<bool>,
    /// When the token stops working (RFC 3339, in the future); default never.
    #[schema(min_length = 1, format = DateTime)]
    pub expires_at: Option<String>,
    /// The only accounts the token may see; default every account.
    pub accounts: Option<Vec<u64>>,
}

fn scope_input() -> utoipa::openapi::Object {
    super::schema::one_of(&["admin", "read_only", "registrar"], true)
}

/// A new token; `token` is the secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub id: TokenId,
    pub name: String,
    /// `admin` (the admin API and web UI) or `registrar` (the registrar directory,
    /// `/registrar/v1`, only).
    pub scope: TokenScope,
    pub read_only: bool,
    pub secrets: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    pub accounts: Vec<AccountId>,
    /// The secret, shown this once.
    pub token: String,
}

/// A token as the input describes it, every field parsed.
struct TokenDraft {
    name: String,
    scope: TokenScope,
    read_only: bool,
    secrets: bool,
    expires_at: Option<Timestamp>,
    accounts: Vec<AccountId>,
}

fn parse_token(input: &TokenInput, at: Timestamp) -> Result<TokenDraft, Invalid> {
    let mut invalid = Invalid::new();
    let name = invalid.check(
        "name",
        line_of_text(input.name.as_deref().unwrap_or(""), 64),
    );
    let (scope, read_only) = match input.scope.as_deref().map(str::trim) {
        None => (Some(TokenScope::Admin), input.read_only.unwrap_or(false)),
        Some("read_only") => (Some(TokenScope::Admin), true),
        Some(text) => {
            let scope = invalid.check("scope", text.parse::<TokenScope>());
            let read_only = scope == Some(TokenScope::Registrar) || input.read_only == Some(true);
            (scope, read_only)
        }
    };
    let secrets = input.secrets.unwrap_or(false);
    if secrets && scope == Some(TokenScope::Registrar) {
        invalid.add(
            "secrets",
            "registrar tokens read hashes only, never a password",
        );
    }
    let expires_at = match input.expires_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<Timestamp>() {
            Ok(expiry) if expiry > at => Some(expiry),
            Ok(_) => {
                invalid.add("expires_at", "must be in the future");
                None
            }
            Err(_) => {
                invalid.add(
                    "expires_at",
                    "must be a time such as 2027-01-31T00:00:00Z (RFC 3339)",
                );
                None
            }
        },
    };
    let accounts: Vec<AccountId> = input
        .accounts
        .iter()
        .flatten()
        .map(|id| AccountId(*id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    match (name, scope) {
        (Some(name), Some(scope)) if invalid.is_empty() => Ok(TokenDraft {
            name,
            scope,
            read_only,
            secrets,
            expires_at,
            accounts,
        }),
        _ => Err(invalid),
    }
}

impl Service {
    pub fn create_token(&self, input: &TokenInput) -> Result<NewToken, Error> {
        let at = now();
        let draft = parse_token(input, at)?;
        let token = secret::token();
        let record = self.store.write(|w| {
            for account in &draft.accounts {
                if w.account(*account)?.is_none() {
                    return Err(Error::invalid(
                        "accounts",
                        format!("there is no account {account}"),
                    ));
                }
            }
            let record = AdminToken {
                id: TokenId(w.next_id(IdKind::Token)?),
                name: draft.name,
                digest: secret::digest(&token),
                scope: draft.scope,
                read_only: draft.read_only,
                secrets: Some(draft.secrets),
                expires_at: draft.expires_at,
                accounts: draft.accounts,
                last_used_at: None,
                created_at: at,
            };
            w.put_token(&record)?;
            Ok::<_, Error>(record)
        })?;
        Ok(NewToken {
            id: record.id,
            secrets: record.reads_secrets(),
            name: record.name,
            scope: record.scope,
            read_only: record.read_only,
            expires_at: record.expires_at,
            accounts: record.accounts,
            token,
        })
    }

    /// The first token of a fresh installation; `None` when tokens exist already.
    pub fn create_initial_token(&self) -> Result<Option<NewToken>, Error> {
        if !self.store.tokens()?.is_empty() {
            return Ok(None);
        }
        self.create_token(&TokenInput {
            name: Some("initial".into()),
            secrets: Some(true),
            ..TokenInput::default()
        })
        .map(Some)
    }

    /// Every token, with when each was last used.
    pub fn tokens(&self) -> Result<Vec<TokenView>, Error> {
        let uses = self.token_uses.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self
            .store
            .tokens()?
            .into_iter()
            .map(|mut token| {
                token.last_used_at = token.last_used_at.max(uses.get(&token.id).copied());
                TokenView::from(token)
            })
            .collect())
    }

    /// Revokes a token — but never the last one that administers (admin scope, not
    /// read-only): that would lock the provider out for good.
    pub fn delete_token(&self, id: TokenId) -> Result<(), Error> {
        self.store.write(|w| {
            let token = w.token(id)?.ok_or(Error::NotFound("token"))?;
            let administers = |t: &AdminToken| t.scope.administers(t.read_only);
            if administers(&token) && !w.tokens()?.iter().any(|t| t.id != id && administers(t)) {
                return Err(Error::conflict(
                    "token",
                    "is the last admin token: create another admin token before revoking it \
                     (a locked-out data directory is recovered with sipprov init --new-admin-token)",
                ));
            }
            w.delete_token(id)?;
            Ok(())
        })
    }

    /// The live token a bearer secret belongs to, if any; its use is noted (in memory,
    /// saved by [`Service::save_token_uses`]).
    pub fn authenticate_token(&self, token: &str) -> Result<Option<TokenView>, Error> {
        let digest = secret::digest(token);
        let at = now();
        let Some(record) = self
            .store
            .token_by_digest(&digest)?
            .filter(|record| secret::same(&record.digest, &digest) && record.live_at(at))
        else {
            return Ok(None);
        };
        self.token_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(record.id, at);
        Ok(Some(TokenView::from(record)))
    }

    /// Writes when each token was last used, for those used more than a minute after what
    /// the store says (a token used on every request costs a write a minute at most).
    pub fn save_token_uses(&self) -> Result<(), Error> {
        let uses: Vec<(TokenId, Timestamp)> = self
            .token_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, at)| (*id, *at))
            .collect();
        self.store.write_unflushed(|w| {
            for (id, at) in uses {
                let Some(mut token) = w.token(id)? else {
                    continue;
                };
                let stale = token
                    .last_used_at
                    .is_none_or(|saved| at.duration_since(saved) >= SignedDuration::from_mins(1));
                if stale {
                    token.last_used_at = Some(at);
                    w.put_token(&token)?;
                }
            }
            Ok::<_, Error>(())
        })
    }
}

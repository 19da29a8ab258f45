//! Admin API tokens: created with a name, shown once, stored as SHA-256 digests, revoked.

use serde::{Deserialize, Serialize};

use super::views::TokenView;
use super::{Error, Service, now};
use crate::domain::{AdminToken, Invalid, TokenId, TokenScope, line_of_text};
use crate::secret;
use crate::store::{IdKind, Reads};

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub name: Option<String>,
    /// `admin` (default: the admin API and the web UI) or `registrar` (the registrar
    /// directory's HA1 lookups only).
    pub scope: Option<String>,
    /// A read-only token may only read; default `false` (registrar tokens always are).
    pub read_only: Option<bool>,
}

/// A new token; `token` is the secret, shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: TokenId,
    pub name: String,
    pub scope: TokenScope,
    pub read_only: bool,
    pub token: String,
}

impl Service {
    pub fn create_token(&self, input: &TokenInput) -> Result<NewToken, Error> {
        let mut invalid = Invalid::new();
        let name = invalid.check(
            "name",
            line_of_text(input.name.as_deref().unwrap_or(""), 64),
        );
        let scope = match input.scope.as_deref() {
            None => Some(TokenScope::Admin),
            Some(text) => invalid.check("scope", text.parse()),
        };
        let (Some(name), Some(scope)) = (name, scope) else {
            return Err(invalid.into());
        };
        let read_only = scope == TokenScope::Registrar || input.read_only.unwrap_or(false);
        let token = secret::token();
        let record = self.store.write(|w| {
            let record = AdminToken {
                id: TokenId(w.next_id(IdKind::Token)?),
                name,
                digest: secret::digest(&token),
                scope,
                read_only,
                created_at: now(),
            };
            w.put_token(&record)?;
            Ok::<_, Error>(record)
        })?;
        Ok(NewToken {
            id: record.id,
            name: record.name,
            scope: record.scope,
            read_only: record.read_only,
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
            scope: None,
            read_only: None,
        })
        .map(Some)
    }

    pub fn tokens(&self) -> Result<Vec<TokenView>, Error> {
        Ok(self
            .store
            .tokens()?
            .into_iter()
            .map(TokenView::from)
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

    /// The token a bearer secret belongs to, if any.
    pub fn authenticate_token(&self, token: &str) -> Result<Option<TokenView>, Error> {
        let digest = secret::digest(token);
        Ok(self
            .store
            .token_by_digest(&digest)?
            .filter(|record| secret::same(&record.digest, &digest))
            .map(TokenView::from))
    }
}

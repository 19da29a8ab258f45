//! API tokens, for the provider's staff: the list (name, scope, read-only, created) with a
//! revoke button each, the create form, and the registrar directory's lookup counts.
//!
//! A new token's secret is shown once, on the answer to the create form itself (`201`): it
//! never goes into the session or a flash message, and the service keeps only its digest.
//! For a registrar token the answer also gives the two settings Kamailio needs.

use std::collections::BTreeMap;
use std::time::Instant;

use http::StatusCode;
use serde_json::{Value, json};

use super::session::{self, Principal};
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{TokenId, TokenScope};
use crate::service::{NewToken, TokenInput};

/// Where the registrar directory's HA1 lookup is, under the admin listener's base.
const HA1_PATH: &str = "/registrar/v1/ha1";

/// Most accounts the form offers to limit a token to.
const ACCOUNTS_LISTED: usize = 500;

/// Shown in place of the admin listener's base when the server does not know a usable one.
const PLACEHOLDER_BASE: &str = "https://sipprov-host:8081";

impl Ui {
    pub(super) async fn tokens(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let page = self
            .tokens_page(call, BTreeMap::new(), BTreeMap::new(), None)
            .await?;
        Ok(Reply::Page(page))
    }

    /// The tokens page; `created`, the token just made, whose secret it shows this once.
    async fn tokens_page(
        &self,
        call: &Call,
        values: BTreeMap<String, String>,
        errors: BTreeMap<String, String>,
        created: Option<NewToken>,
    ) -> Result<Page, Failure> {
        let (tokens, lookups, accounts) = self
            .run(|s| {
                Ok((
                    s.tokens()?,
                    s.directory_lookups(),
                    s.accounts(None, ACCOUNTS_LISTED)?.items,
                ))
            })
            .await?;
        let accounts: Vec<Value> = accounts
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name, "domain": a.domain}))
            .collect();
        // A refused form keeps the accounts it named.
        let chosen: Vec<String> = call.form.all("accounts");
        let own = own_token(call);
        let tokens: Vec<Value> = tokens
            .iter()
            .map(|token| {
                let mut row = json(token);
                row["own"] = Value::Bool(Some(token.id) == own);
                row
            })
            .collect();
        let (ha1_url, ha1_url_known) = match directory_base(&self.service.settings().portal_url) {
            Some(base) => (format!("{base}{HA1_PATH}"), true),
            None => (format!("{PLACEHOLDER_BASE}{HA1_PATH}"), false),
        };
        let page = Page::new(
            "tokens",
            "API tokens",
            json!({
                "tokens": tokens,
                "accounts": accounts,
                "chosen_accounts": chosen,
                "lookups": {"hits": lookups.hits, "misses": lookups.misses},
                "form": {"values": values, "errors": errors},
                "created": created.as_ref().map(json),
                "ha1_url": ha1_url,
                "ha1_url_known": ha1_url_known,
            }),
        );
        Ok(page.section("tokens"))
    }

    /// Creates a token and answers `201` with the tokens page showing its secret; a refusal
    /// comes back `422` with the typed values and each error by its field.
    pub(super) async fn create_token(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let mut invalid = crate::domain::Invalid::new();
        let accounts: Vec<u64> = call
            .form
            .all("accounts")
            .iter()
            .filter(|id| !id.is_empty())
            .filter_map(|id| match id.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    invalid.add("accounts", "must be account ids");
                    None
                }
            })
            .collect();
        let input = TokenInput {
            name: Some(call.form.text("name").to_owned()),
            // Like the API: no scope is an admin token.
            scope: call.form.filled("scope"),
            read_only: Some(call.form.checked("read_only")),
            secrets: Some(call.form.checked("secrets")),
            expires_at: call.form.filled("expires_at"),
            accounts: Some(accounts),
        };
        if !invalid.is_empty() {
            let errors = refusals(Failure::Service(crate::service::Error::Invalid(invalid)))?;
            let page = self
                .tokens_page(call, call.form.values(), errors, None)
                .await?;
            return Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)));
        }
        match self.run(move |s| s.create_token(&input)).await {
            Ok(token) => {
                let page = self
                    .tokens_page(call, BTreeMap::new(), BTreeMap::new(), Some(token))
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::CREATED)))
            }
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self
                    .tokens_page(call, call.form.values(), errors, None)
                    .await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    /// Revokes a token. Revoking the one this session signed in with ends the session here,
    /// and the visitor lands on the sign-in page with the message; other sessions of the
    /// token lose their access at their next request.
    pub(super) async fn revoke_token(&self, call: &Call, id: TokenId) -> Result<Reply, Failure> {
        call.provider()?;
        let revoked = self
            .run(move |s| {
                let token = s
                    .tokens()?
                    .into_iter()
                    .find(|token| token.id == id)
                    .ok_or(crate::service::Error::NotFound("token"))?;
                s.delete_token(id)?;
                Ok(token)
            })
            .await?;
        let kind = match revoked.scope {
            TokenScope::Admin => "admin token",
            TokenScope::Registrar => "registrar token",
        };
        let message = format!(
            "The {kind} {} is revoked: it opens nothing from now on.",
            revoked.name
        );
        if own_token(call) != Some(id) {
            return Ok(Reply::redirect_with("/tokens", message));
        }
        if let Some(ended) = &call.session {
            self.sessions.end(&ended.id);
        }
        let anonymous = self.sessions.start(None, Instant::now());
        self.sessions.set_flash(
            &anonymous.id,
            format!("{message} You were signed in with it, so you are signed out."),
        );
        Ok(Reply::Redirect {
            to: "/signin".into(),
            flash: None,
            cookie: Some(session::set_cookie(&anonymous.id, self.secure)),
        })
    }
}

/// The token this session signed in with, if it did with one.
fn own_token(call: &Call) -> Option<TokenId> {
    match call.session.as_ref()?.principal? {
        Principal::Token(id) => Some(id),
        Principal::User(_) => None,
    }
}

/// The base URL registrars reach the admin listener at, as this server knows it (the
/// portal URL: `--portal-url`, or the admin listener's address), without a trailing `/`;
/// `None` when it knows no usable one (none, or an address on port 0).
fn directory_base(portal_url: &str) -> Option<&str> {
    let base = portal_url.trim().trim_end_matches('/');
    let uri: http::Uri = base.parse().ok()?;
    let usable = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.host().is_some_and(|host| !host.is_empty())
        && uri.port_u16() != Some(0)
        && uri.query().is_none();
    usable.then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_base_is_the_portal_url_when_it_is_usable() {
        assert_eq!(
            directory_base("https://prov.example.net:8081/"),
            Some("https://prov.example.net:8081")
        );
        assert_eq!(
            directory_base("http://127.0.0.1:8081"),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(
            directory_base("https://admin.example.net/ui"),
            Some("https://admin.example.net/ui")
        );
        for unusable in [
            "",
            "http://127.0.0.1:0",
            "not a url",
            "ftp://x.example",
            "/x",
        ] {
            assert_eq!(directory_base(unusable), None, "{unusable:?}");
        }
    }
}

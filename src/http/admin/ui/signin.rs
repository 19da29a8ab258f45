//! Signing in and out, the start page, a `limited` user's own page, and the set-password
//! page of the welcome email's one-time link.

use std::time::Instant;

use http::StatusCode;
use serde_json::json;

use super::route::LinkToken;
use super::session::{self, Principal};
use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::service::LinkState;

impl Ui {
    pub(super) fn home(&self, call: &Call) -> Result<Reply, Failure> {
        let access = call.access.as_ref().ok_or(Failure::SignInRequired)?;
        Ok(Reply::redirect(access.home()))
    }

    pub(super) fn sign_in_form(&self, call: &Call) -> Result<Reply, Failure> {
        if let Some(access) = &call.access {
            return Ok(Reply::redirect(access.home()));
        }
        Ok(Reply::Page(sign_in_page("", None)))
    }

    /// Signs in with an admin API token, or with a portal username (or email) and password.
    /// Success replaces the anonymous session with a new one.
    pub(super) async fn sign_in(&self, call: &Call) -> Result<Reply, Failure> {
        // Failures count against the login tried (the admin listener often sees every admin
        // from one address: loopback or a proxy), and token guesses against the address.
        let login = call.form.text("username").trim().to_owned();
        let throttle_key = match call.form.filled("token") {
            Some(_) => format!(
                "token@{}",
                crate::http::phone::address_key(call.peer.address.ip())
            ),
            None => format!("login:{}", login.to_lowercase()),
        };
        if self
            .sign_in_failures
            .is_throttled(&throttle_key, Instant::now())
        {
            return Err(Failure::TooManyRequests);
        }
        let principal = match call.form.filled("token") {
            Some(token) => {
                let token = self
                    .run(move |s| s.authenticate_token(token.trim()))
                    .await?;
                if token
                    .as_ref()
                    .is_some_and(|t| !t.opens_web_ui(jiff::Timestamp::now()))
                {
                    let message = "This token cannot sign in: read-only, account-limited and \
                                   registrar tokens are for the API only.";
                    return Ok(Reply::Page(
                        sign_in_page(&login, Some(message)).status(StatusCode::FORBIDDEN),
                    ));
                }
                token.map(|token| Principal::Token(token.id))
            }
            None => {
                let password = call.form.text("password").to_owned();
                let login = login.clone();
                self.run(move |s| s.sign_in(&login, &password))
                    .await?
                    .map(|user| Principal::User(user.id))
            }
        };
        let access = match principal {
            Some(principal) => self.resolve(principal).await.map(|a| (principal, a)),
            None => None,
        };
        let Some((principal, access)) = access else {
            self.sign_in_failures
                .record_failure(throttle_key, Instant::now());
            let message = "Wrong username or password, or an unknown token.";
            return Ok(Reply::Page(
                sign_in_page(&login, Some(message)).status(StatusCode::FORBIDDEN),
            ));
        };
        if let Some(anonymous) = &call.session {
            self.sessions.end(&anonymous.id);
        }
        let session = self.sessions.start(Some(principal), Instant::now());
        Ok(Reply::Redirect {
            to: access.home(),
            flash: None,
            cookie: Some(session::set_cookie(&session.id, self.secure)),
        })
    }

    pub(super) fn sign_out(&self, call: &Call) -> Reply {
        if let Some(session) = &call.session {
            self.sessions.end(&session.id);
        }
        Reply::Redirect {
            to: "/signin".into(),
            flash: None,
            cookie: Some(session::clear_cookie(self.secure)),
        }
    }

    /// A `limited` user's page: their details, lines and devices.
    pub(super) async fn me(&self, call: &Call) -> Result<Reply, Failure> {
        let Some(super::Access::SelfService { user, .. }) = &call.access else {
            return self.home(call);
        };
        let user = *user;
        let view = self.run(move |s| s.user(user)).await?;
        let mut devices: Vec<_> = view
            .lines
            .iter()
            .map(|line| json!({"mac": line.mac, "model": line.model}))
            .collect();
        devices.dedup();
        let page = Page::new(
            "me",
            "My phone",
            json!({"user": json(&view), "devices": devices}),
        )
        .section("me");
        Ok(Reply::Page(page))
    }

    pub(super) async fn welcome_form(&self, _: &Call, token: LinkToken) -> Result<Reply, Failure> {
        let state = self.run(move |s| s.password_link(token.expose())).await?;
        Ok(Reply::Page(welcome_page(&state, None)))
    }

    /// Sets a portal password through a welcome link; the link then stops working.
    pub(super) async fn welcome(&self, call: &Call, token: LinkToken) -> Result<Reply, Failure> {
        let password = call.form.text("password").to_owned();
        let confirmation = call.form.text("password_confirmation").to_owned();
        let link = token.clone();
        let result = self
            .run(move |s| s.set_password_with_link(link.expose(), &password, &confirmation))
            .await;
        match result {
            Ok(()) => Ok(Reply::redirect_with(
                "/signin",
                "Your password is set. Sign in with your username or email and the new password.",
            )),
            Err(failure) => {
                let errors = refusals(failure)?;
                let state = self.run(move |s| s.password_link(token.expose())).await?;
                let page = welcome_page(&state, errors.get("password").map(String::as_str));
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }
}

fn sign_in_page(username: &str, error: Option<&str>) -> Page {
    Page::new(
        "signin",
        "Sign in",
        json!({"username": username, "error": error}),
    )
}

/// The set-password page: the form while the link works, else why it does not.
fn welcome_page(state: &LinkState, error: Option<&str>) -> Page {
    let (status, kind) = match state {
        LinkState::Valid { .. } => (StatusCode::OK, "valid"),
        LinkState::Expired => (StatusCode::GONE, "expired"),
        LinkState::Used => (StatusCode::GONE, "used"),
        LinkState::Unknown => (StatusCode::NOT_FOUND, "unknown"),
    };
    Page::new(
        "welcome",
        "Choose your password",
        json!({"state": kind, "link": json(state), "error": error}),
    )
    .status(status)
}

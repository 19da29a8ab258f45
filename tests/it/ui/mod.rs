//! The admin web UI: over plain HTTP (`access`, `pages`, `tokens`) and in a real browser
//! (`browser`). This module holds what they share: a cookie- and CSRF-aware [`Visitor`]
//! and the accounts and users they start from.

mod access;
mod browser;
mod firmware;
mod pages;
mod replace;
mod settings;
mod tokens;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::domain::{AccountId, UserId};
use sipprov::http::{Client, RequestSpec, Response};
use sipprov::service::UserQuery;

use crate::app::{TestApp, input};

/// A password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A visitor of the web UI: the session cookie and the CSRF token of the last page seen.
pub struct Visitor {
    client: Client,
    pub cookie: Option<String>,
    csrf: String,
}

impl Visitor {
    /// A visitor who has opened the sign-in page (and so holds an anonymous session).
    pub async fn new(app: &TestApp) -> Visitor {
        let mut visitor = Visitor {
            client: app.admin(),
            cookie: None,
            csrf: String::new(),
        };
        let page = visitor.get("/signin").await;
        assert_eq!(page.status, StatusCode::OK);
        visitor
    }

    /// A visitor signed in with the first admin token.
    pub async fn with_token(app: &TestApp) -> Visitor {
        Visitor::with_token_secret(app, &app.token()).await
    }

    /// A visitor signed in with `token`.
    pub async fn with_token_secret(app: &TestApp, token: &str) -> Visitor {
        let mut visitor = Visitor::new(app).await;
        let signed_in = visitor.post("/signin", &[("token", token)]).await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.text()
        );
        // The new session's CSRF token comes with its first page.
        visitor.get(location(&signed_in)).await;
        visitor
    }

    pub async fn with_password(app: &TestApp, login: &str) -> Visitor {
        let mut visitor = Visitor::new(app).await;
        let signed_in = visitor
            .post("/signin", &[("username", login), ("password", PASSWORD)])
            .await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.text()
        );
        // The new session's CSRF token comes with its first page.
        visitor.get(location(&signed_in)).await;
        visitor
    }

    fn request(&self, method: Method, path: &str) -> RequestSpec {
        let request = RequestSpec::new(method, path);
        match &self.cookie {
            Some(cookie) => request.header("Cookie", cookie),
            None => request,
        }
    }

    /// Keeps the session cookie and the page's CSRF token.
    fn remember(&mut self, response: &Response) {
        for value in response.headers.get_all("set-cookie") {
            let pair = value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        if let Some(csrf) = field_value(&response.text(), "csrf") {
            self.csrf = csrf;
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response = self
            .client
            .send(self.request(Method::GET, path))
            .await
            .unwrap();
        self.remember(&response);
        response
    }

    /// Posts a form with this session's CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.clone())];
        all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.post_raw(path, &all).await
    }

    /// Posts a form as given, CSRF token or not.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, String)]) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = self
            .request(Method::POST, path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        let response = self.client.send(request).await.unwrap();
        self.remember(&response);
        response
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The `value` of the first input named `name` in a page.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!(" name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let start = tag.find(" value=\"")? + " value=\"".len();
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].to_owned())
}

pub fn location(response: &Response) -> &str {
    response.headers["location"].to_str().unwrap()
}

pub fn account(app: &TestApp, value: Value) -> AccountId {
    app.service().create_account(&input(value)).unwrap().id
}

/// A user who can sign in to the portal: `role` is `limited` or an admin level.
pub fn portal_user(app: &TestApp, account: AccountId, username: &str, role: &str) -> UserId {
    let (role, level) = match role {
        "limited" => ("limited", None),
        level => ("admin", Some(level)),
    };
    let user = json!({
        "first_name": username, "last_name": "Tester",
        "email": format!("{username}@example.com"), "username": username,
        "portal_access": true, "role": role, "admin_level": level,
        "block_welcome_email": true, "password": PASSWORD, "password_confirmation": PASSWORD,
    });
    app.service().create_user(account, &input(user)).unwrap().id
}

pub fn other_account() -> Value {
    json!({
        "name": "Globex", "domain": "globex.sip.example.com", "group_name": "globex",
        "registrar": {"host": "sip.example.com"}, "time_zone": "Europe/Paris",
    })
}

pub fn user_count(app: &TestApp, account: AccountId) -> usize {
    let query = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    app.service().users(account, &query).unwrap().items.len()
}

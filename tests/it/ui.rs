//! The web UI over plain HTTP, without a browser: sessions and their cookie, CSRF, access
//! by admin level, the set-password link, headers and limits.

use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::domain::{AccountId, UserId};
use sipprov::http::{Client, RequestSpec, Response, Trust};
use sipprov::service::UserQuery;

use crate::app::{TestApp, acme, input, logs};

/// A password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A visitor of the web UI: the session cookie and the CSRF token of the last page seen.
pub struct Visitor {
    client: Client,
    cookie: Option<String>,
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

    pub async fn with_token(app: &TestApp) -> Visitor {
        let mut visitor = Visitor::new(app).await;
        let signed_in = visitor.post("/signin", &[("token", &app.token())]).await;
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

fn location(response: &Response) -> &str {
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

fn other_account() -> Value {
    json!({
        "name": "Globex", "domain": "globex.sip.example.com", "group_name": "globex",
        "registrar": {"host": "sip.example.com"}, "time_zone": "Europe/Paris",
    })
}

fn user_count(app: &TestApp, account: AccountId) -> usize {
    let query = UserQuery {
        limit: 1000,
        ..UserQuery::default()
    };
    app.service().users(account, &query).unwrap().items.len()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_replaced_at_sign_in() {
    let app = TestApp::start().await;
    let first = app.admin().send(RequestSpec::get("/signin")).await.unwrap();
    let anonymous = first.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(anonymous.starts_with("sipprov="), "{anonymous}");
    assert!(
        anonymous.ends_with("; Path=/; HttpOnly; SameSite=Strict"),
        "{anonymous}"
    );
    assert!(!anonymous.contains("Secure"), "plain HTTP on loopback");
    let id = anonymous
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("sipprov=");
    assert_eq!(id.len(), 43, "256 random bits");

    let mut visitor = Visitor::new(&app).await;
    let before = visitor.cookie.clone();
    let signed_in = visitor.post("/signin", &[("token", &app.token())]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/accounts");
    assert_ne!(visitor.cookie, before, "a new session at sign-in");
    assert_eq!(visitor.get("/accounts").await.status, StatusCode::OK);

    let signed_out = visitor.post("/signout", &[]).await;
    assert_eq!(location(&signed_out), "/signin");
    assert!(
        signed_out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let mut replay = Visitor {
        client: app.admin(),
        cookie: Some(before.unwrap()),
        csrf: String::new(),
    };
    let refused = replay.get("/accounts").await;
    assert_eq!(
        refused.status,
        StatusCode::SEE_OTHER,
        "the old session is over"
    );
    assert_eq!(location(&refused), "/signin");
}

#[tokio::test]
async fn on_https_the_cookie_is_secure_and_host_only() {
    // Off loopback the admin listener runs TLS, and the UI marks its cookie `Secure`.
    let app =
        TestApp::start_with(|config| config.admin_listen = "0.0.0.0:0".parse().unwrap()).await;
    let pem = std::fs::read_to_string(app.dir.path().join("certs/cert.pem")).unwrap();
    let base = format!("https://127.0.0.1:{}", app.admin_address().port());
    let client = Client::new(&base, Trust::pem(&pem).unwrap())
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    let page = client.send(RequestSpec::get("/signin")).await.unwrap();
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-sipprov="), "{cookie}");
    assert!(
        cookie.ends_with("; Path=/; HttpOnly; SameSite=Strict; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn forms_without_their_session_csrf_token_are_refused() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let path = format!("/accounts/{acme}/users");
    let mut admin = Visitor::with_token(&app).await;
    let stranger = Visitor::with_token(&app).await;
    let fields = |csrf: &str| vec![("csrf", csrf.to_owned()), ("first_name", "Eve".to_owned())];

    for csrf in ["", "forged", stranger.csrf()] {
        let refused = admin.post_raw(&path, &fields(csrf)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(refused.text().contains("Form expired"));
    }
    let mut no_session = Visitor {
        client: app.admin(),
        cookie: None,
        csrf: String::new(),
    };
    let refused = no_session.post_raw(&path, &fields(admin.csrf())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let sign_in = no_session
        .post_raw("/signin", &[("token", app.token())])
        .await;
    assert_eq!(
        sign_in.status,
        StatusCode::FORBIDDEN,
        "sign-in needs its form's token too"
    );
    assert_eq!(user_count(&app, acme), 0);

    let accepted = admin.post(&path, &[("first_name", "Eve")]).await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{}",
        accepted.text()
    );
    assert_eq!(user_count(&app, acme), 1);
}

#[tokio::test]
async fn a_standard_admin_grants_up_to_standard_and_manages_no_higher_admin() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    portal_user(&app, acme, "sam", "standard");
    let boss = portal_user(&app, acme, "boss", "super");
    let mut sam = Visitor::with_password(&app, "sam").await;
    let path = format!("/accounts/{acme}/users");
    let before = user_count(&app, acme);

    for level in ["super", "advanced"] {
        let refused = sam
            .post(
                &path,
                &[
                    ("first_name", "Mallory"),
                    ("admin_access", "on"),
                    ("admin_level", level),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{level}");
        let html = refused.text();
        assert!(
            html.contains("you may grant admin levels up to your own (standard)"),
            "{html}"
        );
        assert_eq!(field_value(&html, "first_name").as_deref(), Some("Mallory"));
        assert!(html.contains(">standard</option>"));
        assert!(
            !html.contains(">super</option>"),
            "the form offers no higher level"
        );
    }
    assert_eq!(user_count(&app, acme), before);

    let granted = sam
        .post(
            &path,
            &[
                ("first_name", "Trent"),
                ("admin_access", "on"),
                ("admin_level", "standard"),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.text());
    assert_eq!(user_count(&app, acme), before + 1);

    for path in [
        format!("/users/{boss}/edit"),
        format!("/users/{boss}/delete"),
    ] {
        assert_eq!(sam.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let refused = sam.post(&format!("/users/{boss}/delete"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.service().user(boss).is_ok());
    assert_eq!(
        sam.get(&format!("/users/{boss}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_account_admin_sees_only_their_own_account() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let globex = account(&app, other_account());
    portal_user(&app, acme, "alice", "advanced");
    let bob = portal_user(&app, globex, "bob", "limited");
    let device = json!({"mac": "001565000b0b", "model": "T46S"});
    app.service().create_device(globex, &input(device)).unwrap();

    let mut alice = Visitor::with_password(&app, "alice").await;
    let accounts = alice.get("/accounts").await;
    assert_eq!(accounts.status, StatusCode::OK);
    assert!(accounts.text().contains("Acme") && !accounts.text().contains("Globex"));
    for path in [
        format!("/accounts/{globex}/users"),
        format!("/accounts/{globex}/users/new"),
        format!("/accounts/{globex}/devices"),
        format!("/users/{bob}"),
        "/devices/001565000b0b".to_owned(),
    ] {
        let refused = alice.get(&path).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!refused.text().contains("Globex"), "{path}");
    }
    for path in ["/accounts/new", "/unclaimed", &format!("/accounts/{acme}")] {
        assert_eq!(
            alice.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let before = user_count(&app, globex);
    let refused = alice
        .post(
            &format!("/accounts/{globex}/users"),
            &[("first_name", "Intruder")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(user_count(&app, globex), before);
    assert_eq!(
        alice.get(&format!("/accounts/{acme}/users")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn limited_users_see_their_own_page_and_no_admin_page() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    portal_user(&app, acme, "lee", "limited");
    let mut visitor = Visitor::new(&app).await;
    let signed_in = visitor
        .post(
            "/signin",
            &[("username", "LEE@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&signed_in), "/me");
    let me = visitor.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.text().contains("lee Tester"));
    for path in [
        "/accounts".to_owned(),
        format!("/accounts/{acme}/users"),
        format!("/accounts/{acme}/devices"),
        "/unclaimed".to_owned(),
    ] {
        let refused = visitor.get(&path).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.text().contains("This page is for administrators"));
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_and_repeated_failures_throttled() {
    let app = TestApp::start().await;
    let mut visitor = Visitor::new(&app).await;
    let refused = visitor
        .post(
            "/signin",
            &[("username", "nobody"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("Wrong username or password"));
    assert_eq!(
        field_value(&refused.text(), "username").as_deref(),
        Some("nobody")
    );
    for _ in 1..20 {
        let refused = visitor.post("/signin", &[("token", "guess")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    let throttled = visitor.post("/signin", &[("token", &app.token())]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_refused_user_form_comes_back_422_with_its_values_and_errors() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let mut admin = Visitor::with_token(&app).await;
    let refused = admin
        .post(
            &format!("/accounts/{acme}/users"),
            &[
                ("first_name", "Grace"),
                ("extension", "50"),
                ("username", "x"),
                ("email", "grace@example.com"),
                ("feature_plan", "advanced"),
                ("voicemail.pin", "12"),
                ("device.mac", "00:15:65:zz:00:01"),
                ("device.model", "T46S"),
                ("password", "secret-but-short"),
                ("password_confirmation", "other"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    for (field, value) in [
        ("first_name", "Grace"),
        ("extension", "50"),
        ("username", "x"),
        ("email", "grace@example.com"),
        ("device.mac", "00:15:65:zz:00:01"),
    ] {
        assert_eq!(field_value(&html, field).as_deref(), Some(value), "{field}");
    }
    for field in [
        "extension",
        "username",
        "voicemail.pin",
        "device.mac",
        "password",
    ] {
        assert!(
            html.contains(&format!("id=\"e-{field}\"")),
            "{field}: {html}"
        );
    }
    assert!(
        !html.contains("secret-but-short"),
        "passwords are not echoed"
    );
    assert_eq!(user_count(&app, acme), 0);
}

#[tokio::test]
async fn the_set_password_link_works_once_and_its_token_stays_out_of_the_log() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let user = json!({
        "first_name": "Wendy", "email": "wendy@example.com", "username": "wendy",
        "portal_access": true,
    });
    app.service().create_user(acme, &input(user)).unwrap();
    let outbox = app.dir.path().join("data").join("outbox");
    let mail = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .find(|text| text.contains("wendy"))
        .expect("a welcome message");
    let start = mail.find("/welcome/").expect("a set-password link") + "/welcome/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let link = format!("/welcome/{token}");

    let mut visitor = Visitor::new(&app).await;
    let form = visitor.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("Choose your password") && form.text().contains("wendy"));
    let mismatch = visitor
        .post(
            &link,
            &[("password", PASSWORD), ("password_confirmation", "other")],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.text().contains("does not match the confirmation"));
    let set = visitor
        .post(
            &link,
            &[("password", PASSWORD), ("password_confirmation", PASSWORD)],
        )
        .await;
    assert_eq!(location(&set), "/signin");
    assert!(
        visitor
            .get("/signin")
            .await
            .text()
            .contains("Your password is set")
    );
    Visitor::with_password(&app, "wendy").await;

    let used = visitor.get(&link).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.text().contains("already been used"));
    let unknown = visitor.get("/welcome/abcdefghijklmnopqrstuvwxyz0123").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let log = logs();
    assert!(log.contains("/welcome/…"), "the requests were logged");
    assert!(!log.contains(&token), "the link's token reached the log");
}

#[tokio::test]
async fn pages_carry_strict_headers_and_the_ui_refuses_odd_requests() {
    let app = TestApp::start_with(|config| config.limits.max_body_bytes = 4096).await;
    let mut admin = Visitor::with_token(&app).await;
    let page = admin.get("/accounts").await;
    for (header, value) in [
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("content-type", "text/html; charset=utf-8"),
    ] {
        assert_eq!(page.headers[header], value, "{header}");
    }
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(!page.text().contains("<script>"), "no inline script");

    let css = admin.get("/static/app.css").await;
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    let signed_out = app
        .admin()
        .send(RequestSpec::get("/accounts"))
        .await
        .unwrap();
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/signin");
    assert_eq!(admin.get("/nowhere").await.status, StatusCode::NOT_FOUND);
    let delete = RequestSpec::new(Method::DELETE, "/accounts");
    let not_allowed = app.admin().send(delete).await.unwrap();
    assert_eq!(not_allowed.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(not_allowed.headers["allow"], "GET, POST");

    let json = admin
        .request(Method::POST, "/accounts")
        .header("Content-Type", "application/json")
        .body("{}");
    let refused = app.admin().send(json).await.unwrap();
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = "x".repeat(8 * 1024);
    let too_large = admin.post("/accounts", &[("name", &huge)]).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
}

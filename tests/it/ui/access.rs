//! Who may do what in the web UI: the session cookie, CSRF tokens, admin levels, account
//! isolation, `limited` users, sign-in failures.

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use sipprov::http::{Client, RequestSpec, Trust};

use super::{
    PASSWORD, Visitor, account, field_value, location, other_account, portal_user, user_count,
};
use crate::app::{TestApp, acme, input};

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
    // Password failures count against the login: one locked-out login does not lock out
    // the other admins, who often all come from one address (loopback or a proxy).
    for _ in 1..20 {
        let refused = visitor
            .post("/signin", &[("username", "nobody"), ("password", "guess")])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    let locked = visitor
        .post("/signin", &[("username", "NOBODY"), ("password", "guess")])
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let other = visitor
        .post(
            "/signin",
            &[("username", "somebody"), ("password", "guess")],
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::FORBIDDEN,
        "another login is not locked out"
    );
    // Token guesses count against the address.
    for _ in 0..20 {
        let refused = visitor.post("/signin", &[("token", "guess")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    let throttled = visitor.post("/signin", &[("token", &app.token())]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
}

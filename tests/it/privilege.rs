//! Least privilege for API tokens: secrets only with the right, objects of other accounts as
//! absent as objects that do not exist, the token before anything about the path, and
//! when each token was last used.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::domain::AccountId;

use crate::app::{TestApp, acme, input};
use crate::registrar::{send, token_by};

/// A token made through the API with `body`; its secret.
async fn token(app: &TestApp, body: Value) -> String {
    token_by(app, &app.token(), body).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = send(app, Some(token), Method::GET, path, None).await;
    let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, value)
}

/// An account (with `domain`) whose one user has a T46S line; the device's MAC.
fn provision(app: &TestApp, domain: &str, mac: &str) -> (AccountId, String) {
    let mut account = acme();
    account["domain"] = json!(domain);
    account["numbers"] = json!([]);
    account["device_auth"] = json!("account");
    let account = app.service().create_account(&input(account)).unwrap().id;
    app.service()
        .create_user(
            account,
            &input(json!({"first_name": "Ada", "device": {"mac": mac, "model": "T46S"}})),
        )
        .unwrap();
    (account, mac.to_owned())
}

#[tokio::test]
async fn without_the_secrets_right_every_password_is_masked() {
    let app = TestApp::start().await;
    let (account, mac) = provision(&app, "acme.example.com", "001565000301");
    let device = app.service().device(mac.parse().unwrap()).unwrap();
    let passwords = [
        device.lines[0].sip.password.clone().unwrap(),
        device.provisioning.password.clone(),
        app.service()
            .account(account)
            .unwrap()
            .provisioning
            .unwrap()
            .password,
        device.web.admin.password.clone().unwrap(),
        device.web.user.password.clone().unwrap(),
    ];
    let read_only = token(&app, json!({"name": "dashboard", "scope": "read_only"})).await;
    let plain_admin = token(&app, json!({"name": "ops"})).await;
    let with_secrets = token(&app, json!({"name": "installer", "secrets": true})).await;

    for token in [&read_only, &plain_admin] {
        let (status, device) = get(&app, token, &format!("/api/v1/devices/{mac}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(device["lines"][0]["sip"]["password"].is_null(), "{device}");
        assert!(
            device["lines"][0]["sip"]["username"].is_string(),
            "the rest is there"
        );
        assert!(device["provisioning"]["password"].is_null());
        assert!(device["web"]["admin"]["password"].is_null(), "{device}");
        assert!(device["web"]["user"]["password"].is_null());
        assert_eq!(device["web"]["admin"]["username"], "admin");
        assert!(device["provisioning"]["username"].is_string());
        let (_, shown) = get(&app, token, &format!("/api/v1/accounts/{account}")).await;
        assert!(shown["provisioning"]["password"].is_null(), "{shown}");
        let (_, users) = get(&app, token, &format!("/api/v1/accounts/{account}/users")).await;
        assert_eq!(
            users["items"].as_array().unwrap().len(),
            1,
            "every user is seen"
        );
        for text in [device.to_string(), shown.to_string(), users.to_string()] {
            for password in &passwords {
                assert!(!text.contains(password.as_str()), "a password leaked");
            }
        }
    }
    // Writes answer masked too: a line assigned by a token without the right.
    let assigned = send(
        &app,
        Some(&plain_admin),
        Method::POST,
        &format!("/api/v1/devices/{mac}/lines"),
        Some(("application/json", json!({"user": 1}).to_string())),
    )
    .await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.text());
    let assigned: Value = serde_json::from_slice(&assigned.body).unwrap();
    assert!(assigned["sip"]["password"].is_null(), "{assigned}");

    let (_, device) = get(&app, &with_secrets, &format!("/api/v1/devices/{mac}")).await;
    assert_eq!(device["lines"][0]["sip"]["password"], json!(passwords[0]));
    assert_eq!(device["provisioning"]["password"], json!(passwords[1]));
    assert_eq!(device["web"]["admin"]["password"], json!(passwords[3]));
    assert_eq!(device["web"]["user"]["password"], json!(passwords[4]));

    // The CLI's --json shows what the API answered.
    let shown =
        crate::cli::sipprov_with(&app, &read_only, &["device", "show", &mac, "--json"]).await;
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains(&mac), "{shown}");
    assert!(passwords.iter().all(|p| !shown.contains(p.as_str())));
    app.stop().await;
}

#[tokio::test]
async fn a_token_limited_to_one_account_finds_nothing_of_the_others() {
    let app = TestApp::start().await;
    let (mine, my_mac) = provision(&app, "mine.example.com", "001565000401");
    let (theirs, their_mac) = provision(&app, "theirs.example.com", "001565000402");
    let their_user = app
        .service()
        .device(their_mac.parse().unwrap())
        .unwrap()
        .lines[0]
        .user;
    let limited = token(&app, json!({"name": "reseller", "accounts": [mine.0]})).await;

    let (_, accounts) = get(&app, &limited, "/api/v1/accounts").await;
    let ids: Vec<u64> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [mine.0]);
    assert_eq!(
        get(&app, &limited, &format!("/api/v1/devices/{my_mac}"))
            .await
            .0,
        StatusCode::OK
    );

    // Another account's objects answer exactly as objects that do not exist.
    for (theirs_path, nobodys_path) in [
        (
            format!("/api/v1/accounts/{theirs}"),
            "/api/v1/accounts/999".to_owned(),
        ),
        (
            format!("/api/v1/accounts/{theirs}/users"),
            "/api/v1/accounts/999/users".into(),
        ),
        (
            format!("/api/v1/users/{}", their_user.0),
            "/api/v1/users/99999".into(),
        ),
        (
            format!("/api/v1/devices/{their_mac}"),
            "/api/v1/devices/001565999999".into(),
        ),
    ] {
        let theirs_answer = get(&app, &limited, &theirs_path).await;
        let nobodys_answer = get(&app, &limited, &nobodys_path).await;
        assert_eq!(theirs_answer.0, StatusCode::NOT_FOUND, "{theirs_path}");
        assert_eq!(theirs_answer, nobodys_answer, "{theirs_path}");
    }
    let deleted = send(
        &app,
        Some(&limited),
        Method::DELETE,
        &format!("/api/v1/devices/{their_mac}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NOT_FOUND);
    assert!(
        app.service().device(their_mac.parse().unwrap()).is_ok(),
        "nothing was deleted"
    );
    for (method, path) in [
        (Method::POST, "/api/v1/accounts"),
        (Method::GET, "/api/v1/tokens"),
        (Method::GET, "/api/v1/unclaimed"),
        (Method::POST, "/api/v1/data-key/rotate"),
    ] {
        let refused = send(&app, Some(&limited), method.clone(), path, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}");
    }

    // A registrar token limited to an account looks up its realm only.
    let registrar = token(
        &app,
        json!({"name": "kamailio", "scope": "registrar", "accounts": [mine.0]}),
    )
    .await;
    let user_of = |mac: &str| {
        app.service().device(mac.parse().unwrap()).unwrap().lines[0]
            .sip
            .username
            .clone()
    };
    let lookup =
        |user: String, realm: &str| format!("/registrar/v1/ha1?username={user}&realm={realm}");
    let found = send(
        &app,
        Some(&registrar),
        Method::GET,
        &lookup(user_of(&my_mac), "mine.example.com"),
        None,
    )
    .await;
    assert_eq!(found.status, StatusCode::OK);
    let other = send(
        &app,
        Some(&registrar),
        Method::GET,
        &lookup(user_of(&their_mac), "theirs.example.com"),
        None,
    )
    .await;
    let unknown = send(
        &app,
        Some(&registrar),
        Method::GET,
        &lookup("nobody".into(), "mine.example.com"),
        None,
    )
    .await;
    assert_eq!(
        (other.status, other.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let export = send(
        &app,
        Some(&registrar),
        Method::GET,
        "/registrar/v1/subscribers?format=csv",
        None,
    )
    .await;
    assert!(
        export.text().contains("mine.example.com") && !export.text().contains("theirs.example.com")
    );
    app.stop().await;
}

#[tokio::test]
async fn without_a_token_nothing_is_said_about_the_path() {
    let app = TestApp::start().await;
    for path in [
        "/api/v1/devices/not-a-mac",
        "/api/v1/nothing/here",
        "/api/v1/accounts/x",
    ] {
        let answer = send(&app, None, Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let with_token = send(
        &app,
        Some(&app.token()),
        Method::GET,
        "/api/v1/devices/not-a-mac",
        None,
    )
    .await;
    assert_eq!(with_token.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn tokens_say_when_they_were_last_used_and_may_expire() {
    let dir = tempfile::tempdir().unwrap();
    let (data, certs) = (dir.path().join("data"), dir.path().join("certs"));
    let here = |config: &mut sipprov::config::Config| {
        config.data_dir = data.clone();
        config.certs_dir = certs.clone();
    };
    let app = TestApp::start_with(here).await;
    let admin = std::fs::read_to_string(data.join(sipprov::app::ADMIN_TOKEN_FILE)).unwrap();
    let admin = admin.trim();
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string();
    let dashboard = token_by(
        &app,
        admin,
        json!({"name": "dashboard", "expires_at": later}),
    )
    .await;
    token_by(&app, admin, json!({"name": "unused"})).await;
    assert_eq!(
        get(&app, &dashboard, "/api/v1/accounts").await.0,
        StatusCode::OK
    );

    let (_, tokens) = get(&app, admin, "/api/v1/tokens").await;
    let named = |tokens: &Value, name: &str| {
        tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    assert!(
        named(&tokens, "dashboard")["last_used_at"].is_string(),
        "{tokens}"
    );
    assert!(named(&tokens, "unused")["last_used_at"].is_null());
    assert!(named(&tokens, "dashboard")["expires_at"].is_string());
    app.stop().await;

    // Saved when the server stopped.
    let again = TestApp::start_with(here).await;
    let (_, tokens) = get(&again, admin, "/api/v1/tokens").await;
    assert!(
        named(&tokens, "dashboard")["last_used_at"].is_string(),
        "{tokens}"
    );

    // An expiry in the past, a time that is not one, an unknown account: refused, named.
    let refused = send(
        &again,
        Some(admin),
        Method::POST,
        "/api/v1/tokens",
        Some((
            "application/json",
            json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z", "accounts": [42],
                "scope": "registrar", "secrets": true})
            .to_string(),
        )),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = serde_json::from_slice(&refused.body).unwrap();
    let fields = &refused["error"]["fields"];
    assert!(
        fields["expires_at"].is_string() && fields["secrets"].is_string(),
        "{refused}"
    );
    again.stop().await;
}

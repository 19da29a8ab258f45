//! The web UI's pages over plain HTTP: refused forms, the set-password link, editing and
//! deleting users, device lines, the account form, headers and limits.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;
use sipprov::domain::{AccountId, Mac};
use sipprov::http::admin::AdminHandler;
use sipprov::http::{Client, Limits, RequestSpec, Trust, serve};
use sipprov::render::Renderer;
use sipprov::service::{Service, Settings};
use sipprov::store::Store;
use sipprov::vendors::Catalogue;
use tokio::net::TcpListener;

use super::{PASSWORD, Visitor, account, field_value, location, user_count};
use crate::app::{TestApp, acme, input, logs};

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
        "a typed password does not travel back into the page"
    );
    assert_eq!(user_count(&app, acme), 0);
}

/// The set-password token of the welcome message sent to `username`.
fn welcome_token(outbox: &Path, username: &str) -> String {
    let mail = std::fs::read_dir(outbox)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .find(|text| text.contains(username))
        .expect("a welcome message");
    let start = mail.find("/welcome/").expect("a set-password link") + "/welcome/".len();
    mail[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
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
    let token = welcome_token(&app.dir.path().join("data").join("outbox"), "wendy");
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
async fn an_expired_set_password_link_says_so() {
    // A server whose links live one millisecond: built by hand, as the configuration does
    // not shorten link lifetimes.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(dir.path());
    settings.password_link_lifetime = SignedDuration::from_millis(1);
    let store = Store::open(
        &dir.path().join("db"),
        sipprov::secret::DataKeys::generate(),
    )
    .unwrap();
    let renderer = Renderer::new(None).unwrap();
    let service = Service::new(store, Catalogue::init().unwrap(), renderer, settings);
    let acme = service.create_account(&input(acme())).unwrap().id;
    let user = json!({
        "first_name": "Xena", "email": "xena@example.com", "username": "xena",
        "portal_access": true,
    });
    service.create_user(acme, &input(user)).unwrap();
    let token = welcome_token(&dir.path().join("outbox"), "xena");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let handler = Arc::new(AdminHandler::new(Arc::new(service), 64 * 1024, false));
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, None, handler, Limits::default(), async {
        let _ = stopping.await;
    }));
    tokio::time::sleep(Duration::from_millis(20)).await;

    let client = Client::new(&format!("http://{address}"), Trust::none()).unwrap();
    let page = client
        .send(RequestSpec::get(format!("/welcome/{token}")))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.text().contains("This link has expired"));
    assert!(!page.text().contains("name=\"password\""), "no form");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn users_are_found_by_name_tag_and_extension() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    for user in [
        json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "tags": ["math"]}),
        json!({"first_name": "Bob", "last_name": "Babbage", "tags": ["engines"]}),
        json!({"first_name": "Carol", "last_name": "Shaw", "department": "Games"}),
    ] {
        app.service().create_user(acme, &input(user)).unwrap();
    }
    let mut admin = Visitor::with_token(&app).await;
    let mut found = async |query: &str| -> Vec<&'static str> {
        let page = admin.get(&format!("/accounts/{acme}/users?{query}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        ["Ada Lovelace", "Bob Babbage", "Carol Shaw"]
            .into_iter()
            .filter(|name| html.contains(&format!(">{name}</a>")))
            .collect()
    };
    assert_eq!(
        found("").await,
        ["Ada Lovelace", "Bob Babbage", "Carol Shaw"]
    );
    assert_eq!(found("q=LOVE").await, ["Ada Lovelace"]);
    assert_eq!(found("q=games").await, ["Carol Shaw"], "departments match");
    assert_eq!(found("tag=math").await, ["Ada Lovelace"]);
    assert_eq!(
        found("tag=setup_required").await,
        ["Bob Babbage", "Carol Shaw"]
    );
    assert_eq!(found("extension=101").await, ["Bob Babbage"]);
    assert_eq!(found("q=nobody").await, Vec::<&str>::new());
    let page = admin.get(&format!("/accounts/{acme}/users?tag=math")).await;
    assert!(page.text().contains("badge-new"), "system tags are badges");
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

#[tokio::test]
async fn users_are_edited_and_deleted_after_a_confirmation_step() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let user = json!({
        "first_name": "Ada", "last_name": "Lovelace", "tags": ["math"],
        "voicemail": {"pin": "1234"}, "numbers": ["+15145550100"],
    });
    let ada = app.service().create_user(acme, &input(user)).unwrap().id;
    let device = json!({"mac": "001565004601", "model": "T46S"});
    app.service().create_device(acme, &input(device)).unwrap();
    let mac: Mac = "001565004601".parse().unwrap();
    let line = json!({"user": ada.0});
    app.service()
        .assign_line(mac, Some(1), &input(line))
        .unwrap();
    let mut admin = Visitor::with_token(&app).await;

    let form = admin.get(&format!("/users/{ada}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert_eq!(field_value(&html, "first_name").as_deref(), Some("Ada"));
    assert_eq!(field_value(&html, "tags").as_deref(), Some("math"));
    assert!(
        html.contains("value=\"+15145550100\" checked"),
        "the user's number is ticked"
    );
    let saved = admin
        .post(
            &format!("/users/{ada}"),
            &[
                ("first_name", "Ada"),
                ("last_name", "King"),
                ("voicemail.enabled", "on"),
                ("voicemail.pin", ""),
                ("numbers", "+15145550101"),
            ],
        )
        .await;
    assert_eq!(location(&saved), format!("/users/{ada}"));
    let edited = app.service().user(ada).unwrap();
    assert_eq!(edited.display_name, "Ada King");
    assert!(edited.voicemail.pin_set, "a blank PIN keeps the PIN");
    assert_eq!(edited.numbers, ["+15145550101"]);

    let confirm = admin.get(&format!("/users/{ada}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text().contains("Delete Ada King?") && confirm.text().contains("001565004601"));
    assert!(app.service().user(ada).is_ok(), "asking is not deleting");
    let deleted = admin.post(&format!("/users/{ada}/delete"), &[]).await;
    assert_eq!(location(&deleted), format!("/accounts/{acme}/users"));
    assert!(app.service().user(ada).is_err());
    assert!(app.service().device(mac).unwrap().lines.is_empty());
    let page = admin.get(&format!("/accounts/{acme}/users")).await;
    assert!(page.text().contains("Ada King (extension 100) deleted"));
}

#[tokio::test]
async fn device_lines_are_assigned_renamed_rotated_and_freed() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let bob = json!({"first_name": "Bob"});
    let bob = app.service().create_user(acme, &input(bob)).unwrap().id;
    let carol = json!({"first_name": "Carol"});
    let carol = app.service().create_user(acme, &input(carol)).unwrap().id;
    let mut admin = Visitor::with_token(&app).await;
    let devices = format!("/accounts/{acme}/devices");

    let refused = admin
        .post(&devices, &[("mac", "nope"), ("model", "T46S")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("id=\"e-mac\""));
    assert_eq!(field_value(&refused.text(), "mac").as_deref(), Some("nope"));
    let registered = admin
        .post(&devices, &[("mac", "00-15-65-00-46-01"), ("model", "T46S")])
        .await;
    assert_eq!(location(&registered), "/devices/001565004601");
    let mac: Mac = "001565004601".parse().unwrap();
    let lines = "/devices/001565004601/lines";

    let bob_id = bob.to_string();
    let assigned = admin
        .post(
            lines,
            &[("line", "2"), ("user", &bob_id), ("name", "Front desk")],
        )
        .await;
    assert_eq!(location(&assigned), "/devices/001565004601");
    let line = || app.service().device(mac).unwrap().lines[0].clone();
    assert_eq!((line().line, line().name.as_str()), (2, "Front desk"));
    let carol_id = carol.to_string();
    let taken = admin
        .post(lines, &[("line", "2"), ("user", &carol_id)])
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().contains("line 2 is already assigned"));

    admin
        .post(&format!("{lines}/2/rename"), &[("name", "Lobby")])
        .await;
    assert_eq!(line().name, "Lobby");
    let (username, before) = (line().sip.username, line().sip.password);
    let rotated = admin.post(&format!("{lines}/2/rotate"), &[]).await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    assert_ne!(line().sip.password, before);
    assert_eq!(line().sip.username, username, "the SIP user name stays");
    let freed = admin.post(&format!("{lines}/2/unassign"), &[]).await;
    assert_eq!(freed.status, StatusCode::SEE_OTHER);
    assert!(app.service().device(mac).unwrap().lines.is_empty());

    let refused = admin
        .post("/devices/001565004601/arm", &[("hours", "0")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("must be at least 1"));
    let armed = admin
        .post("/devices/001565004601/arm", &[("hours", "2")])
        .await;
    assert_eq!(armed.status, StatusCode::SEE_OTHER);
    let until = app
        .service()
        .device(mac)
        .unwrap()
        .provisioning
        .armed_until
        .unwrap();
    let window = until.duration_since(jiff::Timestamp::now());
    assert!(
        window.as_secs() > 7000 && window.as_secs() <= 7200,
        "{window:?}"
    );
}

#[tokio::test]
async fn accounts_are_created_and_edited_from_the_form() {
    let app = TestApp::start().await;
    let mut admin = Visitor::with_token(&app).await;
    let form = admin.get("/accounts/new").await;
    assert_eq!(
        field_value(&form.text(), "numbering.ranges").as_deref(),
        Some("100-899")
    );
    let mut fields = vec![
        ("name", "Initech"),
        ("domain", "initech.sip.example.com"),
        ("group_name", "initech"),
        ("registrar.host", "sip.example.com"),
        ("registrar.port", "5061"),
        ("registrar.transport", "tls"),
        ("numbering.min_length", "3"),
        ("numbering.max_length", "4"),
        ("numbering.ranges", "200-299, 2000-2999"),
        ("numbering.reserved", "911"),
        ("language", "fr"),
        ("time_zone", "America/Toronto"),
        ("calling_plans", "local, national"),
        ("default_calling_plan", "local"),
        ("numbers", "+15145550100\r\n+33123456789 1\r\n"),
        ("device_auth", "per_device"),
    ];
    let mut refused_fields = fields.clone();
    refused_fields[1] = ("domain", "not a domain!");
    refused_fields[8] = ("numbering.ranges", "abc");
    let refused = admin.post("/accounts", &refused_fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    for field in ["domain", "numbering.ranges"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "{field}");
    }
    assert_eq!(field_value(&html, "name").as_deref(), Some("Initech"));
    assert!(html.contains("+33123456789 1"), "the pool is kept");

    let created = admin.post("/accounts", &fields).await;
    let path = location(&created).to_owned();
    let id: u64 = path
        .trim_start_matches("/accounts/")
        .trim_end_matches("/users")
        .parse()
        .unwrap();
    let account = app.service().account(AccountId(id)).unwrap();
    assert_eq!(account.numbering.ranges, ["200-299", "2000-2999"]);
    assert_eq!(account.registrar.port, 5061);
    assert_eq!(account.calling_plans, ["local", "national"]);
    let filed: Vec<_> = account
        .numbers
        .iter()
        .map(|n| n.area_code.clone())
        .collect();
    assert_eq!(filed, [Some("514".to_owned()), Some("1".to_owned())]);

    fields[15] = ("device_auth", "account");
    let saved = admin.post(&format!("/accounts/{id}"), &fields).await;
    assert_eq!(location(&saved), format!("/accounts/{id}"));
    let settings = admin.get(&format!("/accounts/{id}")).await;
    assert!(settings.text().contains("Account Initech saved."));
    assert!(
        settings.text().contains(&format!("account{id}")),
        "the account credential"
    );
}

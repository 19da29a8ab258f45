//! Replacing a broken device by a new MAC, through the API and the CLI: the lines move with
//! their SIP credentials (the phone's file and the registrar directory say the same), the
//! new device is armed, the old one is gone, and a refusal writes nothing.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::domain::{AccountId, Mac};
use sipprov::http::{RequestSpec, Response};
use sipprov::service::DeviceView;

use crate::app::{TestApp, acme, input};
use crate::cli::sipprov_with;
use crate::registrar::{send, token};

const OLD: &str = "00:15:65:00:46:01";
const NEW: &str = "00:15:65:00:46:02";
const REALM: &str = "acme.sip.example.com";

/// The acme account and a T46S at `OLD` with Ada on line 1 and Bob on line 3.
pub fn broken_phone(app: &TestApp) -> (AccountId, DeviceView) {
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    let mac: Mac = OLD.parse().unwrap();
    service
        .create_device(
            account,
            &input(json!({"mac": OLD, "model": "T46S", "label": "Desk 4"})),
        )
        .unwrap();
    for (line, name) in [(1, "Ada"), (3, "Bob")] {
        let user = service
            .create_user(account, &input(json!({"first_name": name})))
            .unwrap()
            .id;
        service
            .assign_line(mac, Some(line), &input(json!({"user": user.0})))
            .unwrap();
    }
    (account, service.device(mac).unwrap())
}

/// `POST /api/v1/devices/{mac}/replace` with the first admin token.
async fn replace(app: &TestApp, mac: &str, body: Value) -> Response {
    let path = format!("/api/v1/devices/{mac}/replace");
    let body = Some(("application/json", body.to_string()));
    send(app, Some(&app.token()), Method::POST, &path, body).await
}

/// `GET /{mac}.cfg` as a T46S, without credentials (the hand-off) or with `login`.
async fn fetch(app: &TestApp, mac: &str, login: Option<(&str, &str)>) -> Response {
    use base64::Engine;
    let user_agent = format!("Yealink SIP-T46S 66.86.0.15 {mac}");
    let mac: Mac = mac.parse().unwrap();
    let mut request = RequestSpec::get(format!("/{mac}.cfg")).header("User-Agent", user_agent);
    if let Some((username, password)) = login {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        request = request.header("Authorization", format!("Basic {encoded}"));
    }
    app.phone().send(request).await.unwrap()
}

fn value<'a>(file: &'a str, key: &str) -> Option<&'a str> {
    file.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(" = "))
}

/// The `(line, SIP user, SIP password, name)` of every line of a device.
fn lines(device: &DeviceView) -> Vec<(u16, String, Option<String>, String)> {
    device
        .lines
        .iter()
        .map(|l| {
            (
                l.line,
                l.sip.username.clone(),
                l.sip.password.clone(),
                l.name.clone(),
            )
        })
        .collect()
}

/// The HA1 the registrar directory answers for a SIP user, if any.
async fn ha1(app: &TestApp, registrar: &str, username: &str) -> (StatusCode, Vec<u8>) {
    let path = format!("/registrar/v1/ha1?username={username}&realm={REALM}");
    let answer = send(app, Some(registrar), Method::GET, &path, None).await;
    (answer.status, answer.body.to_vec())
}

#[tokio::test]
async fn a_replaced_device_s_lines_move_with_their_credentials_to_the_new_mac() {
    let app = TestApp::start().await;
    let (_, old) = broken_phone(&app);
    let registrar = token(&app, "registrar", false).await;
    let mut hashes = Vec::new();
    for line in &old.lines {
        let answer = ha1(&app, &registrar, &line.sip.username).await;
        assert_eq!(answer.0, StatusCode::OK);
        hashes.push(answer);
    }
    let old_login = (
        old.provisioning.username.clone(),
        old.provisioning.password.clone(),
    );

    let replaced = replace(&app, OLD, json!({"mac": "0015.6500.4602"})).await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{}", replaced.text());
    let new: Value = serde_json::from_slice(&replaced.body).unwrap();
    assert_eq!(new["mac"], "001565004602");
    assert_eq!(new["model"], "T46S");
    assert_eq!(new["label"], "Desk 4");
    let new = app.service().device(NEW.parse().unwrap()).unwrap();
    assert_eq!(
        lines(&new),
        lines(&old),
        "same numbers, names and SIP credentials"
    );
    assert!(
        new.provisioning.armed_until.is_some(),
        "armed like a new device"
    );
    assert_ne!(new.provisioning.password, old.provisioning.password);
    assert_ne!(new.web.admin.password, old.web.admin.password);

    // The new phone is handed its file, with the old lines, once without credentials.
    let handed = fetch(&app, NEW, None).await;
    assert_eq!(handed.status, StatusCode::OK, "{}", handed.text());
    let file = handed.text();
    for (number, username, password, _) in lines(&old) {
        assert_eq!(
            value(&file, &format!("account.{number}.user_name")),
            Some(username.as_str())
        );
        assert_eq!(
            value(&file, &format!("account.{number}.password")),
            password.as_deref()
        );
    }
    assert_eq!(value(&file, "account.2.enable"), Some("0"), "{file}");
    assert_eq!(
        value(&file, "static.auto_provision.server.password"),
        Some(new.provisioning.password.as_str()),
        "the hand-off gives the new credentials"
    );
    let with_credentials = fetch(
        &app,
        NEW,
        Some((&new.provisioning.username, &new.provisioning.password)),
    )
    .await;
    assert_eq!(with_credentials.status, StatusCode::OK);

    // The old device is gone: the API does not know it, its phone is refused.
    let path = format!("/api/v1/devices/{}", old.mac);
    let gone = send(&app, Some(&app.token()), Method::GET, &path, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let refused = fetch(&app, OLD, Some((&old_login.0, &old_login.1))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        fetch(&app, OLD, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The registrar directory answers the same hashes.
    for (line, before) in old.lines.iter().zip(hashes) {
        assert_eq!(ha1(&app, &registrar, &line.sip.username).await, before);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_refused_replacement_writes_nothing() {
    let app = TestApp::start().await;
    let (account, old) = broken_phone(&app);
    let taken = "00:15:65:00:46:09";
    app.service()
        .create_device(account, &input(json!({"mac": taken, "model": "T46S"})))
        .unwrap();
    let devices = || app.service().devices(account, None, 10).unwrap().items;
    let before: Vec<_> = devices()
        .iter()
        .map(|d| (d.mac, lines(d), d.provisioning.password.clone()))
        .collect();

    for (body, status, field) in [
        (json!({"mac": taken}), StatusCode::CONFLICT, "mac"),
        (
            json!({"mac": NEW, "model": "T21P"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "model",
        ),
        (
            json!({"mac": "001565004601"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mac",
        ),
        (
            json!({"mac": NEW, "model": "T99"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "model",
        ),
        (
            json!({"mac": "not a mac"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mac",
        ),
    ] {
        let answer = replace(&app, OLD, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        assert!(
            answer.text().contains(&format!("\"{field}\"")),
            "{body}: {}",
            answer.text()
        );
    }
    let line_three = replace(&app, OLD, json!({"mac": NEW, "model": "T21P"})).await;
    assert!(
        line_three.text().contains("line 3"),
        "{}",
        line_three.text()
    );
    let after: Vec<_> = devices()
        .iter()
        .map(|d| (d.mac, lines(d), d.provisioning.password.clone()))
        .collect();
    assert_eq!(after, before);
    assert_eq!(
        replace(&app, "001565004699", json!({"mac": NEW}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(app.service().device(NEW.parse().unwrap()).is_err());
    assert_eq!(old.lines.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_cli_replaces_a_device() {
    let app = TestApp::start().await;
    let (_, old) = broken_phone(&app);
    let output = sipprov_with(
        &app,
        &app.token(),
        &["device", "replace", OLD, "--mac", NEW, "--model", "T48S"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("001565004602") && stdout.contains("T48S"),
        "{stdout}"
    );
    let new = app.service().device(NEW.parse().unwrap()).unwrap();
    assert_eq!(lines(&new), lines(&old));
    assert!(app.service().device(OLD.parse().unwrap()).is_err());

    let again = sipprov_with(
        &app,
        &app.token(),
        &["device", "replace", NEW, "--mac", NEW],
    )
    .await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("mac"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    app.stop().await;
}

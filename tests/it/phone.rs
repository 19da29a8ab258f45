//! The phone path over real TLS, acting as Yealink phones with real User-Agents (DESIGN.md
//! §4): the files they fetch, the hand-off, no oracle, throttling, hostile requests.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::json;
use sipprov::domain::{AccountId, Mac, UserId};
use sipprov::http::{RequestSpec, Response};
use sipprov::service::{DeviceView, LineView};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::app::{TestApp, acme, input, logs};

const T46S_UA: &str = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:01";

fn account(app: &TestApp) -> AccountId {
    app.service().create_account(&input(acme())).unwrap().id
}

fn user(app: &TestApp, account: AccountId, value: serde_json::Value) -> UserId {
    app.service()
        .create_user(account, &input(value))
        .unwrap()
        .id
}

fn device(app: &TestApp, account: AccountId, mac: &str, model: &str) -> DeviceView {
    app.service()
        .create_device(account, &input(json!({"mac": mac, "model": model})))
        .unwrap()
}

fn assign(app: &TestApp, mac: &str, line: u16, user: UserId) -> LineView {
    let mac: Mac = mac.parse().unwrap();
    app.service()
        .assign_line(mac, Some(line), &input(json!({"user": user.0})))
        .unwrap()
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// `GET path` as a phone: the User-Agent and, when given, an `Authorization` header.
async fn fetch(
    app: &TestApp,
    path: &str,
    user_agent: &str,
    authorization: Option<&str>,
) -> Response {
    let mut request = RequestSpec::get(path).header("User-Agent", user_agent);
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    app.phone().send(request).await.unwrap()
}

/// Fetches a device file presenting the device's own credentials over Basic.
async fn fetch_as(app: &TestApp, device: &DeviceView, user_agent: &str) -> String {
    let auth = basic(&device.provisioning.username, &device.provisioning.password);
    let response = fetch(
        app,
        &format!("/prov/{}.cfg", device.mac),
        user_agent,
        Some(&auth),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.text().into_owned()
}

fn value<'a>(file: &'a str, key: &str) -> Option<&'a str> {
    file.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(" = "))
}

#[tokio::test]
async fn desk_phones_get_their_lines_and_unused_accounts_cleared() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let ada = user(
        &app,
        acme,
        json!({"first_name": "Ada", "last_name": "Lovelace"}),
    );
    let bob = user(
        &app,
        acme,
        json!({"first_name": "Bob", "voicemail": {"enabled": false}}),
    );
    let carol = user(&app, acme, json!({"first_name": "Carol"}));

    let t46s = device(&app, acme, "00:15:65:00:46:01", "T46S");
    let line = assign(&app, "001565004601", 1, ada);
    let file = fetch_as(&app, &t46s, T46S_UA).await;
    assert!(file.starts_with("#!version:1.0.0.1\n"));
    assert_eq!(value(&file, "account.1.enable"), Some("1"));
    assert_eq!(value(&file, "account.1.label"), Some("Ada Lovelace"));
    assert_eq!(value(&file, "account.1.display_name"), Some("Ada Lovelace"));
    assert_eq!(
        value(&file, "account.1.user_name"),
        Some(line.sip.username.as_str())
    );
    assert_eq!(
        value(&file, "account.1.auth_name"),
        Some(line.sip.username.as_str())
    );
    assert_eq!(
        value(&file, "account.1.password"),
        line.sip.password.as_deref()
    );
    // The line registers as user@domain, through the registrar as its outbound proxy.
    assert_eq!(
        value(&file, "account.1.sip_server.1.address"),
        Some("acme.sip.example.com")
    );
    assert_eq!(value(&file, "account.1.sip_server.1.port"), Some("5060"));
    assert_eq!(
        value(&file, "account.1.sip_server.1.transport_type"),
        Some("0")
    );
    assert_eq!(value(&file, "account.1.sip_server.1.expires"), Some("3600"));
    assert_eq!(value(&file, "account.1.outbound_proxy_enable"), Some("1"));
    assert_eq!(
        value(&file, "account.1.outbound_proxy.1.address"),
        Some("sip.example.com")
    );
    assert_eq!(
        value(&file, "account.1.outbound_proxy.1.port"),
        Some("5060")
    );
    assert_eq!(
        value(&file, "account.1.sip_server.2.address"),
        Some("%NULL%")
    );
    assert_eq!(value(&file, "voice_mail.number.1"), Some("*97"));
    for slot in 2..=16 {
        assert_eq!(
            value(&file, &format!("account.{slot}.enable")),
            Some("0"),
            "slot {slot}"
        );
        assert_eq!(
            value(&file, &format!("account.{slot}.password")),
            Some("%NULL%"),
            "slot {slot}"
        );
    }
    assert!(value(&file, "account.17.enable").is_none());
    assert_eq!(
        value(&file, "static.auto_provision.server.username"),
        Some(t46s.provisioning.username.as_str())
    );
    assert_eq!(
        value(&file, "static.auto_provision.server.password"),
        Some(t46s.provisioning.password.as_str())
    );
    assert_eq!(
        fetch_as(&app, &t46s, T46S_UA).await,
        file,
        "byte-identical on a second fetch"
    );

    let t54w = device(&app, acme, "805ec0d57d72", "T54W");
    for (slot, user) in [(1, ada), (2, bob), (3, carol)] {
        assign(&app, "805ec0d57d72", slot, user);
    }
    let ua = "Yealink SIP-T54W 96.86.0.70 80:5e:c0:d5:7d:72";
    let file = fetch_as(&app, &t54w, ua).await;
    assert_eq!(value(&file, "account.2.label"), Some("Bob"));
    assert_eq!(
        value(&file, "account.2.subscribe_mwi"),
        Some("0"),
        "Bob has no voicemail"
    );
    assert_eq!(value(&file, "account.3.label"), Some("Carol"));
    assert_eq!(value(&file, "account.4.enable"), Some("0"));
    assert_eq!(value(&file, "account.16.enable"), Some("0"));
    assert_eq!(fetch_as(&app, &t54w, ua).await, file);

    let t31g = device(&app, acme, "805ec0d57d73", "T31G");
    assign(&app, "805ec0d57d73", 2, bob);
    let ua = "Yealink SIP-T31G 124.85.257.55 80:5e:c0:d5:7d:73";
    let file = fetch_as(&app, &t31g, ua).await;
    assert_eq!(value(&file, "account.1.enable"), Some("0"));
    assert_eq!(value(&file, "account.2.enable"), Some("1"));
    assert!(
        value(&file, "account.3.enable").is_none(),
        "a T31G has two accounts"
    );
    assert_eq!(fetch_as(&app, &t31g, ua).await, file);

    // The model's common file, fetched without credentials, holds nothing secret.
    let common = fetch(&app, "/prov/y000000000066.cfg", T46S_UA, None).await;
    assert_eq!(common.status, StatusCode::OK);
    assert!(common.text().starts_with("#!version:1.0.0.1\n"));
    assert!(!common.text().contains(&t46s.provisioning.password));
    assert!(!common.text().contains("account."));
    app.stop().await;
}

#[tokio::test]
async fn dect_bases_map_each_handset_to_its_line() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let names = ["Ada", "Bob", "Carol"];
    let w60b = device(&app, acme, "805ec009abdc", "W60B");
    for (slot, name) in (1..).zip(names) {
        let id = user(&app, acme, json!({"first_name": name}));
        assign(&app, "805ec009abdc", slot, id);
    }
    let ua = "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc";
    let file = fetch_as(&app, &w60b, ua).await;
    for (slot, name) in (1..).zip(names) {
        assert_eq!(value(&file, &format!("account.{slot}.enable")), Some("1"));
        assert_eq!(value(&file, &format!("handset.{slot}.name")), Some(name));
        assert_eq!(
            value(&file, &format!("handset.{slot}.incoming_lines")),
            Some(slot.to_string().as_str())
        );
        assert_eq!(
            value(&file, &format!("handset.{slot}.dial_out_lines")),
            Some(slot.to_string().as_str())
        );
        assert_eq!(
            value(&file, &format!("handset.{slot}.dial_out_default_line")),
            Some(slot.to_string().as_str())
        );
    }
    for slot in 4..=8 {
        assert_eq!(value(&file, &format!("account.{slot}.enable")), Some("0"));
        assert_eq!(
            value(&file, &format!("handset.{slot}.name")),
            Some("%NULL%")
        );
    }
    assert!(
        value(&file, "lang.gui").is_none(),
        "DECT bases have no lang.gui"
    );
    assert_eq!(fetch_as(&app, &w60b, ua).await, file);

    let w52p = device(&app, acme, "001565b86005", "W52P");
    let solo = user(&app, acme, json!({"first_name": "Dora"}));
    assign(&app, "001565b86005", 1, solo);
    let ua = "Yealink W52P 25.80.0.15 00:15:65:b8:60:05";
    let file = fetch_as(&app, &w52p, ua).await;
    assert_eq!(value(&file, "handset.1.name"), Some("Dora"));
    assert_eq!(value(&file, "account.5.enable"), Some("0"));
    assert!(
        value(&file, "account.6.enable").is_none(),
        "a W52P has five accounts"
    );
    // Base firmware 25.80 reads its provisioning keys without `static.`.
    assert_eq!(
        value(&file, "auto_provision.server.username"),
        Some(w52p.provisioning.username.as_str())
    );
    assert!(value(&file, "static.auto_provision.server.username").is_none());
    let common = fetch(&app, "/y000000000025.cfg", ua, None).await;
    assert_eq!(common.status, StatusCode::OK);

    // A multi-cell manager: the account registers through SIP server template 1.
    let w80dm = device(&app, acme, "249ad8d1a631", "W80DM");
    let eve = user(&app, acme, json!({"first_name": "Eve"}));
    assign(&app, "249ad8d1a631", 3, eve);
    let ua = "Yealink W80DM 103.83.0.122 24:9a:d8:d1:a6:31";
    let file = fetch_as(&app, &w80dm, ua).await;
    assert_eq!(value(&file, "account.3.sip_server.template"), Some("1"));
    assert_eq!(
        value(&file, "template.1.sip_server.1.address"),
        Some("acme.sip.example.com")
    );
    assert_eq!(value(&file, "template.1.outbound.enable"), Some("1"));
    assert_eq!(value(&file, "template.2.name"), Some("%NULL%"));
    assert!(value(&file, "account.3.sip_server.1.address").is_none());
    assert_eq!(value(&file, "account.100.enable"), Some("0"));
    app.stop().await;
}

#[tokio::test]
async fn the_user_on_line_one_sets_language_and_time_zone() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let t46s = device(&app, acme, "001565004601", "T46S");
    let file = fetch_as(&app, &t46s, T46S_UA).await;
    assert_eq!(
        value(&file, "lang.gui"),
        Some("English"),
        "the account's language without lines"
    );
    assert_eq!(
        value(&file, "local_time.time_zone_name"),
        Some("United States-Eastern Time")
    );
    let zoe = user(
        &app,
        acme,
        json!({"first_name": "Zoé", "language": "fr", "time_zone": "Europe/Paris"}),
    );
    assign(&app, "001565004601", 1, zoe);
    let file = fetch_as(&app, &t46s, T46S_UA).await;
    assert_eq!(value(&file, "lang.gui"), Some("French"));
    assert_eq!(value(&file, "lang.wui"), Some("French"));
    assert_eq!(value(&file, "local_time.time_zone"), Some("+1"));
    assert_eq!(
        value(&file, "local_time.time_zone_name"),
        Some("France(Paris)")
    );
    assert_eq!(value(&file, "local_time.summer_time"), Some("2"));
    assert_eq!(value(&file, "account.1.label"), Some("Zoé"));
    app.stop().await;
}

#[tokio::test]
async fn a_new_device_is_handed_its_credentials_once_and_can_be_re_armed() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let t46s = device(&app, acme, "001565004601", "T46S");
    let first = fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "an armed device fetches once without credentials"
    );
    let password = value(&first.text(), "static.auto_provision.server.password").map(str::to_owned);
    assert_eq!(
        password.as_deref(),
        Some(t46s.provisioning.password.as_str())
    );
    let second = fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    assert_eq!(
        second.status,
        StatusCode::UNAUTHORIZED,
        "the hand-off works once"
    );
    assert_eq!(
        fetch_as(&app, &t46s, T46S_UA).await,
        first.text(),
        "with its credentials it keeps working"
    );
    let mac: Mac = "001565004601".parse().unwrap();
    let view = app.service().device(mac).unwrap();
    assert_eq!(
        view.provisioning.refused_attempts, 1,
        "the refused attempt is flagged"
    );
    assert!(view.last_fetch.is_some());

    app.service().arm_device(mac, &input(json!({}))).unwrap();
    let factory_reset = fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    assert_eq!(factory_reset.status, StatusCode::OK, "re-armed");
    assert_eq!(
        fetch(&app, "/001565004601.cfg", T46S_UA, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn a_device_authenticates_with_digest() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let t46s = device(&app, acme, "001565004601", "T46S");
    let path = "/001565004601.cfg";
    let challenge = fetch(&app, path, T46S_UA, Some(&basic("001565004601", "wrong"))).await;
    assert_eq!(challenge.status, StatusCode::UNAUTHORIZED);
    let nonce = &digest_nonce(&challenge);
    let ha1 = sipprov::secret::ha1(
        &t46s.provisioning.username,
        "sipprov",
        &t46s.provisioning.password,
    );
    let ha2 = sipprov::secret::md5_hex(&format!("GET:{path}"));
    let response = sipprov::secret::md5_hex(&format!("{ha1}:{nonce}:00000001:0a4f113b:auth:{ha2}"));
    let authorization = format!(
        "Digest username=\"{}\", realm=\"sipprov\", nonce=\"{nonce}\", uri=\"{path}\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"{response}\"",
        t46s.provisioning.username
    );
    let answer = fetch(&app, path, T46S_UA, Some(&authorization)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let wrong = authorization.replace(&response, &"0".repeat(32));
    assert_eq!(
        fetch(&app, path, T46S_UA, Some(&wrong)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The same header again — a captured answer replayed — is refused, every time.
    for _ in 0..3 {
        let replayed = fetch(&app, path, T46S_UA, Some(&authorization)).await;
        assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
        assert!(replayed.body.is_empty(), "no file for a replay");
    }
    // The phone's next count on the same nonce, and a fresh nonce, are served.
    let next = |nonce: &str, nc: &str| {
        let response = sipprov::secret::md5_hex(&format!("{ha1}:{nonce}:{nc}:0a4f113b:auth:{ha2}"));
        format!(
            "Digest username=\"{}\", realm=\"sipprov\", nonce=\"{nonce}\", uri=\"{path}\", qop=auth, nc={nc}, cnonce=\"0a4f113b\", response=\"{response}\"",
            t46s.provisioning.username
        )
    };
    let counted = fetch(&app, path, T46S_UA, Some(&next(nonce, "00000002"))).await;
    assert_eq!(counted.status, StatusCode::OK);
    let refused = fetch(&app, path, T46S_UA, Some(&authorization)).await;
    let fresh = digest_nonce(&refused);
    assert_ne!(&fresh, nonce);
    let served = fetch(&app, path, T46S_UA, Some(&next(&fresh, "00000001"))).await;
    assert_eq!(served.status, StatusCode::OK);
    let audit = app
        .service()
        .device_audit("001565004601".parse().unwrap(), 10)
        .unwrap();
    let outcomes: Vec<String> = audit
        .iter()
        .map(|fetch| {
            serde_json::to_value(fetch).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "replayed").count(),
        4,
        "{outcomes:?}"
    );
    app.stop().await;
}

/// The nonce of a 401's Digest challenge.
fn digest_nonce(challenge: &Response) -> String {
    let digest = challenge
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("Digest"))
        .unwrap();
    digest
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// The parts of a 401 an attacker can compare: status, header names and values (the Digest
/// nonce blanked), body.
fn comparable(response: &Response) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| {
            let value = value.to_str().unwrap();
            let blanked = match value.split_once("nonce=\"") {
                Some((before, after)) => format!(
                    "{before}nonce=\"…\"{}",
                    &after[after.find('"').unwrap() + 1..]
                ),
                None => value.to_owned(),
            };
            (name.to_string(), blanked)
        })
        .collect();
    headers.sort();
    (response.status, headers, response.body.to_vec())
}

#[tokio::test]
async fn unknown_macs_and_wrong_passwords_are_indistinguishable() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let known = device(&app, acme, "001565004601", "T46S");
    fetch_as(&app, &known, T46S_UA).await; // disarm: a handed-off device refuses the same way
    let wrong_password = fetch(
        &app,
        "/001565004601.cfg",
        T46S_UA,
        Some(&basic("001565004601", "guess")),
    )
    .await;
    let unknown_ua = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:02";
    let unknown_mac = fetch(
        &app,
        "/001565004602.cfg",
        unknown_ua,
        Some(&basic("001565004602", "guess")),
    )
    .await;
    let no_credentials_known = fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    let no_credentials_unknown = fetch(&app, "/001565004602.cfg", unknown_ua, None).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong_password
            .headers
            .get_all("www-authenticate")
            .iter()
            .count(),
        2,
        "Digest and Basic offered"
    );
    assert!(wrong_password.body.is_empty());
    for other in [&unknown_mac, &no_credentials_known, &no_credentials_unknown] {
        assert_eq!(comparable(other), comparable(&wrong_password));
    }
    let unclaimed = app.service().unclaimed_devices().unwrap();
    assert_eq!(unclaimed.len(), 1);
    assert_eq!(unclaimed[0].mac.to_string(), "001565004602");
    assert_eq!(unclaimed[0].model.as_deref(), Some("T46S"));
    assert_eq!(unclaimed[0].firmware.as_deref(), Some("66.86.0.15"));

    let mismatch = fetch(
        &app,
        "/001565004601.cfg",
        unknown_ua,
        Some(&basic(
            &known.provisioning.username,
            &known.provisioning.password,
        )),
    )
    .await;
    assert_eq!(
        mismatch.status,
        StatusCode::FORBIDDEN,
        "the User-Agent names another MAC"
    );
    let unknown_mismatch = fetch(
        &app,
        "/001565004603.cfg",
        unknown_ua,
        Some(&basic("001565004603", "guess")),
    )
    .await;
    assert_eq!(
        comparable(&unknown_mismatch),
        comparable(&mismatch),
        "the same 403 for a MAC that does not exist"
    );
    assert_eq!(
        app.service().unclaimed_devices().unwrap().len(),
        1,
        "a mismatched request claims nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_scanning_address_is_throttled_while_genuine_phones_behind_it_are_served() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let genuine = device(&app, acme, "001565004601", "T46S");
    let mut statuses = Vec::new();
    for i in 0..200u32 {
        let mac = format!("0015650{:05x}", 0x10000 + i);
        let ua = format!("Yealink SIP-T46S 66.86.0.15 {mac}");
        statuses.push(
            fetch(
                &app,
                &format!("/{mac}.cfg"),
                &ua,
                Some(&basic(&mac, "guess")),
            )
            .await
            .status,
        );
    }
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[199], StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled >= 150, "{throttled} of 200 throttled");
    let unauthenticated = fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    assert_eq!(
        unauthenticated.status,
        StatusCode::TOO_MANY_REQUESTS,
        "no hand-off from a throttled address"
    );
    let file = fetch_as(&app, &genuine, T46S_UA).await;
    assert!(
        file.contains("account.1.enable"),
        "the genuine phone behind the same NAT is served"
    );
    let common = fetch(&app, "/y000000000066.cfg", T46S_UA, None).await;
    assert_eq!(
        common.status,
        StatusCode::OK,
        "common files are never throttled"
    );
    app.stop().await;
}

#[tokio::test]
async fn head_and_entity_tags() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let t46s = device(&app, acme, "001565004601", "T46S");
    let auth = basic(&t46s.provisioning.username, &t46s.provisioning.password);
    let full = fetch(&app, "/001565004601.cfg", T46S_UA, Some(&auth)).await;
    assert_eq!(full.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(full.headers["cache-control"], "no-store");
    let etag = full.headers["etag"].to_str().unwrap().to_owned();
    let request = RequestSpec::new(http::Method::HEAD, "/001565004601.cfg")
        .header("User-Agent", T46S_UA)
        .header("Authorization", &auth);
    let head = app.phone().send(request).await.unwrap();
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.headers["etag"], etag.as_str());
    assert_eq!(
        head.headers["content-length"],
        full.body.len().to_string().as_str()
    );
    let request = RequestSpec::get("/001565004601.cfg")
        .header("User-Agent", T46S_UA)
        .header("Authorization", &auth)
        .header("If-None-Match", &etag);
    let unchanged = app.phone().send(request).await.unwrap();
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn hostile_requests_are_refused_and_the_server_keeps_serving() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let t46s = device(&app, acme, "001565004601", "T46S");
    for path in [
        "/../../etc/passwd",
        "/%2e%2e%2f",
        "/%2e%2e%2fetc%2fpasswd",
        "/prov/..%2f..%2fCargo.toml",
        "/",
    ] {
        let response = fetch(&app, path, T46S_UA, None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(response.body.is_empty(), "{path}");
    }
    let long = fetch(&app, &format!("/{}.cfg", "a".repeat(10_000)), T46S_UA, None).await;
    assert!(
        long.status == StatusCode::URI_TOO_LONG
            || long.status == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{}",
        long.status
    );
    let big_header = app
        .phone()
        .send(RequestSpec::get("/y000000000066.cfg").header("X-Padding", "x".repeat(64 * 1024)))
        .await;
    assert!(big_header.map_or(true, |r| r.status
        == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    let method = app
        .phone()
        .send(RequestSpec::new(
            http::Method::from_bytes(b"BREW").unwrap(),
            "/001565004601.cfg",
        ))
        .await
        .unwrap();
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    let put = app
        .phone()
        .send(RequestSpec::new(http::Method::PUT, "/001565004601.cfg").body("x"))
        .await
        .unwrap();
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);

    // A client that opens a connection and sends nothing is cut off (after the 10 s head
    // deadline of the default limits); meanwhile everyone else is served.
    let mut silent = tokio::net::TcpStream::connect(app.phone_address())
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    let cut = tokio::time::timeout(Duration::from_secs(15), silent.read(&mut buffer)).await;
    assert!(
        matches!(cut, Ok(Ok(0)) | Ok(Err(_))),
        "the silent client is disconnected"
    );
    let _ = silent.write_all(b"GET / HTTP/1.1\r\n\r\n").await;

    assert!(
        fetch_as(&app, &t46s, T46S_UA)
            .await
            .contains("#!version:1.0.0.1"),
        "server unharmed"
    );
    app.stop().await;
}

#[tokio::test]
async fn no_password_reaches_the_log() {
    let app = TestApp::start().await;
    let acme = account(&app);
    let ada = user(&app, acme, json!({"first_name": "Ada"}));
    let t46s = device(&app, acme, "001565004601", "T46S");
    let line = assign(&app, "001565004601", 1, ada);
    fetch(&app, "/001565004601.cfg", T46S_UA, None).await;
    fetch_as(&app, &t46s, T46S_UA).await;
    fetch(
        &app,
        "/001565004601.cfg",
        T46S_UA,
        Some(&basic("001565004601", "guess-password")),
    )
    .await;
    let logs = logs();
    assert!(logs.contains("phone fetch"), "the fetches were logged");
    for secret in [
        t46s.provisioning.password.as_str(),
        line.sip.password.as_deref().unwrap(),
        "guess-password",
        &app.token(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_account_wide_credential_serves_every_device_of_the_account() {
    let app = TestApp::start().await;
    let mut account = acme();
    account["device_auth"] = json!("account");
    let view = app.service().create_account(&input(account)).unwrap();
    let shared = view.provisioning.unwrap();
    let t46s = device(&app, view.id, "001565004601", "T46S");
    assert_eq!(t46s.provisioning.mode, "account");
    let own = basic(&t46s.mac.to_string(), &t46s.provisioning.password);
    assert_eq!(
        t46s.provisioning.password, shared.password,
        "the device shows the shared credential"
    );
    let file = fetch(
        &app,
        "/001565004601.cfg",
        T46S_UA,
        Some(&basic(&shared.username, &shared.password)),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(
        value(&file.text(), "static.auto_provision.server.username"),
        Some(shared.username.as_str())
    );
    // The device's own credential, shown when the account switches to per-device mode,
    // does not apply while the account-wide one is in force — and the reverse.
    let per_device_mode = app
        .service()
        .update_account(view.id, &input(json!({"device_auth": "per_device"})))
        .unwrap();
    assert!(per_device_mode.provisioning.is_none());
    let own_view = app
        .service()
        .device("001565004601".parse().unwrap())
        .unwrap();
    let per_device = basic(
        &own_view.provisioning.username,
        &own_view.provisioning.password,
    );
    assert_ne!(per_device, own);
    assert_eq!(
        fetch(&app, "/001565004601.cfg", T46S_UA, Some(&per_device))
            .await
            .status,
        StatusCode::OK
    );
    let shared_auth = basic(&shared.username, &shared.password);
    assert_eq!(
        fetch(&app, "/001565004601.cfg", T46S_UA, Some(&shared_auth))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.service()
        .update_account(view.id, &input(json!({"device_auth": "account"})))
        .unwrap();
    let refused = fetch(&app, "/001565004601.cfg", T46S_UA, Some(&per_device)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "the device's own credential does not apply"
    );
    app.stop().await;
}

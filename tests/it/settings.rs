//! Phone settings with inheritance, through the API and the CLI, as an admin sets them and
//! as a phone gets them: provider < account < profile < device, each value traced to its
//! level, raw keys sipprov owns refused at every level with nothing written.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::{TestApp, acme};
use crate::registrar::send;

const MAC: &str = "001565004801";
const UA: &str = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:48:01";

/// `METHOD path` with a JSON body as the first admin; status and JSON answer.
async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let body = body.map(|b| ("application/json", b.to_string()));
    let response = send(app, Some(&app.token()), method, path, body).await;
    let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, value)
}

/// An account on a TLS registrar with one user on line 1 of a T46S; the account's id.
async fn provision(app: &TestApp) -> u64 {
    let mut account = acme();
    account["registrar"] = json!({"host": "sip.example.com", "transport": "tls"});
    account["time_zone"] = json!("America/Toronto");
    let (status, account) = api(app, Method::POST, "/api/v1/accounts", Some(account)).await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_u64().unwrap();
    let user = json!({"first_name": "Ada", "language": "fr", "voicemail": {"enabled": true},
        "device": {"mac": MAC, "model": "T46S"}});
    let (status, user) = api(
        app,
        Method::POST,
        &format!("/api/v1/accounts/{id}/users"),
        Some(user),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    id
}

async fn served_file(app: &TestApp) -> String {
    app.device_file(MAC, UA).await
}

fn has(file: &str, line: &str) -> bool {
    file.lines().any(|l| l == line)
}

#[tokio::test]
async fn each_level_overrides_the_one_below_and_says_so() {
    let app = TestApp::start().await;
    let account = provision(&app).await;
    let (status, shown) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/accounts/{account}"),
        Some(json!({
            "settings": {"codecs": ["g722", "pcmu"], "srtp": "optional", "voicemail_number": "*98",
                "raw": {"features.dnd.allow": "0", "phone_setting.backlight_time": "60"}}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["settings"]["srtp"], "optional");
    let (status, profile) = api(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{account}/profiles"),
        Some(json!({
            "name": "reception",
            "settings": {"vlan_id": 20, "vlan_priority": 5, "raw": {"features.dnd.allow": "1"}}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{profile}");
    let (status, device) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/devices/{MAC}"),
        Some(json!({
            "profile": "reception",
            "settings": {"codecs": ["opus", "g722"], "trust_control": true}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{device}");
    assert_eq!(device["profile"], "reception");

    let (status, effective) = api(
        &app,
        Method::GET,
        &format!("/api/v1/devices/{MAC}/settings"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let from = |section: &str, name: &str| {
        let sourced = &effective[section][name];
        match sourced["profile"].as_str() {
            Some(profile) => format!("profile {profile}"),
            None => sourced["source"].as_str().unwrap().to_owned(),
        }
    };
    assert_eq!(
        effective["settings"]["codecs"]["value"],
        json!(["opus", "g722"])
    );
    assert_eq!(from("settings", "codecs"), "device");
    assert_eq!(from("settings", "srtp"), "account");
    assert_eq!(from("settings", "vlan_id"), "profile reception");
    assert_eq!(from("settings", "voicemail_number"), "account");
    assert_eq!(from("settings", "web_passwords"), "default");
    assert_eq!(effective["settings"]["tone_country"]["value"], "CA");
    assert_eq!(from("settings", "tone_country"), "time_zone");
    assert_eq!(effective["raw"]["features.dnd.allow"]["value"], "1");
    assert_eq!(from("raw", "features.dnd.allow"), "profile reception");
    assert_eq!(from("raw", "phone_setting.backlight_time"), "account");

    // What the phone gets.
    let file = served_file(&app).await;
    for line in [
        "account.1.codec.opus.priority = 1",
        "account.1.codec.g722.priority = 2",
        "account.1.codec.pcmu.enable = 0",
        "account.1.srtp_encryption = 1",
        "sip.trust_ctrl = 1",
        "static.network.vlan.internet_port_vid = 20",
        "static.network.vlan.internet_port_priority = 5",
        "voice_mail.number.1 = *98",
        "features.dnd.allow = 1",
        "phone_setting.backlight_time = 60",
        // A French speaker in Toronto hears North American tones.
        "lang.gui = French",
        "voice.tone.country = United States",
    ] {
        assert!(has(&file, line), "{line} missing from\n{file}");
    }
    assert!(file.contains("## Setting codecs, from device."));
    assert!(file.contains("## Setting vlan_id, from profile reception."));

    // The preview is that file, every secret masked.
    let preview = send(
        &app,
        Some(&app.token()),
        Method::GET,
        &format!("/api/v1/devices/{MAC}/preview"),
        None,
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK);
    let preview = preview.text().into_owned();
    let device = app.service().device(MAC.parse().unwrap()).unwrap();
    let mut unmasked = file.clone();
    for secret in [
        device.provisioning.password.clone(),
        device.lines[0].sip.password.clone().unwrap(),
        device.web.admin.password.clone().unwrap(),
        device.web.user.password.clone().unwrap(),
    ] {
        assert!(!preview.contains(&secret), "a secret in the preview");
        unmasked = unmasked.replace(&secret, "********");
    }
    let without_url = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with("static.auto_provision.server.url"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_url(&preview), without_url(&unmasked));

    // Clearing the device's codecs brings back the account's.
    let (status, _) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/devices/{MAC}"),
        Some(json!({"settings": {"codecs": null}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let file = served_file(&app).await;
    assert!(has(&file, "account.1.codec.g722.priority = 1"));

    // The CLI shows the same sources.
    let shown = crate::cli::sipprov_with(&app, &app.token(), &["settings", "show", MAC]).await;
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("profile reception") && shown.contains("time_zone"),
        "{shown}"
    );

    // A profile in use cannot be deleted; once no device uses it, it can.
    let path = format!("/api/v1/accounts/{account}/profiles/reception");
    let (status, refusal) = api(&app, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    let (status, _) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/devices/{MAC}"),
        Some(json!({"profile": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api(&app, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn raw_keys_sipprov_owns_are_refused_at_every_level_and_nothing_is_written() {
    let app = TestApp::start().await;
    let account = provision(&app).await;
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{account}/profiles"),
        Some(json!({"name": "desk"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let owned = [
        "account.1.password",
        "account.2.sip_server.1.address",
        "static.auto_provision.server.url",
        "static.security.user_password",
        "linekey.1.type",
    ];
    for key in owned {
        let settings =
            json!({"settings": {"srtp": "off", "raw": {key: "x", "features.dnd.allow": "0"}}});
        let mut named = json!({"name": "other"});
        named["settings"] = settings["settings"].clone();
        for (method, path, body) in [
            (
                Method::PATCH,
                format!("/api/v1/accounts/{account}"),
                settings.clone(),
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{account}/profiles"),
                named,
            ),
            (
                Method::PATCH,
                format!("/api/v1/accounts/{account}/profiles/desk"),
                settings.clone(),
            ),
            (
                Method::PATCH,
                format!("/api/v1/devices/{MAC}"),
                settings.clone(),
            ),
        ] {
            let (status, refusal) = api(&app, method.clone(), &path, Some(body)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} {key}"
            );
            let field = format!("settings.raw.{key}");
            let message = refusal["error"]["fields"][&field]
                .as_str()
                .unwrap_or_default();
            assert!(
                message.contains("set by sipprov"),
                "{method} {path}: {refusal}"
            );
        }
    }
    // A key outside the grammar, a control character, SRTP required on a UDP registrar.
    let (status, refusal) = api(&app, Method::PATCH, &format!("/api/v1/devices/{MAC}"), Some(json!({
        "settings": {"raw": {"Bad Key": "1", "features.dnd.allow": "0\nstatic.auto_provision.server.url = x"}}
    }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &refusal["error"]["fields"];
    assert!(
        fields["settings.raw.Bad Key"].is_string()
            && fields["settings.raw.features.dnd.allow"].is_string(),
        "{refusal}"
    );

    // Nothing was written anywhere.
    let (_, shown) = api(
        &app,
        Method::GET,
        &format!("/api/v1/accounts/{account}"),
        None,
    )
    .await;
    assert_eq!(shown["settings"], json!({}), "{shown}");
    assert_eq!(shown["profiles"], json!(["desk"]));
    let (_, profile) = api(
        &app,
        Method::GET,
        &format!("/api/v1/accounts/{account}/profiles/desk"),
        None,
    )
    .await;
    assert_eq!(profile["settings"], json!({}));
    let (_, device) = api(&app, Method::GET, &format!("/api/v1/devices/{MAC}"), None).await;
    assert_eq!(device["settings"], json!({}));

    // The CLI is refused the same way, naming the key.
    let out = crate::cli::sipprov_with(
        &app,
        &app.token(),
        &[
            "settings",
            "set",
            "--account",
            &account.to_string(),
            "--raw",
            "static.auto_provision.server.url=https://evil.example.com/",
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("settings.raw.static.auto_provision.server.url"),
        "{stderr}"
    );
    let out = crate::cli::sipprov_with(
        &app,
        &app.token(),
        &[
            "settings",
            "set",
            "--profile",
            &format!("{account}/desk"),
            "--set",
            "codecs=g722,opus",
            "--raw",
            "features.dnd.allow=0",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, profile) = api(
        &app,
        Method::GET,
        &format!("/api/v1/accounts/{account}/profiles/desk"),
        None,
    )
    .await;
    assert_eq!(profile["settings"]["codecs"], json!(["g722", "opus"]));

    let mut udp = acme();
    udp["domain"] = json!("udp.example.com");
    udp["numbers"] = json!([]);
    let (_, udp) = api(&app, Method::POST, "/api/v1/accounts", Some(udp)).await;
    let (status, refusal) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/accounts/{}", udp["id"]),
        Some(json!({"settings": {"srtp": "required"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");
    let message = refusal["error"]["fields"]["settings.srtp"].as_str();
    assert!(message.is_some_and(|m| m.contains("TLS")), "{refusal}");
    app.stop().await;
}

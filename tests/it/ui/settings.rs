//! Phone settings through the web UI over HTTP: the account's settings, a device profile and
//! a device's own settings set from their forms, the device's effective settings with the
//! level of each value, the masked preview of its file, raw keys sipprov owns refused at
//! each level with nothing written, a profile in use kept, and who reaches these pages.

use http::StatusCode;
use serde_json::json;
use sipprov::domain::Mac;

use super::{Visitor, account, location, other_account, portal_user};
use crate::app::{TestApp, acme, input};

const MAC: &str = "001565004901";

/// The row of the effective settings table for `id` (`effective-vlan_id`).
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in\n{html}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

/// The refusal shown beside a field.
fn error_of<'a>(html: &'a str, field: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"e-{field}\""))
        .unwrap_or_else(|| panic!("no error beside {field} in\n{html}"));
    let end = start + html[start..].find("</p>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn settings_set_at_each_level_show_on_the_device_with_their_source() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let ada = json!({"first_name": "Ada", "device": {"mac": MAC, "model": "T46S"}});
    app.service().create_user(acme, &input(ada)).unwrap();
    let mac: Mac = MAC.parse().unwrap();
    let mut admin = Visitor::with_token(&app).await;
    let settings = format!("/accounts/{acme}/phone-settings");

    let page = admin.get(&settings).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("name=\"settings.codecs\""));
    let raw = "features.dnd.allow = 0\nphone_setting.backlight_time = 60";
    let saved = admin
        .post(
            &settings,
            &[
                ("settings.codecs", "g722, pcmu"),
                ("settings.dtmf", "rfc2833"),
                ("settings.trust_control", "on"),
                ("settings.raw", raw),
            ],
        )
        .await;
    assert_eq!(location(&saved), settings);
    let stored = app.service().account(acme).unwrap().settings;
    assert_eq!(stored.trust_control, Some(true));
    assert_eq!(stored.raw.len(), 2);
    // The form shows the level again; a key taken out of the textarea is removed.
    let page = admin.get(&settings).await.text().into_owned();
    assert!(page.contains("phone_setting.backlight_time = 60"), "{page}");
    let saved = admin
        .post(
            &settings,
            &[
                ("settings.codecs", "g722, pcmu"),
                ("settings.raw", "features.dnd.allow = 0"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let stored = app.service().account(acme).unwrap().settings;
    assert_eq!(
        stored.raw.keys().collect::<Vec<_>>(),
        ["features.dnd.allow"]
    );
    assert_eq!(stored.trust_control, None, "an empty field inherits");

    let created = admin
        .post(
            &format!("/accounts/{acme}/profiles"),
            &[
                ("name", "reception"),
                ("settings.vlan_id", "20"),
                ("settings.raw", "features.dnd.allow = 1"),
            ],
        )
        .await;
    assert_eq!(
        location(&created),
        format!("/accounts/{acme}/profiles/reception")
    );
    let device = format!("/devices/{MAC}");
    let assigned = admin
        .post(&format!("{device}/profile"), &[("profile", "reception")])
        .await;
    assert_eq!(location(&assigned), format!("{device}/settings"));
    let own = admin
        .post(
            &format!("{device}/settings"),
            &[
                ("settings.tone_country", "CA"),
                ("settings.dial_plan", "1xxx\r\n2xxx"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.text());
    assert_eq!(
        app.service().device(mac).unwrap().profile.as_deref(),
        Some("reception")
    );

    let page = admin
        .get(&format!("{device}/settings"))
        .await
        .text()
        .into_owned();
    for (id, value, source) in [
        ("effective-codecs", "g722, pcmu", "account"),
        ("effective-vlan_id", "20", "profile reception"),
        ("effective-tone_country", "CA", "device"),
        ("effective-dial_plan", "1xxx, 2xxx", "device"),
        ("effective-voicemail_number", "*97", "default"),
        ("effective-raw-features.dnd.allow", "1", "profile reception"),
    ] {
        let row = row(&page, id);
        assert!(row.contains(value) && row.contains(source), "{row}");
    }
    let preview = admin.get(&format!("{device}/preview")).await;
    assert_eq!(preview.status, StatusCode::OK);
    let preview = preview.text();
    assert!(preview.contains("features.dnd.allow = 1"), "{preview}");
    assert!(preview.contains("account.1.codec.g722.priority = 1"));
    let password = app.service().device(mac).unwrap().lines[0]
        .sip
        .password
        .clone()
        .expect("an admin service reads secrets");
    assert!(!preview.contains(&password), "secrets are masked");
}

#[tokio::test]
async fn raw_keys_sipprov_owns_are_refused_beside_the_field_at_each_level() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let ada = json!({"first_name": "Ada", "device": {"mac": MAC, "model": "T46S"}});
    app.service().create_user(acme, &input(ada)).unwrap();
    app.service()
        .create_profile(acme, &input(json!({"name": "reception"})))
        .unwrap();
    let mut admin = Visitor::with_token(&app).await;
    let levels = [
        format!("/accounts/{acme}/phone-settings"),
        format!("/accounts/{acme}/profiles/reception"),
        format!("/devices/{MAC}/settings"),
    ];
    for (path, key) in levels.iter().zip([
        "account.1.password",
        "static.auto_provision.server.url",
        "account.2.user_name",
    ]) {
        let raw = format!("features.dnd.allow = 0\n{key} = https://evil.example.com/");
        let refused = admin
            .post(path, &[("settings.vlan_id", "30"), ("settings.raw", &raw)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let html = refused.text();
        let error = error_of(&html, "settings.raw");
        assert!(error.contains(key), "{path}: {error}");
        assert!(
            html.contains("evil.example.com/</textarea>"),
            "typed values come back"
        );
        assert!(html.contains("value=\"30\""));
    }
    let mac: Mac = MAC.parse().unwrap();
    assert!(app.service().account(acme).unwrap().settings.is_empty());
    assert!(
        app.service()
            .profile(acme, "reception")
            .unwrap()
            .settings
            .is_empty()
    );
    assert!(app.service().device(mac).unwrap().settings.is_empty());

    let refused = admin
        .post(
            &levels[2],
            &[
                ("settings.nat_keepalive", "soon"),
                ("settings.srtp", "required"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&refused.text(), "settings.nat_keepalive").contains("whole number"));
}

#[tokio::test]
async fn a_profile_in_use_is_kept_and_only_admins_of_the_account_reach_the_pages() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let globex = account(&app, other_account());
    let ada = json!({"first_name": "Ada", "device": {"mac": MAC, "model": "T46S"}});
    app.service().create_user(acme, &input(ada)).unwrap();
    app.service()
        .create_profile(acme, &input(json!({"name": "reception"})))
        .unwrap();
    let mac: Mac = MAC.parse().unwrap();
    app.service()
        .update_device(mac, &input(json!({"profile": "reception"})))
        .unwrap();
    let mut admin = Visitor::with_token(&app).await;
    admin.get(&format!("/accounts/{acme}/phone-settings")).await;
    let delete = format!("/accounts/{acme}/profiles/reception/delete");
    let refused = admin.post(&delete, &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(error_of(&refused.text(), "profile-reception").contains("use the profile"));
    admin
        .post(&format!("/devices/{MAC}/profile"), &[("profile", "")])
        .await;
    assert_eq!(app.service().device(mac).unwrap().profile, None);
    let deleted = admin.post(&delete, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(app.service().profiles(acme).unwrap().is_empty());

    portal_user(&app, acme, "acmeadmin", "standard");
    portal_user(&app, acme, "limited", "limited");
    let mut own = Visitor::with_password(&app, "acmeadmin").await;
    let page = own.get(&format!("/accounts/{acme}/phone-settings")).await;
    assert_eq!(page.status, StatusCode::OK);
    let saved = own
        .post(
            &format!("/accounts/{acme}/phone-settings"),
            &[("settings.vlan_id", "40")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        own.get(&format!("/devices/{MAC}/settings")).await.status,
        StatusCode::OK
    );
    let other = own.get(&format!("/accounts/{globex}/phone-settings")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let mut limited = Visitor::with_password(&app, "limited").await;
    for path in [
        format!("/accounts/{acme}/phone-settings"),
        format!("/devices/{MAC}/settings"),
        format!("/devices/{MAC}/preview"),
    ] {
        assert_eq!(
            limited.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

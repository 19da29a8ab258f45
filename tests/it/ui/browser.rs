//! The web UI in a real browser (headless Chromium over WebDriver, see `webdriver`): the
//! provider's daily work from sign-in to a phone fetching the lines it was given.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::{Value, json};
use sipprov::domain::{AccountId, Mac, TokenScope, UserId};
use sipprov::http::RequestSpec;
use sipprov::service::UserQuery;

use super::{PASSWORD, account, portal_user};
use crate::app::{TestApp, acme, input};
use crate::webdriver::Browser;

/// A browser signed in with the server's first admin token.
async fn signed_in(app: &TestApp) -> Browser {
    let browser = Browser::start(&app.admin_base()).await;
    browser.open("/signin").await;
    browser.fill("#f-token", &app.token()).await;
    browser.submit("#token-form button[type=submit]").await;
    assert_eq!(browser.path().await, "/accounts");
    browser
}

async fn checked(browser: &Browser, css: &str) -> bool {
    browser.find(css).await.property(browser, "checked").await == Value::Bool(true)
}

async fn property(browser: &Browser, css: &str, name: &str) -> Value {
    browser.find(css).await.property(browser, name).await
}

fn person(app: &TestApp, account: AccountId, first_name: &str) -> UserId {
    let user = json!({"first_name": first_name, "last_name": "Example"});
    app.service().create_user(account, &input(user)).unwrap().id
}

#[tokio::test]
async fn an_advanced_user_gets_the_portal_locked_on_and_a_required_login() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let browser = signed_in(&app).await;
    browser.open(&format!("/accounts/{acme}/users")).await;
    browser.click("a[href$='/users/new']").await;
    browser.find("form[data-user-form]").await;

    let portal = "#f-portal_access";
    assert!(!checked(&browser, portal).await);
    assert_eq!(property(&browser, portal, "disabled").await, false);
    assert_eq!(property(&browser, "#f-email", "required").await, false);

    browser
        .click("input[name=feature_plan][value=advanced]")
        .await;
    assert!(
        checked(&browser, portal).await,
        "Advanced turns the portal on"
    );
    assert_eq!(
        property(&browser, portal, "disabled").await,
        true,
        "and locks it"
    );
    for field in ["#f-email", "#f-username"] {
        assert_eq!(property(&browser, field, "required").await, true, "{field}");
        let marker = format!("label[for='{}'] .req", &field[1..]);
        assert_eq!(
            property(&browser, &marker, "hidden").await,
            false,
            "{field}"
        );
    }

    browser
        .click("input[name=feature_plan][value=standard]")
        .await;
    assert_eq!(property(&browser, portal, "disabled").await, false);
    browser.click(portal).await;
    assert_eq!(property(&browser, "#f-email", "required").await, false);
    browser
        .click("input[name=feature_plan][value=advanced]")
        .await;

    browser.fill("#f-first_name", "Ada").await;
    browser.fill("#f-last_name", "Lovelace").await;
    browser.fill("#f-email", "ada@example.com").await;
    browser.fill("#f-username", "ada").await;
    browser.fill("#f-tags", "engineering, london").await;
    browser.screenshot("add-user").await;
    browser
        .submit("form[data-user-form] button[type=submit]")
        .await;

    assert!(browser.path().await.starts_with("/users/"));
    let page = browser.text().await;
    assert!(
        page.contains("Ada Lovelace created with extension 100"),
        "{page}"
    );
    assert!(
        page.contains("Advanced") && page.contains("ada@acme"),
        "{page}"
    );
    let query = UserQuery {
        limit: 10,
        ..UserQuery::default()
    };
    let users = app.service().users(acme, &query).unwrap().items;
    assert_eq!(users.len(), 1);
    assert!(users[0].portal_access);
    assert_eq!(users[0].feature_plan.name(), "advanced");
}

#[tokio::test]
async fn a_refused_user_form_keeps_every_value_and_shows_each_error_by_its_field() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let browser = signed_in(&app).await;
    browser.open(&format!("/accounts/{acme}/users/new")).await;
    let typed = [
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("extension", "50"),
        ("email", "grace@example.com"),
        ("username", "x"),
        ("voicemail.pin", "12"),
        ("device.mac", "00:15:65:zz:00:01"),
    ];
    for (field, value) in typed {
        browser.fill(&format!("[id='f-{field}']"), value).await;
    }
    browser.select("[id='f-device.model']", "T46S").await;
    browser
        .submit("form[data-user-form] button[type=submit]")
        .await;

    let alert = browser.find(".alert-error").await.text(&browser).await;
    assert!(alert.contains("The user was not created"), "{alert}");
    for (field, value) in typed {
        let kept = property(&browser, &format!("[id='f-{field}']"), "value").await;
        assert_eq!(kept, value, "{field}");
    }
    let model = property(&browser, "[id='f-device.model']", "value").await;
    assert_eq!(model, "T46S");
    for field in ["extension", "username", "voicemail.pin", "device.mac"] {
        let error = browser.find(&format!("[id='e-{field}']")).await;
        let message = error.text(&browser).await;
        assert!(!message.is_empty(), "{field}");
        let invalid = format!(".field.invalid [id='f-{field}']");
        assert!(browser.try_find(&invalid).await.is_some(), "{field} marked");
    }
    browser.screenshot("add-user-refused").await;
}

#[tokio::test]
async fn five_users_ordered_in_bulk_wait_unassigned_until_enabled() {
    let app = TestApp::start().await;
    let numbers: Vec<String> = (0..6).map(|n| format!("+1514555010{n}")).collect();
    let mut order = acme();
    order["numbers"] = json!(numbers);
    let acme = account(&app, order);
    let browser = signed_in(&app).await;
    browser.open(&format!("/accounts/{acme}/users")).await;
    browser.click("a[href$='/users/bulk']").await;
    browser.fill("#f-quantity", "5").await;
    browser.select("#f-area_code", "514").await;
    browser.select("#f-model", "T46S").await;
    browser.submit("main form.form button[type=submit]").await;

    let summary = browser.find("#summary").await.text(&browser).await;
    assert!(summary.contains("5 unassigned extensions"), "{summary}");
    assert!(summary.contains("100 – 104"), "{summary}");
    assert!(
        summary.contains("+15145550104") && summary.contains("5 × T46S"),
        "{summary}"
    );
    assert_eq!(browser.find_all("#summary tbody tr").await.len(), 5);
    assert!(
        app.service()
            .users(acme, &UserQuery::default())
            .unwrap()
            .items
            .is_empty()
    );
    browser.click("#f-acknowledge").await;
    browser
        .submit("form[data-acknowledge] button[type=submit]")
        .await;

    assert_eq!(
        browser.path().await,
        format!("/accounts/{acme}/users?status=unassigned")
    );
    assert!(
        browser
            .text()
            .await
            .contains("Order placed: 5 unassigned extensions (100–104)")
    );
    assert_eq!(browser.find_all("#unassigned tbody tr").await.len(), 5);
    browser
        .click("#unassigned tbody tr:first-child a.btn")
        .await;
    assert_eq!(
        property(&browser, "[id='f-device.model']", "value").await,
        "T46S"
    );
    browser.fill("#f-first_name", "Ada").await;
    browser.fill("#f-last_name", "Byron").await;
    browser
        .submit("form[data-user-form] button[type=submit]")
        .await;

    let page = browser.text().await;
    assert!(
        page.contains("Extension 100 enabled for Ada Byron"),
        "{page}"
    );
    assert!(
        page.contains("+15145550100"),
        "the ordered number stays: {page}"
    );
    browser
        .open(&format!("/accounts/{acme}/users?status=unassigned"))
        .await;
    assert_eq!(browser.find_all("#unassigned tbody tr").await.len(), 4);
}

#[tokio::test]
async fn a_w60b_registered_by_mac_serves_the_three_lines_assigned_to_it() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let people = ["Ada", "Bob", "Carol"].map(|name| (name, person(&app, acme, name)));
    let browser = signed_in(&app).await;
    browser.open(&format!("/accounts/{acme}/devices")).await;
    browser.fill("#f-mac", "80-5E-C0-09-AB-DC").await;
    browser.select("#f-model", "W60B").await;
    browser.submit("form.register button[type=submit]").await;
    assert_eq!(browser.path().await, "/devices/805ec009abdc");
    assert_eq!(
        browser.find_all("#lines tbody tr").await.len(),
        8,
        "8 handset lines"
    );

    for (slot, (name, id)) in (1..).zip(people) {
        let row = format!("#line-{slot}");
        browser
            .select(&format!("{row} select[name=user]"), &id.to_string())
            .await;
        browser
            .fill(&format!("{row} input[name=name]"), &format!("{name} desk"))
            .await;
        browser.submit(&format!("{row} button[type=submit]")).await;
        let assigned = browser.find(&row).await.text(&browser).await;
        assert!(assigned.contains(&format!("{name} Example")), "{assigned}");
    }
    let username = browser.find("#prov-username").await.text(&browser).await;
    let password = browser.find("#prov-password").await.text(&browser).await;
    assert_eq!(username, "805ec009abdc");

    let credentials = STANDARD.encode(format!("{username}:{password}"));
    let fetch = RequestSpec::get("/prov/805ec009abdc.cfg")
        .header("User-Agent", "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc")
        .header("Authorization", format!("Basic {credentials}"));
    let file = app.phone().send(fetch).await.unwrap();
    assert_eq!(file.status, StatusCode::OK);
    let file = file.text();
    for (slot, name) in (1..).zip(["Ada", "Bob", "Carol"]) {
        assert!(
            file.contains(&format!("account.{slot}.enable = 1")),
            "{file}"
        );
        assert!(
            file.contains(&format!("handset.{slot}.name = {name} desk")),
            "{file}"
        );
    }
    assert!(file.contains("account.4.enable = 0"));

    browser.open("/devices/805ec009abdc").await;
    let last = browser.find("#last-fetch").await.text(&browser).await;
    assert!(
        last.contains("served") && last.contains("77.81.0.35"),
        "{last}"
    );
    assert_eq!(browser.find_all("#audit tbody tr").await.len(), 1);
    browser.screenshot("device").await;
}

#[tokio::test]
async fn an_unknown_phone_shows_up_unclaimed_and_is_claimed_for_an_account() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let fetch = RequestSpec::get("/001565004602.cfg").header(
        "User-Agent",
        "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:02",
    );
    let refused = app.phone().send(fetch).await.unwrap();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let browser = signed_in(&app).await;
    browser.click("a[href='/unclaimed']").await;
    let row = "#unclaimed-001565004602";
    let seen = browser.find(row).await.text(&browser).await;
    assert!(
        seen.contains("T46S") && seen.contains("66.86.0.15"),
        "{seen}"
    );
    let model = property(&browser, &format!("{row} select[name=model]"), "value").await;
    assert_eq!(model, "T46S", "the model its User-Agent named");
    browser
        .select(&format!("{row} select[name=account]"), &acme.to_string())
        .await;
    browser.submit(&format!("{row} button[type=submit]")).await;

    assert_eq!(browser.path().await, "/devices/001565004602");
    let page = browser.text().await;
    assert!(page.contains("T46S 001565004602 claimed"), "{page}");
    assert!(
        browser
            .find("#handoff")
            .await
            .text(&browser)
            .await
            .contains("armed")
    );
    let mac: Mac = "001565004602".parse().unwrap();
    assert_eq!(app.service().device(mac).unwrap().account, acme);
    assert!(app.service().unclaimed_devices().unwrap().is_empty());
}

#[tokio::test]
async fn a_registrar_token_is_made_from_the_navigation_and_its_secret_shown_once() {
    let app = TestApp::start().await;
    let browser = signed_in(&app).await;
    browser.click("a[href='/tokens']").await;
    browser.find("#create-token").await;
    assert_eq!(browser.path().await, "/tokens");
    assert_eq!(property(&browser, "#f-read_only", "disabled").await, false);
    browser.fill("#f-name", "kamailio").await;
    browser.select("#f-scope", "registrar").await;
    // Registrar tokens are always read-only: the script takes the box away.
    assert_eq!(property(&browser, "#f-read_only", "disabled").await, true);
    browser.screenshot("tokens-form").await;
    browser.submit("#create-token button[type=submit]").await;

    let token = browser.find("#new-token").await.text(&browser).await;
    let found = app.service().authenticate_token(&token).unwrap();
    assert_eq!(found.map(|t| t.scope), Some(TokenScope::Registrar));
    let settings = browser
        .find("#kamailio-settings")
        .await
        .text(&browser)
        .await;
    assert!(
        settings.contains(&format!("SIPPROV_REGISTRAR_TOKEN={token}")),
        "{settings}"
    );
    browser.screenshot("tokens-created").await;
    browser.open("/tokens").await;
    assert!(browser.try_find("#new-token").await.is_none());
    assert!(!browser.source().await.contains(&token), "shown once");
    let tokens = app.service().tokens().unwrap();
    let id = tokens.iter().find(|t| t.name == "kamailio").unwrap().id;
    let row = browser
        .find(&format!("#token-{id}"))
        .await
        .text(&browser)
        .await;
    assert!(
        row.contains("kamailio") && row.contains("registrar"),
        "{row}"
    );
}

#[tokio::test]
async fn a_limited_user_signs_in_to_their_own_page_and_is_refused_the_admin_pages() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    portal_user(&app, acme, "lee", "limited");
    let browser = Browser::start(&app.admin_base()).await;
    browser.open("/signin").await;
    browser.fill("#f-username", "lee").await;
    browser.fill("#f-password", PASSWORD).await;
    browser.submit("#password-form button[type=submit]").await;

    assert_eq!(browser.path().await, "/me");
    let page = browser.text().await;
    assert!(
        page.contains("lee Tester") && page.contains("My lines"),
        "{page}"
    );
    assert!(browser.try_find("a[href='/accounts']").await.is_none());
    for path in [
        "/accounts".to_owned(),
        format!("/accounts/{acme}/users"),
        format!("/accounts/{acme}/users/new"),
        "/unclaimed".to_owned(),
    ] {
        browser.open(&path).await;
        let refused = browser.text().await;
        assert!(
            refused.contains("403") && refused.contains("Not allowed"),
            "{path}: {refused}"
        );
    }
}

#[tokio::test]
async fn phone_settings_are_set_per_level_and_an_owned_raw_key_is_refused_beside_its_field() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    let ada = json!({"first_name": "Ada", "device": {"mac": "001565004902", "model": "T46S"}});
    app.service().create_user(acme, &input(ada)).unwrap();
    let browser = signed_in(&app).await;
    browser.open(&format!("/accounts/{acme}/users")).await;
    browser
        .click(&format!("a[href='/accounts/{acme}/phone-settings']"))
        .await;
    browser.fill("[id='f-settings.codecs']", "g722, pcmu").await;
    browser
        .fill(
            "[id='f-settings.raw']",
            "features.dnd.allow = 0\naccount.1.password = stolen",
        )
        .await;
    browser
        .submit("#account-settings button[type=submit]")
        .await;
    let error = browser
        .find("[id='e-settings.raw']")
        .await
        .text(&browser)
        .await;
    assert!(error.contains("account.1.password"), "{error}");
    let codecs = property(&browser, "[id='f-settings.codecs']", "value").await;
    assert_eq!(codecs, "g722, pcmu", "the typed values come back");
    assert!(app.service().account(acme).unwrap().settings.is_empty());

    browser
        .fill("[id='f-settings.raw']", "features.dnd.allow = 0")
        .await;
    browser
        .submit("#account-settings button[type=submit]")
        .await;
    assert!(browser.text().await.contains("Phone settings saved"));
    browser.click("#profiles a.btn").await;
    browser.fill("#f-name", "reception").await;
    browser.fill("[id='f-settings.vlan_id']", "20").await;
    browser
        .submit("#profile-settings button[type=submit]")
        .await;
    assert_eq!(
        browser.path().await,
        format!("/accounts/{acme}/profiles/reception")
    );

    browser.open("/devices/001565004902").await;
    browser.click("#settings-link").await;
    browser.select("#f-profile", "reception").await;
    browser.submit("#profile-form button[type=submit]").await;
    browser.select("[id='f-settings.dtmf']", "inband").await;
    browser.submit("#device-settings button[type=submit]").await;
    let effective = browser.find("#effective").await.text(&browser).await;
    for line in [
        "codecs g722, pcmu account",
        "vlan id 20 profile reception",
        "dtmf inband device",
    ] {
        assert!(effective.contains(line), "{line} missing from\n{effective}");
    }
    browser.click("#preview-link").await;
    let preview = browser.find("#preview").await.text(&browser).await;
    assert!(preview.contains("features.dnd.allow = 0"), "{preview}");
    assert!(preview.contains("account.1.dtmf.type = 0"), "{preview}");
}

//! A user's programmable keys through the API and the CLI, on the phone that user is on
//! line 1 of; a phone moved to another user keeps nothing of its last owner's keys.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::{TestApp, acme, input};
use crate::registrar::send;

const MAC: &str = "001565005001";
const UA: &str = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:50:01";

async fn file(app: &TestApp) -> String {
    app.device_file(MAC, UA).await
}

fn key(file: &str, number: u16) -> [String; 4] {
    ["type", "line", "value", "label"].map(|field| {
        let prefix = format!("linekey.{number}.{field} = ");
        file.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{prefix} missing"))
            .to_owned()
    })
}

#[tokio::test]
async fn keys_follow_the_user_and_a_moved_phone_keeps_none_of_them() {
    let app = TestApp::start().await;
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    let person = |first: &str| {
        service
            .create_user(account, &input(json!({"first_name": first})))
            .unwrap()
    };
    let (ada, bob) = (person("Ada"), person("Bob"));
    service
        .create_device(account, &input(json!({"mac": MAC, "model": "T46S"})))
        .unwrap();
    let mac = MAC.parse().unwrap();
    service
        .assign_line(mac, Some(1), &input(json!({"user": ada.id.0})))
        .unwrap();

    let keys = json!({"keys": [
        {"type": "blf", "value": bob.extension, "label": "Bob"},
        {"type": "speed_dial", "value": "+15145550199", "label": "Front desk"},
        {"type": "line"}
    ]});
    let path = format!("/api/v1/users/{}/line-keys", ada.id.0);
    let answer = send(
        &app,
        Some(&app.token()),
        Method::PUT,
        &path,
        Some(("application/json", keys.to_string())),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let phone = file(&app).await;
    assert_eq!(
        key(&phone, 1),
        ["16", "1", bob.extension.as_str(), "Bob"].map(String::from)
    );
    assert_eq!(
        key(&phone, 2),
        ["13", "1", "+15145550199", "Front desk"].map(String::from)
    );
    assert_eq!(key(&phone, 3)[0], "15");
    for number in 4..=27 {
        assert_eq!(
            key(&phone, number),
            ["0", "%NULL%", "%NULL%", "%NULL%"].map(String::from)
        );
    }
    assert!(!phone.contains("linekey.28."), "the T46S has 27 keys");

    // A BLF of nobody is refused, naming the key; the keys stay.
    let bad = json!({"keys": [{"type": "blf", "value": "999"}]});
    let refused = send(
        &app,
        Some(&app.token()),
        Method::PUT,
        &path,
        Some(("application/json", bad.to_string())),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = serde_json::from_slice(&refused.body).unwrap();
    assert!(
        refused["error"]["fields"]["keys[0].value"].is_string(),
        "{refused}"
    );
    assert_eq!(service.line_keys(ada.id).unwrap().keys.len(), 3);

    // The CLI sets and shows them.
    let out = crate::cli::sipprov_with(
        &app,
        &app.token(),
        &[
            "user",
            "line-keys",
            &ada.id.0.to_string(),
            "--key",
            "voicemail::Messages",
            "--key",
            "park:*70",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("voicemail") && shown.contains("*70"),
        "{shown}"
    );
    let phone = file(&app).await;
    assert_eq!(
        key(&phone, 1),
        ["12", "1", "%NULL%", "Messages"].map(String::from)
    );

    // The phone goes to Bob: Ada's keys are gone, Bob's line has its key.
    service.unassign_line(mac, 1).unwrap();
    service
        .assign_line(mac, Some(1), &input(json!({"user": bob.id.0})))
        .unwrap();
    let phone = file(&app).await;
    assert_eq!(key(&phone, 1)[0], "15");
    assert_eq!(
        key(&phone, 2),
        ["0", "%NULL%", "%NULL%", "%NULL%"].map(String::from)
    );
    assert!(!phone.contains("Messages") && !phone.contains("*70"));
    app.stop().await;
}

#[tokio::test]
async fn the_user_page_sets_keys_and_refuses_a_bad_one_beside_the_field() {
    let app = TestApp::start().await;
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    let ada = service
        .create_user(account, &input(json!({"first_name": "Ada"})))
        .unwrap();
    let bob = service
        .create_user(account, &input(json!({"first_name": "Bob"})))
        .unwrap();
    let mut visitor = crate::ui::Visitor::with_token(&app).await;
    let page = format!("/users/{}", ada.id.0);
    visitor.get(&page).await;
    let keys = format!(
        "blf {} Bob Stone\nspeed_dial +15145550199 Front desk",
        bob.extension
    );
    let saved = visitor
        .post(&format!("{page}/line-keys"), &[("keys", &keys)])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let keys = service.line_keys(ada.id).unwrap().keys;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].label.as_deref(), Some("Bob Stone"));
    let shown = visitor.get(&page).await.text().into_owned();
    assert!(
        shown.contains("Front desk") && shown.contains("speed dial"),
        "{shown}"
    );

    let refused = visitor
        .post(
            &format!("{page}/line-keys"),
            &[("keys", "line\nblf 999 Nobody")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(
        html.contains("line 2 (value)") && html.contains("blf 999 Nobody"),
        "{html}"
    );
    assert_eq!(
        service.line_keys(ada.id).unwrap().keys.len(),
        2,
        "nothing written"
    );
    app.stop().await;
}

//! Golden files of device files through the service: a T46S whose settings come from the
//! provider, its account, a profile and itself, with its user's line keys (each value
//! traced in the file to the level that set it); and the same phone moved to another user,
//! every key of its last owner cleared. The files are the masked previews, so they hold no
//! random secret.

use serde_json::json;

use super::*;
use crate::domain::{AccountId, Mac, UserId};

fn service(dir: &std::path::Path) -> Service {
    let store = Store::open(&dir.join("db"), crate::secret::DataKeys::generate()).unwrap();
    let mut settings = Settings::new(dir);
    settings.phone_url = "https://prov.example.com/".into();
    settings.phone_defaults =
        serde_json::from_value(json!({"nat_keepalive": 30, "dtmf": "rfc2833"})).unwrap();
    Service::new(
        store,
        Catalogue::builtin(),
        crate::render::Renderer::new(None).unwrap(),
        settings,
    )
}

fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn user(service: &Service, account: AccountId, first: &str, extension: &str) -> UserId {
    service
        .create_user(
            account,
            &input(json!({"first_name": first, "extension": extension, "voicemail": {"enabled": true}})),
        )
        .unwrap()
        .id
}

fn assign(service: &Service, mac: Mac, user: UserId, sip: &str) {
    service
        .assign_line(
            mac,
            Some(1),
            &input(json!({"user": user.0, "sip_username": sip, "sip_password": "not-in-the-golden-file"})),
        )
        .unwrap();
}

#[test]
fn a_phone_with_settings_from_every_level_and_line_keys_then_moved_to_another_user() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    let account = service
        .create_account(&input(json!({
            "name": "Acme", "domain": "acme.example.com", "group_name": "acme",
            "registrar": {"host": "sip.example.com", "transport": "tls"},
            "numbering": {"min_length": 3, "max_length": 3, "ranges": ["200-299"]},
            "time_zone": "America/Toronto",
            "settings": {"codecs": ["g722", "pcmu"], "srtp": "optional",
                "raw": {"features.dnd.allow": "0", "phone_setting.backlight_time": "30"}}
        })))
        .unwrap()
        .id;
    service
        .create_profile(
            account,
            &input(
                json!({"name": "reception", "settings": {"vlan_id": 20, "vlan_priority": 5,
                "raw": {"features.dnd.allow": "1"}}}),
            ),
        )
        .unwrap();
    let mac: Mac = "001565004901".parse().unwrap();
    service
        .create_device(
            account,
            &input(json!({"mac": mac.to_string(), "model": "T46S"})),
        )
        .unwrap();
    service
        .update_device(
            mac,
            &input(json!({"profile": "reception",
                "settings": {"codecs": ["opus", "g722"], "trust_control": true}})),
        )
        .unwrap();
    let ada = user(&service, account, "Ada", "201");
    let bob = user(&service, account, "Bob", "202");
    assign(&service, mac, ada, "ada-201");
    service
        .set_line_keys(
            ada,
            &input(json!({"keys": [
                {"type": "line"},
                {"type": "blf", "value": "202", "label": "Bob"},
                {"type": "speed_dial", "value": "+15145550100", "label": "Front desk"},
                {"type": "park", "value": "*70"},
                {"type": "voicemail", "label": "Messages"}
            ]})),
        )
        .unwrap();
    let chain = service.preview_device(mac).unwrap();
    crate::golden::check("yealink", "t46s-settings-chain.cfg", &chain);
    for traced in [
        "## Setting codecs, from device.",
        "## Setting srtp, from account.",
        "## Setting vlan_id, from profile reception.",
        "## Setting nat_keepalive, from provider.",
        "linekey.2.type = 16",
    ] {
        assert!(chain.contains(traced), "{traced}");
    }

    // The phone goes to Bob, who has no keys: Ada's are cleared, Bob's line stays.
    service.unassign_line(mac, 1).unwrap();
    assign(&service, mac, bob, "bob-202");
    let moved = service.preview_device(mac).unwrap();
    crate::golden::check("yealink", "t46s-moved-to-another-user.cfg", &moved);
    assert!(moved.contains("linekey.1.type = 15\nlinekey.1.line = 1"));
    assert!(
        moved.contains("linekey.2.type = 0\nlinekey.2.line = %NULL%\nlinekey.2.value = %NULL%")
    );
    assert!(!moved.contains("Front desk") && !moved.contains("+15145550100"));
}

#[test]
fn a_blf_key_watches_another_user_of_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(dir.path());
    let account = service
        .create_account(&input(json!({
            "name": "Acme", "domain": "acme.example.com", "group_name": "acme",
            "registrar": {"host": "sip.example.com"},
            "numbering": {"min_length": 3, "max_length": 3, "ranges": ["200-299"]},
        })))
        .unwrap()
        .id;
    let ada = user(&service, account, "Ada", "201");
    let refused =
        |keys: serde_json::Value| match service.set_line_keys(ada, &input(json!({"keys": keys}))) {
            Err(Error::Invalid(invalid)) => invalid.fields().clone(),
            other => panic!("{other:?}"),
        };
    assert!(refused(json!([{"type": "blf", "value": "299"}]))["keys[0].value"].contains("no user"));
    assert!(refused(json!([{"type": "blf", "value": "201"}]))["keys[0].value"].contains("own"));
    assert!(refused(json!([{"type": "line"}, {"type": "dial"}])).contains_key("keys[1].type"));
    assert!(
        service.line_keys(ada).unwrap().keys.is_empty(),
        "nothing written"
    );
}

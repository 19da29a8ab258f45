//! The use cases against a real store in a temporary directory: every rule of DESIGN.md §3
//! with an accepted and a refused case, atomicity, concurrency and durability.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::domain::{AccountId, FetchOutcome, Mac, UserId};
use crate::store::Reads;

fn service_in(dir: &Path) -> Service {
    static KEYS: std::sync::LazyLock<crate::secret::DataKeys> =
        std::sync::LazyLock::new(crate::secret::DataKeys::generate);
    let store = Store::open(&dir.join("db"), KEYS.clone()).unwrap();
    let mut settings = Settings::new(dir);
    settings.portal_url = "https://portal.example.com".into();
    Service::new(
        store,
        Catalogue::builtin(),
        crate::render::Renderer::new(None).unwrap(),
        settings,
    )
}

fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let service = service_in(dir.path());
    (dir, service)
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn account_input(domain: &str) -> AccountInput {
    from_json(json!({
        "name": "Acme",
        "domain": domain,
        "group_name": "acme",
        "registrar": {"host": "sip.example.com"},
        "numbering": {"min_length": 3, "max_length": 3, "ranges": ["100-199"], "reserved": ["150-159"]},
        "language": "en",
        "time_zone": "America/Montreal",
        "calling_plans": ["local", "world"],
        "default_calling_plan": "local",
        "numbers": ["+15145550100", "+15145550101", "+14385550100", {"number": "+33123456789", "area_code": "1"}],
    }))
}

fn account(service: &Service) -> AccountId {
    service
        .create_account(&account_input("acme.example.com"))
        .unwrap()
        .id
}

/// A second account, without a pool.
fn other_account(service: &Service) -> AccountId {
    let mut input = account_input("other.example.com");
    input.numbers = None;
    service.create_account(&input).unwrap().id
}

fn user_input(value: serde_json::Value) -> UserInput {
    from_json(value)
}

fn create(
    service: &Service,
    account: AccountId,
    value: serde_json::Value,
) -> Result<UserView, Error> {
    service.create_user(account, &user_input(value))
}

/// The refused fields and their messages.
fn refused(
    result: Result<impl std::fmt::Debug, Error>,
) -> std::collections::BTreeMap<String, String> {
    match result {
        Err(Error::Invalid(invalid)) => invalid.fields().clone(),
        other => panic!("expected a 422 refusal, got {other:?}"),
    }
}

/// The conflicting field.
fn conflict(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Conflict { field, .. }) => field,
        other => panic!("expected a 409 conflict, got {other:?}"),
    }
}

fn outbox(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else {
        return vec![];
    };
    let mut files: Vec<String> = entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    files.sort();
    files
}

// --- accounts -------------------------------------------------------------------------

#[test]
fn an_account_is_created_with_its_plan_pool_and_defaults() {
    let (_dir, service) = service();
    let view = service
        .create_account(&account_input("Acme.Example.com"))
        .unwrap();
    assert_eq!(view.domain, "acme.example.com");
    assert_eq!(view.registrar.port, 5060);
    assert_eq!(view.numbering.ranges, ["100-199"]);
    assert_eq!(view.numbers.len(), 4);
    assert_eq!(
        view.numbers
            .iter()
            .find(|n| n.number == "+14385550100")
            .unwrap()
            .area_code
            .as_deref(),
        Some("438")
    );
    assert_eq!(view.device_auth, "per_device");
    assert!(view.provisioning.is_none());
}

#[test]
fn a_backup_registrar_is_set_kept_and_removed() {
    let (_dir, service) = service();
    let mut input = account_input("acme.example.com");
    input.backup_registrar = Some(Some(from_json(
        json!({"host": "sip2.example.com", "transport": "tls"}),
    )));
    let id = service.create_account(&input).unwrap().id;
    let backup = service.account(id).unwrap().backup_registrar.unwrap();
    assert_eq!(
        (backup.host.as_str(), backup.port),
        ("sip2.example.com", 5061)
    );

    let port_only: AccountInput = from_json(json!({"backup_registrar": {"port": 5071}}));
    let backup = service
        .update_account(id, &port_only)
        .unwrap()
        .backup_registrar;
    let backup = backup.unwrap();
    assert_eq!(
        (backup.host.as_str(), backup.port),
        ("sip2.example.com", 5071)
    );
    let name_only: AccountInput = from_json(json!({"name": "Acme Inc"}));
    assert!(
        service
            .update_account(id, &name_only)
            .unwrap()
            .backup_registrar
            .is_some()
    );

    let removed: AccountInput = from_json(json!({"backup_registrar": null}));
    assert!(
        service
            .update_account(id, &removed)
            .unwrap()
            .backup_registrar
            .is_none()
    );

    let fields = refused(service.update_account(
        id,
        &from_json(json!({"backup_registrar": {"port": 0, "transport": "sctp"}})),
    ));
    assert!(
        fields.contains_key("backup_registrar.transport"),
        "{fields:?}"
    );
    let fields = refused(service.update_account(id, &from_json(json!({"backup_registrar": {}}))));
    assert_eq!(fields["backup_registrar.host"], "is required");
}

#[test]
fn account_refusals_name_every_failing_field() {
    let (_dir, service) = service();
    let fields = refused(service.create_account(&from_json(json!({
        "registrar": {"transport": "sctp"},
        "numbering": {"min_length": 4, "max_length": 3},
        "time_zone": "Mars/Olympus",
        "calling_plans": ["local"],
        "default_calling_plan": "world",
        "numbers": ["5145550100"],
        "device_auth": "nobody",
    }))));
    for field in [
        "name",
        "domain",
        "registrar.transport",
        "numbering",
        "time_zone",
        "default_calling_plan",
        "numbers",
        "device_auth",
    ] {
        assert!(
            fields.contains_key(field),
            "{field} missing from {fields:?}"
        );
    }
    assert!(service.accounts(None, 10).unwrap().items.is_empty());
}

#[test]
fn account_domains_and_pool_numbers_are_unique() {
    let (_dir, service) = service();
    account(&service);
    assert_eq!(
        conflict(service.create_account(&account_input("ACME.example.com"))),
        "domain"
    );
    let mut other = account_input("other.example.com");
    other.numbers = Some(vec![NumberInput::Number("+15145550100".into())]);
    assert_eq!(conflict(service.create_account(&other)), "numbers");
}

#[test]
fn account_wide_device_auth_generates_one_credential() {
    let (_dir, service) = service();
    let mut input = account_input("acme.example.com");
    input.device_auth = Some("account".into());
    let view = service.create_account(&input).unwrap();
    assert_eq!(view.device_auth, "account");
    assert!(view.provisioning.unwrap().password.len() >= 20);
}

#[test]
fn an_account_with_users_or_devices_cannot_be_deleted_or_change_domain() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(&service, id, json!({"first_name": "Ada"})).unwrap();
    assert_eq!(conflict(service.delete_account(id)), "account");
    let renamed = service.update_account(id, &from_json(json!({"domain": "new.example.com"})));
    assert!(refused(renamed)["domain"].contains("realm"));
    service.delete_user(user.id).unwrap();
    service
        .create_device(
            id,
            &from_json(json!({"mac": "001565000001", "model": "T46S"})),
        )
        .unwrap();
    assert_eq!(conflict(service.delete_account(id)), "account");
    service
        .delete_device("001565000001".parse().unwrap())
        .unwrap();
    service.delete_account(id).unwrap();
    assert!(matches!(service.account(id), Err(Error::NotFound(_))));
}

#[test]
fn users_need_the_account_group_name() {
    let (_dir, service) = service();
    let mut input = account_input("acme.example.com");
    input.group_name = None;
    let id = service.create_account(&input).unwrap().id;
    assert!(
        refused(create(&service, id, json!({"first_name": "Ada"})))["account"]
            .contains("group name")
    );
    service
        .update_account(id, &from_json(json!({"group_name": "acme"})))
        .unwrap();
    assert!(create(&service, id, json!({"first_name": "Ada"})).is_ok());
}

#[test]
fn assigned_pool_numbers_cannot_be_removed() {
    let (_dir, service) = service();
    let id = account(&service);
    create(
        &service,
        id,
        json!({"first_name": "Ada", "numbers": ["+15145550100"]}),
    )
    .unwrap();
    let fields =
        refused(service.update_account(id, &from_json(json!({"numbers": ["+15145550101"]}))));
    assert!(fields["numbers"].contains("+15145550100"));
    let view = service
        .update_account(
            id,
            &from_json(json!({"numbers": ["+15145550100", "+15145550199"]})),
        )
        .unwrap();
    let numbers: Vec<&str> = view.numbers.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(numbers, ["+15145550100", "+15145550199"]);
}

// --- users: defaults and required fields ------------------------------------------------

#[test]
fn a_person_gets_the_defaults_of_the_seeds() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(
        &service,
        id,
        json!({"first_name": " Ada ", "last_name": "Lovelace"}),
    )
    .unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.extension, "100", "lowest free extension");
    assert_eq!(user.kind, crate::domain::UserType::Person);
    assert_eq!(user.language.code(), "en");
    assert_eq!(user.time_zone.name(), "America/Montreal");
    assert_eq!(user.feature_plan.name(), "standard");
    assert!(!user.portal_access);
    assert!(user.voicemail.enabled);
    assert_eq!(user.role, "limited");
    assert_eq!(user.calling_plan.as_deref(), Some("local"));
    let tags: Vec<&str> = user.system_tags.iter().map(|t| t.name()).collect();
    assert_eq!(tags, ["setup_required", "password_required"]);
}

#[test]
fn first_name_is_required_and_free_text_is_single_line() {
    let (_dir, service) = service();
    let id = account(&service);
    assert_eq!(
        refused(create(&service, id, json!({"last_name": "Lovelace"})))["first_name"],
        "is required"
    );
    let fields = refused(create(
        &service,
        id,
        json!({"first_name": "Ada\naccount.1.password = x", "department": ""}),
    ));
    assert!(fields["first_name"].contains("control characters"));
}

#[test]
fn extensions_follow_the_numbering_plan_and_are_unique_and_immutable() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(
        &service,
        id,
        json!({"first_name": "Ada", "extension": "120"}),
    )
    .unwrap();
    assert_eq!(user.extension, "120");
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "extension": "250"})
        ))["extension"]
            .contains("outside")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "extension": "155"})
        ))["extension"]
            .contains("reserved")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "extension": "12x"})
        ))["extension"]
            .contains("digits")
    );
    assert_eq!(
        conflict(create(
            &service,
            id,
            json!({"first_name": "B", "extension": 120})
        )),
        "extension"
    );
    let changed = service.update_user(user.id, &user_input(json!({"extension": "121"})));
    assert!(refused(changed)["extension"].contains("cannot be changed"));
    assert!(
        service
            .update_user(
                user.id,
                &user_input(json!({"extension": "120", "last_name": "L"}))
            )
            .is_ok()
    );
}

#[test]
fn lowest_free_extension_skips_reserved_space() {
    let (_dir, service) = service();
    let id = account(&service);
    for ext in 100..150 {
        create(
            &service,
            id,
            json!({"first_name": "X", "extension": ext.to_string()}),
        )
        .unwrap();
    }
    assert_eq!(
        create(&service, id, json!({"first_name": "Next"}))
            .unwrap()
            .extension,
        "160"
    );
}

#[test]
fn language_and_time_zone_are_checked() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(
        &service,
        id,
        json!({"first_name": "Zoé", "language": "fr", "time_zone": "europe/paris"}),
    )
    .unwrap();
    assert_eq!(
        (user.language.code(), user.time_zone.name()),
        ("fr", "Europe/Paris")
    );
    let fields = refused(create(
        &service,
        id,
        json!({"first_name": "X", "language": "de", "time_zone": "Paris"}),
    ));
    assert!(fields.contains_key("language") && fields.contains_key("time_zone"));
}

// --- users: feature plan, portal, identity ---------------------------------------------

#[test]
fn advanced_and_professional_plans_turn_portal_access_on_and_require_email_and_username() {
    let (_dir, service) = service();
    let id = account(&service);
    let fields = refused(create(
        &service,
        id,
        json!({"first_name": "Ada", "feature_plan": "advanced"}),
    ));
    assert_eq!(fields["email"], "is required with portal access");
    assert_eq!(fields["username"], "is required with portal access");
    let fields = refused(create(
        &service,
        id,
        json!({"first_name": "Ada", "feature_plan": "professional", "portal_access": false}),
    ));
    assert!(fields["portal_access"].contains("cannot be turned off"));
    let user = create(&service, id, json!({
        "first_name": "Ada", "feature_plan": "advanced", "email": "ada@example.com", "username": "ada", "block_welcome_email": true,
    }))
    .unwrap();
    assert!(user.portal_access);
    assert_eq!(user.app_username.as_deref(), Some("ada@acme"));
}

#[test]
fn standard_users_may_switch_portal_access_on() {
    let (_dir, service) = service();
    let id = account(&service);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "Ada", "portal_access": true})
        ))["email"]
            .contains("required")
    );
    let user = create(&service, id, json!({"first_name": "Ada"})).unwrap();
    assert!(!user.portal_access);
    let updated = service
        .update_user(user.id, &user_input(json!({"feature_plan": "advanced", "email": "a@example.com", "username": "ada", "block_welcome_email": true})))
        .unwrap();
    assert!(
        updated.portal_access,
        "moving to advanced turns portal access on"
    );
}

#[test]
fn usernames_are_checked_and_unique_across_accounts() {
    let (_dir, service) = service();
    let id = account(&service);
    let other = other_account(&service);
    let base = json!({"first_name": "Ada", "portal_access": true, "email": "ada@example.com", "block_welcome_email": true});
    let with = |extra: serde_json::Value| {
        let mut value = base.clone();
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        value
    };
    assert!(
        refused(create(
            &service,
            id,
            with(json!({"username": "ada@example.com"}))
        ))["username"]
            .contains("not an email")
    );
    assert!(
        refused(create(
            &service,
            id,
            with(json!({"username": "ada lovelace"}))
        ))["username"]
            .contains("letters")
    );
    create(&service, id, with(json!({"username": "Ada"}))).unwrap();
    let again = create(
        &service,
        other,
        with(json!({"username": "ADA", "email": "other@example.com"})),
    );
    assert_eq!(conflict(again), "username");
}

#[test]
fn emails_are_checked_and_unique_across_accounts_ignoring_case() {
    let (_dir, service) = service();
    let id = account(&service);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "email": "ada@"})
        ))["email"]
            .contains("valid")
    );
    let notification = refused(create(
        &service,
        id,
        json!({"first_name": "A", "notification_emails": ["ok@example.com", "nope"]}),
    ));
    assert!(notification.contains_key("notification_emails"));
    create(&service, id, json!({"first_name": "A", "email": "Ada@Example.com", "notification_emails": ["a@x.org", "b@x.org"]})).unwrap();
    assert_eq!(
        conflict(create(
            &service,
            id,
            json!({"first_name": "B", "email": "ada@EXAMPLE.COM"})
        )),
        "email"
    );
}

#[test]
fn roles_and_admin_levels() {
    let (_dir, service) = service();
    let id = account(&service);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "role": "admin"})
        ))
        .contains_key("admin_level")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "role": "limited", "admin_level": "super"})
        ))
        .contains_key("admin_level")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "role": "owner"})
        ))
        .contains_key("role")
    );
    let admin = create(
        &service,
        id,
        json!({"first_name": "A", "role": "admin", "admin_level": "super"}),
    )
    .unwrap();
    assert_eq!(
        (admin.role, admin.admin_level.map(|l| l.name())),
        ("admin", Some("super"))
    );
    let manager = create(
        &service,
        id,
        json!({"first_name": "B", "role": "office_manager"}),
    )
    .unwrap();
    assert_eq!(manager.admin_level.map(|l| l.name()), Some("advanced"));
    let scoped = refused(create(
        &service,
        id,
        json!({"first_name": "C", "role": "no_portal", "portal_access": true}),
    ));
    assert!(scoped.contains_key("portal_access"));
}

#[test]
fn calling_plans_and_emergency_caller_id() {
    let (_dir, service) = service();
    let id = account(&service);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "calling_plan": "mars"})
        ))["calling_plan"]
            .contains("not offered")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "emergency_caller_id": "911"})
        ))
        .contains_key("emergency_caller_id")
    );
    let user = create(&service, id, json!({"first_name": "A", "calling_plan": "world", "emergency_caller_id": "+1 514 555 0100"})).unwrap();
    assert_eq!(user.calling_plan.as_deref(), Some("world"));
    assert_eq!(user.emergency_caller_id.as_deref(), Some("+15145550100"));
}

#[test]
fn voicemail_pins_and_portal_passwords() {
    let (_dir, service) = service();
    let id = account(&service);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "voicemail": {"pin": "123"}})
        ))["voicemail.pin"]
            .contains("4 to 12")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "A", "voicemail": {"pin": "12a4"}})
        ))["voicemail.pin"]
            .contains("digits only")
    );
    let mismatch = refused(create(
        &service,
        id,
        json!({"first_name": "A", "password": "s3cret-pass", "password_confirmation": "other-pass"}),
    ));
    assert!(mismatch["password"].contains("confirmation"));
    let user = create(&service, id, json!({
        "first_name": "A", "email": "a@example.com", "voicemail": {"pin": 1234}, "password": "s3cret-pass", "password_confirmation": "s3cret-pass",
    }))
    .unwrap();
    assert!(user.voicemail.pin_set && user.password_set);
    assert!(user.system_tags.is_empty());
    let stored = service.store.user(user.id).unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    let queue = create(
        &service,
        id,
        json!({"first_name": "Support", "type": "call_queue"}),
    )
    .unwrap();
    assert!(
        !queue.voicemail.enabled,
        "resources have no voicemail by default"
    );
}

#[test]
fn only_persons_get_portal_access_and_devices() {
    let (_dir, service) = service();
    let id = account(&service);
    let fields = refused(create(
        &service,
        id,
        json!({
            "first_name": "Sales", "type": "ring_group", "portal_access": true, "device": {"mac": "001565000001", "model": "T46S"},
        }),
    ));
    assert!(fields.contains_key("portal_access") && fields.contains_key("device"));
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "X", "type": "robot"})
        ))
        .contains_key("type")
    );
}

#[test]
fn system_tags_follow_email_pin_and_password() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(&service, id, json!({"first_name": "A", "email": "a@example.com", "password": "s3cret-pass", "password_confirmation": "s3cret-pass"})).unwrap();
    assert_eq!(
        user.system_tags
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>(),
        ["new"]
    );
}

// --- numbers ---------------------------------------------------------------------------

#[test]
fn numbers_come_from_the_pool_or_an_area_code() {
    let (_dir, service) = service();
    let id = account(&service);
    let ada = create(
        &service,
        id,
        json!({"first_name": "Ada", "numbers": ["+15145550101", {"area_code": "514"}]}),
    )
    .unwrap();
    assert_eq!(ada.numbers, ["+15145550101", "+15145550100"]);
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "numbers": ["+15145550100"]})
        ))["numbers"]
            .contains("already assigned")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "numbers": ["+15145559999"]})
        ))["numbers"]
            .contains("not in the account's pool")
    );
    assert!(
        refused(create(
            &service,
            id,
            json!({"first_name": "B", "numbers": [{"area_code": "514"}]})
        ))["numbers"]
            .contains("no free number")
    );
    let paris = create(
        &service,
        id,
        json!({"first_name": "C", "numbers": [{"area_code": "1"}]}),
    )
    .unwrap();
    assert_eq!(paris.numbers, ["+33123456789"]);
    service.delete_user(ada.id).unwrap();
    let again = create(
        &service,
        id,
        json!({"first_name": "D", "numbers": [{"area_code": "514"}]}),
    )
    .unwrap();
    assert_eq!(
        again.numbers,
        ["+15145550100"],
        "a deleted user's numbers return to the pool"
    );
}

// --- search ----------------------------------------------------------------------------

#[test]
fn users_are_searched_by_name_extension_and_tag() {
    let (_dir, service) = service();
    let id = account(&service);
    create(
        &service,
        id,
        json!({"first_name": "Ada", "last_name": "Lovelace", "tags": ["Sales", "floor-2"]}),
    )
    .unwrap();
    create(&service, id, json!({"first_name": "Grace", "last_name": "Hopper", "email": "g@example.com", "tags": ["support"]})).unwrap();
    let search = |q: UserQuery| -> Vec<String> {
        service
            .users(id, &UserQuery { limit: 50, ..q })
            .unwrap()
            .items
            .into_iter()
            .map(|u| u.display_name)
            .collect()
    };
    assert_eq!(
        search(UserQuery {
            q: Some("love".into()),
            ..Default::default()
        }),
        ["Ada Lovelace"]
    );
    assert_eq!(
        search(UserQuery {
            tag: Some("SALES".into()),
            ..Default::default()
        }),
        ["Ada Lovelace"]
    );
    assert_eq!(
        search(UserQuery {
            extension: Some("101".into()),
            ..Default::default()
        }),
        ["Grace Hopper"]
    );
    assert_eq!(
        search(UserQuery {
            tag: Some("setup_required".into()),
            ..Default::default()
        }),
        ["Ada Lovelace"]
    );
    let first = service
        .users(
            id,
            &UserQuery {
                limit: 1,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.unwrap().parse().map(UserId).unwrap();
    let second = service
        .users(
            id,
            &UserQuery {
                limit: 1,
                cursor: Some(cursor),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(second.items[0].display_name, "Grace Hopper");
    assert_eq!(second.next_cursor, None);
}

// --- welcome ---------------------------------------------------------------------------

#[test]
fn portal_users_get_a_welcome_message_unless_blocked() {
    let (dir, service) = service();
    let id = account(&service);
    create(&service, id, json!({"first_name": "Ada", "feature_plan": "advanced", "email": "ada@example.com", "username": "ada", "block_welcome_email": true})).unwrap();
    assert!(outbox(dir.path()).is_empty());
    let user = create(&service, id, json!({"first_name": "Grace", "last_name": "Hopper", "feature_plan": "advanced", "email": "grace@example.com", "username": "grace"})).unwrap();
    let messages = outbox(dir.path());
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    for expected in [
        "To: \"Grace Hopper\" <grace@example.com>",
        "Portal username:  grace",
        "App username:     grace@acme",
        "https://portal.example.com/welcome/",
        "until 20",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from:\n{message}"
        );
    }
    let token = message
        .split("/welcome/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let link = service
        .store
        .password_link(&crate::secret::digest(token))
        .unwrap()
        .unwrap();
    assert_eq!(link.user, user.id);
    assert!(
        service.store.password_link(token).unwrap().is_none(),
        "the token itself is not stored"
    );
}

// --- devices and lines -----------------------------------------------------------------

fn device(service: &Service, account: AccountId, mac: &str, model: &str) -> DeviceView {
    service
        .create_device(account, &from_json(json!({"mac": mac, "model": model})))
        .unwrap()
}

fn line(
    service: &Service,
    mac: &str,
    number: Option<u16>,
    value: serde_json::Value,
) -> Result<LineView, Error> {
    service.assign_line(mac.parse().unwrap(), number, &from_json(value))
}

#[test]
fn devices_are_registered_by_mac_in_any_notation() {
    let (_dir, service) = service();
    let id = account(&service);
    let view = device(&service, id, "00-15-65-AA-BB-CC", "t46s");
    assert_eq!(view.mac.to_string(), "001565aabbcc");
    assert_eq!((view.model.as_str(), view.line_count), ("T46S", 16));
    assert!(view.provisioning.password.len() >= 20);
    let window = view
        .provisioning
        .armed_until
        .unwrap()
        .duration_since(view.created_at);
    assert_eq!(window.as_hours(), 72);
    let again = service.create_device(
        id,
        &from_json(json!({"mac": "0015.65aa.bbcc", "model": "W60B"})),
    );
    assert_eq!(conflict(again), "mac");
    let fields = refused(service.create_device(
        id,
        &from_json(json!({"mac": "01:00:5e:00:00:01", "model": "X9000"})),
    ));
    assert!(fields["mac"].contains("multicast") && fields["model"].contains("catalogue"));
}

#[test]
fn lines_take_the_lowest_free_number_and_generate_credentials() {
    let (_dir, service) = service();
    let id = account(&service);
    device(&service, id, "001565000001", "T31G");
    let ada = create(
        &service,
        id,
        json!({"first_name": "Ada", "last_name": "Lovelace"}),
    )
    .unwrap();
    let bob = create(&service, id, json!({"first_name": "Bob"})).unwrap();
    let first = line(&service, "001565000001", None, json!({"user": ada.id.0})).unwrap();
    assert_eq!((first.line, first.name.as_str()), (1, "Ada Lovelace"));
    assert!(first.sip.username.starts_with("100-"));
    assert!(first.sip.password.as_ref().unwrap().len() >= 20);
    assert_eq!(first.sip.domain, "acme.example.com");
    let second = line(
        &service,
        "001565000001",
        None,
        json!({"user": bob.id.0, "name": "Front desk"}),
    )
    .unwrap();
    assert_eq!((second.line, second.name.as_str()), (2, "Front desk"));
    assert!(
        refused(line(
            &service,
            "001565000001",
            None,
            json!({"user": bob.id.0})
        ))["line"]
            .contains("all 2 lines")
    );
    assert!(
        refused(line(
            &service,
            "001565000001",
            Some(3),
            json!({"user": bob.id.0})
        ))["line"]
            .contains("between 1 and 2")
    );
    let stored = service
        .store
        .device("001565000001".parse().unwrap())
        .unwrap()
        .unwrap();
    let credentials = &stored.lines[&1].sip;
    assert_eq!(
        credentials.ha1,
        crate::secret::ha1(
            credentials.username.as_str(),
            "acme.example.com",
            credentials.password.expose()
        )
    );
}

#[test]
fn supplied_sip_credentials_are_checked() {
    let (_dir, service) = service();
    let id = account(&service);
    device(&service, id, "001565000001", "T46S");
    let ada = create(&service, id, json!({"first_name": "Ada"})).unwrap();
    let short = line(
        &service,
        "001565000001",
        Some(1),
        json!({"user": ada.id.0, "sip_password": "short-pass1"}),
    );
    assert!(refused(short)["sip_password"].contains("at least 12"));
    line(
        &service,
        "001565000001",
        Some(1),
        json!({"user": ada.id.0, "sip_username": "ada", "sip_password": "long-enough-pass"}),
    )
    .unwrap();
    let taken = line(
        &service,
        "001565000001",
        Some(2),
        json!({"user": ada.id.0, "sip_username": "ada"}),
    );
    assert_eq!(conflict(taken), "sip_username");
}

#[test]
fn lines_belong_to_persons_of_the_same_account() {
    let (_dir, service) = service();
    let id = account(&service);
    let other = other_account(&service);
    device(&service, id, "001565000001", "T46S");
    let stranger = create(&service, other, json!({"first_name": "Eve"})).unwrap();
    let queue = create(
        &service,
        id,
        json!({"first_name": "Queue", "type": "call_queue"}),
    )
    .unwrap();
    assert!(
        refused(line(
            &service,
            "001565000001",
            None,
            json!({"user": stranger.id.0})
        ))["user"]
            .contains("another account")
    );
    assert!(
        refused(line(
            &service,
            "001565000001",
            None,
            json!({"user": queue.id.0})
        ))["user"]
            .contains("only persons")
    );
}

#[test]
fn line_names_default_to_the_extension_and_credentials_rotate() {
    let (_dir, service) = service();
    let id = account(&service);
    device(&service, id, "001565000001", "T46S");
    let ada = create(&service, id, json!({"first_name": "Ada"})).unwrap();
    let before = line(&service, "001565000001", None, json!({"user": ada.id.0})).unwrap();
    let mac: Mac = "001565000001".parse().unwrap();
    let after = service.rotate_line(mac, 1).unwrap();
    assert_eq!(after.sip.username, before.sip.username);
    assert_ne!(after.sip.password, before.sip.password);
    assert_eq!(
        service.rename_line(mac, 1, "Reception").unwrap().name,
        "Reception"
    );
    service.unassign_line(mac, 1).unwrap();
    assert!(service.user(ada.id).unwrap().lines.is_empty());
    assert!(matches!(
        service.rotate_line(mac, 1),
        Err(Error::NotFound("line"))
    ));
}

#[test]
fn a_user_created_with_a_device_gets_the_device_and_the_line() {
    let (_dir, service) = service();
    let id = account(&service);
    let user = create(&service, id, json!({
        "first_name": "Ada",
        "device": {"mac": "80:5E:C0:09:AB:DC", "model": "W60B", "line": 3, "line_name": "Ada's handset"},
    }))
    .unwrap();
    assert_eq!(user.lines.len(), 1);
    assert_eq!(
        (
            user.lines[0].line,
            user.lines[0].name.as_str(),
            user.lines[0].model.as_str()
        ),
        (3, "Ada's handset", "W60B")
    );
    assert!(
        user.lines[0].sip.password.is_some(),
        "the creation response shows the credentials once"
    );
    let device = service.device("805ec009abdc".parse().unwrap()).unwrap();
    assert_eq!(device.lines[0].user, user.id);
}

#[test]
fn a_refusal_in_the_middle_of_a_user_with_device_writes_nothing() {
    let (dir, service) = service();
    let id = account(&service);
    let input = json!({
        "first_name": "Ada", "feature_plan": "advanced", "email": "ada@example.com", "username": "ada",
        "numbers": [{"area_code": "514"}],
        "device": {"mac": "001565000009", "model": "T31G", "line": 3},
    });
    let fields = refused(create(&service, id, input));
    assert!(
        fields["device.line"].contains("between 1 and 2"),
        "{fields:?}"
    );
    assert!(service.store.users_of(id).unwrap().is_empty());
    assert!(
        service
            .store
            .device("001565000009".parse().unwrap())
            .unwrap()
            .is_none()
    );
    assert!(service.store.extensions_of(id).unwrap().is_empty());
    assert!(
        service
            .store
            .user_by_email("ada@example.com")
            .unwrap()
            .is_none()
    );
    assert!(service.store.user_by_username("ada").unwrap().is_none());
    assert!(
        service
            .store
            .numbers_of(id)
            .unwrap()
            .iter()
            .all(|n| n.user.is_none())
    );
    assert!(
        outbox(dir.path()).is_empty(),
        "no welcome message for a user that was not created"
    );
}

#[test]
fn a_device_of_another_account_cannot_be_used_in_the_user_form() {
    let (_dir, service) = service();
    let id = account(&service);
    let other = other_account(&service);
    device(&service, other, "001565000001", "T46S");
    let result = create(
        &service,
        id,
        json!({"first_name": "Ada", "device": {"mac": "001565000001"}}),
    );
    assert_eq!(conflict(result), "device.mac");
}

#[test]
fn re_arming_opens_the_window_again() {
    let (_dir, service) = service();
    let id = account(&service);
    device(&service, id, "001565000001", "T46S");
    let mac: Mac = "001565000001".parse().unwrap();
    let armed = service
        .arm_device(
            mac,
            &from_json(json!({"hours": 2, "networks": ["192.0.2.0/24"]})),
        )
        .unwrap();
    assert_eq!(
        armed
            .provisioning
            .armed_until
            .unwrap()
            .duration_since(jiff::Timestamp::now())
            .as_hours(),
        1
    );
    assert_eq!(armed.provisioning.allowed_from.len(), 1);
    assert!(
        refused(service.arm_device(mac, &from_json(json!({"networks": ["nowhere"]}))))
            .contains_key("networks")
    );
}

#[test]
fn deleting_a_user_frees_its_lines() {
    let (_dir, service) = service();
    let id = account(&service);
    let ada = create(
        &service,
        id,
        json!({"first_name": "Ada", "device": {"mac": "001565000001", "model": "T46S"}}),
    )
    .unwrap();
    service.delete_user(ada.id).unwrap();
    let device = service.device("001565000001".parse().unwrap()).unwrap();
    assert!(device.lines.is_empty());
    let sip_user = ada.lines[0].sip.username.clone();
    assert!(
        service
            .store
            .line_by_sip_user(id, &sip_user)
            .unwrap()
            .is_none()
    );
}

// --- bulk ------------------------------------------------------------------------------

#[test]
fn a_bulk_dry_run_summarises_and_writes_nothing() {
    let (_dir, service) = service();
    let id = account(&service);
    create(
        &service,
        id,
        json!({"first_name": "Ada", "extension": "101"}),
    )
    .unwrap();
    let outcome = service
        .bulk_create_users(
            id,
            &from_json(
                json!({"quantity": 2, "area_code": "514", "model": "t54w", "dry_run": true}),
            ),
        )
        .unwrap();
    let BulkOutcome::Summary(summary) = outcome else {
        panic!("expected a summary")
    };
    assert_eq!(
        summary.extensions,
        ["102", "103"],
        "the lowest consecutive free run"
    );
    assert_eq!(summary.numbers, ["+15145550100", "+15145550101"]);
    assert_eq!(summary.model.as_deref(), Some("T54W"));
    assert!(summary.can_create);
    assert_eq!(service.store.users_of(id).unwrap().len(), 1);
    let short = service
        .bulk_create_users(
            id,
            &from_json(json!({"quantity": 3, "area_code": "514", "dry_run": true})),
        )
        .unwrap();
    let BulkOutcome::Summary(short) = short else {
        panic!("expected a summary")
    };
    assert!(!short.can_create && short.problems["area_code"].contains("only 2 free numbers"));
    assert!(
        refused(
            service.bulk_create_users(id, &from_json(json!({"quantity": 3, "area_code": "514"})))
        )
        .contains_key("area_code")
    );
    assert!(
        refused(service.bulk_create_users(id, &from_json(json!({"quantity": 0}))))
            .contains_key("quantity")
    );
    assert_eq!(service.store.users_of(id).unwrap().len(), 1);
}

#[test]
fn bulk_placeholders_are_unassigned_until_enabled() {
    let (dir, service) = service();
    let id = account(&service);
    let outcome = service.bulk_create_users(
        id,
        &from_json(json!({"quantity": 5, "area_code": "514", "dry_run": false})),
    );
    assert!(
        refused(outcome).contains_key("area_code"),
        "only two 514 numbers in the pool"
    );
    let BulkOutcome::Created { users, .. } = service
        .bulk_create_users(id, &from_json(json!({"quantity": 5})))
        .unwrap()
    else {
        panic!("expected created users")
    };
    let extensions: Vec<&str> = users.iter().map(|u| u.extension.as_str()).collect();
    assert_eq!(extensions, ["100", "101", "102", "103", "104"]);
    assert!(
        users
            .iter()
            .all(|u| u.status == crate::domain::UserStatus::Unassigned && u.first_name.is_none())
    );
    let placeholder = users[2].id;
    assert!(
        refused(service.enable_user(placeholder, &user_input(json!({}))))["first_name"]
            .contains("required")
    );
    let enabled = service
        .enable_user(placeholder, &user_input(json!({"first_name": "Ada", "feature_plan": "advanced", "email": "ada@example.com", "username": "ada"})))
        .unwrap();
    assert_eq!(
        (enabled.status, enabled.extension.as_str()),
        (crate::domain::UserStatus::Active, "102")
    );
    assert_eq!(
        outbox(dir.path()).len(),
        1,
        "enabling with portal access sends the welcome"
    );
    assert_eq!(
        conflict(service.enable_user(placeholder, &user_input(json!({"first_name": "X"})))),
        "status"
    );
}

// --- tokens and unclaimed ----------------------------------------------------------------

#[test]
fn tokens_are_shown_once_and_stored_as_digests() {
    let (_dir, service) = service();
    let initial = service.create_initial_token().unwrap().unwrap();
    assert!(service.create_initial_token().unwrap().is_none());
    assert_eq!(
        service
            .authenticate_token(&initial.token)
            .unwrap()
            .unwrap()
            .id,
        initial.id
    );
    assert!(service.authenticate_token("wrong").unwrap().is_none());
    assert!(
        service
            .store
            .tokens()
            .unwrap()
            .iter()
            .all(|t| t.digest != initial.token)
    );
    // The last admin token cannot go: nobody could administer the provider any more.
    let refused = service.delete_token(initial.id).unwrap_err();
    assert!(
        matches!(&refused, Error::Conflict { field, message } if field == "token" && message.contains("last admin token")),
        "{refused:?}"
    );
    let registrar = service
        .create_token(&from_json(
            json!({"name": "kamailio", "scope": "registrar"}),
        ))
        .unwrap();
    let read_only = service
        .create_token(&from_json(json!({"name": "dashboard", "read_only": true})))
        .unwrap();
    assert!(
        service.delete_token(initial.id).is_err(),
        "registrar and read-only tokens do not administer"
    );
    service.delete_token(registrar.id).unwrap();
    service.delete_token(read_only.id).unwrap();
    let second = service
        .create_token(&from_json(json!({"name": "second"})))
        .unwrap();
    service.delete_token(initial.id).unwrap();
    assert!(
        service
            .authenticate_token(&initial.token)
            .unwrap()
            .is_none()
    );
    assert!(service.delete_token(second.id).is_err());
}

#[test]
fn an_expired_token_opens_nothing_and_uses_are_saved_once_a_minute() {
    let (_dir, service) = service();
    let later = (now() + jiff::SignedDuration::from_hours(1)).to_string();
    let token = service
        .create_token(&from_json(json!({"name": "temp", "expires_at": later})))
        .unwrap();
    assert!(service.authenticate_token(&token.token).unwrap().is_some());
    service.save_token_uses().unwrap();
    let saved = service.store.token(token.id).unwrap().unwrap().last_used_at;
    assert!(saved.is_some(), "the use is saved");
    assert!(service.authenticate_token(&token.token).unwrap().is_some());
    service.save_token_uses().unwrap();
    assert_eq!(
        service.store.token(token.id).unwrap().unwrap().last_used_at,
        saved,
        "not rewritten within the minute"
    );
    // The expiry passes (made to have passed: tests do not wait).
    service
        .store
        .write(|w| {
            let mut record = w.token(token.id)?.unwrap();
            record.expires_at = Some(now() - jiff::SignedDuration::from_secs(1));
            w.put_token(&record)
        })
        .unwrap();
    assert!(service.authenticate_token(&token.token).unwrap().is_none());
}

// --- concurrency and durability ----------------------------------------------------------

/// Runs `attempt` on 16 threads at once and returns how many succeeded and the conflicting
/// fields of the rest.
fn race(
    service: &Arc<Service>,
    attempt: impl Fn(&Service, usize) -> Result<(), Error> + Send + Sync + 'static,
) -> (usize, Vec<String>) {
    let attempt = Arc::new(attempt);
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (service, attempt, barrier) = (service.clone(), attempt.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                attempt(&service, i)
            })
        })
        .collect();
    let results: Vec<Result<(), Error>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let successes = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .into_iter()
        .filter_map(|r| r.err())
        .map(|e| conflict(Err::<(), _>(e)))
        .collect();
    (successes, conflicts)
}

#[test]
fn racing_creations_of_the_same_values_let_exactly_one_win() {
    let dir = tempfile::tempdir().unwrap();
    let service = Arc::new(service_in(dir.path()));
    let id = account(&service);
    let (wins, losers) = race(&service, move |s, i| {
        create(
            s,
            id,
            json!({"first_name": format!("E{i}"), "extension": "170"}),
        )
        .map(drop)
    });
    assert_eq!(
        (wins, losers.iter().all(|f| f == "extension")),
        (1, true),
        "{losers:?}"
    );

    let (wins, losers) = race(&service, move |s, i| {
        create(
            s,
            id,
            json!({"first_name": "U", "extension": (110 + i).to_string(), "username": "racer"}),
        )
        .map(drop)
    });
    assert_eq!(
        (wins, losers.iter().all(|f| f == "username")),
        (1, true),
        "{losers:?}"
    );

    let (wins, losers) = race(&service, move |s, i| {
        let email = if i % 2 == 0 {
            "Race@Example.com"
        } else {
            "race@EXAMPLE.com"
        };
        create(
            s,
            id,
            json!({"first_name": "M", "extension": (130 + i).to_string(), "email": email}),
        )
        .map(drop)
    });
    assert_eq!(
        (wins, losers.iter().all(|f| f == "email")),
        (1, true),
        "{losers:?}"
    );

    let (wins, losers) = race(&service, move |s, i| {
        let notations = [
            "001565aabbcc",
            "00:15:65:AA:BB:CC",
            "00-15-65-aa-bb-cc",
            "0015.65aa.bbcc",
        ];
        s.create_device(
            id,
            &from_json(json!({"mac": notations[i % 4], "model": "T46S"})),
        )
        .map(drop)
    });
    assert_eq!(
        (wins, losers.iter().all(|f| f == "mac")),
        (1, true),
        "{losers:?}"
    );
    assert_eq!(service.store.users_of(id).unwrap().len(), 3);
}

#[test]
fn everything_written_is_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (id, user) = {
        let service = service_in(dir.path());
        let id = account(&service);
        let user = create(&service, id, json!({"first_name": "Ada", "numbers": [{"area_code": "514"}], "device": {"mac": "001565000001", "model": "T46S"}})).unwrap();
        (id, user)
    };
    let service = service_in(dir.path());
    let reread = service.user(user.id).unwrap();
    assert_eq!(
        (reread.extension, reread.numbers),
        (user.extension, user.numbers)
    );
    assert_eq!(reread.lines.len(), 1);
    assert_eq!(
        service
            .account(id)
            .unwrap()
            .numbers
            .iter()
            .filter(|n| n.user == Some(user.id))
            .count(),
        1
    );
    assert_eq!(
        service
            .device("001565000001".parse().unwrap())
            .unwrap()
            .lines[0]
            .sip
            .username,
        user.lines[0].sip.username
    );
}

// --- portal ------------------------------------------------------------------------------

#[test]
fn the_welcome_link_sets_the_password_once_and_the_user_can_sign_in() {
    let (dir, service) = service();
    let id = account(&service);
    create(
        &service,
        id,
        json!({"first_name": "Grace", "feature_plan": "advanced", "email": "grace@example.com", "username": "grace"}),
    )
    .unwrap();
    let message = outbox(dir.path()).remove(0);
    let token = message
        .split("/welcome/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(matches!(
        service.password_link(&token).unwrap(),
        LinkState::Valid { .. }
    ));
    assert_eq!(service.password_link("nope").unwrap(), LinkState::Unknown);
    assert!(
        service
            .sign_in("grace", "new-s3cret-pass")
            .unwrap()
            .is_none()
    );
    let mismatch = service.set_password_with_link(&token, "new-s3cret-pass", "other");
    assert!(refused(mismatch).contains_key("password"));
    service
        .set_password_with_link(&token, "new-s3cret-pass", "new-s3cret-pass")
        .unwrap();
    assert_eq!(service.password_link(&token).unwrap(), LinkState::Used);
    assert_eq!(
        conflict(service.set_password_with_link(&token, "again-pass-1", "again-pass-1")),
        "link"
    );
    assert!(
        service
            .sign_in("GRACE@example.com", "new-s3cret-pass")
            .unwrap()
            .is_some()
    );
    assert!(
        service
            .sign_in("grace", "wrong-password")
            .unwrap()
            .is_none()
    );
    assert!(
        service
            .sign_in("nobody", "new-s3cret-pass")
            .unwrap()
            .is_none()
    );
}

// --- the phone path ------------------------------------------------------------------------

fn phone(file: &str, credentials: Credentials) -> PhoneRequest {
    PhoneRequest {
        file: file.into(),
        address: "192.0.2.10".parse().unwrap(),
        user_agent: Some("Yealink SIP-T46S 66.86.0.15 00:15:65:00:00:01".into()),
        credentials,
        server_url: "https://prov.example.com:8443/".into(),
    }
}

fn basic(username: &str, password: &str) -> Credentials {
    Credentials::Basic {
        username: username.into(),
        password: password.into(),
    }
}

#[test]
fn a_device_is_handed_its_credentials_once_then_must_present_them() {
    let (_dir, service) = service();
    let id = account(&service);
    let ada = create(
        &service,
        id,
        json!({"first_name": "Zoé", "language": "fr", "time_zone": "Europe/Paris"}),
    )
    .unwrap();
    let view = device(&service, id, "001565000001", "T46S");
    line(&service, "001565000001", None, json!({"user": ada.id.0})).unwrap();

    let PhoneAnswer::File { body, etag } = service
        .phone_fetch(&phone("001565000001.cfg", Credentials::None), &Unlimited)
        .unwrap()
    else {
        panic!("the armed device gets its file")
    };
    assert!(body.starts_with("#!version:1.0.0.1\n"));
    assert!(body.contains(&format!(
        "static.auto_provision.server.password = {}",
        view.provisioning.password
    )));
    assert!(
        body.contains("lang.gui = French")
            && body.contains("local_time.time_zone_name = France(Paris)")
    );
    let unauthenticated = service
        .phone_fetch(&phone("001565000001.cfg", Credentials::None), &Unlimited)
        .unwrap();
    assert_eq!(
        unauthenticated,
        PhoneAnswer::Unauthorized,
        "the hand-off works once"
    );
    let again = service
        .phone_fetch(
            &phone(
                "001565000001.cfg",
                basic("001565000001", &view.provisioning.password),
            ),
            &Unlimited,
        )
        .unwrap();
    assert_eq!(
        again,
        PhoneAnswer::File { body, etag },
        "same bytes, same tag"
    );
    let device = service.device("001565000001".parse().unwrap()).unwrap();
    assert_eq!(device.provisioning.refused_attempts, 1);
    assert!(
        device.provisioning.handed_off_at.is_some() && device.provisioning.armed_until.is_none()
    );
    let audit = service
        .store
        .audit("001565000001".parse().unwrap(), 10)
        .unwrap();
    let outcomes: Vec<FetchOutcome> = audit.iter().map(|f| f.outcome).collect();
    assert_eq!(
        outcomes,
        [
            FetchOutcome::Served,
            FetchOutcome::Unauthorized,
            FetchOutcome::HandedOff
        ]
    );
    assert_eq!(audit[0].model.as_deref(), Some("T46S"));
    assert_eq!(audit[0].firmware.as_deref(), Some("66.86.0.15"));
}

#[test]
fn unknown_macs_and_wrong_passwords_look_alike_and_unknown_macs_are_listed() {
    let (_dir, service) = service();
    let id = account(&service);
    device(&service, id, "001565000001", "T46S");
    let wrong = service
        .phone_fetch(
            &phone("001565000001.cfg", basic("001565000001", "guess")),
            &Unlimited,
        )
        .unwrap();
    let mut unknown_request = phone("001565000002.cfg", Credentials::None);
    unknown_request.user_agent = Some("Yealink SIP-T46S 66.86.0.15 00:15:65:00:00:02".into());
    let unknown = service.phone_fetch(&unknown_request, &Unlimited).unwrap();
    assert_eq!(
        (wrong, unknown),
        (PhoneAnswer::Unauthorized, PhoneAnswer::Unauthorized)
    );
    let unclaimed = service.unclaimed_devices().unwrap();
    assert_eq!(unclaimed.len(), 1);
    assert_eq!(
        (unclaimed[0].mac.to_string(), unclaimed[0].model.as_deref()),
        ("001565000002".into(), Some("T46S"))
    );
    let claimed = service
        .claim_device(
            "001565000002".parse().unwrap(),
            &from_json(json!({"account": id.0})),
        )
        .unwrap();
    assert_eq!(claimed.model, "T46S");
    assert!(service.unclaimed_devices().unwrap().is_empty());
}

#[test]
fn a_user_agent_naming_another_mac_is_forbidden() {
    let (_dir, service) = service();
    let id = account(&service);
    let view = device(&service, id, "001565000009", "T46S");
    let request = phone(
        "001565000009.cfg",
        basic("001565000009", &view.provisioning.password),
    );
    assert_eq!(
        service.phone_fetch(&request, &Unlimited).unwrap(),
        PhoneAnswer::Forbidden
    );
}

#[test]
fn a_phone_of_another_family_is_forbidden_and_leaves_the_hand_off_armed() {
    let (_dir, service) = service();
    let id = account(&service);
    let mac = "805ec009abdc";
    let view = device(&service, id, mac, "W60B");
    let t46s = "Yealink SIP-T46S 66.86.0.15 80:5e:c0:09:ab:dc";
    let mut first_boot = phone("805ec009abdc.cfg", Credentials::None);
    first_boot.user_agent = Some(t46s.into());
    assert_eq!(
        service.phone_fetch(&first_boot, &Unlimited).unwrap(),
        PhoneAnswer::Forbidden
    );
    let after = service.device(mac.parse().unwrap()).unwrap();
    assert!(after.provisioning.armed_until.is_some(), "not handed off");
    let mismatch = after.model_mismatch.unwrap();
    assert_eq!((mismatch.model.as_str(), mismatch.count), ("T46S", 1));
    assert_eq!(mismatch.user_agent, t46s);

    let mut proven = phone("805ec009abdc.cfg", basic(mac, &view.provisioning.password));
    proven.user_agent = Some(t46s.into());
    assert_eq!(
        service.phone_fetch(&proven, &Unlimited).unwrap(),
        PhoneAnswer::Forbidden
    );
    // A model of the same family (one common file), no User-Agent, an unknown model: served.
    for user_agent in [
        Some("Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc"),
        None,
        Some("Yealink SIP-T99Z 199.90.0.1 80:5e:c0:09:ab:dc"),
    ] {
        proven.user_agent = user_agent.map(str::to_owned);
        assert!(
            matches!(
                service.phone_fetch(&proven, &Unlimited).unwrap(),
                PhoneAnswer::File { .. }
            ),
            "{user_agent:?}"
        );
    }
    let after = service.device(mac.parse().unwrap()).unwrap();
    assert_eq!(after.model_mismatch.map(|m| m.count), Some(2));
    let outcomes: Vec<FetchOutcome> = service
        .device_audit(mac.parse().unwrap(), 10)
        .unwrap()
        .iter()
        .map(|fetch| fetch.outcome)
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == FetchOutcome::ModelMismatch)
            .count(),
        2
    );
}

/// A listener's allowance of failures: `left` more, counted as they are spent.
struct Allowance {
    left: std::sync::atomic::AtomicU32,
    spent: std::sync::atomic::AtomicU32,
}

impl Allowance {
    fn of(left: u32) -> Allowance {
        Allowance {
            left: left.into(),
            spent: 0.into(),
        }
    }

    fn spent(&self) -> u32 {
        self.spent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl FailureAllowance for Allowance {
    fn allows(&self, _: std::net::IpAddr) -> bool {
        self.left.load(std::sync::atomic::Ordering::Relaxed) > 0
    }

    fn spend(&self, _: std::net::IpAddr) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let spent = self
            .left
            .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(1))
            .is_ok();
        if spent {
            self.spent.fetch_add(1, Relaxed);
        }
        spent
    }
}

/// No budget: every failure is accepted.
struct Unlimited;

impl FailureAllowance for Unlimited {
    fn allows(&self, _: std::net::IpAddr) -> bool {
        true
    }

    fn spend(&self, _: std::net::IpAddr) -> bool {
        true
    }
}

#[test]
fn a_spent_budget_still_serves_genuine_phones_and_writes_nothing_for_the_rest() {
    let (_dir, service) = service();
    let id = account(&service);
    let view = device(&service, id, "001565000001", "T46S");
    let mac: Mac = "001565000001".parse().unwrap();
    let spent = Allowance::of(0);
    let genuine = phone(
        "001565000001.cfg",
        basic("001565000001", &view.provisioning.password),
    );
    assert!(matches!(
        service.phone_fetch(&genuine, &spent).unwrap(),
        PhoneAnswer::File { .. }
    ));

    let hand_off = phone("001565000001.cfg", Credentials::None);
    let wrong = phone("001565000001.cfg", basic("001565000001", "guess"));
    let mut unknown = phone("001565000002.cfg", basic("001565000002", "guess"));
    unknown.user_agent = Some("Yealink SIP-T46S 66.86.0.15 00:15:65:00:00:02".into());
    let mut mismatch = phone("001565000003.cfg", Credentials::None);
    mismatch.user_agent = Some("Yealink SIP-T46S 66.86.0.15 00:15:65:00:00:09".into());
    for request in [&wrong, &unknown, &mismatch] {
        assert_eq!(
            service.phone_fetch(request, &spent).unwrap(),
            PhoneAnswer::Throttled,
            "{}",
            request.file
        );
    }
    let audit = service.store.audit(mac, 10).unwrap();
    assert_eq!(audit.len(), 1, "only the genuine fetch is in the audit");
    assert!(service.unclaimed_devices().unwrap().is_empty());

    // Re-armed, the device's first-boot fetch waits while the budget is spent …
    service.arm_device(mac, &from_json(json!({}))).unwrap();
    assert_eq!(
        service.phone_fetch(&hand_off, &spent).unwrap(),
        PhoneAnswer::Throttled
    );
    assert!(
        service
            .device(mac)
            .unwrap()
            .provisioning
            .armed_until
            .is_some()
    );
    // … and is served once the budget has room again, without spending from it.
    let refilled = Allowance::of(1);
    assert!(matches!(
        service.phone_fetch(&hand_off, &refilled).unwrap(),
        PhoneAnswer::File { .. }
    ));
    assert_eq!(refilled.spent(), 0);
}

#[test]
fn each_failure_spends_one_and_nothing_else_spends() {
    let (_dir, service) = service();
    let id = account(&service);
    let view = device(&service, id, "001565000001", "T46S");
    let allowance = Allowance::of(100);
    let genuine = phone(
        "001565000001.cfg",
        basic("001565000001", &view.provisioning.password),
    );
    let common = phone("y000000000066.cfg", Credentials::None);
    let not_served = phone("001565000001.boot", Credentials::None);
    for request in [&genuine, &common, &not_served] {
        service.phone_fetch(request, &allowance).unwrap();
    }
    assert_eq!(allowance.spent(), 0);

    let mut unknown = phone("001565000002.cfg", Credentials::None);
    unknown.user_agent = None;
    let failures = [
        phone("001565000001.cfg", Credentials::None),
        phone("001565000001.cfg", basic("001565000001", "guess")),
        phone("001565000001.cfg", Credentials::Invalid),
        unknown,
    ];
    for request in &failures {
        let answer = service.phone_fetch(request, &allowance).unwrap();
        assert_eq!(answer, PhoneAnswer::Unauthorized, "{}", request.file);
    }
    assert_eq!(allowance.spent(), 4);
}

#[test]
fn an_unknown_phone_that_booted_twice_outlasts_an_enumeration() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = service_in(dir.path());
    service.settings.unclaimed_limit = 20;
    let mut genuine = phone("805ec0d57d72.cfg", Credentials::None);
    genuine.user_agent = Some("Yealink SIP-T31G 124.85.257.55 80:5e:c0:d5:7d:72".into());
    for _ in 0..2 {
        service.phone_fetch(&genuine, &Unlimited).unwrap();
    }
    // One guess per MAC, each with a User-Agent as a Yealink of that MAC would send.
    for i in 0..200u32 {
        let mac = format!("001565{:06x}", 0x10_0000 + i);
        let mut guess = phone(&format!("{mac}.cfg"), basic(&mac, "guess"));
        guess.user_agent = Some(format!("Yealink SIP-T46S 66.86.0.15 {mac}"));
        service.phone_fetch(&guess, &Unlimited).unwrap();
    }
    let unclaimed = service.unclaimed_devices().unwrap();
    assert_eq!(unclaimed.len(), 20);
    let kept = unclaimed
        .iter()
        .find(|d| d.mac.to_string() == "805ec0d57d72")
        .expect("the phone is still listed");
    assert_eq!((kept.requests, kept.model.as_deref()), (2, Some("T31G")));
}

#[test]
fn common_files_are_served_to_anyone_and_other_files_are_not_found() {
    let (_dir, service) = service();
    let PhoneAnswer::File { body, .. } = service
        .phone_fetch(&phone("y000000000066.cfg", Credentials::None), &Unlimited)
        .unwrap()
    else {
        panic!("common file")
    };
    assert!(body.contains("static.auto_provision.server.url = https://prov.example.com:8443/"));
    assert!(!body.contains("password"));
    for file in [
        "001565000001.boot",
        "y000000000000.boot",
        "001565000001-local.cfg",
        "passwd",
        "",
    ] {
        assert_eq!(
            service
                .phone_fetch(&phone(file, Credentials::None), &Unlimited)
                .unwrap(),
            PhoneAnswer::NotFound,
            "{file}"
        );
    }
}

#[test]
fn the_pool_grows_and_shrinks_by_number() {
    let (_dir, service) = service();
    let id = account(&service);
    let view = service
        .add_numbers(id, &[NumberInput::Number("+14385550199".into())])
        .unwrap();
    assert!(
        view.numbers
            .iter()
            .any(|n| n.number == "+14385550199" && n.area_code.as_deref() == Some("438"))
    );
    let ada = create(
        &service,
        id,
        json!({"first_name": "Ada", "numbers": ["+14385550199"]}),
    )
    .unwrap();
    let taken = service.remove_number(id, &"+14385550199".parse().unwrap());
    assert_eq!(conflict(taken), "number");
    service.delete_user(ada.id).unwrap();
    service
        .remove_number(id, &"+14385550199".parse().unwrap())
        .unwrap();
    assert!(
        service
            .numbers(id)
            .unwrap()
            .iter()
            .all(|n| n.number != "+14385550199")
    );
    assert!(matches!(
        service.remove_number(id, &"+19999999999".parse().unwrap()),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn a_number_followed_by_its_area_code_is_refused_not_run_together() {
    let (_dir, service) = service();
    let mut input = account_input("acme.example.com");
    input.numbers = Some(vec![NumberInput::Number("+14385550101 438".into())]);
    let refusal = refused(service.create_account(&input));
    assert!(refusal["numbers"].contains("area_code"), "{refusal:?}");
}

#[test]
fn enabling_a_placeholder_with_a_mac_registers_the_model_it_was_ordered_with() {
    let (_dir, service) = service();
    let id = account(&service);
    let BulkOutcome::Created { users, .. } = service
        .bulk_create_users(id, &from_json(json!({"quantity": 1, "model": "T46S"})))
        .unwrap()
    else {
        panic!("expected created users")
    };
    let enabled = service
        .enable_user(
            users[0].id,
            &user_input(json!({"first_name": "Ada", "device": {"mac": "001565000071"}})),
        )
        .unwrap();
    assert_eq!(enabled.lines.len(), 1);
    let device = service.device("001565000071".parse().unwrap()).unwrap();
    assert_eq!(device.model, "T46S");
}

//! Phones that register: a real Kamailio with the shipped configuration authenticates every
//! line with exactly what sipprov served — the server, outbound proxy, user, auth name and
//! password read from the phone files fetched as phones fetch them — and follows every
//! change (rotation, unassignment, deletions) at the next REGISTER, failing closed when
//! sipprov is gone; and Kamailio reading its own table, filled by the export.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::json;
use sipprov::domain::{AccountId, Mac, UserId};
use sipprov::http::RequestSpec;

use crate::app::{TestApp, input};
use crate::kamailio::{Kamailio, SipAccount, sqlite, subscriber_database};
use crate::registrar::token;

const T46S: (&str, &str) = (
    "001565004611",
    "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:11",
);
const W60B: (&str, &str) = ("805ec009ab11", "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:11");

/// A device's file as the phone gets it: `key = value` pairs.
struct PhoneFile(BTreeMap<String, String>);

impl PhoneFile {
    fn value(&self, key: &str) -> &str {
        self.0
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not in the file"))
    }

    /// The SIP account of slot `n`, exactly as the phone would register it.
    fn account(&self, n: u16) -> SipAccount {
        let key = |rest: &str| format!("account.{n}.{rest}");
        assert_eq!(self.value(&key("enable")), "1", "slot {n} is in use");
        let server = self.value(&key("sip_server.1.address")).to_owned();
        let next_hop = if self.value(&key("outbound_proxy_enable")) == "1" {
            (
                self.value(&key("outbound_proxy.1.address")).to_owned(),
                self.value(&key("outbound_proxy.1.port")).parse().unwrap(),
            )
        } else {
            (
                server.clone(),
                self.value(&key("sip_server.1.port")).parse().unwrap(),
            )
        };
        SipAccount {
            server,
            next_hop,
            user: self.value(&key("user_name")).to_owned(),
            auth_name: self.value(&key("auth_name")).to_owned(),
            password: self.value(&key("password")).to_owned(),
        }
    }
}

/// A phone: its MAC, its User-Agent, and the provisioning credentials its last file gave it.
struct Phone {
    mac: &'static str,
    user_agent: &'static str,
    credentials: Option<(String, String)>,
}

impl Phone {
    fn new((mac, user_agent): (&'static str, &'static str)) -> Phone {
        Phone {
            mac,
            user_agent,
            credentials: None,
        }
    }

    /// Fetches `<mac>.cfg` over TLS as the phone does: without credentials the first time
    /// (the hand-off), then with those the file handed it.
    async fn fetch(&mut self, app: &TestApp) -> PhoneFile {
        let mut request =
            RequestSpec::get(format!("/{}.cfg", self.mac)).header("User-Agent", self.user_agent);
        if let Some((username, password)) = &self.credentials {
            let basic = STANDARD.encode(format!("{username}:{password}"));
            request = request.header("Authorization", format!("Basic {basic}"));
        }
        let response = app.phone().send(request).await.unwrap();
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        let file = PhoneFile(
            response
                .text()
                .lines()
                .filter_map(|line| line.split_once(" = "))
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
        );
        self.credentials = Some((
            file.value("static.auto_provision.server.username")
                .to_owned(),
            file.value("static.auto_provision.server.password")
                .to_owned(),
        ));
        file
    }
}

fn person(app: &TestApp, account: AccountId, name: &str) -> UserId {
    app.service()
        .create_user(account, &input(json!({"first_name": name})))
        .unwrap()
        .id
}

fn assign(app: &TestApp, mac: &str, line: u16, user: UserId) {
    let mac: Mac = mac.parse().unwrap();
    app.service()
        .assign_line(mac, Some(line), &input(json!({"user": user.0})))
        .unwrap();
}

#[tokio::test]
async fn phones_register_at_kamailio_with_what_sipprov_served() {
    let app = TestApp::start().await;
    let registrar = token(&app, "registrar", false).await;
    let ha1_url = format!("{}/registrar/v1/ha1", app.admin_base());
    let kamailio = Kamailio::start(
        "kamailio.cfg",
        &[
            ("SIPPROV_HA1_URL", &ha1_url),
            ("SIPPROV_REGISTRAR_TOKEN", &registrar),
        ],
        tempfile::tempdir().unwrap(),
    );
    let service = app.service();
    let acme = service
        .create_account(&input(json!({
            "name": "Acme",
            "domain": "acme.example.com",
            "group_name": "acme",
            "registrar": {"host": "127.0.0.1", "port": kamailio.port, "transport": "udp"},
        })))
        .unwrap()
        .id;
    for (mac, model) in [(T46S.0, "T46S"), (W60B.0, "W60B")] {
        service
            .create_device(acme, &input(json!({"mac": mac, "model": model})))
            .unwrap();
    }
    let [ada, bob, cid, dee] = ["Ada", "Bob", "Cid", "Dee"].map(|name| person(&app, acme, name));
    assign(&app, T46S.0, 1, ada);
    assign(&app, W60B.0, 1, bob);
    assign(&app, W60B.0, 2, cid);
    assign(&app, W60B.0, 4, dee);

    let mut desk = Phone::new(T46S);
    let mut base = Phone::new(W60B);
    let desk_file = desk.fetch(&app).await;
    let base_file = base.fetch(&app).await;
    let ada_line = desk_file.account(1);
    assert_eq!(
        ada_line.server, "acme.example.com",
        "registers as user@domain"
    );
    assert_eq!(
        ada_line.next_hop,
        ("127.0.0.1".to_owned(), kamailio.port),
        "through the registrar"
    );
    let lines = [
        ada_line,
        base_file.account(1),
        base_file.account(2),
        base_file.account(4),
    ];
    for line in &lines {
        kamailio.accepts(line, "a provisioned line registers").await;
    }
    let mut wrong = lines[0].clone();
    wrong.password.push('x');
    kamailio.refuses(&wrong, "a wrong password").await;

    // Rotation: the old password is refused at once, the new one (from the next fetch) works.
    service.rotate_line(W60B.0.parse().unwrap(), 2).unwrap();
    kamailio
        .refuses(&lines[2], "the password before rotation")
        .await;
    let rotated = base.fetch(&app).await.account(2);
    assert_ne!(rotated.password, lines[2].password);
    kamailio.accepts(&rotated, "the rotated password").await;

    // Unassigned, user deleted, device deleted: refused at the next REGISTER.
    service.unassign_line(W60B.0.parse().unwrap(), 4).unwrap();
    kamailio.refuses(&lines[3], "an unassigned line").await;
    service.delete_user(bob).unwrap();
    kamailio.refuses(&lines[1], "a deleted user's line").await;
    kamailio.accepts(&rotated, "the base's other line").await;
    service.delete_device(W60B.0.parse().unwrap()).unwrap();
    kamailio.refuses(&rotated, "a deleted device's line").await;

    // Without sipprov, nothing registers: the configuration fails closed.
    kamailio.accepts(&lines[0], "still provisioned").await;
    app.stop().await;
    kamailio.refuses(&lines[0], "sipprov stopped").await;
    assert!(
        !kamailio.log().contains(&registrar),
        "the token is not logged"
    );
}

/// Exports the subscriber rows with the CLI and loads them into Kamailio's table.
async fn export(app: &TestApp, database: &std::path::Path) {
    let sql = crate::cli::sipprov_with(
        app,
        &app.token(),
        &["registrar", "export", "--format", "kamailio-sql"],
    )
    .await;
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    sqlite(database, &sql.stdout);
}

#[tokio::test]
async fn kamailio_reading_its_own_table_registers_what_the_export_gave_it() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = subscriber_database(dir.path());
    let url = format!("sqlite://{}", database.display());
    let kamailio = Kamailio::start(
        "kamailio-subscriber.cfg",
        &[("SIPPROV_KAMAILIO_DB", &url)],
        dir,
    );
    let service = app.service();
    let acme = service
        .create_account(&input(json!({
            "name": "Acme",
            "domain": "acme.example.com",
            "group_name": "acme",
            "registrar": {"host": "127.0.0.1", "port": kamailio.port},
        })))
        .unwrap()
        .id;
    service
        .create_device(acme, &input(json!({"mac": T46S.0, "model": "T46S"})))
        .unwrap();
    let ada = person(&app, acme, "Ada");
    assign(&app, T46S.0, 1, ada);
    let mut desk = Phone::new(T46S);
    let line = desk.fetch(&app).await.account(1);
    kamailio.refuses(&line, "before any export").await;

    export(&app, &database).await;
    kamailio.accepts(&line, "an exported line").await;
    let mut wrong = line.clone();
    wrong.password.push('x');
    kamailio.refuses(&wrong, "a wrong password").await;

    // Push lags: the table knows a rotation only from the next export.
    service.rotate_line(T46S.0.parse().unwrap(), 1).unwrap();
    let rotated = desk.fetch(&app).await.account(1);
    kamailio
        .accepts(&line, "the old password, before the export")
        .await;
    export(&app, &database).await;
    kamailio.refuses(&line, "the old password").await;
    kamailio.accepts(&rotated, "the new password").await;

    // The export replaces its domains' rows: an unassigned line disappears from the table.
    service.unassign_line(T46S.0.parse().unwrap(), 1).unwrap();
    export(&app, &database).await;
    kamailio.refuses(&rotated, "an unassigned line").await;
    app.stop().await;
}

//! An enumeration of MACs and passwords from many addresses, as the study of issue 9 ran it:
//! 49 loopback addresses of one /24 (then of 49 /24s) guess at once. What reaches the
//! credential check and the store is counted from the server's side — the unclaimed list,
//! the audit, the throttle's counters — against the network and global budgets, while a
//! genuine phone in the same network is served every time and a real unknown phone stays
//! in the unclaimed list. Windows are a day long, so nothing refills during a test and the
//! counts are exact; only the hand-off test waits for a (five-second) window.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::json;
use sipprov::config::Config;
use sipprov::domain::{FetchOutcome, Mac};
use sipprov::http::RequestSpec;
use sipprov::http::phone::{Budget, Budgets};
use sipprov::service::DeviceView;

use crate::app::{TestApp, acme, input, logs};

const ADDRESS_BURST: u32 = 3;
const NETWORK_BURST: u32 = 40;
const GLOBAL_BURST: u32 = 60;
/// Probes each scanning address sends.
const PROBES: u32 = 5;

const KNOWN_MAC: &str = "001565004601";
const KNOWN_UA: &str = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:01";

fn budget(burst: u32, window: Duration) -> Budget {
    Budget { burst, window }
}

/// Small budgets that do not refill during a test.
fn small_budgets(config: &mut Config) {
    let day = Duration::from_secs(24 * 3600);
    config.phone_throttle = Budgets {
        address: budget(ADDRESS_BURST, day),
        network: budget(NETWORK_BURST, day),
        global: budget(GLOBAL_BURST, day),
    };
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

/// `GET /<mac>.cfg` from `source`, as a Yealink phone of that MAC.
async fn fetch(
    app: &TestApp,
    source: &str,
    mac: &str,
    user_agent: &str,
    authorization: Option<&str>,
) -> StatusCode {
    let mut request = RequestSpec::get(format!("/{mac}.cfg")).header("User-Agent", user_agent);
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    app.phone_from(source).send(request).await.unwrap().status
}

fn registered(app: &TestApp, mac: &str) -> DeviceView {
    let account = app.service().create_account(&input(acme())).unwrap().id;
    app.service()
        .create_device(account, &input(json!({"mac": mac, "model": "T46S"})))
        .unwrap()
}

/// Every address of `sources` sends [`PROBES`] probes at once with the others: unknown
/// MACs, each MAC once, with the User-Agent a Yealink of that MAC would send — the first
/// probe a wrong password for the known device instead, `with_wrong_passwords`. The
/// statuses, in no particular order.
async fn enumerate(
    app: &TestApp,
    sources: &[String],
    tag: u8,
    with_wrong_passwords: bool,
) -> Vec<StatusCode> {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, source) in sources.iter().enumerate() {
        let client = app.phone_from(source);
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for probe in 0..PROBES {
                let (mac, user_agent, authorization) = if with_wrong_passwords && probe == 0 {
                    let guess = basic(KNOWN_MAC, &format!("guess-{index}"));
                    (KNOWN_MAC.to_owned(), KNOWN_UA.to_owned(), guess)
                } else {
                    let mac = format!("001565{tag:02x}{index:02x}{probe:02x}");
                    let user_agent = format!("Yealink SIP-T46S 66.86.0.15 {mac}");
                    let guess = basic(&mac, "guess");
                    (mac, user_agent, guess)
                };
                let request = RequestSpec::get(format!("/{mac}.cfg"))
                    .header("User-Agent", user_agent)
                    .header("Authorization", authorization);
                statuses.push(client.send(request).await.unwrap().status);
            }
            statuses
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.extend(done.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// 127.0.0.2 … 127.0.0.50: 49 addresses of one /24.
fn one_network() -> Vec<String> {
    (2..=50).map(|i| format!("127.0.0.{i}")).collect()
}

/// 127.0.1.9 … 127.0.49.9: 49 addresses, each of its own /24.
fn many_networks() -> Vec<String> {
    (1..=49).map(|i| format!("127.0.{i}.9")).collect()
}

/// Failures that reached the store: the unclaimed list's request counts and the known
/// device's refused fetches.
fn checked_in_store(app: &TestApp) -> u64 {
    let unclaimed: u64 = app
        .service()
        .unclaimed_devices()
        .unwrap()
        .iter()
        .map(|device| device.requests)
        .sum();
    let mac: Mac = KNOWN_MAC.parse().unwrap();
    let refused = app
        .service()
        .device_audit(mac, 1000)
        .unwrap()
        .iter()
        .filter(|fetch| fetch.outcome == FetchOutcome::Unauthorized)
        .count();
    unclaimed + refused as u64
}

#[tokio::test]
async fn an_enumeration_from_49_addresses_is_held_to_the_network_and_global_budgets() {
    let app = TestApp::start_with(small_budgets).await;
    let known = registered(&app, KNOWN_MAC);
    let genuine_auth = basic(&known.provisioning.username, &known.provisioning.password);
    let genuine = "127.0.0.60";
    assert_eq!(
        fetch(&app, genuine, KNOWN_MAC, KNOWN_UA, Some(&genuine_auth)).await,
        StatusCode::OK
    );

    // A genuine phone of the scanners' own network keeps fetching its file meanwhile.
    let phone = app.phone_from(genuine);
    let auth = genuine_auth.clone();
    let genuine_fetches = tokio::spawn(async move {
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let request = RequestSpec::get(format!("/{KNOWN_MAC}.cfg"))
                .header("User-Agent", KNOWN_UA)
                .header("Authorization", &auth);
            statuses.push(phone.send(request).await.unwrap().status);
        }
        statuses
    });
    let first = enumerate(&app, &one_network(), 1, true).await;
    assert_eq!(first.len(), 49 * PROBES as usize);
    assert_eq!(
        count(&first, StatusCode::UNAUTHORIZED),
        NETWORK_BURST as usize,
        "one /24 gets its network's budget, not 49 × {ADDRESS_BURST}"
    );
    assert_eq!(
        count(&first, StatusCode::TOO_MANY_REQUESTS),
        first.len() - NETWORK_BURST as usize
    );
    assert_eq!(checked_in_store(&app), u64::from(NETWORK_BURST));

    let second = enumerate(&app, &many_networks(), 2, true).await;
    assert_eq!(
        count(&second, StatusCode::UNAUTHORIZED),
        (GLOBAL_BURST - NETWORK_BURST) as usize,
        "49 networks together get what is left of the global budget"
    );
    assert_eq!(checked_in_store(&app), u64::from(GLOBAL_BURST));
    assert_eq!(app.throttle().failures(), u64::from(GLOBAL_BURST));
    let trips = app.throttle().trips();
    assert_eq!((trips.network, trips.global), (1, 1), "{trips:?}");

    let genuine_statuses = genuine_fetches.await.unwrap();
    assert!(
        genuine_statuses.iter().all(|s| *s == StatusCode::OK),
        "{genuine_statuses:?}"
    );
    assert_eq!(
        fetch(&app, genuine, KNOWN_MAC, KNOWN_UA, Some(&genuine_auth)).await,
        StatusCode::OK,
        "valid credentials are served whatever the budgets say"
    );
    assert_eq!(
        fetch(&app, "127.0.0.61", KNOWN_MAC, KNOWN_UA, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "no credentials, spent budget: not even looked up"
    );
    assert_eq!(checked_in_store(&app), u64::from(GLOBAL_BURST));

    let warnings: Vec<String> = logs()
        .lines()
        .filter(|line| line.contains("phone failure budget spent"))
        .map(str::to_owned)
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("budget=127.0.0.0/24")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("budget=global")),
        "{warnings:?}"
    );
    for warning in &warnings {
        assert!(
            !warning.contains("guess") && !warning.contains("001565"),
            "{warning}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_real_unknown_phone_outlasts_an_enumeration_that_overflows_the_list() {
    let app = TestApp::start_with(|config| {
        small_budgets(config);
        config.unclaimed_limit = 20;
    })
    .await;
    registered(&app, KNOWN_MAC);
    let (mac, user_agent) = (
        "805ec0d57d72",
        "Yealink SIP-T31G 124.85.257.55 80:5e:c0:d5:7d:72",
    );
    for _ in 0..2 {
        let boot = fetch(&app, "127.0.0.60", mac, user_agent, None).await;
        assert_eq!(boot, StatusCode::UNAUTHORIZED);
    }
    let statuses = enumerate(&app, &one_network(), 1, false).await;
    let reached = count(&statuses, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reached,
        NETWORK_BURST as usize - 2,
        "the phone's two boots came from the same /24"
    );

    let unclaimed = app.service().unclaimed_devices().unwrap();
    assert_eq!(unclaimed.len(), 20, "the enumeration overflowed the list");
    let phone = unclaimed
        .iter()
        .find(|device| device.mac.to_string() == mac)
        .expect("the real phone is still listed");
    assert_eq!(phone.requests, 2);
    assert_eq!(phone.model.as_deref(), Some("T31G"));
    app.stop().await;
}

#[tokio::test]
async fn a_first_boot_waits_while_the_global_budget_is_spent_then_is_served() {
    let window = Duration::from_secs(5);
    let app = TestApp::start_with(|config| {
        small_budgets(config);
        config.phone_throttle.global = budget(1, window);
    })
    .await;
    registered(&app, KNOWN_MAC);
    // A scanner in another network spends the global budget.
    let scan = fetch(&app, "127.0.7.9", "001565abcdef", "curl/8", None).await;
    assert_eq!(scan, StatusCode::UNAUTHORIZED);
    let first_boot = fetch(&app, "127.0.0.70", KNOWN_MAC, KNOWN_UA, None).await;
    assert_eq!(
        first_boot,
        StatusCode::TOO_MANY_REQUESTS,
        "a credential-less hand-off waits like a probe"
    );
    let mac: Mac = KNOWN_MAC.parse().unwrap();
    let view = app.service().device(mac).unwrap();
    assert!(view.provisioning.armed_until.is_some(), "still armed");
    assert_eq!(view.provisioning.refused_attempts, 0);

    // The phone retries (429 carries Retry-After); once the budget has refilled, it is
    // handed its file.
    let mut retry = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..60 {
        tokio::time::sleep(window / 10).await;
        retry = fetch(&app, "127.0.0.70", KNOWN_MAC, KNOWN_UA, None).await;
        if retry != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(retry, StatusCode::OK);
    let view = app.service().device(mac).unwrap();
    assert!(view.provisioning.handed_off_at.is_some());
    assert_eq!(app.throttle().trips().global, 1);
    app.stop().await;
}

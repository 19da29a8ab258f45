//! The firmware repository end to end (issue 10, item 5), over real TLS: an admin uploads an
//! image and pins it for 10 % of the fleet through the API; phones fetch their files and
//! exactly those whose MAC falls in the stage are told the URL; the download through the
//! phone listener is the uploaded bytes, resumes with `Range`, and is refused without
//! credentials.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sipprov::domain::{Mac, stage_bucket};
use sipprov::http::{RequestSpec, Response};

use crate::app::{TestApp, acme};

async fn api(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Response {
    let mut request = RequestSpec::new(method, format!("/api/v1{path}"))
        .header("Authorization", format!("Bearer {}", app.token()));
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    app.admin().send(request).await.unwrap()
}

async fn upload(app: &TestApp, query: &str, bytes: Vec<u8>) -> Response {
    let request = RequestSpec::new(Method::POST, format!("/api/v1/firmware/images?{query}"))
        .header("Authorization", format!("Bearer {}", app.token()))
        .header("Content-Type", "application/octet-stream")
        .body(bytes);
    app.admin().send(request).await.unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers.get(name).and_then(|v| v.to_str().ok())
}

fn json_of(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

/// A phone: its MAC, its User-Agent, its Basic credentials.
struct Phone {
    mac: Mac,
    user_agent: String,
    auth: String,
}

impl Phone {
    async fn get(&self, app: &TestApp, path: &str, range: Option<&str>) -> Response {
        let mut request = RequestSpec::get(path)
            .header("User-Agent", &self.user_agent)
            .header("Authorization", &self.auth);
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        app.phone().send(request).await.unwrap()
    }

    /// The `static.firmware.url` of its file.
    async fn firmware_url(&self, app: &TestApp) -> String {
        let file = self
            .get(app, &format!("/prov/{}.cfg", self.mac), None)
            .await;
        assert_eq!(file.status, StatusCode::OK, "{}", file.text());
        file.text()
            .lines()
            .find_map(|l| l.strip_prefix("static.firmware.url = "))
            .unwrap()
            .to_owned()
    }
}

async fn fleet(app: &TestApp, count: u8) -> Vec<Phone> {
    let created = api(app, Method::POST, "/accounts", Some(acme())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let mut phones = Vec::new();
    for n in 0..count {
        let mac: Mac = format!("00156500f0{n:02x}").parse().unwrap();
        let body = json!({"mac": mac.to_string(), "model": "T46S"});
        let device = api(app, Method::POST, "/accounts/1/devices", Some(body)).await;
        assert_eq!(device.status, StatusCode::CREATED, "{}", device.text());
        let device = json_of(&device);
        let login = format!(
            "{}:{}",
            device["provisioning"]["username"].as_str().unwrap(),
            device["provisioning"]["password"].as_str().unwrap()
        );
        phones.push(Phone {
            mac,
            user_agent: format!("Yealink SIP-T46S 66.85.0.5 {}", mac.to_colon()),
            auth: format!("Basic {}", STANDARD.encode(login)),
        });
    }
    phones
}

/// Bytes that are not all alike, a little over two upload batches.
fn image(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_rollout_reaches_exactly_its_devices_and_downloads_resume() {
    let app = TestApp::start().await;
    let phones = fleet(&app, 20).await;
    let bytes = image(2 * 1024 * 1024 + 12_345);

    let uploaded = upload(&app, "model=T46S&version=66.86.0.15", bytes.clone()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(json_of(&uploaded)["sha256"], sha256.as_str());
    assert_eq!(json_of(&uploaded)["size"], bytes.len());
    let stored = app.dir.path().join(format!("data/firmware/{sha256}.rom"));
    assert_eq!(std::fs::read(&stored).unwrap(), bytes);

    // Before any pin, nobody is told anything.
    assert_eq!(phones[0].firmware_url(&app).await, "%NULL%");

    let pin = json!({"version": "66.86.0.15", "percent": 10});
    let pinned = api(&app, Method::PUT, "/firmware/pins/T46S", Some(pin)).await;
    assert_eq!(pinned.status, StatusCode::OK, "{}", pinned.text());

    let expected: BTreeSet<Mac> = phones
        .iter()
        .map(|p| p.mac)
        .filter(|mac| stage_bucket(*mac) < 10)
        .collect();
    assert!(!expected.is_empty() && expected.len() < phones.len());
    let mut told = BTreeSet::new();
    let mut urls = Vec::new();
    for phone in &phones {
        let url = phone.firmware_url(&app).await;
        if url != "%NULL%" {
            assert!(url.ends_with(&format!("/firmware/{}-{sha256}-66.86.0.15.rom", phone.mac)));
            told.insert(phone.mac);
            urls.push((phone, url));
        }
    }
    assert_eq!(
        told, expected,
        "the devices told the URL are those of the stage"
    );

    // The download: byte-identical, resumable, refused without credentials.
    let (phone, url) = &urls[0];
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let whole = phone.get(&app, path, None).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(header(&whole, "accept-ranges"), Some("bytes"));
    assert!(whole.body == bytes, "the download is the upload");

    let first = phone.get(&app, path, Some("bytes=0-99999")).await;
    assert_eq!(first.status, StatusCode::PARTIAL_CONTENT);
    let total = bytes.len();
    assert_eq!(
        header(&first, "content-range"),
        Some(format!("bytes 0-99999/{total}").as_str())
    );
    let rest = phone.get(&app, path, Some("bytes=100000-")).await;
    assert_eq!(rest.status, StatusCode::PARTIAL_CONTENT);
    let mut resumed = first.body.to_vec();
    resumed.extend_from_slice(&rest.body);
    assert!(resumed == bytes, "a resumed download is the upload");
    let tail = phone.get(&app, path, Some("bytes=-10")).await;
    assert_eq!(&tail.body[..], &bytes[total - 10..]);
    let beyond = phone
        .get(&app, path, Some(&format!("bytes={total}-")))
        .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(&beyond, "content-range"),
        Some(format!("bytes */{total}").as_str())
    );

    let anonymous = app
        .phone()
        .send(RequestSpec::get(path).header("User-Agent", &phone.user_agent))
        .await
        .unwrap();
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.body.is_empty());
    // Another device's credentials open nothing, and a device outside the stage is not
    // served the image even under its own name.
    let outsider = phones.iter().find(|p| !expected.contains(&p.mac)).unwrap();
    let borrowed = outsider.get(&app, path, None).await;
    assert_ne!(borrowed.status, StatusCode::OK);
    let own_name = format!("/firmware/{}-{sha256}-66.86.0.15.rom", outsider.mac);
    let not_target = outsider.get(&app, &own_name, None).await;
    assert_eq!(not_target.status, StatusCode::NOT_FOUND);

    // Audited; the device view shows what it runs against its target.
    let audit = api(
        &app,
        Method::GET,
        &format!("/devices/{}/audit", phone.mac),
        None,
    )
    .await;
    let audit = json_of(&audit);
    assert!(
        audit["items"].as_array().unwrap().iter().any(|f| f["file"]
            .as_str()
            .unwrap()
            .ends_with(".rom")
            && f["outcome"] == "served"),
        "{audit}"
    );
    let view = json_of(&api(&app, Method::GET, &format!("/devices/{}", phone.mac), None).await);
    assert_eq!(view["firmware"]["running"], "66.85.0.5");
    assert_eq!(view["firmware"]["target"], "66.86.0.15");
    assert_eq!(view["firmware"]["in_stage"], true);

    // A profile first: the outsider joins a "pilot" profile named by the stage.
    let profile = json!({"name": "pilot"});
    let made = api(&app, Method::POST, "/accounts/1/profiles", Some(profile)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let assign = json!({"profile": "pilot"});
    let path = format!("/devices/{}", outsider.mac);
    let assigned = api(&app, Method::PATCH, &path, Some(assign)).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text());
    let pilot = json!({"version": "66.86.0.15", "percent": 10, "profiles": ["pilot"]});
    let pinned = api(&app, Method::PUT, "/firmware/pins/T46S", Some(pilot)).await;
    assert_eq!(json_of(&pinned)["profiles"], json!(["pilot"]));
    let mut told = BTreeSet::new();
    for phone in &phones {
        if phone.firmware_url(&app).await != "%NULL%" {
            told.insert(phone.mac);
        }
    }
    let mut with_pilot = expected.clone();
    with_pilot.insert(outsider.mac);
    assert_eq!(
        told, with_pilot,
        "the stage's devices and the pilot profile's"
    );

    // Raising the stage only adds devices.
    let all = json!({"version": "66.86.0.15", "percent": 100});
    api(&app, Method::PUT, "/firmware/pins/T46S", Some(all)).await;
    for phone in &phones {
        assert_ne!(phone.firmware_url(&app).await, "%NULL%");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_field_and_write_nothing() {
    let app = TestApp::start_with(|config| config.limits.max_firmware_bytes = 4096).await;
    let created = api(&app, Method::POST, "/accounts", Some(acme())).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let refused = |response: &Response, field: &str| {
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            response.text()
        );
        assert!(
            json_of(response)["error"]["fields"][field].is_string(),
            "{field}: {}",
            response.text()
        );
    };
    let small = image(1000);
    refused(
        &upload(&app, "model=T99X&version=1.2.3.4", small.clone()).await,
        "model",
    );
    refused(
        &upload(&app, "model=T46S&version=66", small.clone()).await,
        "version",
    );
    refused(
        &upload(&app, "model=T46S&version=sixty-six", small.clone()).await,
        "version",
    );
    refused(
        &upload(&app, "model=T46S&version=66.86.0.15", image(5000)).await,
        "body",
    );
    let dir = app.dir.path().join("data/firmware");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing written: {left:?}");

    let ok = upload(&app, "model=T46S&version=66.86.0.15", small.clone()).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let again = upload(&app, "model=T46S&version=66.86.0.16", small).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    for (body, field) in [
        (json!({"version": "66.86.0.15", "percent": 101}), "percent"),
        (json!({"version": "66.86.0.99"}), "version"),
        (json!({"version": "x"}), "version"),
    ] {
        refused(
            &api(&app, Method::PUT, "/firmware/pins/T46S", Some(body)).await,
            field,
        );
    }
    refused(
        &api(
            &app,
            Method::PUT,
            "/firmware/pins/T99X",
            Some(json!({"version": "66.86.0.15"})),
        )
        .await,
        "model",
    );
    let pins = json_of(&api(&app, Method::GET, "/firmware/pins", None).await);
    assert_eq!(pins["items"], json!([]));
    // A pinned image cannot be deleted; an account's pin overrides the global one.
    let pin = json!({"version": "66.86.0.15", "percent": 0});
    let pinned = api(
        &app,
        Method::PUT,
        "/accounts/1/firmware/pins/T46S",
        Some(pin),
    )
    .await;
    assert_eq!(pinned.status, StatusCode::OK, "{}", pinned.text());
    let sha = json_of(&ok)["sha256"].as_str().unwrap().to_owned();
    let delete = api(
        &app,
        Method::DELETE,
        &format!("/firmware/images/{sha}"),
        None,
    )
    .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    // An account's pins go with it; then the image can go too, file and all.
    let gone = api(&app, Method::DELETE, "/accounts/1", None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text());
    let pins = json_of(&api(&app, Method::GET, "/firmware/pins", None).await);
    assert_eq!(pins["items"], json!([]));
    let path = format!("/firmware/images/{sha}");
    let delete = api(&app, Method::DELETE, &path, None).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert!(!dir.join(format!("{sha}.rom")).exists());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_uploads_pins_and_lists() {
    let app = TestApp::start().await;
    let token = app.token();
    let file = app.dir.path().join("T46S-66.86.0.15.rom");
    std::fs::write(&file, image(70_000)).unwrap();
    let file = file.to_str().unwrap();
    let run = |args: &'static [&'static str]| crate::cli::sipprov_with(&app, &token, args);

    let uploaded = crate::cli::sipprov_with(
        &app,
        &token,
        &[
            "firmware",
            "upload",
            "--model",
            "T46S",
            "--version",
            "66.86.0.15",
            file,
        ],
    )
    .await;
    let out = String::from_utf8_lossy(&uploaded.stdout).into_owned();
    assert!(
        uploaded.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&uploaded.stderr)
    );
    assert!(out.contains("66.86.0.15") && out.contains("70000"), "{out}");

    let refused = crate::cli::sipprov_with(
        &app,
        &token,
        &[
            "firmware",
            "upload",
            "--model",
            "T99X",
            "--version",
            "1.2",
            file,
        ],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("model"));

    let pinned = run(&[
        "firmware",
        "pin",
        "--model",
        "T46S",
        "--version",
        "66.86.0.15",
        "--stage",
        "10",
    ])
    .await;
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let pins = run(&["firmware", "pins", "--json"]).await;
    let pins: Value = serde_json::from_slice(&pins.stdout).unwrap();
    assert_eq!(pins["items"][0]["percent"], 10);
    let listed = run(&["firmware", "list"]).await;
    assert!(String::from_utf8_lossy(&listed.stdout).contains("T46S"));
    app.stop().await;
}

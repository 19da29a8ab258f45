//! Every device's own web logins: generated at registration, written into its file, never
//! shared, rotatable through the API, the CLI and the web UI, and never logged.

use std::collections::BTreeSet;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::service::DeviceView;

use crate::app::{TestApp, acme, input, logs};
use crate::registrar::send;

/// The device's file as the phone fetches it, with its own credentials.
async fn file_of(app: &TestApp, device: &DeviceView) -> String {
    // The phone's own User-Agent: its model and MAC.
    let mac = device.mac.to_string();
    let colons: Vec<&str> = (0..6).map(|i| &mac[2 * i..2 * i + 2]).collect();
    let user_agent = match device.model.as_str() {
        "W60B" => format!("Yealink W60B 77.85.0.20 {}", colons.join(":")),
        model => format!("Yealink SIP-{model} 66.86.0.15 {}", colons.join(":")),
    };
    app.device_file(&mac, &user_agent).await
}

/// The `static.security.user_password` values of a file, `level:password` each.
fn web_logins(file: &str) -> Vec<String> {
    file.lines()
        .filter_map(|line| line.strip_prefix("static.security.user_password = "))
        .map(str::to_owned)
        .collect()
}

fn passwords(device: &DeviceView) -> (String, String) {
    (
        device.web.admin.password.clone().expect("an admin sees it"),
        device.web.user.password.clone().expect("an admin sees it"),
    )
}

#[tokio::test]
async fn each_device_gets_its_own_web_passwords_in_its_file() {
    let app = TestApp::start().await;
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    let mut devices = Vec::new();
    for (mac, model) in [
        ("001565004701", "T46S"),
        ("001565004702", "T46S"),
        ("805ec0004703", "W60B"),
    ] {
        devices.push(
            service
                .create_device(account, &input(json!({"mac": mac, "model": model})))
                .unwrap(),
        );
    }
    // A device registered with its user, through the user form.
    service
        .create_user(
            account,
            &input(
                json!({"first_name": "Ada", "device": {"mac": "001565004704", "model": "T46S"}}),
            ),
        )
        .unwrap();
    devices.push(service.device("001565004704".parse().unwrap()).unwrap());

    let mut seen = BTreeSet::new();
    for device in &devices {
        let (admin, user) = passwords(device);
        assert!(admin.len() >= 24 && user.len() >= 24, "generated, long");
        let file = file_of(&app, device).await;
        assert_eq!(
            web_logins(&file),
            [format!("admin:{admin}"), format!("user:{user}")],
            "the file sets both logins"
        );
        assert!(seen.insert(admin) && seen.insert(user), "no two share one");
    }

    // Rotation through the API: new passwords, in the next file.
    let first = &devices[0];
    let (old_admin, old_user) = passwords(first);
    let rotated = send(
        &app,
        Some(&app.token()),
        Method::POST,
        &format!("/api/v1/devices/{}/web-passwords/rotate", first.mac),
        None,
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    let rotated: Value = serde_json::from_slice(&rotated.body).unwrap();
    let new_admin = rotated["web"]["admin"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_admin, old_admin);
    let file = file_of(&app, &service.device(first.mac).unwrap()).await;
    assert!(file.contains(&format!("admin:{new_admin}")));
    assert!(!file.contains(&old_admin) && !file.contains(&old_user));

    // And through the CLI.
    let cli = crate::cli::sipprov_with(
        &app,
        &app.token(),
        &[
            "device",
            "rotate-web-passwords",
            &first.mac.to_string(),
            "--json",
        ],
    )
    .await;
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let shown: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_ne!(shown["web"]["admin"]["password"], json!(new_admin));

    // A registrar token cannot read them at all.
    let registrar = crate::registrar::token(&app, "registrar", false).await;
    let refused = send(
        &app,
        Some(&registrar),
        Method::GET,
        &format!("/api/v1/devices/{}", first.mac),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let logs = logs();
    for password in seen.iter().chain([&new_admin]) {
        assert!(
            !logs.contains(password.as_str()),
            "a web password reached the log"
        );
    }
    app.stop().await;
}

//! Secrets sealed at rest: after provisioning (and a key rotation through the CLI), no
//! generated secret is in the database's files; a data directory restored without its key,
//! or with another key, refuses to start and names the key file.

use std::path::{Path, PathBuf};

use serde_json::json;
use sipprov::app::Server;
use sipprov::config::Config;

use crate::app::{TestApp, input};

/// Every byte of every file below `dir`.
fn files_of(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(files_of(&path));
        } else {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Starts a server on `data` and `certs`; the error chain when it refuses.
async fn start(data: &Path, certs: &Path) -> Result<Server, String> {
    let config = Config {
        data_dir: data.to_owned(),
        certs_dir: certs.to_owned(),
        phone_listen: "127.0.0.1:0".parse().unwrap(),
        admin_listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    Server::start(&config).await.map_err(|e| format!("{e:#}"))
}

#[tokio::test]
async fn no_generated_secret_is_in_the_database_files_and_the_key_is_never_remade() {
    let dir = tempfile::tempdir().unwrap();
    let (data, certs): (PathBuf, PathBuf) = (dir.path().join("data"), dir.path().join("certs"));
    let key_file = data.join("data.key");
    let app = TestApp::start_with(|config| {
        config.data_dir = data.clone();
        config.certs_dir = certs.clone();
    })
    .await;
    let service = app.service();
    let mut account = crate::app::acme();
    account["device_auth"] = json!("account");
    let account = service.create_account(&input(account)).unwrap();
    let user = service
        .create_user(
            account.id,
            &input(
                json!({"first_name": "Ada", "voicemail": {"enabled": true, "pin": "7391"},
                "device": {"mac": "001565000042", "model": "T46S"}}),
            ),
        )
        .unwrap();
    let device = service.device("001565000042".parse().unwrap()).unwrap();
    let line = &device.lines[0];
    let sip_password = line.sip.password.clone().unwrap();
    let ha1 = sipprov::secret::ha1(&line.sip.username, &account.domain, &sip_password);
    let secrets = [
        sip_password,
        ha1,
        device.provisioning.password.clone(),
        account.provisioning.clone().unwrap().password,
    ];
    assert_eq!(user.lines.len(), 1);

    // A rotation through the CLI while the server runs: every record sealed again.
    let token = std::fs::read_to_string(data.join(sipprov::app::ADMIN_TOKEN_FILE)).unwrap();
    let before = std::fs::read_to_string(&key_file).unwrap();
    let rekey = crate::cli::sipprov_with(&app, token.trim(), &["rekey"]).await;
    assert!(
        rekey.status.success(),
        "{}",
        String::from_utf8_lossy(&rekey.stderr)
    );
    let said = String::from_utf8_lossy(&rekey.stdout);
    assert!(said.contains("key id:") && said.contains('2'), "{said}");
    let after = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(before, after);
    assert_eq!(
        after.lines().filter(|l| l.starts_with("key ")).count(),
        1,
        "the old key is gone: {after}"
    );
    assert_eq!(
        service.device(device.mac).unwrap().lines[0].sip.password,
        line.sip.password,
        "the records open under the new key"
    );
    app.stop().await;

    let files = files_of(&data.join("db"));
    for secret in &secrets {
        assert!(
            !contains(&files, secret),
            "a secret is in the database files"
        );
    }

    // Restored without its key: refused, naming the key file; never a new key.
    let kept = dir.path().join("kept.key");
    std::fs::rename(&key_file, &kept).unwrap();
    let refused = start(&data, &certs)
        .await
        .expect_err("no start without the key");
    assert!(
        refused.contains(&key_file.display().to_string()),
        "{refused}"
    );
    assert!(refused.contains("missing"), "{refused}");
    assert!(!key_file.exists(), "no key was made");
    // With another key (the one before the rotation): refused too.
    std::fs::write(&key_file, &before).unwrap();
    let wrong = start(&data, &certs)
        .await
        .expect_err("no start with another key");
    assert!(wrong.contains("does not open this database"), "{wrong}");
    // With its key back, everything opens.
    std::fs::rename(&kept, &key_file).unwrap();
    let server = start(&data, &certs).await.unwrap();
    let device = server.service().device(device.mac).unwrap();
    assert_eq!(device.lines[0].sip.password, line.sip.password);
    server.stop().await;
}

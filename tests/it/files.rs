//! The files the server leaves on disk: the real binary, started with the usual umask 022,
//! provisions an account, a user with a welcome message and a device, and stops; every
//! folder of its data directory is then 0700 and every file 0600.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;
use sipprov::http::{Client, RequestSpec, Trust};

/// Every path below `dir` whose mode is not `0700` (folders) or `0600` (files).
fn too_open(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        let mode = metadata.permissions().mode() & 0o777;
        let expected = if metadata.is_dir() { 0o700 } else { 0o600 };
        if mode != expected {
            found.push(format!("{} is {mode:o}", path.display()));
        }
        if metadata.is_dir() {
            too_open(&path, found);
        }
    }
}

#[tokio::test]
async fn every_file_of_the_data_directory_is_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" serve --phone-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data \"$1\" --certs \"$2\"")
        .arg(env!("CARGO_BIN_EXE_sipprov"))
        .arg(&data)
        .arg(dir.path().join("certs"))
        .env("SIPPROV_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let admin = loop {
        let line = lines.next().expect("the server listens").unwrap();
        if let Some(rest) = line.split("admin=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));

    let token = std::fs::read_to_string(data.join(sipprov::app::ADMIN_TOKEN_FILE)).unwrap();
    let client = Client::new(&format!("http://{admin}"), Trust::none()).unwrap();
    let post = |path: &str, body: serde_json::Value| {
        RequestSpec::new(http::Method::POST, path)
            .header("Authorization", format!("Bearer {}", token.trim()))
            .header("Content-Type", "application/json")
            .body(body.to_string())
    };
    let account = json!({"name": "Acme", "domain": "acme.example.com", "group_name": "acme",
        "registrar": {"host": "sip.example.com"}});
    let created = client
        .send(post("/api/v1/accounts", account))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    let user = json!({"first_name": "Ada", "email": "ada@example.com", "username": "ada",
        "feature_plan": "advanced", "device": {"mac": "001565000099", "model": "T46S"}});
    let created = client
        .send(post("/api/v1/accounts/1/users", user))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    let outbox = std::fs::read_dir(data.join("outbox")).unwrap().count();
    assert_eq!(outbox, 1, "the welcome message is written");

    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    assert!(server.wait().unwrap().success());

    let mut found = Vec::new();
    too_open(&data, &mut found);
    assert!(found.is_empty(), "{found:#?}");
    let data_mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(data_mode, 0o700);
}

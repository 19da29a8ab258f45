//! The admin CLI, run as the real binary against a running server: its tables, its
//! `--json`, its messages and exit codes.

use std::process::Output;

use serde_json::Value;

use crate::app::TestApp;

/// Runs `sipprov ARGS` against the server, with the first admin token from the environment.
async fn sipprov(app: &TestApp, args: &[&str]) -> Output {
    sipprov_with(app, &app.token(), args).await
}

/// Runs `sipprov ARGS` against the server, with `token` from the environment.
pub async fn sipprov_with(app: &TestApp, token: &str, args: &[&str]) -> Output {
    let (base, token) = (app.admin_base(), token.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
            .args(&args)
            .env("SIPPROV_SERVER", base)
            .env("SIPPROV_TOKEN", token)
            .env_remove("SIPPROV_DATA_DIR")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_cli_drives_the_admin_api() {
    let app = TestApp::start().await;
    let added = sipprov(
        &app,
        &[
            "account",
            "add",
            "--name",
            "Acme",
            "--domain",
            "acme.example.com",
            "--group-name",
            "acme",
            "--registrar",
            "sip.example.com",
            "--backup-registrar",
            "sip2.example.com",
            "--backup-transport",
            "tcp",
            "--number",
            "+15145550100",
            "--number",
            "+14385550101 438",
            "--time-zone",
            "America/Toronto",
        ],
    )
    .await;
    assert!(added.status.success(), "{}", stderr(&added));
    // A number followed by its area code is filed under it, not run together with it.
    let pool = app
        .service()
        .numbers(sipprov::domain::AccountId(1))
        .unwrap();
    let filed = pool.iter().find(|n| n.number == "+14385550101");
    assert_eq!(
        filed.and_then(|n| n.area_code.as_deref()),
        Some("438"),
        "{pool:?}"
    );
    assert!(
        stdout(&added).contains("domain:            acme.example.com"),
        "{}",
        stdout(&added)
    );
    assert!(
        stdout(&added).contains("backup registrar:  sip2.example.com"),
        "{}",
        stdout(&added)
    );

    let listed = sipprov(&app, &["account", "list"]).await;
    let table = stdout(&listed);
    assert!(table.starts_with("ID  NAME  DOMAIN"), "{table}");
    assert!(
        table.contains("1   Acme  acme.example.com  acme"),
        "{table}"
    );

    let user = sipprov(
        &app,
        &[
            "user",
            "add",
            "--account",
            "1",
            "--first-name",
            "Ada",
            "--last-name",
            "Lovelace",
            "--tag",
            "sales",
            "--number",
            "area:514",
            "--mac",
            "80:5e:c0:09:ab:dc",
            "--model",
            "W60B",
            "--line",
            "2",
        ],
    )
    .await;
    assert!(user.status.success(), "{}", stderr(&user));
    let text = stdout(&user);
    assert!(
        text.contains("name:           Ada Lovelace") && text.contains("extension:      100"),
        "{text}"
    );
    assert!(
        text.contains("805ec009abdc  2     Ada Lovelace  100-"),
        "the new line with its credentials:\n{text}"
    );

    let json = sipprov(&app, &["user", "list", "--account", "1", "--json"]).await;
    let page: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(page["items"][0]["numbers"][0], "+15145550100");

    let device = sipprov(&app, &["device", "show", "805e.c009.abdc"]).await;
    assert!(
        stdout(&device).contains("model:           W60B"),
        "{}",
        stdout(&device)
    );
    let assigned = sipprov(
        &app,
        &["line", "assign", "--mac", "805ec009abdc", "--user", "1"],
    )
    .await;
    assert!(
        stdout(&assigned).contains("line:          1"),
        "lowest free line: {}",
        stdout(&assigned)
    );
    let rotated = sipprov(
        &app,
        &["line", "rotate", "--mac", "805ec009abdc", "--line", "1"],
    )
    .await;
    assert!(rotated.status.success());

    let bulk = sipprov(
        &app,
        &[
            "user",
            "bulk",
            "--account",
            "1",
            "--quantity",
            "3",
            "--dry-run",
        ],
    )
    .await;
    assert!(
        stdout(&bulk).contains("extensions:  101, 102, 103"),
        "{}",
        stdout(&bulk)
    );

    let token = sipprov(&app, &["token", "create", "--name", "ci", "--read-only"]).await;
    assert!(
        stdout(&token).contains("read only:  true"),
        "{}",
        stdout(&token)
    );

    // Refusals: the server's message on stderr, a non-zero exit code, nothing on stdout.
    let duplicate = sipprov(
        &app,
        &[
            "account",
            "add",
            "--name",
            "Again",
            "--domain",
            "ACME.example.com",
            "--registrar",
            "x.example.com",
        ],
    )
    .await;
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(stdout(&duplicate).is_empty());
    assert!(
        stderr(&duplicate).contains(
            "domain: acme.example.com is already the domain of another account (HTTP 409)"
        ),
        "{}",
        stderr(&duplicate)
    );
    let invalid = sipprov(
        &app,
        &[
            "user",
            "add",
            "--account",
            "1",
            "--feature-plan",
            "advanced",
        ],
    )
    .await;
    assert_eq!(invalid.status.code(), Some(1));
    let message = stderr(&invalid);
    for field in [
        "first_name: is required",
        "email: is required with portal access",
        "username: is required with portal access",
    ] {
        assert!(message.contains(field), "{field} missing from {message}");
    }
    let missing = sipprov(&app, &["device", "show", "001565000000"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("device not found (HTTP 404)"));
    let bad_token = tokio::task::spawn_blocking({
        let base = app.admin_base();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
                .args(["account", "list"])
                .env("SIPPROV_SERVER", base)
                .env("SIPPROV_TOKEN", "wrong")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert_eq!(bad_token.status.code(), Some(1));
    assert!(stderr(&bad_token).contains("HTTP 401"));
    let usage = sipprov(&app, &["device", "add", "--mac", "001565000001"]).await;
    assert_eq!(usage.status.code(), Some(2), "clap's usage error");
    app.stop().await;
}

#[tokio::test]
async fn the_cli_says_when_it_cannot_reach_the_server_or_find_a_token() {
    let unreachable = tokio::task::spawn_blocking(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
            .args([
                "account",
                "list",
                "--server",
                "http://127.0.0.1:9",
                "--token",
                "x",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).contains("cannot reach the sipprov server"),
        "{}",
        stderr(&unreachable)
    );
    let no_token = tokio::task::spawn_blocking(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
            .args(["account", "list", "--data", "/nonexistent"])
            .env_remove("SIPPROV_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(no_token.status.code(), Some(1));
    assert!(
        stderr(&no_token).contains("no admin token"),
        "{}",
        stderr(&no_token)
    );
}

/// Runs the real binary with `args` and no server or token from the environment.
async fn offline(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
            .args(&args)
            .env_remove("SIPPROV_TOKEN")
            .env_remove("SIPPROV_DATA_DIR")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_locked_out_data_directory_is_recovered_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (data, certs) = (dir.path().join("data"), dir.path().join("certs"));
    let token_file = data.join(sipprov::app::ADMIN_TOKEN_FILE);
    let on_this_directory = |config: &mut sipprov::config::Config| {
        config.data_dir = data.clone();
        config.certs_dir = certs.clone();
    };
    let recover: Vec<String> = ["init", "--new-admin-token", "--data"]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([
            data.display().to_string(),
            "--certs".into(),
            certs.display().to_string(),
        ])
        .collect();

    let app = TestApp::start_with(on_this_directory).await;
    let lost = std::fs::read_to_string(&token_file).unwrap();
    // While the server runs, the database is its own: a clear refusal, nothing written.
    let busy = offline(recover.clone()).await;
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        stderr(&busy).contains("cannot open the database"),
        "{}",
        stderr(&busy)
    );
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), lost);
    app.stop().await;

    // The admin token is lost; the operator mints a new one on the stopped data directory.
    std::fs::remove_file(&token_file).unwrap();
    let recovered = offline(recover).await;
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    assert!(
        stdout(&recovered).contains("A new admin token"),
        "{}",
        stdout(&recovered)
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&token_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    assert_ne!(token, lost.trim());

    let again = TestApp::start_with(on_this_directory).await;
    let listed = sipprov_with(&again, &token, &["token", "list"]).await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("recovery"), "{}", stdout(&listed));
    again.stop().await;
}

/// `sipprov … | head`: a reader that is gone ends the command quietly, with success.
#[tokio::test]
async fn a_closed_pipe_is_not_a_panic() {
    let app = TestApp::start().await;
    let (base, token) = (app.admin_base(), app.token());
    let output = tokio::task::spawn_blocking(move || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        std::process::Command::new(env!("CARGO_BIN_EXE_sipprov"))
            .args(["account", "list", "--json"])
            .env("SIPPROV_SERVER", base)
            .env("SIPPROV_TOKEN", token)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    app.stop().await;
}

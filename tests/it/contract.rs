//! The API contract, checked from outside: schemathesis reads the OpenAPI document the server
//! serves, generates requests for every operation (valid ones, and ones the document says
//! are invalid), and checks every answer against the document — no server error, only
//! documented statuses, content types, headers and bodies, invalid data refused, valid data
//! accepted (but where `tests/schemathesis.toml` says why a rule is beyond a schema), a
//! missing token refused, 405 with `Allow` for other methods.
//!
//! schemathesis comes from PyPI: `scripts/test` installs it into `target/schemathesis-venv`;
//! `SIPPROV_SCHEMATHESIS` may name another binary. The run is bounded
//! (`SIPPROV_SCHEMATHESIS_EXAMPLES` examples per operation, 25 by default) and reproducible
//! (`SIPPROV_SCHEMATHESIS_SEED`, 1 by default); a longer run by hand is
//! `SIPPROV_SCHEMATHESIS_EXAMPLES=500 SIPPROV_SCHEMATHESIS_SEED=$RANDOM cargo test --test it contract`.

use std::path::{Path, PathBuf};
use std::process::Command;

use http::StatusCode;
use serde_json::{Value, json};
use sipprov::http::RequestSpec;
use sipprov::http::admin::ROUTES;

use crate::app::{TestApp, acme};

fn schemathesis() -> PathBuf {
    let default =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/schemathesis-venv/bin/schemathesis");
    let path = std::env::var_os("SIPPROV_SCHEMATHESIS").map_or(default, PathBuf::from);
    assert!(
        path.exists(),
        "schemathesis is missing at {}: scripts/test installs it (a virtualenv under target/, \
         from PyPI), or set SIPPROV_SCHEMATHESIS to a schemathesis binary",
        path.display()
    );
    path
}

fn setting(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let response = app
        .admin()
        .send(
            RequestSpec::new(http::Method::POST, format!("/api/v1{path}"))
                .header("Authorization", format!("Bearer {}", app.token()))
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
        .unwrap();
    assert!(
        response.status.is_success(),
        "{path}: {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).unwrap()
}

/// What the document's examples name exists: account 1, user 1 (Ada, with the W60B
/// `805ec009abdc` on line 1), a free number `+15145550101`, a bulk placeholder to enable,
/// a second device, and an unclaimed device.
async fn seed(app: &TestApp) {
    post(app, "/accounts", acme()).await;
    post(
        app,
        "/accounts/1/users",
        json!({"first_name": "Ada", "last_name": "Lovelace",
               "device": {"mac": "805ec009abdc", "model": "W60B", "line": 1}}),
    )
    .await;
    post(
        app,
        "/accounts/1/users/bulk",
        json!({"quantity": 2, "model": "T46S"}),
    )
    .await;
    post(
        app,
        "/accounts/1/devices",
        json!({"mac": "00:15:65:aa:bb:cc", "model": "T46S", "label": "reception"}),
    )
    .await;
    let unknown = app
        .phone()
        .send(RequestSpec::get("/001565004602.cfg").header(
            "User-Agent",
            "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:02",
        ))
        .await
        .unwrap();
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_the_document_does_not_say() {
    let binary = schemathesis();
    let app = TestApp::start().await;
    seed(&app).await;
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let report = app.dir.path().join("schemathesis");
    let run = || {
        let mut command = Command::new(&binary);
        command
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(format!("{}/api/v1/openapi.json", app.admin_base()))
            .arg("--header")
            .arg(format!("Authorization: Bearer {}", app.token()))
            .args(["--checks", "all"])
            .args([
                "--max-examples",
                &setting("SIPPROV_SCHEMATHESIS_EXAMPLES", "25"),
            ])
            .args(["--seed", &setting("SIPPROV_SCHEMATHESIS_SEED", "1")])
            .args(["--workers", "2", "--request-timeout", "10"])
            .arg("--report-dir")
            .arg(&report)
            .current_dir(app.dir.path())
            .env("NO_COLOR", "1");
        tokio::task::block_in_place(|| command.output())
            .unwrap_or_else(|e| panic!("{} did not run: {e}", binary.display()))
    };
    let mut output = run();
    // CPython 3.11 (used only where no 3.12 or later is installed, see scripts/test) now
    // and then dies in its own parser under hypothesis: an interpreter bug, not a finding.
    // One more run then; a second crash fails the test.
    let interpreter_bug = "AST constructor recursion depth mismatch";
    let crashed = |output: &std::process::Output| {
        [&output.stdout, &output.stderr]
            .iter()
            .any(|text| String::from_utf8_lossy(text).contains(interpreter_bug))
    };
    if !output.status.success() && crashed(&output) {
        eprintln!("schemathesis: the Python 3.11 parser crash ({interpreter_bug}); running again");
        output = run();
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found what the document does not say ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // A run that tested nothing would pass too. schemathesis leaves out the document's own
    // URL; every other row of the route table is an operation it tested.
    let count = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split(['/', ' ']).next())
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    assert_eq!(
        (count("Tested: "), count("Selected: ")),
        (ROUTES.len() - 1, ROUTES.len() - 1),
        "every operation is tested:\n{stdout}"
    );
    app.stop().await;
}

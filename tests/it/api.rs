//! The admin API over real HTTP against the real server: the zero-touch story through
//! public interfaces only, and every error class with its status and body shape.

use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::http::RequestSpec;

use crate::app::{TestApp, acme};

/// A call to the admin API with the server's first token.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call_with(app, &app.token(), method, path, body).await
}

async fn call_with(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = RequestSpec::new(method, format!("/api/v1{path}"))
        .header("Authorization", format!("Bearer {token}"));
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = app.admin().send(request).await.unwrap();
    let value = if response.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&response.body).unwrap()
    };
    (response.status, value)
}

/// Asserts the error body shape and returns its code and fields.
fn error_of(status: StatusCode, body: &Value, expected: StatusCode) -> (String, Value) {
    assert_eq!(status, expected, "{body}");
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (
        error["code"].as_str().unwrap().to_owned(),
        error["fields"].clone(),
    )
}

#[tokio::test]
async fn the_zero_touch_story_through_public_interfaces() {
    let app = TestApp::start().await;
    let (status, account) = call(&app, Method::POST, "/accounts", Some(json!({
        "name": "Acme", "domain": "acme.sip.example.com", "group_name": "acme",
        "registrar": {"host": "sip.example.com", "port": 5061, "transport": "tls"},
        "numbering": {"min_length": 3, "max_length": 4, "ranges": ["100-899"], "reserved": ["900-999"]},
        "language": "en", "time_zone": "America/Toronto",
        "calling_plans": ["canada", "world"], "default_calling_plan": "canada",
        "numbers": ["+15145550100", "+15145550101", "+14385550100"],
        "device_auth": "per_device",
    }))).await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_u64().unwrap();

    // A user with every field of the seeds, and a W60B through the Number & Device section.
    let (status, ada) = call(&app, Method::POST, &format!("/accounts/{id}/users"), Some(json!({
        "type": "person", "first_name": "Ada", "last_name": "Lovelace", "extension": "201",
        "language": "fr", "time_zone": "Europe/Paris", "tags": ["sales", "floor-2"], "department": "Sales",
        "email": "ada@example.com", "notification_emails": ["ada.vm@example.com"], "username": "ada",
        "feature_plan": "advanced", "portal_access": true, "role": "admin", "admin_level": "standard",
        "block_welcome_email": false, "calling_plan": "world", "emergency_caller_id": "+15145550100",
        "voicemail": {"enabled": true, "pin": "4321"}, "password": "s3cret-pass", "password_confirmation": "s3cret-pass",
        "numbers": ["+15145550100", {"area_code": "438"}],
        "device": {"mac": "80-5E-C0-09-AB-DC", "model": "W60B", "line": 1, "line_name": "Ada"},
    }))).await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    assert_eq!(ada["extension"], "201");
    assert_eq!(ada["app_username"], "ada@acme");
    assert_eq!(ada["system_tags"], json!([]));
    assert_eq!(ada["numbers"], json!(["+15145550100", "+14385550100"]));
    assert_eq!(ada["lines"][0]["mac"], "805ec009abdc");
    assert!(ada["lines"][0]["sip"]["password"].as_str().unwrap().len() >= 20);
    let outbox = std::fs::read_dir(app.dir.path().join("data/outbox"))
        .unwrap()
        .count();
    assert_eq!(outbox, 1, "the welcome message was written");

    let mut users = vec![ada["id"].as_u64().unwrap()];
    for name in ["Bob", "Carol"] {
        let (status, user) = call(
            &app,
            Method::POST,
            &format!("/accounts/{id}/users"),
            Some(json!({"first_name": name})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        users.push(user["id"].as_u64().unwrap());
    }
    let (status, line) = call(
        &app,
        Method::PUT,
        "/devices/805ec009abdc/lines/2",
        Some(json!({"user": users[1]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{line}");
    assert_eq!(
        (line["line"].as_u64(), line["sip"]["domain"].as_str()),
        (Some(2), Some("acme.sip.example.com"))
    );
    let (status, line) = call(
        &app,
        Method::POST,
        "/devices/805ec009abdc/lines",
        Some(json!({"user": users[2], "name": "Front desk"})),
    )
    .await;
    assert_eq!(
        (status, line["line"].as_u64()),
        (StatusCode::CREATED, Some(3))
    );

    let (status, device) = call(&app, Method::GET, "/devices/80:5e:c0:09:ab:dc", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(device["lines"].as_array().unwrap().len(), 3);
    let (username, password) = (
        device["provisioning"]["username"].as_str().unwrap(),
        device["provisioning"]["password"].as_str().unwrap(),
    );

    // The phone, as it boots: the common file, then its own file with its credentials.
    let ua = "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc";
    let common = app
        .phone()
        .send(RequestSpec::get("/y000000000077.cfg").header("User-Agent", ua))
        .await
        .unwrap();
    assert_eq!(common.status, StatusCode::OK);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{username}:{password}")
        )
    );
    let file = app
        .phone()
        .send(
            RequestSpec::get("/805ec009abdc.cfg")
                .header("User-Agent", ua)
                .header("Authorization", auth),
        )
        .await
        .unwrap();
    assert_eq!(file.status, StatusCode::OK);
    let text = file.text();
    for (slot, name) in [(1, "Ada"), (2, "Bob"), (3, "Front desk")] {
        assert!(
            text.contains(&format!("account.{slot}.enable = 1")),
            "line {slot}"
        );
        assert!(
            text.contains(&format!("handset.{slot}.name = {name}")),
            "handset {slot}"
        );
    }
    assert!(
        text.contains("account.1.sip_server.1.transport_type = 2"),
        "TLS registrar"
    );
    assert!(text.contains("account.1.sip_server.1.port = 5061"));
    assert!(
        text.contains("custom.handset.language = 1"),
        "Ada, on line 1, speaks French"
    );

    let (status, audit) = call(&app, Method::GET, "/devices/805ec009abdc/audit", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit["items"][0]["outcome"], "served");
    assert_eq!(audit["items"][0]["model"], "W60B");
    app.stop().await;
}

#[tokio::test]
async fn lists_are_paginated_and_filtered() {
    let app = TestApp::start().await;
    let (_, account) = call(&app, Method::POST, "/accounts", Some(acme())).await;
    let id = account["id"].as_u64().unwrap();
    for (name, tag) in [("Ada", "sales"), ("Bob", "support"), ("Carol", "sales")] {
        call(
            &app,
            Method::POST,
            &format!("/accounts/{id}/users"),
            Some(json!({"first_name": name, "tags": [tag]})),
        )
        .await;
    }
    let (status, page) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?limit=2"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(rest["items"][0]["first_name"], "Carol");
    assert_eq!(rest["next_cursor"], Value::Null);
    let (_, sales) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?tag=SALES"),
        None,
    )
    .await;
    let names: Vec<&str> = sales["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada", "Carol"]);
    let (_, by_extension) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?extension=101"),
        None,
    )
    .await;
    assert_eq!(by_extension["items"][0]["first_name"], "Bob");
    let (_, by_name) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?q=car"),
        None,
    )
    .await;
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("/accounts/{id}/users?limit=0&colour=red"),
        None,
    )
    .await;
    let (code, _) = error_of(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code, "invalid");
    let (status, accounts) = call(&app, Method::GET, "/accounts", None).await;
    assert_eq!(
        (status, accounts["items"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
    app.stop().await;
}

#[tokio::test]
async fn every_error_class_has_its_status_and_shape() {
    let app = TestApp::start().await;
    let admin = app.admin();
    let (_, account) = call(&app, Method::POST, "/accounts", Some(acme())).await;
    let id = account["id"].as_u64().unwrap();

    // 400: not JSON.
    let malformed = admin
        .send(
            RequestSpec::new(Method::POST, "/api/v1/accounts")
                .header("Authorization", format!("Bearer {}", app.token()))
                .header("Content-Type", "application/json")
                .body("{\"name\": "),
        )
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&malformed.body).unwrap();
    assert_eq!(
        error_of(malformed.status, &body, StatusCode::BAD_REQUEST).0,
        "malformed_json"
    );

    // 401: no token, an unknown token; the challenge names the scheme.
    let anonymous = admin
        .send(RequestSpec::get("/api/v1/accounts"))
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&anonymous.body).unwrap();
    assert_eq!(
        error_of(anonymous.status, &body, StatusCode::UNAUTHORIZED).0,
        "unauthorized"
    );
    assert_eq!(
        anonymous.headers["www-authenticate"],
        "Bearer realm=\"sipprov\""
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("no token")
    );
    let (status, body) = call_with(&app, "not-a-token", Method::GET, "/accounts", None).await;
    error_of(status, &body, StatusCode::UNAUTHORIZED);
    // A token was sent: the answer says it was refused, not that one is missing.
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("token refused"),
        "{body}"
    );

    // 403: a read-only token may read but not write.
    let (_, reader) = call(
        &app,
        Method::POST,
        "/tokens",
        Some(json!({"name": "dashboard", "read_only": true})),
    )
    .await;
    let reader = reader["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call_with(&app, &reader, Method::GET, "/accounts", None)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = call_with(&app, &reader, Method::POST, "/accounts", Some(acme())).await;
    assert_eq!(
        error_of(status, &body, StatusCode::FORBIDDEN).0,
        "forbidden"
    );

    // 404: no such route, no such record.
    let (status, body) = call(&app, Method::GET, "/nowhere", None).await;
    assert_eq!(
        error_of(status, &body, StatusCode::NOT_FOUND).0,
        "not_found"
    );
    let (status, body) = call(&app, Method::GET, "/users/424242", None).await;
    assert_eq!(
        error_of(status, &body, StatusCode::NOT_FOUND).0,
        "not_found"
    );

    // 405 with Allow.
    let response = admin
        .send(
            RequestSpec::new(Method::PUT, "/api/v1/accounts")
                .header("Authorization", format!("Bearer {}", app.token())),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers["allow"], "POST, GET");

    // 409 naming the field: the same domain, the same email in other case.
    let (status, body) = call(&app, Method::POST, "/accounts", Some(acme())).await;
    let (code, fields) = error_of(status, &body, StatusCode::CONFLICT);
    assert_eq!(
        (
            code.as_str(),
            fields.as_object().unwrap().keys().next().unwrap().as_str()
        ),
        ("conflict", "domain")
    );
    call(
        &app,
        Method::POST,
        &format!("/accounts/{id}/users"),
        Some(json!({"first_name": "Ada", "email": "ada@example.com"})),
    )
    .await;
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/accounts/{id}/users"),
        Some(json!({"first_name": "Eve", "email": "ADA@example.com"})),
    )
    .await;
    assert!(
        error_of(status, &body, StatusCode::CONFLICT)
            .1
            .get("email")
            .is_some()
    );

    // 413: a body over the 1 MiB limit.
    let huge = json!({"name": "x".repeat(2 * 1024 * 1024)}).to_string();
    let response = admin
        .send(
            RequestSpec::new(Method::POST, "/api/v1/tokens")
                .header("Authorization", format!("Bearer {}", app.token()))
                .header("Content-Type", "application/json")
                .body(huge),
        )
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        error_of(response.status, &body, StatusCode::PAYLOAD_TOO_LARGE).0,
        "payload_too_large"
    );

    // 415: a body that is not JSON by its content type.
    let response = admin
        .send(
            RequestSpec::new(Method::POST, "/api/v1/tokens")
                .header("Authorization", format!("Bearer {}", app.token()))
                .header("Content-Type", "text/plain")
                .body("name=x"),
        )
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(
        error_of(response.status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE).0,
        "unsupported_media_type"
    );

    // 422: every failing field at once; unknown fields refused.
    let (status, body) = call(&app, Method::POST, &format!("/accounts/{id}/users"), Some(json!({
        "last_name": "X", "extension": "99999", "email": "nope", "language": "de", "voicemail": {"pin": "12"},
        "feature_plan": "advanced", "portal_access": false,
    }))).await;
    let (code, fields) = error_of(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code, "invalid");
    for field in [
        "first_name",
        "extension",
        "email",
        "language",
        "voicemail.pin",
        "portal_access",
        "username",
    ] {
        assert!(fields.get(field).is_some(), "{field} missing from {fields}");
    }
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/accounts/{id}/users"),
        Some(json!({"first_name": "A", "favourite_colour": "red"})),
    )
    .await;
    assert_eq!(
        error_of(status, &body, StatusCode::UNPROCESSABLE_ENTITY).1["favourite_colour"],
        "is not a field of this request"
    );
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/accounts/{id}/users"),
        Some(json!({"first_name": 42})),
    )
    .await;
    assert!(
        error_of(status, &body, StatusCode::UNPROCESSABLE_ENTITY)
            .1
            .get("first_name")
            .is_some()
    );
    let (status, body) = call(&app, Method::GET, "/devices/ffffffffffff", None).await;
    assert!(
        error_of(status, &body, StatusCode::UNPROCESSABLE_ENTITY)
            .1
            .get("mac")
            .is_some()
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_never_makes_a_server_error() {
    let app = TestApp::start().await;
    let (_, account) = call(&app, Method::POST, "/accounts", Some(acme())).await;
    let id = account["id"].as_u64().unwrap();
    let bodies = [
        json!(null),
        json!([]),
        json!("text"),
        json!(12),
        json!({"": ""}),
        json!({"numbers": [{"x": 1}]}),
        json!({"device": {"mac": "zz", "line": -1}}),
        json!({"quantity": 1e9}),
        json!({"user": "me"}),
        json!({"extension": [1]}),
        json!({"voicemail": true}),
        json!({"registrar": {"port": 70000}}),
    ];
    let paths = [
        (Method::POST, "/accounts".to_owned()),
        (Method::PATCH, format!("/accounts/{id}")),
        (Method::POST, format!("/accounts/{id}/users")),
        (Method::POST, format!("/accounts/{id}/users/bulk")),
        (Method::POST, format!("/accounts/{id}/devices")),
        (Method::POST, format!("/accounts/{id}/numbers")),
        (Method::POST, "/devices/001565000001/lines".to_owned()),
        (Method::POST, "/unclaimed/001565000001/claim".to_owned()),
        (Method::POST, "/tokens".to_owned()),
    ];
    for (method, path) in &paths {
        for body in &bodies {
            let (status, reply) = call(&app, method.clone(), path, Some(body.clone())).await;
            assert!(
                status.is_client_error(),
                "{method} {path} {body} → {status} {reply}"
            );
            assert!(reply["error"]["code"].is_string(), "{reply}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked() {
    let app = TestApp::start().await;
    let (status, token) = call(&app, Method::POST, "/tokens", Some(json!({"name": "ci"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = token["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call_with(&app, &secret, Method::GET, "/tokens", None)
            .await
            .0,
        StatusCode::OK
    );
    let (_, list) = call(&app, Method::GET, "/tokens", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&secret),
        "listed tokens do not show the secret"
    );
    let id = token["id"].as_u64().unwrap();
    assert_eq!(
        call(&app, Method::DELETE, &format!("/tokens/{id}"), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call_with(&app, &secret, Method::GET, "/tokens", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // The last admin token cannot revoke itself: 409 naming why, and it keeps working.
    let (_, list) = call(&app, Method::GET, "/tokens", None).await;
    let last = list["items"][0]["id"].as_u64().unwrap();
    let (status, body) = call(&app, Method::DELETE, &format!("/tokens/{last}"), None).await;
    let (code, fields) = error_of(status, &body, StatusCode::CONFLICT);
    assert_eq!(code, "conflict");
    assert!(
        fields["token"]
            .as_str()
            .unwrap()
            .contains("last admin token"),
        "{body}"
    );
    assert_eq!(
        call(&app, Method::GET, "/tokens", None).await.0,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::start().await;
    let response = app
        .admin()
        .send(RequestSpec::get("/api/v1/openapi.json"))
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK, "served without a token");
    let document: Value = serde_json::from_slice(&response.body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for (method, template, _) in sipprov::http::admin::ROUTES {
        let operation = &document["paths"][*template][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is missing from openapi.json"
        );
        assert!(
            operation["responses"].is_object(),
            "{method} {template} has no responses"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_first_token_is_private_and_the_admin_listener_uses_tls_off_loopback() {
    let app =
        TestApp::start_with(|config| config.admin_listen = "0.0.0.0:0".parse().unwrap()).await;
    let token_file = app
        .dir
        .path()
        .join("data")
        .join(sipprov::app::ADMIN_TOKEN_FILE);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&token_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let data = std::fs::metadata(app.dir.path().join("data")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&data.permissions()) & 0o777,
        0o700,
        "the data directory is private"
    );
    let address = app.admin_address();
    let plain = sipprov::http::Client::new(
        &format!("http://127.0.0.1:{}", address.port()),
        sipprov::http::Trust::none(),
    )
    .unwrap();
    let refused = plain.send(RequestSpec::get("/api/v1/openapi.json")).await;
    assert!(
        refused.is_err() || refused.unwrap().status == StatusCode::BAD_REQUEST,
        "no plain HTTP off loopback"
    );
    let pem = std::fs::read_to_string(app.dir.path().join("certs/cert.pem")).unwrap();
    let tls = sipprov::http::Client::new(
        &format!("https://127.0.0.1:{}", address.port()),
        sipprov::http::Trust::pem(&pem).unwrap(),
    )
    .unwrap();
    let response = tls
        .send(
            RequestSpec::get("/api/v1/accounts")
                .header("Authorization", format!("Bearer {}", app.token())),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["cache-control"], "no-store");
    app.stop().await;
}

#[tokio::test]
async fn inputs_that_do_not_lie() {
    let app = TestApp::start().await;
    let (status, account) = call(&app, Method::POST, "/accounts", Some(acme())).await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let id = account["id"].as_u64().unwrap();
    // An update, creation or assignment without a body is a mistake: 400 naming it.
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/accounts/{id}")),
        (Method::POST, "/api/v1/accounts".to_owned()),
        (Method::POST, format!("/api/v1/accounts/{id}/users")),
        (Method::POST, "/api/v1/tokens".to_owned()),
    ] {
        let response = app
            .admin()
            .send(
                RequestSpec::new(method.clone(), path.clone())
                    .header("Authorization", format!("Bearer {}", app.token())),
            )
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            error_of(response.status, &body, StatusCode::BAD_REQUEST).0,
            "missing_body",
            "{method} {path}"
        );
    }
    // Empty strings where a value is required are refused, the field named.
    for (path, body, field) in [
        (
            format!("/accounts/{id}/users/bulk"),
            json!({"quantity": 1, "area_code": ""}),
            "area_code",
        ),
        (
            format!("/accounts/{id}"),
            json!({"registrar": {"host": ""}}),
            "registrar.host",
        ),
        (format!("/accounts/{id}"), json!({"name": " "}), "name"),
        (
            format!("/accounts/{id}/devices"),
            json!({"mac": "001565aabbcc", "model": "T46S", "label": ""}),
            "label",
        ),
        (
            "/tokens".to_owned(),
            json!({"name": "x", "expires_at": ""}),
            "expires_at",
        ),
        (
            format!("/accounts/{id}/numbers"),
            json!({"numbers": [{"number": "+15145550199", "area_code": "514", "colour": "red"}]}),
            "numbers[0]",
        ),
    ] {
        let method = if path == format!("/accounts/{id}") {
            Method::PATCH
        } else {
            Method::POST
        };
        let (status, answer) = call(&app, method, &path, Some(body.clone())).await;
        let (code, fields) = error_of(status, &answer, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code, "invalid");
        assert!(fields.get(field).is_some(), "{body}: {answer}");
    }
    // Where an empty string means "clear it", it still does.
    let (status, updated) = call(
        &app,
        Method::PATCH,
        &format!("/accounts/{id}"),
        Some(json!({"group_name": "", "default_calling_plan": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert!(updated["group_name"].is_null());
    // Re-arming takes no options: no body is fine.
    call(
        &app,
        Method::POST,
        &format!("/accounts/{id}/devices"),
        Some(json!({"mac": "001565aabbcc", "model": "T46S"})),
    )
    .await;
    let response = app
        .admin()
        .send(
            RequestSpec::new(Method::POST, "/api/v1/devices/001565aabbcc/arm")
                .header("Authorization", format!("Bearer {}", app.token())),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    // Path values are typed as the document says: no sign, no spaces.
    for path in [
        "/accounts/+1",
        "/devices/%20001565aabbcc",
        "/accounts/1/numbers/%2B1514%0A",
    ] {
        let method = if path.contains("numbers") {
            Method::DELETE
        } else {
            Method::GET
        };
        let (status, _) = call(&app, method, path, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    app.stop().await;
}

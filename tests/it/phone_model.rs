//! The model a phone's User-Agent names against the model its device is registered as, over
//! real TLS: a phone of another family is refused (403) even with the device's credentials,
//! and the refusal shows in the API's device view and audit.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::http::{RequestSpec, Response};

use crate::app::{TestApp, acme, input};
use crate::ui::Visitor;

const MAC: &str = "805ec009abdc";
/// A T46S User-Agent carrying the W60B's MAC: the MAC check passes, the model does not.
const T46S_UA: &str = "Yealink SIP-T46S 66.86.0.15 80:5e:c0:09:ab:dc";
const W60B_UA: &str = "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc";

async fn api(app: &TestApp, path: &str) -> Value {
    let request = RequestSpec::new(Method::GET, format!("/api/v1{path}"))
        .header("Authorization", format!("Bearer {}", app.token()));
    let response = app.admin().send(request).await.unwrap();
    assert_eq!(response.status, StatusCode::OK, "{path}");
    serde_json::from_slice(&response.body).unwrap()
}

async fn fetch(app: &TestApp, user_agent: Option<&str>, auth: &str) -> Response {
    let mut request = RequestSpec::get(format!("/prov/{MAC}.cfg")).header("Authorization", auth);
    if let Some(user_agent) = user_agent {
        request = request.header("User-Agent", user_agent);
    }
    app.phone().send(request).await.unwrap()
}

#[tokio::test]
async fn a_t46s_fetching_a_w60b_file_is_refused_and_the_device_says_so() {
    let app = TestApp::start().await;
    let account = app.service().create_account(&input(acme())).unwrap().id;
    let w60b = app
        .service()
        .create_device(account, &input(json!({"mac": MAC, "model": "W60B"})))
        .unwrap();
    let auth = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            w60b.provisioning.username, w60b.provisioning.password
        ))
    );
    let view = api(&app, &format!("/devices/{MAC}")).await;
    assert_eq!(view["model_mismatch"], Value::Null);

    let refused = fetch(&app, Some(T46S_UA), &auth).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.is_empty(), "nothing of the file");

    let view = api(&app, &format!("/devices/{MAC}")).await;
    let mismatch = &view["model_mismatch"];
    assert_eq!(mismatch["model"], "T46S");
    assert_eq!(mismatch["user_agent"], T46S_UA);
    assert_eq!(mismatch["count"], 1);
    assert!(mismatch["last_at"].as_str().is_some());
    let audit = api(&app, &format!("/devices/{MAC}/audit")).await;
    assert_eq!(audit["items"][0]["outcome"], "model_mismatch");
    assert_eq!(audit["items"][0]["model"], "T46S");
    assert_eq!(audit["items"][0]["user_agent"], T46S_UA);

    // The device page of the web UI says it too.
    let mut visitor = Visitor::with_token(&app).await;
    let page = visitor.get(&format!("/devices/{MAC}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"model-mismatch\""), "{html}");
    assert!(html.contains("from a T46S refused"), "{html}");

    // Its own model, no User-Agent or one the catalogue does not read: served.
    for user_agent in [Some(W60B_UA), None, Some("curl/8.5.0")] {
        let served = fetch(&app, user_agent, &auth).await;
        assert_eq!(served.status, StatusCode::OK, "{user_agent:?}");
    }
    let view = api(&app, &format!("/devices/{MAC}")).await;
    assert_eq!(
        view["model_mismatch"]["count"], 1,
        "only the T46S was refused"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_valid_credentials_the_model_is_not_looked_at() {
    let app = TestApp::start().await;
    let account = app.service().create_account(&input(acme())).unwrap().id;
    let w60b = app
        .service()
        .create_device(account, &input(json!({"mac": MAC, "model": "W60B"})))
        .unwrap();
    // The hand-off is spent by the W60B itself.
    let first = app
        .phone()
        .send(RequestSpec::get(format!("/{MAC}.cfg")).header("User-Agent", W60B_UA))
        .await
        .unwrap();
    assert_eq!(first.status, StatusCode::OK);
    // A wrong password from a T46S is the same 401 as from anyone: no oracle of the model.
    let guess = format!("Basic {}", STANDARD.encode(format!("{MAC}:guess")));
    let refused = fetch(&app, Some(T46S_UA), &guess).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let view = app.service().device(MAC.parse().unwrap()).unwrap();
    assert_eq!(view.model_mismatch, None);
    assert_eq!(w60b.model, "W60B");
    app.stop().await;
}

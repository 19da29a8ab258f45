//! The API tokens page over plain HTTP: creating a token (its secret shown once, on the
//! answer to the form), a registrar token reading the directory, refused forms, revoking
//! (the session's own token too), and who may see the page.

use http::StatusCode;
use sipprov::domain::{TokenId, TokenScope};
use sipprov::http::{RequestSpec, Response};

use super::{Visitor, account, field_value, location, portal_user};
use crate::app::{TestApp, acme};

/// `GET path` on the admin listener with a bearer token.
async fn with_bearer(app: &TestApp, token: &str, path: &str) -> Response {
    let request = RequestSpec::get(path).header("Authorization", format!("Bearer {token}"));
    app.admin().send(request).await.unwrap()
}

/// The directory's HA1 lookup of a user nobody has.
const LOOKUP: &str = "/registrar/v1/ha1?username=x&realm=y";

/// The secret a `201` token page shows.
fn secret(html: &str) -> String {
    let start = html.find("id=\"new-token\">").expect("the secret is shown") + 15;
    let end = start + html[start..].find('<').unwrap();
    html[start..end].to_owned()
}

/// The table row of a token, `""` when it is not listed.
fn row(html: &str, id: TokenId) -> &str {
    let Some(start) = html.find(&format!("<tr id=\"token-{id}\"")) else {
        return "";
    };
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

/// The id of the token called `name`.
fn token_id(app: &TestApp, name: &str) -> TokenId {
    let tokens = app.service().tokens().unwrap();
    tokens.iter().find(|t| t.name == name).expect(name).id
}

#[tokio::test]
async fn a_registrar_token_is_shown_once_reads_the_directory_and_is_revoked() {
    let app = TestApp::start_with(|config| {
        config.portal_url = Some("https://prov.example.net:8081/".into());
    })
    .await;
    let mut admin = Visitor::with_token(&app).await;
    let accounts = admin.get("/accounts").await;
    assert!(
        accounts.text().contains("href=\"/tokens\""),
        "in the navigation"
    );
    let page = admin.get("/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Connect your registrar"));

    let created = admin
        .post("/tokens", &[("name", "kamailio"), ("scope", "registrar")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert!(created.headers.get("location").is_none(), "not a redirect");
    let html = created.text();
    let token = secret(&html);
    let found = app.service().authenticate_token(&token).unwrap();
    let found = found.expect("the page shows the real secret");
    assert_eq!(
        (found.name.as_str(), found.scope),
        ("kamailio", TokenScope::Registrar)
    );
    assert!(found.read_only, "registrar tokens are always read-only");
    assert!(html.contains("Copy it now: it will not be shown again."));
    assert!(html.contains("SIPPROV_HA1_URL=https://prov.example.net:8081/registrar/v1/ha1\n"));
    assert!(html.contains(&format!("SIPPROV_REGISTRAR_TOKEN={token}</pre>")));
    assert_eq!(
        html.matches(&token).count(),
        2,
        "the secret by itself and in Kamailio's setting, nowhere else"
    );

    let id = token_id(&app, "kamailio");
    let list = admin.get("/tokens").await.text().into_owned();
    assert!(!list.contains(&token), "the secret is never shown again");
    let listed = row(&list, id);
    assert!(listed.contains(">kamailio<"), "{listed}");
    assert!(listed.contains(">registrar</span>"), "{listed}");
    assert!(listed.contains("<td>always</td>"), "{listed}");
    assert!(list.contains("<strong>0</strong> hits / <strong>0</strong> misses"));

    // It opens the directory over the admin listener: a lookup answers (a miss), not 401/403.
    let looked_up = with_bearer(&app, &token, LOOKUP).await;
    assert_eq!(
        looked_up.status,
        StatusCode::NOT_FOUND,
        "{}",
        looked_up.text()
    );
    let list = admin.get("/tokens").await.text().into_owned();
    assert!(list.contains("<strong>0</strong> hits / <strong>1</strong> misses"));

    let revoked = admin.post(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&revoked), "/tokens");
    let list = admin.get("/tokens").await.text().into_owned();
    assert!(
        list.contains("The registrar token kamailio is revoked"),
        "{list}"
    );
    assert_eq!(row(&list, id), "", "no longer listed");
    assert_eq!(
        with_bearer(&app, &token, LOOKUP).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = admin.post(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_token_form_keeps_its_values_and_shows_each_error() {
    let app = TestApp::start().await;
    let mut admin = Visitor::with_token(&app).await;
    let before = app.service().tokens().unwrap().len();

    let refused = admin
        .post("/tokens", &[("name", " "), ("scope", "superuser")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(html.contains("id=\"e-name\">must not be empty<"), "{html}");
    assert!(html.contains(
        "id=\"e-scope\">must be &#39;admin&#39;, &#39;read_only&#39; or &#39;registrar&#39;<"
    ));
    assert!(!html.contains("id=\"new-token\""));

    let refused = admin
        .post(
            "/tokens",
            &[
                ("name", "ops script"),
                ("scope", "bogus"),
                ("read_only", "on"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert_eq!(field_value(&html, "name").as_deref(), Some("ops script"));
    assert!(
        html.contains("name=\"read_only\" checked"),
        "the box stays ticked"
    );
    assert!(html.contains("id=\"e-scope\"") && !html.contains("id=\"e-name\""));
    let long = "n".repeat(65);
    let refused = admin.post("/tokens", &[("name", &long)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("must be at most 64 characters"));
    assert_eq!(
        app.service().tokens().unwrap().len(),
        before,
        "nothing made"
    );

    // Accepted: a read-only admin token, its name escaped in the page.
    let created = admin
        .post(
            "/tokens",
            &[
                ("name", "<b>reports</b>"),
                ("scope", "admin"),
                ("read_only", "on"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let html = created.text();
    let token = secret(&html);
    assert_eq!(html.matches(&token).count(), 1);
    assert!(
        !html.contains("SIPPROV_REGISTRAR_TOKEN"),
        "no Kamailio settings"
    );
    assert!(html.contains("&lt;b&gt;reports&lt;/b&gt;") && !html.contains("<b>reports"));
    assert_eq!(
        field_value(&html, "name").as_deref(),
        Some(""),
        "a fresh form"
    );
    let id = token_id(&app, "<b>reports</b>");
    let list = admin.get("/tokens").await.text().into_owned();
    assert!(row(&list, id).contains("<td>yes</td>"), "read-only");

    // Where the server knows no usable address of its own (port 0 here), a placeholder.
    let created = admin
        .post("/tokens", &[("name", "freeswitch"), ("scope", "registrar")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(
        created
            .text()
            .contains("SIPPROV_HA1_URL=https://sipprov-host:8081/registrar/v1/ha1\n")
    );
}

#[tokio::test]
async fn revoking_the_sessions_own_token_signs_out_every_session_of_it() {
    let app = TestApp::start().await;
    let mut admin = Visitor::with_token(&app).await;
    let created = admin
        .post("/tokens", &[("name", "deputy"), ("scope", "admin")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let deputy = secret(&created.text());
    let id = token_id(&app, "deputy");
    let initial = token_id(&app, "initial");

    let mut first = Visitor::with_token_secret(&app, &deputy).await;
    let mut second = Visitor::with_token_secret(&app, &deputy).await;
    let list = first.get("/tokens").await.text().into_owned();
    assert!(row(&list, id).contains("this session"));
    assert!(!row(&list, initial).contains("this session"));
    let old_cookie = first.cookie.clone();

    let revoked = first.post(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&revoked), "/signin");
    let signin = first.get("/signin").await;
    assert_eq!(signin.status, StatusCode::OK);
    assert!(
        signin
            .text()
            .contains("You were signed in with it, so you are signed out."),
        "{}",
        signin.text()
    );
    let mut replay = Visitor {
        client: app.admin(),
        cookie: old_cookie,
        csrf: String::new(),
    };
    let refused = replay.get("/tokens").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "the session is over");
    assert_eq!(location(&refused), "/signin");

    // Another session of the revoked token loses its access at its next request.
    let refused = second.get("/tokens").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), "/signin");
    let before = app.service().tokens().unwrap().len();
    let refused = second
        .post("/tokens", &[("name", "late"), ("scope", "admin")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.service().tokens().unwrap().len(), before);
    let api = with_bearer(&app, &deputy, "/api/v1/accounts").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin.get("/tokens").await.status,
        StatusCode::OK,
        "others stay"
    );
}

#[tokio::test]
async fn only_the_providers_staff_reach_the_token_page() {
    let app = TestApp::start().await;
    let acme = account(&app, acme());
    portal_user(&app, acme, "alice", "advanced");
    portal_user(&app, acme, "lee", "limited");
    portal_user(&app, acme, "boss", "super");
    let initial = token_id(&app, "initial");
    let revoke = format!("/tokens/{initial}/revoke");

    let mut alice = Visitor::with_password(&app, "alice").await;
    let users = alice.get(&format!("/accounts/{acme}/users")).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        !users.text().contains("href=\"/tokens\""),
        "not in her navigation"
    );
    let refused = alice.get("/tokens").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("Only the provider&#39;s staff"));
    let refused = alice
        .post("/tokens", &[("name", "mine"), ("scope", "registrar")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.text().contains("id=\"new-token\""));
    assert_eq!(alice.post(&revoke, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.service().tokens().unwrap().len(),
        1,
        "nothing made or revoked"
    );

    let mut lee = Visitor::with_password(&app, "lee").await;
    assert_eq!(lee.get("/tokens").await.status, StatusCode::FORBIDDEN);

    // A super admin is the provider's staff too.
    let mut boss = Visitor::with_password(&app, "boss").await;
    let page = boss.get("/tokens").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(row(&page.text(), initial).contains(">initial"));
    let created = boss
        .post("/tokens", &[("name", "asterisk"), ("scope", "registrar")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_token_session_without_the_secrets_right_sees_passwords_masked() {
    let app = TestApp::start().await;
    let acme = app
        .service()
        .create_account(&crate::app::input(acme()))
        .unwrap()
        .id;
    app.service()
        .create_user(
            acme,
            &crate::app::input(serde_json::json!({"first_name": "Ada",
                "device": {"mac": "001565000501", "model": "T46S"}})),
        )
        .unwrap();
    let device = app
        .service()
        .device("001565000501".parse().unwrap())
        .unwrap();
    let sip_password = device.lines[0].sip.password.clone().unwrap();
    let no_secrets = app
        .service()
        .create_token(&crate::app::input(serde_json::json!({"name": "ops"})))
        .unwrap();

    let mut masked = Visitor::with_token_secret(&app, &no_secrets.token).await;
    let page = masked.get("/devices/001565000501").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(&device.lines[0].sip.username));
    assert!(
        !page.text().contains(&sip_password),
        "masked without the right"
    );
    assert!(!page.text().contains(&device.provisioning.password));

    let mut initial = Visitor::with_token(&app).await;
    let page = initial.get("/devices/001565000501").await;
    assert!(page.text().contains(&sip_password), "shown with the right");
}

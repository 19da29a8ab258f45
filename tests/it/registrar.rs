//! The registrar directory over the admin listener, called as registrars call it: token
//! scopes, Kamailio's HA1 lookup, FreeSWITCH's and Asterisk's lookups, the export, and
//! every change seen at the very next lookup.

use base64::Engine;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sipprov::domain::{AccountId, Mac, UserId};
use sipprov::http::{RequestSpec, Response};
use sipprov::service::LineView;

use crate::app::{TestApp, acme, input};
use crate::ui::Visitor;

const T46S: &str = "00:15:65:00:46:08";

/// `method path` on the admin listener with a bearer token (when given) and a body.
pub async fn send(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<(&str, String)>,
) -> Response {
    let mut request = RequestSpec::new(method, path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some((content_type, body)) = body {
        request = request.header("Content-Type", content_type).body(body);
    }
    app.admin().send(request).await.unwrap()
}

/// A new token of `scope` (`admin` or `registrar`), created through the API.
pub async fn token(app: &TestApp, scope: &str, read_only: bool) -> String {
    let body =
        json!({"name": format!("{scope}-{read_only}"), "scope": scope, "read_only": read_only});
    token_by(app, &app.token(), body).await
}

/// A token made through the API by `admin` with `body` (`POST /api/v1/tokens`); its secret.
pub async fn token_by(app: &TestApp, admin: &str, body: Value) -> String {
    let created = send(
        app,
        Some(admin),
        Method::POST,
        "/api/v1/tokens",
        Some(("application/json", body.to_string())),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let created: Value = serde_json::from_slice(&created.body).unwrap();
    assert_eq!(
        created["scope"],
        body["scope"]
            .as_str()
            .unwrap_or("admin")
            .replace("read_only", "admin")
    );
    created["token"].as_str().unwrap().to_owned()
}

/// `GET /registrar/v1/ha1?username=U&realm=R` with a token.
async fn ha1(app: &TestApp, token: &str, username: &str, realm: &str) -> Response {
    let path = format!("/registrar/v1/ha1?username={username}&realm={realm}");
    send(app, Some(token), Method::GET, &path, None).await
}

/// The acme account, a user and a T46S with the user on line 1.
fn provision(app: &TestApp) -> (AccountId, UserId, LineView) {
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    let user = service
        .create_user(account, &input(json!({"first_name": "Ada"})))
        .unwrap()
        .id;
    service
        .create_device(account, &input(json!({"mac": T46S, "model": "T46S"})))
        .unwrap();
    let line = assign(app, user);
    (account, user, line)
}

fn assign(app: &TestApp, user: UserId) -> LineView {
    let mac: Mac = T46S.parse().unwrap();
    app.service()
        .assign_line(mac, Some(1), &input(json!({"user": user.0})))
        .unwrap()
}

fn md5(text: &str) -> String {
    sipprov::secret::md5_hex(text)
}

/// A 404 of the directory, in every part a registrar could tell apart.
fn miss(response: &Response) -> (StatusCode, String, Vec<u8>) {
    (
        response.status,
        response.headers["content-type"]
            .to_str()
            .unwrap()
            .to_owned(),
        response.body.to_vec(),
    )
}

#[tokio::test]
async fn a_registrar_token_reads_hashes_and_nothing_else() {
    let app = TestApp::start().await;
    let registrar = token(&app, "registrar", false).await;
    let read_only = token(&app, "admin", true).await;
    let lookup = "/registrar/v1/ha1?username=nobody&realm=acme.sip.example.com";

    for (method, path) in [
        (Method::GET, "/api/v1/accounts"),
        (Method::GET, "/api/v1/tokens"),
        (Method::POST, "/api/v1/tokens"),
        (Method::DELETE, "/api/v1/tokens/1"),
        (Method::GET, "/api/v1/registrar/lookups"),
    ] {
        let refused = send(&app, Some(&registrar), method.clone(), path, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert!(
            refused.text().contains("registrar token"),
            "{}",
            refused.text()
        );
    }
    let document = send(
        &app,
        Some(&registrar),
        Method::GET,
        "/api/v1/openapi.json",
        None,
    )
    .await;
    assert_eq!(document.status, StatusCode::OK, "the document is public");

    let by_registrar = send(&app, Some(&registrar), Method::GET, lookup, None).await;
    assert_eq!(by_registrar.status, StatusCode::NOT_FOUND);
    let by_admin = send(&app, Some(&app.token()), Method::GET, lookup, None).await;
    assert_eq!(
        by_admin.status,
        StatusCode::NOT_FOUND,
        "an admin token reads it too"
    );
    let by_read_only = send(&app, Some(&read_only), Method::GET, lookup, None).await;
    assert_eq!(by_read_only.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, None, Method::GET, lookup, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, Some("not-a-token"), Method::GET, lookup, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Nor does it open the web UI.
    let mut visitor = Visitor::new(&app).await;
    let refused = visitor.post("/signin", &[("token", &registrar)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.text().contains("cannot sign in"),
        "{}",
        refused.text()
    );
    app.stop().await;
}

#[tokio::test]
async fn kamailio_lookups_see_every_change_at_once() {
    let app = TestApp::start().await;
    let registrar = token(&app, "registrar", false).await;
    let (account, user, line) = provision(&app);
    let realm = "acme.sip.example.com";
    let sip_user = line.sip.username.clone();
    let password = line.sip.password.clone().unwrap();

    let found = ha1(&app, &registrar, &sip_user, realm).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        found.text(),
        format!("{}\n", md5(&format!("{sip_user}:{realm}:{password}")))
    );
    let upper = ha1(&app, &registrar, &sip_user, "ACME.sip.example.com.").await;
    assert_eq!(upper.body, found.body, "realms are DNS names");
    let path = format!("/registrar/v1/ha1?username={sip_user}&realm={realm}&hash=ha1b");
    let ha1b = send(&app, Some(&registrar), Method::GET, &path, None).await;
    assert_eq!(
        ha1b.text(),
        format!(
            "{}\n",
            md5(&format!("{sip_user}@{realm}:{realm}:{password}"))
        )
    );

    // Misses: an unknown user, another realm, a user of another account.
    let unknown = miss(&ha1(&app, &registrar, "nobody", realm).await);
    assert_eq!(unknown.0, StatusCode::NOT_FOUND);
    let other = app
        .service()
        .create_account(&input(json!({"name": "Other", "domain": "other.example.com", "registrar": {"host": "sip.example.com"}})))
        .unwrap();
    for response in [
        ha1(&app, &registrar, &sip_user, "unknown.example.com").await,
        ha1(&app, &registrar, &sip_user, &other.domain).await,
    ] {
        assert_eq!(miss(&response), unknown);
    }

    // Rotation: the old hash is gone at the next lookup, the new one is there.
    let mac: Mac = T46S.parse().unwrap();
    let rotated = app.service().rotate_line(mac, 1).unwrap();
    let new_password = rotated.sip.password.unwrap();
    assert_ne!(new_password, password);
    assert_eq!(
        ha1(&app, &registrar, &sip_user, realm).await.text(),
        format!("{}\n", md5(&format!("{sip_user}:{realm}:{new_password}")))
    );

    // Unassigned, user deleted, device deleted: the same 404 as an unknown user.
    app.service().unassign_line(mac, 1).unwrap();
    assert_eq!(
        miss(&ha1(&app, &registrar, &sip_user, realm).await),
        unknown
    );
    let again = assign(&app, user);
    assert_eq!(
        ha1(&app, &registrar, &again.sip.username, realm)
            .await
            .status,
        StatusCode::OK
    );
    app.service().delete_user(user).unwrap();
    assert_eq!(
        miss(&ha1(&app, &registrar, &again.sip.username, realm).await),
        unknown
    );
    let bob = app
        .service()
        .create_user(account, &input(json!({"first_name": "Bob"})))
        .unwrap()
        .id;
    let bobs = assign(&app, bob);
    assert_eq!(
        ha1(&app, &registrar, &bobs.sip.username, realm)
            .await
            .status,
        StatusCode::OK
    );
    app.service().delete_device(mac).unwrap();
    assert_eq!(
        miss(&ha1(&app, &registrar, &bobs.sip.username, realm).await),
        unknown
    );

    // Every lookup was counted; bad input is refused naming the fields.
    let counts = send(
        &app,
        Some(&app.token()),
        Method::GET,
        "/api/v1/registrar/lookups",
        None,
    )
    .await;
    let counts: Value = serde_json::from_slice(&counts.body).unwrap();
    assert_eq!(counts, json!({"hits": 6, "misses": 6}));
    let refused = send(
        &app,
        Some(&registrar),
        Method::GET,
        "/registrar/v1/ha1?hash=md5",
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = serde_json::from_slice(&refused.body).unwrap();
    let fields = &refused["error"]["fields"];
    assert!(
        fields["username"].is_string() && fields["realm"].is_string() && fields["hash"].is_string(),
        "{refused}"
    );
    assert!(
        !crate::app::logs().contains(&md5(&format!("{sip_user}:{realm}:{new_password}"))),
        "no hash is logged"
    );
    app.stop().await;
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn freeswitch_and_asterisk_get_the_hash_in_their_own_format() {
    let app = TestApp::start().await;
    let registrar = token(&app, "registrar", false).await;
    let (_, _, line) = provision(&app);
    let realm = "acme.sip.example.com";
    let sip_user = line.sip.username.clone();
    let ha1 = md5(&format!(
        "{sip_user}:{realm}:{}",
        line.sip.password.unwrap()
    ));
    let post = |path: &'static str, body: String| {
        let (app, registrar) = (&app, registrar.clone());
        async move {
            send(
                app,
                Some(&registrar),
                Method::POST,
                path,
                Some((FORM, body)),
            )
            .await
        }
    };

    let directory = "/registrar/v1/freeswitch/directory";
    let asked = format!(
        "hostname=fs1&section=directory&tag_name=domain&key_name=name&key_value={realm}\
         &Event-Name=REQUEST_PARAMS&action=sip_auth&sip_auth_username={sip_user}&user={sip_user}&domain={realm}"
    );
    let found = post(directory, asked).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.headers["content-type"], "text/xml; charset=utf-8");
    let xml = found.text();
    assert!(xml.contains(&format!("<domain name=\"{realm}\">")), "{xml}");
    assert!(xml.contains(&format!("<user id=\"{sip_user}\">")), "{xml}");
    assert!(
        xml.contains(&format!("<param name=\"a1-hash\" value=\"{ha1}\"/>")),
        "{xml}"
    );
    // FreeSWITCH sends its gateway-credentials as Basic: the token is the password.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("freeswitch:{registrar}"));
    let as_basic = app
        .admin()
        .send(
            RequestSpec::new(Method::POST, directory)
                .header("Authorization", format!("Basic {basic}"))
                .header("Content-Type", FORM)
                .body(format!("section=directory&user={sip_user}&domain={realm}")),
        )
        .await
        .unwrap();
    assert_eq!(as_basic.body, found.body);
    let unknown = post(
        directory,
        format!("section=directory&user=nobody&domain={realm}"),
    )
    .await;
    let other_section = post(
        directory,
        format!("section=dialplan&user={sip_user}&domain={realm}"),
    )
    .await;
    assert!(unknown.text().contains("<result status=\"not found\"/>"));
    assert_eq!(unknown.body, other_section.body);
    let as_json = send(
        &app,
        Some(&registrar),
        Method::POST,
        directory,
        Some(("application/json", "{}".into())),
    )
    .await;
    assert_eq!(as_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let id = format!("{sip_user}%40{realm}");
    let single = post("/registrar/v1/asterisk/ps_auths/single", format!("id={id}")).await;
    assert_eq!(
        single.text(),
        format!("id={id}&auth_type=md5&username={sip_user}&realm={realm}&md5_cred={ha1}\r\n")
    );
    let digest = post(
        "/registrar/v1/asterisk/ps_auths_digest/single",
        format!("id={id}"),
    )
    .await;
    assert!(
        digest.text().contains(&format!(
            "auth_type=digest&username={sip_user}&realm={realm}&password_digest=MD5%3A{ha1}"
        )),
        "{}",
        digest.text()
    );
    let all = post(
        "/registrar/v1/asterisk/ps_auths/multi",
        "id+LIKE=%25".into(),
    )
    .await;
    assert_eq!(all.text(), single.text(), "one line, one row");
    for criteria in [
        format!("id={sip_user}"),
        "id=nobody%40x.example.com".into(),
        format!("username={sip_user}"),
    ] {
        let nothing = post("/registrar/v1/asterisk/ps_auths/single", criteria.clone()).await;
        assert_eq!(
            (nothing.status, nothing.text().into_owned()),
            (StatusCode::OK, String::new()),
            "{criteria}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_export_gives_every_line_as_subscriber_rows() {
    let app = TestApp::start().await;
    let registrar = token(&app, "registrar", false).await;
    let (account, _, line) = provision(&app);
    let realm = "acme.sip.example.com";
    let sip_user = &line.sip.username;
    let password = line.sip.password.as_deref().unwrap();
    let ha1 = md5(&format!("{sip_user}:{realm}:{password}"));
    let ha1b = md5(&format!("{sip_user}@{realm}:{realm}:{password}"));

    let csv = crate::cli::sipprov_with(
        &app,
        &registrar,
        &["registrar", "export", "--format", "csv"],
    )
    .await;
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        format!("username,domain,ha1,ha1b,password\n{sip_user},{realm},{ha1},{ha1b},\n")
    );
    let account = account.to_string();
    let sql = crate::cli::sipprov_with(
        &app,
        &app.token(),
        &[
            "registrar",
            "export",
            "--format",
            "kamailio-sql",
            "--account",
            &account,
        ],
    )
    .await;
    let sql = String::from_utf8_lossy(&sql.stdout).into_owned();
    assert!(
        sql.contains(&format!(
            "DELETE FROM subscriber WHERE domain IN ('{realm}');"
        )),
        "{sql}"
    );
    assert!(
        sql.contains(&format!(
            "VALUES ('{sip_user}', '{realm}', '', '{ha1}', '{ha1b}');"
        )),
        "{sql}"
    );
    assert!(!sql.contains(password), "never a password");

    let refused = crate::cli::sipprov_with(
        &app,
        &registrar,
        &["registrar", "export", "--format", "xml"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("format: must be"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let missing = crate::cli::sipprov_with(
        &app,
        &registrar,
        &["registrar", "export", "--format", "csv", "--account", "99"],
    )
    .await;
    assert!(String::from_utf8_lossy(&missing.stderr).contains("account not found"));
    app.stop().await;
}

//! The device page's "Replace this device" form: the lines move to the MAC typed and the
//! new device's page follows; a refusal shows the page again with the error beside its
//! field and the typed values.

use http::StatusCode;

use super::{Visitor, field_value, location};
use crate::app::TestApp;
use crate::replace::broken_phone;

#[tokio::test]
async fn the_device_page_replaces_a_device_by_a_new_mac() {
    let app = TestApp::start().await;
    let (_, old) = broken_phone(&app);
    let mut admin = Visitor::with_token(&app).await;
    let page = admin.get("/devices/001565004601").await;
    assert!(
        page.text().contains("Replace this device"),
        "{}",
        page.text()
    );

    let refused = admin
        .post(
            "/devices/001565004601/replace",
            &[("mac", "00:15:65:00:46:02"), ("model", "T21P")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(
        html.contains("id=\"e-model\""),
        "the error beside its field: {html}"
    );
    assert!(html.contains("line 3"), "{html}");
    assert_eq!(
        field_value(&html, "mac").as_deref(),
        Some("00:15:65:00:46:02"),
        "the typed MAC comes back"
    );
    assert!(html.contains("<option value=\"T21P\" selected>"), "{html}");

    let same = admin
        .post("/devices/001565004601/replace", &[("mac", "001565004601")])
        .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same.text().contains("id=\"e-mac\""), "{}", same.text());

    let replaced = admin
        .post(
            "/devices/001565004601/replace",
            &[("mac", "00:15:65:00:46:02")],
        )
        .await;
    assert_eq!(
        replaced.status,
        StatusCode::SEE_OTHER,
        "{}",
        replaced.text()
    );
    assert_eq!(location(&replaced), "/devices/001565004602");
    let new_page = admin.get(location(&replaced)).await;
    assert_eq!(new_page.status, StatusCode::OK);
    assert!(
        new_page.text().contains("replaced by T46S 001565004602"),
        "{}",
        new_page.text()
    );
    let new = app
        .service()
        .device("001565004602".parse().unwrap())
        .unwrap();
    assert_eq!(new.lines.len(), old.lines.len());
    for (moved, was) in new.lines.iter().zip(&old.lines) {
        assert_eq!(
            (moved.line, &moved.sip.username),
            (was.line, &was.sip.username)
        );
    }
    let gone = admin.get("/devices/001565004601").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

//! The firmware page: the repository's images and pins, a version pinned and unpinned from
//! the form, a refused form coming back with its errors, and the device page's firmware.

use http::StatusCode;
use serde_json::json;
use sipprov::service::FirmwareUploadInput;

use super::{Visitor, location};
use crate::app::{TestApp, acme, input};

#[tokio::test]
async fn a_version_is_pinned_for_a_stage_from_the_form_and_unpinned() {
    let app = TestApp::start().await;
    let service = app.service();
    let account = service.create_account(&input(acme())).unwrap().id;
    service
        .create_device(
            account,
            &input(json!({"mac": "001565aabbcc", "model": "T46S"})),
        )
        .unwrap();
    let spec = service
        .check_firmware_upload(&FirmwareUploadInput {
            vendor: None,
            model: Some("T46S".into()),
            version: Some("66.86.0.15".into()),
        })
        .unwrap();
    let mut staged = service.stage_firmware().unwrap();
    staged.write(b"an image").unwrap();
    let image = service.add_firmware(&spec, staged).unwrap();

    let mut admin = Visitor::with_token(&app).await;
    let page = admin.get("/firmware").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(&image.sha256), "the image is listed");
    assert!(page.text().contains("No version pinned"));

    let refused = admin
        .post(
            "/firmware/pins",
            &[
                ("model", "T46S"),
                ("version", "66.86.0.15"),
                ("percent", "101"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("percentage"), "{}", refused.text());

    let pinned = admin
        .post(
            "/firmware/pins",
            &[
                ("model", "T46S"),
                ("version", "66.86.0.15"),
                ("percent", "100"),
            ],
        )
        .await;
    assert_eq!(pinned.status, StatusCode::SEE_OTHER, "{}", pinned.text());
    let page = admin.get(location(&pinned)).await;
    assert!(page.text().contains("100 %"), "{}", page.text());
    let device = admin.get("/devices/001565aabbcc").await;
    assert!(device.text().contains("id=\"firmware\""));
    assert!(device.text().contains("66.86.0.15"), "the device's target");

    let unpinned = admin
        .post("/firmware/unpin", &[("model", "T46S"), ("account", "")])
        .await;
    assert_eq!(unpinned.status, StatusCode::SEE_OTHER);
    assert!(service.firmware_pins().unwrap().is_empty());
    app.stop().await;
}

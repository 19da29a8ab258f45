//! The firmware page, for the provider's staff: the images of the repository, the pins and
//! their stages, a form to pin a version (globally or for one account) and an unpin button
//! each. Images are uploaded through the CLI or the API (a raw body the web form would have
//! to send as multipart).

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::{AccountId, Invalid, PinScope};
use crate::service::PinInput;

impl Ui {
    pub(super) async fn firmware(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let page = self.firmware_page(BTreeMap::new(), BTreeMap::new()).await?;
        Ok(Reply::Page(page))
    }

    async fn firmware_page(
        &self,
        values: BTreeMap<String, String>,
        errors: BTreeMap<String, String>,
    ) -> Result<Page, Failure> {
        let (images, pins) = self
            .run(|s| Ok((s.firmware_images()?, s.firmware_pins()?)))
            .await?;
        let page = Page::new(
            "firmware",
            "Firmware",
            json!({
                "images": json(images),
                "pins": json(pins),
                "form": {"values": values, "errors": errors},
            }),
        );
        Ok(page.section("firmware"))
    }

    /// Pins a version; a refusal comes back `422` with the typed values, each error by its
    /// field.
    pub(super) async fn pin_firmware(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let mut invalid = Invalid::new();
        let scope = scope(call.form.text("account"), &mut invalid);
        let percent = call
            .form
            .filled("percent")
            .and_then(|text| match text.parse() {
                Ok(percent) => Some(percent),
                Err(_) => {
                    invalid.add("percent", "must be a percentage from 0 to 100");
                    None
                }
            });
        let model = call.form.text("model").trim().to_owned();
        let profiles: Vec<String> = call
            .form
            .text("profiles")
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        let input = PinInput {
            version: call.form.filled("version"),
            percent,
            profiles: Some(profiles),
        };
        let result = match scope {
            Some(scope) if invalid.is_empty() => {
                self.run(move |s| s.pin_firmware(scope, &model, &input))
                    .await
            }
            _ => Err(Failure::Service(invalid.into())),
        };
        match result {
            Ok(pin) => Ok(Reply::redirect_with(
                "/firmware",
                format!(
                    "{} {} is pinned for {}% of the devices.",
                    pin.model, pin.version, pin.percent
                ),
            )),
            Err(failure) => {
                let errors = refusals(failure)?;
                let page = self.firmware_page(call.form.values(), errors).await?;
                Ok(Reply::Page(page.status(StatusCode::UNPROCESSABLE_ENTITY)))
            }
        }
    }

    pub(super) async fn unpin_firmware(&self, call: &Call) -> Result<Reply, Failure> {
        call.provider()?;
        let mut invalid = Invalid::new();
        let Some(scope) = scope(call.form.text("account"), &mut invalid) else {
            return Err(Failure::Service(invalid.into()));
        };
        let model = call.form.text("model").trim().to_owned();
        self.run(move |s| s.unpin_firmware(scope, &model)).await?;
        Ok(Reply::redirect_with("/firmware", "The pin is removed."))
    }
}

/// The pin's scope from the form's `account`: empty for every account.
fn scope(account: &str, invalid: &mut Invalid) -> Option<PinScope> {
    let account = account.trim();
    if account.is_empty() {
        return Some(PinScope::Global);
    }
    match account.parse() {
        Ok(id) => Some(PinScope::Account(AccountId(id))),
        Err(_) => {
            invalid.add("account", "must be an account id");
            None
        }
    }
}

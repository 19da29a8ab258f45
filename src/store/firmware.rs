//! The firmware trees: image records by digest (`firmware`) and pins by scope and model
//! (`firmware.pins`). The image bytes are files the service keeps; only their records are here.

use super::keys::{self, TreeId};
use super::reads::source::Source;
use super::reads::{record, records};
use super::{StoreError, Write};
use crate::domain::{AccountId, FirmwareImage, FirmwarePin, ImageDigest, PinScope};

/// Typed reads of the firmware trees, for the store and a write in progress.
pub trait FirmwareReads: Source {
    fn firmware_image(&self, digest: ImageDigest) -> Result<Option<FirmwareImage>, StoreError> {
        record(self, TreeId::Firmware, &digest.bytes())
    }

    /// Every image, in digest order.
    fn firmware_images(&self) -> Result<Vec<FirmwareImage>, StoreError> {
        records(self, TreeId::Firmware, &[])
    }

    fn firmware_pin(
        &self,
        scope: PinScope,
        vendor: &str,
        model: &str,
    ) -> Result<Option<FirmwarePin>, StoreError> {
        record(self, TreeId::FirmwarePins, &keys::pin(scope, vendor, model))
    }

    /// Every pin: the global ones, then each account's, by model.
    fn firmware_pins(&self) -> Result<Vec<FirmwarePin>, StoreError> {
        records(self, TreeId::FirmwarePins, &[])
    }
}

impl<S: Source + ?Sized> FirmwareReads for S {}

impl Write<'_> {
    pub fn put_firmware_image(&mut self, image: &FirmwareImage) {
        self.set_record(TreeId::Firmware, image.digest.bytes().to_vec(), image);
    }

    pub fn delete_firmware_image(&mut self, digest: ImageDigest) {
        self.remove(TreeId::Firmware, digest.bytes().to_vec());
    }

    pub fn put_firmware_pin(&mut self, pin: &FirmwarePin) {
        let key = keys::pin(pin.scope, &pin.vendor, &pin.model);
        self.set_record(TreeId::FirmwarePins, key, pin);
    }

    pub fn delete_firmware_pin(&mut self, scope: PinScope, vendor: &str, model: &str) {
        self.remove(TreeId::FirmwarePins, keys::pin(scope, vendor, model));
    }

    /// Removes every pin of an account (the account is being deleted).
    pub fn delete_firmware_pins_of(&mut self, account: AccountId) -> Result<(), StoreError> {
        let prefix = keys::pin_scope(PinScope::Account(account));
        for (key, _) in self.scan(TreeId::FirmwarePins, &prefix)? {
            self.remove(TreeId::FirmwarePins, key);
        }
        Ok(())
    }
}

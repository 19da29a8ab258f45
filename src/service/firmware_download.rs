//! A phone downloading its firmware: `<mac>-<sha256>-<version>.rom` through the phone
//! listener, authenticated like its configuration file.
//!
//! Only valid credentials open an image — the device's own (or its account's shared one),
//! Basic or Digest; the first-boot hand-off does not: a device that was handed its file
//! presents its credentials from then on. A device may fetch only an image it is a target
//! of now (its own, or for a DECT base a handset image): any other image is `NotFound`.
//! Refusals cost the same failure budgets as configuration files, and every attempt of a
//! known device goes to its audit.

use super::firmware_targets::FirmwareFile;
use super::provisioning::{FailureAllowance, PhoneAnswer, PhoneRequest};
use super::{Error, Service, now};
use crate::domain::FetchOutcome;
use crate::store::Reads;

impl Service {
    /// Answers a firmware download, or says why not.
    pub(super) fn firmware_download(
        &self,
        file: &FirmwareFile,
        request: &PhoneRequest,
        allowance: &dyn FailureAllowance,
    ) -> Result<PhoneAnswer, Error> {
        let address = request.address;
        if request.credentials.username().is_none() && !allowance.allows(address) {
            return Ok(PhoneAnswer::Throttled);
        }
        let agent = request
            .user_agent
            .as_deref()
            .and_then(|ua| self.catalogue.identify(ua));
        let Some(device) = self.store.device(file.mac)? else {
            if !allowance.spend(address) {
                return Ok(PhoneAnswer::Throttled);
            }
            return Ok(PhoneAnswer::Unauthorized);
        };
        let account = self
            .store
            .account(device.account)?
            .ok_or(Error::NotFound("account"))?;
        let at = now();
        let outcome = match self.judge(&device, &account, request, agent.as_ref(), at) {
            // The hand-off opens the configuration file only.
            FetchOutcome::HandedOff => FetchOutcome::Unauthorized,
            outcome => outcome,
        };
        if outcome != FetchOutcome::Served && !allowance.spend(address) {
            return Ok(PhoneAnswer::Throttled);
        }
        let answer = match outcome {
            FetchOutcome::Served => {
                let targets = self.firmware_targets(&device)?;
                match self.store_image(file)? {
                    Some(size) if targets.includes(file.digest) => PhoneAnswer::Firmware {
                        path: self.firmware_path(file.digest),
                        size,
                        etag: format!("\"{}\"", file.digest),
                    },
                    _ => PhoneAnswer::NotFound,
                }
            }
            FetchOutcome::MacMismatch => PhoneAnswer::Forbidden,
            _ => PhoneAnswer::Unauthorized,
        };
        let fetch = request.fetch(at, agent.as_ref(), outcome);
        self.store
            .record_fetch(file.mac, &fetch, self.settings.audit_limit)?;
        Ok(answer)
    }

    /// The size of a requested image whose record matches the name (digest and version).
    fn store_image(&self, file: &FirmwareFile) -> Result<Option<u64>, Error> {
        use crate::store::FirmwareReads;
        Ok(self
            .store
            .firmware_image(file.digest)?
            .filter(|image| image.version == file.version)
            .map(|image| image.size))
    }
}

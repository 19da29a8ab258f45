//! Which firmware each device should run: the pin that applies to its model in its account
//! (the account's over the global one), whether the device is in that pin's stage, the URLs
//! its file carries, and the name of its download (`<mac>-<sha256>-<version>.rom`).

use super::firmware::DeviceFirmwareView;
use super::{Error, Service};
use crate::domain::{
    AccountId, Device, FirmwareImage, FirmwarePin, FirmwareVersion, ImageDigest, Mac, PinScope,
    effective_pin,
};
use crate::render::{FirmwareUrls, HandsetFirmware};
use crate::store::{FirmwareReads, Reads};

impl Service {
    /// The images a device should run now: its own (`None` when it is outside its pin's
    /// stage or has no pin), and for a DECT base each handset model's of its vendor.
    pub(crate) fn firmware_targets(&self, device: &Device) -> Result<DeviceTargets, Error> {
        let own = target_of(&self.store, device, &device.model)?;
        let is_dect = self
            .catalogue
            .model(&device.model)
            .is_some_and(|model| model.dect.is_some());
        let mut handsets = Vec::new();
        if let Some(vendor) = self.catalogue.vendor(&device.vendor).filter(|_| is_dect) {
            for handset in &vendor.handset_models {
                handsets.push((handset.clone(), target_of(&self.store, device, handset)?));
            }
        }
        Ok(DeviceTargets { own, handsets })
    }

    /// The firmware URLs of a device's file: its targets' download URLs, the rest cleared.
    pub(crate) fn firmware_urls(
        &self,
        device: &Device,
        server_url: &str,
    ) -> Result<FirmwareUrls, Error> {
        let targets = self.firmware_targets(device)?;
        let url = |image: &FirmwareImage| Service::firmware_url(server_url, device.mac, image);
        Ok(FirmwareUrls {
            device: targets.own.as_ref().map(url),
            handsets: targets
                .handsets
                .iter()
                .map(|(model, image)| HandsetFirmware {
                    key: model.to_ascii_lowercase(),
                    url: image.as_ref().map(url),
                })
                .collect(),
        })
    }

    /// The URL a device fetches `image` from: `<server>firmware/<mac>-<sha256>-<version>.rom`
    /// (the version last, as in the vendor's own file names).
    pub(crate) fn firmware_url(server_url: &str, mac: Mac, image: &FirmwareImage) -> String {
        format!(
            "{server_url}firmware/{}",
            FirmwareFile::name(mac, image.digest, &image.version)
        )
    }
}

/// What a device should run now.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceTargets {
    pub own: Option<FirmwareImage>,
    /// `(handset model, its image)` for each handset model of a DECT base's vendor.
    pub handsets: Vec<(String, Option<FirmwareImage>)>,
}

impl DeviceTargets {
    /// Whether `digest` is one of the images this device may fetch.
    pub(crate) fn includes(&self, digest: ImageDigest) -> bool {
        self.own
            .iter()
            .chain(self.handsets.iter().filter_map(|(_, image)| image.as_ref()))
            .any(|image| image.digest == digest)
    }
}

/// The name of a device's firmware download: `<mac>-<sha256>-<version>.rom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirmwareFile {
    pub mac: Mac,
    pub digest: ImageDigest,
    pub version: FirmwareVersion,
}

impl FirmwareFile {
    pub(crate) fn name(mac: Mac, digest: ImageDigest, version: &FirmwareVersion) -> String {
        format!("{mac}-{digest}-{version}.rom")
    }

    /// Reads a requested file name; `None` for anything else.
    pub(crate) fn parse(file: &str) -> Option<FirmwareFile> {
        let stem = file.strip_suffix(".rom")?;
        let mut parts = stem.splitn(3, '-');
        let mac = parts.next()?;
        if mac.len() != 12 {
            return None;
        }
        Some(FirmwareFile {
            mac: mac.parse().ok()?,
            digest: parts.next()?.parse().ok()?,
            version: parts.next()?.parse().ok()?,
        })
    }
}

/// The pin that applies to a model in an account, and whether it comes from the account.
fn pin_for(
    reads: &(impl FirmwareReads + ?Sized),
    account: AccountId,
    vendor: &str,
    model: &str,
) -> Result<Option<(FirmwarePin, bool)>, Error> {
    let own = reads.firmware_pin(PinScope::Account(account), vendor, model)?;
    let global = reads.firmware_pin(PinScope::Global, vendor, model)?;
    Ok(effective_pin(own.as_ref(), global.as_ref())
        .cloned()
        .map(|pin| (pin, own.is_some())))
}

fn target_of(
    reads: &(impl FirmwareReads + ?Sized),
    device: &Device,
    model: &str,
) -> Result<Option<FirmwareImage>, Error> {
    match pin_for(reads, device.account, &device.vendor, model)? {
        Some((pin, _)) if pin.reaches(device.mac, device.profile.as_deref()) => {
            image_of(reads, &device.vendor, model, &pin.version)
        }
        _ => Ok(None),
    }
}

/// The image of a model and version.
pub(super) fn image_of(
    reads: &(impl FirmwareReads + ?Sized),
    vendor: &str,
    model: &str,
    version: &FirmwareVersion,
) -> Result<Option<FirmwareImage>, Error> {
    Ok(reads
        .firmware_images()?
        .into_iter()
        .find(|i| i.vendor == vendor && i.model == model && &i.version == version))
}

/// A device's running firmware against its target, for its views.
pub(crate) fn device_firmware(
    reads: &(impl Reads + FirmwareReads + ?Sized),
    device: &Device,
) -> Result<DeviceFirmwareView, Error> {
    let running = reads
        .last_fetch(device.mac)?
        .and_then(|fetch| fetch.firmware);
    let Some((pin, own)) = pin_for(reads, device.account, &device.vendor, &device.model)? else {
        return Ok(DeviceFirmwareView {
            running,
            ..DeviceFirmwareView::default()
        });
    };
    let in_stage = pin.reaches(device.mac, device.profile.as_deref());
    Ok(DeviceFirmwareView {
        running,
        pinned: Some(pin.version.to_string()),
        pinned_by: Some(if own { "account" } else { "global" }.to_owned()),
        in_stage,
        target: in_stage.then(|| pin.version.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_carry_mac_digest_and_version() {
        let mac: Mac = "001565aabbcc".parse().unwrap();
        let digest: ImageDigest = "ab".repeat(32).parse().unwrap();
        let version: FirmwareVersion = "66.86.0.15".parse().unwrap();
        let name = FirmwareFile::name(mac, digest, &version);
        assert_eq!(
            name,
            format!("001565aabbcc-{}-66.86.0.15.rom", "ab".repeat(32))
        );
        assert_eq!(
            FirmwareFile::parse(&name),
            Some(FirmwareFile {
                mac,
                digest,
                version
            })
        );
        for other in [
            "001565aabbcc.cfg",
            "001565aabbcc-66.86.0.15.rom",
            "00:15:65:aa:bb:cc-ab-66.86.0.15.rom",
            &format!("001565aabbcc-{}-66.rom", "ab".repeat(32)),
            &format!("001565aabbcc-{}-66.86.0.15.bin", "ab".repeat(32)),
        ] {
            assert_eq!(FirmwareFile::parse(other), None, "{other}");
        }
    }
}

//! The firmware repository: images uploaded by admins, kept as `<sha256>.rom` files in the
//! data directory with their records in the store; versions pinned per model, globally or per
//! account (the account's pin wins); and each device's target — the pinned image when the
//! device is in the pin's stage, nothing otherwise.
//!
//! An upload is staged in a temporary file in the same directory (hashed and counted as it
//! is written, refused past the size limit), then renamed to its digest and recorded: nothing
//! half-written is ever served, and a refused upload leaves nothing behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::firmware_targets::image_of;
use super::{Error, Service, now};
use crate::domain::settings::ProfileName;
use crate::domain::{
    AccountId, FirmwareImage, FirmwarePin, FirmwareVersion, ImageDigest, Invalid, Percent,
    PinScope, Stage,
};
use crate::store::{FirmwareReads, Reads};

/// An upload's description, from the query string: `?model=T46S&version=66.86.0.15`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FirmwareUploadInput {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
}

/// What an upload was checked to be, before its bytes are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    vendor: String,
    model: String,
    version: FirmwareVersion,
}

/// `PUT …/firmware/pins/{model}`: the version and how much of the fleet gets it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinInput {
    /// An uploaded version of this model.
    #[schema(
        required = true,
        nullable = false,
        example = "66.86.0.15",
        pattern = r"^[0-9]{1,9}(\.[0-9]{1,9}){1,5}$"
    )]
    pub version: Option<String>,
    /// Percent of the devices (by a stable hash of their MAC) that get it now; default 100.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: Option<u64>,
    /// Device profiles whose devices get it first, whatever the percentage (by name, in each
    /// device's own account).
    #[schema(value_type = Option<Vec<String>>, example = json!(["pilot"]))]
    pub profiles: Option<Vec<String>>,
}

/// An image of the repository.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FirmwareView {
    /// SHA-256 of the bytes, 64 lower-case hex digits.
    pub sha256: String,
    pub vendor: String,
    pub model: String,
    #[schema(value_type = String, example = "66.86.0.15")]
    pub version: FirmwareVersion,
    /// Bytes.
    pub size: u64,
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: jiff::Timestamp,
}

/// A pinned version and its stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PinView {
    /// `null`: every account without its own pin.
    pub account: Option<AccountId>,
    pub vendor: String,
    pub model: String,
    #[schema(value_type = String, example = "66.86.0.15")]
    pub version: FirmwareVersion,
    /// Percent of the devices that get it now.
    pub percent: u8,
    /// Profiles whose devices get it whatever the percentage.
    pub profiles: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

/// A device's firmware: what it runs (its last fetch's User-Agent) against what it should.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DeviceFirmwareView {
    /// From the User-Agent of its last fetch; `null` before one.
    pub running: Option<String>,
    /// The pinned version for its model (the account's pin, else the global one).
    pub pinned: Option<String>,
    /// `global` or `account`: where the pin comes from.
    pub pinned_by: Option<String>,
    /// Whether the device is in the pin's current stage.
    pub in_stage: bool,
    /// What its file tells it to run: the pinned version when in the stage, else `null`.
    pub target: Option<String>,
}

/// An upload being written: a temporary file in the firmware directory, hashed and counted
/// as it grows. Dropped before [`Service::add_firmware`] takes it, it removes its file.
#[derive(Debug)]
pub struct StagedImage {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

/// Why a chunk of an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("the image is larger than {0} bytes")]
    TooLarge(u64),
    #[error("cannot write the image: {0}")]
    Io(#[from] std::io::Error),
}

impl StagedImage {
    /// Appends a chunk; past the limit the upload is refused (and its file removed on drop).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), StageError> {
        let size = self.size.saturating_add(chunk.len() as u64);
        if size > self.limit {
            return Err(StageError::TooLarge(self.limit));
        }
        let file = self.file.as_mut().ok_or_else(|| {
            StageError::Io(std::io::Error::other("the staged image is already closed"))
        })?;
        file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.size = size;
        Ok(())
    }

    /// The most bytes this upload may hold.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl Drop for StagedImage {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Service {
    /// The file of an image.
    pub(crate) fn firmware_path(&self, digest: ImageDigest) -> PathBuf {
        self.settings.firmware_dir.join(format!("{digest}.rom"))
    }

    /// Checks an upload's description: the model (of the catalogue, or a DECT handset model
    /// of its vendor), the vendor if given, the version. Every refused field is named.
    pub fn check_firmware_upload(&self, input: &FirmwareUploadInput) -> Result<ImageSpec, Error> {
        let mut invalid = Invalid::new();
        let version = match input.version.as_deref().map(str::trim) {
            None | Some("") => {
                invalid.add("version", "is required");
                None
            }
            Some(text) => invalid.check("version", text.parse::<FirmwareVersion>()),
        };
        let model = match input.model.as_deref().map(str::trim) {
            None | Some("") => {
                invalid.add("model", "is required");
                None
            }
            Some(name) => {
                let found = self.firmware_model(name);
                if found.is_none() {
                    invalid.add("model", format!("{name:?} is not a model of the catalogue"));
                }
                found
            }
        };
        let vendor = input.vendor.as_deref().filter(|v| !v.trim().is_empty());
        if let (Some(vendor), Some((model_vendor, _))) = (vendor, &model) {
            if !vendor.trim().eq_ignore_ascii_case(model_vendor) {
                invalid.add("vendor", format!("the model is a {model_vendor} model"));
            }
        }
        match (model, version) {
            (Some((vendor, model)), Some(version)) if invalid.is_empty() => Ok(ImageSpec {
                vendor,
                model,
                version,
            }),
            _ => Err(invalid.into()),
        }
    }

    /// `(vendor, model)` for a catalogue model or a vendor's handset model, in their spelling.
    fn firmware_model(&self, name: &str) -> Option<(String, String)> {
        if let Some(model) = self.catalogue.model(name) {
            return Some((model.vendor.clone(), model.name.clone()));
        }
        self.catalogue.vendors().find_map(|vendor| {
            vendor
                .handset_model(name)
                .map(|model| (vendor.id.clone(), model.to_owned()))
        })
    }

    /// Removes the temporary files of uploads a stopped server left unfinished.
    pub fn clean_firmware_staging(&self) -> Result<(), Error> {
        let Ok(entries) = fs::read_dir(&self.settings.firmware_dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".upload-") {
                fs::remove_file(entry.path()).map_err(Error::Firmware)?;
            }
        }
        Ok(())
    }

    /// A new temporary file for an upload, under the configured size limit.
    pub fn stage_firmware(&self) -> Result<StagedImage, Error> {
        let dir = &self.settings.firmware_dir;
        fs::create_dir_all(dir).map_err(Error::Firmware)?;
        let name = format!(".upload-{}", crate::secret::token());
        let path = dir.join(name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(Error::Firmware)?;
        Ok(StagedImage {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            limit: self.settings.firmware_max_bytes,
        })
    }

    /// Publishes a staged upload: flushed, renamed to its digest, recorded. Refused (409) when
    /// the same bytes or the same model and version are already in the repository.
    pub fn add_firmware(
        &self,
        spec: &ImageSpec,
        mut staged: StagedImage,
    ) -> Result<FirmwareView, Error> {
        if staged.size == 0 {
            return Err(Error::invalid("body", "is empty: send the image's bytes"));
        }
        let file = staged
            .file
            .as_ref()
            .ok_or(Error::NotFound("staged image"))?;
        file.sync_all().map_err(Error::Firmware)?;
        let digest = ImageDigest::new(staged.hasher.clone().finalize().into());
        let image = FirmwareImage {
            digest,
            vendor: spec.vendor.clone(),
            model: spec.model.clone(),
            version: spec.version.clone(),
            size: staged.size,
            uploaded_at: now(),
        };
        let path = self.firmware_path(digest);
        self.store.write(|w| {
            if let Some(existing) = w.firmware_image(digest)? {
                return Err(Error::conflict(
                    "body",
                    format!(
                        "this image is already uploaded, as {} {}",
                        existing.model, existing.version
                    ),
                ));
            }
            if image_of(w, &image.vendor, &image.model, &image.version)?.is_some() {
                return Err(Error::conflict(
                    "version",
                    format!("{} {} is already uploaded", image.model, image.version),
                ));
            }
            // Renamed inside the write: the record commits only once the file is in place.
            fs::rename(&staged.path, &path).map_err(Error::Firmware)?;
            staged.file = None;
            if let Some(dir) = path.parent() {
                File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(Error::Firmware)?;
            }
            w.put_firmware_image(&image);
            Ok(())
        })?;
        Ok(FirmwareView::of(&image))
    }

    /// Every image, by model then version.
    pub fn firmware_images(&self) -> Result<Vec<FirmwareView>, Error> {
        let mut images = self.store.firmware_images()?;
        images.sort_by(|a, b| (&a.model, &a.version).cmp(&(&b.model, &b.version)));
        Ok(images.iter().map(FirmwareView::of).collect())
    }

    /// Removes an image no pin names; its file goes after its record.
    pub fn delete_firmware(&self, digest: ImageDigest) -> Result<(), Error> {
        self.store.write(|w| {
            let image = w
                .firmware_image(digest)?
                .ok_or(Error::NotFound("firmware image"))?;
            let pinned = w.firmware_pins()?.into_iter().any(|pin| {
                (&pin.vendor, &pin.model, &pin.version)
                    == (&image.vendor, &image.model, &image.version)
            });
            if pinned {
                return Err(Error::conflict(
                    "sha256",
                    "a pin names this image: unpin or pin another version first",
                ));
            }
            w.delete_firmware_image(digest);
            Ok(())
        })?;
        match fs::remove_file(self.firmware_path(digest)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::Firmware(error))
            }
            _ => Ok(()),
        }
    }

    /// Pins an uploaded version of `model` in `scope`, reaching `percent` of the devices.
    pub fn pin_firmware(
        &self,
        scope: PinScope,
        model: &str,
        input: &PinInput,
    ) -> Result<PinView, Error> {
        let mut invalid = Invalid::new();
        let found = self.firmware_model(model);
        if found.is_none() {
            invalid.add(
                "model",
                format!("{model:?} is not a model of the catalogue"),
            );
        }
        let version = match input.version.as_deref().map(str::trim) {
            None | Some("") => {
                invalid.add("version", "is required");
                None
            }
            Some(text) => invalid.check("version", text.parse::<FirmwareVersion>()),
        };
        let percent = match input.percent {
            None => Some(Percent::ALL),
            Some(value) => invalid.check(
                "percent",
                u8::try_from(value)
                    .map_err(|_| crate::domain::ParseError::new("must be from 0 to 100"))
                    .and_then(Percent::try_from),
            ),
        };
        let mut profiles = Vec::new();
        for name in input.profiles.iter().flatten() {
            if let Some(name) = invalid.check("profiles", name.parse::<ProfileName>()) {
                profiles.push(name.0);
            }
        }
        profiles.sort();
        profiles.dedup();
        let (Some((vendor, model)), Some(version), Some(percent)) = (found, version, percent)
        else {
            return Err(invalid.into());
        };
        if !invalid.is_empty() {
            return Err(invalid.into());
        }
        let pin = self.store.write(|w| {
            if let PinScope::Account(account) = scope {
                w.account(account)?.ok_or(Error::NotFound("account"))?;
            }
            if image_of(w, &vendor, &model, &version)?.is_none() {
                return Err(Error::invalid(
                    "version",
                    format!("no image of {model} {version} is uploaded"),
                ));
            }
            let pin = FirmwarePin {
                scope,
                vendor,
                model,
                version,
                stage: Stage { percent, profiles },
                updated_at: now(),
            };
            w.put_firmware_pin(&pin);
            Ok::<_, Error>(pin)
        })?;
        Ok(PinView::of(&pin))
    }

    /// Removes a pin: the model's devices in that scope fall back (to the global pin, or none).
    pub fn unpin_firmware(&self, scope: PinScope, model: &str) -> Result<(), Error> {
        let (vendor, model) = self
            .firmware_model(model)
            .ok_or(Error::NotFound("firmware pin"))?;
        self.store.write(|w| {
            w.firmware_pin(scope, &vendor, &model)?
                .ok_or(Error::NotFound("firmware pin"))?;
            w.delete_firmware_pin(scope, &vendor, &model);
            Ok(())
        })
    }

    /// Every pin, the global ones first.
    pub fn firmware_pins(&self) -> Result<Vec<PinView>, Error> {
        Ok(self
            .store
            .firmware_pins()?
            .iter()
            .map(PinView::of)
            .collect())
    }
}

impl FirmwareView {
    fn of(image: &FirmwareImage) -> FirmwareView {
        FirmwareView {
            sha256: image.digest.to_string(),
            vendor: image.vendor.clone(),
            model: image.model.clone(),
            version: image.version.clone(),
            size: image.size,
            uploaded_at: image.uploaded_at,
        }
    }
}

impl PinView {
    fn of(pin: &FirmwarePin) -> PinView {
        PinView {
            account: match pin.scope {
                PinScope::Global => None,
                PinScope::Account(account) => Some(account),
            },
            vendor: pin.vendor.clone(),
            model: pin.model.clone(),
            version: pin.version.clone(),
            percent: pin.stage.percent.value(),
            profiles: pin.stage.profiles.clone(),
            updated_at: pin.updated_at,
        }
    }
}

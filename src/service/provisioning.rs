//! The phone path's use case: answer a phone's request for a file (DESIGN.md §4).
//!
//! A device file carries SIP passwords, so it is served only to a phone that proves who it
//! is — with the device's own credentials (or the account-wide one), or once, without
//! credentials, through the armed first-boot hand-off. Every refusal looks the same to the
//! phone (`Unauthorized`), whether the MAC is unknown, the credentials wrong or the hand-off
//! spent: nothing tells an attacker which MACs exist. Unknown MACs are remembered in the
//! bounded unclaimed list, where those that look like real phones are kept over one-off
//! guesses; every fetch of a known device goes to its audit.
//!
//! Every failure is paid for from the listener's [`FailureAllowance`] at the moment the
//! request turns out to be one; when the allowance refuses, the answer is `Throttled` and
//! nothing is written — no unclaimed entry, no audit entry. Valid credentials never ask. A
//! hand-off asks without paying: it is a credential-less fetch that hands out passwords,
//! so it waits like a probe while a budget is spent (`Throttled`: the phone retries).

use std::net::IpAddr;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::credentials::Credentials;
use super::firmware_targets::FirmwareFile;
use super::{Error, Service, now};
use crate::domain::{
    Account, Device, DeviceAuth, Fetch, FetchOutcome, Mac, ModelMismatch, ProvisioningCredentials,
    Unclaimed,
};
use crate::render::CommonFile;
use crate::store::{Reads, UnclaimedRank};
use crate::vendors::{PhoneFile, UserAgent};

/// A phone's request, as the HTTP layer read it.
#[derive(Debug)]
pub struct PhoneRequest {
    /// The requested file name: the last path segment, percent-decoded.
    pub file: String,
    pub address: IpAddr,
    pub user_agent: Option<String>,
    pub credentials: Credentials,
    /// The provisioning URL the phone is told to keep polling (ends with `/`).
    pub server_url: String,
}

/// The failures a phone listener still accepts from an address (its budgets, kept by the
/// HTTP layer). Asked only for requests that are not a genuine phone's.
pub trait FailureAllowance: Send + Sync {
    /// Whether one more failure from `address` would be accepted; spends nothing.
    fn allows(&self, address: IpAddr) -> bool;
    /// Spends one failure of `address`; `false` (nothing spent) when a budget is used up.
    fn spend(&self, address: IpAddr) -> bool;
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneAnswer {
    File {
        body: String,
        etag: String,
    },
    NotFound,
    /// The same for an unknown MAC, wrong credentials and a spent hand-off.
    Unauthorized,
    /// The User-Agent named another device than the file.
    Forbidden,
    Throttled,
    /// A firmware image: the file to stream (its bytes never pass through memory whole).
    Firmware {
        path: std::path::PathBuf,
        size: u64,
        etag: String,
    },
}

impl Service {
    /// Answers one phone request, paying for a failure from `allowance`. Bookkeeping
    /// (audit, unclaimed list) is written lazily, and only for failures that were paid for.
    pub fn phone_fetch(
        &self,
        request: &PhoneRequest,
        allowance: &dyn FailureAllowance,
    ) -> Result<PhoneAnswer, Error> {
        if let Some(file) = FirmwareFile::parse(&request.file) {
            return self.firmware_download(&file, request, allowance);
        }
        match self.catalogue.route(&request.file) {
            PhoneFile::NotServed => Ok(PhoneAnswer::NotFound),
            PhoneFile::CommonConfig { vendor, file } => self.common_file(vendor, &file, request),
            PhoneFile::DeviceConfig { mac, .. } => self.device_file(mac, request, allowance),
        }
    }

    fn common_file(
        &self,
        vendor: &str,
        file: &str,
        request: &PhoneRequest,
    ) -> Result<PhoneAnswer, Error> {
        let context = CommonFile {
            vendor: vendor.to_owned(),
            file: file.to_owned(),
            models: self
                .catalogue
                .family(vendor, file)
                .map(|m| m.name.clone())
                .collect(),
            server_url: request.server_url.clone(),
            ntp_servers: self.settings.ntp_servers.clone(),
        };
        let body = self
            .renderer
            .render_common(&context)
            .map_err(|e| Error::Render(e.to_string()))?;
        Ok(answer(body))
    }

    fn device_file(
        &self,
        mac: Mac,
        request: &PhoneRequest,
        allowance: &dyn FailureAllowance,
    ) -> Result<PhoneAnswer, Error> {
        let address = request.address;
        // Without a username nothing can prove a device, and a hand-off would have to wait
        // too: a spent budget answers before the store is read.
        if request.credentials.username().is_none() && !allowance.allows(address) {
            return Ok(PhoneAnswer::Throttled);
        }
        let agent = request
            .user_agent
            .as_deref()
            .and_then(|ua| self.catalogue.identify(ua));
        let Some(device) = self.store.device(mac)? else {
            if !allowance.spend(address) {
                return Ok(PhoneAnswer::Throttled);
            }
            // Refused as a known device would be: a User-Agent naming another MAC is 403
            // whether or not this MAC exists, so the check tells an attacker nothing.
            if agent
                .as_ref()
                .and_then(|a| a.mac)
                .is_some_and(|claimed| claimed != mac)
            {
                return Ok(PhoneAnswer::Forbidden);
            }
            self.remember_unclaimed(mac, request, agent.as_ref())?;
            return Ok(PhoneAnswer::Unauthorized);
        };
        let account = self
            .store
            .account(device.account)?
            .ok_or(Error::NotFound("account"))?;
        let at = now();
        let outcome = self.judge(&device, &account, request, agent.as_ref(), at);
        let paid = match outcome {
            FetchOutcome::Served => true,
            FetchOutcome::HandedOff => allowance.allows(address),
            // Only after valid credentials (never paid, never throttled) or an admitted
            // hand-off (which waits like one).
            FetchOutcome::ModelMismatch => {
                request.credentials.presented() || allowance.allows(address)
            }
            _ => allowance.spend(address),
        };
        if !paid {
            // Nothing written: a throttled request costs the store nothing.
            return Ok(PhoneAnswer::Throttled);
        }
        let answer = match outcome {
            FetchOutcome::Served | FetchOutcome::HandedOff => {
                let firmware = agent.as_ref().and_then(|a| a.firmware.as_deref());
                let body = self.render_device(&device, &account, &request.server_url, firmware)?;
                self.after_success(&device, outcome, at)?;
                answer(body)
            }
            FetchOutcome::MacMismatch => PhoneAnswer::Forbidden,
            FetchOutcome::ModelMismatch => {
                if let Some(claimed) = agent.as_ref().and_then(|a| a.model) {
                    let user_agent = request.user_agent.clone().unwrap_or_default();
                    self.flag_model_mismatch(mac, at, user_agent, &claimed.name)?;
                }
                PhoneAnswer::Forbidden
            }
            FetchOutcome::Throttled => PhoneAnswer::Throttled,
            FetchOutcome::Replayed => PhoneAnswer::Unauthorized,
            FetchOutcome::Unauthorized => {
                if !request.credentials.presented() && device.handoff.handed_off_at.is_some() {
                    self.flag_refused(mac, at)?;
                }
                PhoneAnswer::Unauthorized
            }
        };
        let fetch = request.fetch(at, agent.as_ref(), outcome);
        let limit = self.settings.audit_limit;
        self.store.record_fetch(mac, &fetch, limit)?;
        Ok(answer)
    }

    /// Decides a device-file request: credentials first (a genuine phone is never throttled),
    /// then the hand-off, then refusal. What is not `Served` is paid for by the caller.
    pub(super) fn judge(
        &self,
        device: &Device,
        account: &Account,
        request: &PhoneRequest,
        agent: Option<&UserAgent<'_>>,
        at: Timestamp,
    ) -> FetchOutcome {
        if agent
            .and_then(|a| a.mac)
            .is_some_and(|claimed| claimed != device.mac)
        {
            return FetchOutcome::MacMismatch;
        }
        let expected = expected_credentials(device, account);
        let username_ok = request
            .credentials
            .username()
            .is_some_and(|u| crate::secret::same(u, &expected.username));
        let password_ok = request.credentials.verify(expected.password.expose());
        if username_ok && password_ok {
            return match &request.credentials {
                Credentials::Digest(digest) if !self.nonce_counts.first_use(digest) => {
                    FetchOutcome::Replayed
                }
                _ if self.names_another_family(device, agent) => FetchOutcome::ModelMismatch,
                _ => FetchOutcome::Served,
            };
        }
        if !request.credentials.presented() && device.handoff.admits(at, request.address) {
            return if self.names_another_family(device, agent) {
                FetchOutcome::ModelMismatch
            } else {
                FetchOutcome::HandedOff
            };
        }
        FetchOutcome::Unauthorized
    }

    /// Whether the User-Agent names a catalogue model of another family than the device's
    /// (`Catalogue::same_family`). No User-Agent, one the catalogue does not read, or a
    /// model it does not know is no mismatch: the header only ever identifies. Asked only
    /// once the request has proved itself, so a 403 tells nothing about which MACs exist.
    fn names_another_family(&self, device: &Device, agent: Option<&UserAgent<'_>>) -> bool {
        let claimed = agent.and_then(|a| a.model);
        let registered = self.catalogue.model(&device.model);
        match (registered, claimed) {
            (Some(registered), Some(claimed)) => !self.catalogue.same_family(registered, claimed),
            _ => false,
        }
    }

    /// A successful fetch disarms the hand-off. After a hand-off the disarming is durable
    /// before the file goes out: a crash must not leave the device open to a second
    /// unauthenticated fetch. A device that proved itself with its credentials is disarmed
    /// lazily (sled's flusher, within 500 ms): it needs the window no more, and a crash only
    /// leaves it armed as it was — so a boot storm of provisioned phones costs no fsync each.
    fn after_success(
        &self,
        device: &Device,
        outcome: FetchOutcome,
        at: Timestamp,
    ) -> Result<(), Error> {
        if device.handoff.armed_until.is_none() {
            return Ok(());
        }
        let disarm = |w: &mut crate::store::Write<'_>| {
            let Some(mut current) = w.device(device.mac)? else {
                return Ok(());
            };
            current.handoff.armed_until = None;
            if outcome == FetchOutcome::HandedOff {
                current.handoff.handed_off_at = Some(at);
            }
            w.put_device(&current)?;
            Ok::<_, Error>(())
        };
        if outcome == FetchOutcome::HandedOff {
            self.store.write(disarm)
        } else {
            self.store.write_unflushed(disarm)
        }
    }

    /// An unauthenticated attempt after the hand-off: a clone, an attacker, or a
    /// factory-reset phone that needs re-arming. The device page shows the count.
    fn flag_refused(&self, mac: Mac, at: Timestamp) -> Result<(), Error> {
        self.store.write_unflushed(|w| {
            let Some(mut device) = w.device(mac)? else {
                return Ok(());
            };
            device.handoff.refused_attempts = device.handoff.refused_attempts.saturating_add(1);
            device.handoff.last_refused_at = Some(at);
            w.put_device(&device)?;
            Ok::<_, Error>(())
        })
    }

    /// A proven request from a phone of another model family: the device page and API show
    /// when, which User-Agent and model, and how many.
    fn flag_model_mismatch(
        &self,
        mac: Mac,
        at: Timestamp,
        user_agent: String,
        model: &str,
    ) -> Result<(), Error> {
        self.store.write_unflushed(|w| {
            let Some(mut device) = w.device(mac)? else {
                return Ok(());
            };
            let count = device.model_mismatch.as_ref().map_or(0, |m| m.count);
            device.model_mismatch = Some(ModelMismatch {
                last_at: at,
                user_agent: user_agent.clone(),
                model: model.to_owned(),
                count: count.saturating_add(1),
            });
            w.put_device(&device)?;
            Ok::<_, Error>(())
        })
    }

    fn remember_unclaimed(
        &self,
        mac: Mac,
        request: &PhoneRequest,
        agent: Option<&UserAgent<'_>>,
    ) -> Result<(), Error> {
        let limit = self.settings.unclaimed_limit;
        self.store.write_unflushed(|w| {
            let at = now();
            let previous = w.unclaimed(mac)?;
            let device = Unclaimed {
                mac,
                first_seen: previous.as_ref().map_or(at, |p| p.first_seen),
                last_seen: at,
                address: request.address,
                user_agent: request.user_agent.clone(),
                model: agent.and_then(|a| a.model).map(|m| m.name.clone()),
                firmware: agent.and_then(|a| a.firmware.clone()),
                requests: previous.map_or(0, |p| p.requests).saturating_add(1),
            };
            let rank = if self.catalogue.looks_like_a_phone(
                mac,
                device.user_agent.as_deref(),
                device.requests,
            ) {
                UnclaimedRank::Phone
            } else {
                UnclaimedRank::Guess
            };
            w.put_unclaimed(&device, rank, limit)?;
            Ok::<_, Error>(())
        })
    }
}

/// The credentials a device must present: its own, or its account's shared one.
pub(super) fn expected_credentials<'a>(
    device: &'a Device,
    account: &'a Account,
) -> &'a ProvisioningCredentials {
    match &account.device_auth {
        DeviceAuth::PerDevice => &device.provisioning,
        DeviceAuth::Account(shared) => shared,
    }
}

impl PhoneRequest {
    /// This request as the device's audit records it, with what its User-Agent told.
    pub(super) fn fetch(
        &self,
        at: Timestamp,
        agent: Option<&UserAgent<'_>>,
        outcome: FetchOutcome,
    ) -> Fetch {
        Fetch {
            at,
            address: self.address,
            file: self.file.clone(),
            user_agent: self.user_agent.clone(),
            model: agent.map(|a| {
                a.model
                    .map_or_else(|| a.model_token.clone(), |m| m.name.clone())
            }),
            firmware: agent.and_then(|a| a.firmware.clone()),
            outcome,
        }
    }
}

/// A file answer with its entity tag: a digest of the bytes (renders are deterministic, so
/// the tag changes exactly when the file does).
fn answer(body: String) -> PhoneAnswer {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", crate::secret::hex(&digest[..16]));
    PhoneAnswer::File { body, etag }
}

//! The trees and how their keys are built.
//!
//! Integers are big-endian so that keys sort in numeric order; composite keys put the owner
//! first (`account ‖ extension`) so that everything an account owns is one prefix scan.

use crate::domain::{AccountId, Mac, PinScope, UserId};

/// Every tree of the database. Records, then the indexes that keep fields unique or let a
/// record be found from its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeId {
    Meta,
    /// id → `Account`
    Accounts,
    /// SIP domain → account id (unique)
    AccountDomain,
    /// id → `User`
    Users,
    /// account ‖ extension → user id (unique in the account)
    UserExtension,
    /// lower-cased username → user id (unique across accounts)
    UserUsername,
    /// lower-cased email → user id (unique across accounts)
    UserEmail,
    /// account ‖ user id → ()
    UserAccount,
    /// MAC → `Device` with its lines
    Devices,
    /// account ‖ MAC → ()
    DeviceAccount,
    /// account ‖ SIP user name → MAC ‖ line number (unique in the account's realm)
    LineSipUser,
    /// user ‖ MAC ‖ line number → ()
    LineUser,
    /// E.164 number → `PoolNumber` (the number is unique across accounts)
    Numbers,
    /// account ‖ E.164 number → ()
    NumberAccount,
    /// id → `AdminToken`
    Tokens,
    /// token digest → token id
    TokenDigest,
    /// link digest → `PasswordLink`
    PasswordLinks,
    /// MAC → `Unclaimed`
    Unclaimed,
    /// last seen (seconds) ‖ MAC → (), oldest first, to bound the unclaimed list: the
    /// entries that do not look like phones, evicted first
    UnclaimedSeen,
    /// last seen (seconds) ‖ MAC → (), oldest first: the unclaimed entries that look like
    /// real phones, evicted only when phones hold more than their share of the list
    UnclaimedPhones,
    /// MAC ‖ sequence → `Fetch`, oldest first
    Audit,
    /// MAC → `Fetch`
    LastFetch,
    /// SHA-256 → `FirmwareImage` (the bytes are files in the data directory)
    Firmware,
    /// scope (`0`, or `1` ‖ account) ‖ vendor ‖ 0 ‖ model → `FirmwarePin`
    FirmwarePins,
}

impl TreeId {
    pub(crate) const ALL: [TreeId; 24] = [
        TreeId::Meta,
        TreeId::Accounts,
        TreeId::AccountDomain,
        TreeId::Users,
        TreeId::UserExtension,
        TreeId::UserUsername,
        TreeId::UserEmail,
        TreeId::UserAccount,
        TreeId::Devices,
        TreeId::DeviceAccount,
        TreeId::LineSipUser,
        TreeId::LineUser,
        TreeId::Numbers,
        TreeId::NumberAccount,
        TreeId::Tokens,
        TreeId::TokenDigest,
        TreeId::PasswordLinks,
        TreeId::Unclaimed,
        TreeId::UnclaimedSeen,
        TreeId::UnclaimedPhones,
        TreeId::Audit,
        TreeId::LastFetch,
        TreeId::Firmware,
        TreeId::FirmwarePins,
    ];

    /// The sled tree name, as written on disk.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TreeId::Meta => "meta",
            TreeId::Accounts => "accounts",
            TreeId::AccountDomain => "account.domain",
            TreeId::Users => "users",
            TreeId::UserExtension => "user.extension",
            TreeId::UserUsername => "user.username",
            TreeId::UserEmail => "user.email",
            TreeId::UserAccount => "user.account",
            TreeId::Devices => "devices",
            TreeId::DeviceAccount => "device.account",
            TreeId::LineSipUser => "line.sip_user",
            TreeId::LineUser => "line.user",
            TreeId::Numbers => "numbers",
            TreeId::NumberAccount => "number.account",
            TreeId::Tokens => "tokens",
            TreeId::TokenDigest => "token.digest",
            TreeId::PasswordLinks => "password_links",
            TreeId::Unclaimed => "unclaimed",
            TreeId::UnclaimedSeen => "unclaimed.seen",
            TreeId::UnclaimedPhones => "unclaimed.phones",
            TreeId::Audit => "audit",
            TreeId::LastFetch => "last_fetch",
            TreeId::Firmware => "firmware",
            TreeId::FirmwarePins => "firmware.pins",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Trees whose records hold secrets, and are sealed under the data key: accounts (the
    /// account-wide provisioning password), users (portal password hash, voicemail PIN),
    /// devices (provisioning and SIP passwords, HA1).
    pub(crate) fn is_sealed(self) -> bool {
        matches!(self, TreeId::Accounts | TreeId::Users | TreeId::Devices)
    }

    /// The associated data a record of this tree is sealed with: tree name ‖ 0 ‖ key.
    pub(crate) fn seal_context(self, key: &[u8]) -> Vec<u8> {
        let mut context = self.name().as_bytes().to_vec();
        context.push(0);
        context.extend_from_slice(key);
        context
    }
}

pub(crate) fn id(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

pub(crate) fn read_id(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

pub(crate) fn mac(mac: Mac) -> Vec<u8> {
    mac.octets().to_vec()
}

pub(crate) fn read_mac(bytes: &[u8]) -> Option<Mac> {
    Mac::from_octets(bytes.get(..6)?.try_into().ok()?).ok()
}

/// `owner ‖ rest`, for keys scanned by owner.
pub(crate) fn owned(owner: u64, rest: &[u8]) -> Vec<u8> {
    let mut key = owner.to_be_bytes().to_vec();
    key.extend_from_slice(rest);
    key
}

pub(crate) fn account_prefix(account: AccountId) -> Vec<u8> {
    id(account.0)
}

pub(crate) fn user_prefix(user: UserId) -> Vec<u8> {
    id(user.0)
}

/// MAC ‖ line number: where a line lives.
pub(crate) fn line_place(device: Mac, line: u16) -> Vec<u8> {
    let mut key = mac(device);
    key.extend_from_slice(&line.to_be_bytes());
    key
}

pub(crate) fn read_line_place(bytes: &[u8]) -> Option<(Mac, u16)> {
    let mac = read_mac(bytes)?;
    let line = u16::from_be_bytes(bytes.get(6..8)?.try_into().ok()?);
    Some((mac, line))
}

/// Where a firmware pin's keys start: `0` for the global pins, `1` ‖ account for an account's.
pub(crate) fn pin_scope(scope: PinScope) -> Vec<u8> {
    match scope {
        PinScope::Global => vec![0],
        PinScope::Account(account) => {
            let mut key = vec![1];
            key.extend_from_slice(&account.0.to_be_bytes());
            key
        }
    }
}

/// scope ‖ vendor ‖ 0 ‖ model: one pin per model and scope.
pub(crate) fn pin(scope: PinScope, vendor: &str, model: &str) -> Vec<u8> {
    let mut key = pin_scope(scope);
    key.extend_from_slice(vendor.as_bytes());
    key.push(0);
    key.extend_from_slice(model.as_bytes());
    key
}

//! What a token may see, beyond what its scope opens: the accounts it is limited to, and
//! whether it reads secrets.
//!
//! A token limited to some accounts sees their objects only: an object of another account
//! is `404`, exactly as one that does not exist, and lists leave the others out. The
//! provider's own calls (accounts made or listed across the board, tokens, the unclaimed
//! list, the data key, directory counters) are `403` for it. Without the secrets right,
//! every `password` of an answer is `null`.

use super::error::ApiError;
use super::route::ApiRoute;
use crate::domain::{AccountId, AccountScope, PinScope};
use crate::service::{Service, TokenView};

/// Who is calling, as far as the handlers need to know.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// The token's name, for refusals.
    pub name: String,
    /// The accounts the token may see.
    pub accounts: AccountScope,
    /// Whether the token reads secrets.
    pub secrets: bool,
}

impl From<&TokenView> for Principal {
    fn from(token: &TokenView) -> Principal {
        Principal {
            name: token.name.clone(),
            accounts: token.account_scope(),
            secrets: token.secrets,
        }
    }
}

impl Principal {
    /// Refuses a route the principal may not reach: `403` for the provider's own calls,
    /// `404` for an object of an account it does not see.
    pub(crate) fn check(&self, service: &Service, route: &ApiRoute) -> Result<(), ApiError> {
        if self.accounts.is_all() {
            return Ok(());
        }
        let (account, what) = match route {
            ApiRoute::CreateAccount
            | ApiRoute::ListUnclaimed
            | ApiRoute::ClaimDevice(_)
            | ApiRoute::CreateToken
            | ApiRoute::ListTokens
            | ApiRoute::DeleteToken(_)
            | ApiRoute::RotateDataKey
            | ApiRoute::UploadFirmware
            | ApiRoute::DeleteFirmware(_)
            | ApiRoute::PinFirmware(PinScope::Global, _)
            | ApiRoute::UnpinFirmware(PinScope::Global, _)
            | ApiRoute::DirectoryLookups => {
                return Err(ApiError::Forbidden(format!(
                    "the token {:?} is limited to some accounts: this call is the provider's",
                    self.name
                )));
            }
            ApiRoute::GetAccount(a)
            | ApiRoute::UpdateAccount(a)
            | ApiRoute::DeleteAccount(a)
            | ApiRoute::ListNumbers(a)
            | ApiRoute::AddNumbers(a)
            | ApiRoute::RemoveNumber(a, _)
            | ApiRoute::CreateUser(a)
            | ApiRoute::BulkUsers(a)
            | ApiRoute::ListUsers(a)
            | ApiRoute::CreateDevice(a)
            | ApiRoute::ListDevices(a)
            | ApiRoute::ListProfiles(a)
            | ApiRoute::CreateProfile(a)
            | ApiRoute::GetProfile(a, _)
            | ApiRoute::UpdateProfile(a, _)
            | ApiRoute::DeleteProfile(a, _)
            | ApiRoute::PinFirmware(PinScope::Account(a), _)
            | ApiRoute::UnpinFirmware(PinScope::Account(a), _) => (Some(*a), "account"),
            ApiRoute::GetUser(u)
            | ApiRoute::UpdateUser(u)
            | ApiRoute::DeleteUser(u)
            | ApiRoute::EnableUser(u)
            | ApiRoute::GetLineKeys(u)
            | ApiRoute::SetLineKeys(u) => (service.user_account(*u)?, "user"),
            ApiRoute::GetDevice(m)
            | ApiRoute::UpdateDevice(m)
            | ApiRoute::DeviceSettings(m)
            | ApiRoute::DevicePreview(m)
            | ApiRoute::DeleteDevice(m)
            | ApiRoute::ArmDevice(m)
            | ApiRoute::ReplaceDevice(m)
            | ApiRoute::DeviceAudit(m)
            | ApiRoute::AssignLine(m, _)
            | ApiRoute::AssignLowestLine(m)
            | ApiRoute::RenameLine(m, _)
            | ApiRoute::DeleteLine(m, _)
            | ApiRoute::RotateLine(m, _)
            | ApiRoute::RotateWebPasswords(m) => (service.device_account(*m)?, "device"),
            // Lists and the directory filter by themselves; the rest is not an account's.
            ApiRoute::OpenApi
            | ApiRoute::Models
            | ApiRoute::ListAccounts
            | ApiRoute::ListFirmware
            | ApiRoute::ListFirmwarePins
            | ApiRoute::Ha1
            | ApiRoute::Subscribers
            | ApiRoute::FreeSwitchDirectory
            | ApiRoute::AsteriskAuths(..) => return Ok(()),
        };
        match account {
            Some(account) if self.accounts.includes(account) => Ok(()),
            // Another account's object, or none: the same answer.
            _ => Err(ApiError::NotFound(what.into())),
        }
    }

    /// Whether the principal sees `account`.
    pub(crate) fn sees(&self, account: AccountId) -> bool {
        self.accounts.includes(account)
    }
}

//! What the signed-in person may see and do, worked out on every request from their
//! session's principal and the store's current record of them.
//!
//! - An admin API token, or a user whose role is `admin` at the `super` level: the provider's
//!   staff. Every account; creates and edits accounts; claims unclaimed devices; creates
//!   and revokes API tokens.
//! - A user whose role is `admin` at another level: their own account's users, devices and
//!   lines, nothing else. They may grant roles up to their own level, and may not edit or
//!   delete a user above it.
//! - A `limited` user: their own lines and devices, on one page; every admin page is refused.

use serde::Serialize;

use crate::domain::{AccountId, AdminLevel, Role, UserId};
use crate::service::UserView;

/// The access of a signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An API token or a super admin: every account.
    Provider {
        /// Who, for the page header: the token's name or the admin's.
        name: String,
        /// The super admin's own account; `None` for a token.
        home: Option<AccountId>,
        /// Whether pages show secrets: a super admin's always do, a token's when it has
        /// the right.
        secrets: bool,
    },
    /// An admin below super: their own account only.
    AccountAdmin {
        name: String,
        account: AccountId,
        level: AdminLevel,
    },
    /// A `limited` user: their own lines and devices.
    SelfService {
        name: String,
        user: UserId,
        account: AccountId,
    },
}

impl Access {
    /// The access a portal user's current record gives, if any: an unassigned placeholder
    /// or a user without portal access gets none.
    pub fn of_user(user: &UserView) -> Option<Access> {
        let active = user.status == crate::domain::UserStatus::Active;
        if !active || !user.portal_access || !user.password_set {
            return None;
        }
        let name = user.display_name.clone();
        Some(match user.admin_level {
            Some(AdminLevel::Super) => Access::Provider {
                name,
                home: Some(user.account),
                secrets: true,
            },
            Some(level) => Access::AccountAdmin {
                name,
                account: user.account,
                level,
            },
            None => Access::SelfService {
                name,
                user: user.id,
                account: user.account,
            },
        })
    }

    pub fn is_admin(&self) -> bool {
        !matches!(self, Access::SelfService { .. })
    }

    /// Whether this is the provider's staff (accounts, unclaimed devices).
    pub fn is_provider(&self) -> bool {
        matches!(self, Access::Provider { .. })
    }

    /// Whether the admin pages of `account` are open to this person.
    pub fn sees_account(&self, account: AccountId) -> bool {
        match self {
            Access::Provider { .. } => true,
            Access::AccountAdmin { account: own, .. } => *own == account,
            Access::SelfService { .. } => false,
        }
    }

    /// The highest admin level this person may grant or manage; `None` for none at all.
    pub fn ceiling(&self) -> Option<AdminLevel> {
        match self {
            Access::Provider { .. } => Some(AdminLevel::Super),
            Access::AccountAdmin { level, .. } => Some(*level),
            Access::SelfService { .. } => None,
        }
    }

    /// Whether this person may give a user `role`.
    pub fn may_grant(&self, role: Role) -> bool {
        match (role, self.ceiling()) {
            (_, None) => false,
            (Role::Limited, Some(_)) => true,
            (Role::Admin(level), Some(ceiling)) => level <= ceiling,
        }
    }

    /// Whether this person may edit or delete `user`: an admin of the user's account whose
    /// level is at least the user's.
    pub fn may_manage(&self, user: &UserView) -> bool {
        self.sees_account(user.account)
            && match (user.admin_level, self.ceiling()) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(level), Some(ceiling)) => level <= ceiling,
            }
    }

    /// Where this person starts.
    pub fn home(&self) -> String {
        match self {
            Access::Provider { .. } => "/accounts".to_owned(),
            Access::AccountAdmin { account, .. } => format!("/accounts/{account}/users"),
            Access::SelfService { .. } => "/me".to_owned(),
        }
    }

    /// Whether the pages show secrets (SIP and provisioning passwords): admins manage phones
    /// and users their own lines, so they see them; a token session only with the right.
    pub fn reads_secrets(&self) -> bool {
        match self {
            Access::Provider { secrets, .. } => *secrets,
            Access::AccountAdmin { .. } | Access::SelfService { .. } => true,
        }
    }

    /// Who is signed in and what the navigation offers, for the page header.
    pub fn who(&self) -> Who {
        let (name, role) = match self {
            Access::Provider {
                name, home: None, ..
            } => (name, "API token".to_owned()),
            Access::Provider { name, .. } => (name, "Super admin".to_owned()),
            Access::AccountAdmin { name, level, .. } => {
                (name, format!("{} admin", capitalised(level.name())))
            }
            Access::SelfService { name, .. } => (name, "User".to_owned()),
        };
        Who {
            name: name.clone(),
            role,
            admin: self.is_admin(),
            provider: self.is_provider(),
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The page header's view of the signed-in person.
#[derive(Debug, Clone, Serialize)]
pub struct Who {
    pub name: String,
    /// `Super admin`, `Standard admin`, `API token`, `User`.
    pub role: String,
    pub admin: bool,
    pub provider: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(level: AdminLevel, account: u64) -> Access {
        Access::AccountAdmin {
            name: "Ann".into(),
            account: AccountId(account),
            level,
        }
    }

    #[test]
    fn admins_below_super_see_their_own_account_only() {
        let provider = Access::Provider {
            name: "ops".into(),
            home: None,
            secrets: true,
        };
        assert!(provider.sees_account(AccountId(1)) && provider.sees_account(AccountId(2)));
        let standard = admin(AdminLevel::Standard, 1);
        assert!(standard.sees_account(AccountId(1)));
        assert!(!standard.sees_account(AccountId(2)));
        let limited = Access::SelfService {
            name: "Bo".into(),
            user: UserId(9),
            account: AccountId(1),
        };
        assert!(!limited.sees_account(AccountId(1)));
        assert!(!limited.is_admin());
        assert_eq!(limited.home(), "/me");
        assert_eq!(standard.home(), "/accounts/1/users");
    }

    #[test]
    fn admins_grant_roles_up_to_their_own_level() {
        let standard = admin(AdminLevel::Standard, 1);
        assert!(standard.may_grant(Role::Limited));
        assert!(standard.may_grant(Role::Admin(AdminLevel::Basic)));
        assert!(standard.may_grant(Role::Admin(AdminLevel::Standard)));
        assert!(!standard.may_grant(Role::Admin(AdminLevel::Advanced)));
        assert!(!standard.may_grant(Role::Admin(AdminLevel::Super)));
        let provider = Access::Provider {
            name: "ops".into(),
            home: None,
            secrets: true,
        };
        assert!(provider.may_grant(Role::Admin(AdminLevel::Super)));
        let limited = Access::SelfService {
            name: "Bo".into(),
            user: UserId(9),
            account: AccountId(1),
        };
        assert!(!limited.may_grant(Role::Limited));
    }

    #[test]
    fn the_header_names_the_role() {
        let who = admin(AdminLevel::Advanced, 4).who();
        assert_eq!(who.role, "Advanced admin");
        assert!(who.admin && !who.provider);
        let token = Access::Provider {
            name: "ops".into(),
            home: None,
            secrets: true,
        };
        assert_eq!(token.who().role, "API token");
    }
}

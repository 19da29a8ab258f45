//! The registrar directory (DESIGN.md §7): what a registrar needs to check a REGISTER — the
//! HA1 of an assigned line, by SIP user name and realm — read from the store's indexes at
//! the moment of the lookup. Nothing is copied anywhere, so every assignment, rotation,
//! unassignment and deletion takes effect at the next REGISTER, and no plaintext password
//! ever leaves: the registrar gets the hashes and nothing else.
//!
//! [`Subscriber`] is the one row shape every registrar format is made of (Kamailio's
//! `subscriber` table: `username`, `domain`, `ha1`, `ha1b`, an empty `password`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use utoipa::ToSchema;

use super::{Error, Service};
use crate::domain::{Account, AccountId, AccountScope};
use crate::store::Reads;

/// One assigned line as a registrar sees it: never a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Subscriber {
    /// The SIP user name (the Digest user name).
    pub username: String,
    /// The account's SIP domain: the realm of the hashes.
    pub domain: String,
    /// MD5(username:domain:password).
    pub ha1: String,
    /// MD5(username@domain:domain:password).
    pub ha1b: String,
}

/// The rows of an export, with every domain it covers — also those without an assigned
/// line, so that a registrar replacing the rows of these domains forgets removed lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubscriberList {
    pub domains: Vec<String>,
    pub subscribers: Vec<Subscriber>,
}

/// How many lookups found a line, and how many did not.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// `GET /api/v1/registrar/lookups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct LookupCounts {
    pub hits: u64,
    pub misses: u64,
}

impl Service {
    /// The line `username` of the account whose SIP domain is `realm`, if `scope` sees that
    /// account, counted as a hit or a miss. `None` alike for an unknown realm or user, an
    /// unassigned or deleted line, and an account out of scope.
    pub fn subscriber(
        &self,
        username: &str,
        realm: &str,
        scope: &AccountScope,
    ) -> Result<Option<Subscriber>, Error> {
        let found = self.find_subscriber(username, realm, scope)?;
        let counter = match found {
            Some(_) => &self.lookups.hits,
            None => &self.lookups.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(found)
    }

    fn find_subscriber(
        &self,
        username: &str,
        realm: &str,
        scope: &AccountScope,
    ) -> Result<Option<Subscriber>, Error> {
        // Realms are DNS names: any case, and a trailing dot, name the same domain.
        let realm = realm.trim_end_matches('.').to_ascii_lowercase();
        let Some(account) = self
            .store
            .account_by_domain(&realm)?
            .filter(|account| scope.includes(*account))
        else {
            return Ok(None);
        };
        let Some((mac, number)) = self.store.line_by_sip_user(account, username)? else {
            return Ok(None);
        };
        let line = self
            .store
            .device(mac)?
            .and_then(|mut device| device.lines.remove(&number))
            .filter(|line| line.sip.username.as_str() == username);
        Ok(line.map(|line| Subscriber {
            username: line.sip.username.to_string(),
            domain: realm,
            ha1: line.sip.ha1,
            ha1b: line.sip.ha1b,
        }))
    }

    /// Every assigned line of one account, or of every account `scope` sees, ordered by
    /// domain and user. An account out of scope is not found.
    pub fn subscribers(
        &self,
        account: Option<AccountId>,
        scope: &AccountScope,
    ) -> Result<SubscriberList, Error> {
        let accounts: Vec<Account> = match account {
            Some(id) => vec![
                self.store
                    .account(id)?
                    .filter(|_| scope.includes(id))
                    .ok_or(Error::NotFound("account"))?,
            ],
            None => self
                .store
                .accounts(None, usize::MAX)?
                .into_iter()
                .filter(|account| scope.includes(account.id))
                .collect(),
        };
        let mut list = SubscriberList {
            domains: Vec::with_capacity(accounts.len()),
            subscribers: Vec::new(),
        };
        for account in accounts {
            for device in self.store.devices_of(account.id)? {
                list.subscribers
                    .extend(device.lines.into_values().map(|line| Subscriber {
                        username: line.sip.username.to_string(),
                        domain: account.domain.clone(),
                        ha1: line.sip.ha1,
                        ha1b: line.sip.ha1b,
                    }));
            }
            list.domains.push(account.domain);
        }
        list.domains.sort();
        list.subscribers
            .sort_by(|a, b| (&a.domain, &a.username).cmp(&(&b.domain, &b.username)));
        Ok(list)
    }

    /// Lookups answered since the server started.
    pub fn directory_lookups(&self) -> LookupCounts {
        LookupCounts {
            hits: self.lookups.hits.load(Ordering::Relaxed),
            misses: self.lookups.misses.load(Ordering::Relaxed),
        }
    }
}

//! The phone listener's failure budgets: per address, per network and global.
//!
//! A *failure* is a device-file request that turns out not to be a genuine phone's: an
//! unknown MAC, wrong or no credentials, a replayed Digest answer, a User-Agent naming
//! another MAC. Each spends one failure from three buckets at once — its address's (IPv6 by
//! /64), its network's (IPv4 /24, IPv6 /56) and the global one — and only when all three
//! have one left; otherwise it spends nothing and the request gets `429` without reaching
//! the store. So a scanner with many addresses is held to its network's budget, and one
//! with many networks to the global budget. Requests with valid credentials never ask (see
//! [`crate::service::FailureAllowance`]).
//!
//! When a network's or the global budget first refuses, one warning is logged — naming the
//! network or "global", never a request's MAC, User-Agent or credentials — and not again
//! for that budget within its window. Trips are counted per kind ([`PhoneThrottle::trips`]).
//! Memory is bounded like every [`Buckets`] table.

use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use tracing::warn;

use super::throttle::{Buckets, address_key};
use crate::service::FailureAllowance;

/// Prefix length of an IPv4 network: a /24, what one site or small provider block holds.
const IPV4_NETWORK: u8 = 24;
/// Prefix length of an IPv6 network: a /56, what a provider usually delegates to one site.
const IPV6_NETWORK: u8 = 56;

/// One budget: `burst` failures at once, fully regained over `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub burst: u32,
    pub window: Duration,
}

/// The three budgets of the phone listener (`[phone_throttle]` in the config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Per client address (IPv6 by /64). Default 20 per 10 minutes.
    pub address: Budget,
    /// Per network (IPv4 /24, IPv6 /56). Default 60 per 10 minutes.
    pub network: Budget,
    /// For all clients together. Default 600 per 10 minutes.
    pub global: Budget,
}

impl Default for Budgets {
    fn default() -> Budgets {
        let ten_minutes = Duration::from_secs(600);
        Budgets {
            address: Budget {
                burst: 20,
                window: ten_minutes,
            },
            network: Budget {
                burst: 60,
                window: ten_minutes,
            },
            global: Budget {
                burst: 600,
                window: ten_minutes,
            },
        }
    }
}

/// Which budget refused a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Address,
    Network,
    Global,
}

/// How often each kind of budget tripped since start: a trip is a budget's first refusal
/// within its window (per address, per network, or the global one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trips {
    pub address: u64,
    pub network: u64,
    pub global: u64,
}

/// The failure budgets of the phone listener, shared by its requests.
#[derive(Debug)]
pub struct PhoneThrottle {
    budgets: Budgets,
    tables: Mutex<Tables>,
    /// Failures spent since start (each reached the credential check and the store).
    failures: AtomicU64,
    trips: [AtomicU64; 3],
}

/// The buckets, under one lock so that a failure is checked and spent in all at once.
#[derive(Debug)]
struct Tables {
    address: Buckets<IpAddr>,
    network: Buckets<IpNet>,
    global: Buckets<()>,
}

/// The network a client address belongs to: IPv4 (and IPv4-mapped IPv6) by /24, IPv6 by /56.
pub fn network_key(address: IpAddr) -> IpNet {
    let (address, prefix) = match address_key(address) {
        v4 @ IpAddr::V4(_) => (v4, IPV4_NETWORK),
        v6 @ IpAddr::V6(_) => (v6, IPV6_NETWORK),
    };
    IpNet::new(address, prefix)
        .map(|network| network.trunc())
        .unwrap_or_else(|_| unreachable!("prefix lengths within the address sizes"))
}

impl PhoneThrottle {
    pub fn new(budgets: Budgets) -> PhoneThrottle {
        PhoneThrottle {
            budgets,
            tables: Mutex::new(Tables {
                address: Buckets::new(budgets.address.burst, budgets.address.window),
                network: Buckets::new(budgets.network.burst, budgets.network.window),
                global: Buckets::new(budgets.global.burst, budgets.global.window),
            }),
            failures: AtomicU64::new(0),
            trips: Default::default(),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first budget with no failure left for `address`, checked from the narrowest.
    fn spent_tier(tables: &Tables, address: IpAddr, now: Instant) -> Option<Tier> {
        if !tables.address.allows(&address_key(address), now) {
            Some(Tier::Address)
        } else if !tables.network.allows(&network_key(address), now) {
            Some(Tier::Network)
        } else if !tables.global.allows(&(), now) {
            Some(Tier::Global)
        } else {
            None
        }
    }

    /// Whether a failure from `address` would be allowed at `now`; spends nothing, but a
    /// refusal counts as a trip like [`PhoneThrottle::spend_at`]'s.
    pub fn allows_at(&self, address: IpAddr, now: Instant) -> bool {
        let mut tables = self.tables();
        match Self::spent_tier(&tables, address, now) {
            None => true,
            Some(tier) => {
                self.refused(&mut tables, tier, address, now);
                false
            }
        }
    }

    /// Spends one failure of `address` from all three budgets, or — when one of them has
    /// none left — spends nothing and names it.
    pub fn spend_at(&self, address: IpAddr, now: Instant) -> Result<(), Tier> {
        let mut tables = self.tables();
        if let Some(tier) = Self::spent_tier(&tables, address, now) {
            self.refused(&mut tables, tier, address, now);
            return Err(tier);
        }
        tables.address.take(address_key(address), now);
        tables.network.take(network_key(address), now);
        tables.global.take((), now);
        self.failures.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Counts a trip, and for a network or the global budget logs it, once per window.
    fn refused(&self, tables: &mut Tables, tier: Tier, address: IpAddr, now: Instant) {
        let network = network_key(address);
        let new_trip = match tier {
            Tier::Address => tables.address.trip(address_key(address), now),
            Tier::Network => tables.network.trip(network, now),
            Tier::Global => tables.global.trip((), now),
        };
        if !new_trip {
            return;
        }
        self.trips[tier as usize].fetch_add(1, Ordering::Relaxed);
        let (scope, budget) = match tier {
            Tier::Address => return,
            Tier::Network => (network.to_string(), self.budgets.network),
            Tier::Global => ("global".to_owned(), self.budgets.global),
        };
        warn!(
            budget = %scope,
            burst = budget.burst,
            window_seconds = budget.window.as_secs(),
            "phone failure budget spent: requests without valid credentials get 429 \
             until it refills (reported once per window)"
        );
    }

    /// How often each kind of budget tripped since start.
    pub fn trips(&self) -> Trips {
        let count = |tier: Tier| self.trips[tier as usize].load(Ordering::Relaxed);
        Trips {
            address: count(Tier::Address),
            network: count(Tier::Network),
            global: count(Tier::Global),
        }
    }

    /// Failures spent since start: requests without valid credentials that were let through
    /// to the credential check and the store's bookkeeping.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The budgets in force.
    pub fn budgets(&self) -> Budgets {
        self.budgets
    }
}

impl FailureAllowance for PhoneThrottle {
    fn allows(&self, address: IpAddr) -> bool {
        self.allows_at(address, Instant::now())
    }

    fn spend(&self, address: IpAddr) -> bool {
        self.spend_at(address, Instant::now()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets(address: u32, network: u32, global: u32) -> Budgets {
        let minute = Duration::from_secs(60);
        let budget = |burst| Budget {
            burst,
            window: minute,
        };
        Budgets {
            address: budget(address),
            network: budget(network),
            global: budget(global),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Tries `attempts` failures from each address in turn, at `now`.
    fn spend_all(throttle: &PhoneThrottle, addresses: &[IpAddr], attempts: u32, now: Instant) {
        for _ in 0..attempts {
            for address in addresses {
                let _ = throttle.spend_at(*address, now);
            }
        }
    }

    #[test]
    fn networks_group_ipv4_by_24_and_ipv6_by_56() {
        let key = |text: &str| network_key(ip(text)).to_string();
        assert_eq!(key("192.0.2.7"), "192.0.2.0/24");
        assert_eq!(key("::ffff:192.0.2.200"), "192.0.2.0/24");
        assert_eq!(key("2001:db8:1:2ff::1"), "2001:db8:1:200::/56");
        assert_eq!(key("2001:db8:1:2ff::1"), key("2001:db8:1:200:1::9"));
        assert_ne!(key("2001:db8:1:2ff::1"), key("2001:db8:1:300::1"));
    }

    #[test]
    fn many_addresses_of_one_network_share_its_budget() {
        let throttle = PhoneThrottle::new(budgets(3, 40, 1000));
        let scanners: Vec<IpAddr> = (2..=50).map(|i| ip(&format!("127.0.0.{i}"))).collect();
        let now = Instant::now();
        spend_all(&throttle, &scanners, 5, now);
        assert_eq!(throttle.failures(), 40, "not 49 × 3");
        assert_eq!(throttle.trips().network, 1, "one trip, one warning");
        assert!(!throttle.allows_at(ip("127.0.0.60"), now));
        assert!(
            throttle.allows_at(ip("127.0.1.2"), now),
            "another network is not held"
        );
    }

    #[test]
    fn many_networks_share_the_global_budget() {
        let throttle = PhoneThrottle::new(budgets(3, 10, 25));
        let scanners: Vec<IpAddr> = (1..=20).map(|i| ip(&format!("198.51.{i}.9"))).collect();
        let now = Instant::now();
        spend_all(&throttle, &scanners, 3, now);
        assert_eq!(throttle.failures(), 25);
        assert_eq!(throttle.trips().global, 1);
        assert_eq!(throttle.trips().network, 0);
        assert_eq!(throttle.spend_at(ip("203.0.113.1"), now), Err(Tier::Global));
    }

    #[test]
    fn the_narrowest_spent_budget_refuses_and_spends_nothing_elsewhere() {
        let throttle = PhoneThrottle::new(budgets(2, 10, 10));
        let now = Instant::now();
        let scanner = ip("192.0.2.7");
        assert_eq!(throttle.spend_at(scanner, now), Ok(()));
        assert_eq!(throttle.spend_at(scanner, now), Ok(()));
        for _ in 0..20 {
            assert_eq!(throttle.spend_at(scanner, now), Err(Tier::Address));
        }
        assert_eq!(throttle.failures(), 2, "refusals spend nothing");
        assert_eq!(throttle.trips().address, 1);
        for i in 0..8 {
            assert_eq!(
                throttle.spend_at(ip(&format!("198.51.100.{i}")), now),
                Ok(())
            );
        }
        assert_eq!(throttle.spend_at(ip("203.0.113.1"), now), Err(Tier::Global));
    }

    #[test]
    fn spent_budgets_refill_over_their_window() {
        let throttle = PhoneThrottle::new(budgets(100, 6, 100));
        let start = Instant::now();
        let scanners: Vec<IpAddr> = (2..=7).map(|i| ip(&format!("127.0.0.{i}"))).collect();
        spend_all(&throttle, &scanners, 1, start);
        assert!(!throttle.allows_at(scanners[0], start));
        let later = start + Duration::from_secs(10);
        assert!(
            throttle.allows_at(scanners[0], later),
            "one regained in 10 s"
        );
        assert_eq!(throttle.spend_at(scanners[0], later), Ok(()));
        assert_eq!(throttle.spend_at(scanners[1], later), Err(Tier::Network));
        assert_eq!(
            throttle.trips().network,
            1,
            "the second refusal is within the window of the first"
        );
        let next_window = start + Duration::from_secs(60);
        spend_all(&throttle, &scanners, 2, next_window);
        assert_eq!(throttle.trips().network, 2, "a window later it trips again");
    }
}

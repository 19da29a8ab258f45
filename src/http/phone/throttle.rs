//! Throttling of failures: a table of failure buckets by key — client addresses and networks
//! on the phone listener ([`super::PhoneThrottle`]), logins on the web UI's sign-in.
//!
//! Each key has a bucket of `burst` failures that refills over `window`. A failure takes one
//! from its key's bucket; a key with an empty bucket is *throttled*. IPv6 addresses are
//! grouped by /64 ([`address_key`]), the block one host usually holds. The table is bounded:
//! when full, entries whose bucket has refilled are forgotten first, and a key that finds
//! no room is not tracked (the phone listener's global budget still bounds it).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked at once by one table.
pub(super) const MAX_TRACKED: usize = 100_000;

/// A table of failure buckets behind a lock: what the sign-in page uses.
#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    buckets: Mutex<Buckets<K>>,
}

/// The throttling key of a client address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by /64.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

impl<K: Eq + Hash> Throttle<K> {
    /// `burst` failures allowed at once, fully regained over `window`.
    pub fn new(burst: u32, window: Duration) -> Throttle<K> {
        Throttle {
            buckets: Mutex::new(Buckets::new(burst, window)),
        }
    }

    /// Whether the key has used up its failures.
    pub fn is_throttled(&self, key: &K, now: Instant) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        !buckets.allows(key, now)
    }

    /// Counts a failure against the key.
    pub fn record_failure(&self, key: K, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.take(key, now);
    }
}

/// The buckets of one kind of key, without a lock of their own (the phone listener keeps
/// its three tables under one lock, so that a failure is checked and spent in all at once).
#[derive(Debug)]
pub(super) struct Buckets<K> {
    burst: f64,
    /// Failures regained per second.
    refill: f64,
    window: Duration,
    entries: HashMap<K, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures left at `updated`.
    tokens: f64,
    updated: Instant,
    /// When the key was last refused (a *trip*): trips are reported once per window.
    tripped: Option<Instant>,
}

impl Bucket {
    /// The failures left at `now`, with what was regained since `updated`.
    fn tokens_at(&self, now: Instant, burst: f64, refill: f64) -> f64 {
        let gained = now.saturating_duration_since(self.updated).as_secs_f64() * refill;
        (self.tokens + gained).min(burst)
    }
}

impl<K: Eq + Hash> Buckets<K> {
    pub(super) fn new(burst: u32, window: Duration) -> Buckets<K> {
        let burst = f64::from(burst.max(1));
        Buckets {
            burst,
            refill: burst / window.as_secs_f64().max(0.001),
            window,
            entries: HashMap::new(),
        }
    }

    /// Whether the key has a failure left (an untracked key has its whole burst).
    pub(super) fn allows(&self, key: &K, now: Instant) -> bool {
        self.entries
            .get(key)
            .is_none_or(|b| b.tokens_at(now, self.burst, self.refill) >= 1.0)
    }

    /// Takes one failure from the key's bucket (none left: stays at zero).
    pub(super) fn take(&mut self, key: K, now: Instant) {
        let (burst, refill) = (self.burst, self.refill);
        if let Some(bucket) = self.entry(key, now) {
            bucket.tokens = (bucket.tokens_at(now, burst, refill) - 1.0).max(0.0);
            bucket.updated = now;
        }
    }

    /// Notes that the key was refused; true when this is a new trip — the first refusal
    /// since the key's last trip more than a window ago — to be counted and reported.
    pub(super) fn trip(&mut self, key: K, now: Instant) -> bool {
        let window = self.window;
        let Some(bucket) = self.entry(key, now) else {
            return false;
        };
        let new = bucket
            .tripped
            .is_none_or(|at| now.saturating_duration_since(at) >= window);
        if new {
            bucket.tripped = Some(now);
        }
        new
    }

    /// The key's bucket, made full when new; `None` when the table is full of keys that
    /// are still spending (or were refused within the last window).
    fn entry(&mut self, key: K, now: Instant) -> Option<&mut Bucket> {
        if self.entries.len() >= MAX_TRACKED && !self.entries.contains_key(&key) {
            let (burst, refill, window) = (self.burst, self.refill, self.window);
            self.entries.retain(|_, b| {
                let quiet = b
                    .tripped
                    .is_none_or(|at| now.saturating_duration_since(at) >= window);
                b.tokens_at(now, burst, refill) < burst || !quiet
            });
            if self.entries.len() >= MAX_TRACKED {
                return None;
            }
        }
        Some(self.entries.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
            tripped: None,
        }))
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_throttled_after_its_burst_and_recovers() {
        let throttle = Throttle::new(3, Duration::from_secs(30));
        let scanner: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(!throttle.is_throttled(&scanner, start));
            throttle.record_failure(scanner, start);
        }
        assert!(throttle.is_throttled(&scanner, start));
        assert!(!throttle.is_throttled(&neighbour, start));
        assert!(
            !throttle.is_throttled(&scanner, start + Duration::from_secs(10)),
            "one failure regained every 10 s"
        );
    }

    #[test]
    fn ipv6_hosts_are_grouped_by_64() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
    }

    #[test]
    fn any_key_can_be_throttled() {
        let throttle: Throttle<String> = Throttle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        throttle.record_failure("ada".into(), now);
        assert!(throttle.is_throttled(&"ada".to_owned(), now));
        assert!(!throttle.is_throttled(&"grace".to_owned(), now));
    }

    #[test]
    fn a_trip_is_new_once_per_window() {
        let window = Duration::from_secs(60);
        let mut buckets: Buckets<u8> = Buckets::new(1, window);
        let start = Instant::now();
        buckets.take(1, start);
        assert!(buckets.trip(1, start), "the first refusal trips");
        assert!(!buckets.trip(1, start + Duration::from_secs(59)));
        assert!(
            buckets.trip(1, start + window),
            "a window later it trips again"
        );
        assert!(buckets.trip(2, start), "each key trips on its own");
    }

    #[test]
    fn the_table_is_bounded_and_forgets_refilled_quiet_keys_first() {
        let window = Duration::from_secs(60);
        let mut buckets: Buckets<usize> = Buckets::new(2, window);
        let start = Instant::now();
        for key in 0..MAX_TRACKED {
            buckets.take(key, start);
        }
        assert_eq!(buckets.len(), MAX_TRACKED);
        buckets.take(MAX_TRACKED, start);
        assert_eq!(
            buckets.len(),
            MAX_TRACKED,
            "no room: the new key is not tracked"
        );
        assert!(buckets.allows(&MAX_TRACKED, start));

        let later = start + window;
        buckets.trip(0, later);
        buckets.take(MAX_TRACKED, later);
        assert_eq!(
            buckets.len(),
            2,
            "refilled keys are forgotten, a key tripped within the window is kept"
        );
    }
}

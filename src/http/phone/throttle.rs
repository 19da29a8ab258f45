//! Throttling of failures: per client address on the phone listener, per login on the web
//! UI's sign-in.
//!
//! Each key has a bucket of `burst` failures that refills over `window`. A failure takes one
//! from its key's bucket; a key with an empty bucket is *throttled*. On the phone listener
//! the key is the address and a throttled address's requests without valid credentials get
//! 429 — requests with valid credentials are never throttled, so a genuine phone behind the
//! same NAT as a scanner keeps working; IPv6 addresses are grouped by /64 ([`address_key`]),
//! the block one host usually holds. The table is bounded: when full, entries whose bucket
//! has refilled are forgotten first.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    burst: f64,
    /// Failures regained per second.
    refill: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
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
        let burst = f64::from(burst.max(1));
        Throttle {
            burst,
            refill: burst / window.as_secs_f64().max(0.001),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let gained = now.saturating_duration_since(bucket.updated).as_secs_f64() * self.refill;
        Bucket {
            tokens: (bucket.tokens + gained).min(self.burst),
            updated: now,
        }
    }

    /// Whether the key has used up its failures.
    pub fn is_throttled(&self, key: &K, now: Instant) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .get(key)
            .is_some_and(|b| self.refilled(*b, now).tokens < 1.0)
    }

    /// Counts a failure against the key.
    pub fn record_failure(&self, key: K, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, b| self.refilled(*b, now).tokens < self.burst);
        }
        if buckets.len() >= MAX_TRACKED {
            return;
        }
        let fresh = Bucket {
            tokens: self.burst,
            updated: now,
        };
        let bucket = buckets.entry(key).or_insert(fresh);
        let mut current = self.refilled(*bucket, now);
        current.tokens = (current.tokens - 1.0).max(0.0);
        *bucket = current;
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
}

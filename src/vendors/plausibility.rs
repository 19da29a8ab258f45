//! Whether an unknown device looks like a real phone rather than a guess: what keeps a
//! genuine unclaimed phone in the bounded unclaimed list while an enumeration of MACs goes
//! through it.
//!
//! A real phone names its vendor and a model in its User-Agent, carries a MAC from that
//! vendor's OUIs, and asks again — at every boot, at every re-check. A scanner's guesses ask
//! once per MAC, and their User-Agent is often missing, foreign or names no model. Every
//! part can be imitated, so this only decides which entries are forgotten first; it never
//! lets a device in.

use super::Catalogue;
use crate::domain::Mac;

impl Catalogue {
    /// Whether an unknown device that made `requests` requests, the last with
    /// `user_agent`, looks like a real phone: the User-Agent names a vendor and a model of
    /// the catalogue (and the same MAC, when it names one), the MAC is in that vendor's
    /// OUIs, and the device asked more than once.
    pub fn looks_like_a_phone(&self, mac: Mac, user_agent: Option<&str>, requests: u64) -> bool {
        let Some(agent) = user_agent.and_then(|ua| self.identify(ua)) else {
            return false;
        };
        requests > 1
            && agent.model.is_some()
            && agent.mac.is_none_or(|claimed| claimed == mac)
            && self
                .vendor(agent.vendor)
                .is_some_and(|vendor| vendor.owns_oui(mac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looks(mac: &str, user_agent: Option<&str>, requests: u64) -> bool {
        Catalogue::builtin().looks_like_a_phone(mac.parse().unwrap(), user_agent, requests)
    }

    #[test]
    fn a_yealink_that_asked_twice_looks_like_a_phone() {
        let t46s = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:01";
        assert!(looks("001565004601", Some(t46s), 2));
        assert!(looks("001565004601", Some(t46s), 40));
        let w60b = "Yealink W60B 77.81.0.35 80:5e:c0:09:ab:dc";
        assert!(looks("805ec009abdc", Some(w60b), 2));
        let t77u = "Yealink SIP-T77U 185.87.0.10 44:db:d2:bd:b5:69";
        assert!(looks("44dbd2bdb569", Some(t77u), 3));
        let old_firmware = "Yealink SIP-T46S 66.85.0.5";
        assert!(
            looks("001565aabbcc", Some(old_firmware), 2),
            "a User-Agent without a MAC"
        );
    }

    #[test]
    fn one_off_foreign_or_inconsistent_requests_do_not() {
        let t46s = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:46:01";
        assert!(!looks("001565004601", Some(t46s), 1), "asked once");
        assert!(!looks("001565004601", None, 5), "no User-Agent");
        for foreign in [
            "Mozilla/5.0 (X11; Linux x86_64)",
            "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 001565004601",
            "curl/8.5.0",
        ] {
            assert!(!looks("001565004601", Some(foreign), 5), "{foreign}");
        }
        assert!(
            !looks(
                "001565004601",
                Some("Yealink SIP-T99Z 199.90.0.1 00:15:65:00:46:01"),
                5
            ),
            "a model the catalogue does not know"
        );
        assert!(
            !looks("0004f2004601", Some("Yealink SIP-T46S 66.85.0.5"), 5),
            "a Polycom OUI under a Yealink User-Agent"
        );
        assert!(
            !looks("001565004602", Some(t46s), 5),
            "the User-Agent names another MAC"
        );
    }
}

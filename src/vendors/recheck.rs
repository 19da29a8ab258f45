//! `RecheckWindow`: the time of day a device checks for a new configuration, spread over the
//! night by its MAC so that a fleet does not poll in the same minute.
//!
//! Yealink phones do this with the "weekly" auto-provisioning mode on all seven days (reference
//! §1.2 and §5): `static.auto_provision.weekly.begin_time` / `end_time`, between which the phone
//! picks a random minute. The window opens at 01:00 plus an offset of 0–239 minutes taken from
//! the last three octets of the MAC — the device-specific part, so a batch of phones with
//! consecutive MACs lands on consecutive minutes — and lasts 30 minutes: every window lies
//! between 01:00 and 05:29 local time, once a day (every 1440 minutes), deterministically.

use serde::Serialize;

use crate::domain::Mac;

/// Start of the earliest window, in minutes after midnight (01:00).
const FIRST_MINUTE: u32 = 60;
/// How many different start minutes devices are spread over (01:00 to 04:59).
const SPREAD_MINUTES: u32 = 240;
/// Length of each window, in minutes.
const WINDOW_MINUTES: u32 = 30;

/// A daily re-check window, local time of the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecheckWindow {
    /// Opening time, `HH:MM`.
    pub begin_time: String,
    /// Closing time, `HH:MM`, the same day.
    pub end_time: String,
}

impl RecheckWindow {
    /// The window of device `mac`.
    pub fn for_mac(mac: Mac) -> RecheckWindow {
        let [.., a, b, c] = mac.octets();
        let begin = FIRST_MINUTE + u32::from_be_bytes([0, a, b, c]) % SPREAD_MINUTES;
        RecheckWindow {
            begin_time: clock(begin),
            end_time: clock(begin + WINDOW_MINUTES),
        }
    }
}

/// Minutes after midnight as `HH:MM`.
fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(mac: &str) -> RecheckWindow {
        RecheckWindow::for_mac(mac.parse().unwrap())
    }

    #[test]
    fn windows_follow_the_device_part_of_the_mac() {
        assert_eq!(
            window("001565000000"),
            RecheckWindow {
                begin_time: "01:00".into(),
                end_time: "01:30".into()
            }
        );
        assert_eq!(window("001565000001").begin_time, "01:01");
        assert_eq!(window("8000000000ef").begin_time, "04:59");
        assert_eq!(window("0015650000f0").begin_time, "01:00");
        assert_eq!(window("001565aabbcc"), window("001565aabbcc"));
    }

    #[test]
    fn every_window_is_a_night_window() {
        for last in 0..=255u8 {
            let mac = format!("0015650001{last:02x}");
            let w = window(&mac);
            assert!(
                w.begin_time.as_str() >= "01:00" && w.begin_time.as_str() <= "04:59",
                "{w:?}"
            );
            assert!(
                w.end_time.as_str() >= "01:30" && w.end_time.as_str() <= "05:29",
                "{w:?}"
            );
        }
    }
}

//! Durations as people write them in a config file or on a command line.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// A duration written with a unit: `500ms`, `10s`, `30m`, `72h`, `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<HumanDuration, String> {
        let refused = || format!("{text:?} is not a duration like 500ms, 10s, 30m, 72h or 7d");
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let number: u64 = number.parse().map_err(|_| refused())?;
        let unit_millis = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60 * 1000,
            "h" => 3600 * 1000,
            "d" => 24 * 3600 * 1000,
            _ => return Err(refused()),
        };
        let millis = number.checked_mul(unit_millis).ok_or_else(refused)?;
        Ok(HumanDuration(Duration::from_millis(millis)))
    }
}

impl TryFrom<String> for HumanDuration {
    type Error = String;

    fn try_from(text: String) -> Result<HumanDuration, String> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        let parse = |text: &str| {
            text.parse::<HumanDuration>()
                .map(|HumanDuration(duration)| duration)
        };
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("72h"), Ok(Duration::from_secs(72 * 3600)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86400)));
        for text in [
            "",
            "10",
            "s",
            "1.5s",
            "-1s",
            "10 s",
            "99999999999999999999d",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}

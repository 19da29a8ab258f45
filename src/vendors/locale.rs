//! A device's locale in the vendor's own words: language names (catalogue data) and, for
//! Yealink, the `local_time.*` settings of each IANA time zone.
//!
//! The time-zone table is `data/yealink-timezones.tsv`, embedded: the zone's standard offset
//! in Yealink's notation (`+1`, `-5`, `+5:30`), the Yealink zone name when one has exactly the
//! zone's rules, and the recommended `local_time.summer_time`: 0 for zones without DST, 2
//! (automatic, from the name) for zones with a name, 1 (manual) with an explicit rule for the
//! few zones with DST and no Yealink name (Cairo, Nuuk …): by week, or by date for the year of
//! the render where no by-week rule fits (`dst`). See `shared/reference/yealink-tz/README.md`
//! for how the table was made.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::CatalogueError;
use super::dst::{DstRule, ManualDst};
use crate::domain::TimeZone;

/// Where the Yealink time-zone table comes from, for error messages.
pub(super) const TIME_ZONE_FILE: &str = "data/yealink-timezones.tsv";
const TIME_ZONE_TABLE: &str = include_str!("../../data/yealink-timezones.tsv");

/// How a vendor names one language (a `languages.<code>` entry of the catalogue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageNames {
    /// The phone screen language (Yealink `lang.gui`).
    pub gui: String,
    /// The phone's web interface language (Yealink `lang.wui`).
    pub wui: String,
    /// The DECT handset language (Yealink `custom.handset.language`, an index).
    pub handset: String,
}

/// Yealink `local_time.*` values for one IANA zone, for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YealinkTime {
    /// `local_time.time_zone`: the standard offset, `+1`, `-5`, `0`, `+5:30`.
    pub offset: String,
    /// `local_time.time_zone_name`, when a Yealink name has exactly this zone's rules.
    pub name: Option<String>,
    /// `local_time.summer_time`: 0 off, 1 manual (see `manual_dst`), 2 automatic by name.
    pub summer_time: u8,
    /// The DST rule to write when `summer_time` is 1; `None` otherwise.
    pub manual_dst: Option<ManualDst>,
}

/// One row of the table: a zone's settings, with its manual rule as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ZoneRow {
    offset: String,
    name: Option<String>,
    summer_time: u8,
    /// With `summer_time` 1: the rule and the DST offset in minutes.
    manual: Option<(DstRule, u16)>,
}

/// The embedded Yealink time-zone table, by IANA name.
#[derive(Debug)]
pub(super) struct YealinkTimes {
    /// Every zone of the table.
    zones: HashMap<&'static str, ZoneRow>,
    /// `Etc/UTC`'s row, for a zone without a row (which loading rules out).
    utc: ZoneRow,
}

impl YealinkTimes {
    /// Parses the embedded table; every data row must be well formed.
    pub(super) fn load() -> Result<YealinkTimes, CatalogueError> {
        let mut zones = HashMap::new();
        for (index, line) in TIME_ZONE_TABLE.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (zone, time) = parse_row(line).map_err(|problem| CatalogueError::Invalid {
                file: TIME_ZONE_FILE,
                problem: format!("line {}: {problem}", index + 1),
            })?;
            zones.insert(zone, time);
        }
        let missing: Vec<&str> = TimeZone::all()
            .map(TimeZone::name)
            .filter(|name| !zones.contains_key(name))
            .collect();
        if !missing.is_empty() {
            return Err(CatalogueError::Invalid {
                file: TIME_ZONE_FILE,
                problem: format!("no row for {}", missing.join(", ")),
            });
        }
        let utc = zones
            .get("Etc/UTC")
            .cloned()
            .ok_or_else(|| CatalogueError::Invalid {
                file: TIME_ZONE_FILE,
                problem: "no row for Etc/UTC".into(),
            })?;
        Ok(YealinkTimes { zones, utc })
    }

    /// The settings of `zone` in `year` (a by-date rule gives that year's dates). Every zone
    /// a `TimeZone` can hold has a row (checked when loading).
    pub(super) fn get(&self, zone: TimeZone, year: i16) -> YealinkTime {
        let row = self.zones.get(zone.name()).unwrap_or(&self.utc);
        YealinkTime {
            offset: row.offset.clone(),
            name: row.name.clone(),
            summer_time: row.summer_time,
            manual_dst: row
                .manual
                .as_ref()
                .map(|(rule, minutes)| rule.for_year(year, *minutes)),
        }
    }
}

/// One row: `iana offset name summer_time dst_time_type dst_start dst_end dst_offset_min`.
fn parse_row(line: &'static str) -> Result<(&'static str, ZoneRow), String> {
    let fields: Vec<&'static str> = line.split('\t').collect();
    let [
        zone,
        offset,
        name,
        summer_time,
        dst_type,
        start,
        end,
        dst_offset,
    ] = fields[..]
    else {
        return Err(format!(
            "expected 8 tab-separated fields, found {}",
            fields.len()
        ));
    };
    if !is_yealink_offset(offset) {
        return Err(format!(
            "{zone}: {offset:?} is not an offset such as +1, -5 or +5:30"
        ));
    }
    let summer_time = match summer_time {
        "0" => 0,
        "1" => 1,
        "2" => 2,
        other => return Err(format!("{zone}: summer_time {other:?} is not 0, 1 or 2")),
    };
    if summer_time == 2 && name.is_empty() {
        return Err(format!("{zone}: automatic summer time needs a zone name"));
    }
    let manual = if summer_time == 1 {
        let offset_minutes = dst_offset
            .parse()
            .map_err(|_| format!("{zone}: DST offset {dst_offset:?} is not minutes"))?;
        let rule =
            DstRule::parse(dst_type, start, end).map_err(|problem| format!("{zone}: {problem}"))?;
        Some((rule, offset_minutes))
    } else {
        None
    };
    let time = ZoneRow {
        offset: offset.to_owned(),
        name: (!name.is_empty()).then(|| name.to_owned()),
        summer_time,
        manual,
    };
    Ok((zone, time))
}

/// `0`, or a sign, 1–2 digits and optional `:MM`.
fn is_yealink_offset(offset: &str) -> bool {
    if offset == "0" {
        return true;
    }
    let Some(unsigned) = offset
        .strip_prefix('+')
        .or_else(|| offset.strip_prefix('-'))
    else {
        return false;
    };
    let (hours, minutes) = unsigned.split_once(':').unwrap_or((unsigned, "00"));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    digits(hours, 2) && digits(minutes, 2) && minutes.len() == 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(zone: &str) -> YealinkTime {
        let times = YealinkTimes::load().unwrap();
        times.get(zone.parse().unwrap(), 2030)
    }

    #[test]
    fn paris_uses_the_automatic_rule_of_its_yealink_name() {
        let paris = time("Europe/Paris");
        assert_eq!(paris.offset, "+1");
        assert_eq!(paris.name.as_deref(), Some("France(Paris)"));
        assert_eq!(paris.summer_time, 2);
        assert_eq!(paris.manual_dst, None);
    }

    #[test]
    fn new_york_is_us_eastern() {
        let new_york = time("America/New_York");
        assert_eq!(new_york.offset, "-5");
        assert_eq!(new_york.name.as_deref(), Some("United States-Eastern Time"));
        assert_eq!(new_york.summer_time, 2);
    }

    #[test]
    fn cairo_needs_a_manual_rule() {
        let cairo = time("Africa/Cairo");
        assert_eq!(cairo.offset, "+2");
        assert_eq!(cairo.name, None);
        assert_eq!(cairo.summer_time, 1);
        // By date: in 2030 October 31 is a Thursday, and summer time ends at its midnight.
        let rule = cairo.manual_dst.unwrap();
        assert_eq!(rule.dst_time_type, 0);
        assert_eq!(
            (rule.start.as_str(), rule.end.as_str()),
            ("4/26/0", "11/1/0")
        );
        assert_eq!(rule.offset_minutes, 60);
        assert_eq!(time("Egypt"), time("Africa/Cairo"));
    }

    #[test]
    fn kolkata_has_a_half_hour_offset_and_no_dst() {
        let kolkata = time("Asia/Kolkata");
        assert_eq!(kolkata.offset, "+5:30");
        assert_eq!(kolkata.summer_time, 0);
        assert_eq!(kolkata.manual_dst, None);
    }

    #[test]
    fn every_accepted_zone_has_a_row() {
        let times = YealinkTimes::load().unwrap();
        assert!(TimeZone::all().all(|zone| times.zones.contains_key(zone.name())));
        assert_eq!(times.utc.offset, "0");
    }

    #[test]
    fn malformed_rows_are_refused() {
        assert!(parse_row("Europe/Paris\t+1\tFrance(Paris)\t2\t\t\t\t").is_ok());
        assert!(parse_row("Europe/Paris\t+1\tFrance(Paris)\t2").is_err());
        assert!(parse_row("Europe/Paris\tUTC+1\tFrance(Paris)\t2\t\t\t\t").is_err());
        assert!(parse_row("Europe/Paris\t+1\t\t2\t\t\t\t").is_err());
        assert!(parse_row("Africa/Cairo\t+2\t\t1\t1\t\t\t60").is_err());
        assert!(parse_row("Africa/Cairo\t+2\t\t1\t0\t4/lastFri/0\t10/lastThu/24\t60").is_ok());
        assert!(parse_row("Africa/Cairo\t+2\t\t1\t0\t4/5/5/0\t10/5/5/0\t60").is_err());
        assert!(parse_row("Africa/Cairo\t+2\t\t1\t0\t4/lastFri/0\t10/lastThu/24\tx").is_err());
        assert!(parse_row("Africa/Cairo\t+2\t\t3\t\t\t\t").is_err());
        assert!(
            is_yealink_offset("+12:45") && is_yealink_offset("-3:30") && is_yealink_offset("0")
        );
        assert!(!is_yealink_offset("+1:3") && !is_yealink_offset("1") && !is_yealink_offset("+"));
    }
}

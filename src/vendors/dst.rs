//! Manual summer-time rules, for the few zones with DST and no Yealink name
//! (`local_time.summer_time = 1`).
//!
//! Yealink reads a rule in two ways: by week (`local_time.dst_time_type = 1`, `M/W/D/H` with
//! week 5 the last), which names "the Nth or last weekday of a month at an hour", or by date
//! (`dst_time_type = 0`, `M/D/H`). Some zones change on a day no by-week rule can name. Egypt's
//! summer time ends at 24:00 on the last Thursday of October: the Friday after it, which is the
//! last Friday of October except in years where October 31 is a Thursday (2030), when it is
//! November 1 — a "last Friday" rule ends it a week early. Greenland's starts at 23:00 on the
//! Saturday before the last Sunday of March, which "last Saturday" gets a week wrong when
//! March 31 is a Saturday (2029, 2035).
//!
//! Those rows of `data/yealink-timezones.tsv` hold the rule in tzdata's own words
//! (`10/lastThu/24`: month, last weekday, hour of that day, which may be 24 or negative), and
//! the phone file carries the dates the rule gives for the year of the render. A phone
//! re-checks its file every night, so it has the new year's dates months before the first
//! change of the year; the file changes once a year, on January 1.

use jiff::civil::{Date, Weekday};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// How a manual rule is written in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DstRule {
    /// Yealink by-week strings (`M/W/D/H`), the same every year.
    ByWeek { start: String, end: String },
    /// tzdata-style rules, turned into by-date strings for each year.
    ByDate { start: DayRule, end: DayRule },
}

/// `M/lastD/H`: the last `weekday` of `month`, `hours` after that day's midnight (wall clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DayRule {
    month: i8,
    weekday: Weekday,
    /// −23 to 47: 24 is the next midnight, −1 is 23:00 the day before.
    hours: i8,
}

/// A manual DST rule as the phone reads it (`local_time.summer_time = 1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualDst {
    /// `local_time.dst_time_type`: 0 by date, 1 by week.
    pub dst_time_type: u8,
    /// `local_time.start_time`: `4/5/5/0` (month/week/weekday/hour; week 5 = last) by week,
    /// `4/24/0` (month/day/hour) by date; local standard time.
    pub start: String,
    /// `local_time.end_time`, in local summer time.
    pub end: String,
    /// `local_time.offset_time`, in minutes.
    pub offset_minutes: u16,
}

/// The year whose dates a file rendered at `at` carries: the calendar year in UTC (no zone
/// changes its clocks within hours of January 1).
pub fn dst_year(at: Timestamp) -> i16 {
    Offset::UTC.to_datetime(at).year()
}

impl DstRule {
    /// Reads a table row's `dst_time_type`, start and end.
    pub(super) fn parse(dst_type: &str, start: &str, end: &str) -> Result<DstRule, String> {
        match dst_type {
            "1" if is_by_week(start) && is_by_week(end) => Ok(DstRule::ByWeek {
                start: start.to_owned(),
                end: end.to_owned(),
            }),
            "1" => Err(format!(
                "by-week start and end must be M/W/D/H, found {start:?} and {end:?}"
            )),
            "0" => Ok(DstRule::ByDate {
                start: DayRule::parse(start)?,
                end: DayRule::parse(end)?,
            }),
            other => Err(format!("dst_time_type {other:?} is not 0 or 1")),
        }
    }

    /// The rule as the phone reads it for `year`.
    pub(super) fn for_year(&self, year: i16, offset_minutes: u16) -> ManualDst {
        match self {
            DstRule::ByWeek { start, end } => ManualDst {
                dst_time_type: 1,
                start: start.clone(),
                end: end.clone(),
                offset_minutes,
            },
            DstRule::ByDate { start, end } => ManualDst {
                dst_time_type: 0,
                start: start.date_in(year),
                end: end.date_in(year),
                offset_minutes,
            },
        }
    }
}

impl DayRule {
    /// `10/lastThu/24`, `3/lastSun/-1`.
    fn parse(text: &str) -> Result<DayRule, String> {
        let refused = || format!("{text:?} is not a rule such as 10/lastThu/24");
        let mut fields = text.split('/');
        let (Some(month), Some(day), Some(hours), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(refused());
        };
        let month: i8 = month.parse().map_err(|_| refused())?;
        let hours: i8 = hours.parse().map_err(|_| refused())?;
        let weekday = match day.strip_prefix("last").ok_or_else(refused)? {
            "Mon" => Weekday::Monday,
            "Tue" => Weekday::Tuesday,
            "Wed" => Weekday::Wednesday,
            "Thu" => Weekday::Thursday,
            "Fri" => Weekday::Friday,
            "Sat" => Weekday::Saturday,
            "Sun" => Weekday::Sunday,
            _ => return Err(refused()),
        };
        if !(1..=12).contains(&month) || !(-23..=47).contains(&hours) {
            return Err(refused());
        }
        Ok(DayRule {
            month,
            weekday,
            hours,
        })
    }

    /// `M/D/H` of the moment the rule names in `year`.
    fn date_in(self, year: i16) -> String {
        let moment = Date::new(year, self.month, 1)
            .and_then(|first| first.nth_weekday_of_month(-1, self.weekday))
            .and_then(|day| {
                day.at(0, 0, 0, 0)
                    .checked_add(SignedDuration::from_hours(i64::from(self.hours)))
            });
        match moment {
            Ok(at) => format!("{}/{}/{}", at.month(), at.day(), at.hour()),
            // Only a year at the very end of jiff's range has no such day.
            Err(_) => "%NULL%".to_owned(),
        }
    }
}

/// `M/W/D/H`: month 1–12, week 1–5, weekday 1–7, hour 0–23.
fn is_by_week(text: &str) -> bool {
    let fields: Vec<u8> = text.split('/').filter_map(|f| f.parse().ok()).collect();
    matches!(fields[..], [m, w, d, h]
        if (1..=12).contains(&m) && (1..=5).contains(&w) && (1..=7).contains(&d) && h <= 23)
        && text.split('/').count() == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_date(start: &str, end: &str) -> DstRule {
        DstRule::parse("0", start, end).unwrap()
    }

    /// (year, start, end) from tzdata 2025b (Python's zoneinfo), every year 2026–2035.
    #[rustfmt::skip]
    const CAIRO: &[(i16, &str, &str)] = &[
        (2026, "4/24/0", "10/30/0"), (2027, "4/30/0", "10/29/0"), (2028, "4/28/0", "10/27/0"),
        (2029, "4/27/0", "10/26/0"),
        // October 31 is a Thursday: summer time ends at its midnight, on November 1.
        (2030, "4/26/0", "11/1/0"),
        (2031, "4/25/0", "10/31/0"), (2032, "4/30/0", "10/29/0"), (2033, "4/29/0", "10/28/0"),
        (2034, "4/28/0", "10/27/0"), (2035, "4/27/0", "10/26/0"),
    ];

    #[test]
    fn egypt_ends_at_the_midnight_after_the_last_thursday_of_october() {
        let cairo = by_date("4/lastFri/0", "10/lastThu/24");
        for &(year, start, end) in CAIRO {
            let rule = cairo.for_year(year, 60);
            assert_eq!(rule.dst_time_type, 0);
            assert_eq!(
                (year, rule.start.as_str(), rule.end.as_str()),
                (year, start, end)
            );
        }
        assert_eq!(
            Date::new(2030, 10, 31).unwrap().weekday(),
            Weekday::Thursday
        );
    }

    /// Greenland (Nuuk, Scoresbysund): 01:00 UTC on the last Sunday, i.e. 23:00 the Saturday
    /// before at −2, and 00:00 the Sunday at −1 (tzdata 2025b).
    #[rustfmt::skip]
    const NUUK: &[(i16, &str, &str)] = &[
        (2026, "3/28/23", "10/25/0"), (2027, "3/27/23", "10/31/0"), (2028, "3/25/23", "10/29/0"),
        // March 31 is a Saturday: the last Saturday is a week late.
        (2029, "3/24/23", "10/28/0"),
        (2030, "3/30/23", "10/27/0"), (2031, "3/29/23", "10/26/0"), (2032, "3/27/23", "10/31/0"),
        (2033, "3/26/23", "10/30/0"), (2034, "3/25/23", "10/29/0"), (2035, "3/24/23", "10/28/0"),
    ];

    #[test]
    fn greenland_starts_the_evening_before_the_last_sunday_of_march() {
        let nuuk = by_date("3/lastSun/-1", "10/lastSun/0");
        for &(year, start, end) in NUUK {
            let rule = nuuk.for_year(year, 60);
            assert_eq!(
                (year, rule.start.as_str(), rule.end.as_str()),
                (year, start, end)
            );
        }
    }

    #[test]
    fn by_week_rules_are_kept_as_written() {
        let rule = DstRule::parse("1", "3/2/7/2", "11/1/7/2").unwrap();
        let manual = rule.for_year(2030, 60);
        assert_eq!(
            (
                manual.dst_time_type,
                manual.start.as_str(),
                manual.end.as_str()
            ),
            (1, "3/2/7/2", "11/1/7/2")
        );
        assert_eq!(manual.offset_minutes, 60);
    }

    #[test]
    fn malformed_rules_are_refused() {
        for (dst_type, start, end) in [
            ("1", "4/lastFri/0", "10/5/5/0"),
            ("1", "13/5/5/0", "10/5/5/0"),
            ("1", "4/6/5/0", "10/5/5/0"),
            ("1", "4/5/5/0/1", "10/5/5/0"),
            ("0", "4/5/5/0", "10/lastThu/24"),
            ("0", "4/lastFry/0", "10/lastThu/24"),
            ("0", "0/lastFri/0", "10/lastThu/24"),
            ("0", "4/lastFri/48", "10/lastThu/24"),
            ("0", "4/lastFri", "10/lastThu/24"),
            ("2", "4/5/5/0", "10/5/5/0"),
        ] {
            assert!(
                DstRule::parse(dst_type, start, end).is_err(),
                "{start} {end}"
            );
        }
    }

    #[test]
    fn the_year_is_the_utc_year() {
        let at: Timestamp = "2030-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(dst_year(at), 2030);
    }
}

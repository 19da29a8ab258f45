//! Extensions and the account's numbering plan.
//!
//! An extension is the short number colleagues dial. It must follow the account's numbering
//! plan — a digit count, the ranges extensions are taken from, and reserved space no user may
//! take — be unique in the account, and it never changes once the user exists. When an admin
//! gives none, the lowest free extension of the plan is taken; bulk orders take a run of
//! consecutive free ones.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ParseError;
use super::identity::string_newtype_impls;

/// Digits a user is dialled by inside the account (no leading zero: 0 is the usual
/// outside-line prefix).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Extension(String);

impl Extension {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn value(&self) -> u64 {
        // Parsing guarantees 1 to 10 digits.
        self.0.parse().unwrap_or(0)
    }

    fn from_value(value: u64) -> Extension {
        Extension(value.to_string())
    }
}

impl FromStr for Extension {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Extension, ParseError> {
        let text = input.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("must contain digits only"));
        }
        if text.len() > 10 {
            return Err(ParseError::new("must be at most 10 digits"));
        }
        if text.starts_with('0') {
            return Err(ParseError::new("must not start with 0"));
        }
        Ok(Extension(text.to_owned()))
    }
}

string_newtype_impls!(Extension);

/// An inclusive range of extensions, written `100-899` (or `911` for one number).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExtensionRange {
    pub first: u64,
    pub last: u64,
}

impl ExtensionRange {
    pub fn contains(self, value: u64) -> bool {
        (self.first..=self.last).contains(&value)
    }
}

impl FromStr for ExtensionRange {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<ExtensionRange, ParseError> {
        let invalid = || ParseError::new(format!("{input:?} must be a range such as 100-899"));
        let (first, last) = input.split_once('-').unwrap_or((input, input));
        let first: Extension = first.parse().map_err(|_| invalid())?;
        let last: Extension = last.parse().map_err(|_| invalid())?;
        if first.value() > last.value() {
            return Err(ParseError::new(format!("{input:?} ends before it starts")));
        }
        Ok(ExtensionRange {
            first: first.value(),
            last: last.value(),
        })
    }
}

impl TryFrom<String> for ExtensionRange {
    type Error = ParseError;
    fn try_from(value: String) -> Result<ExtensionRange, ParseError> {
        value.parse()
    }
}

impl From<ExtensionRange> for String {
    fn from(range: ExtensionRange) -> String {
        range.to_string()
    }
}

impl fmt::Display for ExtensionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

impl fmt::Debug for ExtensionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtensionRange({self})")
    }
}

/// The account's numbering plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberingPlan {
    /// Fewest digits an extension may have.
    pub min_length: u8,
    /// Most digits an extension may have.
    pub max_length: u8,
    /// Where extensions are taken from; an extension must fall in one of them.
    pub ranges: Vec<ExtensionRange>,
    /// Space no user may take (feature codes, emergency numbers, future sites).
    pub reserved: Vec<ExtensionRange>,
}

impl Default for NumberingPlan {
    fn default() -> NumberingPlan {
        NumberingPlan {
            min_length: 3,
            max_length: 4,
            ranges: vec![ExtensionRange {
                first: 100,
                last: 899,
            }],
            reserved: vec![ExtensionRange {
                first: 900,
                last: 999,
            }],
        }
    }
}

impl NumberingPlan {
    /// Checks the plan itself: lengths 1–10 in order, at least one range, ranges within the lengths.
    pub fn new(
        min_length: u8,
        max_length: u8,
        ranges: Vec<ExtensionRange>,
        reserved: Vec<ExtensionRange>,
    ) -> Result<NumberingPlan, ParseError> {
        if !(1..=10).contains(&min_length) || !(1..=10).contains(&max_length) {
            return Err(ParseError::new(
                "extension lengths must be between 1 and 10 digits",
            ));
        }
        if min_length > max_length {
            return Err(ParseError::new("min_length must not exceed max_length"));
        }
        if ranges.is_empty() {
            return Err(ParseError::new("at least one extension range is needed"));
        }
        let plan = NumberingPlan {
            min_length,
            max_length,
            ranges,
            reserved,
        };
        for range in &plan.ranges {
            if !plan.length_fits(range.first) || !plan.length_fits(range.last) {
                return Err(ParseError::new(format!(
                    "range {range} does not fit {min_length} to {max_length} digit extensions"
                )));
            }
        }
        Ok(plan)
    }

    fn length_fits(&self, value: u64) -> bool {
        let digits = value.to_string().len();
        (self.min_length as usize..=self.max_length as usize).contains(&digits)
    }

    fn is_reserved(&self, value: u64) -> bool {
        self.reserved.iter().any(|range| range.contains(value))
    }

    /// Whether `extension` may be given to a user under this plan (uniqueness aside).
    pub fn check(&self, extension: &Extension) -> Result<(), ParseError> {
        let value = extension.value();
        if !self.length_fits(value) {
            return Err(ParseError::new(format!(
                "must have {} to {} digits",
                self.min_length, self.max_length
            )));
        }
        if self.is_reserved(value) {
            return Err(ParseError::new(format!(
                "{extension} is in reserved number space ({})",
                join(&self.reserved)
            )));
        }
        if !self.ranges.iter().any(|range| range.contains(value)) {
            return Err(ParseError::new(format!(
                "{extension} is outside the numbering plan ({})",
                join(&self.ranges)
            )));
        }
        Ok(())
    }

    /// Every extension the plan allows, in ascending order.
    fn allowed(&self) -> impl Iterator<Item = u64> + '_ {
        let mut ranges = self.ranges.clone();
        ranges.sort_by_key(|range| range.first);
        let mut next = 0;
        ranges
            .into_iter()
            .flat_map(move |range| {
                let start = range.first.max(next);
                next = next.max(range.last.saturating_add(1));
                start..=range.last
            })
            .filter(|value| self.length_fits(*value) && !self.is_reserved(*value))
    }

    /// The lowest allowed extension not in `taken`.
    pub fn lowest_free(&self, taken: &HashSet<Extension>) -> Option<Extension> {
        self.allowed()
            .map(Extension::from_value)
            .find(|extension| !taken.contains(extension))
    }

    /// The lowest run of `count` consecutive allowed extensions, none of them in `taken`.
    pub fn consecutive_free(
        &self,
        taken: &HashSet<Extension>,
        count: usize,
    ) -> Option<Vec<Extension>> {
        if count == 0 {
            return Some(Vec::new());
        }
        let mut run: Vec<Extension> = Vec::with_capacity(count);
        for value in self.allowed() {
            let extension = Extension::from_value(value);
            let continues = run.last().is_some_and(|last| last.value() + 1 == value);
            if taken.contains(&extension) {
                run.clear();
                continue;
            }
            if !continues {
                run.clear();
            }
            run.push(extension);
            if run.len() == count {
                return Some(run);
            }
        }
        None
    }
}

fn join(ranges: &[ExtensionRange]) -> String {
    ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(s: &str) -> Extension {
        s.parse().unwrap()
    }

    fn plan(ranges: &[&str], reserved: &[&str]) -> NumberingPlan {
        NumberingPlan::new(
            3,
            4,
            ranges.iter().map(|r| r.parse().unwrap()).collect(),
            reserved.iter().map(|r| r.parse().unwrap()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn extensions_are_digits_without_a_leading_zero() {
        assert_eq!(ext(" 101 ").as_str(), "101");
        assert!("10a".parse::<Extension>().is_err());
        assert!("0101".parse::<Extension>().is_err());
        assert!("".parse::<Extension>().is_err());
        assert!("12345678901".parse::<Extension>().is_err());
    }

    #[test]
    fn the_plan_accepts_extensions_in_range_and_outside_reserved_space() {
        let plan = plan(&["100-899", "2000-2999"], &["800-899"]);
        assert!(plan.check(&ext("100")).is_ok());
        assert!(plan.check(&ext("2500")).is_ok());
        let reserved = plan.check(&ext("811")).unwrap_err();
        assert!(reserved.message().contains("reserved"), "{reserved}");
        let outside = plan.check(&ext("950")).unwrap_err();
        assert!(outside.message().contains("outside"), "{outside}");
        let short = plan.check(&ext("10")).unwrap_err();
        assert!(short.message().contains("3 to 4 digits"), "{short}");
    }

    #[test]
    fn plans_themselves_are_checked() {
        assert!(NumberingPlan::new(4, 3, vec![ext_range("100-899")], vec![]).is_err());
        assert!(NumberingPlan::new(3, 3, vec![], vec![]).is_err());
        assert!(NumberingPlan::new(3, 3, vec![ext_range("100-1999")], vec![]).is_err());
        assert!(NumberingPlan::new(0, 3, vec![ext_range("1-9")], vec![]).is_err());
        assert!("900-100".parse::<ExtensionRange>().is_err());
        assert_eq!("911".parse::<ExtensionRange>().unwrap().to_string(), "911");
    }

    fn ext_range(s: &str) -> ExtensionRange {
        s.parse().unwrap()
    }

    #[test]
    fn lowest_free_skips_taken_and_reserved_extensions() {
        let plan = plan(&["100-199"], &["100-101"]);
        let taken: HashSet<Extension> = [ext("102"), ext("103")].into();
        assert_eq!(plan.lowest_free(&taken).unwrap().as_str(), "104");
        let full: HashSet<Extension> = (102..=199).map(|v| ext(&v.to_string())).collect();
        assert_eq!(plan.lowest_free(&full), None);
    }

    #[test]
    fn consecutive_free_finds_the_lowest_unbroken_run() {
        let plan = plan(&["100-120"], &["105"]);
        let taken: HashSet<Extension> = [ext("102"), ext("108")].into();
        let run = plan.consecutive_free(&taken, 3).unwrap();
        let run: Vec<&str> = run.iter().map(Extension::as_str).collect();
        assert_eq!(run, ["109", "110", "111"]);
        assert_eq!(plan.consecutive_free(&taken, 2).unwrap()[0].as_str(), "100");
        assert_eq!(plan.consecutive_free(&taken, 30), None);
    }

    #[test]
    fn overlapping_ranges_do_not_repeat_extensions() {
        let plan = plan(&["100-110", "105-120"], &[]);
        let taken: HashSet<Extension> = (100..=110).map(|v| ext(&v.to_string())).collect();
        assert_eq!(plan.lowest_free(&taken).unwrap().as_str(), "111");
    }
}

//! Free text an admin types: names, labels, departments, tags.
//!
//! Free text ends up in phone configuration files (`key = value` lines) and HTML pages, so
//! control characters — a newline would start a new configuration key — are refused here,
//! at the edge, and every value is trimmed and bounded.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ParseError;

/// Trimmed, non-empty text of at most `max` characters with no control characters.
pub fn line_of_text(input: &str, max: usize) -> Result<String, ParseError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(ParseError::new("must not be empty"));
    }
    if text.chars().count() > max {
        return Err(ParseError::new(format!("must be at most {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(ParseError::new(
            "must not contain control characters such as line breaks",
        ));
    }
    Ok(text.to_owned())
}

/// Optional text: empty or blank input means "not given".
pub fn optional_text(input: Option<&str>, max: usize) -> Result<Option<String>, ParseError> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => line_of_text(text, max).map(Some),
    }
}

/// A searchable label an admin puts on users ("sales", "floor-2").
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Tags compare case-insensitively.
    pub fn matches(&self, query: &str) -> bool {
        self.0.eq_ignore_ascii_case(query.trim())
    }
}

impl std::str::FromStr for Tag {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Tag, ParseError> {
        let text = line_of_text(input, 32)?;
        if !text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        {
            return Err(ParseError::new(
                "may contain only letters, digits, spaces, '-', '_' and '.'",
            ));
        }
        Ok(Tag(text))
    }
}

impl TryFrom<String> for Tag {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Tag, ParseError> {
        value.parse()
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> String {
        tag.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", self.0)
    }
}

/// Parses a list of tags, dropping case-insensitive duplicates and keeping the first spelling.
pub fn tags<'a>(inputs: impl IntoIterator<Item = &'a str>) -> Result<Vec<Tag>, ParseError> {
    let mut tags: Vec<Tag> = Vec::new();
    for input in inputs {
        let tag: Tag = input
            .parse()
            .map_err(|e: ParseError| ParseError::new(format!("tag {input:?} {}", e.message())))?;
        if !tags.iter().any(|t| t.matches(tag.as_str())) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err(ParseError::new("at most 20 tags"));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_single_line() {
        assert_eq!(line_of_text("  Ada  ", 10).unwrap(), "Ada");
        assert_eq!(line_of_text("Zoë", 3).unwrap(), "Zoë");
        assert!(line_of_text("   ", 10).is_err());
        assert!(line_of_text("abcd", 3).is_err());
        let injected = line_of_text("Bob\naccount.1.password = x", 64).unwrap_err();
        assert!(injected.message().contains("control characters"));
        assert_eq!(optional_text(Some("  "), 5).unwrap(), None);
        assert_eq!(optional_text(None, 5).unwrap(), None);
    }

    #[test]
    fn tags_are_deduplicated_case_insensitively() {
        let parsed = tags(["Sales", "sales", "floor-2"]).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].as_str(), "Sales");
        assert!(parsed[0].matches("SALES"));
        assert!(tags(["a<b>"]).is_err());
        assert!(tags([""]).is_err());
    }
}

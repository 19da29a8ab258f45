//! Why an input was refused.
//!
//! A parser refuses one value with a [`ParseError`]; a use case collects every refusal of
//! one request into [`Invalid`], keyed by the API field name, so that an admin fixes a form
//! in one go instead of one field per round trip.

use std::collections::BTreeMap;
use std::fmt;

/// One value that could not be parsed, with a sentence saying what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> ParseError {
        ParseError(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Every failing field of one request: field name (dotted for nested fields, as in
/// `voicemail.pin` or `device.mac`) → what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid {
    fields: BTreeMap<String, String>,
}

impl Invalid {
    pub fn new() -> Invalid {
        Invalid::default()
    }

    /// A refusal of a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Invalid {
        let mut invalid = Invalid::new();
        invalid.add(field, message);
        invalid
    }

    /// Records a refusal; the first message for a field is kept.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Parses `value` for `field`, recording the refusal and returning `None` on failure.
    pub fn check<T>(&mut self, field: &str, value: Result<T, ParseError>) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.0);
                None
            }
        }
    }

    /// Folds another set of refusals in, prefixing their field names (`device.` + `mac`).
    pub fn merge(&mut self, prefix: &str, other: Invalid) {
        for (field, message) in other.fields {
            self.add(&format!("{prefix}{field}"), message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// `Ok(())` when nothing was refused.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, message) in &self.fields {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_field_and_keeps_the_first_message() {
        let mut invalid = Invalid::new();
        invalid.add("email", "is required");
        invalid.add("email", "is not valid");
        let mut device = Invalid::new();
        device.add("mac", "is not a MAC");
        invalid.merge("device.", device);
        assert_eq!(invalid.fields().len(), 2);
        assert_eq!(invalid.fields()["email"], "is required");
        assert_eq!(
            invalid.to_string(),
            "device.mac: is not a MAC; email: is required"
        );
        assert!(Invalid::new().into_result().is_ok());
    }
}

//! Schema helpers for the input and view types whose JSON a derive cannot describe alone
//! (a closed set of strings kept as `&'static str` or `String`, "text or number" fields).
//! The OpenAPI document (`http::admin::api::openapi`) is generated from these types; this
//! module only builds JSON Schema values, it knows nothing of HTTP.

use utoipa::openapi::schema::{
    ArrayBuilder, Object, ObjectBuilder, OneOfBuilder, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

/// A string that is one of `values`; `nullable` also admits `null` (a field left as is).
pub(crate) fn one_of(values: &[&str], nullable: bool) -> Object {
    let mut allowed: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    let kind = if nullable {
        allowed.push(serde_json::Value::Null);
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .enum_values(Some(allowed))
        .build()
}

/// A field people think of as a number, taken as text (`"101"`) or a number (`101`);
/// `null` leaves it as is.
pub(crate) fn text_or_number(description: &str, example: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .pattern(Some(r"^\s*[0-9]+\s*$")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(description))
        .examples([serde_json::Value::from(example)])
        .into()
}

/// A list of non-empty strings, or `null` (left as is).
pub(crate) fn non_empty_strings(description: &str) -> Schema {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1)),
        )
        .description(Some(description))
        .into()
}

/// The schemas of the domain types that serialize as plain strings: written here by hand
/// (no derive fits a parsed newtype), so that the domain needs nothing but derives.
pub(crate) mod strings {
    use std::borrow::Cow;

    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    use utoipa::{PartialSchema, ToSchema};

    use crate::domain::{E164, Mac, Tag, TimeZone};

    /// What `Mac::from_str` accepts, whitespace aside: six octets, each optionally after one
    /// delimiter of a single kind (`:`, `-` or `.`), the first octet even (unicast), not all
    /// zero.
    pub(crate) const MAC_PATTERN: &str = "^(?![:.-]?00(?:[:.-]?00){5}$)(?:\
        (?::?[0-9A-Fa-f][02468ACEace](?::?[0-9A-Fa-f]{2}){5})|\
        (?:-?[0-9A-Fa-f][02468ACEace](?:-?[0-9A-Fa-f]{2}){5})|\
        (?:\\.?[0-9A-Fa-f][02468ACEace](?:\\.?[0-9A-Fa-f]{2}){5}))$";

    /// What `E164::from_str` accepts, whitespace aside: '+', then 8 to 15 digits, the first
    /// not 0, with spaces, '-', '.', '(' and ')' anywhere after the '+'.
    pub(crate) const E164_PATTERN: &str = r"\+[ ().-]*[1-9](?:[ ().-]*[0-9]){7,14}[ ().-]*";

    fn string(description: &str, example: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .description(Some(description))
            .examples([serde_json::Value::from(example)])
    }

    impl PartialSchema for Mac {
        fn schema() -> RefOr<Schema> {
            string(
                "A MAC address: 12 lower-case hex digits in answers; any notation in requests \
                 (001565aabbcc, 00:15:65:aa:bb:cc, 00-15-65-aa-bb-cc, 0015.65aa.bbcc).",
                "001565aabbcc",
            )
            .pattern(Some(MAC_PATTERN))
            .into()
        }
    }

    impl ToSchema for Mac {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("Mac")
        }
    }

    impl PartialSchema for E164 {
        fn schema() -> RefOr<Schema> {
            string(
                "An E.164 number: '+', country code and number (8 to 15 digits, not starting \
                 with 0); spaces, '-', '.', '(' and ')' between the digits are ignored.",
                "+15145550100",
            )
            .pattern(Some(format!(r"^\s*{E164_PATTERN}\s*$")))
            .into()
        }
    }

    impl ToSchema for E164 {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("E164")
        }
    }

    impl PartialSchema for TimeZone {
        fn schema() -> RefOr<Schema> {
            string(
                "An IANA time zone name (any case in requests, canonical in answers).",
                "America/New_York",
            )
            .into()
        }
    }

    impl ToSchema for TimeZone {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("TimeZone")
        }
    }

    impl PartialSchema for Tag {
        fn schema() -> RefOr<Schema> {
            string(
                "A label an admin puts on users: letters, digits, spaces, '-', '_' and '.'.",
                "sales",
            )
            .max_length(Some(32))
            .into()
        }
    }

    impl ToSchema for Tag {
        fn name() -> Cow<'static, str> {
            Cow::Borrowed("Tag")
        }
    }
}

//! Reading request bodies and query strings into the service's input types: malformed JSON
//! is a 400; JSON of the wrong shape (an unknown field, a number for a string) is a 422
//! naming the field; so is a string the OpenAPI document refuses (empty where a value is
//! required, too long) or an unknown member of a closed object, checked against the very
//! schema the document publishes for the type — the contract and the server cannot drift
//! apart. These are checked before the use case's own rules: a body breaking both gets the
//! document's refusals first, every one named.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ApiError;

/// Parses a JSON body into `T` and checks its strings against `T`'s schema in `schemas`
/// (the document's `components.schemas`). An empty body reads as `{}`: the routes that
/// refuse one (`BodyUse::Required`) never get here without a body.
pub fn json<T: DeserializeOwned + ToSchema>(
    body: &[u8],
    schemas: &Map<String, Value>,
) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    let parsed = parse::<T>(body)?;
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let mut refused = BTreeMap::new();
    let root = serde_json::json!({ "$ref": format!("#/components/schemas/{}", T::name()) });
    check(&value, &root, "", schemas, &mut refused, 0);
    if refused.is_empty() {
        Ok(parsed)
    } else {
        Err(ApiError::Invalid(refused))
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            shape_error(&path, &inner.to_string())
        } else {
            ApiError::MalformedJson(inner.to_string())
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    Ok(value)
}

/// Checks what serde cannot see of `value` against `schema`: a string's length, an
/// object's unknown properties where the schema closes it. Refusals go to `refused` by path (`device.mac`, `numbers[0]`).
fn check(
    value: &Value,
    schema: &Value,
    path: &str,
    schemas: &Map<String, Value>,
    refused: &mut BTreeMap<String, String>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        if let Some(target) = schemas.get(name) {
            check(value, target, path, schemas, refused, depth + 1);
        }
        return;
    }
    for sub in schema["allOf"].as_array().into_iter().flatten() {
        check(value, sub, path, schemas, refused, depth + 1);
    }
    for key in ["oneOf", "anyOf"] {
        let fitting = schema[key]
            .as_array()
            .into_iter()
            .flatten()
            .find(|sub| admits(sub, value, schemas, depth));
        if let Some(sub) = fitting {
            check(value, sub, path, schemas, refused, depth + 1);
        }
    }
    let field = if path.is_empty() { "body" } else { path };
    if !admits(schema, value, schemas, depth) {
        // What serde lets through of another type (a struct read from an array): refused
        // as the document says.
        if let Some(kind) = schema["type"].as_str() {
            refused
                .entry(field.to_owned())
                .or_insert_with(|| format!("must be of type {kind}"));
        }
        return;
    }
    match value {
        Value::String(text) => {
            if let Some(problem) = string_problem(text, schema) {
                refused.entry(field.to_owned()).or_insert(problem);
            }
        }
        Value::Object(members) => {
            let properties = schema["properties"].as_object();
            for (name, member) in members {
                let member_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                match properties.and_then(|p| p.get(name)) {
                    Some(sub) => check(member, sub, &member_path, schemas, refused, depth + 1),
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        refused
                            .entry(member_path)
                            .or_insert_with(|| "is not a field of this request".into());
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{field}[{index}]");
                check(
                    item,
                    &schema["items"],
                    &item_path,
                    schemas,
                    refused,
                    depth + 1,
                );
            }
        }
        _ => {}
    }
}

/// Whether `schema`'s `type` admits `value` (a schema without one, or a reference to one
/// that does, admits anything).
fn admits(schema: &Value, value: &Value, schemas: &Map<String, Value>, depth: usize) -> bool {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return depth < 32
            && schemas
                .get(name)
                .is_none_or(|target| admits(target, value, schemas, depth + 1));
    }
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = |t: &Value| t == kind || (kind == "integer" && t == "number");
    match &schema["type"] {
        Value::String(_) => fits(&schema["type"]),
        Value::Array(types) => types.iter().any(fits),
        _ => true,
    }
}

/// Why a string breaks its schema's `minLength` or `maxLength`, if it does. (Listed values
/// and patterns are the parsers' business: they refuse what the document does not list,
/// with their own messages.)
fn string_problem(text: &str, schema: &Value) -> Option<String> {
    let length = text.chars().count() as u64;
    let min = schema["minLength"].as_u64().unwrap_or(0);
    if min > 0 && text.trim().is_empty() {
        return Some("must not be empty (leave the field out instead)".into());
    }
    if length < min {
        return Some(format!("must be at least {min} characters long"));
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        if length > max {
            return Some(format!("must be at most {max} characters long"));
        }
    }
    None
}

/// A JSON value of the wrong shape, named by its path (`device.mac`, `numbers[0]`).
fn shape_error(path: &str, message: &str) -> ApiError {
    let path = path.to_owned();
    let message = message.split(" at line ").next().unwrap_or(message);
    if let Some(name) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        // The path may or may not already end with the unknown key.
        let field = match path.as_str() {
            "." => name.to_owned(),
            path if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
            path => format!("{path}.{name}"),
        };
        return ApiError::invalid(&field, "is not a field of this request");
    }
    let field = if path == "." { "body" } else { path.as_str() };
    ApiError::invalid(field, message)
}

/// Parses a query string; unknown parameters are refused.
pub fn query<T: DeserializeOwned + Default>(query: Option<&str>) -> Result<T, ApiError> {
    match query {
        None | Some("") => Ok(T::default()),
        Some(query) => serde_urlencoded::from_str(query).map_err(|error| {
            let message = error.to_string();
            match message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next())
            {
                Some(name) => ApiError::invalid(name, "is not a parameter of this request"),
                None => ApiError::invalid("query", message),
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        mac: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[allow(dead_code)]
        name: Option<String>,
        #[allow(dead_code)]
        device: Option<Inner>,
    }

    fn fields(error: ApiError) -> BTreeMap<String, String> {
        match error {
            ApiError::Invalid(fields) => fields,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_not_a_shape_error() {
        assert!(matches!(
            parse::<Outer>(b"{\"name\": "),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse::<Outer>(b"{} trailing"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(parse::<Outer>(b"{}").is_ok());
    }

    fn schemas() -> Map<String, Value> {
        let document = serde_json::json!({"components": {"schemas": {
            "Outer": {"type": "object", "properties": {
                "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 5},
                "note": {"type": ["string", "null"]},
                "device": {"oneOf": [{"$ref": "#/components/schemas/Inner"}, {"type": "null"}]},
                "pool": {"type": "array", "items": {"oneOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "object", "additionalProperties": false,
                     "properties": {"number": {"type": "string"}}},
                ]}},
            }},
            "Inner": {"type": "object", "properties": {"mac": {"type": "string", "minLength": 1}}},
        }}});
        document["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn refusals(body: Value) -> BTreeMap<String, String> {
        let mut refused = BTreeMap::new();
        let root = serde_json::json!({"$ref": "#/components/schemas/Outer"});
        check(&body, &root, "", &schemas(), &mut refused, 0);
        refused
    }

    #[test]
    fn strings_are_held_to_the_documented_lengths() {
        let refused = refusals(serde_json::json!({
            "name": " ", "note": "", "device": {"mac": ""},
            "pool": ["", "+15145550100", {"number": "x", "colour": "red"}],
        }));
        assert_eq!(
            refused.keys().collect::<Vec<_>>(),
            ["device.mac", "name", "pool[0]", "pool[2].colour"],
            "{refused:?}"
        );
        assert!(refused["name"].starts_with("must not be empty"));
        let long = refusals(serde_json::json!({"name": "abcdef", "device": null}));
        assert_eq!(long["name"], "must be at most 5 characters long");
        assert!(refusals(serde_json::json!({"name": "abc", "note": ""})).is_empty());
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let unknown =
            fields(parse::<Outer>(br#"{"device": {"mac": "x", "colour": "red"}}"#).unwrap_err());
        assert_eq!(unknown["device.colour"], "is not a field of this request");
        let mistyped = fields(parse::<Outer>(br#"{"name": 5}"#).unwrap_err());
        assert!(mistyped["name"].contains("invalid type"), "{mistyped:?}");
    }
}

//! Reading request bodies and query strings into the service's input types: malformed JSON
//! is a 400; JSON of the wrong shape (an unknown field, a number for a string) is a 422
//! naming the field.

use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Parses a JSON body; an empty body reads as `{}`.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
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
            json::<Outer>(b"{\"name\": "),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            json::<Outer>(b"{} trailing"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(json::<Outer>(b"").is_ok());
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let unknown =
            fields(json::<Outer>(br#"{"device": {"mac": "x", "colour": "red"}}"#).unwrap_err());
        assert_eq!(unknown["device.colour"], "is not a field of this request");
        let mistyped = fields(json::<Outer>(br#"{"name": 5}"#).unwrap_err());
        assert!(mistyped["name"].contains("invalid type"), "{mistyped:?}");
    }
}

//! The admin API's route table: every URL of `/api/v1`, one row each, parsed into an
//! [`ApiRoute`] before any handler runs.

use http::Method;

use crate::domain::{AccountId, E164, Mac, TokenId, UserId};

/// What a request asks for, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    OpenApi,
    Models,
    CreateAccount,
    ListAccounts,
    GetAccount,
    UpdateAccount,
    DeleteAccount,
    ListNumbers,
    AddNumbers,
    RemoveNumber,
    CreateUser,
    BulkUsers,
    ListUsers,
    GetUser,
    UpdateUser,
    DeleteUser,
    EnableUser,
    CreateDevice,
    ListDevices,
    GetDevice,
    DeleteDevice,
    ArmDevice,
    DeviceAudit,
    AssignLine,
    AssignLowestLine,
    RenameLine,
    DeleteLine,
    RotateLine,
    ListUnclaimed,
    ClaimDevice,
    CreateToken,
    ListTokens,
    DeleteToken,
}

/// Every route: method, path template (below `/api/v1`), endpoint. Placeholders: `{id}`
/// (account), `{user}`, `{mac}`, `{n}` (line number), `{number}` (E.164), `{token}`.
pub const ROUTES: &[(&str, &str, Endpoint)] = &[
    ("GET", "/openapi.json", Endpoint::OpenApi),
    ("GET", "/models", Endpoint::Models),
    ("POST", "/accounts", Endpoint::CreateAccount),
    ("GET", "/accounts", Endpoint::ListAccounts),
    ("GET", "/accounts/{id}", Endpoint::GetAccount),
    ("PATCH", "/accounts/{id}", Endpoint::UpdateAccount),
    ("DELETE", "/accounts/{id}", Endpoint::DeleteAccount),
    ("GET", "/accounts/{id}/numbers", Endpoint::ListNumbers),
    ("POST", "/accounts/{id}/numbers", Endpoint::AddNumbers),
    (
        "DELETE",
        "/accounts/{id}/numbers/{number}",
        Endpoint::RemoveNumber,
    ),
    ("POST", "/accounts/{id}/users", Endpoint::CreateUser),
    ("POST", "/accounts/{id}/users/bulk", Endpoint::BulkUsers),
    ("GET", "/accounts/{id}/users", Endpoint::ListUsers),
    ("GET", "/users/{user}", Endpoint::GetUser),
    ("PATCH", "/users/{user}", Endpoint::UpdateUser),
    ("DELETE", "/users/{user}", Endpoint::DeleteUser),
    ("POST", "/users/{user}/enable", Endpoint::EnableUser),
    ("POST", "/accounts/{id}/devices", Endpoint::CreateDevice),
    ("GET", "/accounts/{id}/devices", Endpoint::ListDevices),
    ("GET", "/devices/{mac}", Endpoint::GetDevice),
    ("DELETE", "/devices/{mac}", Endpoint::DeleteDevice),
    ("POST", "/devices/{mac}/arm", Endpoint::ArmDevice),
    ("GET", "/devices/{mac}/audit", Endpoint::DeviceAudit),
    ("PUT", "/devices/{mac}/lines/{n}", Endpoint::AssignLine),
    ("POST", "/devices/{mac}/lines", Endpoint::AssignLowestLine),
    ("PATCH", "/devices/{mac}/lines/{n}", Endpoint::RenameLine),
    ("DELETE", "/devices/{mac}/lines/{n}", Endpoint::DeleteLine),
    (
        "POST",
        "/devices/{mac}/lines/{n}/rotate",
        Endpoint::RotateLine,
    ),
    ("GET", "/unclaimed", Endpoint::ListUnclaimed),
    ("POST", "/unclaimed/{mac}/claim", Endpoint::ClaimDevice),
    ("POST", "/tokens", Endpoint::CreateToken),
    ("GET", "/tokens", Endpoint::ListTokens),
    ("DELETE", "/tokens/{token}", Endpoint::DeleteToken),
];

/// A parsed request: the endpoint and its typed path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    pub endpoint: Endpoint,
    pub account: Option<AccountId>,
    pub user: Option<UserId>,
    pub mac: Option<Mac>,
    pub line: Option<u16>,
    pub number: Option<E164>,
    pub token: Option<TokenId>,
}

/// Why a request matches no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No route has this path.
    NotFound,
    /// The path exists with other methods (listed for `Allow`).
    MethodNotAllowed(Vec<&'static str>),
    /// A path parameter is malformed: which one, and why.
    BadParameter(&'static str, String),
}

impl ApiRoute {
    /// Parses `path` (with its `/api/v1` prefix) and `method`.
    pub fn parse(method: &Method, path: &str) -> Result<ApiRoute, RouteError> {
        let rest = path.strip_prefix("/api/v1").ok_or(RouteError::NotFound)?;
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        if rest.is_empty() || segments.iter().any(|s| s.is_empty()) {
            return Err(RouteError::NotFound);
        }
        let mut allowed = Vec::new();
        for (route_method, template, endpoint) in ROUTES {
            let Some(captures) = capture(template, &segments) else {
                continue;
            };
            if *route_method != method.as_str() {
                allowed.push(*route_method);
                continue;
            }
            return ApiRoute::with(*endpoint, &captures);
        }
        if allowed.is_empty() {
            Err(RouteError::NotFound)
        } else {
            Err(RouteError::MethodNotAllowed(allowed))
        }
    }

    fn with(endpoint: Endpoint, captures: &[(&str, &str)]) -> Result<ApiRoute, RouteError> {
        let mut route = ApiRoute {
            endpoint,
            account: None,
            user: None,
            mac: None,
            line: None,
            number: None,
            token: None,
        };
        for (name, value) in captures {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            let bad = |message: String| RouteError::BadParameter(parameter_name(name), message);
            match *name {
                "id" => {
                    route.account = Some(
                        value
                            .parse()
                            .map_err(|e: crate::domain::ParseError| bad(e.to_string()))?,
                    )
                }
                "user" => {
                    route.user = Some(
                        value
                            .parse()
                            .map_err(|e: crate::domain::ParseError| bad(e.to_string()))?,
                    )
                }
                "mac" => {
                    route.mac = Some(
                        value
                            .parse()
                            .map_err(|e: crate::domain::ParseError| bad(e.to_string()))?,
                    )
                }
                "n" => {
                    route.line = Some(
                        value
                            .parse()
                            .map_err(|_| bad("must be a line number".into()))?,
                    )
                }
                "number" => {
                    route.number = Some(
                        value
                            .parse()
                            .map_err(|e: crate::domain::ParseError| bad(e.to_string()))?,
                    )
                }
                "token" => {
                    route.token = Some(
                        value
                            .parse()
                            .map_err(|e: crate::domain::ParseError| bad(e.to_string()))?,
                    )
                }
                _ => return Err(RouteError::NotFound),
            }
        }
        Ok(route)
    }
}

fn parameter_name(placeholder: &str) -> &'static str {
    match placeholder {
        "id" => "account",
        "user" => "user",
        "mac" => "mac",
        "n" => "line",
        "number" => "number",
        _ => "token",
    }
}

/// Matches a template against path segments, returning the placeholders' values.
fn capture<'t, 'p>(template: &'t str, segments: &[&'p str]) -> Option<Vec<(&'t str, &'p str)>> {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut captures = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => captures.push((name, *segment)),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(captures)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concrete path for a template.
    pub(crate) fn example(template: &str) -> String {
        let path = template
            .replace("{id}", "7")
            .replace("{user}", "9")
            .replace("{mac}", "00:15:65:aa:bb:cc")
            .replace("{n}", "2")
            .replace("{number}", "%2B15145550100")
            .replace("{token}", "3");
        format!("/api/v1{path}")
    }

    #[test]
    fn every_row_of_the_table_parses_to_its_endpoint() {
        for (method, template, endpoint) in ROUTES {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let route = ApiRoute::parse(&method, &example(template)).unwrap();
            assert_eq!(route.endpoint, *endpoint, "{method} {template}");
        }
    }

    #[test]
    fn parameters_are_typed() {
        let route =
            ApiRoute::parse(&Method::PUT, "/api/v1/devices/0015.65aa.bbcc/lines/3").unwrap();
        assert_eq!(route.mac.unwrap().to_string(), "001565aabbcc");
        assert_eq!(route.line, Some(3));
        let route =
            ApiRoute::parse(&Method::DELETE, "/api/v1/accounts/7/numbers/%2B15145550100").unwrap();
        assert_eq!(route.number.unwrap().as_str(), "+15145550100");
        let bad = ApiRoute::parse(&Method::GET, "/api/v1/devices/ffffffffffff").unwrap_err();
        assert!(matches!(bad, RouteError::BadParameter("mac", _)));
        assert!(matches!(
            ApiRoute::parse(&Method::GET, "/api/v1/accounts/x"),
            Err(RouteError::BadParameter("account", _))
        ));
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(
            ApiRoute::parse(&Method::GET, "/api/v1/nothing"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            ApiRoute::parse(&Method::GET, "/api/v1/accounts/"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            ApiRoute::parse(&Method::GET, "/api/v2/accounts"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            ApiRoute::parse(&Method::PUT, "/api/v1/accounts/7"),
            Err(RouteError::MethodNotAllowed(vec!["GET", "PATCH", "DELETE"]))
        );
    }
}

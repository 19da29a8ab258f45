//! The admin API's route table: every URL of `/api/v1` and of the registrar directory under
//! `/registrar/v1`, one row each, parsed into an [`ApiRoute`] — a variant per call, carrying
//! its typed path values — before any handler runs. A handler cannot meet a missing or
//! malformed path value: the route would not exist. Each route also says who may call it
//! ([`Access`]) and what body it takes ([`BodyKind`]).

use http::Method;

use crate::domain::settings::ProfileName;
use crate::domain::{AccountId, E164, ImageDigest, Mac, ParseError, PinScope, TokenId, UserId};

/// What a request asks for, with its typed path values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRoute {
    OpenApi,
    Models,
    CreateAccount,
    ListAccounts,
    GetAccount(AccountId),
    UpdateAccount(AccountId),
    DeleteAccount(AccountId),
    ListNumbers(AccountId),
    AddNumbers(AccountId),
    RemoveNumber(AccountId, E164),
    CreateUser(AccountId),
    BulkUsers(AccountId),
    ListUsers(AccountId),
    GetUser(UserId),
    UpdateUser(UserId),
    DeleteUser(UserId),
    EnableUser(UserId),
    /// The programmable keys of the user's phone.
    GetLineKeys(UserId),
    SetLineKeys(UserId),
    CreateDevice(AccountId),
    ListDevices(AccountId),
    GetDevice(Mac),
    /// Its label, profile and own settings.
    UpdateDevice(Mac),
    /// Its effective settings and where each comes from.
    DeviceSettings(Mac),
    /// Its file as the phone would get it, every secret masked.
    DevicePreview(Mac),
    DeleteDevice(Mac),
    ArmDevice(Mac),
    /// Its lines move to a new MAC; it goes.
    ReplaceDevice(Mac),
    DeviceAudit(Mac),
    /// `PUT …/lines/{n}`: that line.
    AssignLine(Mac, u16),
    /// `POST …/lines`: the lowest free line.
    AssignLowestLine(Mac),
    RenameLine(Mac, u16),
    DeleteLine(Mac, u16),
    RotateLine(Mac, u16),
    RotateWebPasswords(Mac),
    ListProfiles(AccountId),
    CreateProfile(AccountId),
    GetProfile(AccountId, ProfileName),
    UpdateProfile(AccountId, ProfileName),
    DeleteProfile(AccountId, ProfileName),
    ListUnclaimed,
    ClaimDevice(Mac),
    CreateToken,
    ListTokens,
    DeleteToken(TokenId),
    /// A new data key seals every record (`sipprov rekey`).
    RotateDataKey,
    /// A firmware image, its bytes as the body (`application/octet-stream`).
    UploadFirmware,
    ListFirmware,
    DeleteFirmware(ImageDigest),
    ListFirmwarePins,
    /// Pins a version of a model, globally or for one account, with its stage.
    PinFirmware(PinScope, String),
    UnpinFirmware(PinScope, String),
    /// Registrar directory lookups answered since start (hits and misses).
    DirectoryLookups,
    /// Kamailio: the HA1 of one line as plain text.
    Ha1,
    /// The subscriber rows of every assigned line, for registrars that read their own table.
    Subscribers,
    /// FreeSWITCH `mod_xml_curl`: the directory XML of one user.
    FreeSwitchDirectory,
    /// Asterisk `res_config_curl`: `ps_auths` realtime rows.
    AsteriskAuths(AsteriskCredential, AsteriskRows),
}

/// How an Asterisk `ps_auths` row carries the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsteriskCredential {
    /// `auth_type=md5&md5_cred=HA1`: every Asterisk with PJSIP (deprecated from 21.7/22.2).
    Md5Cred,
    /// `auth_type=digest&password_digest=MD5:HA1`: Asterisk 21.7, 22.2 and later.
    PasswordDigest,
}

/// Which `res_config_curl` call: `single` answers one row, `multi` one row per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsteriskRows {
    Single,
    Multi,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the OpenAPI document.
    Public,
    /// Admin tokens; read-only ones only with `GET`.
    Admin,
    /// Registrar tokens, and admin tokens that are not read-only: the hashes.
    Directory,
}

/// Whether a route reads a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// None is read (reads, deletions, actions without options).
    None,
    /// An empty body means "no options" (`{}` for JSON): re-arming a device, and the
    /// registrars' lookups, whose criteria may be absent.
    Optional,
    /// An empty body is refused (`400`): creations and updates, where it is a mistake.
    Required,
}

/// The body a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    /// `application/octet-stream`, streamed to a file: a firmware image.
    Binary,
    /// `application/x-www-form-urlencoded`, as FreeSWITCH and Asterisk post their lookups.
    Form,
}

impl BodyKind {
    /// The `Content-Type` of such a body.
    pub fn media_type(self) -> &'static str {
        match self {
            BodyKind::Json => "application/json",
            BodyKind::Form => "application/x-www-form-urlencoded",
            BodyKind::Binary => "application/octet-stream",
        }
    }
}

/// Why a request matches no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No route has this path.
    NotFound,
    /// The path exists with other methods (listed for `Allow`).
    MethodNotAllowed(Vec<&'static str>),
    /// A path value is malformed: which one, and why.
    BadParameter(&'static str, String),
}

/// The captured placeholders of a path, parsed on demand into their types.
#[derive(Debug)]
pub struct Params<'a>(Vec<(&'a str, &'a str)>);

impl Params<'_> {
    /// The percent-decoded value of a placeholder, as sent: a path value is not trimmed
    /// (`%20` around a MAC is refused, as the document's pattern says).
    fn text(&self, placeholder: &str, name: &'static str) -> Result<String, RouteError> {
        let text = self
            .0
            .iter()
            .find(|(p, _)| *p == placeholder)
            .map(|(_, value)| *value)
            .ok_or(RouteError::NotFound)?;
        let value = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        if value.trim() != value {
            return Err(RouteError::BadParameter(
                name,
                "must not start or end with spaces".into(),
            ));
        }
        Ok(value.into_owned())
    }

    /// A placeholder parsed into its type; a refusal names the parameter.
    fn parse<T: std::str::FromStr<Err = ParseError>>(
        &self,
        placeholder: &str,
        name: &'static str,
    ) -> Result<T, RouteError> {
        self.text(placeholder, name)?
            .parse()
            .map_err(|e: ParseError| RouteError::BadParameter(name, e.to_string()))
    }

    /// A numeric placeholder: digits only (no sign), as the document's `integer` says.
    fn digits<T: std::str::FromStr>(
        &self,
        placeholder: &str,
        name: &'static str,
        what: &str,
    ) -> Result<T, RouteError> {
        let text = self.text(placeholder, name)?;
        let refuse = || RouteError::BadParameter(name, format!("must be {what}"));
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        text.parse().map_err(|_| refuse())
    }

    fn account(&self) -> Result<AccountId, RouteError> {
        self.digits("id", "account", "an account id (a number)")
            .map(AccountId)
    }

    fn user(&self) -> Result<UserId, RouteError> {
        self.digits("user", "user", "a user id (a number)")
            .map(UserId)
    }

    fn mac(&self) -> Result<Mac, RouteError> {
        self.parse("mac", "mac")
    }

    fn number(&self) -> Result<E164, RouteError> {
        self.parse("number", "number")
    }

    fn token(&self) -> Result<TokenId, RouteError> {
        self.digits("token", "token", "a token id (a number)")
            .map(TokenId)
    }

    fn line(&self) -> Result<u16, RouteError> {
        self.digits("n", "line", "a line number")
    }

    fn profile(&self) -> Result<ProfileName, RouteError> {
        self.parse("name", "profile")
    }

    fn digest(&self) -> Result<ImageDigest, RouteError> {
        self.parse("sha256", "sha256")
    }

    /// A model name as sent; the use case says whether the catalogue knows it.
    fn model(&self) -> Result<String, RouteError> {
        let model = self.text("model", "model")?;
        if model.is_empty() || model.len() > 64 || model.chars().any(char::is_control) {
            return Err(RouteError::BadParameter(
                "model",
                "is not a model name".into(),
            ));
        }
        Ok(model)
    }
}

pub(super) type Build = fn(&Params<'_>) -> Result<ApiRoute, RouteError>;

/// The example value of each placeholder, as the document shows them.
pub(super) const EXAMPLES: &[(&str, &str)] = &[
    ("id", "1"),
    ("user", "1"),
    ("mac", "805ec009abdc"),
    ("n", "1"),
    ("number", "%2B15145550100"),
    ("token", "1"),
    ("name", "reception"),
    ("model", "T46S"),
    (
        "sha256",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
];

/// The route a row of the table builds, with the example path values: which call the row is.
pub(super) fn route_of(template: &str, build: Build) -> Result<ApiRoute, RouteError> {
    let mut path = template.to_owned();
    for (placeholder, value) in EXAMPLES {
        path = path.replace(&format!("{{{placeholder}}}"), value);
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    build(&capture(template, &segments).ok_or(RouteError::NotFound)?)
}

/// Every route: method, path template, how to build the route. Placeholders: `{id}`
/// (account), `{user}`, `{mac}`, `{n}` (line number), `{number}` (E.164), `{token}`,
/// `{name}` (a device profile).
pub const ROUTES: &[(&str, &str, Build)] = &[
    ("GET", "/api/v1/openapi.json", |_| Ok(ApiRoute::OpenApi)),
    ("GET", "/api/v1/models", |_| Ok(ApiRoute::Models)),
    ("POST", "/api/v1/accounts", |_| Ok(ApiRoute::CreateAccount)),
    ("GET", "/api/v1/accounts", |_| Ok(ApiRoute::ListAccounts)),
    ("GET", "/api/v1/accounts/{id}", |p| {
        Ok(ApiRoute::GetAccount(p.account()?))
    }),
    ("PATCH", "/api/v1/accounts/{id}", |p| {
        Ok(ApiRoute::UpdateAccount(p.account()?))
    }),
    ("DELETE", "/api/v1/accounts/{id}", |p| {
        Ok(ApiRoute::DeleteAccount(p.account()?))
    }),
    ("GET", "/api/v1/accounts/{id}/numbers", |p| {
        Ok(ApiRoute::ListNumbers(p.account()?))
    }),
    ("POST", "/api/v1/accounts/{id}/numbers", |p| {
        Ok(ApiRoute::AddNumbers(p.account()?))
    }),
    ("DELETE", "/api/v1/accounts/{id}/numbers/{number}", |p| {
        Ok(ApiRoute::RemoveNumber(p.account()?, p.number()?))
    }),
    ("POST", "/api/v1/accounts/{id}/users", |p| {
        Ok(ApiRoute::CreateUser(p.account()?))
    }),
    ("POST", "/api/v1/accounts/{id}/users/bulk", |p| {
        Ok(ApiRoute::BulkUsers(p.account()?))
    }),
    ("GET", "/api/v1/accounts/{id}/users", |p| {
        Ok(ApiRoute::ListUsers(p.account()?))
    }),
    ("GET", "/api/v1/users/{user}", |p| {
        Ok(ApiRoute::GetUser(p.user()?))
    }),
    ("PATCH", "/api/v1/users/{user}", |p| {
        Ok(ApiRoute::UpdateUser(p.user()?))
    }),
    ("DELETE", "/api/v1/users/{user}", |p| {
        Ok(ApiRoute::DeleteUser(p.user()?))
    }),
    ("POST", "/api/v1/users/{user}/enable", |p| {
        Ok(ApiRoute::EnableUser(p.user()?))
    }),
    ("GET", "/api/v1/users/{user}/line-keys", |p| {
        Ok(ApiRoute::GetLineKeys(p.user()?))
    }),
    ("PUT", "/api/v1/users/{user}/line-keys", |p| {
        Ok(ApiRoute::SetLineKeys(p.user()?))
    }),
    ("POST", "/api/v1/accounts/{id}/devices", |p| {
        Ok(ApiRoute::CreateDevice(p.account()?))
    }),
    ("GET", "/api/v1/accounts/{id}/devices", |p| {
        Ok(ApiRoute::ListDevices(p.account()?))
    }),
    ("GET", "/api/v1/devices/{mac}", |p| {
        Ok(ApiRoute::GetDevice(p.mac()?))
    }),
    ("PATCH", "/api/v1/devices/{mac}", |p| {
        Ok(ApiRoute::UpdateDevice(p.mac()?))
    }),
    ("GET", "/api/v1/devices/{mac}/settings", |p| {
        Ok(ApiRoute::DeviceSettings(p.mac()?))
    }),
    ("GET", "/api/v1/devices/{mac}/preview", |p| {
        Ok(ApiRoute::DevicePreview(p.mac()?))
    }),
    ("GET", "/api/v1/accounts/{id}/profiles", |p| {
        Ok(ApiRoute::ListProfiles(p.account()?))
    }),
    ("POST", "/api/v1/accounts/{id}/profiles", |p| {
        Ok(ApiRoute::CreateProfile(p.account()?))
    }),
    ("GET", "/api/v1/accounts/{id}/profiles/{name}", |p| {
        Ok(ApiRoute::GetProfile(p.account()?, p.profile()?))
    }),
    ("PATCH", "/api/v1/accounts/{id}/profiles/{name}", |p| {
        Ok(ApiRoute::UpdateProfile(p.account()?, p.profile()?))
    }),
    ("DELETE", "/api/v1/accounts/{id}/profiles/{name}", |p| {
        Ok(ApiRoute::DeleteProfile(p.account()?, p.profile()?))
    }),
    ("DELETE", "/api/v1/devices/{mac}", |p| {
        Ok(ApiRoute::DeleteDevice(p.mac()?))
    }),
    ("POST", "/api/v1/devices/{mac}/arm", |p| {
        Ok(ApiRoute::ArmDevice(p.mac()?))
    }),
    ("POST", "/api/v1/devices/{mac}/replace", |p| {
        Ok(ApiRoute::ReplaceDevice(p.mac()?))
    }),
    ("GET", "/api/v1/devices/{mac}/audit", |p| {
        Ok(ApiRoute::DeviceAudit(p.mac()?))
    }),
    ("PUT", "/api/v1/devices/{mac}/lines/{n}", |p| {
        Ok(ApiRoute::AssignLine(p.mac()?, p.line()?))
    }),
    ("POST", "/api/v1/devices/{mac}/lines", |p| {
        Ok(ApiRoute::AssignLowestLine(p.mac()?))
    }),
    ("PATCH", "/api/v1/devices/{mac}/lines/{n}", |p| {
        Ok(ApiRoute::RenameLine(p.mac()?, p.line()?))
    }),
    ("DELETE", "/api/v1/devices/{mac}/lines/{n}", |p| {
        Ok(ApiRoute::DeleteLine(p.mac()?, p.line()?))
    }),
    ("POST", "/api/v1/devices/{mac}/web-passwords/rotate", |p| {
        Ok(ApiRoute::RotateWebPasswords(p.mac()?))
    }),
    ("POST", "/api/v1/devices/{mac}/lines/{n}/rotate", |p| {
        Ok(ApiRoute::RotateLine(p.mac()?, p.line()?))
    }),
    ("GET", "/api/v1/unclaimed", |_| Ok(ApiRoute::ListUnclaimed)),
    ("POST", "/api/v1/unclaimed/{mac}/claim", |p| {
        Ok(ApiRoute::ClaimDevice(p.mac()?))
    }),
    ("POST", "/api/v1/tokens", |_| Ok(ApiRoute::CreateToken)),
    ("GET", "/api/v1/tokens", |_| Ok(ApiRoute::ListTokens)),
    ("DELETE", "/api/v1/tokens/{token}", |p| {
        Ok(ApiRoute::DeleteToken(p.token()?))
    }),
    ("POST", "/api/v1/data-key/rotate", |_| {
        Ok(ApiRoute::RotateDataKey)
    }),
    ("POST", "/api/v1/firmware/images", |_| {
        Ok(ApiRoute::UploadFirmware)
    }),
    ("GET", "/api/v1/firmware/images", |_| {
        Ok(ApiRoute::ListFirmware)
    }),
    ("DELETE", "/api/v1/firmware/images/{sha256}", |p| {
        Ok(ApiRoute::DeleteFirmware(p.digest()?))
    }),
    ("GET", "/api/v1/firmware/pins", |_| {
        Ok(ApiRoute::ListFirmwarePins)
    }),
    ("PUT", "/api/v1/firmware/pins/{model}", |p| {
        Ok(ApiRoute::PinFirmware(PinScope::Global, p.model()?))
    }),
    ("DELETE", "/api/v1/firmware/pins/{model}", |p| {
        Ok(ApiRoute::UnpinFirmware(PinScope::Global, p.model()?))
    }),
    ("PUT", "/api/v1/accounts/{id}/firmware/pins/{model}", |p| {
        Ok(ApiRoute::PinFirmware(
            PinScope::Account(p.account()?),
            p.model()?,
        ))
    }),
    (
        "DELETE",
        "/api/v1/accounts/{id}/firmware/pins/{model}",
        |p| {
            Ok(ApiRoute::UnpinFirmware(
                PinScope::Account(p.account()?),
                p.model()?,
            ))
        },
    ),
    ("GET", "/api/v1/registrar/lookups", |_| {
        Ok(ApiRoute::DirectoryLookups)
    }),
    ("GET", "/registrar/v1/ha1", |_| Ok(ApiRoute::Ha1)),
    ("GET", "/registrar/v1/subscribers", |_| {
        Ok(ApiRoute::Subscribers)
    }),
    ("POST", "/registrar/v1/freeswitch/directory", |_| {
        Ok(ApiRoute::FreeSwitchDirectory)
    }),
    ("POST", "/registrar/v1/asterisk/ps_auths/single", |_| {
        Ok(asterisk(AsteriskCredential::Md5Cred, AsteriskRows::Single))
    }),
    ("POST", "/registrar/v1/asterisk/ps_auths/multi", |_| {
        Ok(asterisk(AsteriskCredential::Md5Cred, AsteriskRows::Multi))
    }),
    (
        "POST",
        "/registrar/v1/asterisk/ps_auths_digest/single",
        |_| {
            Ok(asterisk(
                AsteriskCredential::PasswordDigest,
                AsteriskRows::Single,
            ))
        },
    ),
    (
        "POST",
        "/registrar/v1/asterisk/ps_auths_digest/multi",
        |_| {
            Ok(asterisk(
                AsteriskCredential::PasswordDigest,
                AsteriskRows::Multi,
            ))
        },
    ),
];

fn asterisk(credential: AsteriskCredential, rows: AsteriskRows) -> ApiRoute {
    ApiRoute::AsteriskAuths(credential, rows)
}

impl ApiRoute {
    /// Who may call this route.
    pub fn access(&self) -> Access {
        match self {
            ApiRoute::OpenApi => Access::Public,
            ApiRoute::Ha1
            | ApiRoute::Subscribers
            | ApiRoute::FreeSwitchDirectory
            | ApiRoute::AsteriskAuths(..) => Access::Directory,
            _ => Access::Admin,
        }
    }

    /// Whether this route reads a body, and whether it may be empty.
    pub fn body_use(&self) -> BodyUse {
        match self {
            ApiRoute::CreateAccount
            | ApiRoute::UpdateAccount(_)
            | ApiRoute::AddNumbers(_)
            | ApiRoute::CreateUser(_)
            | ApiRoute::BulkUsers(_)
            | ApiRoute::UpdateUser(_)
            | ApiRoute::EnableUser(_)
            | ApiRoute::SetLineKeys(_)
            | ApiRoute::CreateDevice(_)
            | ApiRoute::AssignLine(..)
            | ApiRoute::AssignLowestLine(_)
            | ApiRoute::RenameLine(..)
            | ApiRoute::ClaimDevice(_)
            | ApiRoute::ReplaceDevice(_)
            | ApiRoute::UpdateDevice(_)
            | ApiRoute::CreateProfile(_)
            | ApiRoute::UpdateProfile(..)
            | ApiRoute::CreateToken
            | ApiRoute::UploadFirmware
            | ApiRoute::PinFirmware(..) => BodyUse::Required,
            ApiRoute::ArmDevice(_)
            | ApiRoute::FreeSwitchDirectory
            | ApiRoute::AsteriskAuths(..) => BodyUse::Optional,
            ApiRoute::OpenApi
            | ApiRoute::Models
            | ApiRoute::ListAccounts
            | ApiRoute::GetAccount(_)
            | ApiRoute::DeleteAccount(_)
            | ApiRoute::ListNumbers(_)
            | ApiRoute::RemoveNumber(..)
            | ApiRoute::ListUsers(_)
            | ApiRoute::GetUser(_)
            | ApiRoute::DeleteUser(_)
            | ApiRoute::ListDevices(_)
            | ApiRoute::GetDevice(_)
            | ApiRoute::GetLineKeys(_)
            | ApiRoute::DeviceSettings(_)
            | ApiRoute::DevicePreview(_)
            | ApiRoute::ListProfiles(_)
            | ApiRoute::GetProfile(..)
            | ApiRoute::DeleteProfile(..)
            | ApiRoute::DeleteDevice(_)
            | ApiRoute::DeviceAudit(_)
            | ApiRoute::DeleteLine(..)
            | ApiRoute::RotateLine(..)
            | ApiRoute::RotateWebPasswords(_)
            | ApiRoute::ListUnclaimed
            | ApiRoute::ListTokens
            | ApiRoute::DeleteToken(_)
            | ApiRoute::RotateDataKey
            | ApiRoute::ListFirmware
            | ApiRoute::DeleteFirmware(_)
            | ApiRoute::ListFirmwarePins
            | ApiRoute::UnpinFirmware(..)
            | ApiRoute::DirectoryLookups
            | ApiRoute::Ha1
            | ApiRoute::Subscribers => BodyUse::None,
        }
    }

    /// The body this route takes, when it takes one.
    pub fn body_kind(&self) -> BodyKind {
        match self {
            ApiRoute::FreeSwitchDirectory | ApiRoute::AsteriskAuths(..) => BodyKind::Form,
            ApiRoute::UploadFirmware => BodyKind::Binary,
            _ => BodyKind::Json,
        }
    }

    /// Parses a request's method and path (without the query string).
    pub fn parse(method: &Method, path: &str) -> Result<ApiRoute, RouteError> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        if !path.starts_with('/') || segments.iter().any(|s| s.is_empty()) {
            return Err(RouteError::NotFound);
        }
        let mut allowed = Vec::new();
        for (route_method, template, build) in ROUTES {
            let Some(params) = capture(template, &segments) else {
                continue;
            };
            if *route_method == method.as_str() {
                return build(&params);
            }
            allowed.push(*route_method);
        }
        if allowed.is_empty() {
            Err(RouteError::NotFound)
        } else {
            Err(RouteError::MethodNotAllowed(allowed))
        }
    }
}

/// Matches a template against path segments, capturing the placeholders' values.
/// Every request is matched against every template until one fits, so this allocates
/// nothing for a template that does not.
fn capture<'a>(template: &'a str, segments: &[&'a str]) -> Option<Params<'a>> {
    let mut parts = template.split('/').skip(1);
    let mut captures = Vec::new();
    for segment in segments {
        let part = parts.next()?;
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => captures.push((name, *segment)),
            None if part == *segment => {}
            None => return None,
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Params(captures))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concrete path for a template.
    fn example(template: &str) -> String {
        template
            .replace("{id}", "7")
            .replace("{user}", "9")
            .replace("{mac}", "00:15:65:aa:bb:cc")
            .replace("{n}", "2")
            .replace("{number}", "%2B15145550100")
            .replace("{token}", "3")
            .replace("{name}", "reception")
            .replace("{model}", "T46S")
            .replace("{sha256}", &"ab".repeat(32))
    }

    #[test]
    fn every_row_of_the_table_parses_to_its_route() {
        for (method, template, build) in ROUTES {
            let path = example(template);
            let segments: Vec<&str> = path.split('/').skip(1).collect();
            let expected = build(&capture(template, &segments).unwrap()).unwrap();
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(
                ApiRoute::parse(&method, &path),
                Ok(expected),
                "{method} {template}"
            );
        }
    }

    #[test]
    fn path_values_are_typed() {
        let mac: Mac = "001565aabbcc".parse().unwrap();
        assert_eq!(
            ApiRoute::parse(&Method::PUT, "/api/v1/devices/0015.65aa.bbcc/lines/3"),
            Ok(ApiRoute::AssignLine(mac, 3))
        );
        assert_eq!(
            ApiRoute::parse(&Method::DELETE, "/api/v1/accounts/7/numbers/%2B15145550100"),
            Ok(ApiRoute::RemoveNumber(
                AccountId(7),
                "+15145550100".parse().unwrap()
            ))
        );
        assert!(matches!(
            ApiRoute::parse(&Method::GET, "/api/v1/devices/ffffffffffff"),
            Err(RouteError::BadParameter("mac", _))
        ));
        assert!(matches!(
            ApiRoute::parse(&Method::GET, "/api/v1/accounts/x"),
            Err(RouteError::BadParameter("account", _))
        ));
        assert!(matches!(
            ApiRoute::parse(&Method::DELETE, "/api/v1/devices/001565aabbcc/lines/70000"),
            Err(RouteError::BadParameter("line", _))
        ));
        // As the document says: ids and line numbers are digits, nothing is trimmed.
        for (path, name) in [
            ("/api/v1/accounts/+7", "account"),
            ("/api/v1/users/%207", "user"),
            ("/api/v1/devices/%20001565aabbcc", "mac"),
            ("/api/v1/devices/001565aabbcc/lines/-1", "line"),
        ] {
            assert!(
                matches!(ApiRoute::parse(&Method::GET, path).or_else(|e| match e {
                    RouteError::MethodNotAllowed(_) => ApiRoute::parse(&Method::DELETE, path),
                    other => Err(other),
                }), Err(RouteError::BadParameter(n, _)) if n == name),
                "{path}"
            );
        }
    }

    #[test]
    fn updates_and_creations_need_a_body() {
        assert_eq!(
            ApiRoute::UpdateAccount(AccountId(1)).body_use(),
            BodyUse::Required
        );
        assert_eq!(ApiRoute::CreateToken.body_use(), BodyUse::Required);
        assert_eq!(
            ApiRoute::ArmDevice(example_mac()).body_use(),
            BodyUse::Optional
        );
        assert_eq!(ApiRoute::FreeSwitchDirectory.body_use(), BodyUse::Optional);
        assert_eq!(ApiRoute::RotateDataKey.body_use(), BodyUse::None);
        for (method, template, build) in ROUTES {
            let route = route_of(template, *build).unwrap();
            if matches!(*method, "GET" | "DELETE") {
                assert_eq!(route.body_use(), BodyUse::None, "{method} {template}");
            }
        }
    }

    fn example_mac() -> Mac {
        "001565aabbcc".parse().unwrap()
    }

    #[test]
    fn only_the_directory_routes_take_registrar_tokens() {
        let directory: Vec<&str> = ROUTES
            .iter()
            .filter(|(_, template, build)| {
                let path = example(template);
                let segments: Vec<&str> = path.split('/').skip(1).collect();
                let route = build(&capture(template, &segments).unwrap()).unwrap();
                route.access() == Access::Directory
            })
            .map(|(_, template, _)| *template)
            .collect();
        assert!(
            directory.iter().all(|t| t.starts_with("/registrar/v1/")),
            "{directory:?}"
        );
        assert_eq!(
            directory.len(),
            ROUTES
                .iter()
                .filter(|(_, t, _)| t.starts_with("/registrar/"))
                .count()
        );
        assert_eq!(ApiRoute::OpenApi.access(), Access::Public);
        assert_eq!(ApiRoute::ListTokens.access(), Access::Admin);
        assert_eq!(ApiRoute::DirectoryLookups.access(), Access::Admin);
    }

    #[test]
    fn unknown_paths_and_methods() {
        for path in [
            "/api/v1/nothing",
            "/api/v1/accounts/",
            "/api/v2/accounts",
            "/api/v1",
            "api/v1/accounts",
            "/api//v1/accounts",
        ] {
            assert_eq!(
                ApiRoute::parse(&Method::GET, path),
                Err(RouteError::NotFound),
                "{path}"
            );
        }
        assert_eq!(
            ApiRoute::parse(&Method::PUT, "/api/v1/accounts/7"),
            Err(RouteError::MethodNotAllowed(vec!["GET", "PATCH", "DELETE"]))
        );
    }
}

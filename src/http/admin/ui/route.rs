//! The web UI's route table: every URL of the admin pages, one row each, parsed into a
//! [`UiRoute`] before any handler runs.

use std::fmt;

use http::Method;

use crate::domain::settings::ProfileName;
use crate::domain::{AccountId, Mac, TokenId, UserId};

/// What a request asks for, with its typed path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiRoute {
    /// `/`: where the signed-in person starts.
    Home,
    /// A static asset (`app.css`, `app.js`).
    Asset(&'static str),
    SignInForm,
    SignIn,
    SignOut,
    /// A `limited` user's own lines and devices.
    Me,
    Accounts,
    NewAccount,
    CreateAccount,
    EditAccount(AccountId),
    UpdateAccount(AccountId),
    Users(AccountId),
    NewUser(AccountId),
    CreateUser(AccountId),
    BulkForm(AccountId),
    /// The bulk order: the summary (dry run), then the order itself.
    Bulk(AccountId),
    Devices(AccountId),
    CreateDevice(AccountId),
    /// The account's phone settings and its device profiles.
    PhoneSettings(AccountId),
    UpdatePhoneSettings(AccountId),
    NewProfile(AccountId),
    CreateProfile(AccountId),
    Profile(AccountId, ProfileName),
    UpdateProfile(AccountId, ProfileName),
    DeleteProfile(AccountId, ProfileName),
    User(UserId),
    EditUser(UserId),
    UpdateUser(UserId),
    EnableForm(UserId),
    Enable(UserId),
    DeleteUserForm(UserId),
    DeleteUser(UserId),
    SetLineKeys(UserId),
    Device(Mac),
    ArmDevice(Mac),
    /// Its lines move to a new MAC; the new device's page follows.
    ReplaceDevice(Mac),
    AssignLine(Mac),
    RenameLine(Mac, u16),
    RotateLine(Mac, u16),
    UnassignLine(Mac, u16),
    RotateWebPasswords(Mac),
    /// A device's profile, own settings and effective settings with their sources.
    DeviceSettings(Mac),
    SetDeviceProfile(Mac),
    UpdateDeviceSettings(Mac),
    /// The device's file as the phone gets it, secrets masked.
    DevicePreview(Mac),
    Unclaimed,
    Claim(Mac),
    /// The API tokens: the list and the create form.
    Tokens,
    /// Creates a token and answers with its secret, shown this once.
    CreateToken,
    RevokeToken(TokenId),
    /// The firmware repository: images, pins and their stages.
    Firmware,
    PinFirmware,
    UnpinFirmware,
    WelcomeForm(LinkToken),
    Welcome(LinkToken),
}

/// The secret of a set-password link, as it appears in the URL. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

/// Why a request matches no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No route has this path, or a path parameter names nothing that can exist.
    NotFound,
    /// The path exists with other methods (listed for `Allow`).
    MethodNotAllowed(Vec<&'static str>),
}

/// The captured placeholders of a path.
struct Params<'a>(Vec<(&'static str, &'a str)>);

impl Params<'_> {
    fn text(&self, name: &str) -> Result<&str, RouteError> {
        self.0
            .iter()
            .find(|(placeholder, _)| *placeholder == name)
            .map(|(_, value)| *value)
            .ok_or(RouteError::NotFound)
    }

    fn account(&self) -> Result<AccountId, RouteError> {
        number(self.text("account")?).map(AccountId)
    }

    fn user(&self) -> Result<UserId, RouteError> {
        number(self.text("user")?).map(UserId)
    }

    /// Any notation a MAC is accepted in (`00:15:65:aa:bb:cc` percent-encoded or not).
    fn mac(&self) -> Result<Mac, RouteError> {
        let text = percent_encoding::percent_decode_str(self.text("mac")?)
            .decode_utf8()
            .map_err(|_| RouteError::NotFound)?;
        text.parse().map_err(|_| RouteError::NotFound)
    }

    /// An API token's id (not its secret: that never appears in a URL).
    fn token_id(&self) -> Result<TokenId, RouteError> {
        number(self.text("token_id")?).map(TokenId)
    }

    /// A device profile's name (lower-case letters, digits, `-`, `_`).
    fn profile(&self) -> Result<ProfileName, RouteError> {
        self.text("profile")?
            .parse()
            .map_err(|_| RouteError::NotFound)
    }

    fn line(&self) -> Result<u16, RouteError> {
        let line = number(self.text("line")?)?;
        u16::try_from(line).map_err(|_| RouteError::NotFound)
    }

    /// Set-password tokens are URL-safe base64 or hex; anything else names no link.
    fn token(&self) -> Result<LinkToken, RouteError> {
        let text = self.text("token")?;
        let plain = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if plain && (16..=128).contains(&text.len()) {
            Ok(LinkToken(text.to_owned()))
        } else {
            Err(RouteError::NotFound)
        }
    }
}

/// Ids are plain decimal numbers, no sign, no leading `+`.
fn number(text: &str) -> Result<u64, RouteError> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RouteError::NotFound);
    }
    text.parse().map_err(|_| RouteError::NotFound)
}

type Build = fn(&Params<'_>) -> Result<UiRoute, RouteError>;

/// Every route: method, path template, how to build the route. Placeholders: `{account}`,
/// `{user}`, `{mac}`, `{line}`, `{profile}`, `{token_id}` (an API token's id), `{token}` (the secret of a
/// set-password link).
const ROUTES: &[(&str, &str, Build)] = &[
    ("GET", "/", |_| Ok(UiRoute::Home)),
    ("GET", "/static/app.css", |_| Ok(UiRoute::Asset("app.css"))),
    ("GET", "/static/app.js", |_| Ok(UiRoute::Asset("app.js"))),
    ("GET", "/signin", |_| Ok(UiRoute::SignInForm)),
    ("POST", "/signin", |_| Ok(UiRoute::SignIn)),
    ("POST", "/signout", |_| Ok(UiRoute::SignOut)),
    ("GET", "/me", |_| Ok(UiRoute::Me)),
    ("GET", "/accounts", |_| Ok(UiRoute::Accounts)),
    ("POST", "/accounts", |_| Ok(UiRoute::CreateAccount)),
    ("GET", "/accounts/new", |_| Ok(UiRoute::NewAccount)),
    ("GET", "/accounts/{account}", |p| {
        Ok(UiRoute::EditAccount(p.account()?))
    }),
    ("POST", "/accounts/{account}", |p| {
        Ok(UiRoute::UpdateAccount(p.account()?))
    }),
    ("GET", "/accounts/{account}/users", |p| {
        Ok(UiRoute::Users(p.account()?))
    }),
    ("POST", "/accounts/{account}/users", |p| {
        Ok(UiRoute::CreateUser(p.account()?))
    }),
    ("GET", "/accounts/{account}/users/new", |p| {
        Ok(UiRoute::NewUser(p.account()?))
    }),
    ("GET", "/accounts/{account}/users/bulk", |p| {
        Ok(UiRoute::BulkForm(p.account()?))
    }),
    ("POST", "/accounts/{account}/users/bulk", |p| {
        Ok(UiRoute::Bulk(p.account()?))
    }),
    ("GET", "/accounts/{account}/devices", |p| {
        Ok(UiRoute::Devices(p.account()?))
    }),
    ("POST", "/accounts/{account}/devices", |p| {
        Ok(UiRoute::CreateDevice(p.account()?))
    }),
    ("GET", "/accounts/{account}/phone-settings", |p| {
        Ok(UiRoute::PhoneSettings(p.account()?))
    }),
    ("POST", "/accounts/{account}/phone-settings", |p| {
        Ok(UiRoute::UpdatePhoneSettings(p.account()?))
    }),
    ("GET", "/accounts/{account}/new-profile", |p| {
        Ok(UiRoute::NewProfile(p.account()?))
    }),
    ("POST", "/accounts/{account}/profiles", |p| {
        Ok(UiRoute::CreateProfile(p.account()?))
    }),
    ("GET", "/accounts/{account}/profiles/{profile}", |p| {
        Ok(UiRoute::Profile(p.account()?, p.profile()?))
    }),
    ("POST", "/accounts/{account}/profiles/{profile}", |p| {
        Ok(UiRoute::UpdateProfile(p.account()?, p.profile()?))
    }),
    (
        "POST",
        "/accounts/{account}/profiles/{profile}/delete",
        |p| Ok(UiRoute::DeleteProfile(p.account()?, p.profile()?)),
    ),
    ("GET", "/users/{user}", |p| Ok(UiRoute::User(p.user()?))),
    ("POST", "/users/{user}/line-keys", |p| {
        Ok(UiRoute::SetLineKeys(p.user()?))
    }),
    ("POST", "/users/{user}", |p| {
        Ok(UiRoute::UpdateUser(p.user()?))
    }),
    ("GET", "/users/{user}/edit", |p| {
        Ok(UiRoute::EditUser(p.user()?))
    }),
    ("GET", "/users/{user}/enable", |p| {
        Ok(UiRoute::EnableForm(p.user()?))
    }),
    ("POST", "/users/{user}/enable", |p| {
        Ok(UiRoute::Enable(p.user()?))
    }),
    ("GET", "/users/{user}/delete", |p| {
        Ok(UiRoute::DeleteUserForm(p.user()?))
    }),
    ("POST", "/users/{user}/delete", |p| {
        Ok(UiRoute::DeleteUser(p.user()?))
    }),
    ("GET", "/devices/{mac}", |p| Ok(UiRoute::Device(p.mac()?))),
    ("POST", "/devices/{mac}/arm", |p| {
        Ok(UiRoute::ArmDevice(p.mac()?))
    }),
    ("POST", "/devices/{mac}/replace", |p| {
        Ok(UiRoute::ReplaceDevice(p.mac()?))
    }),
    ("POST", "/devices/{mac}/lines", |p| {
        Ok(UiRoute::AssignLine(p.mac()?))
    }),
    ("POST", "/devices/{mac}/lines/{line}/rename", |p| {
        Ok(UiRoute::RenameLine(p.mac()?, p.line()?))
    }),
    ("POST", "/devices/{mac}/lines/{line}/rotate", |p| {
        Ok(UiRoute::RotateLine(p.mac()?, p.line()?))
    }),
    ("POST", "/devices/{mac}/lines/{line}/unassign", |p| {
        Ok(UiRoute::UnassignLine(p.mac()?, p.line()?))
    }),
    ("POST", "/devices/{mac}/web-passwords/rotate", |p| {
        Ok(UiRoute::RotateWebPasswords(p.mac()?))
    }),
    ("GET", "/devices/{mac}/settings", |p| {
        Ok(UiRoute::DeviceSettings(p.mac()?))
    }),
    ("POST", "/devices/{mac}/settings", |p| {
        Ok(UiRoute::UpdateDeviceSettings(p.mac()?))
    }),
    ("POST", "/devices/{mac}/profile", |p| {
        Ok(UiRoute::SetDeviceProfile(p.mac()?))
    }),
    ("GET", "/devices/{mac}/preview", |p| {
        Ok(UiRoute::DevicePreview(p.mac()?))
    }),
    ("GET", "/unclaimed", |_| Ok(UiRoute::Unclaimed)),
    ("POST", "/unclaimed/{mac}/claim", |p| {
        Ok(UiRoute::Claim(p.mac()?))
    }),
    ("GET", "/tokens", |_| Ok(UiRoute::Tokens)),
    ("POST", "/tokens", |_| Ok(UiRoute::CreateToken)),
    ("POST", "/tokens/{token_id}/revoke", |p| {
        Ok(UiRoute::RevokeToken(p.token_id()?))
    }),
    ("GET", "/firmware", |_| Ok(UiRoute::Firmware)),
    ("POST", "/firmware/pins", |_| Ok(UiRoute::PinFirmware)),
    ("POST", "/firmware/unpin", |_| Ok(UiRoute::UnpinFirmware)),
    ("GET", "/welcome/{token}", |p| {
        Ok(UiRoute::WelcomeForm(p.token()?))
    }),
    ("POST", "/welcome/{token}", |p| {
        Ok(UiRoute::Welcome(p.token()?))
    }),
];

impl UiRoute {
    /// Parses a request's method and path (without the query string).
    pub fn parse(method: &Method, path: &str) -> Result<UiRoute, RouteError> {
        if path.len() > 512 {
            return Err(RouteError::NotFound);
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        if !path.starts_with('/') || (path != "/" && segments.iter().any(|s| s.is_empty())) {
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

    /// Routes anyone may reach without signing in.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            UiRoute::Asset(_)
                | UiRoute::SignInForm
                | UiRoute::SignIn
                | UiRoute::WelcomeForm(_)
                | UiRoute::Welcome(_)
        )
    }
}

/// Matches `segments` against a template (`/accounts/{account}/users` or `/`).
fn capture<'a>(template: &str, segments: &[&'a str]) -> Option<Params<'a>> {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => params.push((placeholder(name), *segment)),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(Params(params))
}

/// The placeholder names of [`ROUTES`], as `'static` strings.
fn placeholder(name: &str) -> &'static str {
    match name {
        "account" => "account",
        "user" => "user",
        "mac" => "mac",
        "line" => "line",
        "profile" => "profile",
        "token_id" => "token_id",
        "token" => "token",
        // A misspelt placeholder captures nothing any route reads: its routes never match.
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Result<UiRoute, RouteError> {
        UiRoute::parse(&Method::GET, path)
    }

    fn post(path: &str) -> Result<UiRoute, RouteError> {
        UiRoute::parse(&Method::POST, path)
    }

    fn mac() -> Mac {
        "805ec009abdc".parse().unwrap()
    }

    fn reception() -> ProfileName {
        "reception".parse().unwrap()
    }

    #[test]
    fn every_page_of_the_ui_parses() {
        let a = AccountId(7);
        let u = UserId(42);
        let cases = [
            (get("/"), UiRoute::Home),
            (get("/static/app.css"), UiRoute::Asset("app.css")),
            (get("/static/app.js"), UiRoute::Asset("app.js")),
            (get("/signin"), UiRoute::SignInForm),
            (post("/signin"), UiRoute::SignIn),
            (post("/signout"), UiRoute::SignOut),
            (get("/me"), UiRoute::Me),
            (get("/accounts"), UiRoute::Accounts),
            (post("/accounts"), UiRoute::CreateAccount),
            (get("/accounts/new"), UiRoute::NewAccount),
            (get("/accounts/7"), UiRoute::EditAccount(a)),
            (post("/accounts/7"), UiRoute::UpdateAccount(a)),
            (get("/accounts/7/users"), UiRoute::Users(a)),
            (post("/accounts/7/users"), UiRoute::CreateUser(a)),
            (get("/accounts/7/users/new"), UiRoute::NewUser(a)),
            (get("/accounts/7/users/bulk"), UiRoute::BulkForm(a)),
            (post("/accounts/7/users/bulk"), UiRoute::Bulk(a)),
            (get("/accounts/7/devices"), UiRoute::Devices(a)),
            (post("/accounts/7/devices"), UiRoute::CreateDevice(a)),
            (get("/users/42"), UiRoute::User(u)),
            (post("/users/42/line-keys"), UiRoute::SetLineKeys(u)),
            (post("/users/42"), UiRoute::UpdateUser(u)),
            (get("/users/42/edit"), UiRoute::EditUser(u)),
            (get("/users/42/enable"), UiRoute::EnableForm(u)),
            (post("/users/42/enable"), UiRoute::Enable(u)),
            (get("/users/42/delete"), UiRoute::DeleteUserForm(u)),
            (post("/users/42/delete"), UiRoute::DeleteUser(u)),
            (get("/devices/805ec009abdc"), UiRoute::Device(mac())),
            (post("/devices/805ec009abdc/arm"), UiRoute::ArmDevice(mac())),
            (
                post("/devices/805ec009abdc/replace"),
                UiRoute::ReplaceDevice(mac()),
            ),
            (
                post("/devices/805ec009abdc/lines"),
                UiRoute::AssignLine(mac()),
            ),
            (
                post("/devices/805ec009abdc/lines/3/rename"),
                UiRoute::RenameLine(mac(), 3),
            ),
            (
                post("/devices/805ec009abdc/lines/3/rotate"),
                UiRoute::RotateLine(mac(), 3),
            ),
            (
                post("/devices/805ec009abdc/web-passwords/rotate"),
                UiRoute::RotateWebPasswords(mac()),
            ),
            (
                post("/devices/805ec009abdc/lines/3/unassign"),
                UiRoute::UnassignLine(mac(), 3),
            ),
            (get("/accounts/7/phone-settings"), UiRoute::PhoneSettings(a)),
            (
                post("/accounts/7/phone-settings"),
                UiRoute::UpdatePhoneSettings(a),
            ),
            (get("/accounts/7/new-profile"), UiRoute::NewProfile(a)),
            (post("/accounts/7/profiles"), UiRoute::CreateProfile(a)),
            (
                get("/accounts/7/profiles/reception"),
                UiRoute::Profile(a, reception()),
            ),
            (
                post("/accounts/7/profiles/reception"),
                UiRoute::UpdateProfile(a, reception()),
            ),
            (
                post("/accounts/7/profiles/reception/delete"),
                UiRoute::DeleteProfile(a, reception()),
            ),
            (
                get("/devices/805ec009abdc/settings"),
                UiRoute::DeviceSettings(mac()),
            ),
            (
                post("/devices/805ec009abdc/settings"),
                UiRoute::UpdateDeviceSettings(mac()),
            ),
            (
                post("/devices/805ec009abdc/profile"),
                UiRoute::SetDeviceProfile(mac()),
            ),
            (
                get("/devices/805ec009abdc/preview"),
                UiRoute::DevicePreview(mac()),
            ),
            (get("/unclaimed"), UiRoute::Unclaimed),
            (post("/unclaimed/805ec009abdc/claim"), UiRoute::Claim(mac())),
            (get("/tokens"), UiRoute::Tokens),
            (post("/tokens"), UiRoute::CreateToken),
            (post("/tokens/3/revoke"), UiRoute::RevokeToken(TokenId(3))),
            (get("/firmware"), UiRoute::Firmware),
            (post("/firmware/pins"), UiRoute::PinFirmware),
            (post("/firmware/unpin"), UiRoute::UnpinFirmware),
        ];
        let count = cases.len();
        for (parsed, expected) in cases {
            assert_eq!(parsed, Ok(expected));
        }
        assert_eq!(
            count + 2,
            ROUTES.len(),
            "a new route needs a case here (the two welcome routes have their own test)"
        );
    }

    #[test]
    fn macs_are_accepted_in_any_notation() {
        for path in [
            "/devices/80:5E:C0:09:AB:DC",
            "/devices/80%3A5e%3Ac0%3A09%3Aab%3Adc",
            "/devices/80-5e-c0-09-ab-dc",
            "/devices/805e.c009.abdc",
        ] {
            assert_eq!(get(path), Ok(UiRoute::Device(mac())), "{path}");
        }
        assert_eq!(get("/devices/ff:ff:ff:ff:ff:ff"), Err(RouteError::NotFound));
        assert_eq!(get("/devices/not-a-mac"), Err(RouteError::NotFound));
    }

    #[test]
    fn set_password_links_carry_a_hidden_token() {
        let token = "q5mJ0Hx4y_Z-abcdefghijklmnopqrstuvwxyz01234";
        let Ok(UiRoute::WelcomeForm(link)) = get(&format!("/welcome/{token}")) else {
            panic!("the welcome page parses");
        };
        assert_eq!(link.expose(), token);
        assert!(!format!("{link:?}").contains("q5mJ"));
        assert!(matches!(
            post(&format!("/welcome/{token}")),
            Ok(UiRoute::Welcome(_))
        ));
        for bad in ["/welcome/short", "/welcome/..%2f..%2fetc%2fpasswd-xxxxxxxx"] {
            assert_eq!(get(bad), Err(RouteError::NotFound), "{bad}");
        }
    }

    #[test]
    fn malformed_paths_and_parameters_name_nothing() {
        for path in [
            "",
            "/accounts/",
            "//accounts",
            "/accounts//users",
            "/accounts/x/users",
            "/accounts/-1/users",
            "/accounts/+1/users",
            "/accounts/99999999999999999999999/users",
            "/users/1/lines",
            "/devices/805ec009abdc/lines/70000/rename",
            "/api-not/really",
            "/tokens/x/revoke",
            "/tokens/-3/revoke",
            "/accounts/1/profiles/-x",
            "/accounts/1/profiles/Has%20Space",
            "/tokens/abcdefghijklmnopqrstuvwxyz/revoke",
            "/static/../static/app.css",
            "/favicon.ico",
        ] {
            let parsed =
                UiRoute::parse(&Method::GET, path).or_else(|_| UiRoute::parse(&Method::POST, path));
            assert_eq!(parsed, Err(RouteError::NotFound), "{path}");
        }
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        assert_eq!(
            UiRoute::parse(&Method::DELETE, "/users/3"),
            Err(RouteError::MethodNotAllowed(vec!["GET", "POST"]))
        );
        assert_eq!(
            get("/signout"),
            Err(RouteError::MethodNotAllowed(vec!["POST"]))
        );
        assert_eq!(
            get("/tokens/3/revoke"),
            Err(RouteError::MethodNotAllowed(vec!["POST"])),
            "revoking is never a link"
        );
    }

    #[test]
    fn only_signing_in_setting_a_password_and_assets_are_public() {
        let public: Vec<&str> = ROUTES
            .iter()
            .filter(|(_, template, build)| {
                let path = template
                    .replace("{account}", "1")
                    .replace("{user}", "2")
                    .replace("{mac}", "001565aabbcc")
                    .replace("{line}", "1")
                    .replace("{profile}", "reception")
                    .replace("{token_id}", "3")
                    .replace("{token}", "abcdefghijklmnopqrstuvwxyz");
                let segments: Vec<&str> = path.split('/').skip(1).collect();
                let params = capture(template, &segments).unwrap();
                build(&params).unwrap().is_public()
            })
            .map(|(_, template, _)| *template)
            .collect();
        assert_eq!(
            public,
            [
                "/static/app.css",
                "/static/app.js",
                "/signin",
                "/signin",
                "/welcome/{token}",
                "/welcome/{token}"
            ]
        );
        assert!(UiRoute::SignIn.is_public());
        assert!(!UiRoute::SignOut.is_public());
        assert!(!UiRoute::Accounts.is_public());
        assert!(!UiRoute::Me.is_public());
        assert!(!UiRoute::Tokens.is_public() && !UiRoute::CreateToken.is_public());
    }
}

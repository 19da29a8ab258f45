//! The admin web UI: server-rendered pages on the admin listener's every path but `/api/`
//! and `/registrar/`.
//!
//! A request is parsed into a [`UiRoute`] (one table of every URL), its session looked up
//! and the signed-in person's [`Access`] worked out afresh; a form submission must carry the
//! session's CSRF token and is read into a [`Form`]. The route's handler then makes one
//! service call (on a blocking thread: the service does disk I/O and Argon2) and answers
//! with a page or a redirect; `respond` adds the page frame and the security headers. The
//! pages work without JavaScript; `app.js` only adds conveniences the server enforces anyway.

mod access;
mod accounts;
mod bulk;
mod devices;
mod firmware;
mod form;
mod line_keys;
mod respond;
mod route;
mod session;
mod settings;
mod settings_form;
mod signin;
mod tokens;
mod user_form;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::Value;

use self::access::Access;
use self::form::Form;
use self::route::{RouteError, UiRoute};
use self::session::{Principal, Session, SessionLimits, Sessions};
use crate::http::phone::Throttle;
use crate::http::{BodyError, Peer, read_body};
use crate::service::{self, AccountView, Service};

/// Failed sign-ins one address may make at once, regained over [`SIGN_IN_WINDOW`].
const SIGN_IN_BURST: u32 = 20;
const SIGN_IN_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The web UI.
#[derive(Debug)]
pub struct Ui {
    service: Arc<Service>,
    max_body: usize,
    /// Whether the listener runs TLS: session cookies are then `Secure`.
    secure: bool,
    sessions: Sessions,
    /// Failed sign-ins per login (and token guesses per address).
    sign_in_failures: Throttle<String>,
}

/// One request, as the handlers see it.
#[derive(Debug)]
struct Call {
    /// The session the request's cookie names, or the anonymous one just started for it.
    session: Option<Session>,
    /// Who is signed in; `None` on the public pages for visitors.
    access: Option<Access>,
    /// The submitted form (empty for `GET`).
    form: Form,
    /// The query string.
    query: Form,
    peer: Peer,
}

impl Call {
    /// The signed-in admin; `limited` users are refused every admin page.
    fn admin(&self) -> Result<&Access, Failure> {
        match &self.access {
            Some(access) if access.is_admin() => Ok(access),
            _ => Err(Failure::Forbidden(
                "This page is for administrators. Your own lines and devices are under My phone."
                    .into(),
            )),
        }
    }

    /// The signed-in admin, when `account` is theirs to manage. Other accounts do not exist
    /// for them.
    fn admin_of(&self, account: crate::domain::AccountId) -> Result<&Access, Failure> {
        let access = self.admin()?;
        if access.sees_account(account) {
            Ok(access)
        } else {
            Err(Failure::NotFound("account"))
        }
    }

    /// The provider's staff: an API token or a super admin.
    fn provider(&self) -> Result<&Access, Failure> {
        let access = self.admin()?;
        if access.is_provider() {
            Ok(access)
        } else {
            Err(Failure::Forbidden(
                "Only the provider's staff (super admins and API tokens) may do this.".into(),
            ))
        }
    }
}

/// What a handler answers.
#[derive(Debug)]
enum Reply {
    Page(Page),
    /// `303 See Other`, with a message for the next page and maybe a new session cookie.
    Redirect {
        to: String,
        flash: Option<String>,
        cookie: Option<String>,
    },
}

impl Reply {
    fn redirect(to: impl Into<String>) -> Reply {
        Reply::Redirect {
            to: to.into(),
            flash: None,
            cookie: None,
        }
    }

    fn redirect_with(to: impl Into<String>, flash: impl Into<String>) -> Reply {
        Reply::Redirect {
            to: to.into(),
            flash: Some(flash.into()),
            cookie: None,
        }
    }
}

/// A page to render: `templates/admin/<template>.html` with `context` and the frame.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    template: &'static str,
    title: String,
    /// The top navigation entry to highlight (`accounts`, `users`, `devices` …).
    section: &'static str,
    /// The account the page is about, for the navigation.
    account: Option<(u64, String)>,
    context: Value,
}

impl Page {
    fn new(template: &'static str, title: impl Into<String>, context: Value) -> Page {
        Page {
            status: StatusCode::OK,
            template,
            title: title.into(),
            section: "",
            account: None,
            context,
        }
    }

    fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    /// Places the page in an account's section of the navigation.
    fn in_account(mut self, account: &AccountView, section: &'static str) -> Page {
        self.account = Some((account.id.0, account.name.clone()));
        self.section = section;
        self
    }

    fn section(mut self, section: &'static str) -> Page {
        self.section = section;
        self
    }
}

/// Why a request failed; each becomes an error page.
#[derive(Debug)]
enum Failure {
    NotFound(&'static str),
    Forbidden(String),
    BadRequest(String),
    TooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    /// A form without a live session or with the wrong CSRF token.
    Expired,
    /// A private page asked for without a session: go and sign in.
    SignInRequired,
    Service(service::Error),
    /// A failure of this server (logged, never shown).
    Internal(String),
}

impl From<service::Error> for Failure {
    fn from(error: service::Error) -> Failure {
        Failure::Service(error)
    }
}

/// The field → message map of a refused form, or the failure when it is not a refusal.
fn refusals(failure: Failure) -> Result<BTreeMap<String, String>, Failure> {
    match failure {
        Failure::Service(service::Error::Invalid(invalid)) => Ok(invalid.fields().clone()),
        Failure::Service(service::Error::Conflict { field, message }) => {
            Ok(BTreeMap::from([(field, message)]))
        }
        other => Err(other),
    }
}

/// A serializable value, for page contexts.
fn json(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Ui {
    pub fn new(service: Arc<Service>, max_body: usize, secure: bool) -> Ui {
        Ui {
            service,
            max_body,
            secure,
            sessions: Sessions::new(SessionLimits::default()),
            sign_in_failures: Throttle::new(SIGN_IN_BURST, SIGN_IN_WINDOW),
        }
    }

    pub async fn handle(&self, request: Request<Incoming>, peer: Peer) -> Response<Full<Bytes>> {
        let route = match UiRoute::parse(request.method(), request.uri().path()) {
            Ok(route) => route,
            Err(RouteError::NotFound) => return self.bare_failure(Failure::NotFound("page")),
            Err(RouteError::MethodNotAllowed(allowed)) => return respond::not_allowed(&allowed),
        };
        if let UiRoute::Asset(name) = route {
            return respond::asset(self.service.renderer().pages(), name);
        }
        let (session, access, new_cookie) = self.session(&request, &route).await;
        let query = request.uri().query().unwrap_or("").as_bytes();
        let mut call = Call {
            session,
            access,
            form: Form::default(),
            query: Form::parse(query).unwrap_or_default(),
            peer,
        };
        let result = match self.admit(request, &mut call, route.is_public()).await {
            Ok(()) => self.dispatch(route, &call).await,
            Err(failure) => Err(failure),
        };
        let mut response = self.respond(result, &call);
        if let Some(cookie) = new_cookie {
            respond::add_cookie(&mut response, &cookie);
        }
        response
    }

    /// The request's live session and what its principal may do now. A session whose
    /// principal lost its access (a revoked token, a user without portal access) ends; a
    /// visitor of the sign-in or set-password page gets an anonymous session, whose cookie
    /// is returned to be set.
    async fn session(
        &self,
        request: &Request<Incoming>,
        route: &UiRoute,
    ) -> (Option<Session>, Option<Access>, Option<String>) {
        let now = Instant::now();
        let mut session = session::cookie_value(request.headers(), self.secure)
            .and_then(|id| self.sessions.find(id, now));
        let mut access = None;
        if let Some(principal) = session.as_ref().and_then(|s| s.principal) {
            access = self.resolve(principal).await;
            if access.is_none() {
                if let Some(ended) = session.take() {
                    self.sessions.end(&ended.id);
                }
            }
        }
        let mut cookie = None;
        if session.is_none() && matches!(route, UiRoute::SignInForm | UiRoute::WelcomeForm(_)) {
            let anonymous = self.sessions.start(None, now);
            cookie = Some(session::set_cookie(&anonymous.id, self.secure));
            session = Some(anonymous);
        }
        (session, access, cookie)
    }

    /// Reads and checks a form submission (URL-encoded, within the size limit, carrying the
    /// session's CSRF token); refuses signed-out visitors the private pages.
    async fn admit(
        &self,
        request: Request<Incoming>,
        call: &mut Call,
        public: bool,
    ) -> Result<(), Failure> {
        let is_post = request.method() == Method::POST;
        if is_post {
            let urlencoded = request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(';').next())
                .is_some_and(|kind| {
                    kind.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
            if !urlencoded {
                return Err(Failure::UnsupportedMediaType);
            }
            let body = read_body(request.into_body(), self.max_body)
                .await
                .map_err(|error| match error {
                    BodyError::TooLarge { .. } => Failure::TooLarge,
                    BodyError::Read { .. } => Failure::BadRequest("unreadable body".into()),
                })?;
            call.form = Form::parse(&body)
                .ok_or_else(|| Failure::BadRequest("the form is not URL-encoded".into()))?;
            let session = call.session.as_ref().ok_or(Failure::Expired)?;
            if !session.csrf_matches(call.form.text("csrf")) {
                return Err(Failure::Expired);
            }
        }
        if !public && call.access.is_none() {
            return Err(if is_post {
                Failure::Expired
            } else {
                Failure::SignInRequired
            });
        }
        Ok(())
    }

    /// The access a session's principal has now, if it still has any.
    async fn resolve(&self, principal: Principal) -> Option<Access> {
        let found = self
            .run(move |service| match principal {
                Principal::Token(id) => Ok(service
                    .tokens()?
                    .into_iter()
                    .find(|token| token.id == id && token.opens_web_ui(jiff::Timestamp::now()))
                    .map(|token| Access::Provider {
                        secrets: token.secrets,
                        name: token.name,
                        home: None,
                    })),
                Principal::User(id) => match service.user(id) {
                    Ok(user) => Ok(Access::of_user(&user)),
                    Err(service::Error::NotFound(_)) => Ok(None),
                    Err(error) => Err(error),
                },
            })
            .await;
        match found {
            Ok(access) => access,
            Err(failure) => {
                tracing::error!(?failure, "cannot check a session's access");
                None
            }
        }
    }

    /// Runs a use case on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Service) -> Result<T, service::Error> + Send + 'static,
    ) -> Result<T, Failure> {
        let service = Arc::clone(&self.service);
        tokio::task::spawn_blocking(move || work(&service))
            .await
            .map_err(|error| Failure::Internal(format!("a use case panicked: {error}")))?
            .map_err(Failure::Service)
    }

    async fn dispatch(&self, route: UiRoute, call: &Call) -> Result<Reply, Failure> {
        match route {
            UiRoute::Home => self.home(call),
            UiRoute::Asset(_) => Err(Failure::NotFound("page")),
            UiRoute::SignInForm => self.sign_in_form(call),
            UiRoute::SignIn => self.sign_in(call).await,
            UiRoute::SignOut => Ok(self.sign_out(call)),
            UiRoute::Me => self.me(call).await,
            UiRoute::WelcomeForm(token) => self.welcome_form(call, token).await,
            UiRoute::Welcome(token) => self.welcome(call, token).await,
            UiRoute::Accounts => self.accounts(call).await,
            UiRoute::NewAccount => self.new_account(call),
            UiRoute::CreateAccount => self.create_account(call).await,
            UiRoute::EditAccount(id) => self.edit_account(call, id).await,
            UiRoute::UpdateAccount(id) => self.update_account(call, id).await,
            UiRoute::Users(account) => self.users(call, account).await,
            UiRoute::NewUser(account) => self.new_user(call, account).await,
            UiRoute::CreateUser(account) => self.create_user(call, account).await,
            UiRoute::User(id) => self.user(call, id).await,
            UiRoute::SetLineKeys(id) => self.set_line_keys(call, id).await,
            UiRoute::EditUser(id) => self.edit_user(call, id).await,
            UiRoute::UpdateUser(id) => self.update_user(call, id).await,
            UiRoute::EnableForm(id) => self.enable_form(call, id).await,
            UiRoute::Enable(id) => self.enable(call, id).await,
            UiRoute::DeleteUserForm(id) => self.delete_user_form(call, id).await,
            UiRoute::DeleteUser(id) => self.delete_user(call, id).await,
            UiRoute::BulkForm(account) => self.bulk_form(call, account).await,
            UiRoute::Bulk(account) => self.bulk(call, account).await,
            UiRoute::Devices(account) => self.devices(call, account).await,
            UiRoute::CreateDevice(account) => self.create_device(call, account).await,
            UiRoute::PhoneSettings(account) => self.phone_settings(call, account).await,
            UiRoute::UpdatePhoneSettings(account) => {
                self.update_phone_settings(call, account).await
            }
            UiRoute::NewProfile(account) => self.new_profile(call, account).await,
            UiRoute::CreateProfile(account) => self.create_profile(call, account).await,
            UiRoute::Profile(account, name) => self.profile(call, account, name).await,
            UiRoute::UpdateProfile(account, name) => self.update_profile(call, account, name).await,
            UiRoute::DeleteProfile(account, name) => self.delete_profile(call, account, name).await,
            UiRoute::Device(mac) => self.device(call, mac).await,
            UiRoute::ArmDevice(mac) => self.arm_device(call, mac).await,
            UiRoute::ReplaceDevice(mac) => self.replace_device(call, mac).await,
            UiRoute::AssignLine(mac) => self.assign_line(call, mac).await,
            UiRoute::RenameLine(mac, line) => self.rename_line(call, mac, line).await,
            UiRoute::RotateLine(mac, line) => self.rotate_line(call, mac, line).await,
            UiRoute::UnassignLine(mac, line) => self.unassign_line(call, mac, line).await,
            UiRoute::RotateWebPasswords(mac) => self.rotate_web_passwords(call, mac).await,
            UiRoute::DeviceSettings(mac) => self.device_settings(call, mac).await,
            UiRoute::SetDeviceProfile(mac) => self.set_device_profile(call, mac).await,
            UiRoute::UpdateDeviceSettings(mac) => self.update_device_settings(call, mac).await,
            UiRoute::DevicePreview(mac) => self.device_preview(call, mac).await,
            UiRoute::Unclaimed => self.unclaimed(call).await,
            UiRoute::Claim(mac) => self.claim(call, mac).await,
            UiRoute::Tokens => self.tokens(call).await,
            UiRoute::CreateToken => self.create_token(call).await,
            UiRoute::RevokeToken(id) => self.revoke_token(call, id).await,
            UiRoute::Firmware => self.firmware(call).await,
            UiRoute::PinFirmware => self.pin_firmware(call).await,
            UiRoute::UnpinFirmware => self.unpin_firmware(call).await,
        }
    }
}

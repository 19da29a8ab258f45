//! The OpenAPI 3.1 document of the admin API and the registrar directory, generated — not
//! written by hand — from what the server runs on:
//!
//! - the paths and methods are the rows of [`ROUTES`], each described by [`describe`], an
//!   exhaustive `match` on [`ApiRoute`]: a new call does not compile until it is described;
//! - path parameters are typed by their placeholder (ids and line numbers integers, `mac`
//!   and `number` strings with the schema of `Mac` and `E164`), and every path value the
//!   route parses can be refused with `422`;
//! - bodies, answers and query strings are the schemas `utoipa` derives from the types the
//!   handlers read and answer (`AccountInput`, `AccountView`, `PageQuery` …), serde's
//!   attributes included; whether a body is required is the route's [`BodyUse`];
//! - the error statuses follow from the route: what its token, path values, query and body
//!   can be refused for.
//!
//! The same schemas check the strings of every JSON body (`input::json`), so what the
//! document promises is what the server refuses. The document is built once, when the API
//! starts, and is deterministic (ordered maps, no timestamps).

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Map, Value};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ComponentsBuilder, ObjectBuilder, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, Response,
    ResponseBuilder, Schema, ServerBuilder,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::error::ErrorBody;
use super::handlers::{
    AuditQuery, DevicePageQuery, FirmwareQuery, ModelView, NumbersInput, PageQuery, RenameInput,
    UsersQuery,
};
use super::registrar::{AsteriskCriteria, FreeSwitchLookup, Ha1Query, SubscribersQuery};
use super::route::{Access, ApiRoute, BodyKind, BodyUse, ROUTES, route_of};
use crate::domain::{E164, Fetch, Mac, PinScope};
use crate::service::schema::strings::E164_PATTERN;
use crate::service::{
    AccountInput, AccountView, ArmInput, BulkInput, BulkOutcome, ClaimInput, DeviceInput,
    DeviceView, FirmwareView, KeyRotation, LineInput, LookupCounts, NewToken, NumberView,
    OrderSummary, Page, PinInput, PinView, ReplaceInput, SubscriberList, TokenInput, TokenView,
    UnclaimedView, UserInput, UserView,
};

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

const DESCRIPTION: &str = "The admin API of sipprov, a SIP device auto-provisioning server, \
and its registrar directory. Every call but this document needs 'Authorization: Bearer \
<token>'. Admin tokens open /api/v1 (read-only ones may only GET); registrar tokens open \
/registrar/v1 only, which admin tokens that are not read-only may read too. Errors are \
{\"error\":{\"code\",\"message\",\"fields\"}}. Lists are {\"items\",\"next_cursor\"}. A token \
without the secrets right gets every password as null. A token limited to some accounts gets \
404 for the objects of others, as for objects that do not exist. Creations and updates need a \
body (400 without one); a string that must hold a value is refused empty (422), and on update \
a field left out or null keeps its value. This document is generated from the types the \
server reads and answers.";

/// The document, serialized once, and its schemas, which JSON bodies are checked against.
#[derive(Debug)]
pub(crate) struct Contract {
    pub bytes: Bytes,
    pub schemas: Map<String, Value>,
}

impl Contract {
    pub(crate) fn new() -> Contract {
        let value = serde_json::to_value(document()).unwrap_or_default();
        let schemas = value["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let bytes = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Contract { bytes, schemas }
    }
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut schemas = Schemas::default();
    let mut paths = Paths::new();
    for (method, template, build) in ROUTES {
        let Ok(route) = route_of(template, *build) else {
            continue;
        };
        let operation = operation(&route, method, template, &mut schemas);
        paths.add_path_operation(*template, vec![http_method(method)], operation);
    }
    schemas.close_variants(&["NumberInput", "UserNumberInput"]);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas.0)
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("sipprov admin API")
                .version("1")
                .description(Some(DESCRIPTION))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url("/").build()]))
        .security(Some([bearer()]))
        .paths(paths)
        .components(Some(components))
        .build()
}

fn http_method(method: &str) -> HttpMethod {
    match method {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn bearer() -> SecurityRequirement {
    SecurityRequirement::new("bearer", Vec::<String>::new())
}

/// The schemas the document names, collected with everything they refer to.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    /// A reference to `T`'s schema, now part of the document.
    fn named<T: ToSchema>(&mut self) -> RefOr<Schema> {
        self.0.insert(T::name().into_owned(), T::schema());
        self.referenced::<T>();
        RefOr::Ref(Ref::from_schema_name(T::name()))
    }

    /// A page of `T`s, written in place, `T` named.
    fn page<T: ToSchema>(&mut self) -> RefOr<Schema> {
        self.named::<T>();
        self.referenced::<Page<T>>();
        Page::<T>::schema()
    }

    /// A list of `T`s, written in place, `T` named.
    fn list<T: ToSchema>(&mut self) -> RefOr<Schema> {
        ArrayBuilder::new().items(self.named::<T>()).into()
    }

    /// Marks the object variants of untagged enums as closed (`additionalProperties:
    /// false`): serde's `deny_unknown_fields` refuses unknown members there, but the derive
    /// does not carry it to the variants.
    fn close_variants(&mut self, names: &[&str]) {
        for name in names {
            let Some(RefOr::T(Schema::OneOf(one_of))) = self.0.get_mut(*name) else {
                continue;
            };
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }

    fn referenced<T: ToSchema>(&mut self) {
        let mut found = Vec::new();
        T::schemas(&mut found);
        for (name, schema) in found {
            self.0.entry(name).or_insert(schema);
        }
    }
}

/// What a call is and answers, beyond what its route implies.
struct Description {
    summary: &'static str,
    description: Option<&'static str>,
    query: Vec<Parameter>,
    /// The schema of the JSON or form body it reads.
    body: Option<RefOr<Schema>>,
    /// Its answers (success, and a registrar's own "not found").
    answers: Vec<(&'static str, Response)>,
    /// Whether it may find a unique value taken or a record in use (`409`).
    conflict: bool,
    /// Whether it looks something up by a query value (`404`).
    not_found: bool,
}

impl Description {
    fn new(summary: &'static str) -> Description {
        Description {
            summary,
            description: None,
            query: Vec::new(),
            body: None,
            answers: Vec::new(),
            conflict: false,
            not_found: false,
        }
    }

    fn answer(mut self, status: &'static str, response: Response) -> Description {
        self.answers.push((status, response));
        self
    }

    fn body(mut self, schema: RefOr<Schema>) -> Description {
        self.body = Some(schema);
        self
    }

    fn query<P: IntoParams>(mut self) -> Description {
        self.query = P::into_params(|| Some(ParameterIn::Query));
        self
    }

    fn conflict(mut self) -> Description {
        self.conflict = true;
        self
    }

    fn explained(mut self, description: &'static str) -> Description {
        self.description = Some(description);
        self
    }
}

fn json(description: &str, schema: RefOr<Schema>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

fn text(description: &str, content_type: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            content_type,
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
        .build()
}

fn empty(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

/// The call a route is: its summary, query, body and answers.
fn describe(route: &ApiRoute, s: &mut Schemas) -> Description {
    let asterisk_rows = "URL-encoded rows, one per line (CRLF); empty when nothing matches";
    match route {
        ApiRoute::OpenApi => Description::new("This document").answer(
            "200",
            json(
                "OpenAPI 3.1 document",
                ObjectBuilder::new().schema_type(Type::Object).into(),
            ),
        ),
        ApiRoute::Models => Description::new("The device catalogue")
            .answer("200", json("models", s.page::<ModelView>())),
        ApiRoute::CreateAccount => Description::new("Create an account")
            .body(s.named::<AccountInput>())
            .answer("201", json("the account", s.named::<AccountView>()))
            .conflict(),
        ApiRoute::ListAccounts => Description::new("List accounts")
            .query::<PageQuery>()
            .answer(
                "200",
                json("a page of accounts", s.page::<AccountView>()),
            ),
        ApiRoute::GetAccount(_) => Description::new("Read an account")
            .answer("200", json("the account", s.named::<AccountView>())),
        ApiRoute::UpdateAccount(_) => Description::new(
            "Update an account (fields left out keep their value; numbers is the whole pool)",
        )
        .body(s.named::<AccountInput>())
        .answer("200", json("the account", s.named::<AccountView>()))
        .conflict(),
        ApiRoute::DeleteAccount(_) => {
            Description::new("Delete an account (refused while it has users or devices)")
                .answer("204", empty("deleted"))
                .conflict()
        }
        ApiRoute::ListNumbers(_) => Description::new("The number pool")
            .answer("200", json("numbers", s.page::<NumberView>())),
        ApiRoute::AddNumbers(_) => Description::new("Add numbers to the pool")
            .body(s.named::<NumbersInput>())
            .answer("200", json("the pool", s.list::<NumberView>()))
            .conflict(),
        ApiRoute::RemoveNumber(..) => Description::new("Remove a free number from the pool")
            .answer("204", empty("removed"))
            .conflict(),
        ApiRoute::CreateUser(_) => {
            Description::new("Create a user (with the Number & Device section)")
                .body(s.named::<UserInput>())
                .answer(
                    "201",
                    json(
                        "the user, with SIP credentials of its new line",
                        s.named::<UserView>(),
                    ),
                )
                .conflict()
        }
        ApiRoute::BulkUsers(_) => Description::new(
            "Bulk order of unassigned users (dry_run: the order summary only)",
        )
        .body(s.named::<BulkInput>())
        .answer(
            "200",
            json("the order summary of a dry run", s.named::<OrderSummary>()),
        )
        .answer(
            "201",
            json(
                "the created users, with the order summary",
                s.named::<BulkOutcome>(),
            ),
        )
        .conflict(),
        ApiRoute::ListUsers(_) => Description::new("List and search users")
            .query::<UsersQuery>()
            .answer("200", json("a page of users", s.page::<UserView>())),
        ApiRoute::GetUser(_) => {
            Description::new("Read a user").answer("200", json("the user", s.named::<UserView>()))
        }
        ApiRoute::UpdateUser(_) => Description::new("Update a user (the extension never changes)")
            .body(s.named::<UserInput>())
            .answer("200", json("the user", s.named::<UserView>()))
            .conflict(),
        ApiRoute::DeleteUser(_) => Description::new(
            "Delete a user (its lines are freed, its numbers return to the pool)",
        )
        .answer("204", empty("deleted")),
        ApiRoute::EnableUser(_) => Description::new("Give an unassigned user a person")
            .body(s.named::<UserInput>())
            .answer("200", json("the user", s.named::<UserView>()))
            .conflict(),
        ApiRoute::GetLineKeys(_) => Description::new("A user's programmable keys").answer(
            "200",
            json("the keys", s.named::<crate::service::LineKeysView>()),
        ),
        ApiRoute::SetLineKeys(_) => Description::new(
            "Replace a user's programmable keys (their phone's other keys are cleared)",
        )
        .body(s.named::<crate::service::LineKeysInput>())
        .answer(
            "200",
            json("the keys", s.named::<crate::service::LineKeysView>()),
        ),
        ApiRoute::CreateDevice(_) => Description::new("Register a device by MAC")
            .body(s.named::<DeviceInput>())
            .answer(
                "201",
                json(
                    "the device with its provisioning credentials",
                    s.named::<DeviceView>(),
                ),
            )
            .conflict(),
        ApiRoute::ListDevices(_) => Description::new("List devices")
            .query::<DevicePageQuery>()
            .answer(
                "200",
                json("a page of devices", s.page::<DeviceView>()),
            ),
        ApiRoute::GetDevice(_) => Description::new("Read a device")
            .answer("200", json("the device", s.named::<DeviceView>())),
        ApiRoute::UpdateDevice(_) => Description::new(
            "Change a device's label, profile or own settings (fields left out keep their value)",
        )
        .body(s.named::<crate::service::DeviceUpdate>())
        .answer("200", json("the device", s.named::<DeviceView>())),
        ApiRoute::DeviceSettings(_) => Description::new(
            "A device's effective settings: each value with the level it comes from (default, provider, account, profile, device, time_zone)",
        )
        .answer(
            "200",
            json(
                "the effective settings",
                s.named::<crate::service::EffectiveView>(),
            ),
        ),
        ApiRoute::DevicePreview(_) => Description::new(
            "The device's file as the phone would get it, every password masked",
        )
        .answer("200", text("the file", "text/plain; charset=utf-8")),
        ApiRoute::ListProfiles(_) => Description::new("List an account's device profiles")
            .answer(
                "200",
                json("profiles", s.page::<crate::service::ProfileView>()),
            ),
        ApiRoute::CreateProfile(_) => Description::new(
            "Create a device profile: settings an admin assigns to many devices",
        )
        .body(s.named::<crate::service::ProfileInput>())
        .answer(
            "201",
            json("the profile", s.named::<crate::service::ProfileView>()),
        )
        .conflict(),
        ApiRoute::GetProfile(..) => Description::new("Read a device profile").answer(
            "200",
            json("the profile", s.named::<crate::service::ProfileView>()),
        ),
        ApiRoute::UpdateProfile(..) => Description::new(
            "Change a profile's settings (its name stays: devices refer to it)",
        )
        .body(s.named::<crate::service::ProfileInput>())
        .answer(
            "200",
            json("the profile", s.named::<crate::service::ProfileView>()),
        ),
        ApiRoute::DeleteProfile(..) => Description::new(
            "Delete a device profile no device uses (409 otherwise)",
        )
        .answer("204", empty("deleted"))
        .conflict(),
        ApiRoute::DeleteDevice(_) => {
            Description::new("Delete a device and its lines").answer("204", empty("deleted"))
        }
        ApiRoute::ArmDevice(_) => Description::new("Re-arm the first-boot hand-off")
            .explained("The body is optional: without one, the server's window and networks apply.")
            .body(s.named::<ArmInput>())
            .answer("200", json("the device", s.named::<DeviceView>())),
        ApiRoute::ReplaceDevice(_) => Description::new(
            "Replace a device: its lines move to a new MAC, and it goes",
        )
        .explained(
            "Line numbers, names and SIP credentials stay (the registrar directory answers the same hashes); \
             so do the label, profile and own settings. The new device gets fresh provisioning credentials \
             and web passwords, its hand-off armed. The model, the old one's when left out, must be of the \
             same vendor and have a line for every line in use (422 naming `model`); a MAC already \
             registered is 409, the device's own MAC 422. The old device's audit goes with it.",
        )
        .body(s.named::<ReplaceInput>())
        .answer("201", json("the new device", s.named::<DeviceView>()))
        .conflict(),
        ApiRoute::DeviceAudit(_) => {
            Description::new("The device's recorded fetches, newest first")
                .query::<AuditQuery>()
                .answer("200", json("fetches", s.page::<Fetch>()))
        }
        ApiRoute::AssignLine(..) => Description::new("Assign a user to line n")
            .body(s.named::<LineInput>())
            .answer(
                "201",
                json(
                    "the line with its SIP credentials",
                    s.named::<crate::service::LineView>(),
                ),
            )
            .conflict(),
        ApiRoute::AssignLowestLine(_) => Description::new("Assign a user to the lowest free line")
            .body(s.named::<LineInput>())
            .answer(
                "201",
                json(
                    "the line with its SIP credentials",
                    s.named::<crate::service::LineView>(),
                ),
            )
            .conflict(),
        ApiRoute::RenameLine(..) => Description::new("Rename a line")
            .body(s.named::<RenameInput>())
            .answer("200", json("the line", s.named::<crate::service::LineView>())),
        ApiRoute::DeleteLine(..) => {
            Description::new("Unassign a line").answer("204", empty("unassigned"))
        }
        ApiRoute::RotateLine(..) => {
            Description::new("New generated SIP password (the user name stays)")
                .answer("200", json("the line", s.named::<crate::service::LineView>()))
        }
        ApiRoute::RotateWebPasswords(_) => Description::new(
            "New generated passwords for the device's web logins (admin and user); its next file carries them",
        )
        .answer("200", json("the device", s.named::<DeviceView>())),
        ApiRoute::ListUnclaimed => Description::new(
            "Devices that asked for their file without being registered",
        )
        .answer(
            "200",
            json("unclaimed devices", s.page::<UnclaimedView>()),
        ),
        ApiRoute::ClaimDevice(_) => Description::new("Register an unclaimed device to an account")
            .body(s.named::<ClaimInput>())
            .answer("201", json("the device", s.named::<DeviceView>()))
            .conflict(),
        ApiRoute::CreateToken => Description::new("Create an API token (the secret is shown once)")
            .body(s.named::<TokenInput>())
            .answer("201", json("the token", s.named::<NewToken>())),
        ApiRoute::ListTokens => Description::new("List API tokens")
            .answer("200", json("tokens", s.page::<TokenView>())),
        ApiRoute::DeleteToken(_) => Description::new(
            "Revoke an API token (never the last admin token: 409)",
        )
        .answer("204", empty("revoked"))
        .conflict(),
        ApiRoute::RotateDataKey => Description::new(
            "Rotate the data key: a new key seals every record while the server serves; the old key is then forgotten",
        )
        .answer("200", json("the rotation", s.named::<KeyRotation>())),
        ApiRoute::UploadFirmware => {
            let mut upload = Description::new("Upload a firmware image")
            .explained(
                "The body is the image's bytes (application/octet-stream), up to the server's firmware limit (256 MiB by default; larger is 422 naming body). The query says what it is: model (of the catalogue, or a DECT handset model such as W56H) and version; the vendor is optional. Stored as <sha256>.rom in the data directory.",
            )
            .query::<FirmwareQuery>()
            .body(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Binary,
                    )))
                    .min_length(Some(1))
                    .into(),
            )
            .answer("201", json("the image", s.named::<FirmwareView>()))
            .conflict();
            for parameter in &mut upload.query {
                match parameter.name.as_str() {
                    "model" => parameter.schema = Some(firmware_models()),
                    "vendor" => parameter.schema = Some(vendor_ids()),
                    _ => {}
                }
            }
            upload
        }
        ApiRoute::ListFirmware => Description::new("The firmware images")
            .answer("200", json("images", s.page::<FirmwareView>())),
        ApiRoute::DeleteFirmware(_) => Description::new(
            "Delete a firmware image (refused while a pin names its version: 409)",
        )
        .answer("204", empty("deleted"))
        .conflict(),
        ApiRoute::ListFirmwarePins => Description::new("The pinned firmware versions and their stages")
            .answer("200", json("pins", s.page::<PinView>())),
        ApiRoute::PinFirmware(PinScope::Global, _) => Description::new(
            "Pin a firmware version of a model for every account (percent: the stage, by a stable hash of the MAC)",
        )
        .body(s.named::<PinInput>())
        .answer("200", json("the pin", s.named::<PinView>())),
        ApiRoute::PinFirmware(PinScope::Account(_), _) => Description::new(
            "Pin a firmware version of a model for one account (overrides the global pin)",
        )
        .body(s.named::<PinInput>())
        .answer("200", json("the pin", s.named::<PinView>())),
        ApiRoute::UnpinFirmware(PinScope::Global, _) => {
            Description::new("Remove the global pin of a model").answer("204", empty("removed"))
        }
        ApiRoute::UnpinFirmware(PinScope::Account(_), _) => Description::new(
            "Remove an account's pin of a model (its devices follow the global pin)",
        )
        .answer("204", empty("removed")),
        ApiRoute::DirectoryLookups => Description::new(
            "Registrar directory lookups answered since the server started",
        )
        .answer("200", json("hits and misses", s.named::<LookupCounts>())),
        ApiRoute::Ha1 => Description::new(
            "Kamailio: the HA1 of one line (http_client_query + pv_auth_check)",
        )
        .query::<Ha1Query>()
        .answer("200", text("32 lower-case hex digits and a newline", TEXT))
        .answer(
            "404",
            text(
                "'not found': the same bytes for an unknown user or realm and an unassigned or deleted line",
                TEXT,
            ),
        ),
        ApiRoute::Subscribers => {
            let rows = ResponseBuilder::new()
                .description("the rows")
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(s.named::<SubscriberList>()))
                        .build(),
                )
                .content(
                    "text/csv; charset=utf-8",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .build(),
                )
                .content(
                    "application/sql; charset=utf-8",
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .build(),
                )
                .build();
            let mut description = Description::new(
                "The subscriber rows of every assigned line (push to a registrar's own table)",
            )
            .query::<SubscribersQuery>()
            .answer("200", rows);
            description.not_found = true;
            description
        }
        ApiRoute::FreeSwitchDirectory => Description::new(
            "FreeSWITCH mod_xml_curl directory binding: the user's a1-hash",
        )
        .body(s.named::<FreeSwitchLookup>())
        .answer(
            "200",
            text(
                "a freeswitch/xml document: the user with its a1-hash param, or the 'not found' result",
                "text/xml; charset=utf-8",
            ),
        ),
        ApiRoute::AsteriskAuths(credential, rows) => {
            use super::route::{AsteriskCredential as C, AsteriskRows as R};
            let summary = match (credential, rows) {
                (C::Md5Cred, R::Single) => {
                    "Asterisk res_config_curl realtime ps_auths, single: auth_type=md5 with md5_cred (every Asterisk with PJSIP)"
                }
                (C::Md5Cred, R::Multi) => {
                    "Asterisk res_config_curl realtime ps_auths, multi: auth_type=md5 with md5_cred (every Asterisk with PJSIP)"
                }
                (C::PasswordDigest, R::Single) => {
                    "Asterisk res_config_curl realtime ps_auths, single: auth_type=digest with password_digest=MD5:HA1 (Asterisk 21.7, 22.2 and later)"
                }
                (C::PasswordDigest, R::Multi) => {
                    "Asterisk res_config_curl realtime ps_auths, multi: auth_type=digest with password_digest=MD5:HA1 (Asterisk 21.7, 22.2 and later)"
                }
            };
            let criteria = match rows {
                R::Single => {
                    "Criteria as res_config_curl posts them: id=<user>@<domain>; other criteria match nothing. The id of a line's auth object is <SIP user>@<SIP domain>."
                }
                R::Multi => {
                    "Criteria as res_config_curl posts them: id=<user>@<domain>, or 'id LIKE'=<prefix>% ; other criteria match nothing. The id of a line's auth object is <SIP user>@<SIP domain>."
                }
            };
            Description::new(summary)
                .explained(criteria)
                .body(s.named::<AsteriskCriteria>())
                .answer("200", text(asterisk_rows, TEXT))
        }
    }
}

/// The operation of one row of the table.
fn operation(route: &ApiRoute, method: &str, template: &str, s: &mut Schemas) -> Operation {
    let call = describe(route, s);
    let access = route.access();
    let placeholders: Vec<&str> = template
        .split('/')
        .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect();
    let mut parameters: Vec<Parameter> = placeholders.iter().map(|p| path_parameter(p)).collect();
    let has_query = !call.query.is_empty();
    parameters.extend(call.query);
    let mut builder = OperationBuilder::new()
        .summary(Some(call.summary))
        .description(call.description)
        .operation_id(Some(operation_id(route)))
        .parameters(Some(parameters));
    let body_use = route.body_use();
    if let Some(schema) = call.body {
        let content_type = route.body_kind().media_type();
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    content_type,
                    ContentBuilder::new().schema(Some(schema)).build(),
                )
                .required(Some(if body_use == BodyUse::Required {
                    Required::True
                } else {
                    Required::False
                }))
                .build(),
        ));
    }
    let mut responses: BTreeMap<&str, Response> = call.answers.into_iter().collect();
    let error = |description: &str, s: &mut Schemas| json(description, s.named::<ErrorBody>());
    let reads_body = body_use != BodyUse::None;
    if reads_body {
        let what = match route.body_kind() {
            BodyKind::Json => "malformed JSON, or no body where one is required",
            BodyKind::Form => "the body could not be read",
            BodyKind::Binary => "no body, or one that could not be read",
        };
        responses.insert("400", error(what, s));
    }
    match access {
        Access::Public => {
            builder = builder.securities(Some(Vec::<SecurityRequirement>::new()));
        }
        Access::Admin | Access::Directory => {
            let mut unauthorized = error("no or unknown bearer token", s);
            unauthorized.headers.insert(
                "WWW-Authenticate".into(),
                RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .description(Some("Bearer realm=\"sipprov\""))
                        .build(),
                ),
            );
            responses.insert("401", unauthorized);
            responses.insert(
                "403",
                error(
                    "the token does not open this call: a read-only token writing, a registrar token outside the directory, an admin token limited to some accounts calling the provider's own calls",
                    s,
                ),
            );
            if access == Access::Directory {
                builder = builder.securities(Some([
                    bearer(),
                    SecurityRequirement::new("basic", Vec::<String>::new()),
                ]));
            }
        }
    }
    if !placeholders.is_empty() || call.not_found {
        responses
            .entry("404")
            .or_insert_with(|| error("no such record", s));
    }
    if call.conflict {
        responses.insert(
            "409",
            error("a unique value is taken, or the record is in use", s),
        );
    }
    if reads_body {
        responses.insert("413", error("the body is over the limit", s));
        let expected = match route.body_kind() {
            BodyKind::Json => "the body is not application/json",
            BodyKind::Form => "the body is not application/x-www-form-urlencoded",
            BodyKind::Binary => "the body is not application/octet-stream",
        };
        responses.insert("415", error(expected, s));
    }
    if !placeholders.is_empty() || has_query || reads_body {
        responses.insert(
            "422",
            error("rule violations, every failing field named", s),
        );
    }
    let _ = method;
    for (status, response) in responses {
        builder = builder.response(status, response);
    }
    builder.build()
}

/// A path parameter, typed as the route table parses it.
fn path_parameter(placeholder: &str) -> Parameter {
    let id = |what: &str| {
        (
            format!("{what} id"),
            RefOr::from(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(0)),
            ),
            Value::from(1),
        )
    };
    let (description, schema, example) = match placeholder {
        "model" => (
            "a model of the catalogue, or a DECT handset model".to_owned(),
            firmware_models(),
            Value::from("T46S"),
        ),
        "sha256" => (
            "SHA-256 of the image, 64 hex digits".to_owned(),
            RefOr::from(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[0-9a-fA-F]{64}$")),
            ),
            Value::from("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ),
        "id" => id("account"),
        "user" => id("user"),
        "token" => id("token"),
        "n" => (
            "line number".to_owned(),
            RefOr::from(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(65535)),
            ),
            Value::from(1),
        ),
        "name" => (
            "profile name".to_owned(),
            RefOr::from(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[a-z0-9][a-z0-9_-]{0,31}$")),
            ),
            Value::from("reception"),
        ),
        "mac" => (
            "MAC address in any notation".to_owned(),
            Mac::schema(),
            Value::from("805ec009abdc"),
        ),
        _ => (
            "E.164 number, URL-encoded (%2B for +)".to_owned(),
            e164_in_path(),
            Value::from("+15145550100"),
        ),
    };
    ParameterBuilder::new()
        .name(placeholder)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .example(Some(example))
        .build()
}

/// What firmware may be uploaded and pinned for: the catalogue's models and its vendors'
/// DECT handset models.
fn firmware_models() -> RefOr<Schema> {
    let catalogue = crate::vendors::Catalogue::builtin();
    let mut names: Vec<String> = catalogue.models().map(|m| m.name.clone()).collect();
    for vendor in catalogue.vendors() {
        names.extend(vendor.handset_models.iter().cloned());
    }
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .into()
}

/// The catalogue's vendor ids.
fn vendor_ids() -> RefOr<Schema> {
    let ids: Vec<String> = crate::vendors::Catalogue::builtin()
        .vendors()
        .map(|v| v.id.clone())
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ids))
        .into()
}

/// An E.164 number as a path value: `E164`'s schema, with the characters it may hold.
fn e164_in_path() -> RefOr<Schema> {
    match E164::schema() {
        RefOr::T(Schema::Object(mut object)) => {
            object.pattern = Some(format!("^{E164_PATTERN}$"));
            RefOr::T(Schema::Object(object))
        }
        other => other,
    }
}

/// `getAccount`, `asteriskAuthsMd5CredSingle`: the route's variant name.
fn operation_id(route: &ApiRoute) -> String {
    let name = match route {
        ApiRoute::AsteriskAuths(credential, rows) => format!("AsteriskAuths{credential:?}{rows:?}"),
        ApiRoute::PinFirmware(PinScope::Account(_), _) => "PinAccountFirmware".into(),
        ApiRoute::UnpinFirmware(PinScope::Account(_), _) => "UnpinAccountFirmware".into(),
        other => {
            let debug = format!("{other:?}");
            debug.split('(').next().unwrap_or_default().to_owned()
        }
    };
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document_value() -> Value {
        serde_json::to_value(document()).unwrap_or_default()
    }

    #[test]
    fn golden_openapi_document() {
        let text = serde_json::to_string_pretty(&document_value()).unwrap_or_default() + "\n";
        crate::golden::check("api", "openapi.json", &text);
    }

    #[test]
    fn every_row_of_the_table_is_an_operation_with_its_parameters() {
        let document = document_value();
        for (method, template, _) in ROUTES {
            let operation = &document["paths"][*template][method.to_ascii_lowercase()];
            assert!(operation.is_object(), "{method} {template}");
            let named: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let placeholders: Vec<&str> = template
                .split('/')
                .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
                .collect();
            assert_eq!(named, placeholders, "{method} {template}");
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = document_value();
        let text = document.to_string();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let name = reference
                .split('"')
                .next()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .unwrap_or_default();
            assert!(
                document["components"]["schemas"][name].is_object(),
                "{name} is referred to but not in the document"
            );
        }
    }

    #[test]
    fn the_document_is_the_same_every_time() {
        assert_eq!(
            serde_json::to_string(&document()).ok(),
            serde_json::to_string(&document()).ok()
        );
    }
}

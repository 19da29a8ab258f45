//! The admin sub-commands: each builds one request to the admin API and prints its answer
//! as a table (or, with `--json`, as the server's JSON).

use clap::{Args, Subcommand};
use http::Method;
use serde_json::{Map, Value, json};

use super::api::{Api, Connection};
use super::table::{print_items, print_record};

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account
    Add(AccountArgs),
    /// List accounts
    List,
    /// Show an account
    Show { id: u64 },
    /// Delete an account (it must have no users or devices)
    Rm { id: u64 },
}

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[arg(long)]
    name: String,
    /// SIP domain (realm)
    #[arg(long)]
    domain: String,
    /// Account group name (suffix of app usernames)
    #[arg(long)]
    group_name: Option<String>,
    /// Registrar host
    #[arg(long)]
    registrar: String,
    #[arg(long)]
    registrar_port: Option<u16>,
    /// udp, tcp or tls
    #[arg(long)]
    transport: Option<String>,
    /// Backup registrar host (phones turn to it when the registrar does not answer)
    #[arg(long)]
    backup_registrar: Option<String>,
    #[arg(long, requires = "backup_registrar")]
    backup_registrar_port: Option<u16>,
    /// udp, tcp or tls
    #[arg(long, requires = "backup_registrar")]
    backup_transport: Option<String>,
    /// en or fr
    #[arg(long)]
    language: Option<String>,
    /// IANA time zone, e.g. America/New_York
    #[arg(long)]
    time_zone: Option<String>,
    /// Pool number (repeatable), E.164, optionally followed by its area code:
    /// --number "+14385550101 438"
    #[arg(long = "number")]
    numbers: Vec<String>,
    /// Calling plan on offer (repeatable)
    #[arg(long = "calling-plan")]
    calling_plans: Vec<String>,
    #[arg(long)]
    default_calling_plan: Option<String>,
    /// per_device or account
    #[arg(long)]
    device_auth: Option<String>,
    #[arg(long)]
    min_length: Option<u8>,
    #[arg(long)]
    max_length: Option<u8>,
    /// Extension range (repeatable), e.g. 100-899
    #[arg(long = "range")]
    ranges: Vec<String>,
    /// Reserved range (repeatable), e.g. 900-999
    #[arg(long = "reserved")]
    reserved: Vec<String>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Show a user's programmable phone keys, or replace them with --key (in order)
    LineKeys {
        id: u64,
        /// TYPE[:VALUE[:LABEL]], TYPE one of line, blf, speed_dial, park, voicemail, with
        /// @LINE for another account than 1: blf:202:Bob, speed_dial:+15145550100:Mom,
        /// line@2, voicemail::Messages
        #[arg(long = "key", value_name = "SPEC")]
        keys: Vec<String>,
        /// Remove every key
        #[arg(long, conflicts_with = "keys")]
        clear: bool,
    },
    /// Create a user (optionally with a device line)
    Add {
        #[arg(long)]
        account: u64,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// List or search users
    List {
        #[arg(long)]
        account: u64,
        /// Name, username, email or extension contains
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Extension starts with
        #[arg(long)]
        extension: Option<String>,
        /// active or unassigned
        #[arg(long)]
        status: Option<String>,
    },
    /// Show a user
    Show { id: u64 },
    /// Delete a user (its lines are freed)
    Rm { id: u64 },
    /// Give an unassigned user a person
    Enable {
        id: u64,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// Order N unassigned users with consecutive extensions
    Bulk {
        #[arg(long)]
        account: u64,
        #[arg(long)]
        quantity: u32,
        #[arg(long)]
        area_code: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// Show the order summary only
        #[arg(long)]
        dry_run: bool,
    },
}

/// The user form, as flags.
#[derive(Debug, Args)]
pub struct PersonArgs {
    /// person, call_queue, auto_attendant, ring_group, voicemail_box or call_routing
    #[arg(long = "type")]
    kind: Option<String>,
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    #[arg(long)]
    extension: Option<String>,
    #[arg(long)]
    language: Option<String>,
    #[arg(long)]
    time_zone: Option<String>,
    /// Tag (repeatable)
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Notification email (repeatable)
    #[arg(long = "notification-email")]
    notification_emails: Vec<String>,
    #[arg(long)]
    username: Option<String>,
    /// standard, advanced or professional
    #[arg(long)]
    feature_plan: Option<String>,
    #[arg(long)]
    portal_access: Option<bool>,
    /// limited or admin (or a user scope such as office_manager)
    #[arg(long)]
    role: Option<String>,
    /// super, advanced, standard or basic
    #[arg(long)]
    admin_level: Option<String>,
    #[arg(long)]
    block_welcome_email: bool,
    #[arg(long)]
    calling_plan: Option<String>,
    #[arg(long)]
    emergency_caller_id: Option<String>,
    #[arg(long)]
    no_voicemail: bool,
    #[arg(long)]
    voicemail_pin: Option<String>,
    /// A pool number, or area:CODE for a new number in an area code (repeatable)
    #[arg(long = "number")]
    numbers: Vec<String>,
    /// A device line: the device's MAC …
    #[arg(long)]
    mac: Option<String>,
    /// … its model (when not registered yet) …
    #[arg(long)]
    model: Option<String>,
    /// … the line number (lowest free when left out) …
    #[arg(long)]
    line: Option<u16>,
    /// … and the name shown on the phone
    #[arg(long)]
    line_name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device by MAC
    Add {
        #[arg(long)]
        account: u64,
        #[arg(long)]
        mac: String,
        #[arg(long)]
        model: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// List an account's devices
    List {
        #[arg(long)]
        account: u64,
    },
    /// Show a device with its lines and provisioning credentials
    Show { mac: String },
    /// Delete a device and its lines
    Rm { mac: String },
    /// Give the device new web passwords (admin and user logins of its web page)
    RotateWebPasswords { mac: String },
    /// Replace a broken device: its lines, with their SIP credentials, move to a new MAC
    Replace {
        /// The device replaced; it is deleted
        #[arg(value_name = "OLD")]
        mac: String,
        /// The new device's MAC
        #[arg(long = "mac")]
        new_mac: String,
        /// The new device's model (the old one's when left out)
        #[arg(long)]
        model: Option<String>,
    },
    /// Re-arm the first-boot hand-off (a factory-reset phone)
    Arm {
        mac: String,
        #[arg(long)]
        hours: Option<u32>,
        /// Network the first fetch must come from (repeatable)
        #[arg(long = "network")]
        networks: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LineCommand {
    /// Assign a user to a line (lowest free when --line is left out)
    Assign {
        #[arg(long)]
        mac: String,
        #[arg(long)]
        line: Option<u16>,
        #[arg(long)]
        user: u64,
        #[arg(long)]
        name: Option<String>,
    },
    /// Unassign a line
    Rm {
        #[arg(long)]
        mac: String,
        #[arg(long)]
        line: u16,
    },
    /// Give a line a new SIP password
    Rotate {
        #[arg(long)]
        mac: String,
        #[arg(long)]
        line: u16,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnclaimedCommand {
    /// Devices that asked for their file without being registered
    List,
    /// Register an unclaimed device to an account
    Claim {
        mac: String,
        #[arg(long)]
        account: u64,
        #[arg(long)]
        model: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (its secret is shown once)
    #[command(alias = "create")]
    Add {
        #[arg(long)]
        name: String,
        /// admin (the admin API and web UI), read_only (an admin token that may only read)
        /// or registrar (the registrar directory's HA1 lookups only)
        #[arg(long, default_value = "admin")]
        scope: String,
        /// An admin token that may only read
        #[arg(long)]
        read_only: bool,
        /// May read secrets (SIP, provisioning and phone web passwords); without, they are
        /// masked in every answer
        #[arg(long)]
        secrets: bool,
        /// When the token stops working, RFC 3339 (2027-01-31T00:00:00Z)
        #[arg(long)]
        expires_at: Option<String>,
        /// The only accounts the token may see (repeatable) [default: every account]
        #[arg(long = "account")]
        accounts: Vec<u64>,
    },
    /// List tokens
    List,
    /// Revoke a token
    Rm { id: u64 },
}

#[derive(Debug, Subcommand)]
pub enum RegistrarCommand {
    /// Print the subscriber rows (user, domain, HA1, HA1b; never a password) of every
    /// assigned line, for a registrar that reads its own table
    Export {
        /// kamailio-sql (replaces the rows of the exported domains in Kamailio's
        /// subscriber table), csv or json
        #[arg(long)]
        format: String,
        /// Only this account's lines
        #[arg(long)]
        account: Option<u64>,
    },
    /// Directory lookups answered since the server started
    Lookups,
}

/// Adds `key` to a JSON object when the value is given.
fn put(body: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        body.insert(key.to_owned(), value);
    }
}

fn strings(values: &[String]) -> Option<Value> {
    (!values.is_empty()).then(|| json!(values))
}

impl AccountArgs {
    fn body(&self) -> Value {
        let mut body = Map::new();
        put(&mut body, "name", Some(json!(self.name)));
        put(&mut body, "domain", Some(json!(self.domain)));
        put(
            &mut body,
            "group_name",
            self.group_name.as_ref().map(|v| json!(v)),
        );
        let mut registrar = Map::new();
        put(&mut registrar, "host", Some(json!(self.registrar)));
        put(
            &mut registrar,
            "port",
            self.registrar_port.map(|v| json!(v)),
        );
        put(
            &mut registrar,
            "transport",
            self.transport.as_ref().map(|v| json!(v)),
        );
        body.insert("registrar".into(), Value::Object(registrar));
        if let Some(host) = &self.backup_registrar {
            let mut backup = Map::new();
            put(&mut backup, "host", Some(json!(host)));
            put(
                &mut backup,
                "port",
                self.backup_registrar_port.map(|v| json!(v)),
            );
            put(
                &mut backup,
                "transport",
                self.backup_transport.as_ref().map(|v| json!(v)),
            );
            body.insert("backup_registrar".into(), Value::Object(backup));
        }
        let mut numbering = Map::new();
        put(
            &mut numbering,
            "min_length",
            self.min_length.map(|v| json!(v)),
        );
        put(
            &mut numbering,
            "max_length",
            self.max_length.map(|v| json!(v)),
        );
        put(&mut numbering, "ranges", strings(&self.ranges));
        put(&mut numbering, "reserved", strings(&self.reserved));
        if !numbering.is_empty() {
            body.insert("numbering".into(), Value::Object(numbering));
        }
        put(
            &mut body,
            "language",
            self.language.as_ref().map(|v| json!(v)),
        );
        put(
            &mut body,
            "time_zone",
            self.time_zone.as_ref().map(|v| json!(v)),
        );
        put(&mut body, "numbers", pool_numbers(&self.numbers));
        put(&mut body, "calling_plans", strings(&self.calling_plans));
        put(
            &mut body,
            "default_calling_plan",
            self.default_calling_plan.as_ref().map(|v| json!(v)),
        );
        put(
            &mut body,
            "device_auth",
            self.device_auth.as_ref().map(|v| json!(v)),
        );
        Value::Object(body)
    }
}

impl PersonArgs {
    fn body(&self) -> Value {
        let text = |value: &Option<String>| value.as_ref().map(|v| json!(v));
        let mut body = Map::new();
        for (key, value) in [
            ("type", &self.kind),
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("extension", &self.extension),
            ("language", &self.language),
            ("time_zone", &self.time_zone),
            ("department", &self.department),
            ("email", &self.email),
            ("username", &self.username),
            ("feature_plan", &self.feature_plan),
            ("role", &self.role),
            ("admin_level", &self.admin_level),
            ("calling_plan", &self.calling_plan),
            ("emergency_caller_id", &self.emergency_caller_id),
        ] {
            put(&mut body, key, text(value));
        }
        put(&mut body, "tags", strings(&self.tags));
        put(
            &mut body,
            "notification_emails",
            strings(&self.notification_emails),
        );
        put(
            &mut body,
            "portal_access",
            self.portal_access.map(|v| json!(v)),
        );
        put(
            &mut body,
            "block_welcome_email",
            self.block_welcome_email.then_some(json!(true)),
        );
        if self.no_voicemail || self.voicemail_pin.is_some() {
            body.insert(
                "voicemail".into(),
                json!({"enabled": !self.no_voicemail, "pin": self.voicemail_pin}),
            );
        }
        let numbers: Vec<Value> = self
            .numbers
            .iter()
            .map(|n| match n.strip_prefix("area:") {
                Some(code) => json!({"area_code": code}),
                None => json!(n),
            })
            .collect();
        put(
            &mut body,
            "numbers",
            (!numbers.is_empty()).then(|| json!(numbers)),
        );
        if let Some(mac) = &self.mac {
            body.insert(
                "device".into(),
                json!({"mac": mac, "model": self.model, "line": self.line, "line_name": self.line_name}),
            );
        }
        Value::Object(body)
    }
}

const ACCOUNT_FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("name", "name"),
    ("domain", "domain"),
    ("group name", "group_name"),
    ("registrar", "registrar.host"),
    ("registrar port", "registrar.port"),
    ("transport", "registrar.transport"),
    ("backup registrar", "backup_registrar.host"),
    ("language", "language"),
    ("time zone", "time_zone"),
    ("calling plans", "calling_plans"),
    ("device auth", "device_auth"),
    ("prov. username", "provisioning.username"),
    ("prov. password", "provisioning.password"),
];

const USER_FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("name", "display_name"),
    ("status", "status"),
    ("type", "type"),
    ("extension", "extension"),
    ("feature plan", "feature_plan"),
    ("portal access", "portal_access"),
    ("email", "email"),
    ("username", "username"),
    ("app username", "app_username"),
    ("role", "role"),
    ("numbers", "numbers"),
    ("tags", "tags"),
    ("system tags", "system_tags"),
];

const LINE_COLUMNS: &[(&str, &str)] = &[
    ("mac", "mac"),
    ("line", "line"),
    ("name", "name"),
    ("sip user", "sip.username"),
    ("sip password", "sip.password"),
    ("domain", "sip.domain"),
];

const DEVICE_FIELDS: &[(&str, &str)] = &[
    ("mac", "mac"),
    ("model", "model"),
    ("account", "account"),
    ("label", "label"),
    ("lines", "line_count"),
    ("prov. mode", "provisioning.mode"),
    ("prov. username", "provisioning.username"),
    ("prov. password", "provisioning.password"),
    ("armed until", "provisioning.armed_until"),
    ("handed off", "provisioning.handed_off_at"),
    ("refused", "provisioning.refused_attempts"),
    ("profile", "profile"),
    ("wrong model", "model_mismatch.model"),
    ("wrong model at", "model_mismatch.last_at"),
    ("web admin", "web.admin.password"),
    ("web user", "web.user.password"),
    ("last fetch", "last_fetch.at"),
    ("last address", "last_fetch.address"),
    ("firmware", "last_fetch.firmware"),
];

/// Runs one admin command: one API call, then the output.
pub async fn account(connection: &Connection, command: AccountCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let (value, show): (Value, fn(&Value)) = match command {
        AccountCommand::Add(args) => (
            api.call(Method::POST, "/accounts", Some(&args.body()))
                .await?,
            |v| print_record(v, ACCOUNT_FIELDS),
        ),
        AccountCommand::List => (
            api.call(Method::GET, "/accounts?limit=500", None).await?,
            |v| {
                print_items(
                    &v["items"],
                    &[
                        ("id", "id"),
                        ("name", "name"),
                        ("domain", "domain"),
                        ("group", "group_name"),
                        ("auth", "device_auth"),
                    ],
                )
            },
        ),
        AccountCommand::Show { id } => (
            api.call(Method::GET, &format!("/accounts/{id}"), None)
                .await?,
            |v| {
                print_record(v, ACCOUNT_FIELDS);
                say!();
                print_items(
                    &v["numbers"],
                    &[
                        ("number", "number"),
                        ("area code", "area_code"),
                        ("user", "user"),
                    ],
                );
            },
        ),
        AccountCommand::Rm { id } => (
            api.call(Method::DELETE, &format!("/accounts/{id}"), None)
                .await?,
            |_| say!("deleted"),
        ),
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn user(connection: &Connection, command: UserCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let show_user: fn(&Value) = |v| {
        print_record(v, USER_FIELDS);
        if v["lines"].as_array().is_some_and(|l| !l.is_empty()) {
            say!();
            print_items(&v["lines"], LINE_COLUMNS);
        }
    };
    let (value, show): (Value, fn(&Value)) = match command {
        UserCommand::Add { account, person } => (
            api.call(
                Method::POST,
                &format!("/accounts/{account}/users"),
                Some(&person.body()),
            )
            .await?,
            show_user,
        ),
        UserCommand::List {
            account,
            search,
            tag,
            extension,
            status,
        } => {
            let query = serde_urlencoded::to_string(
                [
                    ("q", search),
                    ("tag", tag),
                    ("extension", extension),
                    ("status", status),
                    ("limit", Some("500".into())),
                ]
                .iter()
                .filter(|(_, v)| v.is_some())
                .map(|(k, v)| (*k, v.clone().unwrap_or_default()))
                .collect::<Vec<_>>(),
            )?;
            (
                api.call(
                    Method::GET,
                    &format!("/accounts/{account}/users?{query}"),
                    None,
                )
                .await?,
                |v| {
                    print_items(
                        &v["items"],
                        &[
                            ("id", "id"),
                            ("ext", "extension"),
                            ("name", "display_name"),
                            ("type", "type"),
                            ("status", "status"),
                            ("email", "email"),
                            ("tags", "tags"),
                            ("system tags", "system_tags"),
                        ],
                    )
                },
            )
        }
        UserCommand::Show { id } => (
            api.call(Method::GET, &format!("/users/{id}"), None).await?,
            show_user,
        ),
        UserCommand::LineKeys { id, keys, clear } => (
            super::settings::line_keys(&api, id, &keys, clear).await?,
            super::settings::show_line_keys,
        ),
        UserCommand::Rm { id } => (
            api.call(Method::DELETE, &format!("/users/{id}"), None)
                .await?,
            |_| say!("deleted"),
        ),
        UserCommand::Enable { id, person } => (
            api.call(
                Method::POST,
                &format!("/users/{id}/enable"),
                Some(&person.body()),
            )
            .await?,
            show_user,
        ),
        UserCommand::Bulk {
            account,
            quantity,
            area_code,
            model,
            dry_run,
        } => {
            let body = json!({"quantity": quantity, "area_code": area_code, "model": model, "dry_run": dry_run});
            (
                api.call(
                    Method::POST,
                    &format!("/accounts/{account}/users/bulk"),
                    Some(&body),
                )
                .await?,
                |v| {
                    let summary = if v["summary"].is_object() {
                        &v["summary"]
                    } else {
                        v
                    };
                    print_record(
                        summary,
                        &[
                            ("quantity", "quantity"),
                            ("extensions", "extensions"),
                            ("area code", "area_code"),
                            ("numbers", "numbers"),
                            ("model", "model"),
                            ("can create", "can_create"),
                        ],
                    );
                    if let Some(problems) = summary["problems"].as_object() {
                        for (field, problem) in problems {
                            say!("problem: {field}: {}", problem.as_str().unwrap_or_default());
                        }
                    }
                    if v["users"].is_array() {
                        say!();
                        print_items(
                            &v["users"],
                            &[
                                ("id", "id"),
                                ("ext", "extension"),
                                ("status", "status"),
                                ("numbers", "numbers"),
                            ],
                        );
                    }
                },
            )
        }
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn device(connection: &Connection, command: DeviceCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let show_device: fn(&Value) = |v| {
        print_record(v, DEVICE_FIELDS);
        if v["lines"].as_array().is_some_and(|l| !l.is_empty()) {
            say!();
            print_items(
                &v["lines"],
                &[
                    ("line", "line"),
                    ("user", "user"),
                    ("ext", "extension"),
                    ("name", "name"),
                    ("sip user", "sip.username"),
                    ("sip password", "sip.password"),
                ],
            );
        }
    };
    let (value, show): (Value, fn(&Value)) = match command {
        DeviceCommand::Add {
            account,
            mac,
            model,
            label,
        } => {
            let body = json!({"mac": mac, "model": model, "label": label});
            (
                api.call(
                    Method::POST,
                    &format!("/accounts/{account}/devices"),
                    Some(&body),
                )
                .await?,
                show_device,
            )
        }
        DeviceCommand::List { account } => (
            api.call(
                Method::GET,
                &format!("/accounts/{account}/devices?limit=500"),
                None,
            )
            .await?,
            |v| {
                print_items(
                    &v["items"],
                    &[
                        ("mac", "mac"),
                        ("model", "model"),
                        ("label", "label"),
                        ("lines", "line_count"),
                        ("last fetch", "last_fetch.at"),
                        ("armed until", "provisioning.armed_until"),
                    ],
                )
            },
        ),
        DeviceCommand::Show { mac } => (
            api.call(Method::GET, &format!("/devices/{}", encode(&mac)), None)
                .await?,
            show_device,
        ),
        DeviceCommand::RotateWebPasswords { mac } => (
            api.call(
                Method::POST,
                &format!("/devices/{}/web-passwords/rotate", encode(&mac)),
                None,
            )
            .await?,
            show_device,
        ),
        DeviceCommand::Rm { mac } => (
            api.call(Method::DELETE, &format!("/devices/{}", encode(&mac)), None)
                .await?,
            |_| say!("deleted"),
        ),
        DeviceCommand::Replace {
            mac,
            new_mac,
            model,
        } => {
            let body = json!({"mac": new_mac, "model": model});
            (
                api.call(
                    Method::POST,
                    &format!("/devices/{}/replace", encode(&mac)),
                    Some(&body),
                )
                .await?,
                show_device,
            )
        }
        DeviceCommand::Arm {
            mac,
            hours,
            networks,
        } => {
            let body =
                json!({"hours": hours, "networks": (!networks.is_empty()).then_some(networks)});
            (
                api.call(
                    Method::POST,
                    &format!("/devices/{}/arm", encode(&mac)),
                    Some(&body),
                )
                .await?,
                show_device,
            )
        }
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn line(connection: &Connection, command: LineCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let show_line: fn(&Value) = |v| {
        print_record(
            v,
            &[
                ("mac", "mac"),
                ("line", "line"),
                ("user", "user"),
                ("name", "name"),
                ("sip user", "sip.username"),
                ("sip password", "sip.password"),
                ("domain", "sip.domain"),
            ],
        )
    };
    let (value, show): (Value, fn(&Value)) = match command {
        LineCommand::Assign {
            mac,
            line,
            user,
            name,
        } => {
            let body = json!({"user": user, "name": name});
            let value = match line {
                Some(line) => {
                    api.call(
                        Method::PUT,
                        &format!("/devices/{}/lines/{line}", encode(&mac)),
                        Some(&body),
                    )
                    .await?
                }
                None => {
                    api.call(
                        Method::POST,
                        &format!("/devices/{}/lines", encode(&mac)),
                        Some(&body),
                    )
                    .await?
                }
            };
            (value, show_line)
        }
        LineCommand::Rm { mac, line } => (
            api.call(
                Method::DELETE,
                &format!("/devices/{}/lines/{line}", encode(&mac)),
                None,
            )
            .await?,
            |_| say!("unassigned"),
        ),
        LineCommand::Rotate { mac, line } => (
            api.call(
                Method::POST,
                &format!("/devices/{}/lines/{line}/rotate", encode(&mac)),
                None,
            )
            .await?,
            show_line,
        ),
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn unclaimed(connection: &Connection, command: UnclaimedCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let (value, show): (Value, fn(&Value)) = match command {
        UnclaimedCommand::List => (api.call(Method::GET, "/unclaimed", None).await?, |v| {
            print_items(
                &v["items"],
                &[
                    ("mac", "mac"),
                    ("model", "model"),
                    ("firmware", "firmware"),
                    ("address", "address"),
                    ("last seen", "last_seen"),
                    ("requests", "requests"),
                ],
            )
        }),
        UnclaimedCommand::Claim {
            mac,
            account,
            model,
        } => {
            let body = json!({"account": account, "model": model});
            (
                api.call(
                    Method::POST,
                    &format!("/unclaimed/{}/claim", encode(&mac)),
                    Some(&body),
                )
                .await?,
                |v| print_record(v, DEVICE_FIELDS),
            )
        }
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn token(connection: &Connection, command: TokenCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let (value, show): (Value, fn(&Value)) = match command {
        TokenCommand::Add {
            name,
            scope,
            read_only,
            secrets,
            expires_at,
            accounts,
        } => (
            api.call(
                Method::POST,
                "/tokens",
                Some(
                    &json!({"name": name, "scope": scope, "read_only": read_only,
                    "secrets": secrets, "expires_at": expires_at, "accounts": accounts}),
                ),
            )
            .await?,
            |v| {
                print_record(
                    v,
                    &[
                        ("id", "id"),
                        ("name", "name"),
                        ("scope", "scope"),
                        ("read only", "read_only"),
                        ("secrets", "secrets"),
                        ("expires", "expires_at"),
                        ("accounts", "accounts"),
                        ("token", "token"),
                    ],
                )
            },
        ),
        TokenCommand::List => (api.call(Method::GET, "/tokens", None).await?, |v| {
            print_items(
                &v["items"],
                &[
                    ("id", "id"),
                    ("name", "name"),
                    ("scope", "scope"),
                    ("read only", "read_only"),
                    ("secrets", "secrets"),
                    ("accounts", "accounts"),
                    ("expires", "expires_at"),
                    ("last used", "last_used_at"),
                    ("created", "created_at"),
                ],
            )
        }),
        TokenCommand::Rm { id } => (
            api.call(Method::DELETE, &format!("/tokens/{id}"), None)
                .await?,
            |_| say!("revoked"),
        ),
    };
    output(connection, &value, show);
    Ok(())
}

pub async fn registrar(connection: &Connection, command: RegistrarCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    match command {
        RegistrarCommand::Export { format, account } => {
            let mut path = format!("/registrar/v1/subscribers?format={}", query_value(&format));
            if let Some(account) = account {
                path.push_str(&format!("&account={account}"));
            }
            say_raw!("{}", api.text(&path).await?);
        }
        RegistrarCommand::Lookups => {
            let value = api.call(Method::GET, "/registrar/lookups", None).await?;
            output(connection, &value, |v| {
                print_record(v, &[("hits", "hits"), ("misses", "misses")])
            });
        }
    }
    Ok(())
}

pub async fn rekey(connection: &Connection) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let value = api.call(Method::POST, "/data-key/rotate", None).await?;
    output(connection, &value, |v| {
        print_record(
            v,
            &[
                ("key id", "key_id"),
                ("resealed", "resealed"),
                ("key file", "key_file"),
            ],
        );
        say!("Back up the key file now: older backups of it open nothing any more.");
    });
    Ok(())
}

/// A value for a query string, percent-encoded.
fn query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub(super) fn output(connection: &Connection, value: &Value, show: fn(&Value)) {
    if connection.json {
        say!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        show(value);
    }
}

/// A path segment typed by a user (a MAC with colons, say), percent-encoded.
pub(super) fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Pool numbers as the API takes them: `NUMBER AREA` becomes `{"number", "area_code"}`.
fn pool_numbers(numbers: &[String]) -> Option<Value> {
    let items: Vec<Value> = numbers
        .iter()
        .map(|text| match crate::domain::number_and_area_code(text) {
            Some((number, code)) => json!({"number": number.as_str(), "area_code": code.as_str()}),
            None => json!(text),
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

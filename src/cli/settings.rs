//! `sipprov settings …` and `sipprov profile …`: phone settings at the account, profile and
//! device levels, a device's effective settings and the preview of its file.

use anyhow::bail;
use clap::{Args, Subcommand};
use http::Method;
use serde_json::{Map, Value, json};

use super::admin::{encode, output};
use super::api::{Api, Connection};
use super::table::{print_items, print_record};

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// A device's effective settings, and the level each comes from
    Show { mac: String },
    /// Change the settings of an account, a profile or a device
    Set(SetArgs),
    /// A device's file as the phone would get it, every password masked
    Preview { mac: String },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The account's own settings
    #[arg(long, conflicts_with_all = ["device", "profile"])]
    account: Option<u64>,
    /// A device's own settings
    #[arg(long, conflicts_with = "profile")]
    device: Option<String>,
    /// A profile, as ACCOUNT/NAME
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    changes: Changes,
}

/// The changes of one level, as flags.
#[derive(Debug, Args)]
pub struct Changes {
    /// A named setting, NAME=VALUE (lists comma-separated: --set codecs=g722,pcmu)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// A named setting to inherit again from the level below
    #[arg(long = "clear", value_name = "NAME")]
    clear: Vec<String>,
    /// A raw vendor key, KEY=VALUE
    #[arg(long = "raw", value_name = "KEY=VALUE")]
    raw: Vec<String>,
    /// A raw key to remove from this level
    #[arg(long = "unset-raw", value_name = "KEY")]
    unset_raw: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Create a device profile
    Add {
        #[arg(long)]
        account: u64,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        changes: Changes,
    },
    /// List an account's profiles
    List {
        #[arg(long)]
        account: u64,
    },
    /// Delete a profile no device uses
    Rm {
        #[arg(long)]
        account: u64,
        name: String,
    },
    /// Give a device a profile (or take it away with --none)
    Assign {
        mac: String,
        /// The profile's name
        name: Option<String>,
        #[arg(long, conflicts_with = "name")]
        none: bool,
    },
}

/// Named settings whose value is a list, a number or a switch; the rest are words.
const LISTS: &[&str] = &["codecs", "dial_plan"];
const NUMBERS: &[&str] = &["nat_keepalive", "vlan_id", "vlan_priority"];
const SWITCHES: &[&str] = &["trust_control"];

impl Changes {
    /// The API's `settings` object.
    fn settings(&self) -> anyhow::Result<Value> {
        let mut settings = Map::new();
        for pair in &self.set {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--set {pair:?}: expected NAME=VALUE");
            };
            let name = name.trim();
            let value = if LISTS.contains(&name) {
                json!(value.split(',').map(str::trim).collect::<Vec<_>>())
            } else if NUMBERS.contains(&name) {
                match value.trim().parse::<u64>() {
                    Ok(number) => json!(number),
                    Err(_) => bail!("--set {name}: {value:?} is not a number"),
                }
            } else if SWITCHES.contains(&name) {
                match value.trim() {
                    "true" | "on" | "1" => json!(true),
                    "false" | "off" | "0" => json!(false),
                    _ => bail!("--set {name}: expected on or off"),
                }
            } else {
                json!(value)
            };
            settings.insert(name.to_owned(), value);
        }
        for name in &self.clear {
            settings.insert(name.clone(), Value::Null);
        }
        let mut raw = Map::new();
        for pair in &self.raw {
            let Some((key, value)) = pair.split_once('=') else {
                bail!("--raw {pair:?}: expected KEY=VALUE");
            };
            raw.insert(key.trim().to_owned(), json!(value.trim()));
        }
        for key in &self.unset_raw {
            raw.insert(key.clone(), Value::Null);
        }
        if !raw.is_empty() {
            settings.insert("raw".into(), Value::Object(raw));
        }
        Ok(Value::Object(settings))
    }
}

pub async fn settings(connection: &Connection, command: SettingsCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    match command {
        SettingsCommand::Show { mac } => {
            let value = api
                .call(
                    Method::GET,
                    &format!("/devices/{}/settings", encode(&mac)),
                    None,
                )
                .await?;
            output(connection, &value, show_effective);
        }
        SettingsCommand::Preview { mac } => {
            let file = api
                .text(&format!("/api/v1/devices/{}/preview", encode(&mac)))
                .await?;
            say_raw!("{file}");
        }
        SettingsCommand::Set(args) => {
            let body = json!({"settings": args.changes.settings()?});
            let (path, method) = match (args.account, &args.device, &args.profile) {
                (Some(account), None, None) => (format!("/accounts/{account}"), Method::PATCH),
                (None, Some(mac), None) => (format!("/devices/{}", encode(mac)), Method::PATCH),
                (None, None, Some(profile)) => {
                    let Some((account, name)) = profile.split_once('/') else {
                        bail!("--profile {profile:?}: expected ACCOUNT/NAME, such as 1/reception");
                    };
                    (
                        format!("/accounts/{}/profiles/{}", encode(account), encode(name)),
                        Method::PATCH,
                    )
                }
                _ => bail!("say which level: --account ID, --device MAC or --profile ACCOUNT/NAME"),
            };
            let value = api.call(method, &path, Some(&body)).await?;
            output(connection, &value, |v| {
                let settings = if v["settings"].is_object() {
                    &v["settings"]
                } else {
                    v
                };
                say!(
                    "{}",
                    serde_json::to_string_pretty(settings).unwrap_or_default()
                );
            });
        }
    }
    Ok(())
}

pub async fn profile(connection: &Connection, command: ProfileCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let show_profile: fn(&Value) = |v| {
        print_record(v, &[("account", "account"), ("name", "name")]);
        say!(
            "{}",
            serde_json::to_string_pretty(&v["settings"]).unwrap_or_default()
        );
    };
    let (value, show): (Value, fn(&Value)) = match command {
        ProfileCommand::Add {
            account,
            name,
            changes,
        } => {
            let body = json!({"name": name, "settings": changes.settings()?});
            (
                api.call(
                    Method::POST,
                    &format!("/accounts/{account}/profiles"),
                    Some(&body),
                )
                .await?,
                show_profile,
            )
        }
        ProfileCommand::List { account } => (
            api.call(Method::GET, &format!("/accounts/{account}/profiles"), None)
                .await?,
            |v| print_items(&v["items"], &[("name", "name"), ("devices", "devices")]),
        ),
        ProfileCommand::Rm { account, name } => (
            api.call(
                Method::DELETE,
                &format!("/accounts/{account}/profiles/{}", encode(&name)),
                None,
            )
            .await?,
            |_| say!("deleted"),
        ),
        ProfileCommand::Assign { mac, name, none } => {
            if name.is_none() && !none {
                bail!("name the profile, or say --none");
            }
            (
                api.call(
                    Method::PATCH,
                    &format!("/devices/{}", encode(&mac)),
                    Some(&json!({"profile": name})),
                )
                .await?,
                |v| print_record(v, &[("mac", "mac"), ("profile", "profile")]),
            )
        }
    };
    output(connection, &value, show);
    Ok(())
}

fn show_effective(value: &Value) {
    print_record(value, &[("mac", "mac"), ("profile", "profile")]);
    let rows = |map: &Value| -> Value {
        map.as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(name, sourced)| {
                        let from = match sourced["profile"].as_str() {
                            Some(profile) => format!("profile {profile}"),
                            None => sourced["source"].as_str().unwrap_or_default().to_owned(),
                        };
                        let value = match &sourced["value"] {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        json!({"name": name, "value": value, "from": from})
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    say!();
    print_items(
        &rows(&value["settings"]),
        &[("setting", "name"), ("value", "value"), ("from", "from")],
    );
    if value["raw"].as_object().is_some_and(|raw| !raw.is_empty()) {
        say!();
        print_items(
            &rows(&value["raw"]),
            &[("raw key", "name"), ("value", "value"), ("from", "from")],
        );
    }
}

/// Reads a user's keys, or replaces them with `specs` (or none, with `clear`).
pub async fn line_keys(
    api: &Api,
    user: u64,
    specs: &[String],
    clear: bool,
) -> anyhow::Result<Value> {
    let path = format!("/users/{user}/line-keys");
    if specs.is_empty() && !clear {
        return api.call(Method::GET, &path, None).await;
    }
    let keys = specs
        .iter()
        .map(|spec| line_key(spec))
        .collect::<anyhow::Result<Vec<_>>>()?;
    api.call(Method::PUT, &path, Some(&json!({"keys": keys})))
        .await
}

/// `TYPE[@LINE][:VALUE[:LABEL]]` as the API's key object.
fn line_key(spec: &str) -> anyhow::Result<Value> {
    let mut parts = spec.splitn(3, ':');
    let head = parts.next().unwrap_or_default();
    let (kind, line) = match head.split_once('@') {
        Some((kind, line)) => match line.parse::<u16>() {
            Ok(line) => (kind, Some(line)),
            Err(_) => bail!("--key {spec:?}: {line:?} after @ is not a line number"),
        },
        None => (head, None),
    };
    let value = parts.next().filter(|v| !v.is_empty());
    let label = parts.next().filter(|l| !l.is_empty());
    Ok(json!({"type": kind, "line": line, "value": value, "label": label}))
}

pub fn show_line_keys(value: &Value) {
    let rows: Vec<Value> = value["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, key)| {
            let mut row = key.clone();
            row["key"] = json!(index + 1);
            row
        })
        .collect();
    print_items(
        &Value::Array(rows),
        &[
            ("key", "key"),
            ("type", "type"),
            ("line", "line"),
            ("value", "value"),
            ("label", "label"),
        ],
    );
}

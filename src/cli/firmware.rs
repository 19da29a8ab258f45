//! `sipprov firmware …`: the firmware repository through the admin API — upload an image,
//! list and delete images, pin a version per model (globally or for one account) and set the
//! stage of its rollout.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use http::Method;
use serde_json::{Value, json};

use super::Connection;
use super::api::Api;
use super::table::{print_items, print_record};

const IMAGE_FIELDS: &[(&str, &str)] = &[
    ("sha256", "sha256"),
    ("vendor", "vendor"),
    ("model", "model"),
    ("version", "version"),
    ("size", "size"),
    ("uploaded", "uploaded_at"),
];

const PIN_FIELDS: &[(&str, &str)] = &[
    ("account", "account"),
    ("model", "model"),
    ("version", "version"),
    ("percent", "percent"),
    ("profiles first", "profiles"),
    ("updated", "updated_at"),
];

#[derive(Debug, Subcommand)]
pub enum FirmwareCommand {
    /// Upload a firmware image (`.rom`)
    Upload {
        /// A model of the catalogue (T46S), or a DECT handset model (W56H)
        #[arg(long)]
        model: String,
        /// The image's version (66.86.0.15)
        #[arg(long)]
        version: String,
        /// The vendor [default: the model's]
        #[arg(long)]
        vendor: Option<String>,
        file: PathBuf,
    },
    /// List the images
    List,
    /// Delete an image no pin names
    #[command(alias = "delete")]
    Rm { sha256: String },
    /// Pin a version of a model, reaching a percentage of its devices (by a stable hash of
    /// their MAC: raising it only adds devices)
    Pin {
        #[arg(long)]
        model: String,
        #[arg(long)]
        version: String,
        /// Percent of the devices that get it now [default: 100]
        #[arg(long = "stage", alias = "percent")]
        percent: Option<u64>,
        /// Only this account's devices (overrides the global pin)
        #[arg(long)]
        account: Option<u64>,
        /// Devices of this profile get it first, whatever the stage (repeatable)
        #[arg(long = "profile")]
        profiles: Vec<String>,
    },
    /// Remove a pin
    Unpin {
        #[arg(long)]
        model: String,
        #[arg(long)]
        account: Option<u64>,
    },
    /// List the pins and their stages
    Pins,
}

pub async fn firmware(connection: &Connection, command: FirmwareCommand) -> anyhow::Result<()> {
    let api = Api::connect(connection)?;
    let (value, show): (Value, fn(&Value)) = match command {
        FirmwareCommand::Upload {
            model,
            version,
            vendor,
            file,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut path = format!(
                "/firmware/images?model={}&version={}",
                encode(&model),
                encode(&version)
            );
            if let Some(vendor) = vendor {
                path.push_str(&format!("&vendor={}", encode(&vendor)));
            }
            (api.upload(&path, bytes).await?, |v| {
                print_record(v, IMAGE_FIELDS)
            })
        }
        FirmwareCommand::List => (
            api.call(Method::GET, "/firmware/images", None).await?,
            |v| print_items(&v["items"], IMAGE_FIELDS),
        ),
        FirmwareCommand::Rm { sha256 } => (
            api.call(
                Method::DELETE,
                &format!("/firmware/images/{}", encode(&sha256)),
                None,
            )
            .await?,
            |_| say!("deleted"),
        ),
        FirmwareCommand::Pin {
            model,
            version,
            percent,
            account,
            profiles,
        } => {
            let body = json!({"version": version, "percent": percent, "profiles": profiles});
            (
                api.call(Method::PUT, &pin_path(account, &model), Some(&body))
                    .await?,
                |v| print_record(v, PIN_FIELDS),
            )
        }
        FirmwareCommand::Unpin { model, account } => (
            api.call(Method::DELETE, &pin_path(account, &model), None)
                .await?,
            |_| say!("unpinned"),
        ),
        FirmwareCommand::Pins => (api.call(Method::GET, "/firmware/pins", None).await?, |v| {
            print_items(&v["items"], PIN_FIELDS)
        }),
    };
    if connection.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        show(&value);
    }
    Ok(())
}

fn pin_path(account: Option<u64>, model: &str) -> String {
    match account {
        Some(account) => format!("/accounts/{account}/firmware/pins/{}", encode(model)),
        None => format!("/firmware/pins/{}", encode(model)),
    }
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

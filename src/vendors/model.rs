//! `Vendor` and `Model`: one vendor file of the catalogue (`data/vendors/<vendor>.toml`) as
//! typed, checked values.
//!
//! The file is read into `VendorFile` exactly as written (unknown keys are refused, so a typo
//! is an error, not a silently ignored setting), then checked and resolved into a `Vendor` and
//! its `Model`s: defaults filled in, template kinds replaced by template names, file-name
//! patterns parsed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::file_name::FileNamePattern;
use super::locale::LanguageNames;
use crate::domain::{Language, Mac, Transport};

/// A vendor: how its phones name and request their files, and its words for shared settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    /// Lower-case id stored on devices (`yealink`).
    pub id: String,
    /// The vendor's name, also the first word of its User-Agents (`Yealink`).
    pub name: String,
    /// Syntax of its configuration files.
    pub syntax: Syntax,
    /// Which User-Agent parser reads its provisioning requests.
    pub user_agent: UserAgentFormat,
    /// Whether its provisioning User-Agents carry the device's MAC.
    pub user_agent_has_mac: bool,
    /// The per-device file name (`{mac}.cfg`).
    pub device_file: FileNamePattern,
    /// Names of family (common, master) files it requests (`y000000000###.cfg`).
    pub common_files: Vec<FileNamePattern>,
    /// Model tokens some firmware sends without the vendor word.
    pub bare_user_agents: Vec<String>,
    /// Known MAC prefixes, six lower-case hex digits each.
    pub ouis: Vec<String>,
    /// Its codes for SIP transports.
    pub transport: TransportCodes,
    /// Its names for each language.
    pub languages: Languages,
    /// Templates of a common file that no model of the catalogue names.
    pub fallback_templates: Templates,
}

/// Configuration file syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// `key = value` lines (Yealink, Fanvil text).
    KeyValue,
    /// XML (Polycom, Grandstream, Snom, Cisco, Gigaset).
    Xml,
}

/// User-Agent grammars the catalogue can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAgentFormat {
    /// `Yealink SIP-T46S 66.85.0.5 00:15:65:aa:bb:cc` and its variants (reference §1.5).
    Yealink,
}

/// A vendor's code for each SIP transport, as written in its configuration files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportCodes {
    /// SIP over UDP.
    pub udp: String,
    /// SIP over TCP.
    pub tcp: String,
    /// SIP over TLS.
    pub tls: String,
}

/// A vendor's names for every language a user can have.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Languages {
    /// English.
    pub en: LanguageNames,
    /// French.
    pub fr: LanguageNames,
}

/// The templates (names under `templates/`) that render a model's files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// The per-device file.
    pub device: String,
    /// The family's common file.
    pub common: String,
}

/// A device model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Id of its vendor.
    pub vendor: String,
    /// The model's name (`T46S`, `T21P E2`, `W60B`).
    pub name: String,
    /// SIP accounts (lines) it can hold; 0 for DECT cells whose accounts live on a manager.
    pub lines: u16,
    /// Set for DECT bases and managers.
    pub dect: Option<Dect>,
    /// The family file it requests, in canonical case (`y000000000066.cfg`).
    pub common_file: String,
    /// Model tokens of its User-Agent (`T58A`, `T58`).
    pub user_agents: Vec<String>,
    /// The templates that render its files.
    pub templates: Templates,
    /// What is uncertain about this row, if anything.
    pub note: Option<String>,
}

/// What a DECT base or manager serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dect {
    /// Handsets it can register.
    pub handsets: u16,
    /// Single-cell bases map lines to handsets; multi-cell systems tie account N to handset N.
    pub cells: Cells,
}

/// How a DECT system ties handsets to accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cells {
    /// One base (W52P … W70B): `handset.N.*` keys say which lines each handset uses.
    Single,
    /// A DECT manager system (W75/W80/W90): one account per handset, no mapping keys.
    Multi,
}

impl Vendor {
    /// This vendor's code for `transport`.
    pub fn transport_code(&self, transport: Transport) -> &str {
        match transport {
            Transport::Udp => &self.transport.udp,
            Transport::Tcp => &self.transport.tcp,
            Transport::Tls => &self.transport.tls,
        }
    }

    /// This vendor's names for `language`.
    pub fn language(&self, language: Language) -> &LanguageNames {
        match language {
            Language::En => &self.languages.en,
            Language::Fr => &self.languages.fr,
        }
    }

    /// Whether `mac` is in one of this vendor's known OUIs.
    pub fn owns_oui(&self, mac: Mac) -> bool {
        let oui = mac.oui();
        self.ouis.contains(&oui)
    }
}

impl Model {
    /// Whether the model is a DECT base or manager.
    pub fn is_dect(&self) -> bool {
        self.dect.is_some()
    }
}

/// A vendor file exactly as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VendorFile {
    id: String,
    name: String,
    syntax: Syntax,
    user_agent: UserAgentFormat,
    user_agent_has_mac: bool,
    device_file: String,
    common_files: Vec<String>,
    #[serde(default)]
    bare_user_agents: Vec<String>,
    ouis: Vec<String>,
    transport: TransportCodes,
    languages: Languages,
    templates: BTreeMap<String, Templates>,
    default_templates: String,
    models: Vec<ModelRow>,
}

/// One row of a vendor file's `models`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelRow {
    name: String,
    common_file: String,
    lines: u16,
    #[serde(default)]
    user_agents: Vec<String>,
    templates: Option<String>,
    handsets: Option<u16>,
    cells: Option<Cells>,
    note: Option<String>,
}

impl VendorFile {
    /// Checks the file and resolves it into its vendor and models. `Err` is a sentence.
    pub(super) fn resolve(self) -> Result<(Vendor, Vec<Model>), String> {
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(format!(
                "vendor id {:?} must be lower-case letters and digits",
                self.id
            ));
        }
        let device_file = FileNamePattern::parse(&self.device_file)
            .filter(FileNamePattern::has_mac)
            .ok_or_else(|| {
                format!(
                    "device_file {:?} must contain one {{mac}} or {{MAC}}",
                    self.device_file
                )
            })?;
        let common_files = self
            .common_files
            .iter()
            .map(|source| {
                FileNamePattern::parse(source)
                    .filter(|pattern| !pattern.has_mac())
                    .ok_or_else(|| {
                        format!("common file {source:?} must be a pattern without a MAC")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(bad) = self.ouis.iter().find(|oui| {
            oui.len() != 6
                || !oui
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }) {
            return Err(format!("OUI {bad:?} must be six lower-case hex digits"));
        }
        let fallback_templates = self
            .templates
            .get(&self.default_templates)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "default_templates {:?} is not a kind of `templates`",
                    self.default_templates
                )
            })?;
        let models = self
            .models
            .into_iter()
            .map(|row| {
                let name = row.name.clone();
                row.resolve(
                    &self.id,
                    &common_files,
                    &self.templates,
                    &self.default_templates,
                )
                .map_err(|problem| format!("model {name:?}: {problem}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vendor = Vendor {
            id: self.id,
            name: self.name,
            syntax: self.syntax,
            user_agent: self.user_agent,
            user_agent_has_mac: self.user_agent_has_mac,
            device_file,
            common_files,
            bare_user_agents: self.bare_user_agents,
            ouis: self.ouis,
            transport: self.transport,
            languages: self.languages,
            fallback_templates,
        };
        Ok((vendor, models))
    }
}

impl ModelRow {
    fn resolve(
        self,
        vendor: &str,
        common_files: &[FileNamePattern],
        templates: &BTreeMap<String, Templates>,
        default_templates: &str,
    ) -> Result<Model, String> {
        if self.name.trim().is_empty() || self.name.trim() != self.name {
            return Err("the name must not be empty or padded".into());
        }
        let common_file = common_files
            .iter()
            .find_map(|pattern| pattern.matches(&self.common_file))
            .map(|found| found.canonical)
            .ok_or_else(|| {
                format!(
                    "common_file {:?} matches none of common_files",
                    self.common_file
                )
            })?;
        let user_agents = if self.user_agents.is_empty() {
            vec![self.name.clone()]
        } else {
            self.user_agents
        };
        if let Some(bad) = user_agents
            .iter()
            .find(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(format!(
                "User-Agent token {bad:?} may hold only letters, digits and '_'"
            ));
        }
        let kind = self.templates.as_deref().unwrap_or(default_templates);
        let templates = templates
            .get(kind)
            .cloned()
            .ok_or_else(|| format!("templates {kind:?} is not a kind of `templates`"))?;
        let dect = match (self.handsets, self.cells.unwrap_or(Cells::Single)) {
            (None, _) if self.cells.is_some() => {
                return Err("cells is only for DECT rows (with handsets)".into());
            }
            (None, _) => None,
            (Some(handsets), Cells::Single) if handsets == 0 || handsets > self.lines => {
                return Err(
                    "a single-cell base needs 1 to `lines` handsets (handset N uses line N)".into(),
                );
            }
            (Some(handsets), cells) => Some(Dect { handsets, cells }),
        };
        Ok(Model {
            vendor: vendor.to_owned(),
            name: self.name,
            lines: self.lines,
            dect,
            common_file,
            user_agents,
            templates,
            note: self.note,
        })
    }
}

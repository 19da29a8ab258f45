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
use super::firmware::FirmwareRelease;
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
    /// DECT handset models whose firmware its bases hand on over the air (`W56H`), as
    /// admins name them; the configuration key takes the lower-case name.
    pub handset_models: Vec<String>,
    /// Its codes for SIP transports.
    pub transport: TransportCodes,
    /// Its names for each language.
    pub languages: Languages,
    /// Its call-progress tone sets by ISO 3166 country.
    pub tone_countries: BTreeMap<String, String>,
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
    /// Programmable line keys (Yealink `linekey.N.*`); 0 for DECT bases and keyless phones.
    pub line_keys: u16,
    /// Model tokens of its User-Agent (`T58A`, `T58`).
    pub user_agents: Vec<String>,
    /// The templates that render its files.
    pub templates: Templates,
    /// The last firmware release that reads its `static.` keys without the prefix (W52P and
    /// W56P: 25.80); `None` when every firmware reads `static.`.
    pub unprefixed_keys_through: Option<FirmwareRelease>,
    /// Where its facts come from and what is uncertain about them, if anything.
    pub note: Option<String>,
}

/// What a DECT base or manager serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dect {
    /// Handsets it can register.
    pub handsets: u16,
    /// Single-cell bases map lines to handsets; multi-cell systems tie account N to handset N.
    pub cells: Cells,
    /// Handsets the base is told to accept, for bases that need it set (Yealink
    /// `base.active_handset.number`: the W60B takes 4 or 8).
    pub active_handsets: Option<u16>,
}

/// How a DECT system ties handsets to accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cells {
    /// One base (W52P … W70B): `handset.N.*` keys say which lines each handset uses.
    Single,
    /// A DECT manager system (W75/W80/W90): one account per handset, no mapping keys; the
    /// accounts register through SIP server templates (`template.N.*`).
    Multi,
}

impl Vendor {
    /// The vendor's handset model of this name (any case), as the catalogue spells it.
    pub fn handset_model(&self, name: &str) -> Option<&str> {
        self.handset_models
            .iter()
            .find(|model| model.eq_ignore_ascii_case(name.trim()))
            .map(String::as_str)
    }

    /// This vendor's code for `transport`.
    pub fn transport_code(&self, transport: Transport) -> &str {
        match transport {
            Transport::Udp => &self.transport.udp,
            Transport::Tcp => &self.transport.tcp,
            Transport::Tls => &self.transport.tls,
        }
    }

    /// This vendor's names for `language`.
    /// Its tone set for a country (ISO 3166 alpha-2), if it has one.
    pub fn tone_country(&self, country: &str) -> Option<&str> {
        self.tone_countries.get(country).map(String::as_str)
    }

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
    #[serde(default)]
    handset_models: Vec<String>,
    transport: TransportCodes,
    languages: Languages,
    #[serde(default)]
    tone_countries: BTreeMap<String, String>,
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
    line_keys: u16,
    #[serde(default)]
    user_agents: Vec<String>,
    templates: Option<String>,
    handsets: Option<u16>,
    cells: Option<Cells>,
    active_handsets: Option<u16>,
    unprefixed_keys_through: Option<String>,
    note: Option<String>,
}

impl VendorFile {
    /// Checks the file and resolves it into its vendor and models. `Err` is a sentence.
    pub(super) fn resolve(self) -> Result<(Vendor, Vec<Model>), String> {
        self.check_ids()?;
        let device_file = FileNamePattern::parse(&self.device_file)
            .filter(FileNamePattern::has_mac)
            .ok_or_else(|| {
                format!(
                    "device_file {:?} needs one {{mac}} or {{MAC}}",
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
        let kind = |name: &str| {
            self.templates
                .get(name)
                .cloned()
                .ok_or_else(|| format!("templates {name:?} is not a kind of `templates`"))
        };
        let fallback_templates = kind(&self.default_templates)?;
        let models = self
            .models
            .iter()
            .map(|row| {
                let templates = kind(row.templates.as_deref().unwrap_or(&self.default_templates));
                row.resolve(&self.id, &common_files, templates)
                    .map_err(|problem| format!("model {:?}: {problem}", row.name))
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
            handset_models: self.handset_models,
            transport: self.transport,
            languages: self.languages,
            tone_countries: self.tone_countries,
            fallback_templates,
        };
        Ok((vendor, models))
    }

    /// The vendor id is lower-case letters and digits; OUIs are six lower-case hex digits.
    fn check_ids(&self) -> Result<(), String> {
        let id_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if self.id.is_empty() || !self.id.bytes().all(id_ok) {
            return Err(format!(
                "vendor id {:?} must be lower-case letters and digits",
                self.id
            ));
        }
        let oui_ok = |oui: &String| {
            oui.len() == 6
                && oui
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        match self.ouis.iter().find(|oui| !oui_ok(oui)) {
            Some(bad) => Err(format!("OUI {bad:?} must be six lower-case hex digits")),
            None => Ok(()),
        }
    }
}

impl ModelRow {
    /// The row as a model of `vendor`, rendered by `templates` (its kind, resolved).
    fn resolve(
        &self,
        vendor: &str,
        common_files: &[FileNamePattern],
        templates: Result<Templates, String>,
    ) -> Result<Model, String> {
        if self.name.is_empty() || self.name.trim() != self.name {
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
            self.user_agents.clone()
        };
        let token_ok =
            |t: &String| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if let Some(bad) = user_agents.iter().find(|t| !token_ok(t)) {
            return Err(format!(
                "User-Agent token {bad:?} may hold only letters, digits and '_'"
            ));
        }
        Ok(Model {
            vendor: vendor.to_owned(),
            name: self.name.clone(),
            lines: self.lines,
            dect: self.dect()?,
            common_file,
            line_keys: self.line_keys,
            user_agents,
            templates: templates?,
            unprefixed_keys_through: self
                .unprefixed_keys_through
                .as_deref()
                .map(FirmwareRelease::parse)
                .transpose()
                .map_err(|problem| format!("unprefixed_keys_through: {problem}"))?,
            note: self.note.clone(),
        })
    }

    fn dect(&self) -> Result<Option<Dect>, String> {
        match (self.handsets, self.cells) {
            (None, None) if self.active_handsets.is_none() => Ok(None),
            (None, _) => {
                Err("cells and active_handsets are only for DECT rows (with handsets)".into())
            }
            (Some(handsets), None | Some(Cells::Single))
                if handsets == 0 || handsets > self.lines =>
            {
                Err("a single-cell base needs 1 to `lines` handsets (handset N uses line N)".into())
            }
            (Some(handsets), _) if self.active_handsets.is_some_and(|n| n < handsets) => {
                Err("active_handsets must not be fewer than handsets".into())
            }
            (Some(handsets), cells) => Ok(Some(Dect {
                handsets,
                cells: cells.unwrap_or(Cells::Single),
                active_handsets: self.active_handsets,
            })),
        }
    }
}

//! `Catalogue`: every vendor and model sipprov knows, parsed once from the data files compiled
//! into the binary, with the look-ups the rest of the crate needs.
//!
//! Loading checks the data as a whole (one vendor per id, model names and User-Agent tokens
//! that cannot be confused), so a bad row is a startup error that names the file and the row,
//! never a surprise on the phone path.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::locale::{YealinkTime, YealinkTimes};
use super::model::{Model, Templates, Vendor, VendorFile};
use crate::domain::{Mac, TimeZone};

/// The vendor files compiled into the binary: (path for messages, contents).
const VENDOR_FILES: &[(&str, &str)] = &[(
    "data/vendors/yealink.toml",
    include_str!("../../data/vendors/yealink.toml"),
)];

/// Why the catalogue could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// A data file is not valid TOML of the expected shape.
    #[error("{file}: {message}")]
    Syntax {
        /// The data file, as a path from the crate root.
        file: &'static str,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A data file parses but says something inconsistent.
    #[error("{file}: {problem}")]
    Invalid {
        /// The data file, as a path from the crate root.
        file: &'static str,
        /// What is wrong, naming the row.
        problem: String,
    },
}

/// The device catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// Vendors, in file order.
    vendors: Vec<Vendor>,
    /// Models of every vendor, in file order.
    models: Vec<Model>,
    /// Index in `models` by name key (`model_key`); names are unique across vendors.
    names: HashMap<String, usize>,
    /// Indexes in `models` by User-Agent token key, in catalogue order (a token is unique
    /// within its vendor only).
    tokens: HashMap<String, Vec<usize>>,
    /// Yealink `local_time.*` values by IANA zone.
    yealink_times: YealinkTimes,
    /// ISO 3166 country by IANA zone (`data/zone-countries.tsv`).
    zone_countries: HashMap<&'static str, &'static str>,
}

/// IANA zone → country, from tzdata's zone.tab.
const ZONE_COUNTRIES: &str = include_str!("../../data/zone-countries.tsv");

impl Catalogue {
    /// Loads the built-in catalogue on first call. Call it at startup so that a broken data
    /// file stops the server with its message; afterwards [`Catalogue::builtin`] cannot fail.
    pub fn init() -> Result<&'static Catalogue, CatalogueError> {
        static BUILTIN: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalogue::from_files(VENDOR_FILES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The built-in catalogue, parsed once.
    ///
    /// # Panics
    /// When the embedded data is broken, which [`Catalogue::init`] reports at startup and a
    /// unit test rules out.
    pub fn builtin() -> &'static Catalogue {
        match Catalogue::init() {
            Ok(catalogue) => catalogue,
            Err(error) => panic!("the built-in device catalogue is broken: {error}"),
        }
    }

    fn from_files(files: &[(&'static str, &str)]) -> Result<Catalogue, CatalogueError> {
        let mut catalogue = Catalogue {
            vendors: Vec::new(),
            models: Vec::new(),
            names: HashMap::new(),
            tokens: HashMap::new(),
            yealink_times: YealinkTimes::load()?,
            zone_countries: ZONE_COUNTRIES
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split_once('\t'))
                .collect(),
        };
        for &(file, text) in files {
            let parsed: VendorFile =
                toml::from_str(text).map_err(|error| CatalogueError::Syntax {
                    file,
                    message: error.to_string(),
                })?;
            let (vendor, models) = parsed
                .resolve()
                .map_err(|problem| CatalogueError::Invalid { file, problem })?;
            catalogue
                .add(vendor, models)
                .map_err(|problem| CatalogueError::Invalid { file, problem })?;
        }
        Ok(catalogue)
    }

    /// Adds one vendor, refusing ids, names and User-Agent tokens that would be ambiguous.
    /// (A refusal leaves the catalogue half-built; it is then discarded.)
    fn add(&mut self, vendor: Vendor, models: Vec<Model>) -> Result<(), String> {
        if self.vendor(&vendor.id).is_some() {
            return Err(format!("vendor {:?} is defined twice", vendor.id));
        }
        let first = self.models.len();
        for (index, model) in (first..).zip(&models) {
            if let Some(other) = self.names.insert(model_key(&model.name), index) {
                let other = &self.model_at(other, &models).name;
                return Err(format!(
                    "models {other:?} and {:?} have the same name",
                    model.name
                ));
            }
        }
        for (index, model) in (first..).zip(&models) {
            for token in &model.user_agents {
                let key = model_key(token);
                let by_name = self
                    .names
                    .get(&key)
                    .copied()
                    .filter(|other| *other != index);
                let ours = self.tokens.entry(key).or_default();
                let by_token = ours.iter().copied().find(|other| *other >= first);
                if let Some(other) = by_token.or(by_name) {
                    let other = &self.model_at(other, &models).name;
                    return Err(format!(
                        "User-Agent token {token:?} of {:?} also names {other:?}",
                        model.name
                    ));
                }
                ours.push(index);
            }
        }
        self.vendors.push(vendor);
        self.models.extend(models);
        Ok(())
    }

    /// A model by index while `pending` (the vendor being added) is not in `models` yet.
    fn model_at<'a>(&'a self, index: usize, pending: &'a [Model]) -> &'a Model {
        self.models
            .get(index)
            .unwrap_or_else(|| &pending[index - self.models.len()])
    }

    /// All vendors, in catalogue order.
    pub fn vendors(&self) -> impl Iterator<Item = &Vendor> {
        self.vendors.iter()
    }

    /// The vendor with this id (`yealink`).
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|vendor| vendor.id == id)
    }

    /// The vendor whose known OUIs include `mac`'s.
    pub fn vendor_by_oui(&self, mac: Mac) -> Option<&Vendor> {
        self.vendors.iter().find(|vendor| vendor.owns_oui(mac))
    }

    /// All models, in catalogue order.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.models.iter()
    }

    /// The model an admin or a device named: case, spaces, `_` and `-` do not matter, and a
    /// leading vendor word and `SIP-` / `SIP VP-` prefix are ignored, so `T46S`, `t46s`,
    /// `SIP-T46S` and `yealink T46S` all find the T46S. A model name wins over a User-Agent
    /// token (`T58V` is the T58V; `T58` is the T58A).
    pub fn model(&self, name: &str) -> Option<&Model> {
        let text = name.trim();
        let (vendor, rest) = self
            .vendors
            .iter()
            .find_map(|vendor| strip_vendor_word(text, vendor).map(|rest| (Some(vendor), rest)))
            .unwrap_or((None, text));
        let key = model_key(strip_sip_prefix(rest));
        let of_vendor = |index: &usize| vendor.is_none_or(|v| v.id == self.models[*index].vendor);
        self.names
            .get(&key)
            .copied()
            .filter(of_vendor)
            .or_else(|| self.tokens.get(&key)?.iter().copied().find(of_vendor))
            .map(|index| &self.models[index])
    }

    /// The model of `vendor` whose User-Agent tokens include `token` (ignoring case).
    pub fn model_by_user_agent(&self, vendor: &str, token: &str) -> Option<&Model> {
        self.models.iter().find(|model| {
            model.vendor == vendor
                && model
                    .user_agents
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(token))
        })
    }

    /// The models of `vendor` that request the common file `file` (canonical name).
    pub fn family<'c>(&'c self, vendor: &'c str, file: &'c str) -> impl Iterator<Item = &'c Model> {
        self.models
            .iter()
            .filter(move |model| model.vendor == vendor && model.common_file == file)
    }

    /// Whether a device registered as `registered` may be the phone whose User-Agent names
    /// `claimed`. Models are of one family when they request the same common file
    /// (reference §1.3): Yealink gives one file to models that run the same firmware image
    /// and read the same keys — the T58A and T58V both identify as `T58`, the W52P and W56P
    /// share a base, a W80B cell and its W80DM manager one firmware — while models whose
    /// files differ (a T46S's 66 and a W60B's 77, even a T46S and a T48S on one firmware)
    /// have other line counts or templates, so a file made for one is wrong for the other.
    pub fn same_family(&self, registered: &Model, claimed: &Model) -> bool {
        registered.vendor == claimed.vendor && registered.common_file == claimed.common_file
    }

    /// The templates of a common file: its family's, or the vendor's fallback when no model
    /// names the file (a family the catalogue does not list yet still gets the generic file).
    pub fn common_templates(&self, vendor: &str, file: &str) -> Option<&Templates> {
        let family = self
            .models
            .iter()
            .find(|model| model.vendor == vendor && model.common_file == file);
        match family {
            Some(model) => Some(&model.templates),
            None => self.vendor(vendor).map(|vendor| &vendor.fallback_templates),
        }
    }

    /// Yealink's `local_time.*` values for `zone` in `year` (the year of the render: a manual
    /// by-date rule carries that year's dates, see `dst_year`).
    pub fn yealink_time(&self, zone: TimeZone, year: i16) -> YealinkTime {
        self.yealink_times.get(zone, year)
    }

    /// The country (ISO 3166 alpha-2) of a time zone; `None` for zones of no country (UTC).
    pub fn zone_country(&self, zone: TimeZone) -> Option<&'static str> {
        self.zone_countries.get(zone.name()).copied()
    }
}

/// A model name reduced for comparison: upper case, without spaces, `_` and `-`.
fn model_key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `text` without a leading vendor name or id and the spaces or `-` after it.
fn strip_vendor_word<'t>(text: &'t str, vendor: &Vendor) -> Option<&'t str> {
    [vendor.name.as_str(), vendor.id.as_str()]
        .into_iter()
        .find_map(|word| {
            let head = text.get(..word.len())?;
            let rest = &text[word.len()..];
            let trimmed = rest.trim_start_matches([' ', '-']);
            (head.eq_ignore_ascii_case(word) && trimmed.len() < rest.len()).then_some(trimmed)
        })
}

/// `text` without a leading `SIP-` or `SIP VP-` (any case).
fn strip_sip_prefix(text: &str) -> &str {
    ["SIP VP-", "SIP-"]
        .into_iter()
        .find_map(|prefix| {
            let head = text.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| &text[prefix.len()..])
        })
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::Cells;

    fn catalogue() -> &'static Catalogue {
        Catalogue::init().unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn the_embedded_catalogue_loads() {
        let catalogue = catalogue();
        assert_eq!(catalogue.vendors().count(), 1);
        assert!(catalogue.models().count() >= 80);
        assert!(catalogue.models().all(|model| model.vendor == "yealink"));
    }

    #[test]
    fn models_are_found_however_they_are_written() {
        let catalogue = catalogue();
        for name in [
            "T46S",
            "t46s",
            "SIP-T46S",
            "yealink T46S",
            " Yealink-T46S ",
            "sip-t46s",
        ] {
            assert_eq!(
                catalogue.model(name).map(|m| m.name.as_str()),
                Some("T46S"),
                "{name:?}"
            );
        }
        assert_eq!(catalogue.model("T21P_E2").unwrap().name, "T21P E2");
        assert_eq!(catalogue.model("t21pe2").unwrap().name, "T21P E2");
        assert_eq!(catalogue.model("SIP VP-T49G").unwrap().name, "T49G");
        assert_eq!(catalogue.model("T58").unwrap().name, "T58A");
        assert_eq!(catalogue.model("T58V").unwrap().name, "T58V");
        assert_eq!(catalogue.model("VP530P").unwrap().name, "VP530");
        for unknown in ["", "T99", "yealink", "SIP-", "polycom T46S", "T46S T46S"] {
            assert_eq!(catalogue.model(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn rows_carry_the_reference_facts() {
        let catalogue = catalogue();
        let row = |name: &str| catalogue.model(name).unwrap();
        let t46s = row("T46S");
        assert_eq!(
            (t46s.lines, t46s.common_file.as_str(), t46s.dect),
            (16, "y000000000066.cfg", None)
        );
        assert_eq!(t46s.templates.device, "yealink/desk.cfg");
        assert_eq!(row("T28P").common_file, "y000000000000.cfg");
        assert_eq!(row("T18").common_file, "y000000000009.cfg");
        for (name, file, lines, handsets) in [
            ("W52P", "y000000000025.cfg", 5, 5),
            ("W56P", "y000000000025.cfg", 5, 5),
            ("W60B", "y000000000077.cfg", 8, 8),
            ("W70B", "y000000000146.cfg", 10, 10),
        ] {
            let base = row(name);
            assert_eq!(
                (base.common_file.as_str(), base.lines),
                (file, lines),
                "{name}"
            );
            assert_eq!(base.dect.map(|d| d.handsets), Some(handsets), "{name}");
            assert_eq!(base.templates.device, "yealink/dect.cfg");
        }
        for (name, accounts) in [("W75DM", 20), ("W80DM", 100), ("W90DM", 250)] {
            let manager = row(name);
            let dect = manager.dect.unwrap();
            assert_eq!(
                (manager.lines, dect.handsets, dect.cells),
                (accounts, accounts, Cells::Multi),
                "{name}: one account per handset"
            );
            assert!(manager.note.is_some(), "{name}: the source of its counts");
        }
        assert_eq!(row("W60B").dect.unwrap().active_handsets, Some(8));
        assert!(row("W52P").unprefixed_keys_through.is_some());
        let lines = |name: &str| row(name).lines;
        assert_eq!(
            [
                lines("T19P E2"),
                lines("T21P E2"),
                lines("T23G"),
                lines("T41S"),
                lines("T42S"),
                lines("T54W")
            ],
            [1, 2, 3, 6, 12, 16]
        );
    }

    #[test]
    fn families_and_their_templates() {
        let catalogue = catalogue();
        let family: Vec<&str> = catalogue
            .family("yealink", "y000000000123.cfg")
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(family, ["T30", "T30P", "T31", "T31P", "T31G"]);
        let unknown = catalogue
            .common_templates("yealink", "y000000000999.cfg")
            .unwrap();
        assert_eq!(unknown.common, "yealink/common.cfg");
        assert_eq!(
            catalogue.common_templates("polycom", "000000000000.cfg"),
            None
        );
    }

    #[test]
    fn vendors_know_their_ouis_transports_and_languages() {
        let catalogue = catalogue();
        let yealink = catalogue.vendor("yealink").unwrap();
        assert_eq!(
            catalogue.vendor_by_oui("80:5e:c0:09:ab:dc".parse().unwrap()),
            Some(yealink)
        );
        assert_eq!(
            catalogue.vendor_by_oui("00:04:f2:00:00:01".parse().unwrap()),
            None
        );
        assert_eq!(yealink.transport_code(crate::domain::Transport::Tls), "2");
        let french = yealink.language(crate::domain::Language::Fr);
        assert_eq!(
            (french.gui.as_str(), french.handset.as_str()),
            ("French", "1")
        );
        let english = yealink.language(crate::domain::Language::En);
        assert_eq!(
            (english.wui.as_str(), english.handset.as_str()),
            ("English", "0")
        );
    }

    #[test]
    fn tones_follow_the_country_of_the_time_zone() {
        let catalogue = catalogue();
        let yealink = catalogue.vendor("yealink").unwrap();
        let tones = |zone: &str| {
            catalogue
                .zone_country(zone.parse().unwrap())
                .and_then(|country| yealink.tone_country(country))
        };
        assert_eq!(tones("America/Toronto"), Some("United States"));
        assert_eq!(tones("Europe/Paris"), Some("France"));
        assert_eq!(tones("Europe/London"), Some("Great Britain"));
        assert_eq!(tones("America/Montreal"), Some("United States"), "a link");
        assert_eq!(tones("UTC"), None);
    }

    #[test]
    fn families_are_the_models_of_one_common_file() {
        let catalogue = catalogue();
        let row = |name: &str| catalogue.model(name).unwrap();
        for (registered, claimed) in [
            ("T46S", "T46S"),
            ("T58V", "T58A"),
            ("W56P", "W52P"),
            ("W80DM", "W80B"),
        ] {
            assert!(
                catalogue.same_family(row(registered), row(claimed)),
                "{claimed}"
            );
        }
        for (registered, claimed) in [("W60B", "T46S"), ("T46S", "T48S"), ("W52P", "W60B")] {
            assert!(
                !catalogue.same_family(row(registered), row(claimed)),
                "{claimed}"
            );
        }
    }

    #[test]
    fn yealink_times_come_from_the_zone_table() {
        let paris = catalogue().yealink_time("Europe/Paris".parse().unwrap(), 2026);
        assert_eq!((paris.offset.as_str(), paris.summer_time), ("+1", 2));
    }

    fn load(text: &str) -> Result<Catalogue, CatalogueError> {
        Catalogue::from_files(&[("test.toml", text)])
    }

    #[test]
    fn broken_files_are_refused_with_file_and_row() {
        let good = VENDOR_FILES[0].1;
        let error = load("id = ").unwrap_err();
        assert!(
            matches!(
                error,
                CatalogueError::Syntax {
                    file: "test.toml",
                    ..
                }
            ),
            "{error}"
        );
        let typo = good.replacen("lines = 16", "line = 16", 1);
        let message = load(&typo).unwrap_err().to_string();
        assert!(message.contains("unknown field `line`"), "{message}");
        let cases = [
            (
                r#"common_file = "y000000000066.cfg""#,
                r#"common_file = "66.cfg""#,
                "matches none",
            ),
            (
                r#"templates = "dect", handsets = 8"#,
                r#"templates = "dect", handsets = 9"#,
                "W60B",
            ),
            (r#"{ name = "T48S","#, r#"{ name = "t46s","#, "same name"),
            (
                r#"user_agents = ["T58A", "T58"]"#,
                r#"user_agents = ["T58A", "T58V"]"#,
                "T58V",
            ),
            (
                r#"default_templates = "desk""#,
                r#"default_templates = "phone""#,
                "phone",
            ),
            (r#""001565","#, r#""00156G","#, "OUI"),
            (
                r#"{ name = "T46S", common_file = "y000000000066.cfg", lines = 16, line_keys = 27 }"#,
                r#"{ name = "T46S", common_file = "y000000000066.cfg", lines = 16, line_keys = 27, cells = "multi" }"#,
                "only for DECT rows",
            ),
            (
                r#"active_handsets = 8"#,
                r#"active_handsets = 4"#,
                "active_handsets must not be fewer",
            ),
            (
                r#"unprefixed_keys_through = "25.80""#,
                r#"unprefixed_keys_through = "25""#,
                "unprefixed_keys_through",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(good.contains(from), "{from}");
            let message = load(&good.replacen(from, to, 1)).unwrap_err().to_string();
            assert!(
                message.starts_with("test.toml: ") && message.contains(expected),
                "{message}"
            );
        }
    }
}

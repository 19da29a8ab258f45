//! Phone settings: what a provider sets on every phone beyond its lines, at four levels
//! (DESIGN.md's "settings with inheritance"): the provider's defaults (config file) <
//! the account < a device profile (a named set assigned to many devices) < the device.
//!
//! One level is a [`Settings`]: **named settings** sipprov understands and each vendor maps
//! to its own keys (`vendors::settings`), every one optional (unset: inherited), and **raw
//! keys** passed to the phone as they are, after the vendor's grammar and the keys sipprov
//! owns have been checked. [`Settings::layer`] folds the levels into the effective
//! settings, remembering which level set each value.
//!
//! Levels are merged through their JSON form, so a new named setting is a field here, its
//! parser in `service::settings` and its mapping in `vendors::settings` — no merge code.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ParseError;

/// One level's settings; `None` and absent raw keys are inherited from the level below.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Audio codecs in order of preference; the others are disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codecs: Option<Vec<Codec>>,
    /// SRTP for calls: `off`, `optional`, `required` (only with a TLS registrar).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtp: Option<Srtp>,
    /// Accept calls only from the registrar / proxy (Yealink `sip.trust_ctrl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_control: Option<bool>,
    /// Seconds between NAT keep-alive packets; 0 turns them off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nat_keepalive: Option<u32>,
    /// The voice VLAN of the phone's internet port; 0: untagged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<u16>,
    /// 802.1p priority of the voice VLAN, 0–7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan_priority: Option<u8>,
    /// How key presses travel during a call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<Dtmf>,
    /// What the phone dials for voicemail, for users with voicemail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voicemail_number: Option<String>,
    /// A remote phone book (XML) the phone loads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phonebook_url: Option<String>,
    /// Dial-now patterns: a number matching one is dialled at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dial_plan: Option<Vec<String>>,
    /// ISO 3166 country whose call-progress tones the phone plays; unset: the country of
    /// the time zone of the user on line 1 (never the language).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tone_country: Option<String>,
    /// `per_device` (generated passwords in every file) or `unmanaged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_passwords: Option<WebPasswordPolicy>,
    /// Vendor keys passed as they are: key → value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, String>,
}

/// The named settings, as the API, the config file and the forms spell them.
pub const NAMED: [&str; 12] = [
    "codecs",
    "srtp",
    "trust_control",
    "nat_keepalive",
    "vlan_id",
    "vlan_priority",
    "dtmf",
    "voicemail_number",
    "phonebook_url",
    "dial_plan",
    "tone_country",
    "web_passwords",
];

/// A change of one level: named settings set (`Some`) or cleared (`None`: inherited again),
/// raw keys set or removed. Fields left out of the patch keep their value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsPatch {
    pub named: Vec<(&'static str, Option<Value>)>,
    pub raw: Vec<(String, Option<String>)>,
}

/// Which level a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Source {
    /// sipprov's own default.
    Default,
    /// The provider's config file.
    Provider,
    Account,
    Profile {
        name: String,
    },
    Device,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Provider => f.write_str("provider"),
            Source::Account => f.write_str("account"),
            Source::Profile { name } => write!(f, "profile {name}"),
            Source::Device => f.write_str("device"),
        }
    }
}

/// The effective settings of a device with the source of each value (named settings by
/// name, raw keys as `raw.<key>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub settings: Settings,
    pub sources: BTreeMap<String, Source>,
}

impl Settings {
    /// Applies a change to this level.
    pub fn apply(&mut self, patch: &SettingsPatch) {
        let mut fields = self.to_map();
        for (name, value) in &patch.named {
            match value {
                Some(value) => fields.insert((*name).to_owned(), value.clone()),
                None => fields.remove(*name),
            };
        }
        for (key, value) in &patch.raw {
            match value {
                Some(value) => self.raw.insert(key.clone(), value.clone()),
                None => self.raw.remove(key),
            };
        }
        let raw = std::mem::take(&mut self.raw);
        *self = Settings::from_map(fields);
        self.raw = raw;
    }

    /// Whether nothing is set at this level.
    pub fn is_empty(&self) -> bool {
        *self == Settings::default()
    }

    /// Folds levels, lowest first, into the effective settings.
    pub fn layer<'a>(levels: impl IntoIterator<Item = (Source, &'a Settings)>) -> Effective {
        let mut fields = Map::new();
        let mut raw = BTreeMap::new();
        let mut sources = BTreeMap::new();
        // Most devices have no settings of their own, nor a profile: nothing to merge.
        for (source, level) in levels.into_iter().filter(|(_, level)| !level.is_empty()) {
            for (name, value) in level.to_map() {
                sources.insert(name.clone(), source.clone());
                fields.insert(name, value);
            }
            for (key, value) in &level.raw {
                sources.insert(format!("raw.{key}"), source.clone());
                raw.insert(key.clone(), value.clone());
            }
        }
        let mut settings = Settings::from_map(fields);
        settings.raw = raw;
        Effective { settings, sources }
    }

    /// The named settings set at this level, by name (raw keys left out).
    pub fn to_map(&self) -> Map<String, Value> {
        let Ok(Value::Object(mut fields)) = serde_json::to_value(self) else {
            unreachable!("settings serialize to an object")
        };
        fields.remove("raw");
        fields
    }

    fn from_map(fields: Map<String, Value>) -> Settings {
        // Every value was parsed into its type before it was stored or patched in.
        serde_json::from_value(Value::Object(fields)).unwrap_or_default()
    }
}

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(input: &str) -> Result<$name, ParseError> {
                $name::ALL.iter().copied().find(|v| v.as_str() == input).ok_or_else(|| {
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    ParseError::new(format!("{input:?} is not one of {}", all.join(", ")))
                })
            }
        }
    };
}

word_enum!(
    /// An audio codec, by the names phones use.
    Codec {
        Pcmu = "pcmu",
        Pcma = "pcma",
        G722 = "g722",
        G729 = "g729",
        Opus = "opus",
        Ilbc = "ilbc",
        G726_16 = "g726_16",
        G726_24 = "g726_24",
        G726_32 = "g726_32",
        G726_40 = "g726_40",
        G723_53 = "g723_53",
        G723_63 = "g723_63",
    }
);

word_enum!(
    /// SRTP for calls.
    Srtp {
        Off = "off",
        Optional = "optional",
        Required = "required",
    }
);

word_enum!(
    /// How DTMF travels.
    Dtmf {
        Rfc2833 = "rfc2833",
        Inband = "inband",
        SipInfo = "sip_info",
    }
);

word_enum!(
    /// Who sets a device's web passwords.
    WebPasswordPolicy {
        PerDevice = "per_device",
        Unmanaged = "unmanaged",
    }
);

/// An ordered codec list: known names, no repeats, at least one.
pub fn codec_list(names: &[String]) -> Result<Vec<Codec>, ParseError> {
    if names.is_empty() {
        return Err(ParseError::new("must name at least one codec"));
    }
    let mut codecs = Vec::new();
    for name in names {
        let codec: Codec = name.parse()?;
        if codecs.contains(&codec) {
            return Err(ParseError::new(format!("names {codec} twice")));
        }
        codecs.push(codec);
    }
    Ok(codecs)
}

/// What a phone dials: digits, `*`, `#`, `+`, 1 to 32 of them.
pub fn dial_string(input: &str) -> Result<String, ParseError> {
    let text = input.trim();
    if text.is_empty() || text.len() > 32 {
        return Err(ParseError::new("must be 1 to 32 characters"));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || "*#+".contains(c))
    {
        return Err(ParseError::new("may hold only digits, *, # and +"));
    }
    Ok(text.to_owned())
}

/// A dial-now pattern: digits, `x` (any digit), `.` (repeat), `[]`, `-`, `,`, `|`, `*`,
/// `#`, `+`, up to 64 characters.
pub fn dial_pattern(input: &str) -> Result<String, ParseError> {
    let text = input.trim();
    if text.is_empty() || text.len() > 64 {
        return Err(ParseError::new("each pattern must be 1 to 64 characters"));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || "xX.[]-,|*#+".contains(c))
    {
        return Err(ParseError::new(format!(
            "{text:?}: a pattern may hold only digits, x, ., [, ], -, ',', |, *, # and +"
        )));
    }
    Ok(text.to_owned())
}

/// An `http` or `https` URL with a host, without spaces or control characters.
pub fn web_url(input: &str) -> Result<String, ParseError> {
    let text = input.trim();
    if text.len() > 512 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ParseError::new(
            "must be a URL of at most 512 characters, without spaces",
        ));
    }
    let uri: http::Uri = text
        .parse()
        .map_err(|_| ParseError::new("must be an http:// or https:// URL"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(text.to_owned()),
        _ => Err(ParseError::new("must be an http:// or https:// URL")),
    }
}

/// An ISO 3166 alpha-2 country code, two upper-case letters.
pub fn country_code(input: &str) -> Result<String, ParseError> {
    if input.len() == 2 && input.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(input.to_owned())
    } else {
        Err(ParseError::new(
            "must be an ISO 3166 country code such as CA or FR",
        ))
    }
}

/// A profile's name, checked by [`profile_name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName(pub String);

impl FromStr for ProfileName {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<ProfileName, ParseError> {
        profile_name(input).map(ProfileName)
    }
}

/// A profile's name: 1–32 lower-case letters, digits, `-` and `_`, starting with a letter
/// or digit.
pub fn profile_name(input: &str) -> Result<String, ParseError> {
    let name = input.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(ParseError::new(
            "must be 1 to 32 letters, digits, - and _ (such as reception)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(json: Value) -> Settings {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn each_value_comes_from_the_highest_level_that_sets_it() {
        let provider = level(serde_json::json!({"voicemail_number": "*97", "srtp": "off"}));
        let account = level(serde_json::json!({
            "srtp": "optional", "codecs": ["g722", "pcmu"], "raw": {"a.b": "1", "c.d": "2"}
        }));
        let profile = level(serde_json::json!({"vlan_id": 20, "raw": {"a.b": "3"}}));
        let device = level(serde_json::json!({"codecs": ["opus"]}));
        let effective = Settings::layer([
            (Source::Provider, &provider),
            (Source::Account, &account),
            (
                Source::Profile {
                    name: "reception".into(),
                },
                &profile,
            ),
            (Source::Device, &device),
        ]);
        let s = &effective.settings;
        assert_eq!(s.codecs, Some(vec![Codec::Opus]));
        assert_eq!(s.srtp, Some(Srtp::Optional));
        assert_eq!(s.vlan_id, Some(20));
        assert_eq!(s.voicemail_number.as_deref(), Some("*97"));
        assert_eq!(s.raw["a.b"], "3");
        assert_eq!(s.raw["c.d"], "2");
        assert_eq!(effective.sources["codecs"], Source::Device);
        assert_eq!(effective.sources["srtp"], Source::Account);
        assert_eq!(effective.sources["voicemail_number"], Source::Provider);
        assert_eq!(
            effective.sources["raw.a.b"],
            Source::Profile {
                name: "reception".into()
            }
        );
    }

    #[test]
    fn a_patch_sets_clears_and_leaves_the_rest() {
        let mut settings =
            level(serde_json::json!({"srtp": "optional", "vlan_id": 10, "raw": {"a.b": "1"}}));
        settings.apply(&SettingsPatch {
            named: vec![("srtp", None), ("dtmf", Some(Value::from("inband")))],
            raw: vec![("a.b".into(), None), ("e.f".into(), Some("%NULL%".into()))],
        });
        assert_eq!(settings.srtp, None);
        assert_eq!(settings.vlan_id, Some(10));
        assert_eq!(settings.dtmf, Some(Dtmf::Inband));
        assert_eq!(
            settings.raw,
            BTreeMap::from([("e.f".to_owned(), "%NULL%".to_owned())])
        );
    }

    #[test]
    fn named_is_every_field() {
        let every: Settings = level(serde_json::json!({
            "codecs": ["pcmu"], "srtp": "off", "trust_control": true, "nat_keepalive": 30,
            "vlan_id": 1, "vlan_priority": 5, "dtmf": "rfc2833", "voicemail_number": "*97",
            "phonebook_url": "https://a.example/pb.xml", "dial_plan": ["1xx"],
            "tone_country": "FR", "web_passwords": "per_device"
        }));
        let names: Vec<String> = every.to_map().keys().cloned().collect();
        let mut expected: Vec<String> = NAMED.iter().map(|n| (*n).to_owned()).collect();
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn parsers_refuse_what_a_phone_cannot_take() {
        assert!(codec_list(&["g722".into(), "g722".into()]).is_err());
        assert!(codec_list(&["G722".into()]).is_err(), "names are exact");
        assert!(codec_list(&["mp3".into()]).is_err());
        assert!(dial_string("*97").is_ok() && dial_string("97 1").is_err());
        assert!(dial_pattern("[2-9]xxxxxx").is_ok() && dial_pattern("1xx\n").is_ok());
        assert!(dial_pattern("1xx;reboot").is_err());
        assert!(web_url("https://pb.example.com/a.xml").is_ok());
        assert!(web_url("ftp://pb.example.com").is_err() && web_url("https://a b").is_err());
        assert_eq!(country_code("CA").unwrap(), "CA");
        assert!(country_code("ca").is_err());
        assert!(profile_name("Reception").is_ok() && profile_name("-x").is_err());
    }
}

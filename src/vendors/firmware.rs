//! Firmware versions, as a User-Agent gives them (`25.80.0.15`), and the decisions they drive.
//!
//! Yealink's DECT bases W52P and W56P read their provisioning, network and security keys
//! without the `static.` prefix on base firmware 25.80 and older (`auto_provision.server.url`,
//! Wazo `v80/templates/W52P.tpl`); 25.81 and later read the `static.` names (Wazo `v81`). The
//! catalogue row says the last release of the old names (`unprefixed_keys_through = "25.80"`);
//! [`Model::static_key_prefixes`] picks the spelling from the firmware of the request, and
//! [`respell_static_keys`] applies it to the keys of named settings (VLAN …).

use super::Model;
use super::settings::KeyValue;

/// A four-part firmware version (`66.85.0.5`): the first part is the platform, the second the
/// release (V80, V85 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FirmwareVersion([u32; 4]);

/// A platform and release (`25.80`): every firmware `25.80.x.y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FirmwareRelease(u32, u32);

/// Key prefixes of the `static.` keys: the modern spelling only.
const STATIC: &[&str] = &["static."];
/// The old spelling only.
const UNPREFIXED: &[&str] = &[""];
/// Both, when the firmware is not known: each key is written twice with the same value, so
/// the base applies it whichever spelling it reads.
const BOTH: &[&str] = &["static.", ""];

impl FirmwareVersion {
    /// `a.b.c.d`, each part 1–6 digits; `None` for anything else.
    pub fn parse(text: &str) -> Option<FirmwareVersion> {
        let mut parts = [0u32; 4];
        let mut fields = text.split('.');
        for part in &mut parts {
            let field = fields.next()?;
            if field.is_empty() || field.len() > 6 || !field.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *part = field.parse().ok()?;
        }
        fields.next().is_none().then_some(FirmwareVersion(parts))
    }

    /// Its platform and release.
    pub fn release(self) -> FirmwareRelease {
        FirmwareRelease(self.0[0], self.0[1])
    }
}

impl FirmwareRelease {
    /// `a.b`; `Err` is a sentence for the catalogue's error.
    pub(super) fn parse(text: &str) -> Result<FirmwareRelease, String> {
        let version = text
            .split_once('.')
            .and_then(|(platform, release)| {
                FirmwareVersion::parse(&format!("{platform}.{release}.0.0"))
            })
            .ok_or_else(|| format!("{text:?} is not a firmware release such as 25.80"))?;
        Ok(version.release())
    }
}

impl Model {
    /// The prefixes to write its `static.` keys with, for a request from `firmware` (the
    /// User-Agent's): `static.` for models and firmware that read it, none for a base on its
    /// old firmware, both when the firmware of such a model is not known (no or another
    /// User-Agent, an admin's preview).
    pub fn static_key_prefixes(&self, firmware: Option<&str>) -> &'static [&'static str] {
        let Some(last_unprefixed) = self.unprefixed_keys_through else {
            return STATIC;
        };
        match firmware.and_then(FirmwareVersion::parse) {
            Some(version) if version.release() <= last_unprefixed => UNPREFIXED,
            Some(_) => STATIC,
            None => BOTH,
        }
    }
}

/// `lines` with each `static.` key written with every prefix of `prefixes` (as
/// `Model::static_key_prefixes` gives them) in its place; other keys as they are.
pub fn respell_static_keys(lines: Vec<KeyValue>, prefixes: &[&str]) -> Vec<KeyValue> {
    let mut respelled = Vec::with_capacity(lines.len());
    for line in lines {
        match line.key.strip_prefix("static.") {
            Some(rest) => respelled.extend(prefixes.iter().map(|prefix| KeyValue {
                key: format!("{prefix}{rest}"),
                value: line.value.clone(),
            })),
            None => respelled.push(line),
        }
    }
    respelled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::Catalogue;

    #[test]
    fn versions_are_four_numbers() {
        let version = FirmwareVersion::parse("25.80.0.15").unwrap();
        assert_eq!(version.release(), FirmwareRelease(25, 80));
        for bad in [
            "",
            "25.80",
            "25.80.0",
            "25.80.0.15.1",
            "25.8x.0.1",
            "25..0.1",
            "1234567.1.1.1",
        ] {
            assert_eq!(FirmwareVersion::parse(bad), None, "{bad:?}");
        }
        assert_eq!(FirmwareRelease::parse("25.80"), Ok(FirmwareRelease(25, 80)));
        assert!(FirmwareRelease::parse("25").is_err() && FirmwareRelease::parse("25.x").is_err());
    }

    #[test]
    fn old_dect_bases_get_the_unprefixed_names() {
        let catalogue = Catalogue::builtin();
        let w52p = catalogue.model("W52P").unwrap();
        assert_eq!(w52p.static_key_prefixes(Some("25.80.0.15")), UNPREFIXED);
        assert_eq!(w52p.static_key_prefixes(Some("25.73.0.20")), UNPREFIXED);
        assert_eq!(w52p.static_key_prefixes(Some("25.81.0.10")), STATIC);
        assert_eq!(w52p.static_key_prefixes(None), BOTH);
        assert_eq!(w52p.static_key_prefixes(Some("garbage")), BOTH);
        let w56p = catalogue.model("W56P").unwrap();
        assert_eq!(w56p.static_key_prefixes(Some("25.80.0.20")), UNPREFIXED);
        let t46s = catalogue.model("T46S").unwrap();
        let vlan = |key: &str| KeyValue {
            key: key.into(),
            value: "1".into(),
        };
        let lines = vec![
            vlan("static.network.vlan.internet_port_enable"),
            vlan("account.1.dtmf.type"),
        ];
        let keys = |prefixes| {
            respell_static_keys(lines.clone(), prefixes)
                .into_iter()
                .map(|line| line.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(UNPREFIXED),
            ["network.vlan.internet_port_enable", "account.1.dtmf.type"]
        );
        assert_eq!(
            keys(STATIC),
            [
                "static.network.vlan.internet_port_enable",
                "account.1.dtmf.type"
            ]
        );
        assert_eq!(keys(BOTH).len(), 3);
        assert_eq!(t46s.static_key_prefixes(None), STATIC);
        assert_eq!(t46s.static_key_prefixes(Some("2.70.0.140")), STATIC);
    }
}

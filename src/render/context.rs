//! The contexts templates render: one plain serializable struct per file kind, filled by the
//! service with values already in the vendor's words (from `vendors`), so templates only
//! place values and never decide anything.
//!
//! [`AccountSlot::all`] and [`HandsetSlot::defaults`] build the two lists whose shape is a
//! rule rather than data: every account slot of the model is present (unused ones are
//! rendered as explicitly cleared, so a line removed from a phone is removed from the phone),
//! and handset N of a single-cell DECT base uses line N.

use std::collections::BTreeMap;

use serde::Serialize;

use super::sip_template::SipTemplateSlot;
use crate::domain::{Mac, Secret, SipRoute, Transport};
use crate::vendors::settings::KeyValue;
use crate::vendors::{Cells, Dect, LanguageNames, RecheckWindow, YealinkTime};

/// The context of a device's own file (`<mac>.cfg`): its lines and its secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceFile {
    /// Vendor id from the catalogue (`yealink`).
    pub vendor: String,
    /// Model name from the catalogue (`T46S`); picks the template.
    pub model: String,
    /// The device; shown in the file's header.
    pub mac: Mac,
    /// The provisioning directory the device keeps polling; ends with `/`.
    pub server_url: String,
    /// The HTTP credentials the device keeps presenting.
    pub provisioning: ProvisioningLogin,
    /// When the device checks for a new file each day.
    pub recheck: RecheckWindow,
    /// Language and time zone in the vendor's words.
    pub locale: DeviceLocale,
    /// One slot per SIP account of the model, numbered 1..=lines.
    pub accounts: Vec<AccountSlot>,
    /// DECT single-cell bases: one slot per handset, numbered 1..=handsets; empty otherwise.
    pub handsets: Vec<HandsetSlot>,
    /// The passwords of the device's web logins; `None` leaves the device's own.
    pub web_passwords: Option<WebLogins>,
    /// The named settings in force, each with its keys and the level that set it.
    pub settings: Vec<SettingBlock>,
    /// Desk phones: every programmable key of the model, set or cleared; empty otherwise.
    pub line_keys: Vec<LineKeySlot>,
    /// The raw vendor keys in force, written last.
    pub raw: Vec<RawLine>,
    /// DECT bases that need it: how many handsets the base accepts.
    pub active_handsets: Option<u16>,
    /// Multi-cell DECT systems: the ten SIP server templates (`SipTemplateSlot::assign`);
    /// empty otherwise.
    pub sip_templates: Vec<SipTemplateSlot>,
    /// What the `static.` keys are written with (`Model::static_key_prefixes`): `static.`,
    /// nothing (old DECT base firmware), or both, each key then written twice.
    pub static_prefixes: &'static [&'static str],
    /// The firmware the device is told to run.
    pub firmware: FirmwareUrls,
}

/// One programmable key of a desk phone, in the vendor's words; a cleared key has type
/// `0` and `%NULL%` everywhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineKeySlot {
    pub number: u16,
    /// The vendor's type code (Yealink: 15 line, 16 BLF, 13 speed dial, 10 park, 12
    /// voicemail, 0 none).
    pub kind: String,
    pub line: String,
    pub value: String,
    pub label: String,
}

impl LineKeySlot {
    /// Key `number` in Yealink's words: `key`, or cleared.
    pub fn yealink(number: u16, key: Option<&crate::domain::line_key::LineKey>) -> LineKeySlot {
        use crate::domain::line_key::LineKeyKind;
        let null = || "%NULL%".to_owned();
        let Some(key) = key else {
            return LineKeySlot {
                number,
                kind: "0".into(),
                line: null(),
                value: null(),
                label: null(),
            };
        };
        let kind = match key.kind {
            LineKeyKind::Line => "15",
            LineKeyKind::Blf => "16",
            LineKeyKind::SpeedDial => "13",
            LineKeyKind::Park => "10",
            LineKeyKind::Voicemail => "12",
        };
        LineKeySlot {
            number,
            kind: kind.into(),
            line: key.line.to_string(),
            value: key.value.clone().unwrap_or_else(null),
            label: key.label.clone().unwrap_or_else(null),
        }
    }
}

/// A named setting in the vendor's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingBlock {
    /// The setting's name (`codecs`).
    pub name: String,
    /// Where its value comes from (`account`, `profile reception`, `device` …).
    pub source: String,
    pub lines: Vec<KeyValue>,
}

/// A raw vendor key, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawLine {
    pub key: String,
    pub value: String,
    pub source: String,
}

/// The passwords of a device's built-in web logins, written into its file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebLogins {
    /// The `admin` login: every right on the device's web page.
    pub admin: Secret,
    /// The `user` login.
    pub user: Secret,
}

/// Firmware URLs of a device file. A device outside its rollout's stage (or with no pin) gets
/// every URL cleared: it is told neither to upgrade nor to downgrade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirmwareUrls {
    /// The device's own image (Yealink `static.firmware.url`); `None` renders it cleared.
    pub device: Option<String>,
    /// DECT bases: one entry per handset model of the vendor, in catalogue order; empty for
    /// desk phones.
    pub handsets: Vec<HandsetFirmware>,
}

/// The image a DECT base hands on over the air to one model of handset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandsetFirmware {
    /// The handset model as the vendor's keys spell it (Yealink: lower-case, `w56h`).
    pub key: String,
    /// `None` renders the key cleared.
    pub url: Option<String>,
}

/// HTTP credentials for fetching provisioning files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisioningLogin {
    /// HTTP user name.
    pub username: String,
    /// HTTP password, in clear in the file (the file travels over TLS to this device only).
    pub password: Secret,
}

/// A device's locale, resolved by the caller through the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceLocale {
    /// `Vendor::language` of the device's language.
    pub language: LanguageNames,
    /// `Catalogue::yealink_time` of the device's time zone.
    pub time: YealinkTime,
    /// The vendor's tone set of the `tone_country` setting, else of the country of the
    /// time zone; `None` leaves the phone's own.
    pub tone_country: Option<String>,
}

/// One SIP account slot of a device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountSlot {
    /// The account index on the device, from 1.
    pub number: u16,
    /// The line in this slot; `None` renders the slot disabled and cleared.
    pub line: Option<LineAccount>,
}

/// A line's SIP account, as the phone registers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineAccount {
    /// Shown on the phone's line key or idle screen: the line name.
    pub label: String,
    /// The caller name sent with calls.
    pub display_name: String,
    /// The SIP user (the user part of the address of record).
    pub user_name: String,
    /// The Digest authentication user name.
    pub auth_name: String,
    /// The Digest password.
    pub password: Secret,
    /// What the line registers as, and where it sends the REGISTER.
    pub route: LineRoute,
    /// Registration lifetime in seconds (3600 unless the registrar wants otherwise).
    pub expires: u32,
    /// Number dialled for voicemail (`*97`); `None` when the user has no voicemail.
    pub voicemail: Option<String>,
    /// Whether the phone subscribes to message-waiting notifications.
    pub subscribe_mwi: bool,
    /// Multi-cell DECT systems: the SIP server template the account registers through
    /// (`SipTemplateSlot::assign`), in place of its own servers; `None` elsewhere.
    pub sip_template: Option<u16>,
}

/// A line's SIP identity and where its REGISTERs go (`domain::SipRoute` in the vendor's
/// words): two server slots and two outbound proxy slots, a `None` slot rendered cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRoute {
    /// `sip_server.1` and `.2`: the account's SIP domain, once per registrar.
    pub servers: [Option<SipServerAddress>; 2],
    /// Whether the outbound proxy is on: some registrar is not the SIP domain itself.
    pub outbound_proxy_enabled: bool,
    /// `outbound_proxy.1` and `.2`: the registrars, when the outbound proxy is on.
    pub outbound_proxies: [Option<ProxyAddress>; 2],
}

/// A SIP server entry: what the line registers as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipServerAddress {
    /// The SIP domain (the host of the address of record and the realm).
    pub host: String,
    /// UDP or TCP port.
    pub port: u16,
    /// `Vendor::transport_code` of the transport (Yealink: `0` UDP, `1` TCP, `2` TLS).
    pub transport: String,
}

/// An outbound proxy: where REGISTERs and calls are sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyAddress {
    /// A DNS name or IP address.
    pub host: String,
    pub port: u16,
}

/// One handset of a single-cell DECT base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandsetSlot {
    /// The handset index on the base, from 1.
    pub number: u16,
    /// The handset's display name; `None` restores the base's default name.
    pub name: Option<String>,
    /// The one account the handset rings for and dials out on.
    pub line: u16,
}

/// The context of a model family's common file: fetched without credentials, so it holds
/// nothing secret and nothing specific to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommonFile {
    /// Vendor id from the catalogue (`yealink`).
    pub vendor: String,
    /// The file's canonical name (`y000000000066.cfg`); picks the template.
    pub file: String,
    /// The catalogue models requesting this file (`Catalogue::family`), for the file's header.
    pub models: Vec<String>,
    /// The provisioning directory; ends with `/`.
    pub server_url: String,
    /// NTP servers in order of preference (Yealink reads the first two).
    pub ntp_servers: Vec<String>,
}

impl AccountSlot {
    /// Slots 1..=`count`, each holding the line of that number, or unused. Lines numbered
    /// outside 1..=`count` have no slot (the domain never assigns them).
    pub fn all(count: u16, mut lines: BTreeMap<u16, LineAccount>) -> Vec<AccountSlot> {
        (1..=count)
            .map(|number| AccountSlot {
                number,
                line: lines.remove(&number),
            })
            .collect()
    }
}

impl LineRoute {
    /// The slots of a route; `transport_code` gives the vendor's name of a transport.
    /// Servers and proxies past the second have no slot (an account names two registrars).
    pub fn new(route: &SipRoute, transport_code: impl Fn(Transport) -> String) -> LineRoute {
        let server = |index: usize| {
            route.servers.get(index).map(|server| SipServerAddress {
                host: server.host.clone(),
                port: server.port,
                transport: transport_code(server.transport),
            })
        };
        let proxy = |index: usize| {
            route
                .outbound_proxies
                .get(index)
                .map(|(host, port)| ProxyAddress {
                    host: host.clone(),
                    port: *port,
                })
        };
        LineRoute {
            servers: [server(0), server(1)],
            outbound_proxy_enabled: !route.outbound_proxies.is_empty(),
            outbound_proxies: [proxy(0), proxy(1)],
        }
    }
}

impl HandsetSlot {
    /// The default handsets of a DECT base: on a single-cell base, handset N uses line N and
    /// takes its label as name; an unassigned handset keeps its own, cleared line, so it can
    /// neither ring for nor call out on anyone else's. Multi-cell systems tie account N to
    /// handset N themselves and desk phones have no handsets: both get none.
    pub fn defaults(dect: Option<Dect>, accounts: &[AccountSlot]) -> Vec<HandsetSlot> {
        let Some(Dect {
            handsets,
            cells: Cells::Single,
            ..
        }) = dect
        else {
            return Vec::new();
        };
        (1..=handsets)
            .map(|number| HandsetSlot {
                number,
                name: accounts
                    .iter()
                    .find(|slot| slot.number == number)
                    .and_then(|slot| slot.line.as_ref())
                    .map(|line| line.label.clone()),
                line: number,
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn line(label: &str) -> LineAccount {
        LineAccount {
            label: label.into(),
            display_name: label.into(),
            user_name: "u".into(),
            auth_name: "u".into(),
            password: Secret::generated("p".repeat(20)),
            route: LineRoute {
                servers: [
                    Some(SipServerAddress {
                        host: "sip.example.com".into(),
                        port: 5061,
                        transport: "2".into(),
                    }),
                    None,
                ],
                outbound_proxy_enabled: false,
                outbound_proxies: [None, None],
            },
            expires: 3600,
            voicemail: None,
            subscribe_mwi: false,
            sip_template: None,
        }
    }

    #[test]
    fn every_slot_is_present_and_only_assigned_ones_hold_a_line() {
        let lines = BTreeMap::from([(2, line("Bob")), (9, line("Nobody"))]);
        let slots = AccountSlot::all(3, lines);
        let numbers: Vec<u16> = slots.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(
            slots[1].line.as_ref().map(|l| l.label.as_str()),
            Some("Bob")
        );
        assert!(slots[0].line.is_none() && slots[2].line.is_none());
    }

    #[test]
    fn single_cell_handsets_follow_their_line() {
        let slots = AccountSlot::all(5, BTreeMap::from([(1, line("Ann")), (3, line("Cid"))]));
        let dect = Dect {
            handsets: 5,
            cells: Cells::Single,
            active_handsets: None,
        };
        let handsets = HandsetSlot::defaults(Some(dect), &slots);
        let names: Vec<Option<&str>> = handsets.iter().map(|h| h.name.as_deref()).collect();
        assert_eq!(names, [Some("Ann"), None, Some("Cid"), None, None]);
        assert!(handsets.iter().all(|h| h.line == h.number));
    }

    #[test]
    fn desk_phones_and_multi_cell_systems_get_no_handset_keys() {
        let slots = AccountSlot::all(2, BTreeMap::new());
        assert!(HandsetSlot::defaults(None, &slots).is_empty());
        let dm = Dect {
            handsets: 100,
            cells: Cells::Multi,
            active_handsets: None,
        };
        assert!(HandsetSlot::defaults(Some(dm), &slots).is_empty());
    }
}

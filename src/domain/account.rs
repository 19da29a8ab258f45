//! `Account`: a customer of the provider, with its SIP domain, registrar, numbering plan,
//! defaults for its users, and how its phones authenticate.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ParseError;
use super::credentials::Secret;
use super::extension::NumberingPlan;
use super::identity::is_dns_name;
use super::locale::{Language, TimeZone};
use super::settings::Settings;
use super::text::line_of_text;

/// Identifies an account; assigned by the store, never reused.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct AccountId(pub u64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for AccountId {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<AccountId, ParseError> {
        input
            .parse()
            .map(AccountId)
            .map_err(|_| ParseError::new("must be an account id (a number)"))
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    /// The customer's name as admins see it.
    pub name: String,
    /// The SIP domain (realm) its users register in; unique across accounts, lower case.
    pub domain: String,
    /// The account group name: the suffix of app usernames. Users cannot be created until
    /// it is set.
    #[serde(default)]
    pub group_name: Option<String>,
    /// Where this account's phones send their REGISTERs (see [`Account::sip_route`]).
    pub registrar: Registrar,
    /// Where they turn when `registrar` does not answer.
    #[serde(default)]
    pub backup_registrar: Option<Registrar>,
    pub numbering: NumberingPlan,
    /// Defaults for users who do not choose.
    pub language: Language,
    pub time_zone: TimeZone,
    /// Calling plans users of this account may be given.
    #[serde(default)]
    pub calling_plans: Vec<String>,
    /// The plan a user gets when none is chosen; one of `calling_plans`.
    #[serde(default)]
    pub default_calling_plan: Option<String>,
    /// How this account's phones authenticate when fetching their files.
    pub device_auth: DeviceAuth,
    /// Phone settings of the account's devices (over the provider's defaults).
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub settings: Settings,
    /// Device profiles: named settings an admin assigns to devices (name → settings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Settings>,
    pub created_at: Timestamp,
}

/// How an account's phones prove who they are to the provisioning server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceAuth {
    /// Each device has its own generated credentials (the default).
    PerDevice,
    /// One credential for every device of the account (sites that hand out the server URL
    /// by DHCP and cannot deliver a credential per phone).
    Account(ProvisioningCredentials),
}

/// HTTP credentials a phone presents when fetching its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisioningCredentials {
    pub username: String,
    pub password: Secret,
}

/// The SIP registrar an account's phones register with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registrar {
    /// A DNS name or IP address.
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// The port a registrar listens on for this transport unless told otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tls => 5061,
            Transport::Udp | Transport::Tcp => 5060,
        }
    }
}

impl FromStr for Transport {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<Transport, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            "tls" => Ok(Transport::Tls),
            _ => Err(ParseError::new("must be 'udp', 'tcp' or 'tls'")),
        }
    }
}

/// What an account's phones register as, and where they send it (DESIGN.md §3, "SIP
/// identity"): every address of record is at the account's SIP domain, the realm of its
/// credentials; a registrar that is not the domain itself becomes an outbound proxy, so a
/// registrar challenging with realm = To domain accepts exactly the HA1 sipprov keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipRoute {
    /// The registrar host phones address: the SIP domain, once per registrar (primary,
    /// then backup), with that registrar's transport — and its port, unless an outbound
    /// proxy carries it (then the transport's default port).
    pub servers: Vec<SipServer>,
    /// Where REGISTERs go when some registrar is not the domain: every registrar, in
    /// order. Empty when phones send straight to the domain.
    pub outbound_proxies: Vec<(String, u16)>,
}

/// One SIP server entry of a phone's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipServer {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

impl Account {
    /// The registrars in order of preference: the registrar, then the backup.
    pub fn registrars(&self) -> impl Iterator<Item = &Registrar> {
        std::iter::once(&self.registrar).chain(&self.backup_registrar)
    }

    /// What this account's phones register as and where they send it.
    pub fn sip_route(&self) -> SipRoute {
        let proxied = self.registrars().any(|r| r.host != self.domain);
        let servers = self
            .registrars()
            .map(|r| SipServer {
                host: self.domain.clone(),
                port: if proxied {
                    r.transport.default_port()
                } else {
                    r.port
                },
                transport: r.transport,
            })
            .collect();
        let outbound_proxies = if proxied {
            self.registrars()
                .map(|r| (r.host.clone(), r.port))
                .collect()
        } else {
            Vec::new()
        };
        SipRoute {
            servers,
            outbound_proxies,
        }
    }
}

/// A SIP domain: a DNS name with at least one dot, stored lower-case.
pub fn sip_domain(input: &str) -> Result<String, ParseError> {
    let domain = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if is_dns_name(&domain) && domain.contains('.') {
        Ok(domain)
    } else {
        Err(ParseError::new(
            "must be a DNS name such as acme.sip.example.com",
        ))
    }
}

/// A registrar host: a DNS name or an IP address.
pub fn registrar_host(input: &str) -> Result<String, ParseError> {
    let host = input.trim().to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || is_dns_name(&host) {
        Ok(host)
    } else {
        Err(ParseError::new("must be a DNS name or an IP address"))
    }
}

/// An account group name: 1–64 letters, digits, `.`, `_` or `-` (it becomes the part of
/// app usernames after the `@`).
pub fn group_name(input: &str) -> Result<String, ParseError> {
    let name = input.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(ParseError::new("must be 1 to 64 characters long"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(ParseError::new(
            "may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(name.to_owned())
}

/// A calling plan name as offered by the account.
pub fn calling_plan(input: &str) -> Result<String, ParseError> {
    line_of_text(input, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_domains_are_lower_case_dotted_names() {
        assert_eq!(
            sip_domain("Acme.SIP.example.com.").unwrap(),
            "acme.sip.example.com"
        );
        assert!(sip_domain("localhost").is_err());
        assert!(sip_domain("acme sip.com").is_err());
    }

    #[test]
    fn registrar_hosts_are_names_or_addresses() {
        assert_eq!(registrar_host("10.0.0.5").unwrap(), "10.0.0.5");
        assert_eq!(registrar_host("::1").unwrap(), "::1");
        assert!(registrar_host("sip.example.com").is_ok());
        assert!(registrar_host("sip example").is_err());
    }

    #[test]
    fn transports_and_their_default_ports() {
        assert_eq!("TLS".parse::<Transport>().unwrap().default_port(), 5061);
        assert_eq!("udp".parse::<Transport>().unwrap().default_port(), 5060);
        assert!("sctp".parse::<Transport>().is_err());
    }

    fn account(host: &str, port: u16, backup: Option<&str>) -> Account {
        let registrar = |host: &str, port: u16| Registrar {
            host: host.into(),
            port,
            transport: Transport::Udp,
        };
        Account {
            id: AccountId(1),
            name: "Acme".into(),
            domain: "acme.example.com".into(),
            group_name: None,
            registrar: registrar(host, port),
            backup_registrar: backup.map(|host| registrar(host, 5070)),
            numbering: NumberingPlan::default(),
            language: Language::En,
            time_zone: "UTC".parse().unwrap(),
            calling_plans: Vec::new(),
            default_calling_plan: None,
            device_auth: DeviceAuth::PerDevice,
            settings: Settings::default(),
            profiles: BTreeMap::new(),
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn phones_register_as_the_domain_through_a_registrar_that_is_not_it() {
        let route = account("127.0.0.1", 5062, None).sip_route();
        let server = SipServer {
            host: "acme.example.com".into(),
            port: 5060,
            transport: Transport::Udp,
        };
        assert_eq!(route.servers, std::slice::from_ref(&server));
        assert_eq!(route.outbound_proxies, [("127.0.0.1".to_owned(), 5062)]);

        let route = account("127.0.0.1", 5062, Some("10.0.0.2")).sip_route();
        assert_eq!(route.servers, [server.clone(), server]);
        assert_eq!(
            route.outbound_proxies,
            [
                ("127.0.0.1".to_owned(), 5062),
                ("10.0.0.2".to_owned(), 5070)
            ]
        );
    }

    #[test]
    fn a_registrar_that_is_the_domain_needs_no_outbound_proxy() {
        let route = account("acme.example.com", 5080, None).sip_route();
        assert_eq!(route.servers[0].port, 5080);
        assert!(route.outbound_proxies.is_empty());
        let route = account("acme.example.com", 5080, Some("backup.example.net")).sip_route();
        assert_eq!(route.servers.len(), 2);
        assert_eq!(
            route.outbound_proxies.len(),
            2,
            "one registrar is not the domain"
        );
    }

    #[test]
    fn group_names_can_follow_an_at_sign() {
        assert_eq!(group_name(" acme-corp ").unwrap(), "acme-corp");
        assert!(group_name("acme corp").is_err());
        assert!(group_name("").is_err());
        assert!(group_name("a@b").is_err());
    }
}

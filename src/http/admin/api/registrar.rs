//! The registrar directory's answers, each in its registrar's own format (DESIGN.md §7):
//! Kamailio's plain-text HA1 (`http_client_query`), FreeSWITCH's directory XML
//! (`mod_xml_curl`), Asterisk's realtime `ps_auths` rows (`res_config_curl`), and the
//! subscriber rows of every line for registrars that load their own table (Kamailio SQL,
//! CSV, JSON). Every format is made of `service::Subscriber` rows; a lookup that finds
//! nothing gets one answer per format, whatever the reason. No answer carries a password.

use http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::route::{AsteriskCredential, AsteriskRows};
use super::scope::Principal;
use super::{Reply, input};
use crate::domain::AccountId;
use crate::service::{Service, Subscriber, SubscriberList};

const TEXT: &str = "text/plain; charset=utf-8";

/// What Kamailio gets for an unknown user or realm and an unassigned or deleted line.
const NOT_FOUND: &str = "not found\n";

/// FreeSWITCH's "no such user" document.
const FREESWITCH_NOT_FOUND: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>
<document type=\"freeswitch/xml\">
  <section name=\"result\">
    <result status=\"not found\"/>
  </section>
</document>
";

/// `GET /registrar/v1/ha1?username=U&realm=R[&hash=ha1b]`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct Ha1Query {
    /// SIP user name (the Digest user name).
    #[param(required = true, min_length = 1)]
    username: Option<String>,
    /// The account's SIP domain.
    #[param(required = true, min_length = 1)]
    realm: Option<String>,
    /// `ha1` (default) or `ha1b`.
    #[param(inline, value_type = Option<HashKind>)]
    hash: Option<String>,
}

/// Which hash `GET /registrar/v1/ha1` answers.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum HashKind {
    /// MD5(username:domain:password).
    Ha1,
    /// MD5(username@domain:domain:password).
    Ha1b,
}

/// `GET /registrar/v1/subscribers?format=F[&account=N]`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SubscribersQuery {
    /// `json` (default), `csv`, or `kamailio-sql` (one transaction replacing the rows of the
    /// exported domains).
    #[param(inline, value_type = Option<ExportFormat>)]
    format: Option<String>,
    /// Only this account's lines.
    #[param(value_type = Option<u64>)]
    account: Option<String>,
}

/// The formats of the subscriber export.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
enum ExportFormat {
    #[schema(rename = "json")]
    Json,
    #[schema(rename = "csv")]
    Csv,
    #[schema(rename = "kamailio-sql")]
    KamailioSql,
}

/// What FreeSWITCH's `mod_xml_curl` posts for a directory lookup (it posts more fields,
/// which are ignored).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct FreeSwitchLookup {
    /// `directory`: other sections are not served.
    section: Option<String>,
    /// The SIP user name.
    user: Option<String>,
    /// The SIP domain.
    domain: Option<String>,
}

/// The criteria Asterisk's `res_config_curl` posts: `id=<user>@<domain>`, or for `multi`
/// `id LIKE=<prefix>%`; other criteria match nothing. The id of a line's auth object is
/// `<SIP user>@<SIP domain>`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct AsteriskCriteria {
    #[schema(example = "101-a8k2m4qz@acme.sip.example.com")]
    id: Option<String>,
    #[schema(rename = "id LIKE", example = "101-%")]
    id_like: Option<String>,
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    Reply::Text {
        status,
        content_type,
        body,
    }
}

/// Kamailio: the 32-hex HA1 (or HA1b) of one line, or 404.
pub(crate) fn ha1(
    service: &Service,
    principal: &Principal,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let query = input::query::<Ha1Query>(query)?;
    let mut refused = std::collections::BTreeMap::new();
    let mut required = |field: &str, value: Option<String>| {
        let value = value.filter(|v| !v.is_empty());
        if value.is_none() {
            refused.insert(field.to_owned(), "is required".to_owned());
        }
        value
    };
    let username = required("username", query.username);
    let realm = required("realm", query.realm);
    let hash_b = match query.hash.as_deref() {
        None | Some("ha1") => false,
        Some("ha1b") => true,
        Some(_) => {
            refused.insert("hash".into(), "must be 'ha1' or 'ha1b'".into());
            false
        }
    };
    let (Some(username), Some(realm), true) = (username, realm, refused.is_empty()) else {
        return Err(ApiError::Invalid(refused));
    };
    Ok(
        match service.subscriber(&username, &realm, &principal.accounts)? {
            Some(found) => {
                let hash = if hash_b { found.ha1b } else { found.ha1 };
                text(StatusCode::OK, TEXT, format!("{hash}\n"))
            }
            None => text(StatusCode::NOT_FOUND, TEXT, NOT_FOUND.to_owned()),
        },
    )
}

/// The fields of a form body, in order (unknown fields are the registrar's business).
fn form(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::invalid("body", e.to_string()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// FreeSWITCH `mod_xml_curl`: the user's `a1-hash`, or the "not found" result.
pub(crate) fn freeswitch(
    service: &Service,
    principal: &Principal,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let fields = form(body)?;
    let found = match (
        field(&fields, "section"),
        field(&fields, "user"),
        field(&fields, "domain"),
    ) {
        (Some("directory"), Some(user), Some(domain)) => {
            service.subscriber(user, domain, &principal.accounts)?
        }
        _ => None,
    };
    let document = match found {
        Some(found) => freeswitch_user(&found),
        None => FREESWITCH_NOT_FOUND.to_owned(),
    };
    Ok(text(StatusCode::OK, "text/xml; charset=utf-8", document))
}

fn freeswitch_user(found: &Subscriber) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>
<document type=\"freeswitch/xml\">
  <section name=\"directory\">
    <domain name=\"{domain}\">
      <user id=\"{user}\">
        <params>
          <param name=\"a1-hash\" value=\"{ha1}\"/>
        </params>
      </user>
    </domain>
  </section>
</document>
",
        domain = xml_escape(&found.domain),
        user = xml_escape(&found.username),
        ha1 = xml_escape(&found.ha1),
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Asterisk `res_config_curl`: `ps_auths` rows whose `id` (`user@domain`) matches the
/// criteria — `id=X`, or for `multi` also `id LIKE=prefix%` — one URL-encoded row per line.
/// Criteria on other fields match nothing.
pub(crate) fn asterisk(
    service: &Service,
    principal: &Principal,
    body: &[u8],
    credential: AsteriskCredential,
    rows: AsteriskRows,
) -> Result<Reply, ApiError> {
    let criteria = form(body)?;
    let found: Vec<Subscriber> = match (criteria.as_slice(), rows) {
        ([(name, id)], _) if name == "id" => match id.split_once('@') {
            Some((user, realm)) => service
                .subscriber(user, realm, &principal.accounts)?
                .into_iter()
                .collect(),
            None => Vec::new(),
        },
        ([(name, pattern)], AsteriskRows::Multi) if name == "id LIKE" => {
            match pattern.strip_suffix('%').filter(|p| !p.contains('%')) {
                Some(prefix) => service
                    .subscribers(None, &principal.accounts)?
                    .subscribers
                    .into_iter()
                    .filter(|s| asterisk_id(s).starts_with(prefix))
                    .collect(),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let lines: Vec<String> = found
        .iter()
        .take(match rows {
            AsteriskRows::Single => 1,
            AsteriskRows::Multi => usize::MAX,
        })
        .map(|s| asterisk_row(s, credential))
        .collect();
    let mut body = lines.join("\r\n");
    if !body.is_empty() {
        body.push_str("\r\n");
    }
    Ok(text(StatusCode::OK, TEXT, body))
}

/// The `ps_auths` id of a line: `user@domain`, unique across accounts.
fn asterisk_id(found: &Subscriber) -> String {
    format!("{}@{}", found.username, found.domain)
}

fn asterisk_row(found: &Subscriber, credential: AsteriskCredential) -> String {
    let id = asterisk_id(found);
    let digest = format!("MD5:{}", found.ha1);
    let (auth_type, hash_field, hash) = match credential {
        AsteriskCredential::Md5Cred => ("md5", "md5_cred", found.ha1.as_str()),
        AsteriskCredential::PasswordDigest => ("digest", "password_digest", digest.as_str()),
    };
    let pairs = [
        ("id", id.as_str()),
        ("auth_type", auth_type),
        ("username", found.username.as_str()),
        ("realm", found.domain.as_str()),
        (hash_field, hash),
    ];
    // Plain strings always encode.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The subscriber rows of one account or all, as JSON, CSV or Kamailio SQL.
pub(crate) fn subscribers(
    service: &Service,
    principal: &Principal,
    query: Option<&str>,
) -> Result<Reply, ApiError> {
    let query = input::query::<SubscribersQuery>(query)?;
    let account = query
        .account
        .as_deref()
        .map(|text| {
            text.parse::<AccountId>()
                .map_err(|e| ApiError::invalid("account", e.message()))
        })
        .transpose()?;
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "kamailio-sql") {
        return Err(ApiError::invalid(
            "format",
            "must be 'json', 'csv' or 'kamailio-sql'",
        ));
    }
    let list = service.subscribers(account, &principal.accounts)?;
    Ok(match format {
        "csv" => text(StatusCode::OK, "text/csv; charset=utf-8", csv(&list)),
        "kamailio-sql" => text(StatusCode::OK, "application/sql; charset=utf-8", sql(&list)),
        _ => Reply::Json(
            StatusCode::OK,
            serde_json::to_value(&list).map_err(|e| ApiError::Internal(e.to_string()))?,
        ),
    })
}

/// CSV with a header, columns named after Kamailio's `subscriber` table.
fn csv(list: &SubscriberList) -> String {
    let mut out = String::from("username,domain,ha1,ha1b,password\n");
    for row in &list.subscribers {
        let cells = [&row.username, &row.domain, &row.ha1, &row.ha1b].map(|v| csv_cell(v));
        out.push_str(&cells.join(","));
        out.push_str(",\n");
    }
    out
}

fn csv_cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// SQL for Kamailio's `subscriber` table (SQLite, PostgreSQL and MySQL alike): one
/// transaction replacing every row of the exported domains, so lines removed since the
/// last export are removed there too.
fn sql(list: &SubscriberList) -> String {
    let mut out = format!(
        "-- sipprov: {} subscriber rows of {} domains for Kamailio's auth_db\n\
         -- (modparam(\"auth_db\", \"calculate_ha1\", 0), modparam(\"auth_db\", \"password_column\", \"ha1\")).\n\
         -- Replaces every row of these domains.\n\
         BEGIN;\n",
        list.subscribers.len(),
        list.domains.len()
    );
    if !list.domains.is_empty() {
        let domains: Vec<String> = list.domains.iter().map(|d| sql_string(d)).collect();
        out.push_str(&format!(
            "DELETE FROM subscriber WHERE domain IN ({});\n",
            domains.join(", ")
        ));
    }
    for row in &list.subscribers {
        out.push_str(&format!(
            "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ({}, {}, '', {}, {});\n",
            sql_string(&row.username),
            sql_string(&row.domain),
            sql_string(&row.ha1),
            sql_string(&row.ha1b),
        ));
    }
    out.push_str("COMMIT;\n");
    out
}

fn sql_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(username: &str, domain: &str) -> Subscriber {
        let hash = |text: &str| crate::secret::md5_hex(text);
        Subscriber {
            username: username.into(),
            domain: domain.into(),
            ha1: hash(&format!("{username}:{domain}:password-{username}")),
            ha1b: hash(&format!("{username}@{domain}:{domain}:password-{username}")),
        }
    }

    fn list() -> SubscriberList {
        SubscriberList {
            domains: vec!["acme.example.com".into(), "empty.example.com".into()],
            subscribers: vec![
                row("101-a8k2m4qz", "acme.example.com"),
                row("102-x7p3n9re", "acme.example.com"),
            ],
        }
    }

    #[test]
    fn golden_freeswitch_directory() {
        let found = row("101-a8k2m4qz", "acme.example.com");
        crate::golden::check("registrar", "freeswitch-user.xml", &freeswitch_user(&found));
        crate::golden::check(
            "registrar",
            "freeswitch-not-found.xml",
            FREESWITCH_NOT_FOUND,
        );
    }

    #[test]
    fn golden_asterisk_rows() {
        let found = row("101-a8k2m4qz", "acme.example.com");
        let rows = [
            AsteriskCredential::Md5Cred,
            AsteriskCredential::PasswordDigest,
        ]
        .map(|credential| asterisk_row(&found, credential) + "\n");
        crate::golden::check("registrar", "asterisk-ps_auths.txt", &rows.concat());
    }

    #[test]
    fn golden_exports() {
        crate::golden::check("registrar", "subscribers.csv", &csv(&list()));
        crate::golden::check("registrar", "subscribers.sql", &sql(&list()));
        let none = SubscriberList {
            domains: vec![],
            subscribers: vec![],
        };
        assert!(
            !sql(&none).contains("DELETE"),
            "no domain, nothing to replace"
        );
    }

    #[test]
    fn values_cannot_break_out_of_their_format() {
        assert_eq!(sql_string("it's"), "'it''s'");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(
            xml_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}

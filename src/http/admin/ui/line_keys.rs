//! A user's programmable phone keys on their page: a table, and a form of one key per line
//! (`blf 202 Bob`, `speed_dial +15145550100 Front desk`, `line@2`, `voicemail Messages`).

use std::collections::BTreeMap;

use serde_json::json;

use super::{Call, Failure, Page, Reply, Ui, json, refusals};
use crate::domain::UserId;
use crate::domain::line_key::LineKey;
use crate::service::{LineKeyInput, LineKeysInput};

/// The form field of the keys.
const FIELD: &str = "keys";

/// Types whose second word is their value; the others take none.
const VALUED: [&str; 3] = ["blf", "speed_dial", "park"];

impl Ui {
    pub(super) async fn user_page(
        &self,
        call: &Call,
        id: UserId,
        form: Option<(String, BTreeMap<String, String>)>,
    ) -> Result<Page, Failure> {
        let (user, account, access) = self.user_and_account(call, id).await?;
        let keys = self.run(move |s| s.line_keys(id)).await?.keys;
        let (text, errors) = form.unwrap_or_else(|| (keys_text(&keys), BTreeMap::new()));
        Ok(Page::new(
            "user",
            user.display_name.clone(),
            json!({
                "can_manage": access.may_manage(&user),
                "user": json(&user),
                "account": json(&account),
                "line_keys": json(&keys),
                "keys_form": {"values": {FIELD: text}, "errors": errors},
            }),
        )
        .in_account(&account, "users"))
    }

    pub(super) async fn set_line_keys(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, _, _) = self.managed_user(call, id).await?;
        let text = call.form.text(FIELD).to_owned();
        let input = LineKeysInput {
            keys: Some(parse(&text)),
        };
        match self.run(move |s| s.set_line_keys(id, &input)).await {
            Ok(keys) => Ok(Reply::redirect_with(
                format!("/users/{id}"),
                format!(
                    "{} has {} line keys; their phone shows them at its next fetch.",
                    user.display_name,
                    keys.keys.len()
                ),
            )),
            Err(failure) => {
                // Every refusal beside the one field, each naming its line.
                let errors = refusals(failure)?;
                let message = errors
                    .iter()
                    .map(|(field, why)| format!("{}: {why}", line_of(field)))
                    .collect::<Vec<_>>()
                    .join("; ");
                let page = self
                    .user_page(
                        call,
                        id,
                        Some((text, BTreeMap::from([(FIELD.into(), message)]))),
                    )
                    .await?;
                Ok(Reply::Page(
                    page.status(http::StatusCode::UNPROCESSABLE_ENTITY),
                ))
            }
        }
    }
}

/// `keys[2].value` → `line 3 (value)`.
fn line_of(field: &str) -> String {
    let Some(rest) = field.strip_prefix("keys[") else {
        return field.to_owned();
    };
    match rest.split_once(']') {
        Some((index, name)) => {
            let line = index.parse::<usize>().map_or(0, |i| i + 1);
            format!("line {line} ({})", name.trim_start_matches('.'))
        }
        None => field.to_owned(),
    }
}

/// The form's text: one key per line, `TYPE[@LINE] [VALUE] [LABEL …]`.
fn parse(text: &str) -> Vec<LineKeyInput> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut words = line.splitn(2, char::is_whitespace);
            let head = words.next().unwrap_or_default();
            let rest = words.next().unwrap_or_default().trim();
            let (kind, at) = match head.split_once('@') {
                Some((kind, at)) => (kind, at.parse().ok().or(Some(0))),
                None => (head, None),
            };
            let (value, label) = if VALUED.contains(&kind) {
                let mut parts = rest.splitn(2, char::is_whitespace);
                (parts.next(), parts.next())
            } else {
                (None, Some(rest))
            };
            let filled = |text: Option<&str>| {
                text.map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
            };
            LineKeyInput {
                kind: Some(kind.to_owned()),
                line: at,
                value: filled(value),
                label: filled(label),
            }
        })
        .collect()
}

fn keys_text(keys: &[LineKey]) -> String {
    keys.iter()
        .map(|key| {
            let mut words = vec![if key.line == 1 {
                key.kind.to_string()
            } else {
                format!("{}@{}", key.kind, key.line)
            }];
            words.extend(key.value.clone());
            words.extend(key.label.clone());
            words.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_per_line_reads_back_as_written() {
        let keys =
            parse("blf 202 Bob Stone\nspeed_dial +15145550100\nline@2\n\nvoicemail Messages");
        type Shown<'a> = (
            Option<&'a str>,
            Option<u16>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let shown: Vec<Shown<'_>> = keys
            .iter()
            .map(|k| {
                (
                    k.kind.as_deref(),
                    k.line,
                    k.value.as_deref(),
                    k.label.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (Some("blf"), None, Some("202"), Some("Bob Stone")),
                (Some("speed_dial"), None, Some("+15145550100"), None),
                (Some("line"), Some(2), None, None),
                (Some("voicemail"), None, None, Some("Messages")),
            ]
        );
        assert_eq!(line_of("keys[1].value"), "line 2 (value)");
    }
}

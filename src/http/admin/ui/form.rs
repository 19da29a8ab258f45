//! Submitted forms: `application/x-www-form-urlencoded` bodies read into [`Form`], then
//! translated into the service's input types (`UserInput`, `AccountInput` …) field by field.
//!
//! Field names are the service's own (dotted for nested fields: `voicemail.pin`,
//! `device.mac`, `registrar.port`), so every refusal the service names lands next to the
//! field that caused it. The few values the service takes as numbers are parsed here; a
//! malformed one is refused by name like any other field.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::domain::Invalid;
use crate::service::{
    AccountInput, DeviceLineInput, NumberInput, NumberingInput, RegistrarInput, UserInput,
    UserNumberInput, VoicemailInput,
};

/// Fields never echoed back into a page: the CSRF token (each page carries it afresh), an
/// API token typed at sign-in, and passwords — a refused form keeps every other value, but
/// a typed secret does not travel back into HTML; the admin types it again.
const NOT_ECHOED: &[&str] = &["csrf", "token", "password", "password_confirmation"];

/// A submitted form: its fields in order, repeated names kept.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Reads a URL-encoded body; `None` when it is not one.
    pub fn parse(body: &[u8]) -> Option<Form> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()
            .map(|pairs| Form { pairs })
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of a field, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// A field's value when it is not blank.
    pub fn filled(&self, name: &str) -> Option<String> {
        self.get(name)
            .filter(|value| !value.trim().is_empty())
            .map(str::to_owned)
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Whether a checkbox was ticked (browsers send ticked boxes only).
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A number field: blank → `None`; not a number → refused by name.
    pub fn number<T: FromStr>(&self, name: &str, invalid: &mut Invalid) -> Option<T> {
        let text = self.filled(name)?;
        match text.trim().parse() {
            Ok(value) => Some(value),
            Err(_) => {
                invalid.add(name, "must be a whole number");
                None
            }
        }
    }

    /// What the page shows again when the form comes back refused: every typed value but the
    /// secrets of `NOT_ECHOED` (CSRF, tokens, passwords: a typed secret never goes back into
    /// the HTML), so that a refusal of one field never costs the admin the others. Checkboxes appear as
    /// `"on"` when ticked; a repeated field's values (the ticked numbers) are joined by spaces.
    pub fn values(&self) -> BTreeMap<String, String> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in &self.pairs {
            if NOT_ECHOED.contains(&key.as_str()) {
                continue;
            }
            values
                .entry(key.clone())
                .and_modify(|joined| {
                    joined.push(' ');
                    joined.push_str(value);
                })
                .or_insert_with(|| value.clone());
        }
        values
    }
}

/// Splits a list typed into one field (`sales, london`): commas, semicolons or blanks.
fn list(text: &str, blanks_separate: bool) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || (blanks_separate && c.is_whitespace()))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Which use case a user form is for; the fields differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFormMode {
    /// Add User: every section, the extension may be chosen.
    Create,
    /// Edit: the extension is fixed, numbers are the ticked ones, lines are managed on
    /// devices, blank secrets keep their value.
    Edit,
    /// Enable a bulk placeholder: like Add User with the extension fixed.
    Enable,
}

/// The user form as the service's `UserInput`.
pub fn user_input(form: &Form, mode: UserFormMode) -> Result<UserInput, Invalid> {
    let mut invalid = Invalid::new();
    let text = |name: &str| form.get(name).map(str::to_owned);
    let plan = form.text("feature_plan").trim().to_ascii_lowercase();
    let admin = form.checked("admin_access");
    let pin = match mode {
        UserFormMode::Edit => form.filled("voicemail.pin"),
        UserFormMode::Create | UserFormMode::Enable => text("voicemail.pin"),
    };
    let input = UserInput {
        kind: text("type"),
        first_name: text("first_name"),
        last_name: text("last_name"),
        extension: match mode {
            UserFormMode::Create => text("extension"),
            UserFormMode::Edit | UserFormMode::Enable => None,
        },
        language: text("language"),
        time_zone: text("time_zone"),
        tags: Some(list(form.text("tags"), false)),
        department: text("department"),
        email: text("email"),
        notification_emails: Some(list(form.text("notification_emails"), true)),
        username: text("username"),
        feature_plan: text("feature_plan"),
        // Advanced and Professional always have portal access: the (locked) box is not sent.
        portal_access: matches!(plan.as_str(), "" | "standard")
            .then(|| form.checked("portal_access")),
        role: Some(if admin { "admin" } else { "limited" }.to_owned()),
        admin_level: admin.then(|| text("admin_level")).flatten(),
        block_welcome_email: Some(form.checked("block_welcome_email")),
        calling_plan: text("calling_plan"),
        emergency_caller_id: text("emergency_caller_id"),
        voicemail: Some(VoicemailInput {
            enabled: Some(form.checked("voicemail.enabled")),
            pin,
        }),
        password: form.filled("password"),
        password_confirmation: form.get("password_confirmation").map(str::to_owned),
        numbers: numbers(form, mode),
        device: match mode {
            UserFormMode::Create | UserFormMode::Enable => device(form, &mut invalid),
            UserFormMode::Edit => None,
        },
    };
    invalid.into_result().map(|()| input)
}

/// The "Phone Number" choice: none, one of the pool, or a new one in an area code. When
/// editing, the ticked numbers are the user's numbers.
fn numbers(form: &Form, mode: UserFormMode) -> Option<Vec<UserNumberInput>> {
    if mode == UserFormMode::Edit {
        return Some(
            form.all("numbers")
                .into_iter()
                .map(UserNumberInput::Number)
                .collect(),
        );
    }
    match form.text("number_source") {
        "pool" => Some(vec![UserNumberInput::Number(
            form.text("number").to_owned(),
        )]),
        "area" => Some(vec![UserNumberInput::AreaCode {
            area_code: form.text("area_code").to_owned(),
        }]),
        "none" => Some(Vec::new()),
        _ => None,
    }
}

/// The "Number & Device" section's device line, when anything of it was filled in (a model
/// alone, preselected for a bulk placeholder, asks for nothing).
fn device(form: &Form, invalid: &mut Invalid) -> Option<DeviceLineInput> {
    let entered = form.text("sip_mode") == "enter";
    let wanted = ["device.mac", "device.line", "device.line_name"]
        .iter()
        .any(|name| form.filled(name).is_some())
        || (entered
            && (form.filled("device.sip_username").is_some()
                || form.filled("device.sip_password").is_some()));
    if !wanted {
        return None;
    }
    Some(DeviceLineInput {
        mac: Some(form.text("device.mac").to_owned()),
        model: form.filled("device.model"),
        line: form.number("device.line", invalid),
        line_name: form.filled("device.line_name"),
        sip_username: form.filled("device.sip_username").filter(|_| entered),
        sip_password: form.filled("device.sip_password").filter(|_| entered),
    })
}

/// The account form as the service's `AccountInput`.
pub fn account_input(form: &Form) -> Result<AccountInput, Invalid> {
    let mut invalid = Invalid::new();
    let text = |name: &str| form.get(name).map(str::to_owned);
    let numbers = form
        .text("numbers")
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let number = words.next()?.to_owned();
            Some(match words.next() {
                Some(area_code) => NumberInput::Filed {
                    number,
                    area_code: Some(area_code.to_owned()),
                },
                None => NumberInput::Number(number),
            })
        })
        .collect();
    let input = AccountInput {
        name: text("name"),
        domain: text("domain"),
        group_name: text("group_name"),
        registrar: Some(RegistrarInput {
            host: text("registrar.host"),
            port: form.number("registrar.port", &mut invalid),
            transport: form.filled("registrar.transport"),
        }),
        // An empty host means no backup registrar.
        backup_registrar: Some(
            form.filled("backup_registrar.host")
                .map(|host| RegistrarInput {
                    host: Some(host),
                    port: form.number("backup_registrar.port", &mut invalid),
                    transport: form.filled("backup_registrar.transport"),
                }),
        ),
        numbering: Some(NumberingInput {
            min_length: form.number("numbering.min_length", &mut invalid),
            max_length: form.number("numbering.max_length", &mut invalid),
            ranges: Some(list(form.text("numbering.ranges"), true)),
            reserved: Some(list(form.text("numbering.reserved"), true)),
        }),
        language: form.filled("language"),
        time_zone: form.filled("time_zone"),
        calling_plans: Some(list(form.text("calling_plans"), false)),
        default_calling_plan: text("default_calling_plan"),
        numbers: Some(numbers),
        device_auth: form.filled("device_auth"),
        // The account's phone settings have their own form (`ui::settings`).
        settings: None,
    };
    invalid.into_result().map(|()| input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn fields_repeat_and_checkboxes_are_present_only_when_ticked() {
        let form =
            form("a=1&numbers=%2B15145550100&numbers=%2B15145550101&box=on&csrf=x&password=p");
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.all("numbers"), ["+15145550100", "+15145550101"]);
        assert!(form.checked("box") && !form.checked("other"));
        let values = form.values();
        assert_eq!(values["numbers"], "+15145550100 +15145550101");
        assert!(!values.contains_key("csrf") && !values.contains_key("token"));
        assert!(
            !values.contains_key("password"),
            "typed passwords are not echoed"
        );
    }

    #[test]
    fn the_add_user_form_becomes_a_user_input() {
        let body = "first_name=Ada&last_name=Lovelace&extension=101&type=person&language=en\
            &time_zone=UTC&tags=sales%2C+london&email=ada%40example.com&username=ada\
            &feature_plan=advanced&admin_access=on&admin_level=standard&calling_plan=\
            &voicemail.enabled=on&voicemail.pin=1234&number_source=area&area_code=514\
            &device.mac=00%3A15%3A65%3Aaa%3Abb%3Acc&device.model=T46S&device.line=2\
            &sip_mode=generate&device.sip_username=ignored";
        let input = user_input(&form(body), UserFormMode::Create).unwrap();
        assert_eq!(input.first_name.as_deref(), Some("Ada"));
        assert_eq!(input.extension.as_deref(), Some("101"));
        assert_eq!(
            input.tags,
            Some(vec!["sales".to_owned(), "london".to_owned()])
        );
        assert_eq!(
            input.portal_access, None,
            "Advanced: on, whatever the box says"
        );
        assert_eq!(input.role.as_deref(), Some("admin"));
        assert_eq!(input.admin_level.as_deref(), Some("standard"));
        assert_eq!(input.block_welcome_email, Some(false));
        let voicemail = input.voicemail.unwrap();
        assert_eq!(
            (voicemail.enabled, voicemail.pin.as_deref()),
            (Some(true), Some("1234"))
        );
        assert!(matches!(
            input.numbers.as_deref(),
            Some([UserNumberInput::AreaCode { area_code }]) if area_code == "514"
        ));
        let device = input.device.unwrap();
        assert_eq!(device.line, Some(2));
        assert_eq!(device.sip_username, None, "generated unless entered");
    }

    #[test]
    fn a_standard_user_sends_the_portal_box_and_a_limited_role() {
        let input = user_input(
            &form("first_name=Bo&feature_plan=standard&admin_level=super"),
            UserFormMode::Create,
        )
        .unwrap();
        assert_eq!(input.portal_access, Some(false));
        assert_eq!(input.role.as_deref(), Some("limited"));
        assert_eq!(input.admin_level, None);
        assert!(input.device.is_none() && input.numbers.is_none());
    }

    #[test]
    fn editing_keeps_the_extension_secrets_and_lines() {
        let body = "first_name=Bo&extension=999&voicemail.pin=&password=&numbers=%2B15145550100\
            &device.mac=001565aabbcc";
        let input = user_input(&form(body), UserFormMode::Edit).unwrap();
        assert_eq!(input.extension, None);
        assert_eq!(
            input.voicemail.unwrap().pin,
            None,
            "a blank PIN keeps the PIN"
        );
        assert_eq!(input.password, None);
        assert!(input.device.is_none());
        assert!(matches!(
            input.numbers.as_deref(),
            Some([UserNumberInput::Number(n)]) if n == "+15145550100"
        ));
    }

    #[test]
    fn a_malformed_line_number_is_refused_by_name() {
        let refused = user_input(
            &form("first_name=Bo&device.mac=001565aabbcc&device.line=two"),
            UserFormMode::Create,
        )
        .unwrap_err();
        assert!(refused.fields().contains_key("device.line"));
    }

    #[test]
    fn the_account_form_becomes_an_account_input() {
        let body = "name=Acme&domain=acme.example.com&group_name=acme&registrar.host=sip.example.com\
            &registrar.port=5060&registrar.transport=udp&numbering.min_length=3\
            &numbering.max_length=4&numbering.ranges=100-899&numbering.reserved=900-999+0\
            &calling_plans=local%2C+national&default_calling_plan=local\
            &numbers=%2B15145550100%0D%0A%2B33123456789+1%0D%0A&device_auth=per_device";
        let input = account_input(&form(body)).unwrap();
        let numbering = input.numbering.unwrap();
        assert_eq!(numbering.reserved, Some(vec!["900-999".into(), "0".into()]));
        assert_eq!(input.registrar.unwrap().port, Some(5060));
        assert_eq!(
            input.calling_plans,
            Some(vec!["local".into(), "national".into()])
        );
        let numbers = input.numbers.unwrap();
        assert_eq!(numbers.len(), 2);
        assert!(matches!(&numbers[1], NumberInput::Filed { area_code: Some(a), .. } if a == "1"));

        let refused = account_input(&form("name=Acme&registrar.port=http")).unwrap_err();
        assert!(refused.fields().contains_key("registrar.port"));
    }
}

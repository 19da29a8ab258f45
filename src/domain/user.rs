//! `User`: a person or a call-handling resource of an account, and the rules of creating one.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ParseError;
use super::account::AccountId;
use super::credentials::VoicemailPin;
use super::extension::Extension;
use super::identity::{Email, Username};
use super::line_key::LineKey;
use super::locale::{Language, TimeZone};
use super::phone_number::E164;
use super::text::Tag;

/// Identifies a user; assigned by the store, never reused.
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
pub struct UserId(pub u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for UserId {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<UserId, ParseError> {
        input
            .parse()
            .map(UserId)
            .map_err(|_| ParseError::new("must be a user id (a number)"))
    }
}

/// A user of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub account: AccountId,
    pub status: UserStatus,
    #[serde(rename = "type")]
    pub kind: UserType,
    /// Required for active users; placeholders created in bulk have none until enabled.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub tags: Vec<Tag>,
    /// Unique in the account; never changes after creation.
    pub extension: Extension,
    pub language: Language,
    pub time_zone: TimeZone,
    pub feature_plan: FeaturePlan,
    pub portal_access: bool,
    pub email: Option<Email>,
    pub notification_emails: Vec<Email>,
    pub username: Option<Username>,
    pub role: Role,
    pub block_welcome_email: bool,
    pub calling_plan: Option<String>,
    pub emergency_caller_id: Option<E164>,
    pub voicemail: Voicemail,
    /// Argon2 PHC string of the portal password; the password itself is never stored.
    pub password_hash: Option<String>,
    /// Numbers from the account's pool assigned to this user.
    pub numbers: Vec<E164>,
    /// The device model ordered with a bulk placeholder, shown until it is enabled.
    #[serde(default)]
    pub ordered_model: Option<String>,
    /// The programmable keys of the user's desk phone, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_keys: Vec<LineKey>,
    pub created_at: Timestamp,
}

impl User {
    /// "First Last", or the extension when the user has no name yet.
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(first), Some(last)) => format!("{first} {last}"),
            (Some(first), None) => first.clone(),
            (None, _) => self.extension.to_string(),
        }
    }

    /// The tags the system derives; they are shown beside the admin's tags, never stored.
    pub fn system_tags(&self) -> Vec<SystemTag> {
        system_tags(
            self.email.is_some(),
            self.voicemail.pin.is_some(),
            self.password_hash.is_some(),
        )
    }
}

/// Derived tags: `new` (has an email but no voicemail PIN or no portal password),
/// `setup_required` (no email), `password_required` (no portal password).
pub fn system_tags(has_email: bool, has_pin: bool, has_password: bool) -> Vec<SystemTag> {
    let mut tags = Vec::new();
    if has_email && (!has_pin || !has_password) {
        tags.push(SystemTag::New);
    }
    if !has_email {
        tags.push(SystemTag::SetupRequired);
    }
    if !has_password {
        tags.push(SystemTag::PasswordRequired);
    }
    tags
}

/// What a user is: a person, or a resource that handles calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    Person,
    CallQueue,
    AutoAttendant,
    RingGroup,
    VoicemailBox,
    CallRouting,
}

impl UserType {
    pub const ALL: [UserType; 6] = [
        UserType::Person,
        UserType::CallQueue,
        UserType::AutoAttendant,
        UserType::RingGroup,
        UserType::VoicemailBox,
        UserType::CallRouting,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UserType::Person => "person",
            UserType::CallQueue => "call_queue",
            UserType::AutoAttendant => "auto_attendant",
            UserType::RingGroup => "ring_group",
            UserType::VoicemailBox => "voicemail_box",
            UserType::CallRouting => "call_routing",
        }
    }

    /// Only persons get device lines and portal access.
    pub fn is_person(self) -> bool {
        self == UserType::Person
    }

    /// Persons and voicemail boxes have voicemail unless told otherwise.
    pub fn default_voicemail(self) -> bool {
        matches!(self, UserType::Person | UserType::VoicemailBox)
    }
}

impl FromStr for UserType {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<UserType, ParseError> {
        let text = input.trim().to_ascii_lowercase();
        UserType::ALL.into_iter().find(|kind| kind.name() == text).ok_or_else(|| {
            ParseError::new(
                "must be one of person, call_queue, auto_attendant, ring_group, voicemail_box, call_routing",
            )
        })
    }
}

/// The licence a user is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeaturePlan {
    Standard,
    Advanced,
    Professional,
}

impl FeaturePlan {
    pub fn name(self) -> &'static str {
        match self {
            FeaturePlan::Standard => "standard",
            FeaturePlan::Advanced => "advanced",
            FeaturePlan::Professional => "professional",
        }
    }

    /// Portal access under this plan: off by default on Standard; on, and not switchable
    /// off, on Advanced and Professional (their apps need a portal login).
    pub fn portal_access(self, requested: Option<bool>) -> Result<bool, ParseError> {
        match (self, requested) {
            (FeaturePlan::Standard, requested) => Ok(requested.unwrap_or(false)),
            (_, Some(false)) => Err(ParseError::new(format!(
                "cannot be turned off on the {} plan, whose apps need a portal login",
                self.name()
            ))),
            (_, _) => Ok(true),
        }
    }
}

impl FromStr for FeaturePlan {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<FeaturePlan, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(FeaturePlan::Standard),
            "advanced" => Ok(FeaturePlan::Advanced),
            "professional" => Ok(FeaturePlan::Professional),
            _ => Err(ParseError::new(
                "must be standard, advanced or professional",
            )),
        }
    }
}

/// Admin levels, highest first; an admin may only create admins at or below their level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AdminLevel {
    Basic,
    Standard,
    Advanced,
    Super,
}

impl AdminLevel {
    pub fn name(self) -> &'static str {
        match self {
            AdminLevel::Super => "super",
            AdminLevel::Advanced => "advanced",
            AdminLevel::Standard => "standard",
            AdminLevel::Basic => "basic",
        }
    }
}

impl FromStr for AdminLevel {
    type Err = ParseError;
    fn from_str(input: &str) -> Result<AdminLevel, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "super" => Ok(AdminLevel::Super),
            "advanced" => Ok(AdminLevel::Advanced),
            "standard" => Ok(AdminLevel::Standard),
            "basic" => Ok(AdminLevel::Basic),
            _ => Err(ParseError::new(
                "must be super, advanced, standard or basic",
            )),
        }
    }
}

/// What a user may do in the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages their own features only.
    Limited,
    /// Manages other users, within the reach of the level.
    Admin(AdminLevel),
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Limited => "limited",
            Role::Admin(_) => "admin",
        }
    }

    pub fn admin_level(self) -> Option<AdminLevel> {
        match self {
            Role::Limited => None,
            Role::Admin(level) => Some(level),
        }
    }

    /// Reads the API's `role` and `admin_level`. `role` is `limited` or `admin`, or one of the
    /// hosted-PBX user scopes, which map onto this model; the returned flag says whether the
    /// scope forbids portal access, as `no_portal` does. Refusals name their field.
    pub fn parse(
        role: Option<&str>,
        admin_level: Option<&str>,
    ) -> Result<(Role, bool), (&'static str, ParseError)> {
        let level = match admin_level.map(str::trim).filter(|l| !l.is_empty()) {
            Some(level) => Some(
                level
                    .parse::<AdminLevel>()
                    .map_err(|e| ("admin_level", e))?,
            ),
            None => None,
        };
        let role = role
            .map(|r| r.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let (scope_level, no_portal) = match role.as_str() {
            "" | "limited" | "simple_user" | "basic_user" | "call_center_agent" => (None, false),
            "no_portal" => (None, true),
            "call_center_supervisor" => (Some(AdminLevel::Basic), false),
            "site_manager" => (Some(AdminLevel::Standard), false),
            "office_manager" => (Some(AdminLevel::Advanced), false),
            "admin" => {
                let level = level.ok_or((
                    "admin_level",
                    ParseError::new("is required for an admin: super, advanced, standard or basic"),
                ))?;
                return Ok((Role::Admin(level), false));
            }
            _ => {
                return Err((
                    "role",
                    ParseError::new(
                        "must be limited or admin, or a user scope: no_portal, simple_user, basic_user, \
                         call_center_agent, call_center_supervisor, site_manager, office_manager",
                    ),
                ));
            }
        };
        if level.is_some() {
            return Err((
                "admin_level",
                ParseError::new("is only for users whose role is admin"),
            ));
        }
        Ok((scope_level.map_or(Role::Limited, Role::Admin), no_portal))
    }
}

/// Whether a user is an active person or a placeholder from a bulk order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    /// Created in bulk with an extension (and maybe a number) but no person yet.
    Unassigned,
}

/// Tags the system derives from what a user is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemTag {
    New,
    SetupRequired,
    PasswordRequired,
}

impl SystemTag {
    pub fn name(self) -> &'static str {
        match self {
            SystemTag::New => "new",
            SystemTag::SetupRequired => "setup_required",
            SystemTag::PasswordRequired => "password_required",
        }
    }
}

/// A user's voicemail box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Voicemail {
    pub enabled: bool,
    pub pin: Option<VoicemailPin>,
}

/// Whether creating a user queues a welcome message: portal access on, welcome not blocked.
pub fn welcome_due(portal_access: bool, block_welcome_email: bool) -> bool {
    portal_access && !block_welcome_email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_access_defaults_follow_the_feature_plan() {
        assert_eq!(FeaturePlan::Standard.portal_access(None), Ok(false));
        assert_eq!(FeaturePlan::Standard.portal_access(Some(true)), Ok(true));
        assert_eq!(FeaturePlan::Advanced.portal_access(None), Ok(true));
        assert_eq!(
            FeaturePlan::Professional.portal_access(Some(true)),
            Ok(true)
        );
        let refused = FeaturePlan::Advanced
            .portal_access(Some(false))
            .unwrap_err();
        assert!(refused.message().contains("cannot be turned off"));
        assert!(
            FeaturePlan::Professional
                .portal_access(Some(false))
                .is_err()
        );
    }

    #[test]
    fn roles_and_admin_levels() {
        assert_eq!(Role::parse(None, None), Ok((Role::Limited, false)));
        assert_eq!(
            Role::parse(Some("admin"), Some("super")),
            Ok((Role::Admin(AdminLevel::Super), false))
        );
        assert_eq!(
            Role::parse(Some("admin"), None).unwrap_err().0,
            "admin_level"
        );
        assert_eq!(
            Role::parse(Some("limited"), Some("basic")).unwrap_err().0,
            "admin_level"
        );
        assert_eq!(Role::parse(Some("owner"), None).unwrap_err().0, "role");
        assert_eq!(
            Role::parse(Some("admin"), Some("root")).unwrap_err().0,
            "admin_level"
        );
        assert!(AdminLevel::Super > AdminLevel::Advanced);
        assert!(AdminLevel::Standard > AdminLevel::Basic);
    }

    #[test]
    fn user_scopes_map_onto_roles() {
        assert_eq!(
            Role::parse(Some("no_portal"), None),
            Ok((Role::Limited, true))
        );
        assert_eq!(
            Role::parse(Some("basic_user"), None),
            Ok((Role::Limited, false))
        );
        assert_eq!(
            Role::parse(Some("office_manager"), None),
            Ok((Role::Admin(AdminLevel::Advanced), false))
        );
        assert_eq!(
            Role::parse(Some("site_manager"), None),
            Ok((Role::Admin(AdminLevel::Standard), false))
        );
    }

    #[test]
    fn system_tags_are_derived_from_what_is_missing() {
        use SystemTag::*;
        assert_eq!(system_tags(true, true, true), vec![]);
        assert_eq!(system_tags(true, false, true), vec![New]);
        assert_eq!(system_tags(true, true, false), vec![New, PasswordRequired]);
        assert_eq!(system_tags(false, true, true), vec![SetupRequired]);
        assert_eq!(
            system_tags(false, false, false),
            vec![SetupRequired, PasswordRequired]
        );
    }

    #[test]
    fn user_types_decide_lines_and_voicemail() {
        assert!(UserType::Person.is_person());
        assert!(!UserType::RingGroup.is_person());
        assert!(UserType::Person.default_voicemail());
        assert!(!UserType::CallRouting.default_voicemail());
        assert_eq!("call_queue".parse::<UserType>(), Ok(UserType::CallQueue));
        assert!("robot".parse::<UserType>().is_err());
    }

    #[test]
    fn welcome_is_due_with_portal_access_unless_blocked() {
        assert!(welcome_due(true, false));
        assert!(!welcome_due(true, true));
        assert!(!welcome_due(false, false));
    }
}

//! The welcome message and the one-time set-password link it carries.
//!
//! When a user gets portal access and the admin did not block the welcome email, the use
//! case issues a link token (stored only as its SHA-256 digest, with an expiry) and stages
//! an RFC 5322 message in `<data>/outbox/` — written to a hidden temporary file inside the
//! write and renamed into place once the write is durable, so a refused or failed use case
//! leaves no message behind and a message never names a user that does not exist.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};

use super::Settings;
use crate::domain::{Account, PasswordLink, User, app_username};
use crate::secret;
use crate::store::{StoreError, Write};

/// A message written to a temporary file, waiting for the write to become durable.
#[derive(Debug)]
pub(crate) struct StagedMail {
    temporary: PathBuf,
    destination: PathBuf,
}

impl StagedMail {
    /// Moves the message into the outbox proper.
    pub(crate) fn publish(self) {
        if let Err(error) = fs::rename(&self.temporary, &self.destination) {
            tracing::error!(%error, path = %self.destination.display(), "cannot publish a welcome message");
        }
    }

    /// Drops the message of a use case that did not commit.
    pub(crate) fn discard(self) {
        let _ = fs::remove_file(&self.temporary);
    }
}

/// Issues a set-password link for `user` in the write and stages the welcome message.
pub(crate) fn stage(
    w: &mut Write<'_>,
    settings: &Settings,
    account: &Account,
    user: &User,
) -> Result<StagedMail, super::Error> {
    let token = secret::token();
    let expires_at = Timestamp::now()
        .checked_add(settings.password_link_lifetime)
        .map_err(|e| StoreError::Database(e.to_string()))?;
    w.put_password_link(&PasswordLink {
        digest: secret::digest(&token),
        user: user.id,
        expires_at,
        used_at: None,
    })?;
    let link = format!(
        "{}/welcome/{token}",
        settings.portal_url.trim_end_matches('/')
    );
    let bytes = message(settings, account, user, &link, expires_at)?;
    write_temporary(&settings.outbox, user, &bytes)
}

fn message(
    settings: &Settings,
    account: &Account,
    user: &User,
    link: &str,
    expires_at: Timestamp,
) -> Result<Vec<u8>, super::Error> {
    let invalid = |e: String| super::Error::Outbox(std::io::Error::other(e));
    let to: Mailbox = match &user.email {
        Some(email) => format!("{} <{}>", quote(&user.display_name()), email)
            .parse()
            .map_err(|e| invalid(format!("{e}")))?,
        None => return Err(invalid("a welcome message needs the user's email".into())),
    };
    let from: Mailboxes = settings
        .mail_from
        .parse()
        .map_err(|e| invalid(format!("mail_from: {e}")))?;
    let from = from
        .into_single()
        .ok_or_else(|| invalid("mail_from must be one address".into()))?;
    let username = user
        .username
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let app = match (&user.username, &account.group_name) {
        (Some(u), Some(g)) => app_username(u, g),
        _ => String::new(),
    };
    let body = format!(
        "Hello {name},\n\n\
         An account has been created for you on the {account} voice portal.\n\n\
         Portal:           {portal}\n\
         Portal username:  {username}\n\
         App username:     {app}\n\
         Extension:        {extension}\n\n\
         Choose your password here (the link works once, until {expires_at}):\n\
         {link}\n",
        name = user.display_name(),
        account = account.name,
        portal = settings.portal_url,
        extension = user.extension,
    );
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(format!("Welcome to the {} voice portal", account.name))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(message.formatted())
}

/// A display name as an RFC 5322 quoted string.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_temporary(outbox: &Path, user: &User, bytes: &[u8]) -> Result<StagedMail, super::Error> {
    fs::create_dir_all(outbox)?;
    let stamp = Timestamp::now().as_millisecond();
    let name = format!("{stamp}-user{}", user.id);
    let temporary = outbox.join(format!(".{name}.tmp"));
    let destination = outbox.join(format!("{name}.eml"));
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(StagedMail {
        temporary,
        destination,
    })
}

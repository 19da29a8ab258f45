//! Lines: bind a user to a device line with SIP credentials; rename, rotate, unassign.

use serde::Deserialize;
use utoipa::ToSchema;

use super::views::LineView;
use super::{Error, Service};
use crate::domain::{
    Account, Device, Invalid, Line, Mac, Secret, SipUsername, User, UserId, line_number,
    line_of_text, optional_text,
};
use crate::secret;
use crate::store::{Reads, Write};

/// `PUT /api/v1/devices/{mac}/lines/{n}` and `POST /api/v1/devices/{mac}/lines`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The user (an active person of the device's account).
    #[schema(required = true, nullable = false)]
    pub user: Option<u64>,
    /// Shown on the phone; the user's name (else extension) when left out.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// Supplied SIP credentials; generated when left out.
    #[schema(min_length = 1, max_length = 64)]
    pub sip_username: Option<String>,
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub sip_password: Option<String>,
}

/// A line asked for, parsed.
pub(crate) struct LineRequest {
    pub number: Option<u16>,
    pub name: Option<String>,
    pub sip_username: Option<SipUsername>,
    pub sip_password: Option<Secret>,
}

/// Adds a line for `user` to `device` (the caller puts the device). Refusals name the
/// fields of the line endpoints: `line`, `user`, `name`, `sip_username`.
pub(crate) fn assign(
    w: &Write<'_>,
    account: &Account,
    device: &mut Device,
    line_count: u16,
    user: &User,
    request: LineRequest,
) -> Result<u16, Error> {
    if user.account != device.account {
        return Err(Error::invalid(
            "user",
            "belongs to another account than the device",
        ));
    }
    if !user.kind.is_person() {
        return Err(Error::invalid(
            "user",
            format!("only persons get device lines, not a {}", user.kind.name()),
        ));
    }
    if user.status != crate::domain::UserStatus::Active {
        return Err(Error::invalid(
            "user",
            "is an unassigned placeholder; enable it first",
        ));
    }
    let number = line_number(request.number, line_count, &device.lines)
        .map_err(|e| Error::invalid("line", e.message()))?;
    let username = match request.sip_username {
        Some(username) => {
            if w.line_by_sip_user(account.id, username.as_str())?.is_some() {
                return Err(Error::conflict(
                    "sip_username",
                    format!("{username} is already used in {}", account.domain),
                ));
            }
            username
        }
        None => unused_sip_username(w, account, user)?,
    };
    let password = request.sip_password.unwrap_or_else(secret::password);
    let name = request.name.unwrap_or_else(|| user.display_name());
    device.lines.insert(
        number,
        Line {
            number,
            user: user.id,
            name,
            sip: secret::sip_credentials(username, password, &account.domain),
        },
    );
    Ok(number)
}

fn unused_sip_username(
    w: &Write<'_>,
    account: &Account,
    user: &User,
) -> Result<SipUsername, Error> {
    loop {
        let candidate = secret::sip_username(&user.extension);
        if w.line_by_sip_user(account.id, candidate.as_str())?
            .is_none()
        {
            return Ok(candidate);
        }
    }
}

fn parse_line_input(input: &LineInput) -> Result<(UserId, LineRequest), Invalid> {
    let mut invalid = Invalid::new();
    let user = input.user.map(UserId);
    if user.is_none() {
        invalid.add("user", "is required");
    }
    let name = invalid
        .check("name", optional_text(input.name.as_deref(), 64))
        .flatten();
    let sip_username = match input.sip_username.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => invalid.check("sip_username", text.parse()),
    };
    let sip_password = match input.sip_password.as_deref() {
        None | Some("") => None,
        Some(text) => invalid.check("sip_password", text.parse()),
    };
    invalid.into_result()?;
    let user = user.unwrap_or(UserId(0));
    Ok((
        user,
        LineRequest {
            number: None,
            name,
            sip_username,
            sip_password,
        },
    ))
}

impl Service {
    fn line_count(&self, device: &Device) -> u16 {
        self.catalogue.model(&device.model).map_or(0, |m| m.lines)
    }

    fn line_view(
        &self,
        reads: &(impl Reads + ?Sized),
        mac: Mac,
        number: u16,
    ) -> Result<LineView, Error> {
        let device = reads.device(mac)?.ok_or(Error::NotFound("device"))?;
        let view = self.device_view(reads, device)?;
        view.lines
            .into_iter()
            .find(|l| l.line == number)
            .ok_or(Error::NotFound("line"))
    }

    /// Assigns a user to a line: the number given, or the lowest free one when `None`.
    pub fn assign_line(
        &self,
        mac: Mac,
        number: Option<u16>,
        input: &LineInput,
    ) -> Result<LineView, Error> {
        let (user_id, mut request) = parse_line_input(input)?;
        request.number = number;
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            let account = w
                .account(device.account)?
                .ok_or(Error::NotFound("account"))?;
            let user = w
                .user(user_id)?
                .ok_or_else(|| Invalid::field("user", "no such user"))?;
            let line_count = self.line_count(&device);
            let number = assign(w, &account, &mut device, line_count, &user, request)?;
            w.put_device(&device)?;
            self.line_view(w, mac, number)
        })
    }

    /// Renames a line (the name shown on the phone).
    pub fn rename_line(&self, mac: Mac, number: u16, name: &str) -> Result<LineView, Error> {
        let name = line_of_text(name, 64).map_err(|e| Invalid::field("name", e.message()))?;
        self.update_line(mac, number, |_, line| {
            line.name = name;
            Ok(())
        })
    }

    /// Gives a line a new generated SIP password; the user name stays, so the registrar's
    /// binding does not move.
    pub fn rotate_line(&self, mac: Mac, number: u16) -> Result<LineView, Error> {
        self.update_line(mac, number, |account, line| {
            let username = line.sip.username.clone();
            line.sip = secret::sip_credentials(username, secret::password(), &account.domain);
            Ok(())
        })
    }

    fn update_line(
        &self,
        mac: Mac,
        number: u16,
        change: impl FnOnce(&Account, &mut Line) -> Result<(), Error>,
    ) -> Result<LineView, Error> {
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            let account = w
                .account(device.account)?
                .ok_or(Error::NotFound("account"))?;
            let line = device
                .lines
                .get_mut(&number)
                .ok_or(Error::NotFound("line"))?;
            change(&account, line)?;
            w.put_device(&device)?;
            self.line_view(w, mac, number)
        })
    }

    /// Frees a line; the phone's slot is cleared at its next fetch.
    pub fn unassign_line(&self, mac: Mac, number: u16) -> Result<(), Error> {
        self.store.write(|w| {
            let mut device = w.device(mac)?.ok_or(Error::NotFound("device"))?;
            device
                .lines
                .remove(&number)
                .ok_or(Error::NotFound("line"))?;
            w.put_device(&device)?;
            Ok(())
        })
    }
}

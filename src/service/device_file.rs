//! A device's own file (`<mac>.cfg`): the render context filled from the store and the
//! catalogue — its lines with their credentials and route, its provisioning credentials, the
//! locale of the user on line 1, its effective settings, the SIP server templates of a
//! multi-cell DECT system, the key spelling of the requesting firmware — and rendered.

use std::collections::BTreeMap;

use super::provisioning::expected_credentials;
use super::{Error, Service, now};
use crate::domain::settings::WebPasswordPolicy;
use crate::domain::{Account, Device};
use crate::render::{
    AccountSlot, DeviceFile, DeviceLocale, HandsetSlot, LineAccount, LineKeySlot, LineRoute,
    ProvisioningLogin, RawLine, SettingBlock, SipTemplateSlot, WebLogins,
};
use crate::store::Reads;
use crate::vendors::{RecheckWindow, dst_year, respell_static_keys};

impl Service {
    /// Renders a device's own file: its lines, its credentials, the locale of the user on
    /// line 1 (else the account's), key names for `firmware` (the request's User-Agent's;
    /// `None` when unknown).
    pub(crate) fn render_device(
        &self,
        device: &Device,
        account: &Account,
        server_url: &str,
        firmware: Option<&str>,
    ) -> Result<String, Error> {
        let model = self
            .catalogue
            .model(&device.model)
            .ok_or(Error::NotFound("catalogue model"))?;
        let vendor = self
            .catalogue
            .vendor(&device.vendor)
            .ok_or(Error::NotFound("catalogue vendor"))?;
        let route = LineRoute::new(&account.sip_route(), |transport| {
            vendor.transport_code(transport).to_owned()
        });
        let effective = self.effective_settings(device, account);
        let settings = &effective.settings;
        let source = |name: &str| {
            effective
                .sources
                .get(name)
                .map_or_else(|| "default".to_owned(), ToString::to_string)
        };
        let mut lines = BTreeMap::new();
        let mut locale_of = (account.language, account.time_zone);
        for line in device.lines.values() {
            let Some(user) = self.store.user(line.user)? else {
                continue;
            };
            if line.number == 1 {
                locale_of = (user.language, user.time_zone);
            }
            let voicemail = settings
                .voicemail_number
                .clone()
                .filter(|_| user.voicemail.enabled);
            lines.insert(
                line.number,
                LineAccount {
                    label: line.name.clone(),
                    display_name: user.display_name(),
                    user_name: line.sip.username.to_string(),
                    auth_name: line.sip.username.to_string(),
                    password: line.sip.password.clone(),
                    route: route.clone(),
                    expires: 3600,
                    subscribe_mwi: voicemail.is_some(),
                    voicemail,
                    sip_template: None,
                },
            );
        }
        let used: Vec<u16> = lines.keys().copied().collect();
        let static_prefixes = model.static_key_prefixes(firmware);
        let blocks = crate::vendors::settings::yealink_named(settings, &used)
            .into_iter()
            .map(|(name, lines)| SettingBlock {
                name: name.to_owned(),
                source: source(name),
                lines: respell_static_keys(lines, static_prefixes),
            })
            .collect();
        let raw = settings
            .raw
            .iter()
            .map(|(key, value)| RawLine {
                key: key.clone(),
                value: value.clone(),
                source: source(&format!("raw.{key}")),
            })
            .collect();
        let tone_country = settings
            .tone_country
            .as_deref()
            .or_else(|| self.catalogue.zone_country(locale_of.1))
            .and_then(|country| vendor.tone_country(country))
            .map(str::to_owned);
        let manage_web = settings.web_passwords != Some(WebPasswordPolicy::Unmanaged);
        let mut accounts = AccountSlot::all(model.lines, lines);
        let sip_templates = SipTemplateSlot::assign(model.dect, &mut accounts);
        let credentials = expected_credentials(device, account);
        let file = DeviceFile {
            vendor: device.vendor.clone(),
            model: model.name.clone(),
            mac: device.mac,
            server_url: server_url.to_owned(),
            provisioning: ProvisioningLogin {
                username: credentials.username.clone(),
                password: credentials.password.clone(),
            },
            recheck: RecheckWindow::for_mac(device.mac),
            locale: DeviceLocale {
                language: vendor.language(locale_of.0).clone(),
                time: self.catalogue.yealink_time(locale_of.1, dst_year(now())),
                tone_country,
            },
            handsets: HandsetSlot::defaults(model.dect, &accounts),
            accounts,
            web_passwords: device
                .web_passwords
                .as_ref()
                .filter(|_| manage_web)
                .map(|web| WebLogins {
                    admin: web.admin.clone(),
                    user: web.user.clone(),
                }),
            settings: blocks,
            raw,
            active_handsets: model.dect.and_then(|dect| dect.active_handsets),
            sip_templates,
            static_prefixes,
            line_keys: self
                .keys_of_device(device, model.line_keys)?
                .into_iter()
                .map(|slot| LineKeySlot::yealink(slot.number, slot.key.as_ref()))
                .collect(),
            firmware: self.firmware_urls(device, server_url)?,
        };
        self.renderer
            .render_device(&file)
            .map_err(|e| Error::Render(e.to_string()))
    }
}

//! Turning a device's data into the exact bytes of the file it fetches, and the admin web
//! UI's data into HTML pages: tera templates, loaded once at startup, and one serializable
//! context per file kind or page.
//!
//! The built-in templates (`templates/`) are compiled into the binary; an operator may
//! replace any of them with a file at the same relative path in an override directory. A
//! template that does not parse stops the server at startup, naming the file. Rendering is
//! deterministic — no clock, no map iteration in templates — because phones compare a hash of
//! the file to decide whether to apply it. This is the only module that knows tera; like
//! `vendors` it does no network or database I/O (it reads override templates once, at start).

mod context;
mod pages;
mod renderer;
mod sip_template;
#[cfg(test)]
mod tests;

pub use context::{
    AccountSlot, CommonFile, DeviceFile, DeviceLocale, FirmwareUrls, HandsetFirmware, HandsetSlot,
    LineAccount, LineKeySlot, LineRoute, ProvisioningLogin, ProxyAddress, RawLine, SettingBlock,
    SipServerAddress, WebLogins,
};
pub use pages::Pages;
pub use renderer::{RenderError, Renderer};
pub use sip_template::{SIP_TEMPLATES, SipTemplate, SipTemplateSlot};

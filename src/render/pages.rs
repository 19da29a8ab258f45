//! `Pages`: the admin web UI's HTML templates (`templates/admin/*.html`) and its two static
//! assets (`app.css`, `app.js`), loaded once at startup like the phone templates and
//! overridable file by file from the same directory.
//!
//! A second `Tera` instance, separate from the phone files': every value is HTML-escaped
//! (`&`, `<`, `>`, `"` and `'`), so no name, tag or label an admin or a phone sent can become
//! markup. Templates share components (`admin/components.html`) for form fields and badges.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use tera::{Context, Kwargs, State, Tera};

use super::renderer::{RenderError, add_templates, sources};

/// A file of `templates/admin/`: (its name under `templates/`, its contents).
macro_rules! page {
    ($file:literal) => {
        (
            concat!("admin/", $file),
            include_str!(concat!("../../templates/admin/", $file)),
        )
    };
}

/// The built-in page templates: (name under `templates/`, contents).
const BUILTIN: &[(&str, &str)] = &[
    page!("base.html"),
    page!("components.html"),
    page!("error.html"),
    page!("signin.html"),
    page!("me.html"),
    page!("welcome.html"),
    page!("accounts.html"),
    page!("account_form.html"),
    page!("users.html"),
    page!("user.html"),
    page!("user_form.html"),
    page!("user_delete.html"),
    page!("bulk.html"),
    page!("bulk_summary.html"),
    page!("devices.html"),
    page!("device.html"),
    page!("device_settings.html"),
    page!("preview.html"),
    page!("phone_settings.html"),
    page!("profile.html"),
    page!("unclaimed.html"),
    page!("tokens.html"),
    page!("firmware.html"),
];

/// The static assets, served as they are.
const ASSETS: &[(&str, &str)] = &[page!("app.css"), page!("app.js")];

/// The admin pages, ready to render.
#[derive(Debug)]
pub struct Pages {
    html: Tera,
    /// (file name under `admin/`, contents).
    assets: Vec<(&'static str, String)>,
}

impl Pages {
    /// Loads the built-in pages and assets, each replaced by the file at the same relative
    /// path in `override_dir` when there is one (`<dir>/admin/base.html`).
    pub(super) fn new(override_dir: Option<&Path>) -> Result<Pages, RenderError> {
        let mut html = Tera::new();
        html.autoescape_on([".html"]);
        html.set_escape_fn(html_escape);
        html.register_filter("when", when);
        add_templates(&mut html, &sources(BUILTIN, override_dir)?)?;
        let assets = sources(ASSETS, override_dir)?
            .into_iter()
            .map(|source| {
                let name = source.name.trim_start_matches("admin/");
                (name, source.text)
            })
            .collect();
        Ok(Pages { html, assets })
    }

    /// Renders `templates/admin/<page>.html` with `context`, which must serialize to a map.
    pub fn render(&self, page: &str, context: &impl Serialize) -> Result<String, RenderError> {
        let template = format!("admin/{page}.html");
        let failed = |error: tera::Error| RenderError::Render {
            template: template.clone(),
            message: format!("{error:#}"),
        };
        let context = Context::from_serialize(context).map_err(failed)?;
        self.html.render(&template, &context).map_err(failed)
    }

    /// A static asset by file name (`app.css`).
    pub fn asset(&self, name: &str) -> Option<&str> {
        self.assets
            .iter()
            .find(|(asset, _)| *asset == name)
            .map(|(_, text)| text.as_str())
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn html_escape(input: &str, output: &mut dyn Write) -> io::Result<()> {
    let mut start = 0;
    for (index, byte) in input.bytes().enumerate() {
        let entity: &[u8] = match byte {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        output.write_all(&input.as_bytes()[start..index])?;
        output.write_all(entity)?;
        start = index + 1;
    }
    output.write_all(&input.as_bytes()[start..])
}

/// `{{ at | when }}`: an RFC 3339 timestamp as `2026-05-01 14:03:22 UTC`; anything else
/// is shown as it is.
fn when(value: &str, _: Kwargs, _: &State) -> String {
    match value.parse::<jiff::Timestamp>() {
        Ok(at) => at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn escape(input: &str) -> String {
        let mut output = Vec::new();
        html_escape(input, &mut output).unwrap();
        String::from_utf8(output).unwrap()
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(escape("Zoë Ångström"), "Zoë Ångström");
    }

    #[test]
    fn builtin_pages_and_assets_load() {
        let pages = Pages::new(None).unwrap();
        assert!(
            pages
                .asset("app.css")
                .is_some_and(|css| css.contains("body"))
        );
        assert!(pages.asset("app.js").is_some());
        assert!(
            pages.asset("base.html").is_none(),
            "templates are not assets"
        );
    }

    #[test]
    fn values_are_escaped_in_pages() {
        let pages = Pages::new(None).unwrap();
        let html = pages
            .render(
                "error",
                &json!({
                    "frame": {"title": "Oops", "csrf": "", "flash": null, "who": null, "nav": null},
                    "status": 404,
                    "heading": "Not found",
                    "message": "<script>alert(1)</script>",
                }),
            )
            .unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>alert"));
    }

    #[test]
    fn timestamps_are_shown_in_utc_to_the_second() {
        let context = Context::new();
        let state = State::new(&context);
        let shown = when("2026-05-01T14:03:22.123456Z", Kwargs::default(), &state);
        assert_eq!(shown, "2026-05-01 14:03:22 UTC");
        assert_eq!(when("never", Kwargs::default(), &state), "never");
    }

    #[test]
    fn an_override_directory_replaces_a_page() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("admin")).unwrap();
        std::fs::write(dir.path().join("admin/app.css"), "body { color: red }").unwrap();
        std::fs::write(dir.path().join("admin/error.html"), "custom {{ status }}").unwrap();
        let pages = Pages::new(Some(dir.path())).unwrap();
        assert_eq!(pages.asset("app.css"), Some("body { color: red }"));
        let html = pages.render("error", &json!({"status": 500})).unwrap();
        assert_eq!(html, "custom 500");

        std::fs::write(dir.path().join("admin/error.html"), "{% if %}").unwrap();
        let error = Pages::new(Some(dir.path())).unwrap_err();
        assert!(error.to_string().contains("error.html"), "{error}");
    }
}

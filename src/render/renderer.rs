//! `Renderer`: the templates, loaded and checked once at startup, and the two calls that turn
//! a context into a phone's file.
//!
//! Phone files get their own `Tera` instance whose escape function (applied to every value,
//! in every template) replaces control characters — CR and LF above all — with spaces, so no
//! value can end a `key = value` line and start a key of its own, whatever the domain let
//! through. The admin web UI's pages live in a second instance with HTML escaping ([`Pages`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, ErrorKind, Tera};

use super::context::{CommonFile, DeviceFile};
use super::pages::Pages;
use super::sip_template::SIP_TEMPLATES;
use crate::vendors::{Catalogue, CatalogueError, Cells, Model};

/// The built-in templates, compiled into the binary: (name under `templates/`, contents).
const BUILTIN: &[(&str, &str)] = &[
    (
        "yealink/desk.cfg",
        include_str!("../../templates/yealink/desk.cfg"),
    ),
    (
        "yealink/dect.cfg",
        include_str!("../../templates/yealink/dect.cfg"),
    ),
    (
        "yealink/common.cfg",
        include_str!("../../templates/yealink/common.cfg"),
    ),
    (
        "yealink/_provisioning.cfg",
        include_str!("../../templates/yealink/_provisioning.cfg"),
    ),
    (
        "yealink/_firmware.cfg",
        include_str!("../../templates/yealink/_firmware.cfg"),
    ),
    (
        "yealink/_local_time.cfg",
        include_str!("../../templates/yealink/_local_time.cfg"),
    ),
    (
        "yealink/_accounts.cfg",
        include_str!("../../templates/yealink/_accounts.cfg"),
    ),
    (
        "yealink/_line_keys.cfg",
        include_str!("../../templates/yealink/_line_keys.cfg"),
    ),
    (
        "yealink/_settings.cfg",
        include_str!("../../templates/yealink/_settings.cfg"),
    ),
    (
        "yealink/_sip_templates.cfg",
        include_str!("../../templates/yealink/_sip_templates.cfg"),
    ),
];

/// Why a template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An override template exists but cannot be read.
    #[error("cannot read template {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A template does not parse (or includes a template that does not exist).
    #[error("template {origin} is invalid: {message}")]
    Template { origin: String, message: String },
    /// The context names a model or file the catalogue does not know.
    #[error("the catalogue has no {vendor} {what} {name:?}")]
    Unknown {
        vendor: String,
        what: &'static str,
        name: String,
    },
    /// The context does not fit its model (account or handset slots missing or extra).
    #[error("context of {model} does not fit the model: {problem}")]
    Context { model: String, problem: String },
    /// The built-in catalogue, which says which template renders what, is broken.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// Rendering failed (a template uses a value the context does not have).
    #[error("rendering {template} failed: {message}")]
    Render { template: String, message: String },
}

/// The phone-file templates and the admin pages, ready to render.
#[derive(Debug)]
pub struct Renderer {
    /// Phone configuration files; every value goes through [`phone_escape`].
    phone: Tera,
    /// The admin web UI.
    pages: Pages,
    /// Which template renders which model and file.
    catalogue: &'static Catalogue,
}

/// One template to load: its name, where its text comes from (for messages), its text.
pub(super) struct Source {
    pub name: &'static str,
    pub origin: String,
    pub text: String,
}

impl Renderer {
    /// Loads the built-in templates, each replaced by the file at the same relative path in
    /// `override_dir` when there is one (`<dir>/yealink/desk.cfg`, `<dir>/admin/base.html`).
    /// Any template that cannot be read or parsed is an error naming its file; so is a broken
    /// built-in catalogue.
    pub fn new(override_dir: Option<&Path>) -> Result<Renderer, RenderError> {
        let catalogue = Catalogue::init()?;
        let sources = sources(BUILTIN, override_dir)?;
        let mut phone = Tera::new();
        phone.autoescape_on([""]);
        phone.set_escape_fn(phone_escape);
        add_templates(&mut phone, &sources)?;
        let pages = Pages::new(override_dir)?;
        Ok(Renderer {
            phone,
            pages,
            catalogue,
        })
    }

    /// The admin web UI's pages.
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    /// Renders a device's own file with the device template of its model.
    pub fn render_device(&self, file: &DeviceFile) -> Result<String, RenderError> {
        let model = self
            .catalogue
            .model(&file.model)
            .filter(|model| model.vendor == file.vendor)
            .ok_or_else(|| RenderError::Unknown {
                vendor: file.vendor.clone(),
                what: "model",
                name: file.model.clone(),
            })?;
        check_slots(model, file)?;
        self.render(&model.templates.device, file)
    }

    /// Renders a family's common file with its family's template.
    pub fn render_common(&self, file: &CommonFile) -> Result<String, RenderError> {
        let templates = self
            .catalogue
            .common_templates(&file.vendor, &file.file)
            .ok_or_else(|| RenderError::Unknown {
                vendor: file.vendor.clone(),
                what: "common file",
                name: file.file.clone(),
            })?;
        self.render(&templates.common, file)
    }

    fn render(&self, template: &str, context: &impl Serialize) -> Result<String, RenderError> {
        let failed = |error: tera::Error| RenderError::Render {
            template: template.to_owned(),
            message: error.to_string(),
        };
        let context = Context::from_serialize(context).map_err(failed)?;
        self.phone.render(template, &context).map_err(failed)
    }
}

/// Adds `sources` to `tera`; a template that does not parse is an error naming its file.
pub(super) fn add_templates(tera: &mut Tera, sources: &[Source]) -> Result<(), RenderError> {
    tera.add_raw_templates(sources.iter().map(|source| (source.name, &source.text)))
        .map_err(|error| {
            let culprit = template_of(&error);
            let origin = sources
                .iter()
                .find(|source| Some(source.name) == culprit)
                .map_or_else(|| "templates".to_owned(), |source| source.origin.clone());
            let message = error.to_string();
            RenderError::Template { origin, message }
        })
}

/// The built-in files, with the override directory's files in place of their namesakes.
pub(super) fn sources(
    builtin: &[(&'static str, &'static str)],
    override_dir: Option<&Path>,
) -> Result<Vec<Source>, RenderError> {
    let mut sources = Vec::with_capacity(builtin.len());
    for &(name, builtin) in builtin {
        let overriding = override_dir
            .map(|dir| dir.join(name))
            .filter(|path| path.is_file());
        let source = match overriding {
            Some(path) => Source {
                name,
                origin: path.display().to_string(),
                text: std::fs::read_to_string(&path)
                    .map_err(|source| RenderError::Read { path, source })?,
            },
            None => Source {
                name,
                origin: format!("templates/{name} (built in)"),
                text: builtin.to_owned(),
            },
        };
        sources.push(source);
    }
    Ok(sources)
}

/// Every account slot of the model, numbered 1..=lines, and either no handset slots or all
/// of them: a missing slot would leave a removed line configured on the phone. A multi-cell
/// system has its ten SIP server templates and every line names one that holds a route;
/// other models have neither.
fn check_slots(model: &Model, file: &DeviceFile) -> Result<(), RenderError> {
    let handsets = model.dect.map_or(0, |dect| dect.handsets);
    let multi_cell = model.dect.is_some_and(|dect| dect.cells == Cells::Multi);
    let lines = || file.accounts.iter().filter_map(|slot| slot.line.as_ref());
    let problem = if !file
        .accounts
        .iter()
        .map(|slot| slot.number)
        .eq(1..=model.lines)
    {
        format!("accounts must be numbered 1 to {}", model.lines)
    } else if !file.handsets.is_empty()
        && !file
            .handsets
            .iter()
            .map(|slot| slot.number)
            .eq(1..=handsets)
    {
        format!("handsets must be numbered 1 to {handsets}, or absent")
    } else if multi_cell
        && !file
            .sip_templates
            .iter()
            .map(|slot| slot.number)
            .eq(1..=SIP_TEMPLATES)
    {
        format!("SIP server templates must be numbered 1 to {SIP_TEMPLATES}")
    } else if multi_cell
        && !lines().all(|line| {
            line.sip_template.is_some_and(|number| {
                file.sip_templates
                    .iter()
                    .any(|slot| slot.number == number && slot.template.is_some())
            })
        })
    {
        "every line must register through a SIP server template that holds a route".to_owned()
    } else if !multi_cell
        && (!file.sip_templates.is_empty() || lines().any(|line| line.sip_template.is_some()))
    {
        "only multi-cell DECT systems have SIP server templates".to_owned()
    } else {
        return Ok(());
    };
    Err(RenderError::Context {
        model: model.name.clone(),
        problem,
    })
}

/// The template a loading error is about, when tera says.
fn template_of(error: &tera::Error) -> Option<&str> {
    match error.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            Some(report.filename())
        }
        ErrorKind::MissingParent { current, .. } => Some(current),
        ErrorKind::CircularExtend { tpl, .. } | ErrorKind::CircularInclude { tpl, .. } => Some(tpl),
        _ => None,
    }
}

/// Escapes a value for a line-oriented configuration file: control characters (CR, LF, tab,
/// NUL, DEL, C1) and the Unicode line and paragraph separators become spaces.
fn phone_escape(input: &str, output: &mut dyn Write) -> io::Result<()> {
    let mut start = 0;
    for (index, c) in input.char_indices() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            output.write_all(&input.as_bytes()[start..index])?;
            output.write_all(b" ")?;
            start = index + c.len_utf8();
        }
    }
    output.write_all(&input.as_bytes()[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(input: &str) -> String {
        let mut output = Vec::new();
        phone_escape(input, &mut output).unwrap();
        String::from_utf8(output).unwrap()
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(escape("Ann\nlang.gui = Evil"), "Ann lang.gui = Evil");
        assert_eq!(
            escape("a\r\nb\tc\0d\u{7f}e\u{85}f\u{2028}g"),
            "a  b c d e f g"
        );
        assert_eq!(escape("Zoë Ångström 東京"), "Zoë Ångström 東京");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn builtin_templates_load_and_cover_the_catalogue() {
        let renderer = Renderer::new(None).unwrap();
        for model in Catalogue::builtin().models() {
            for name in [&model.templates.device, &model.templates.common] {
                assert!(
                    renderer
                        .phone
                        .get_template_names()
                        .any(|t| t == name.as_str()),
                    "{name}"
                );
            }
        }
    }
}

//! TEMPORARY stand-in for the vendors catalogue (being built on the `vendors` branch).
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Catalogue {
    models: Vec<Model>,
}

#[derive(Debug)]
pub struct Model {
    pub vendor: String,
    pub name: String,
    pub lines: u16,
    pub dect: Option<Dect>,
}

#[derive(Debug)]
pub struct Dect {
    pub handsets: u16,
}

impl Catalogue {
    pub fn builtin() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| Catalogue {
            models: [
                ("T46S", 16, 0),
                ("T54W", 16, 0),
                ("T31G", 2, 0),
                ("W60B", 8, 8),
                ("W52P", 5, 5),
            ]
            .into_iter()
            .map(|(name, lines, handsets)| Model {
                vendor: "yealink".into(),
                name: name.into(),
                lines,
                dect: (handsets > 0).then_some(Dect { handsets }),
            })
            .collect(),
        })
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name.trim()))
    }

    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.models.iter()
    }
}

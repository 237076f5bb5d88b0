//! dtap.toml read into its settings, each remembering where it was written
//! (or which environment variable set it), so a bad value is reported there.

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Config, FILE};
use crate::domain::{Pos, Problem};

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    File(Pos),
    Env(String),
}

impl Origin {
    fn problem(&self, message: String) -> Problem {
        match self {
            Origin::File(pos) => Problem::at(FILE, *pos, message),
            Origin::Env(var) => Problem::file(format!("environment variable {var}"), message),
        }
    }
}

/// One `key = value`; `section` is `None` for a key outside every table.
struct Setting<'t> {
    section: Option<String>,
    key: String,
    value: Spanned<DeValue<'t>>,
    origin: Origin,
}

pub(super) struct Document<'t> {
    /// Table names and where each was opened.
    sections: Vec<(String, Pos)>,
    settings: Vec<Setting<'t>>,
}

impl<'t> Document<'t> {
    pub(super) fn parse(text: &'t str) -> Result<Document<'t>, Problem> {
        let root = DeTable::parse(text).map_err(|e| {
            let pos = e.span().map(|s| offset_to_pos(text, s.start)).unwrap_or_default();
            Problem::at(FILE, pos, e.message().trim().to_string())
        })?;
        let at = |span: Range<usize>| Origin::File(offset_to_pos(text, span.start));
        let mut doc = Document {
            sections: Vec::new(),
            settings: Vec::new(),
        };
        for (name, value) in root.into_inner() {
            let span = name.span();
            let name = name.into_inner().into_owned();
            let value_span = value.span();
            match value.into_inner() {
                DeValue::Table(table) => {
                    doc.sections.push((name.clone(), offset_to_pos(text, span.start)));
                    for (key, value) in table {
                        doc.settings.push(Setting {
                            section: Some(name.clone()),
                            origin: at(key.span()),
                            key: key.into_inner().into_owned(),
                            value,
                        });
                    }
                }
                other => doc.settings.push(Setting {
                    section: None,
                    key: name,
                    value: Spanned::new(value_span, other),
                    origin: at(span),
                }),
            }
        }
        Ok(doc)
    }

    /// A setting's text as written, when it is text.
    pub(super) fn text(&self, section: &str, key: &str) -> Option<&str> {
        self.find(section, key)
            .and_then(|s| self.settings[s].value.get_ref().as_str())
    }

    /// Sets `[section] key` to `value` from the environment variable `var`.
    pub(super) fn set(&mut self, section: &str, key: &str, value: String, var: String) {
        let value = Spanned::new(0..0, DeValue::String(Cow::Owned(value)));
        let origin = Origin::Env(var);
        match self.find(section, key) {
            Some(i) => {
                self.settings[i].value = value;
                self.settings[i].origin = origin;
            }
            None => self.settings.push(Setting {
                section: Some(section.to_string()),
                key: key.to_string(),
                value,
                origin,
            }),
        }
    }

    fn find(&self, section: &str, key: &str) -> Option<usize> {
        self.settings
            .iter()
            .position(|s| s.section.as_deref() == Some(section) && s.key == key)
    }

    /// A problem with `[section] key`, put where its value was set.
    pub(super) fn problem(&self, section: &str, key: &str, message: impl std::fmt::Display) -> Problem {
        let message = format!("[{section}] {key}: {message}");
        match self.find(section, key) {
            Some(i) => self.settings[i].origin.problem(message),
            None => Problem::file(FILE, message),
        }
    }

    /// Parses every table name and setting on its own, so that one run reports
    /// every bad one (serde stops at a struct's first error), and drops those
    /// that failed: the rest still make a `Config` to validate.
    pub(super) fn take_bad(&mut self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for (name, pos) in &self.sections {
            let empty = Spanned::new(0..0, DeValue::Table(DeTable::new()));
            if let Err(e) = deserialize(vec![(None, name.clone(), empty)]) {
                problems.push(Problem::at(
                    FILE,
                    *pos,
                    rename_unknown(e.message(), "section", name, ""),
                ));
                unknown.push(name.clone());
            }
        }
        let mut bad = Vec::new();
        for (i, s) in self.settings.iter().enumerate() {
            if s.section.as_ref().is_some_and(|n| unknown.contains(n)) {
                bad.push(i);
                continue;
            }
            let Err(e) = deserialize(vec![(s.section.clone(), s.key.clone(), s.value.clone())]) else {
                continue;
            };
            bad.push(i);
            let message = e.message().trim();
            let message = match &s.section {
                Some(section) if message.starts_with("unknown field") => {
                    rename_unknown(message, "key", &s.key, &format!(" in [{section}]"))
                }
                Some(section) => format!("[{section}] {}: {message}", s.key),
                None if super::env::SECTIONS.contains(&s.key.as_str()) => {
                    format!(
                        "`{}` must be a table: write [{}] and its settings below it",
                        s.key, s.key
                    )
                }
                None => rename_unknown(message, "key", &s.key, ""),
            };
            problems.push(s.origin.problem(message));
        }
        for i in bad.into_iter().rev() {
            self.settings.remove(i);
        }
        problems
    }

    /// The settings as one `Config`, defaults filling what is not set.
    pub(super) fn config(&self) -> Result<Config, Problem> {
        let settings = self
            .settings
            .iter()
            .map(|s| (s.section.clone(), s.key.clone(), s.value.clone()))
            .collect();
        deserialize(settings).map_err(|e| Problem::file(FILE, e.message().trim().to_string()))
    }
}

fn deserialize(settings: Vec<(Option<String>, String, Spanned<DeValue<'_>>)>) -> Result<Config, toml::de::Error> {
    let name = |s: String| Spanned::new(0..0, Cow::Owned(s));
    let mut root = DeTable::new();
    for (section, key, value) in settings {
        match section {
            None => {
                root.insert(name(key), value);
            }
            Some(section) => {
                let table = root
                    .entry(name(section))
                    .or_insert_with(|| Spanned::new(0..0, DeValue::Table(DeTable::new())));
                if let DeValue::Table(t) = table.get_mut() {
                    t.insert(name(key), value);
                }
            }
        }
    }
    Config::deserialize(toml::de::Deserializer::from(Spanned::new(0..0, root)))
}

/// serde's "unknown field `x`, expected one of …" in dtap's words.
fn rename_unknown(message: &str, what: &str, name: &str, place: &str) -> String {
    match message.strip_prefix(&format!("unknown field `{name}`")) {
        Some(rest) => format!("unknown {what} `{name}`{place}{rest}"),
        None => message.to_string(),
    }
}

pub fn offset_to_pos(text: &str, offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Pos::new(line, column)
}

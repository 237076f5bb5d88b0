//! Rendering release notes (`dtap release-notes`) from the embedded templates
//! or a workspace's own (`templates/release-notes.md|html`), and checking a
//! workspace's own at `dtap check`.
//!
//! Templates render in minijinja's strict mode: a variable the notes do not
//! have (a typo such as `notes.titel`) is an error naming it, never an empty
//! string. `dtap check` renders each override with sample notes that hold
//! every field, so the mistake shows before the notes are due.

use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::history::{ReleaseNoteRfc, ReleaseNotes};
use super::{AppError, Result};
use crate::domain::problem::Problem;
use crate::gitrepo::history::{HistoryEntry, PackageMove};
use crate::workspace::WorkspaceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotesFormat {
    Md,
    Html,
}

impl NotesFormat {
    fn file(self) -> &'static str {
        match self {
            NotesFormat::Md => "release-notes.md",
            NotesFormat::Html => "release-notes.html",
        }
    }

    fn default_template(self) -> &'static str {
        match self {
            NotesFormat::Md => include_str!("release-notes.md"),
            NotesFormat::Html => include_str!("release-notes.html"),
        }
    }
}

/// Every variable a template may use, for error messages and the guide.
pub const VARIABLES: &str = "notes.environment, notes.label, notes.since, notes.rfcs (each: id, title, \
     requester, department, state, summary) and notes.promotions (each: commit, time, action, to, from, by, \
     approved_by, reason, emergency, rfcs, withdrawn_version, and packages, each: package, version, tree, rfcs)";

/// The notes rendered with the workspace's template for `format`, or the embedded one.
pub fn render(workspace: &Path, format: NotesFormat, notes: &ReleaseNotes) -> Result<String> {
    let name = format.file();
    let custom = std::fs::read_to_string(workspace.join("templates").join(name)).ok();
    match custom {
        Some(source) => render_source(name, source, notes).map_err(|e| {
            WorkspaceError::Invalid(vec![Problem::file(
                format!("templates/{name}"),
                format!("the release-notes template does not render: {e}"),
            )])
            .into()
        }),
        None => render_source(name, format.default_template().to_string(), notes)
            .map_err(|e| AppError::Internal(format!("the embedded {name}: {e}"))),
    }
}

fn render_source(name: &str, source: String, notes: &ReleaseNotes) -> std::result::Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|n| {
        if n.ends_with(".html") {
            AutoEscape::Html
        } else if n.ends_with(".md") {
            AutoEscape::Custom("markdown".into())
        } else {
            AutoEscape::None
        }
    });
    // Markdown passes raw HTML through to the published page: what
    // requesters typed (titles, summaries) is shown as text, never as HTML.
    env.set_formatter(|out, state, value| {
        if !matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "markdown") {
            return minijinja::escape_formatter(out, state, value);
        }
        let text = match value.as_str() {
            Some(s) if !value.is_safe() => markdown_text(s),
            _ => value.to_string(),
        };
        out.write_str(&text).map_err(minijinja::Error::from)
    });
    env.add_template_owned(name.to_string(), source)
        .map_err(|e| describe(&e))?;
    env.get_template(name)
        .and_then(|t| t.render(minijinja::context! { notes => minijinja::value::Serde(notes) }))
        .map_err(|e| describe(&e))
}

/// Text for Markdown: HTML's special characters as entities (shown as
/// themselves, never run), and `|` escaped so a table row stays one row.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            c => out.push(c),
        }
    }
    out
}

fn describe(e: &minijinja::Error) -> String {
    let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
    let mut text = format!("{line}{}", e.kind());
    if let Some(detail) = e.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if e.kind() == minijinja::ErrorKind::UndefinedError {
        text.push_str(&format!("; the notes have {VARIABLES}"));
    }
    text
}

/// The workspace's own release-notes templates that would fail, as
/// (file, message): each is rendered with notes that hold every field.
pub fn problems(workspace: &Path) -> Vec<(String, String)> {
    let notes = sample();
    [NotesFormat::Md, NotesFormat::Html]
        .into_iter()
        .filter_map(|format| {
            let name = format.file();
            let source = std::fs::read_to_string(workspace.join("templates").join(name)).ok()?;
            render_source(name, source, &notes).err().map(|e| {
                (
                    format!("templates/{name}"),
                    format!("the release-notes template does not render: {e}"),
                )
            })
        })
        .collect()
}

/// Notes with every field set: one promotion of one package, one RFC.
fn sample() -> ReleaseNotes {
    ReleaseNotes {
        environment: "production".into(),
        label: "Productie".into(),
        since: Some("2026-11-01".into()),
        promotions: vec![HistoryEntry {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            time: "2026-11-23T10:00:00Z".into(),
            action: "promote".into(),
            packages: vec![PackageMove {
                package: "crm-core".into(),
                version: "2.4.0".into(),
                tree: "89abcdef0123456789abcdef0123456789abcdef".into(),
                rfcs: vec!["RFC-7".into()],
            }],
            from: Some("acceptance".into()),
            to: "production".into(),
            rfcs: vec!["RFC-7".into()],
            by: "rm@example.org".into(),
            approved_by: vec!["kim@example.org".into()],
            reason: Some("Sprint 42".into()),
            emergency: None,
            withdrawn_version: None,
        }],
        rfcs: vec![ReleaseNoteRfc {
            id: "RFC-7".into(),
            title: "Weekly sales button".into(),
            requester: "sales@example.org".into(),
            department: "Sales".into(),
            state: "released".into(),
            summary: Some("All my closed deals of last week".into()),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_templates_render_the_sample() {
        for format in [NotesFormat::Md, NotesFormat::Html] {
            let text = render_source(format.file(), format.default_template().to_string(), &sample()).unwrap();
            assert!(text.contains("Weekly sales button"), "{text}");
        }
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_the_line_and_the_variables() {
        let err = render_source(
            "release-notes.md",
            "# {{ notes.label }}\n{{ notes.titel }}\n".into(),
            &sample(),
        )
        .unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
        assert!(err.contains("undefined"), "{err}");
        assert!(err.contains("notes.environment, notes.label"), "{err}");
    }
}

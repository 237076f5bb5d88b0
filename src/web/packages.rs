//! `/packages/<name>/diff?from=A&to=B`: what promoting A into B would change
//! for one package, B's content as the old side and A's as the new one
//! (the same use case as `dtap diff A B --package NAME`).

use axum::extract::{Path, Query, State};
use axum::response::Html;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};
use crate::domain::{names, patch};

/// The most patch lines the page shows (all files together).
const MAX_LINES: usize = 5000;

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn diff(
    State(state): State<AppState>,
    CurrentUser(_caller): CurrentUser,
    Path(name): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Html<String>, WebError> {
    if !names::is_package_name(&name) {
        return Err(WebError::NotFound);
    }
    let pipeline = &state.app.workspace().pipeline;
    let envs: Vec<_> = pipeline
        .environments()
        .iter()
        .map(|e| context! { name => e.name.clone(), label => e.label.clone() })
        .collect();
    // By default: the first environment into the second (develop into test).
    let default = |i: usize| {
        pipeline
            .environments()
            .get(i)
            .map(|e| e.name.clone())
            .unwrap_or_default()
    };
    let from = q
        .from
        .filter(|f| pipeline.get(f).is_some())
        .unwrap_or_else(|| default(0));
    let to = q.to.filter(|t| pipeline.get(t).is_some()).unwrap_or_else(|| default(1));
    let diffs = state.app.diff(&from, &to, Some(&name)).await?;
    let d = diffs.into_iter().next().ok_or(WebError::NotFound)?;
    // Per file: what happened to it, and its lines with their numbers; a
    // binary file is named, never shown. Very long patches stop at a limit.
    let mut files = patch::parse(d.patch.as_deref().unwrap_or_default());
    let mut budget = MAX_LINES;
    let mut cut = false;
    for f in &mut files {
        if f.lines.len() > budget {
            f.lines.truncate(budget);
            cut = true;
        }
        budget -= f.lines.len();
    }
    let body = templates::render(
        "package_diff.html",
        context! {
            title => format!("{name}: {from} → {to}"),
            nav => "dashboard",
            package => name,
            from,
            to,
            environments => envs,
            old_version => d.old_version,
            new_version => d.new_version,
            same => d.same,
            added => d.added,
            modified => d.modified,
            removed => d.removed,
            files => Serde(&files),
            cut,
            max_lines => MAX_LINES,
        },
    )?;
    Ok(Html(body))
}

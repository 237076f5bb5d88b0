//! `/packages/<name>/diff?from=A&to=B`: what promoting A into B would change
//! for one package, B's content as the old side and A's as the new one
//! (the same use case as `dtap diff A B --package NAME`).

use axum::extract::{Path, Query, State};
use axum::response::Html;
use minijinja::context;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};
use crate::domain::names;

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
    let patch_lines: Vec<_> = d
        .patch
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let kind = match l.as_bytes().first() {
                Some(b'+') if !l.starts_with("+++") => "add",
                Some(b'-') if !l.starts_with("---") => "del",
                Some(b'd') if l.starts_with("diff --git") => "file",
                _ => "",
            };
            context! { text => l, kind }
        })
        .collect();
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
            patch_lines,
        },
    )?;
    Ok(Html(body))
}

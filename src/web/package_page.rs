//! `/packages/<name>`: one package across the pipeline (the dashboard's
//! cells link here): its version per environment, what happened to it, the
//! RFCs it carries and its release notes.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Html;
use minijinja::context;
use minijinja::value::Serde;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(name): Path<String>,
) -> Result<Html<String>, WebError> {
    let page = state.app.package_page(&caller, &name).await?;
    let labels: BTreeMap<String, String> = state
        .app
        .workspace()
        .pipeline
        .environments()
        .iter()
        .map(|e| (e.name.clone(), e.label.clone()))
        .collect();
    let body = templates::render(
        "package.html",
        context! {
            title => name.clone(),
            nav => "dashboard",
            page => Serde(&page),
            labels => Serde(&labels),
        },
    )?;
    Ok(Html(body))
}

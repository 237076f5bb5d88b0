//! `/deployments` and `/deployments/<id>`: what reached the CRM, each step's
//! result and output (permission `promote.<env>` or `audit.view`).

use axum::extract::{Path, Query, State};
use axum::response::Html;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};
use crate::app::AppError;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    env: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let env = q.env.filter(|e| !e.is_empty());
    let list = state.app.deployments_for(&caller, env.as_deref(), 200).await?;
    Ok(Html(templates::render(
        "deployments.html",
        context! {
            title => "Deployments", nav => "deployments", user => caller.email.as_str(),
            deployments => Serde(&list), env,
        },
    )?))
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::from(AppError::NotFound(format!("deployment {id}"))))?;
    let v = state.app.deployment_for(&caller, id).await?;
    Ok(Html(templates::render(
        "deployment.html",
        context! {
            title => format!("{} {id}", crate::locale::t(crate::web::i18n::current().locale, "Deployment")), nav => "deployments", user => caller.email.as_str(),
            d => Serde(&v.deployment), steps => Serde(&v.steps), removed => Serde(&v.removed),
        },
    )?))
}

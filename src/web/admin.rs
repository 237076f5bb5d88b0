//! `/access` (the authorization matrix) and `/audit` (the trail), for the
//! change board and auditors.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};
use crate::domain::access::{concrete_permissions, pattern_matches};

pub async fn access(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> Result<Html<String>, WebError> {
    state.app.may_read(&caller, "access.view")?;
    let ws = &state.app.workspace();
    let envs: Vec<&str> = ws.pipeline.names().collect();
    let roles: Vec<String> = ws.access.roles.keys().cloned().collect();
    let rows: Vec<_> = concrete_permissions(&envs)
        .into_iter()
        .map(|p| {
            let cells: Vec<bool> = ws
                .access
                .roles
                .values()
                .map(|g| g.iter().any(|x| pattern_matches(x, &p)))
                .collect();
            let env = p.split_once('.').map(|(_, e)| e.to_string()).unwrap_or_default();
            context! { meaning => crate::domain::access::meaning(&p), env, permission => p, cells }
        })
        .collect();
    let users: Vec<_> = ws
        .access
        .users
        .iter()
        .map(|(u, r)| context! { user => u.as_str(), roles => r.clone() })
        .collect();
    Ok(Html(templates::render(
        "access.html",
        context! { title => "Authorization matrix", nav => "access", user => caller.email.as_str(), roles, rows, users },
    )?))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    since: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// 1 is the newest page.
    page: Option<usize>,
}

/// Events per page of `/audit`: a screenful on a laptop, scrollable on a phone.
const AUDIT_PAGE: usize = 100;

impl AuditQuery {
    fn clean(v: &Option<String>) -> Option<String> {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

pub async fn audit(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, WebError> {
    let (since, actor, action) = (
        super::i18n::typed_date("since", q.since.as_deref())?,
        AuditQuery::clean(&q.actor),
        AuditQuery::clean(&q.action),
    );
    let mut events = state
        .app
        .audit(&caller, since.as_deref(), actor.as_deref(), action.as_deref())
        .await?;
    events.reverse();
    let total = events.len();
    let pages = total.div_ceil(AUDIT_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * AUDIT_PAGE;
    let events: Vec<_> = events.into_iter().skip(first).take(AUDIT_PAGE).collect();
    let shown = (first + 1, first + events.len());
    let verified = state.app.verify_audit(&caller).await?;
    Ok(Html(templates::render(
        "audit.html",
        context! {
            title => "Audit trail", nav => "audit", user => caller.email.as_str(),
            events => Serde(&events), total, since, actor, action,
            page, pages, shown_from => shown.0, shown_to => shown.1,
            intact => verified.intact(),
            broken => verified
                .broken
                .as_ref()
                .map(|b| format!("event {}: {}", b.seq, b.reason))
                .into_iter()
                .chain(verified.findings.iter().cloned())
                .collect::<Vec<_>>()
                .join("; "),
        },
    )?))
}

pub async fn audit_csv(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let events = state
        .app
        .audit(
            &caller,
            super::i18n::typed_date("since", q.since.as_deref())?.as_deref(),
            AuditQuery::clean(&q.actor).as_deref(),
            AuditQuery::clean(&q.action).as_deref(),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"dtap-audit.csv\""),
        ],
        crate::app::audit::to_csv(&events),
    )
        .into_response())
}

/// Approves an emergency change afterwards, from the dashboard.
pub async fn approve_emergency(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    super::auth::csrf::verify_form(&state.secret, &caller.email, &pairs)?;
    let comment = pairs
        .iter()
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    state.app.approve_emergency(&caller, id, comment).await?;
    Ok(axum::response::Redirect::to("/").into_response())
}

//! An RFC's page, and showing it again with why an action posted from it was
//! not taken.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::{csrf_token, parse_id};
use crate::app::AppError;
use crate::app::rfcs::Caller;
use crate::domain::rfc::RfcId;
use crate::web::auth::CurrentUser;
use crate::web::{AppState, WebError, messages, templates};

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let locale = crate::web::i18n::current().locale;
    let notice = q
        .done
        .as_deref()
        .and_then(notice_text)
        .map(|n| crate::locale::t(locale, n));
    Ok(Html(render_show(&state, &caller, id, notice.as_deref(), &[], None).await?).into_response())
}

/// Fixed texts only: nothing from the query string is echoed.
fn notice_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "Your request was saved as a draft. Submit it when every required answer is in.",
        "saved" => "Your changes were saved.",
        "commented" => "Your comment was added.",
        "attached" => "The file was attached.",
        "removed" => "The file was removed; the audit keeps who removed it and why.",
        "tester" => "The testers were updated.",
        "plan" => "The test plan was updated.",
        "submit" => "Submitted for assessment.",
        "approve" => "Approved for build.",
        "reject" => "Rejected.",
        "start" => "Development started.",
        "hold" => "Put on hold.",
        "resume" => "Resumed.",
        "withdraw" => "Withdrawn.",
        "close" => "Closed.",
        "reopen" => "Reopened.",
        _ => return None,
    })
}

/// A comment the page shows again, as written, with why it was not added.
pub(crate) struct CommentForm {
    pub body: String,
    pub error: String,
}

pub(crate) async fn render_show(
    state: &AppState,
    caller: &Caller,
    id: RfcId,
    notice: Option<&str>,
    refusals: &[String],
    comment: Option<CommentForm>,
) -> Result<String, WebError> {
    let app = &state.app;
    let here = crate::web::i18n::current();
    let view = app.rfc_view(caller, id).await?;
    let attachments = app.attachments_of(view.rfc.id).await?;
    let rfc = &view.rfc;
    let template = app.workspace().template(&rfc.template);
    let answers = super::answers::template_answers(template, rfc, false);
    let core = super::answers::core_answers(rfc);
    let actions: Vec<_> = app
        .actions_for(caller, rfc)
        .into_iter()
        .map(|a| context! { name => a.as_str(), label => a.label(), needs_comment => a.needs_comment() })
        .collect();
    let envs: Vec<_> = app
        .workspace()
        .pipeline
        .environments()
        .iter()
        .map(|e| context! { name => e.name.clone(), label => e.label.clone() })
        .collect();
    let packages: Vec<_> = view
        .packages
        .iter()
        .map(|p| {
            let cells: Vec<_> = app
                .workspace()
                .pipeline
                .environments()
                .iter()
                .map(|e| context! { label => e.label.clone(), version => p.versions.get(&e.name).cloned(), present => p.versions.contains_key(&e.name) })
                .collect();
            context! { name => p.name.clone(), cells }
        })
        .collect();
    let rounds: Vec<_> = view
        .rounds
        .iter()
        .filter(|r| r.current)
        .map(|r| {
            let label = app
                .workspace()
                .pipeline
                .get(&r.environment)
                .map(|e| e.label.clone())
                .unwrap_or_default();
            let set: Vec<String> = r.packages.iter().map(|(p, v)| format!("{p} {v}")).collect();
            context! { label, packages => set.join(", "), since => r.started_at.day() }
        })
        .collect();
    Ok(templates::render(
        "rfc.html",
        context! {
            title => format!("{} {}", rfc.id, rfc.title),
            nav => "rfcs",
            user => caller.email.as_str(),
            rfc => Serde(rfc),
            id => rfc.id.to_string(),
            state_label => rfc.state.label(),
            template_title => view.template_title.clone(),
            answers,
            core,
            actions,
            may_edit => app.may_edit(caller, rfc) || app.may_assess_fields(caller, rfc),
            may_appoint => app.may_appoint(caller) && !rfc.state.is_final(),
            test_cases => Serde(&view.test_cases),
            testers => Serde(&view.testers),
            comments => Serde(state.app.comment_views(
                &view.comments,
                &view.testers.iter().map(|t| t.email.clone()).collect::<Vec<_>>()
            )),
            timeline => Serde(super::timeline::entries(here.locale, &view.timeline, &super::timeline::Names {
                env: &|name| here.env_label(name),
                field: &|id| match template.and_then(|t| t.field(id)) {
                    Some(f) => crate::locale::tr_with(here.locale, &f.label, &here.texts),
                    None => messages::field_name(here.locale, id, None),
                },
            })),
            signoffs => Serde(&view.signoffs),
            packages,
            rounds,
            overlaps => view.overlaps.clone(),
            environments => envs,
            notice,
            refusals => refusals.to_vec(),
            comment_error => comment.as_ref().map(|c| c.error.clone()),
            comment_body => comment.map(|c| c.body).unwrap_or_default(),
            csrf_token => csrf_token(state, caller),
            removable => attachments.iter().filter(|a| app.may_remove_attachment(caller, a)).map(|a| a.id).collect::<Vec<_>>(),
            attachments => Serde(&attachments),
            max_attachment => app.max_attachment().1,
            accept_attachments => crate::web::attachments::ACCEPT,
        },
    )?)
}

/// Shows the RFC page again with why the action was not taken, or passes
/// any other error on.
pub(super) async fn refused_on_page(
    state: &AppState,
    caller: &Caller,
    id: RfcId,
    e: AppError,
) -> Result<Response, WebError> {
    let locale = crate::web::i18n::current().locale;
    // Shown in the page's language; the refusal's audit event keeps the English.
    let (status, texts, audited): (StatusCode, Vec<String>, Vec<String>) = match e {
        AppError::Refused(reasons) => (
            StatusCode::FORBIDDEN,
            reasons.iter().map(|r| messages::refusal(locale, r)).collect(),
            reasons.iter().map(|r| r.to_string()).collect(),
        ),
        AppError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| messages::field_error(locale, e)).collect(),
            vec![],
        ),
        other => return Err(other.into()),
    };
    let page = render_show(state, caller, id, None, &texts, None).await?;
    let response = (status, Html(page)).into_response();
    Ok(if status == StatusCode::FORBIDDEN {
        crate::web::error::refusal(response, audited)
    } else {
        response
    })
}

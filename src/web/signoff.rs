//! `/signoff/<token>`: the tester's form. No account and no cookie needed:
//! the link is the credential for this one form, and nothing else.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;

use super::auth::client::ClientIp;
use super::auth::csrf;
use super::{AppState, WebError, attachments, i18n, templates};
use crate::app::AppError;
use crate::app::notify::EndedRound;
use crate::app::signoff::SignoffView;
use crate::domain::rfc::FieldError;
use crate::domain::signoff::SignoffInput;

const PURPOSE: &str = "signoff";

/// Every answer of this endpoint keeps the token out of Referer headers to
/// other sites.
/// `same-origin`, not `no-referrer`: under `no-referrer` browsers send
/// `Origin: null` with the page's own form, which the CSRF check refuses.
fn no_referrer(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Unknown, expired, used or revoked: one and the same page, except that a
/// link whose round a tester's rejection ended says so (app::notify).
pub(super) fn gone(ended: Option<EndedRound>) -> Response {
    let body = templates::render(
        "signoff_gone.html",
        context! { title => "This link does not work", nav => "", user => (), ended => Serde(ended) },
    )
    .unwrap_or_else(|_| "This link does not work.".into());
    no_referrer((StatusCode::NOT_FOUND, Html(body)).into_response())
}

/// The "does not work" page for `token`.
pub(super) async fn gone_for(state: &AppState, token: &str) -> Response {
    gone(state.app.ended_round(token).await.ok().flatten())
}

pub(super) fn too_many() -> Response {
    no_referrer(super::error::too_many_requests())
}

/// Within the client's budget and the link's.
async fn allowed(state: &AppState, client: std::net::IpAddr, token: &str) -> crate::app::Result<bool> {
    Ok(state.app.allow_request(client).await? && state.app.allow_link(token).await?)
}

/// A field's error in the tester's language.
fn said(message: &crate::domain::Msg) -> String {
    crate::locale::render(i18n::current().locale, message)
}

/// The message under its field starts as a sentence does.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn render_form(
    state: &AppState,
    token: &str,
    v: &SignoffView,
    input: &SignoffInput,
    errors: &[FieldError],
) -> Result<String, WebError> {
    let error_of = |f: &str| errors.iter().find(|e| e.field == f).map(|e| said(&e.message));
    // The error summary: one link per error, in the order of the form, each
    // to the field it is about (a radio group's first choice).
    let mut summary = Vec::new();
    let cases: Vec<_> = v
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let given = input.cases.iter().find(|(id, _, _)| *id == c.id);
            let result_error = error_of(&format!("case-{}", c.id));
            let note_error = error_of(&format!("note-{}", c.id));
            if let Some(e) = &result_error {
                summary.push(context! { href => format!("#case-{}-pass", c.id), text => format!("{}. {}: {e}", i + 1, c.title) });
            }
            if let Some(e) = &note_error {
                summary.push(context! { href => format!("#note-{}", c.id), text => format!("{}. {}: {e}", i + 1, c.title) });
            }
            context! {
                id => c.id, title => c.title.clone(), steps => c.steps.clone(), expected => c.expected.clone(), kind => c.kind.clone(),
                result => given.map(|g| g.1.clone()).unwrap_or_default(),
                note => given.map(|g| g.2.clone()).unwrap_or_default(),
                error => result_error.as_deref().map(sentence), note_error => note_error.as_deref().map(sentence),
            }
        })
        .collect();
    let verdict_error = error_of("verdict");
    let comment_error = error_of("comment");
    let locale = i18n::current().locale;
    if let Some(e) = &verdict_error {
        summary
            .push(context! { href => "#verdict-approve", text => format!("{}: {e}", i18n::t(locale, "Your verdict")) });
    }
    if let Some(e) = &comment_error {
        summary.push(context! { href => "#comment", text => format!("{}: {e}", i18n::t(locale, "Comment")) });
    }
    let attachment_error = error_of("attachment");
    if let Some(e) = &attachment_error {
        summary.push(context! { href => "#attachment", text => format!("{}: {e}", i18n::t(locale, "Attach a screenshot or file")) });
    }
    // Errors about no field on this form (a case id that is not one of its
    // cases: a tampered form) still show, linked to the form's start.
    let known = |f: &str| {
        f == "verdict"
            || f == "attachment"
            || f == "comment"
            || v.cases
                .iter()
                .any(|c| f == format!("case-{}", c.id) || f == format!("note-{}", c.id))
    };
    for e in errors.iter().filter(|e| !known(&e.field)) {
        summary.push(context! { href => "#signoff-form", text => said(&e.message) });
    }
    let answers = super::rfcs::answers::template_answers(state.app.workspace().template(&v.rfc.template), &v.rfc, true);
    Ok(templates::render(
        "signoff.html",
        context! {
            title => format!("Test {}", v.rfc.id),
            nav => "", user => (),
            rfc => Serde(&v.rfc),
            id => v.rfc.id.to_string(),
            summary => v.summary.clone(),
            answers,
            environment_label => v.environment_label.clone(),
            link => Serde(&v.link),
            packages => Serde(&v.packages),
            deadline => v.link.expires_at.day(),
            cases,
            verdict => input.verdict.clone(),
            comment => input.comment.clone(),
            verdict_error => verdict_error.as_deref().map(sentence),
            comment_error => comment_error.as_deref().map(sentence),
            // A file name starts the message: kept as written.
            attachment_error,
            attachments => Serde(&v.attachments),
            max_attachment => state.app.max_attachment().1,
            accept_attachments => crate::web::attachments::ACCEPT,
            errors => summary,
            action => format!("/signoff/{token}"),
            csrf_token => csrf::token(&state.secret, PURPOSE, token),
        },
    )?)
}

/// GET shows the form and changes nothing: mail scanners open every link.
pub async fn show(State(state): State<AppState>, ClientIp(client): ClientIp, Path(token): Path<String>) -> Response {
    match allowed(&state, client, &token).await {
        Ok(true) => {}
        Ok(false) => return too_many(),
        Err(e) => return no_referrer(WebError::from(e).into_response()),
    }
    match state.app.signoff_view(&token).await {
        Ok(v) => match render_form(&state, &token, &v, &SignoffInput::default(), &[]) {
            Ok(body) => no_referrer(Html(body).into_response()),
            Err(e) => no_referrer(e.into_response()),
        },
        Err(AppError::NotFound(_)) => gone_for(&state, &token).await,
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    match allowed(&state, client, &token).await {
        Ok(true) => {}
        Ok(false) => return too_many(),
        Err(e) => return no_referrer(WebError::from(e).into_response()),
    }
    // The token check comes after "is this link alive", so a dead link always
    // answers the same page, whatever was posted.
    let view = match state.app.signoff_view(&token).await {
        Ok(v) => v,
        Err(AppError::NotFound(_)) => return gone_for(&state, &token).await,
        Err(e) => return no_referrer(WebError::from(e).into_response()),
    };
    // The form may carry a screenshot: it streams into the store as it
    // arrives and becomes visible with the verdict, or not at all.
    let csrf_ok = |pairs: &Vec<(String, String)>| csrf::verify(&state.secret, PURPOSE, &token, pairs).is_ok();
    let posted = match attachments::read_form(&state, req, attachments::Target::Link(&token), &csrf_ok).await {
        Ok(posted) => posted,
        Err(attachments::FormError::Refused { reason, message, pairs }) => {
            let errors = [FieldError::new("attachment", message)];
            return match render_form(&state, &token, &view, &SignoffInput::from_pairs(&pairs), &errors) {
                Ok(body) => no_referrer((attachments::refusal_status(reason), Html(body)).into_response()),
                Err(e) => no_referrer(e.into_response()),
            };
        }
        Err(attachments::FormError::Web(e)) => return no_referrer(e.into_response()),
    };
    if !csrf_ok(&posted.pairs) {
        state.app.discard_uploads(&posted.files).await;
        return no_referrer(WebError::Csrf.into_response());
    }
    let input = SignoffInput::from_pairs(&posted.pairs);
    let outcome = state.app.submit_signoff_with(&token, &input, &posted.files).await;
    if outcome.is_err() {
        state.app.discard_uploads(&posted.files).await;
    }
    match outcome.map_err(|e| {
        attachments::choose_again(
            e,
            &posted.files,
            crate::msg!("Choose the file again: it is kept only with your verdict"),
        )
    }) {
        Ok(outcome) => {
            let body = templates::render(
                "signoff_done.html",
                context! {
                    title => "Thank you", nav => "", user => (),
                    approved => outcome.verdict == "approve", id => outcome.rfc.clone(),
                    state_label => outcome.state.label(), all_approved => outcome.all_approved,
                },
            )
            .unwrap_or_else(|_| "Thank you.".into());
            no_referrer(Html(body).into_response())
        }
        Err(AppError::Invalid(errors)) => match render_form(&state, &token, &view, &input, &errors) {
            Ok(body) => no_referrer((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response()),
            Err(e) => no_referrer(e.into_response()),
        },
        Err(AppError::NotFound(_)) => gone_for(&state, &token).await,
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

/// `/signoff/<token>/attachments/<n>`: a file of the link's RFC, behind the
/// same checks and answers as the form (a dead link: the same page).
pub async fn attachment(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path((token, n)): Path<(String, String)>,
) -> Response {
    match allowed(&state, client, &token).await {
        Ok(true) => {}
        Ok(false) => return too_many(),
        Err(e) => return no_referrer(WebError::from(e).into_response()),
    }
    let Ok(n) = n.parse::<i64>() else {
        return gone(None);
    };
    match state.app.open_signoff_attachment(&token, n).await {
        Ok(row) => no_referrer(attachments::serve(&state, row)),
        Err(AppError::NotFound(_)) => gone_for(&state, &token).await,
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

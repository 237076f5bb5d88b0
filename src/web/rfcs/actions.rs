//! The forms posted from an RFC's page: a transition, a comment, a tester, a
//! test case. Each redirects back with a notice, or shows the page again with
//! why it was not done.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::show::{CommentForm, refused_on_page, render_show};
use super::{RfcPost, parse_id, value_of};
use crate::app::AppError;
use crate::domain::rfc::Action;
use crate::web::attachments::{FormError, Pairs, Target, choose_again, read_form, refusal_status};
use crate::web::auth::{CurrentUser, csrf};
use crate::web::i18n::current;
use crate::web::{AppState, WebError, messages};

pub async fn transition(
    State(state): State<AppState>,
    RfcPost { caller, id, pairs }: RfcPost,
) -> Result<Response, WebError> {
    let action = Action::parse(value_of(&pairs, "transition").unwrap_or(""))
        .map_err(|e| WebError::from(AppError::invalid("transition", e)))?;
    match state
        .app
        .move_rfc(&caller, id, action, value_of(&pairs, "comment"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rfcs/{id}?done={action}")).into_response()),
        Err(e @ AppError::Refused(_)) => refused_on_page(&state, &caller, id, e).await,
        Err(e) => Err(e.into()),
    }
}

/// POST `/rfcs/{id}/comments`: a comment, with a file if one was chosen.
/// A refused comment is shown again as written; its file must be chosen
/// again (a browser never refills a file input).
pub async fn comment(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let locale = current().locale;
    let csrf_ok = |pairs: &Pairs| csrf::verify_form(&state.secret, &caller.email, pairs).is_ok();
    let posted = match read_form(&state, req, Target::Rfc(&caller, id), &csrf_ok).await {
        Ok(posted) => posted,
        Err(FormError::Refused { reason, message, pairs }) => {
            let again = CommentForm {
                body: value_of(&pairs, "body").unwrap_or("").to_string(),
                error: crate::locale::render(locale, &message),
            };
            let page = render_show(&state, &caller, id, None, &[], Some(again)).await?;
            return Ok((refusal_status(reason), Html(page)).into_response());
        }
        Err(FormError::Web(e)) => return Err(e),
    };
    if !csrf_ok(&posted.pairs) {
        state.app.discard_uploads(&posted.files).await;
        return Err(WebError::Csrf);
    }
    let body = value_of(&posted.pairs, "body").unwrap_or("");
    match state.app.comment_rfc(&caller, id, body, &posted.files).await {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=commented")).into_response()),
        Err(e) => {
            state.app.discard_uploads(&posted.files).await;
            match choose_again(
                e,
                &posted.files,
                crate::msg!("Choose the file again: it is kept only with your comment"),
            ) {
                AppError::Invalid(errors) => {
                    let error = errors
                        .iter()
                        .map(|e| messages::say(locale, &e.message))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let again = CommentForm {
                        body: body.to_string(),
                        error,
                    };
                    let page = render_show(&state, &caller, id, None, &[], Some(again)).await?;
                    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
                }
                e => Err(e.into()),
            }
        }
    }
}

pub async fn testers(
    State(state): State<AppState>,
    RfcPost { caller, id, pairs }: RfcPost,
) -> Result<Response, WebError> {
    let env = value_of(&pairs, "environment").unwrap_or("");
    let email = value_of(&pairs, "email").unwrap_or("");
    let add = value_of(&pairs, "op") != Some("remove");
    match state.app.set_tester(&caller, id, env, email, add).await {
        Ok(_) => Ok(Redirect::to(&format!("/rfcs/{id}?done=tester")).into_response()),
        Err(e) => refused_on_page(&state, &caller, id, e).await,
    }
}

/// Adds or removes a test case of the test plan (permission rfc.edit).
pub async fn cases(
    State(state): State<AppState>,
    RfcPost { caller, id, pairs }: RfcPost,
) -> Result<Response, WebError> {
    let v = |k: &str| value_of(&pairs, k).unwrap_or("").to_string();
    let result = if v("op") == "remove" {
        let case: i64 = v("case").parse().map_err(|_| WebError::NotFound)?;
        state.app.remove_test_case(&caller, id, case).await.map(|_| ())
    } else {
        state
            .app
            .add_test_case(
                &caller,
                id,
                &v("environment"),
                &v("kind"),
                &v("title"),
                &v("steps"),
                &v("expected"),
            )
            .await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=plan#plan")).into_response()),
        Err(e) => refused_on_page(&state, &caller, id, e).await,
    }
}

/// POST `/rfcs/{id}/attachments/{n}/remove`: removes a file, saying why.
pub async fn remove_attachment(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((id, n)): Path<(String, String)>,
    form: Result<axum::Form<Pairs>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let n: i64 = n.parse().map_err(|_| WebError::NotFound)?;
    let axum::Form(pairs) =
        form.map_err(|e| WebError::App(AppError::invalid("form", crate::domain::Msg::verbatim(e.body_text()))))?;
    super::check_csrf(&state, &caller, &pairs)?;
    let reason = value_of(&pairs, "reason").unwrap_or("");
    match state.app.remove_attachment(&caller, id, n, reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=removed#attachments")).into_response()),
        Err(e) => refused_on_page(&state, &caller, id, e).await,
    }
}

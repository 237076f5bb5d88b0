//! The forms posted from an RFC's page: a transition, a comment, a tester, a
//! test case. Each redirects back with a notice, or shows the page again with
//! why it was not done.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::show::{refused_on_page, render_show};
use super::{RfcPost, value_of};
use crate::app::AppError;
use crate::domain::rfc::Action;
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

pub async fn comment(
    State(state): State<AppState>,
    RfcPost { caller, id, pairs }: RfcPost,
) -> Result<Response, WebError> {
    match state
        .app
        .comment_rfc(&caller, id, value_of(&pairs, "body").unwrap_or(""))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=commented")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = render_show(
                &state,
                &caller,
                id,
                None,
                &[],
                errors.first().map(|e| messages::say(current().locale, &e.message)),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(e) => Err(e.into()),
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

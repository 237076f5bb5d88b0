//! RFC pages: list, new, show, edit, transitions, comments, testers. One
//! module per use case; this one holds what their forms share.

mod actions;
pub(crate) mod answers;
mod edit;
mod file;
mod form;
mod list;
mod show;
mod timeline;

pub use actions::{cases, comment, remove_attachment, testers, transition};
pub use edit::{edit_form, update};
pub use file::{create, new_form};
pub use list::{ListQuery, list};
pub(crate) use show::render_show;
pub use show::show;

use super::auth::csrf;
use super::{AppState, WebError};
use crate::app::rfcs::Caller;
use crate::domain::rfc::RfcId;

type Pairs = Vec<(String, String)>;

fn parse_id(id: &str) -> Result<RfcId, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

fn value_of<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn csrf_token(state: &AppState, caller: &Caller) -> String {
    csrf::form_token(&state.secret, &caller.email)
}

fn check_csrf(state: &AppState, caller: &Caller, pairs: &Pairs) -> Result<(), WebError> {
    csrf::verify_form(&state.secret, &caller.email, pairs)
}

/// A form a signed-in user posted to one RFC's page, its CSRF token checked
/// and the RFC's id parsed: the prologue every RFC action shares, in one place.
pub struct RfcPost {
    caller: Caller,
    id: RfcId,
    pairs: Pairs,
}

impl axum::extract::FromRequest<AppState> for RfcPost {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, WebError> {
        use axum::extract::{Form, FromRequestParts, Path};
        let (mut parts, body) = req.into_parts();
        let super::auth::CurrentUser(caller) = super::auth::CurrentUser::from_request_parts(&mut parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        let Form(pairs) = Form::<Pairs>::from_request(axum::extract::Request::from_parts(parts, body), state)
            .await
            .map_err(|e| {
                WebError::App(crate::app::AppError::invalid(
                    "form",
                    crate::domain::Msg::verbatim(e.body_text()),
                ))
            })?;
        check_csrf(state, &caller, &pairs)?;
        let id = parse_id(&id)?;
        Ok(RfcPost { caller, id, pairs })
    }
}

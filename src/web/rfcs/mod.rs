//! RFC pages: list, new, show, edit, transitions, comments, testers. One
//! module per use case; this one holds what their forms share.

mod actions;
mod edit;
mod file;
mod form;
mod list;
mod show;

pub use actions::{cases, comment, testers, transition};
pub use edit::{edit_form, update};
pub use file::{create, new_form};
pub use list::{ListQuery, list};
pub use show::show;

use super::auth::csrf;
use super::{AppState, WebError};
use crate::app::rfcs::Caller;
use crate::domain::rfc::RfcId;

const FORM: &str = "form";

type Pairs = Vec<(String, String)>;

fn parse_id(id: &str) -> Result<RfcId, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

fn value_of<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn csrf_token(state: &AppState, caller: &Caller) -> String {
    csrf::token(&state.secret, FORM, &caller.email)
}

fn check_csrf(state: &AppState, caller: &Caller, pairs: &Pairs) -> Result<(), WebError> {
    csrf::verify(&state.secret, FORM, &caller.email, pairs)
}

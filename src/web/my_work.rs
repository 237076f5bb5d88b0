//! `/me`: "my work", the signed-in user's requests, the sign-offs and
//! assessments waiting for them, and their promotions.

use axum::extract::State;
use axum::response::Html;
use minijinja::context;
use minijinja::value::Serde;

use super::auth::CurrentUser;
use super::{AppState, WebError, templates};

pub async fn show(State(state): State<AppState>, CurrentUser(caller): CurrentUser) -> Result<Html<String>, WebError> {
    let work = state.app.my_work(&caller).await?;
    let body = templates::render(
        "my_work.html",
        context! {
            title => "My work",
            nav => "me",
            user => caller.email.as_str(),
            work => Serde(&work),
            may_file => state.app.may_file(&caller),
        },
    )?;
    Ok(Html(body))
}

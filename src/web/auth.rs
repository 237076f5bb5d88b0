//! Who is asking. Until login exists the web user is `[web] dev_user`, which
//! `serve` allows on loopback only.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{AppState, WebError};
use crate::app::rfcs::Caller;
use crate::store::audit::Origin;

/// The signed-in user of a page request.
pub struct CurrentUser(pub Caller);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match &state.app.workspace.config.web.dev_user {
            Some(u) => Ok(CurrentUser(Caller::new(u, Origin::Web))),
            None => Err(WebError::Unauthorized),
        }
    }
}

/// The caller of an API request.
pub struct ApiUser(pub Caller);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = super::api::ApiError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match &state.app.workspace.config.web.dev_user {
            Some(u) => Ok(ApiUser(Caller::new(u, Origin::Api))),
            None => Err(super::api::ApiError::Unauthorized),
        }
    }
}

//! Who is asking: the user of the session cookie (login by mailed link), or
//! `[web] dev_user`, which `serve` allows on loopback only. With the session
//! cookie and the CSRF defences; handlers import from here, never the reverse.

pub mod client;
pub mod csrf;
pub mod host;
pub mod session;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::app::AppError;
use crate::app::rfcs::Caller;
use crate::domain::Email;
use crate::domain::origin::Origin;
use crate::web::error::{ApiError, WebError};
use crate::web::state::AppState;

/// The signed-in user of a page request.
pub struct CurrentUser(pub Caller);

/// Who a page request comes from, worked out once by `viewer::layer` and
/// kept in the request's extensions: the address, and whether it came
/// from a session cookie (the one sign-in that "Sign out" ends).
#[derive(Debug, Clone)]
pub struct Resolved(pub Option<(Email, bool)>);

/// The user of a request: the trusted proxy's header, else the session
/// cookie, else `[web] dev_user`.
pub async fn resolve(headers: &HeaderMap, extensions: &Extensions, state: &AppState) -> Result<Resolved, AppError> {
    if let Some(user) = proxy_user(headers, extensions, state) {
        return Ok(Resolved(Some((user, false))));
    }
    if let Some(session) = session::session_cookie(headers, &state.app.workspace().config.web.base_url)
        && let Some(user) = state.app.session_user(&session).await?
    {
        return Ok(Resolved(Some((user, true))));
    }
    Ok(Resolved(
        state.app.workspace().config.web.dev_user.clone().map(|u| (u, false)),
    ))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let resolved = match parts.extensions.get::<Resolved>() {
            Some(r) => r.clone(),
            None => resolve(&parts.headers, &parts.extensions, state).await?,
        };
        match resolved.0 {
            Some((user, _)) => Ok(CurrentUser(Caller::new(user, Origin::Web))),
            None => Err(WebError::Unauthorized),
        }
    }
}

/// The caller of an API request.
pub struct ApiUser(pub Caller);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            // Reading takes scope `read`; every API write is an RFC's.
            let needed = if parts.method.is_safe() { "read" } else { "rfc.write" };
            return match state.app.token_grant(token).await {
                Ok(Some((user, scopes))) if scopes.allows(needed) => Ok(ApiUser(Caller::new(user, Origin::Api))),
                Ok(Some(_)) => Err(ApiError::Forbidden(format!(
                    "this token lacks scope {needed}: make one with `dtap token create --name NAME --scope {needed}`"
                ))),
                Ok(None) => Err(ApiError::Unauthorized),
                Err(e) => Err(ApiError::App(e)),
            };
        }
        match &state.app.workspace().config.web.dev_user {
            Some(u) => Ok(ApiUser(Caller::new(u.clone(), Origin::Api))),
            None => Err(ApiError::Unauthorized),
        }
    }
}

/// The user named by the trusted reverse proxy's header, only when the request
/// comes straight from one of the configured proxy addresses.
fn proxy_user(headers: &HeaderMap, extensions: &Extensions, state: &AppState) -> Option<Email> {
    let config = &state.app.workspace().config;
    let header = config.web.proxy_header.as_deref().filter(|h| !h.is_empty())?;
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    if !config.web.trusted_proxies.contains(&peer) {
        return None;
    }
    Email::parse(headers.get(header)?.to_str().ok()?).ok()
}

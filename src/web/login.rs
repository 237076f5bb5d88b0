//! `/login`: sign in with a link sent by mail; `/logout`.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;

use super::auth::csrf;
use super::auth::session::{COOKIE, session_cookie};
use super::{AppState, WebError, templates};

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

fn page(name: &str, ctx: minijinja::Value) -> Result<Html<String>, WebError> {
    Ok(Html(templates::render(name, ctx)?))
}

/// `same-origin`, not `no-referrer`: under `no-referrer` browsers send
/// `Origin: null` with the page's own form, which the CSRF check refuses.
fn no_referrer(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub async fn form(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    // The login form has no user yet: its token is bound to the day, and every
    // instance derives the same one from the shared secret.
    let token = csrf::token(&state.secret, "login", &today());
    page(
        "login.html",
        context! { title => "Sign in", nav => "", user => (), sent => false, csrf_token => token },
    )
}

pub async fn request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !state.app.allow_request(peer.ip()).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60")],
            "Too many requests; try again in a minute.",
        )
            .into_response());
    }
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .date()
        .to_string();
    let ok = [today(), yesterday]
        .iter()
        .any(|d| csrf::verify(&state.secret, "login", d, &pairs).is_ok());
    if !ok {
        return Err(WebError::Csrf);
    }
    let email = pairs
        .iter()
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    state.app.request_login(email).await?;
    Ok(page(
        "login.html",
        context! { title => "Check your mail", nav => "", user => (), sent => true, csrf_token => "" },
    )?
    .into_response())
}

pub async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let allowed = match state.app.allow_request(peer.ip()).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    if !allowed {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests; try again in a minute.",
        )
            .into_response();
    }
    // GET changes nothing (mail scanners open links): it asks to confirm.
    let body = match state.app.login_link(&token).await {
        Ok(Some(email)) => templates::render(
            "login_confirm.html",
            context! {
                title => "Sign in", nav => "", user => (), email,
                action => format!("/login/{token}"), csrf_token => csrf::token(&state.secret, "login-link", &token),
            },
        ),
        _ => templates::render(
            "signoff_gone.html",
            context! { title => "This link does not work", nav => "", user => () },
        ),
    };
    match body {
        Ok(b) => no_referrer(Html(b).into_response()),
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

pub async fn complete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !state.app.allow_request(peer.ip()).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests; try again in a minute.",
        )
            .into_response());
    }
    csrf::verify(&state.secret, "login-link", &token, &pairs)?;
    let Some((session, _user)) = state.app.complete_login(&token).await? else {
        let body = templates::render(
            "signoff_gone.html",
            context! { title => "This link does not work", nav => "", user => () },
        )?;
        return Ok(no_referrer((StatusCode::NOT_FOUND, Html(body)).into_response()));
    };
    let secure = if state.app.workspace().config.web.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={session}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        crate::app::login::SESSION_HOURS * 3600
    );
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| WebError::internal(e.to_string()))?,
    );
    Ok(no_referrer(r))
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if let Some(session) = session_cookie(&headers) {
        if let Ok(Some(user)) = state.app.session_user(&session).await {
            csrf::verify(
                &state.secret,
                "form",
                &crate::domain::names::normalise_email(&user),
                &pairs,
            )?;
        }
        state.app.logout(&session).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("dtap_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(r)
}

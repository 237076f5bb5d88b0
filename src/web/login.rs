//! `/login`: sign in with a link sent by mail; `/logout`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;

use super::auth::client::ClientIp;
use super::auth::csrf;
use super::auth::session::{cookie as cookie_value, session_cookie, set_cookie};
use super::error::too_many_requests;
use super::viewer::local_return;
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

/// An unknown, expired or used login link: 404, one and the same page,
/// with the sign-in form to send a new link.
fn gone(state: &AppState) -> Response {
    let token = csrf::token(&state.secret, "login", &today());
    match templates::render(
        "login_gone.html",
        context! { title => "This link does not work", nav => "login", user => (), csrf_token => token },
    ) {
        Ok(body) => no_referrer((StatusCode::NOT_FOUND, Html(body)).into_response()),
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

/// Within the client's budget and the link's.
async fn allowed(state: &AppState, client: std::net::IpAddr, token: &str) -> crate::app::Result<bool> {
    Ok(state.app.allow_request(client).await? && state.app.allow_link(token).await?)
}

/// The cookie that carries the page asked for from the sign-in form to the
/// mailed link's confirmation (opened in the same browser): hex, so any path
/// fits a cookie value.
const NEXT_COOKIE: &str = "dtap_next";

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Result<Html<String>, WebError> {
    // The login form has no user yet: its token is bound to the day, and every
    // instance derives the same one from the shared secret.
    let token = csrf::token(&state.secret, "login", &today());
    let next = q.next.as_deref().and_then(local_return);
    page(
        "login.html",
        context! { title => "Sign in", nav => "login", user => (), sent => false, csrf_token => token, next },
    )
}

pub async fn request(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !state.app.allow_request(client).await? {
        return Ok(too_many_requests());
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
    let mut r = page(
        "login.html",
        context! { title => "Check your mail", nav => "login", user => (), sent => true, csrf_token => "", next => () },
    )?
    .into_response();
    let next = pairs
        .iter()
        .find(|(k, _)| k == "next")
        .and_then(|(_, v)| local_return(v));
    if let Some(next) = next
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{NEXT_COOKIE}={}; Path=/login; Max-Age=3600; HttpOnly; SameSite=Lax",
            hex::encode(next)
        ))
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub async fn confirm(State(state): State<AppState>, ClientIp(client): ClientIp, Path(token): Path<String>) -> Response {
    let allowed = match allowed(&state, client, &token).await {
        Ok(a) => a,
        Err(e) => return WebError::from(e).into_response(),
    };
    if !allowed {
        return too_many_requests();
    }
    // GET changes nothing (mail scanners open links): it asks to confirm.
    let body = match state.app.login_link(&token).await {
        Ok(Some(email)) => templates::render(
            "login_confirm.html",
            context! {
                title => "Sign in", nav => "login", user => (), email,
                action => format!("/login/{token}"), csrf_token => csrf::token(&state.secret, "login-link", &token),
            },
        ),
        Ok(None) => return gone(&state),
        Err(e) => return no_referrer(WebError::from(e).into_response()),
    };
    match body {
        Ok(b) => no_referrer(Html(b).into_response()),
        Err(e) => no_referrer(WebError::from(e).into_response()),
    }
}

pub async fn complete(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !allowed(&state, client, &token).await? {
        return Ok(too_many_requests());
    }
    csrf::verify(&state.secret, "login-link", &token, &pairs)?;
    let Some((session, user)) = state.app.complete_login(&token).await? else {
        return Ok(gone(&state));
    };
    super::settings::remember_page_language(&state, &user, &headers).await;
    let cookie = set_cookie(
        &state.app.workspace().config.web.base_url,
        &session,
        crate::app::login::SESSION_HOURS * 3600,
    );
    // Back to the page asked for before signing in, if this browser asked.
    let next = cookie_value(&headers, NEXT_COOKIE)
        .and_then(|v| hex::decode(v).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let to = next.as_deref().and_then(local_return).unwrap_or("/");
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| WebError::internal(e.to_string()))?,
    );
    if next.is_some() {
        r.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("dtap_next=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    Ok(no_referrer(r))
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let base_url = &state.app.workspace().config.web.base_url;
    if let Some(session) = session_cookie(&headers, base_url) {
        if let Ok(Some(user)) = state.app.session_user(&session).await {
            csrf::verify_form(&state.secret, &crate::domain::names::normalise_email(&user), &pairs)?;
        }
        state.app.logout(&session).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie(base_url, "", 0)).map_err(|e| WebError::internal(e.to_string()))?,
    );
    Ok(r)
}

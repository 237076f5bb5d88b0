//! `/settings`: which mails a signed-in user gets, and in which language.
//! `/settings/mail?address=…&sig=…`: the same choices for anyone dtap mails
//! (testers outside access.yaml above all), through the signed link at the
//! end of every mail, without signing in (DESIGN §15). The link is the
//! credential for these settings and nothing else; its form's token is an
//! HMAC of the link's signature, so it works without cookies.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::{CurrentUser, csrf};
use super::{AppState, WebError, i18n, templates};
use crate::app::AppError;
use crate::app::notify::settings::MailSettingsView;
use crate::app::rfcs::Caller;
use crate::domain::Email;
use crate::domain::notify::Preference;
use crate::domain::origin::Origin;
use crate::domain::rfc::FieldError;
use crate::locale::Locale;

const LINK_FORM: &str = "mail-settings-form";

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
    address: Option<String>,
    sig: Option<String>,
}

fn value_of<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

/// The page, with the form posting to `action` (plus `hidden` fields).
fn page(
    view: &MailSettingsView,
    action: &str,
    hidden: Vec<(&str, String)>,
    saved: bool,
    errors: &[FieldError],
) -> Result<String, WebError> {
    let locale = i18n::current().locale;
    let said = |f: &str| {
        errors
            .iter()
            .find(|e| e.field == f)
            .map(|e| crate::locale::render(locale, &e.message))
    };
    let hidden: Vec<_> = hidden
        .into_iter()
        .map(|(name, value)| context! { name, value })
        .collect();
    let preferences: Vec<_> = Preference::ALL
        .iter()
        .map(|p| context! { value => p.code(), label => label(*p), hint => hint(*p) })
        .collect();
    Ok(templates::render(
        "settings.html",
        context! {
            title => "Mail settings", nav => "settings", user => (),
            view => Serde(view), action, hidden, saved, preferences,
            preference_error => said("preference"), locale_error => said("locale"),
        },
    )?)
}

fn label(p: Preference) -> &'static str {
    match p {
        Preference::Every => "Every event, as it happens",
        Preference::Digest => "A daily digest of events",
        Preference::Needed => "Only what needs me",
    }
}

fn hint(p: Preference) -> &'static str {
    match p {
        Preference::Every => "State changes, promotions and comments, each in its own mail.",
        Preference::Digest => "State changes, promotions and comments together in one mail a day.",
        Preference::Needed => "No mails about events; only what asks something of you.",
    }
}

/// Remembers the chosen language in the language cookie too, so the pages
/// follow the choice at once.
fn with_language(mut res: Response, locale: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={locale}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        i18n::COOKIE
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn private(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// `GET /settings`.
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, WebError> {
    let view = state.app.mail_settings(&caller.email).await?;
    let token = csrf::form_token(&state.secret, &caller.email);
    let saved = q.done.as_deref() == Some("saved");
    let body = page(&view, "/settings", vec![(csrf::FIELD, token)], saved, &[])?;
    Ok(private(Html(body).into_response()))
}

/// `POST /settings`.
pub async fn save(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    csrf::verify_form(&state.secret, &caller.email, &pairs)?;
    let (preference, locale) = (value_of(&pairs, "preference"), value_of(&pairs, "locale"));
    match state.app.choose_mail_settings(&caller, preference, locale).await {
        Ok(()) => Ok(with_language(
            Redirect::to("/settings?done=saved").into_response(),
            locale,
        )),
        Err(AppError::Invalid(errors)) => {
            let view = state.app.mail_settings(&caller.email).await?;
            let token = csrf::form_token(&state.secret, &caller.email);
            let body = page(&view, "/settings", vec![(csrf::FIELD, token)], false, &errors)?;
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The address a signed link is for, if its signature holds.
async fn signed(state: &AppState, address: &str, sig: &str) -> Result<Email, WebError> {
    if !state.app.settings_link_valid(address, sig).await? {
        return Err(WebError::NotFound);
    }
    Email::parse(address).map_err(|_| WebError::NotFound)
}

fn link_fields(state: &AppState, email: &Email, sig: &str) -> Vec<(&'static str, String)> {
    vec![
        ("address", email.to_string()),
        ("sig", sig.to_string()),
        (csrf::FIELD, csrf::token(&state.secret, LINK_FORM, sig)),
    ]
}

/// `GET /settings/mail?address=…&sig=…`: changes nothing (mail scanners open links).
pub async fn link_show(State(state): State<AppState>, Query(q): Query<SettingsQuery>) -> Result<Response, WebError> {
    let sig = q.sig.unwrap_or_default();
    let email = signed(&state, q.address.as_deref().unwrap_or(""), &sig).await?;
    let view = state.app.mail_settings(&email).await?;
    let saved = q.done.as_deref() == Some("saved");
    let body = page(&view, "/settings/mail", link_fields(&state, &email, &sig), saved, &[])?;
    Ok(private(Html(body).into_response()))
}

/// `POST /settings/mail`: the signed address's choice.
pub async fn link_save(
    State(state): State<AppState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let sig = value_of(&pairs, "sig").to_string();
    let email = signed(&state, value_of(&pairs, "address"), &sig).await?;
    csrf::verify(&state.secret, LINK_FORM, &sig, &pairs)?;
    let caller = Caller::new(email.clone(), Origin::Web);
    let (preference, locale) = (value_of(&pairs, "preference"), value_of(&pairs, "locale"));
    match state.app.choose_mail_settings(&caller, preference, locale).await {
        Ok(()) => {
            let back = format!(
                "/settings/mail?address={}&sig={sig}&done=saved",
                super::reports::urlencode(&email)
            );
            Ok(private(with_language(Redirect::to(&back).into_response(), locale)))
        }
        Err(AppError::Invalid(errors)) => {
            let view = state.app.mail_settings(&email).await?;
            let fields = link_fields(&state, &email, &sig);
            let body = page(&view, "/settings/mail", fields, false, &errors)?;
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response()))
        }
        Err(e) => Err(e.into()),
    }
}

/// After signing in, the language this browser shows pages in becomes the
/// user's mail language: a choice when the language cookie holds one, else
/// the browser's `Accept-Language` (which never overrides a choice).
pub async fn remember_page_language(state: &AppState, email: &str, headers: &HeaderMap) {
    let chosen = super::auth::session::cookie(headers, i18n::COOKIE).and_then(Locale::parse);
    let browser = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::from_accept_language);
    let result = match (chosen, browser) {
        (Some(l), _) => state.app.remember_language(email, l, true).await,
        (None, Some(l)) => state.app.remember_language(email, l, false).await,
        (None, None) => return,
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not remember the language for mails");
    }
}

/// The language switch (`?lang=`) of a signed-in user is their choice for
/// mails too.
pub async fn remember_switch(state: &AppState, email: &str, query: Option<&str>, headers: &HeaderMap) {
    let (locale, chosen) = i18n::negotiate(query, headers, Locale::En);
    if chosen.is_some()
        && let Err(e) = state.app.remember_language(email, locale, true).await
    {
        tracing::warn!(error = %e, "could not remember the language for mails");
    }
}

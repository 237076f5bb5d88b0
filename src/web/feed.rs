//! The personal calendar feed (`/calendar.ics`): its address carries the
//! user, an expiry date and a token, an HMAC of the three and the user's
//! feed generation with the server secret. It expires after
//! [`FEED_DAYS`], and "Revoke" on `/calendar` bumps the generation, which
//! voids every address given out before.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::{CurrentUser, csrf};
use super::i18n::{self, Locale};
use super::reports::{CalendarQuery, kind_words, urlencode};
use super::{AppState, WebError};
use crate::domain::calendar;

const FEED: &str = "calendar-feed";

/// How long a feed address works.
pub const FEED_DAYS: i64 = 180;

fn subject(email: &str, until: &str, generation: &str) -> String {
    format!("{email}\n{until}\n{generation}")
}

/// The feed address for `email` (valid from today for [`FEED_DAYS`]), and
/// its last day.
pub async fn url(state: &AppState, email: &str, locale: Locale) -> Result<(String, String), WebError> {
    let until = (state.app.now_utc() + time::Duration::days(FEED_DAYS))
        .date()
        .to_string();
    let generation = state.app.feed_generation(email).await?;
    let token = csrf::token(&state.secret, FEED, &subject(email, &until, &generation));
    let base = state.app.workspace().config.web.base_url.trim_end_matches('/');
    let feed = format!(
        "{base}/calendar.ics?user={}&until={until}&token={token}&lang={}",
        urlencode(email),
        locale.code()
    );
    Ok((feed, until))
}

/// `/calendar.ics?user=…&until=…&token=…`: the feed a calendar client
/// subscribes to. It needs no session: the token reads the calendar and
/// nothing else; it stops working at `until`, when revoked, and when the
/// user leaves access.yaml.
pub async fn calendar_feed(
    State(state): State<AppState>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, WebError> {
    let user = crate::domain::names::normalise_email(q.user.as_deref().unwrap_or(""));
    let until = q.until.clone().unwrap_or_default();
    let today = state.app.now_utc().date().to_string();
    // `YYYY-MM-DD` sorts as it counts.
    let alive = until.len() == 10 && until.as_str() >= today.as_str();
    let generation = state.app.feed_generation(&user).await?;
    let pairs = vec![(csrf::FIELD.to_string(), q.token.clone().unwrap_or_default())];
    if user.is_empty()
        || !alive
        || csrf::verify(&state.secret, FEED, &subject(&user, &until, &generation), &pairs).is_err()
        || !state.app.workspace().access.users.contains_key(user.as_str())
    {
        return Err(WebError::Unauthorized);
    }
    let locale = i18n::current().locale;
    let env = q.env.as_deref().filter(|e| !e.is_empty());
    let now = state.app.now_utc();
    let entries = state.app.calendar(env, now, locale).await?;
    let name = format!("dtap · {}", i18n::t(locale, "Release calendar"));
    let ics = calendar::to_ics(&name, &entries, |k| kind_words(k, locale), now);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        ics,
    )
        .into_response())
}

/// `POST /calendar/feed`: revokes every feed address the user was given.
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    csrf::verify_form(&state.secret, &caller.email, &pairs)?;
    state.app.revoke_feed(&caller).await?;
    Ok(Redirect::to("/calendar?done=revoked").into_response())
}

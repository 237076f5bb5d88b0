//! English and Dutch for the web pages. The English text is the key: templates
//! write `{{ t("Requests for change") }}`, and `src/locale/nl.toml` maps each such text to
//! Dutch. A text missing from the Dutch catalogue shows as `⟦text⟧`, so a test
//! that visits every page in Dutch finds it.
//!
//! The language of a request: `?lang=` (which also sets the `dtap_lang`
//! cookie), else that cookie, else `Accept-Language`, else `[web] default_locale`.
//!
//! The switch is a plain GET link, not a form. For a signed-in user the
//! choice also becomes the language of their mails (issue 19: stored by
//! `web::settings::remember_switch`); otherwise it changes nothing on the
//! server. So a forged link can at worst show someone a page, and send them
//! mail, in the other language (undone by one click, or at `/settings`); the
//! session cookie is `SameSite=Lax`, so only a followed link, never an
//! embedded image, carries it. A link works on every page, for signed-out
//! visitors and testers on their token pages too, without script; it keeps
//! the page's own address, so it cannot redirect anywhere else.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

pub const COOKIE: &str = "dtap_lang";

pub use crate::locale::{Locale, catalogue, date, datetime, from_accept_language, number, t, tr};

/// What the current request renders with: its language and the address of
/// the same page in the other language.
#[derive(Debug, Clone, Default)]
pub struct RequestLocale {
    pub locale: Locale,
    pub switch_url: String,
    /// The workspace's own catalogue (`Workspace::texts`).
    pub texts: std::sync::Arc<std::collections::HashMap<String, String>>,
    /// The environments in pipeline order: name and label in this language
    /// (the footer, and `env_label(name)` in templates).
    pub environments: Vec<(String, String)>,
}

impl RequestLocale {
    /// An environment's label in this language; an unknown name as it is.
    pub fn env_label(&self, name: &str) -> String {
        self.environments
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| name.to_string(), |(_, label)| label.clone())
    }
}

tokio::task_local! {
    static CURRENT: RequestLocale;
}

/// The current request's language (English outside a request).
pub fn current() -> RequestLocale {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}

/// Runs `f` as if in a request in `locale` (for rendering outside the middleware).
pub fn with_locale<R>(locale: Locale, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(
        RequestLocale {
            locale,
            ..RequestLocale::default()
        },
        f,
    )
}

/// The language a request asks for, in the order the module doc gives.
pub fn negotiate(query: Option<&str>, headers: &HeaderMap, default: Locale) -> (Locale, Option<Locale>) {
    let asked = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Locale::parse(v));
    if let Some(l) = asked {
        return (l, Some(l));
    }
    let cookie = crate::web::auth::session::cookie(headers, COOKIE).and_then(Locale::parse);
    if let Some(l) = cookie {
        return (l, None);
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language);
    (accept.unwrap_or(default), None)
}

/// A link to the page itself with `lang` set to `to`, other parameters kept:
/// only the query (`?…&lang=nl`), which the browser resolves against the
/// current path, so a page whose path holds a secret (a sign-off or login
/// token) does not repeat it in its body.
fn switch_url(query: Option<&str>, to: Locale) -> String {
    let mut params: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    let lang = format!("lang={}", to.code());
    params.push(&lang);
    format!("?{}", params.join("&"))
}

/// Middleware: picks the request's language, renders inside it, and
/// remembers an explicit choice in a cookie.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let default = Locale::parse(&state.app.workspace().config.web.default_locale).unwrap_or_default();
    let (locale, chosen) = negotiate(req.uri().query(), req.headers(), default);
    let current = RequestLocale {
        locale,
        switch_url: switch_url(req.uri().query(), locale.other()),
        texts: state.app.workspace().texts.clone(),
        environments: {
            let ws = state.app.workspace();
            let envs = ws.pipeline.environments().iter();
            envs.map(|e| (e.name.clone(), crate::locale::tr_with(locale, &e.label, &ws.texts)))
                .collect()
        },
    };
    let mut res = CURRENT.scope(current, next.run(req)).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(locale.code()));
    h.append(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            l.code()
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    res
}

/// A date typed into a filter, in either language's way, as `YYYY-MM-DD`:
/// nothing when empty, and a field error that shows the expected form when
/// it is no date (never a silent filter on a string that matches nothing).
pub fn typed_date(field: &str, value: Option<&str>) -> Result<Option<String>, crate::web::WebError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match crate::locale::parse_date(value) {
        Some(iso) => Ok(Some(iso)),
        None => {
            let format = crate::locale::date_format(current().locale);
            let message = crate::msg!("{value} is not a date: write it as {format}", value, format);
            Err(crate::app::AppError::Invalid(vec![crate::domain::rfc::FieldError::new(field, message)]).into())
        }
    }
}

/// Registers `t`, `tr`, `env_label` (an environment's label) and the locale-aware filters `date`, `datetime` and `num`.
pub fn register(env: &mut minijinja::Environment<'static>) {
    use minijinja::value::Kwargs;
    fn fill(text: String, kwargs: Option<Kwargs>) -> Result<String, minijinja::Error> {
        let Some(kwargs) = kwargs else { return Ok(text) };
        let mut out = text;
        for key in kwargs.args() {
            let v: minijinja::Value = kwargs.get(key)?;
            out = out.replace(&format!("{{{key}}}"), &v.to_string());
        }
        Ok(out)
    }
    env.add_function("t", |text: &str, kwargs: Option<Kwargs>| {
        fill(t(current().locale, text), kwargs)
    });
    env.add_function("tr", |text: &str| {
        let here = current();
        crate::locale::tr_with(here.locale, text, &here.texts)
    });
    env.add_function("env_label", |name: &str| current().env_label(name));
    env.add_filter("date", |s: &str| date(current().locale, s));
    env.add_filter("datetime", |s: &str| datetime(current().locale, s));
    env.add_filter("num", |v: f64, decimals: Option<usize>| {
        number(current().locale, v, decimals.unwrap_or(0))
    });
}

#[cfg(test)]
mod tests;

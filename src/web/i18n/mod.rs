//! English and Dutch for the web pages. The English text is the key: templates
//! write `{{ t("Requests for change") }}`, and `nl.toml` maps each such text to
//! Dutch. A text missing from the Dutch catalogue shows as `⟦text⟧`, so a test
//! that visits every page in Dutch finds it.
//!
//! The language of a request: `?lang=` (which also sets the `dtap_lang`
//! cookie), else that cookie, else `Accept-Language`, else `[web] default_locale`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

pub const COOKIE: &str = "dtap_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    Nl,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nl => "nl",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "nl" => Some(Locale::Nl),
            _ => None,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Locale {
        match self {
            Locale::En => Locale::Nl,
            Locale::Nl => Locale::En,
        }
    }
}

static NL: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let table: toml::Table = include_str!("nl.toml").parse().expect("nl.toml parses");
    table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect()
});

/// The Dutch catalogue: English text → Dutch text.
pub fn catalogue() -> &'static HashMap<String, String> {
    &NL
}

/// `text` in `locale`; a text the Dutch catalogue lacks is marked `⟦text⟧`.
pub fn t(locale: Locale, text: &str) -> String {
    match locale {
        Locale::En => text.to_string(),
        Locale::Nl => NL.get(text).cloned().unwrap_or_else(|| format!("⟦{text}⟧")),
    }
}

/// As [`t`], but a text that is not in the catalogue (a name, a user's own
/// words) is shown as it is.
pub fn tr(locale: Locale, text: &str) -> String {
    match locale {
        Locale::En => text.to_string(),
        Locale::Nl => NL.get(text).cloned().unwrap_or_else(|| text.to_string()),
    }
}

/// A date (`YYYY-MM-DD…`) as people in `locale` write it: `2026-11-23` or `23-11-2026`.
pub fn date(locale: Locale, stamp: &str) -> String {
    let Some(d) = stamp.get(..10) else {
        return stamp.to_string();
    };
    match (locale, d.split('-').collect::<Vec<_>>().as_slice()) {
        (Locale::Nl, [y, m, day]) if y.len() == 4 => format!("{day}-{m}-{y}"),
        _ => d.to_string(),
    }
}

/// A stamp as date and minutes (UTC): `2026-11-23 10:05` or `23-11-2026 10:05`.
pub fn datetime(locale: Locale, stamp: &str) -> String {
    match stamp.get(11..16) {
        Some(hm) => format!("{} {hm}", date(locale, stamp)),
        None => date(locale, stamp),
    }
}

/// A number with `decimals` digits after the separator and grouped thousands:
/// `1,234.5` in English, `1.234,5` in Dutch.
pub fn number(locale: Locale, n: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, n.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match locale {
        Locale::En => (',', '.'),
        Locale::Nl => ('.', ','),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if n < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{frac}")
    }
}

/// What the current request renders with: its language and the address of
/// the same page in the other language.
#[derive(Debug, Clone, Default)]
pub struct RequestLocale {
    pub locale: Locale,
    pub switch_url: String,
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
            switch_url: String::new(),
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
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| Locale::parse(v));
    if let Some(l) = cookie {
        return (l, None);
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language);
    (accept.unwrap_or(default), None)
}

/// The supported language with the highest weight in an `Accept-Language` header.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(f32, Locale)> = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim();
        let q = bits
            .find_map(|b| b.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = Locale::parse(primary)
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

/// The page's own address with `lang` set to `to`, other parameters kept.
fn switch_url(path: &str, query: Option<&str>, to: Locale) -> String {
    let mut params: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    let lang = format!("lang={}", to.code());
    params.push(&lang);
    format!("{path}?{}", params.join("&"))
}

/// Middleware: picks the request's language, renders inside it, and
/// remembers an explicit choice in a cookie.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let default = Locale::parse(&state.app.workspace.config.web.default_locale).unwrap_or_default();
    let (locale, chosen) = negotiate(req.uri().query(), req.headers(), default);
    let current = RequestLocale {
        locale,
        switch_url: switch_url(req.uri().path(), req.uri().query(), locale.other()),
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

/// Registers `t`, `tr` and the locale-aware filters `date`, `datetime` and `num`.
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
    env.add_function("tr", |text: &str| tr(current().locale, text));
    env.add_filter("date", |s: &str| date(current().locale, s));
    env.add_filter("datetime", |s: &str| datetime(current().locale, s));
    env.add_filter("num", |v: f64, decimals: Option<usize>| {
        number(current().locale, v, decimals.unwrap_or(0))
    });
}

#[cfg(test)]
mod tests;

//! The session cookie that `/login` sets and every page request is read by.
//! Under an https `base_url` it is named with the `__Host-` prefix, which
//! browsers accept only from this host, over https, for the whole site.

use axum::http::{HeaderMap, header};

pub const COOKIE: &str = "dtap_session";
pub const HOST_COOKIE: &str = "__Host-dtap_session";

/// Is the site served over https (its `base_url`)?
pub fn https(base_url: &str) -> bool {
    base_url.starts_with("https://")
}

/// The session cookie's name for a site at `base_url`.
pub fn cookie_name(base_url: &str) -> &'static str {
    if https(base_url) { HOST_COOKIE } else { COOKIE }
}

/// The session id from the request's cookie, if any (only under the
/// name this site gives it).
pub fn session_cookie(headers: &HeaderMap, base_url: &str) -> Option<String> {
    cookie(headers, cookie_name(base_url))
        .map(str::to_string)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// `Set-Cookie` for a session id (an empty one with `max_age` 0 clears it).
pub fn set_cookie(base_url: &str, session: &str, max_age: i64) -> String {
    let secure = if https(base_url) { "; Secure" } else { "" };
    format!(
        "{}={session}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}",
        cookie_name(base_url)
    )
}

/// The value of cookie `name`, read from every Cookie header: the one
/// parser for the session and the language cookies.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

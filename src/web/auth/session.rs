//! The session cookie that `/login` sets and every page request is read by.

use axum::http::{HeaderMap, header};

pub const COOKIE: &str = "dtap_session";

/// The session id from the request's cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
        .map(str::to_string)
        .filter(|v| !v.is_empty() && v.len() <= 128)
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

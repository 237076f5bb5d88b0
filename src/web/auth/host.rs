//! With `[web] dev_user` every request acts as that user, so a page on
//! another site that rebinds its DNS name to 127.0.0.1 could read
//! everything. Such a request names the other site in its Host header: with
//! dev_user, only Host values naming loopback or `base_url`'s host pass.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::state::AppState;

/// The host part of a Host header or URL authority (`[::1]:80` → `::1`).
fn host_of(authority: &str) -> &str {
    let auth = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(rest) = auth.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    auth.split(':').next().unwrap_or("")
}

/// Does `host` (a Host header's value) name this machine's loopback, or
/// the host of `base_url`?
pub fn host_allowed(host: &str, base_url: &str) -> bool {
    let name = host_of(host.trim()).trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return true;
    }
    let base = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let base = &base[..base.find(['/', '?', '#']).unwrap_or(base.len())];
    !name.is_empty() && name == host_of(base).to_ascii_lowercase()
}

/// Middleware: under dev_user, a request for another host name is refused.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let web = &state.app.workspace().config.web;
    if web.dev_user.is_some() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("");
        if !host_allowed(host, &web.base_url) {
            return (
                StatusCode::MISDIRECTED_REQUEST,
                "This dtap runs with [web] dev_user and answers only for loopback addresses and its base_url's host.",
            )
                .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn only_loopback_and_the_base_url_host_pass() {
        let base = "http://dtap.example.org:8080";
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "127.1.2.3",
            "dtap.example.org:8080",
        ] {
            assert!(host_allowed(ok, base), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "",
            "dtap.example.org.evil.example",
            "10.0.0.1:8080",
            "[2001:db8::1]:80",
        ] {
            assert!(!host_allowed(bad, base), "{bad}");
        }
    }
}

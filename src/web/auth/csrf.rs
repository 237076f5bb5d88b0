//! Cross-site request forgery defences: a token in every form, and an
//! Origin/Referer check on every POST.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::web::error::{ApiError, WebError};
use crate::web::state::AppState;

type HmacSha256 = Hmac<Sha256>;

pub const FIELD: &str = "csrf_token";

/// The token for forms shown to `user`: an HMAC of the user with the server
/// secret, so it works without cookies and on any instance sharing the database.
pub fn token(secret: &[u8], purpose: &str, subject: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(subject.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks the `csrf_token` field of a posted form in constant time.
pub fn verify(secret: &[u8], purpose: &str, subject: &str, pairs: &[(String, String)]) -> Result<(), WebError> {
    let given = pairs
        .iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let Ok(given) = hex::decode(given) else {
        return Err(WebError::Csrf);
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(subject.as_bytes());
    mac.verify_slice(&given).map_err(|_| WebError::Csrf)
}

tokio::task_local! {
    /// The session id of the current page request, when its user came by
    /// the session cookie: form tokens are bound to it.
    static SESSION: Option<String>;
}

/// Runs `f` (a page request) with its session for the form tokens.
pub async fn with_session<F: std::future::Future>(session: Option<String>, f: F) -> F::Output {
    SESSION.scope(session, f).await
}

/// What a form token is bound to: the user and, for a session cookie's
/// user, that session, so signing in again (or out) makes every older
/// form token void. A proxy or dev_user has no session: the user alone.
fn form_subject(email: &str) -> String {
    form_subject_in(email, SESSION.try_with(Clone::clone).ok().flatten().as_deref())
}

fn form_subject_in(email: &str, session: Option<&str>) -> String {
    match session {
        Some(session) => format!("{email}\n{session}"),
        None => email.to_string(),
    }
}

/// The token of the forms shown to `email` in this request.
pub fn form_token(secret: &[u8], email: &str) -> String {
    token(secret, "form", &form_subject(email))
}

/// The form token for `email` in `session`, outside a request's scope.
pub fn form_token_in(secret: &[u8], email: &str, session: Option<&str>) -> String {
    token(secret, "form", &form_subject_in(email, session))
}

/// Checks a posted form's token for `email` in this request.
pub fn verify_form(secret: &[u8], email: &str, pairs: &[(String, String)]) -> Result<(), WebError> {
    verify(secret, "form", &form_subject(email), pairs)
}

/// Refuses a state-changing request whose Origin (or, lacking it, Referer)
/// names another site than the one it was sent to. A request with neither is
/// judged by its CSRF token alone.
pub async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD && !same_site(req.headers(), &state) {
        tracing::warn!("refused a cross-site request");
        if req.uri().path().starts_with("/api/") {
            return ApiError::Forbidden("the request came from another site".into()).into_response();
        }
        return WebError::Csrf.into_response();
    }
    next.run(req).await
}

fn same_site(headers: &HeaderMap, state: &AppState) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(source) = source else {
        return true;
    };
    if source == "null" {
        return false;
    }
    let Some(source_host) = authority(source) else {
        return false;
    };
    // Never the request's own Host header: DNS rebinding lets an attacker choose it.
    state.origins.iter().any(|o| o.eq_ignore_ascii_case(&source_host))
}

/// The sites this server answers as: `[web] base_url`, and the address it
/// listens on (with `localhost` for loopback).
pub fn own_origins(base_url: &str, local: std::net::SocketAddr) -> Vec<String> {
    let mut v: Vec<String> = authority(base_url).into_iter().collect();
    v.push(local.to_string());
    if local.ip().is_loopback() {
        let port = local.port();
        v.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    v
}

/// `scheme://host:port/...` → `host:port`.
fn authority(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let auth = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    (!auth.is_empty()).then(|| auth.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_secret_purpose_and_subject() {
        let t = token(b"secret", "form", "anna@example.org");
        let pairs = |v: &str| vec![(FIELD.to_string(), v.to_string())];
        assert!(verify(b"secret", "form", "anna@example.org", &pairs(&t)).is_ok());
        assert!(verify(b"other", "form", "anna@example.org", &pairs(&t)).is_err());
        assert!(verify(b"secret", "form", "rik@example.org", &pairs(&t)).is_err());
        assert!(verify(b"secret", "signoff", "anna@example.org", &pairs(&t)).is_err());
        assert!(verify(b"secret", "form", "anna@example.org", &pairs("zz")).is_err());
        assert!(verify(b"secret", "form", "anna@example.org", &[]).is_err());
    }

    #[test]
    fn authority_of_urls() {
        assert_eq!(
            authority("http://127.0.0.1:8080/rfcs").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            authority("https://u@dtap.example.org").as_deref(),
            Some("dtap.example.org")
        );
        assert_eq!(authority("nonsense"), None);
    }
}

//! `/metrics` (Prometheus text): open to loopback clients, otherwise only
//! with a bearer token of scope `metrics`. The request counter lives here.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::client::ClientIp;

/// Requests answered by this instance, per (method, status).
#[derive(Debug, Default)]
pub struct Counters {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Counters {
    fn count(&self, method: &str, status: u16) {
        // Only the methods the router knows: a client cannot mint labels.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PATCH" | "PUT" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), status)).or_default() += 1;
        }
    }

    fn snapshot(&self) -> BTreeMap<(String, u16), u64> {
        self.requests.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Middleware: counts every answered request.
pub async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let response = next.run(req).await;
    state.metrics.count(&method, response.status().as_u16());
    response
}

/// `/metrics`.
pub async fn show(State(state): State<AppState>, ClientIp(client): ClientIp, headers: HeaderMap) -> Response {
    if !client.is_loopback() {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = bearer else {
            return (
                StatusCode::UNAUTHORIZED,
                "metrics: a bearer token of scope metrics, or a loopback client\n",
            )
                .into_response();
        };
        match state.app.token_grant(token).await {
            Ok(Some((_, scopes))) if scopes.allows("metrics") => {}
            Ok(Some(_)) => {
                return (StatusCode::FORBIDDEN, "metrics: this token lacks scope metrics\n").into_response();
            }
            Ok(None) => {
                return (StatusCode::UNAUTHORIZED, "metrics: unknown, expired or revoked token\n").into_response();
            }
            Err(e) => return super::WebError::from(e).into_response(),
        }
    }
    match state.app.metrics_text(&state.metrics.snapshot()).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(e) => super::WebError::from(e).into_response(),
    }
}

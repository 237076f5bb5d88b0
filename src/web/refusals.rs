//! Middleware: a response marked as a refusal (`error::Refusal`) becomes
//! an audit event with outcome `refused`, as the person who asked.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Extensions, HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

use super::auth;
use super::error::Refusal;
use super::{AppState, redact_path};
use crate::domain::origin::Origin;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = redact_path(req.uri().path());
    let headers = req.headers().clone();
    let peer = req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().cloned();
    let response = next.run(req).await;
    let Some(Refusal(reasons)) = response.extensions().get::<Refusal>().cloned() else {
        return response;
    };
    let api = path.starts_with("/api/");
    let actor = if api {
        api_user(&state, &headers).await
    } else {
        let mut ext = Extensions::new();
        if let Some(p) = peer {
            ext.insert(p);
        }
        auth::resolve(&headers, &ext, &state)
            .await
            .ok()
            .and_then(|r| r.0)
            .map(|(e, _)| e.to_string())
    };
    if let Some(actor) = actor {
        let origin = if api { Origin::Api } else { Origin::Web };
        let action = format!("{} {method}", if api { "api" } else { "web" });
        if let Err(e) = state.app.record_refusal(&actor, origin, &action, &path, &reasons).await {
            tracing::error!(error = %e, "recording a refusal in the audit trail");
        }
    }
    response
}

/// The API caller: the bearer token's user, else dev_user.
async fn api_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(t) => state.app.token_user(t).await.ok().flatten().map(|e| e.to_string()),
        None => state
            .app
            .workspace()
            .config
            .web
            .dev_user
            .as_ref()
            .map(|e| e.to_string()),
    }
}

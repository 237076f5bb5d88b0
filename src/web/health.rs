use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database and the config repo are reachable.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.app.ready().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {reason}"))
        }
    }
}

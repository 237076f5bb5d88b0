//! The web app: server-rendered pages, health probes, static files.

mod dashboard;
mod error;
mod health;
mod templates;

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::App;

pub use error::WebError;

/// Shared by every handler through axum's `State`.
#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "[web] dev_user is set, but the server would listen on {0}: dev_user lets anyone act as that user, so it is only allowed on a loopback address such as 127.0.0.1. Remove dev_user or bind to loopback"
    )]
    DevUserNotLoopback(SocketAddr),
    #[error(transparent)]
    Io(#[from] io::Error),
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Serves the app on an already bound listener until `shutdown` completes,
/// then finishes the requests in flight. Tests bind port 0 and pass their own
/// shutdown future.
pub async fn launch(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    let addr = listener.local_addr()?;
    if app.workspace.config.web.dev_user.is_some() && !addr.ip().is_loopback() {
        return Err(LaunchError::DevUserNotLoopback(addr));
    }
    let router = router(AppState { app });
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// The span every request's logs live in. Paths that carry a secret token
/// (sign-off and login links) are logged without it.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %req.method(), path = %redact_path(req.uri().path()))
}

pub fn redact_path(path: &str) -> String {
    for prefix in ["/signoff/", "/login/"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return format!("{prefix}[token]");
        }
    }
    path.to_string()
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        include_str!("static/style.css"),
    )
}

async fn not_found() -> WebError {
    WebError::NotFound
}

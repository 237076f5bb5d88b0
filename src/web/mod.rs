//! The web app: server-rendered pages, health probes, static files.

mod admin;
pub mod api;
mod api_attachments;
pub(crate) mod attachments;
pub mod auth;
mod calendar_grid;
mod chart;
mod dashboard;
mod deployments;
mod error;
mod feed;
mod guard;
mod health;
pub mod i18n;
mod login;
mod messages;
mod metrics;
mod my_work;
mod openapi;
mod package_page;
mod packages;
mod refusals;
mod reports;
mod rfcs;
pub(crate) mod settings;
pub mod signoff;
mod state;
mod templates;
pub mod viewer;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use tokio::net::TcpListener;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::auth::csrf;
use crate::app::App;

pub use error::{ApiError, WebError};
pub use guard::rule as route_rule;
pub use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "[web] dev_user is set, but the server would listen on {0}: dev_user lets anyone act as that user, so it is only allowed on a loopback address such as 127.0.0.1. Remove dev_user or bind to loopback"
    )]
    DevUserNotLoopback(SocketAddr),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
}

/// A router that remembers the paths it was given, so that the route table
/// test (and [`guard::RULES`]) can see every route.
struct Routes {
    router: Router<AppState>,
    paths: Vec<String>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            paths: Vec::new(),
        }
    }

    fn at(mut self, path: &str, method_router: MethodRouter<AppState>) -> Routes {
        self.paths.push(path.to_string());
        self.router = self.router.route(path, method_router);
        self
    }
}

fn routes() -> Routes {
    let mut api = Routes::new()
        .at("/rfcs", get(api::list).post(api::create))
        .at("/rfcs/{id}", get(api::get).patch(api::edit))
        .at("/rfcs/{id}/transitions", post(api::transition))
        .at(
            "/rfcs/{id}/attachments",
            get(api_attachments::list).post(api_attachments::upload),
        )
        .at("/rfcs/{id}/attachments/{n}", get(api_attachments::download))
        .at("/openapi.json", get(api::openapi))
        .at("/deployments", get(api::deployments))
        .at("/deployments/{id}", get(api::deployment));
    api.router = api.router.fallback(api::not_found);
    let mut all = Routes::new()
        .at("/", get(dashboard::show))
        .at("/rfcs", get(rfcs::list).post(rfcs::create))
        .at("/rfcs/new", get(rfcs::new_form))
        .at("/rfcs/{id}", get(rfcs::show))
        .at("/rfcs/{id}/edit", get(rfcs::edit_form).post(rfcs::update))
        .at("/rfcs/{id}/transition", post(rfcs::transition))
        .at(
            "/rfcs/{id}/comments",
            // A comment may carry a file: it streams with its own limits.
            post(rfcs::comment).layer(DefaultBodyLimit::disable()),
        )
        .at("/rfcs/{id}/testers", post(rfcs::testers))
        .at("/rfcs/{id}/cases", post(rfcs::cases))
        .at(
            "/rfcs/{id}/attachments",
            // Uploads stream into the store with their own limits (`[web] max_attachment`).
            post(attachments::upload).layer(DefaultBodyLimit::disable()),
        )
        .at("/rfcs/{id}/attachments/{n}", get(attachments::download))
        .at("/rfcs/{id}/attachments/{n}/remove", post(rfcs::remove_attachment))
        .at(
            "/signoff/{token}",
            get(signoff::show)
                .post(signoff::submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .at("/signoff/{token}/attachments/{n}", get(signoff::attachment))
        .at("/login", get(login::form).post(login::request))
        .at("/login/{token}", get(login::confirm).post(login::complete))
        .at("/logout", post(login::logout))
        .at("/settings", get(settings::show).post(settings::save))
        .at("/settings/mail", get(settings::link_show).post(settings::link_save))
        .at("/access", get(admin::access))
        .at("/emergency/{id}/approve", post(admin::approve_emergency))
        .at("/audit", get(admin::audit))
        .at("/audit.csv", get(admin::audit_csv))
        .at("/reports", get(reports::page))
        .at("/reports/{file}", get(reports::csv))
        .at("/calendar", get(reports::calendar_page))
        .at("/calendar.ics", get(feed::calendar_feed))
        .at("/calendar/feed", post(feed::revoke))
        .at("/me", get(my_work::show))
        .at("/packages/{name}", get(package_page::show))
        .at("/packages/{name}/diff", get(packages::diff))
        .at("/deployments", get(deployments::list))
        .at("/deployments/{id}", get(deployments::show))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/metrics", get(metrics::show))
        .at("/static/style.css", get(stylesheet))
        .at("/static/favicon.svg", get(favicon_svg))
        .at("/favicon.ico", get(favicon_ico));
    all.paths.extend(api.paths.iter().map(|p| format!("/api/v1{p}")));
    all.router = all.router.nest("/api/v1", api.router);
    all
}

/// Every route path of the router, as it spells them (`/rfcs/{id}`).
pub fn route_paths() -> Vec<String> {
    routes().paths
}

pub fn router(state: AppState) -> Router {
    let https = auth::session::https(&state.app.workspace().config.web.base_url);
    routes()
        .router
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard::layer))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(state.clone(), viewer::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), refusals::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::same_origin))
        .layer(axum::middleware::from_fn_with_state(state.clone(), i18n::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::host::layer))
        .layer(axum::middleware::map_response(move |res| security_headers(res, https)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // A failing request is logged once: by the response line and, for
                // internal errors, by `WebError`.
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
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
    if app.workspace().config.web.dev_user.is_some() && !addr.ip().is_loopback() {
        return Err(LaunchError::DevUserNotLoopback(addr));
    }
    let secret = Arc::new(app.server_secret().await?);
    let origins = Arc::new(csrf::own_origins(&app.workspace().config.web.base_url, addr));
    let metrics = Arc::new(metrics::Counters::default());
    let router = router(AppState {
        app,
        secret,
        origins,
        metrics,
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
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

/// Headers every response carries: no framing, no sniffing, no inline script,
/// and no Referer leaking a token to another site.
/// Under an https `base_url`, browsers are told to come back over https only (HSTS).
async fn security_headers(mut res: axum::response::Response, https: bool) -> axum::response::Response {
    let h = res.headers_mut();
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // A download keeps its own, stricter policy (`sandbox`).
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    res
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

/// The icon in the browser's tab: an SVG for browsers that take one (the
/// page's `<link rel="icon">`), and a PNG at the address every browser tries.
async fn favicon_svg() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        include_str!("static/favicon.svg"),
    )
}

async fn favicon_ico() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        &include_bytes!("static/favicon.png")[..],
    )
}

async fn not_found() -> WebError {
    WebError::NotFound
}

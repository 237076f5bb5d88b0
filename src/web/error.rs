//! The one place where errors become status codes and friendly pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

use crate::app::AppError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    App(#[from] AppError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. Check the link, or start from the dashboard.".to_string(),
            ),
            WebError::App(AppError::Conflict(m)) => (StatusCode::CONFLICT, "That cannot be done now", m.clone()),
            WebError::App(e) => {
                // Logged once, here, inside the request's span; the user sees no internals.
                tracing::error!(error = %e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "dtap could not complete this request. The error has been logged; try again, and tell your dtap administrator if it persists.".to_string())
            }
        };
        let body = super::templates::render("error.html", context! { title, message, status => status.as_u16() })
            .unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
        (status, Html(body)).into_response()
    }
}

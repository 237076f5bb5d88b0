//! The one place where errors become status codes and friendly pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

use crate::app::AppError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    Unauthorized,
    #[error("the form is out of date or was sent from another site")]
    Csrf,
    #[error(transparent)]
    App(#[from] AppError),
}

impl WebError {
    pub fn internal(message: impl Into<String>) -> WebError {
        WebError::App(AppError::Internal(message.into()))
    }
}

impl From<minijinja::Error> for WebError {
    fn from(e: minijinja::Error) -> Self {
        WebError::internal(format!("rendering a page: {e:#}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut reasons: Vec<String> = Vec::new();
        let (status, title, message) = match &self {
            WebError::NotFound | WebError::App(AppError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. Check the link, or start from the dashboard.".to_string(),
            ),
            WebError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Sign in to continue",
                "This page is for signed-in users: sign in at /login with your e-mail address.".to_string(),
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form could not be accepted",
                "The form was out of date or came from another site. Go back, reload the page and send it again."
                    .to_string(),
            ),
            WebError::App(AppError::Conflict(m)) => (StatusCode::CONFLICT, "That cannot be done now", m.clone()),
            WebError::App(AppError::Refused(rs)) => {
                reasons = rs.iter().map(|r| r.to_string()).collect();
                (
                    StatusCode::FORBIDDEN,
                    "Not allowed",
                    "dtap refused this for these reasons:".to_string(),
                )
            }
            WebError::App(AppError::Invalid(es)) => {
                reasons = es.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Please check your input",
                    "Some values are not right:".to_string(),
                )
            }
            WebError::App(e) => {
                // Logged once, here, inside the request's span; the user sees no internals.
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "dtap could not complete this request. The error has been logged; try again, and tell your dtap administrator if it persists.".to_string(),
                )
            }
        };
        let body = super::templates::render(
            "error.html",
            context! { title, message, reasons, status => status.as_u16(), nav => "", user => () },
        )
        .unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
        (status, Html(body)).into_response()
    }
}

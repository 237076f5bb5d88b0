//! The one place where errors become responses: `WebError` as a status and a
//! friendly page, `ApiError` as a status and `{"errors": [...]}` for the JSON API.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use serde_json::{Value, json};

use super::messages;
use crate::app::AppError;

/// Put on a response that refused an action by a rule (a permission or
/// segregation of duties): the reasons, for the refusal's audit event.
#[derive(Debug, Clone)]
pub struct Refusal(pub Vec<String>);

/// `response`, marked as a refusal for these reasons.
pub fn refusal(mut response: Response, reasons: Vec<String>) -> Response {
    response.extensions_mut().insert(Refusal(reasons));
    response
}

/// 429, in the request's language, with when to try again.
pub fn too_many_requests() -> Response {
    let text = crate::locale::t(
        super::i18n::current().locale,
        "Too many requests; try again in a minute.",
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(axum::http::header::RETRY_AFTER, "60")],
        text,
    )
        .into_response()
}

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
        let locale = super::i18n::current().locale;
        // Shown in the request's language; a refusal's audit event keeps the English.
        let mut reasons: Vec<String> = Vec::new();
        let mut audited: Vec<String> = Vec::new();
        let (status, title, message) = match &self {
            WebError::NotFound | WebError::App(AppError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. Check the link, or start from the dashboard.".to_string(),
            ),
            WebError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Sign in to continue",
                "This page is for signed-in users. Sign in with your e-mail address, and dtap brings you back here."
                    .to_string(),
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form could not be accepted",
                "The form was out of date or came from another site. Go back, reload the page and send it again."
                    .to_string(),
            ),
            WebError::App(AppError::Conflict(m)) => (
                StatusCode::CONFLICT,
                "That cannot be done now",
                messages::say(locale, m),
            ),
            WebError::App(AppError::Refused(rs)) => {
                reasons = rs.iter().map(|r| messages::refusal(locale, r)).collect();
                audited = rs.iter().map(|r| r.to_string()).collect();
                (
                    StatusCode::FORBIDDEN,
                    "Not allowed",
                    "dtap refused this for these reasons:".to_string(),
                )
            }
            WebError::App(AppError::Invalid(es)) => {
                reasons = es.iter().map(|e| messages::field_error(locale, e)).collect();
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
        let refused = matches!(self, WebError::App(AppError::Refused(_)));
        let response = (status, Html(body)).into_response();
        if refused { refusal(response, audited) } else { response }
    }
}

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    NotFound,
    BadRequest(String),
    Forbidden(String),
    /// A file the API was sent and did not keep: 413 when too large, else 422.
    FileRefused {
        too_large: bool,
        message: String,
    },
    App(AppError),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(format!(
            "the body is not the JSON this endpoint expects: {}",
            e.body_text()
        ))
    }
}

fn errors(list: Vec<(Option<String>, String)>) -> Value {
    json!({ "errors": list.into_iter().map(|(field, message)| json!({ "field": field, "message": message })).collect::<Vec<_>>() })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let reasons: Option<Vec<String>> = match &self {
            ApiError::App(AppError::Refused(rs)) => Some(rs.iter().map(|r| r.to_string()).collect()),
            _ => None,
        };
        let (status, body) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                errors(vec![(None, "authenticate with a bearer API token".into())]),
            ),
            ApiError::NotFound | ApiError::App(AppError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, errors(vec![(None, "not found".into())]))
            }
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, errors(vec![(None, m)])),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, errors(vec![(None, m)])),
            ApiError::FileRefused { too_large, message } => (
                if too_large {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                errors(vec![(Some("file".into()), message)]),
            ),
            ApiError::App(AppError::Invalid(es)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors(es.into_iter().map(|e| (Some(e.field), e.message.to_string())).collect()),
            ),
            ApiError::App(AppError::Refused(rs)) => (
                StatusCode::FORBIDDEN,
                errors(rs.into_iter().map(|r| (r.field, r.message.to_string())).collect()),
            ),
            ApiError::App(AppError::Conflict(m)) => (StatusCode::CONFLICT, errors(vec![(None, m.to_string())])),
            ApiError::App(e) => {
                tracing::error!(error = %e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    errors(vec![(None, "internal error; it has been logged".into())]),
                )
            }
        };
        let response = (status, Json(body)).into_response();
        match reasons {
            Some(r) => refusal(response, r),
            None => response,
        }
    }
}

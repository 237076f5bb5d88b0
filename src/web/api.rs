//! The JSON API under /api/v1: the same use cases and validation as the
//! pages, errors as `{"errors": [{"field", "message"}]}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::auth::ApiUser;
use super::rfcs::ListQuery;
use super::{ApiError, AppState};
use crate::app::AppError;
use crate::app::rfcs::{NewRfc, RfcChanges};
use crate::domain::rfc::{Action, Fields, RfcId};

pub(super) fn parse_id(id: &str) -> Result<RfcId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let page = state
        .app
        .rfc_list(&caller, &query.filter(), query.sort(), query.page(), query.per_page())
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(page.total));
    headers.insert("x-page", HeaderValue::from(page.page));
    headers.insert("x-pages", HeaderValue::from(page.pages));
    Ok((headers, Json(page.rfcs)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    template: String,
    title: String,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    fields: Fields,
    /// `RFC-n`: a follow-up of that released RFC.
    #[serde(default)]
    follows: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let rfc = state
        .app
        .file_rfc(
            &caller,
            NewRfc {
                template: body.template,
                title: body.title,
                department: body.department,
                fields: body.fields,
                follows: match body.follows.as_deref() {
                    None | Some("") => None,
                    Some(f) => Some(f.parse().map_err(|_| {
                        AppError::invalid("follows", crate::msg!("`{f}` is not an RFC id such as RFC-12", f))
                    })?),
                },
            },
        )
        .await?;
    let location = HeaderValue::from_str(&format!("/api/v1/rfcs/{}", rfc.id)).expect("ascii");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(rfc)).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.app.rfc_view(&caller, parse_id(&id)?).await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    fields: Fields,
}

pub async fn edit(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
    body: Result<Json<EditBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let rfc = state
        .app
        .edit_rfc(
            &caller,
            parse_id(&id)?,
            RfcChanges {
                title: body.title,
                department: body.department,
                fields: body.fields,
            },
        )
        .await?;
    Ok(Json(rfc).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    transition: String,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn transition(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
    body: Result<Json<TransitionBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let action = Action::parse(&body.transition).map_err(|e| ApiError::App(AppError::invalid("transition", e)))?;
    let rfc = state
        .app
        .move_rfc(&caller, parse_id(&id)?, action, body.comment.as_deref())
        .await?;
    Ok(Json(rfc).into_response())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The OpenAPI document: what the routes above accept and answer.
pub async fn openapi() -> Json<Value> {
    Json(super::openapi::document())
}

#[derive(Debug, Deserialize)]
pub struct DeploymentsQuery {
    env: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/deployments`: newest first, those the caller may see.
pub async fn deployments(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Query(q): Query<DeploymentsQuery>,
) -> Result<Response, ApiError> {
    let list = state
        .app
        .deployments_for(&caller, q.env.as_deref(), q.limit.unwrap_or(50))
        .await?;
    Ok(Json(list).into_response())
}

/// `GET /api/v1/deployments/{id}`: with its steps.
pub async fn deployment(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(state.app.deployment_for(&caller, id).await?).into_response())
}

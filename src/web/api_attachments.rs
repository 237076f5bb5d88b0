//! Attachments in the JSON API: list an RFC's files, download one, and add
//! one by sending its bytes as the request body (`?name=` gives its file
//! name), with the same checks as the pages: `[web] max_attachment`, the
//! type by content, audited as `attachment.add`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

use super::api::parse_id;
use super::auth::ApiUser;
use super::{ApiError, AppState, attachments};
use crate::app::AppError;
use crate::app::attachments::UploadError;
use crate::domain::attachment::Refused;

/// GET `/api/v1/rfcs/{id}/attachments`: oldest first.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list = state.app.attachments(&caller, parse_id(&id)?).await?;
    Ok(Json(list).into_response())
}

/// GET `/api/v1/rfcs/{id}/attachments/{n}`: the bytes, as the pages serve them.
pub async fn download(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let n: i64 = n.parse().map_err(|_| ApiError::NotFound)?;
    let row = state.app.open_attachment(&caller, parse_id(&id)?, n).await?;
    Ok(attachments::serve(&state, row))
}

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    name: String,
}

/// POST `/api/v1/rfcs/{id}/attachments?name=FILE`: the body is the file.
/// 201 with the attachment and its address; 413 over the limit, 422 for a
/// type not accepted.
pub async fn upload(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let name = q.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            crate::msg!("give the file's name in the address: ?name=screenshot.png"),
        )
        .into());
    }
    let mut upload = state.app.begin_upload(&caller, id, name).await?;
    let mut stream = body.into_data_stream();
    while let Some(next) = stream.next().await {
        let pushed = match next {
            Ok(bytes) => upload.push(&bytes).await,
            Err(e) => Err(UploadError::Other(AppError::invalid(
                "file",
                crate::msg!("the file could not be read: {e}", e),
            ))),
        };
        if let Err(e) = pushed {
            upload.abort().await;
            return Err(refused(e));
        }
    }
    let pending = upload.finish().await.map_err(refused)?;
    if let Err(e) = state.app.attach(&caller, id, &pending).await {
        state.app.discard_uploads(std::slice::from_ref(&pending)).await;
        return Err(e.into());
    }
    let view = state
        .app
        .attachments(&caller, id)
        .await?
        .into_iter()
        .find(|a| a.id == pending.id)
        .ok_or(ApiError::NotFound)?;
    let location = HeaderValue::from_str(&format!("/api/v1/rfcs/{id}/attachments/{}", view.id)).expect("ascii");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(view)).into_response())
}

fn refused(e: UploadError) -> ApiError {
    match e {
        UploadError::Refused { reason, message } => ApiError::FileRefused {
            too_large: reason == Refused::TooLarge,
            message: message.to_string(),
        },
        UploadError::Other(e) => e.into(),
    }
}

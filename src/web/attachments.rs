//! Attachments on the web: the upload form of the RFC page, the file input
//! of the sign-off form (a tester's screenshot with the verdict), and
//! downloads. A posted form is read as it streams in: text fields up to a
//! small limit each, files straight into the store chunk by chunk, checked
//! on the way (`[web] max_attachment`, the type by content). Downloads are
//! always saved, never shown: `Content-Disposition: attachment`, nosniff, a
//! sandbox policy, and the detected type (never HTML or SVG).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::auth::{CurrentUser, csrf};
use super::rfcs::render_show;
use super::{AppState, WebError, i18n};
use crate::app::AppError;
use crate::app::attachments::{Pending, UploadError};
use crate::app::rfcs::Caller;
use crate::domain::Msg;
use crate::domain::attachment::{Kind, Refused, content_disposition};
use crate::domain::rfc::{FieldError, RfcId};
use crate::store::attachments::AttachmentRow;

pub type Pairs = Vec<(String, String)>;

/// What the file inputs offer to pick (the server decides by content anyway).
pub const ACCEPT: &str = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,\
                          .png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.csv,.docx,.xlsx,.pptx,.odt,.ods,.odp,.doc,.xls,.ppt";

/// The most one text field of a form may hold, and all of them together.
const MAX_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 1024 * 1024;
/// The most files one form may carry (each up to `[web] max_attachment`).
const MAX_FILES: usize = 5;

/// Where a posted file goes: an RFC the user may view, or the RFC of a live sign-off link.
pub enum Target<'a> {
    Rfc(&'a Caller, RfcId),
    Link(&'a str),
}

/// A form as posted: its text fields, and the files that passed every check
/// (stored, not yet visible).
#[derive(Default)]
pub struct Posted {
    pub pairs: Pairs,
    pub files: Vec<Pending>,
}

pub enum FormError {
    /// A file was refused: why, in a message for its sender, and the text
    /// fields read before it (to show the form again as it was filled in).
    Refused {
        reason: Refused,
        message: Msg,
        pairs: Pairs,
    },
    Web(WebError),
}

impl From<WebError> for FormError {
    fn from(e: WebError) -> Self {
        FormError::Web(e)
    }
}

fn bad_form(e: impl std::fmt::Display) -> WebError {
    WebError::App(unreadable(e))
}

/// A form the server could not read (cut off, not multipart, too many parts).
fn unreadable(e: impl std::fmt::Display) -> AppError {
    let detail = e.to_string();
    AppError::Invalid(vec![FieldError::new(
        "form",
        crate::msg!("the form could not be read: {detail}", detail),
    )])
}

/// Reads a posted form, url-encoded (at most 1 MiB) or multipart with files.
/// `csrf_ok` must accept the text fields read before the first file, so no
/// file is stored for a forged form (browsers send the fields in the form's
/// order, and the token comes first).
pub async fn read_form(
    state: &AppState,
    req: Request,
    target: Target<'_>,
    csrf_ok: &(dyn Fn(&Pairs) -> bool + Sync),
) -> Result<Posted, FormError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_FIELDS).await.map_err(bad_form)?;
        let req = Request::from_parts(parts, Body::from(bytes));
        let axum::Form(pairs) = axum::Form::<Pairs>::from_request(req, state)
            .await
            .map_err(|e| bad_form(e.body_text()))?;
        return Ok(Posted {
            pairs,
            files: Vec::new(),
        });
    }
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| bad_form(e.body_text()))?;
    let mut posted = Posted::default();
    match read_parts(state, &mut mp, &target, csrf_ok, &mut posted).await {
        Ok(()) => Ok(posted),
        Err(e) => {
            state.app.discard_uploads(&posted.files).await;
            // Read the rest, so the browser sees the answer rather than a
            // connection cut while it still sends; at most one more upload's worth.
            drain(&mut mp, state.app.max_attachment().0 + MAX_FIELDS as u64).await;
            Err(match e {
                FormError::Refused { reason, message, .. } => FormError::Refused {
                    reason,
                    message,
                    pairs: posted.pairs,
                },
                other => other,
            })
        }
    }
}

async fn read_parts(
    state: &AppState,
    mp: &mut Multipart,
    target: &Target<'_>,
    csrf_ok: &(dyn Fn(&Pairs) -> bool + Sync),
    posted: &mut Posted,
) -> Result<(), FormError> {
    let mut text_total = 0usize;
    while let Some(mut field) = mp.next_field().await.map_err(|e| bad_form(e.body_text()))? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(file_name) = field.file_name().map(str::to_string) else {
            let mut value = Vec::new();
            while let Some(bytes) = field.chunk().await.map_err(|e| bad_form(e.body_text()))? {
                text_total += bytes.len();
                if value.len() + bytes.len() > MAX_FIELD || text_total > MAX_FIELDS {
                    return Err(bad_form(format!("the field {name} is too long")).into());
                }
                value.extend_from_slice(&bytes);
            }
            let value = String::from_utf8(value).map_err(|_| bad_form(format!("the field {name} is not UTF-8")))?;
            posted.pairs.push((name, value));
            continue;
        };
        if file_name.is_empty() {
            // A file input left empty: sent with no name and no bytes.
            while field.chunk().await.map_err(|e| bad_form(e.body_text()))?.is_some() {}
            continue;
        }
        if !csrf_ok(&posted.pairs) {
            return Err(WebError::Csrf.into());
        }
        if posted.files.len() == MAX_FILES {
            return Err(bad_form(format!("send at most {MAX_FILES} files at a time")).into());
        }
        let begun = match target {
            Target::Rfc(caller, id) => state.app.begin_upload(caller, *id, &file_name).await,
            Target::Link(token) => state.app.begin_signoff_upload(token, &file_name).await,
        };
        let mut upload = begun.map_err(WebError::from)?;
        loop {
            let next = match field.chunk().await {
                Ok(Some(bytes)) => upload.push(&bytes).await.map(|_| true),
                Ok(None) => Ok(false),
                Err(e) => Err(UploadError::Other(unreadable(e.body_text()))),
            };
            match next {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    upload.abort().await;
                    return Err(upload_error(e));
                }
            }
        }
        posted.files.push(upload.finish().await.map_err(upload_error)?);
    }
    Ok(())
}

fn upload_error(e: UploadError) -> FormError {
    match e {
        UploadError::Refused { reason, message } => FormError::Refused {
            reason,
            message,
            pairs: Vec::new(),
        },
        UploadError::Other(e) => FormError::Web(e.into()),
    }
}

/// Reads and drops what is left of a form, up to `budget` bytes.
async fn drain(mp: &mut Multipart, mut budget: u64) {
    while let Ok(Some(mut field)) = mp.next_field().await {
        while let Ok(Some(bytes)) = field.chunk().await {
            budget = budget.saturating_sub(bytes.len() as u64);
            if budget == 0 {
                return;
            }
        }
    }
}

/// A form refused for its fields: the files sent with it were not kept, so
/// the form asks for them again, saying why (`again`).
pub fn choose_again(e: AppError, files: &[Pending], again: Msg) -> AppError {
    match e {
        AppError::Invalid(mut errors) if !files.is_empty() => {
            errors.push(FieldError::new("attachment", again));
            AppError::Invalid(errors)
        }
        other => other,
    }
}

/// 413 for a file over the limit, 422 for one of a type not accepted.
pub fn refusal_status(reason: Refused) -> StatusCode {
    if reason == Refused::TooLarge {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// POST `/rfcs/{id}/attachments`: a file for an RFC the user may view.
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, WebError> {
    let id: RfcId = id.parse().map_err(|_| WebError::NotFound)?;
    let csrf_ok = |pairs: &Pairs| csrf::verify_form(&state.secret, &caller.email, pairs).is_ok();
    let posted = match read_form(&state, req, Target::Rfc(&caller, id), &csrf_ok).await {
        Ok(posted) => posted,
        Err(FormError::Refused { reason, message, .. }) => {
            let text = crate::locale::render(i18n::current().locale, &message);
            let page = render_show(&state, &caller, id, None, &[text], None).await?;
            return Ok((refusal_status(reason), Html(page)).into_response());
        }
        Err(FormError::Web(e)) => return Err(e),
    };
    if !csrf_ok(&posted.pairs) {
        state.app.discard_uploads(&posted.files).await;
        return Err(WebError::Csrf);
    }
    if posted.files.is_empty() {
        let text = i18n::t(i18n::current().locale, "Choose a file to attach first.");
        let page = render_show(&state, &caller, id, None, &[text], None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
    }
    for (i, file) in posted.files.iter().enumerate() {
        if let Err(e) = state.app.attach(&caller, id, file).await {
            state.app.discard_uploads(&posted.files[i..]).await;
            return Err(e.into());
        }
    }
    Ok(Redirect::to(&format!("/rfcs/{id}?done=attached#attachments")).into_response())
}

/// GET `/rfcs/{id}/attachments/{n}`: for whoever may view the RFC.
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id: RfcId = id.parse().map_err(|_| WebError::NotFound)?;
    let n: i64 = n.parse().map_err(|_| WebError::NotFound)?;
    let row = state.app.open_attachment(&caller, id, n).await?;
    Ok(serve(&state, row))
}

/// The type an attachment is served as: its detected type when it is one
/// dtap accepts, otherwise plain bytes.
fn served_type(stored: &str) -> &'static str {
    Kind::ALL
        .iter()
        .map(|k| k.content_type())
        .find(|t| *t == stored)
        .unwrap_or("application/octet-stream")
}

/// The attachment's bytes, streamed chunk by chunk from the store.
pub fn serve(state: &AppState, row: AttachmentRow) -> Response {
    let store = state.app.attachment_chunks();
    let id = row.id;
    let chunks = futures_util::stream::try_unfold(0i64, move |seq| {
        let store = store.clone();
        async move {
            Ok::<_, crate::store::StoreError>(
                store
                    .attachment_chunk(id, seq)
                    .await?
                    .map(|bytes| (Bytes::from(bytes), seq + 1)),
            )
        }
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(served_type(&row.content_type)),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&row.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    } else {
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(row.size.max(0) as u64));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accepted_types_are_served_as_themselves() {
        for k in Kind::ALL {
            assert_eq!(served_type(k.content_type()), k.content_type());
        }
        // A row changed by hand never makes dtap serve a page or a drawing.
        for bad in [
            "text/html",
            "image/svg+xml",
            "text/html; charset=utf-8",
            "application/xhtml+xml",
            "",
        ] {
            assert_eq!(served_type(bad), "application/octet-stream", "{bad}");
        }
    }

    #[test]
    fn a_file_over_the_limit_is_413_any_other_refusal_422() {
        assert_eq!(refusal_status(Refused::TooLarge), StatusCode::PAYLOAD_TOO_LARGE);
        for r in [
            Refused::Html,
            Refused::Svg,
            Refused::Program,
            Refused::Unknown,
            Refused::Empty,
            Refused::Macros,
        ] {
            assert_eq!(refusal_status(r), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}

//! Attachments on RFCs and sign-off verdicts (issue 19): a file streams in
//! through an [`Upload`] (checked and stored chunk by chunk, never held
//! whole), then becomes visible in the transaction that audits it. Whoever
//! may view the RFC may see, download and add its attachments; a tester's
//! sign-off link opens those of its own RFC.

use serde::Serialize;
use serde_json::json;

use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::Msg;
use crate::domain::attachment::{Checked, Intake, Refused};
use crate::domain::rfc::RfcId;
use crate::domain::size;
use crate::store::attachments::{self as store, AttachmentRow, Finished};
use crate::store::audit::{self, NewAuditEvent, Origin};
use crate::store::rfcs::{self as rfc_store, NewEvent};
use crate::store::{Store, WriteTx};

/// Why an upload was not taken.
#[derive(Debug)]
pub enum UploadError {
    /// The file itself: its type, its size, empty. Said to the person who sent it.
    Refused {
        reason: Refused,
        message: Msg,
    },
    Other(AppError),
}

impl<E: Into<AppError>> From<E> for UploadError {
    fn from(e: E) -> Self {
        UploadError::Other(e.into())
    }
}

/// A file streaming in: its row exists (state `uploading`) and its chunks
/// are stored as they fill.
pub struct Upload {
    store: Store,
    id: i64,
    seq: i64,
    given: String,
    limit: u64,
    intake: Intake,
    rfc: RfcId,
    by: String,
    origin: Origin,
}

/// An upload whose bytes passed every check, not yet visible.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub checked: Checked,
}

/// An attachment as pages list it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    /// The comment it came with (a tester's verdict comment), if any.
    pub comment_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// The size rounded for people: `1.5` `MB` (the page writes the number in its language).
    pub size_number: f64,
    pub size_decimals: usize,
    pub size_unit: &'static str,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: String,
    /// With a tester's verdict: `approve` or `reject`, and where.
    pub verdict: Option<String>,
    pub environment: Option<String>,
    pub image: bool,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(r: AttachmentRow) -> Self {
        let (size_number, size_decimals, size_unit) = size::rounded(r.size.max(0) as u64);
        AttachmentView {
            size_number,
            size_decimals,
            size_unit,
            image: r.content_type.starts_with("image/"),
            id: r.id,
            comment_id: r.comment_id,
            name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            created_at: r.created_at.to_string(),
            verdict: r.verdict,
            environment: r.environment,
        }
    }
}

impl Upload {
    /// The next bytes of the file; a refusal (too large, not an accepted
    /// type) drops what was stored.
    pub async fn push(&mut self, bytes: &[u8]) -> std::result::Result<(), UploadError> {
        match self.intake.push(bytes) {
            Ok(chunks) => {
                for chunk in chunks {
                    self.store.put_attachment_chunk(self.id, self.seq, &chunk).await?;
                    self.seq += 1;
                }
                Ok(())
            }
            Err(reason) => Err(self.refuse(reason, self.intake.size()).await),
        }
    }

    /// The end of the file: the last chunk stored and every check passed.
    pub async fn finish(mut self) -> std::result::Result<Pending, UploadError> {
        let intake = std::mem::replace(&mut self.intake, Intake::new("", 0));
        let size = intake.size();
        match intake.finish() {
            Ok((last, checked)) => {
                if !last.is_empty() {
                    self.store.put_attachment_chunk(self.id, self.seq, &last).await?;
                }
                Ok(Pending { id: self.id, checked })
            }
            Err(reason) => Err(self.refuse(reason, size).await),
        }
    }

    /// Drops the upload (the form around it was refused, or the client went away).
    pub async fn abort(self) {
        discard(&self.store, self.id).await;
    }

    /// Drops what was stored and audits the refusal; the message for the sender.
    async fn refuse(&self, reason: Refused, size: u64) -> UploadError {
        discard(&self.store, self.id).await;
        let message = reason.message(&self.given, &size::format(self.limit));
        let event = NewAuditEvent {
            actor: self.by.clone(),
            action: "attachment.add".into(),
            object: self.rfc.to_string(),
            outcome: "refused".into(),
            origin: self.origin,
            detail: json!({ "file": self.given, "reason": message.to_string(), "size_so_far": size }),
        };
        if let Err(e) = self.store.record(&event).await {
            return UploadError::Other(e.into());
        }
        UploadError::Refused { reason, message }
    }
}

/// Drops an unfinished upload; a failure here leaves a row that the next
/// upload's sweep removes, so it is only logged.
async fn discard(store: &Store, id: i64) {
    if let Err(e) = store.discard_attachment(id).await {
        tracing::warn!(attachment = id, error = %e, "could not drop an unfinished upload");
    }
}

impl App {
    /// The largest attachment accepted, in bytes, and as configured ("10 MB").
    pub fn max_attachment(&self) -> (u64, String) {
        let max = self.workspace.config.web.max_attachment;
        (max, size::format(max))
    }

    /// Starts an upload to an RFC the caller may view.
    pub async fn begin_upload(&self, caller: &Caller, id: RfcId, file_name: &str) -> Result<Upload> {
        let rfc = self.rfc(caller, id).await?;
        self.start_upload(rfc.id, &caller.email, caller.origin, file_name).await
    }

    /// Starts an upload through a live sign-off link, to the link's RFC.
    pub async fn begin_signoff_upload(&self, token: &str, file_name: &str) -> Result<Upload> {
        let link = self.open_link(token).await?;
        let tester = crate::domain::names::normalise_email(&link.tester);
        self.start_upload(RfcId(link.rfc_id), &tester, Origin::Web, file_name)
            .await
    }

    async fn start_upload(&self, rfc: RfcId, by: &str, origin: Origin, file_name: &str) -> Result<Upload> {
        // Uploads a crashed process left behind are dropped after a day.
        let day_ago = crate::domain::stamp::Stamp::from_datetime(self.now_utc() - time::Duration::days(1));
        self.store.discard_stale_uploads(&day_ago.to_string()).await?;
        let given: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
        let id = self.store.begin_attachment(rfc.0, &given, by).await?;
        let limit = self.workspace.config.web.max_attachment;
        Ok(Upload {
            store: self.store.clone(),
            id,
            seq: 0,
            intake: Intake::new(&given, limit),
            given,
            limit,
            rfc,
            by: by.to_string(),
            origin,
        })
    }

    /// Makes an upload visible on its RFC, audited (`attachment.add`).
    pub async fn attach(&self, caller: &Caller, id: RfcId, pending: &Pending) -> Result<()> {
        let rfc = self.rfc(caller, id).await?;
        let mut tx = self.store.write_tx().await?;
        attach_in(&mut tx, pending, rfc.id, &caller.email, caller.origin, None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops uploads that will not become visible (their form was refused).
    pub async fn discard_uploads(&self, pending: &[Pending]) {
        for p in pending {
            discard(&self.store, p.id).await;
        }
    }

    /// The attachments of an RFC the caller may view, oldest first.
    pub async fn attachments(&self, caller: &Caller, id: RfcId) -> Result<Vec<AttachmentView>> {
        let rfc = self.rfc(caller, id).await?;
        self.attachments_of(rfc.id).await
    }

    pub(crate) async fn attachments_of(&self, id: RfcId) -> Result<Vec<AttachmentView>> {
        Ok(self
            .store
            .attachments_of(id.0)
            .await?
            .into_iter()
            .map(AttachmentView::from)
            .collect())
    }

    /// The attachments a sign-off link shows: those of its RFC.
    pub async fn signoff_attachments(&self, token: &str) -> Result<Vec<AttachmentView>> {
        let link = self.open_link(token).await?;
        self.attachments_of(RfcId(link.rfc_id)).await
    }

    /// An attachment of RFC `id` to download, for a caller who may view it.
    /// One of another RFC is not found, as is one that does not exist.
    pub async fn open_attachment(&self, caller: &Caller, id: RfcId, attachment: i64) -> Result<AttachmentRow> {
        let rfc = self.rfc(caller, id).await?;
        self.attachment_on(rfc.id, attachment).await
    }

    /// An attachment of a live sign-off link's RFC.
    pub async fn open_signoff_attachment(&self, token: &str, attachment: i64) -> Result<AttachmentRow> {
        let link = self.open_link(token).await?;
        self.attachment_on(RfcId(link.rfc_id), attachment).await
    }

    pub(crate) async fn attachment_on(&self, id: RfcId, attachment: i64) -> Result<AttachmentRow> {
        self.store
            .attachment(attachment)
            .await?
            .filter(|a| a.rfc_id == id.0)
            .ok_or_else(|| AppError::NotFound(format!("attachment {attachment}")))
    }

    /// The store, for streaming an attachment's chunks out.
    pub fn attachment_chunks(&self) -> Store {
        self.store.clone()
    }
}

/// Makes files sent with a comment (and a verdict: `signoff`) visible with
/// the author's newest comment, in the comment's transaction (which holds the
/// write lock, so the newest is the one just added).
pub(crate) async fn attach_to_comment(
    tx: &mut WriteTx,
    pending: &[Pending],
    rfc: RfcId,
    by: &str,
    origin: Origin,
    signoff: Option<i64>,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let comment = store::last_comment_of(tx, rfc.0, by).await?;
    for p in pending {
        attach_in(tx, p, rfc, by, origin, signoff, comment).await?;
    }
    Ok(())
}

/// Makes a verdict's files visible with it (`signoff`), in the verdict's
/// transaction; with the verdict's comment too when `commented`.
pub(crate) async fn attach_to_verdict(
    tx: &mut WriteTx,
    pending: &[Pending],
    rfc: RfcId,
    tester: &str,
    signoff: i64,
    commented: bool,
) -> Result<()> {
    if commented {
        return attach_to_comment(tx, pending, rfc, tester, Origin::Web, Some(signoff)).await;
    }
    for p in pending {
        attach_in(tx, p, rfc, tester, Origin::Web, Some(signoff), None).await?;
    }
    Ok(())
}

/// Makes `pending` visible on RFC `rfc`, with an event on its timeline and
/// the audit event, in the caller's transaction: a verdict's attachments
/// arrive with the verdict (`signoff`) or not at all.
pub(crate) async fn attach_in(
    tx: &mut WriteTx,
    pending: &Pending,
    rfc: RfcId,
    by: &str,
    origin: Origin,
    signoff: Option<i64>,
    comment: Option<i64>,
) -> Result<()> {
    let c = &pending.checked;
    let finished = store::finish(
        tx,
        &Finished {
            id: pending.id,
            file_name: &c.name,
            content_type: c.kind.content_type(),
            size: c.size as i64,
            sha256: &c.sha256,
            comment_id: comment,
            signoff_id: signoff,
        },
    )
    .await?;
    if !finished {
        let name = &c.name;
        return Err(AppError::Conflict(crate::msg!(
            "the upload of {name} was dropped before it was saved: send it again",
            name
        )));
    }
    rfc_store::add_event(
        tx,
        &NewEvent {
            rfc,
            actor: by,
            kind: "attached",
            from_state: None,
            to_state: None,
            detail: &c.name,
        },
    )
    .await?;
    audit::append(
        tx,
        &NewAuditEvent {
            actor: by.to_string(),
            action: "attachment.add".into(),
            object: rfc.to_string(),
            outcome: "ok".into(),
            origin,
            detail: json!({
                "attachment": pending.id, "file": c.name, "type": c.kind.content_type(),
                "size": c.size, "sha256": c.sha256, "signoff": signoff, "comment": comment,
            }),
        },
    )
    .await?;
    Ok(())
}

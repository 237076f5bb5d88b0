//! Removing an attachment: a screenshot that shows a customer's personal
//! data, the wrong file. Its bytes are deleted at once; its facts (name,
//! size, checksum, who attached it) stay, with who removed it and why, on
//! the timeline and in the audit.

use serde_json::json;

use super::attachments::AttachmentView;
use super::rfcs::{Caller, audit_event};
use super::{App, AppError, Result};
use crate::domain::rfc::RfcId;
use crate::msg;
use crate::store::attachments as store;
use crate::store::rfcs::{self as rfc_store, NewEvent};

/// The most a reason may hold.
const MAX_REASON: usize = 1000;

impl App {
    /// Whether `caller` may remove `attachment`: whoever attached it, or
    /// someone with `rfc.edit` (the functional admins, who keep RFCs tidy).
    pub fn may_remove_attachment(&self, caller: &Caller, attachment: &AttachmentView) -> bool {
        crate::domain::names::normalise_email(&attachment.uploaded_by)
            == crate::domain::names::normalise_email(&caller.email)
            || self.workspace.access.can(&caller.email, "rfc.edit")
    }

    /// Removes attachment `n` of RFC `id`, saying why (`reason`, required).
    pub async fn remove_attachment(&self, caller: &Caller, id: RfcId, n: i64, reason: &str) -> Result<()> {
        let rfc = self.rfc(caller, id).await?;
        let attachment = AttachmentView::from(self.attachment_on(rfc.id, n).await?);
        let name = attachment.name.clone();
        if !self.may_remove_attachment(caller, &attachment) {
            return Err(AppError::refused(msg!(
                "only who attached {name} or a functional admin (permission rfc.edit) may remove it",
                name
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                msg!("say why the file is removed: the audit keeps the reason"),
            ));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(AppError::invalid("reason", msg!("is longer than 1,000 characters")));
        }
        let mut tx = self.store.write_tx().await?;
        if !store::remove(&mut tx, n).await? {
            return Err(AppError::NotFound(format!("attachment {n}")));
        }
        let detail = format!("{name}: {reason}");
        rfc_store::add_event(
            &mut tx,
            &NewEvent {
                rfc: rfc.id,
                actor: &caller.email,
                kind: "attachment_removed",
                from_state: None,
                to_state: None,
                detail: &detail,
            },
        )
        .await?;
        let audit = json!({
            "attachment": n, "file": name, "size": attachment.size, "sha256": attachment.sha256,
            "uploaded_by": attachment.uploaded_by, "reason": reason,
        });
        crate::store::audit::append(&mut tx, &audit_event(caller, "attachment.remove", rfc.id, audit)).await?;
        tx.commit().await?;
        Ok(())
    }
}

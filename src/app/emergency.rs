//! Emergency changes: bypassing freeze and soak leaves an item that someone
//! else with rfc.assess must approve afterwards.

use crate::domain::rfc::Refusal;
use crate::msg;
use minijinja::context;
use minijinja::value::Serde;
use serde_json::json;

use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::stamp::Stamp;
use crate::store::audit::{self, NewAuditEvent};
use crate::store::emergency::{self, EmergencyReview};

/// An emergency promotion waiting for (or given) its approval afterwards.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmergencyChange {
    pub id: i64,
    pub commit_id: String,
    pub environment: String,
    pub packages: String,
    pub promoted_by: String,
    pub reason: String,
    pub created_at: Stamp,
    pub due_at: Stamp,
    pub approved_by: Option<String>,
    pub approved_at: Option<Stamp>,
    pub comment: String,
    pub escalated_at: Option<Stamp>,
}

impl From<EmergencyReview> for EmergencyChange {
    fn from(r: EmergencyReview) -> Self {
        EmergencyChange {
            id: r.id,
            commit_id: r.commit_id,
            environment: r.environment,
            packages: r.packages,
            promoted_by: r.promoted_by,
            reason: r.reason,
            created_at: r.created_at,
            due_at: r.due_at,
            approved_by: r.approved_by,
            approved_at: r.approved_at,
            comment: r.comment,
            escalated_at: r.escalated_at,
        }
    }
}

impl App {
    /// Queues the retro-approval of an emergency promotion, in its transaction.
    pub(crate) async fn open_emergency_review(
        &self,
        conn: &mut crate::store::WriteTx,
        commit: &str,
        environment: &str,
        packages: &str,
        by: &str,
        reason: &str,
    ) -> Result<()> {
        let within = self.workspace.config.emergency.review_within;
        let due = crate::domain::stamp::stamp(self.now_utc() + time::Duration::seconds(within.as_secs() as i64));
        emergency::create(conn, commit, environment, packages, by, reason, &due).await?;
        Ok(())
    }

    pub async fn emergency_reviews(&self, open_only: bool) -> Result<Vec<EmergencyChange>> {
        Ok(self
            .store
            .emergency_reviews(open_only)
            .await?
            .into_iter()
            .map(EmergencyChange::from)
            .collect())
    }

    /// Approves an emergency change afterwards: needs rfc.assess, and never
    /// by whoever made the change.
    pub async fn approve_emergency(&self, caller: &Caller, id: i64, comment: &str) -> Result<()> {
        if let Some(e) = crate::domain::limits::too_long("comment", comment, crate::domain::limits::TEXT) {
            return Err(AppError::Invalid(vec![e]));
        }
        let review = self
            .store
            .emergency_review(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("emergency change {id}")))?;
        let mut reasons = Vec::new();
        if crate::domain::names::normalise_email(&review.promoted_by) == caller.email {
            reasons.push(Refusal::new(msg!(
                "{who} made this emergency change, so someone else must approve it (segregation of duties)",
                who = &caller.email
            )));
        }
        if !self.workspace.access.can(&caller.email, "rfc.assess") {
            reasons.push(Refusal::new(msg!(
                "approving an emergency change needs permission rfc.assess: ask a change manager"
            )));
        }
        if !reasons.is_empty() {
            return Err(AppError::Refused(reasons));
        }
        if review.approved_at.is_some() {
            return Err(AppError::Conflict(msg!(
                "emergency change {id} was already approved by {who}",
                id,
                who = review.approved_by.unwrap_or_default()
            )));
        }
        let mut tx = self.store.write_tx().await?;
        if !emergency::approve(&mut tx, id, &caller.email, comment.trim()).await? {
            return Err(AppError::Conflict(msg!(
                "emergency change {id} was approved meanwhile",
                id
            )));
        }
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: caller.email.to_string(),
                action: "emergency.approve".into(),
                object: format!(
                    "{} in {}",
                    &review.commit_id[..12.min(review.commit_id.len())],
                    review.environment
                ),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: json!({ "review": id, "comment": comment.trim() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails the assessors about emergency changes still unapproved past
    /// their due time. The claim and its mail share one transaction.
    pub async fn escalate_emergencies(&self) -> Result<usize> {
        let now = self.now();
        let mut n = 0;
        for r in self.store.emergency_reviews(true).await? {
            if r.due_at > now || r.escalated_at.is_some() {
                continue;
            }
            let to: Vec<String> = self
                .workspace
                .access
                .users
                .keys()
                .filter(|u| self.workspace.access.can(u, "rfc.assess") && **u != r.promoted_by)
                .map(|u| u.to_string())
                .collect();
            let ctx = context! {
                review => Serde(&r),
                environment_label => self.workspace.pipeline.get(&r.environment).map(|e| e.label.clone()).unwrap_or_default(),
                url => format!("{}/", self.base_url()),
            };
            let mail = self.render_mail("emergency", to, ctx)?;
            let mut tx = self.store.write_tx().await?;
            if !emergency::claim_escalation(&mut tx, r.id).await? {
                tx.rollback().await?; // another instance escalated it meanwhile
                continue;
            }
            super::failpoint("after-emergency-escalation-claim");
            self.enqueue(&mut tx, mail.as_ref()).await?;
            tx.commit().await?;
            n += 1;
        }
        Ok(n)
    }
}

//! The outbox delivered: due rows are claimed a batch at a time, each handed
//! to the mailer, and marked sent, scheduled for a retry with backoff, or
//! given up as a dead letter. The mailer only sends; what a failure means for
//! the row is decided here.

use serde::Serialize;

use super::worker::worker_id;
use super::{App, Result};
use crate::domain::duration;
use crate::domain::mail::{ClaimedMail, backoff};
use crate::mail::{Failure, Mailer};

/// How long a claim holds: rows of a worker that died mid-batch go to
/// another worker after this.
const CLAIM_FOR: time::Duration = time::Duration::seconds(120);

#[derive(Debug, Default, Clone, Serialize)]
pub struct FlushReport {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

/// A mail in the outbox as `dtap mail list` shows it: never its body (a
/// sign-off or login link may still be live there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMail {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    /// The addresses as a JSON array, as stored.
    pub recipients: String,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl OutboxMail {
    pub fn recipient_list(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }
}

impl App {
    /// The newest `limit` mails, or only the dead letters.
    pub async fn mails(&self, dead_only: bool, limit: i64) -> Result<Vec<OutboxMail>> {
        Ok(self
            .store
            .mails(dead_only.then_some("dead"), limit)
            .await?
            .into_iter()
            .map(|r| OutboxMail {
                id: r.id,
                message_id: r.message_id,
                kind: r.kind,
                recipients: r.recipients,
                subject: r.subject,
                state: r.state,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                last_error: r.last_error,
                created_at: r.created_at,
                sent_at: r.sent_at,
            })
            .collect())
    }

    /// Delivers every due mail once, up to `batch` at a time: sends, schedules
    /// retries with exponential backoff and jitter, and gives up on permanent
    /// failures and on mails failing longer than `[mail] give_up_after`.
    /// Several workers (instances, or `dtap mail flush` beside `serve`) may run
    /// this at once: each row is claimed by one of them.
    pub async fn deliver_outbox(&self, mailer: &Mailer, batch: usize) -> Result<FlushReport> {
        let worker = worker_id();
        let give_up_after = self.workspace.config.mail.give_up_after;
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut report = FlushReport::default();
        loop {
            let until = self.now() + CLAIM_FOR;
            let rows = self.store.claim_mail(&worker, &until.to_string(), limit).await?;
            if rows.is_empty() {
                return Ok(report);
            }
            let results = deliver_all(mailer, &rows).await;
            for (row, result) in rows.iter().zip(results) {
                match result {
                    Ok(()) => {
                        self.store.mail_sent(row.id, &worker).await?;
                        report.sent += 1;
                    }
                    Err(Failure::Permanent(e)) => {
                        tracing::warn!(id = row.id, error = %e, "mail refused permanently: dead letter");
                        self.store.mail_dead(row.id, &worker, &e).await?;
                        report.dead += 1;
                    }
                    Err(Failure::Temporary(e)) => {
                        let failing_for = row.created_at.map_or(time::Duration::ZERO, |c| self.now() - c);
                        if failing_for > time::Duration::seconds(give_up_after.as_secs() as i64) {
                            let why = format!("gave up after {}: {e}", duration::format(give_up_after));
                            self.store.mail_dead(row.id, &worker, &why).await?;
                            report.dead += 1;
                        } else {
                            let jitter = u16::from_le_bytes(crate::random::bytes::<2>()?);
                            let next = self.now() + backoff(row.attempts, jitter);
                            tracing::info!(id = row.id, error = %e, "mail not delivered yet; will retry");
                            self.store.mail_retry(row.id, &worker, &next.to_string(), &e).await?;
                            report.retried += 1;
                        }
                    }
                }
            }
            if report.retried > 0 {
                // Rows just rescheduled are not due again now; stop this round.
                return Ok(report);
            }
        }
    }

    /// Makes every mail waiting for its next attempt due now (after the mail
    /// server is fixed). Returns how many.
    pub async fn retry_mail_now(&self) -> Result<u64> {
        Ok(self.store.mail_due_now().await?)
    }
}

/// One attempt per row, concurrently over the mailer's pooled connections;
/// the results in the order of `rows`.
async fn deliver_all(mailer: &Mailer, rows: &[ClaimedMail]) -> Vec<Result<(), Failure>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, row) in rows.iter().enumerate() {
        let (mailer, mail) = (mailer.clone(), row.mail.clone());
        set.spawn(async move { (i, mailer.deliver(&mail).await) });
    }
    let mut results: Vec<Option<Result<(), Failure>>> = (0..rows.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some(r),
            Err(e) => tracing::error!(error = %e, "mail delivery task failed"),
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Failure::Temporary("delivery task failed".into()))))
        .collect()
}

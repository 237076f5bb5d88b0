//! The mail outbox: rows written with the change that causes them, claimed
//! by a worker, delivered, retried, or given up as dead letters.

use crate::store::WriteTx;
use sqlx::FromRow;

use super::{Backend, Result, Store};
use crate::domain::mail::{ClaimedMail, NewMail, Outgoing};
use crate::domain::stamp::Stamp;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub recipients: String,
    pub subject: String,
    #[serde(skip)]
    pub text_body: String,
    #[serde(skip)]
    pub html_body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl OutboxRow {
    pub fn recipient_list(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }

    fn into_claimed(self) -> ClaimedMail {
        ClaimedMail {
            id: self.id,
            attempts: self.attempts,
            created_at: Stamp::parse(&self.created_at).ok(),
            mail: Outgoing {
                recipients: self.recipient_list(),
                message_id: self.message_id,
                subject: self.subject,
                text: self.text_body,
                html: self.html_body,
            },
        }
    }
}

/// Queues a mail inside the caller's transaction. The Message-ID is fixed
/// now, so every delivery attempt sends the very same message.
pub async fn enqueue(conn: &mut WriteTx, mail: &NewMail, domain: &str) -> Result<()> {
    if mail.recipients.is_empty() {
        return Ok(());
    }
    let message_id = format!("<{}@{domain}>", crate::random::hex::<16>()?);
    let at = conn.stamp();
    sqlx::query(
        "INSERT INTO outbox (message_id, kind, recipients, subject, text_body, html_body, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&message_id)
    .bind(&mail.kind)
    .bind(serde_json::to_string(&mail.recipients).unwrap_or_else(|_| "[]".into()))
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(&at)
    .execute(&mut **conn)
    .await?;
    Ok(())
}

macro_rules! columns {
    () => {
        "id, message_id, kind, recipients, subject, text_body, html_body, state, attempts, next_attempt_at, last_error, created_at, sent_at"
    };
}

macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET state = 'sending', claimed_by = $1, claimed_until = $2
             WHERE id IN (SELECT id FROM outbox
                          WHERE (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND claimed_until < $3)
                          ORDER BY id LIMIT $4",
            $lock,
            ") RETURNING ",
            columns!()
        )
    };
}

/// SQLite has one writer at a time (`write_tx`), so no row lock is needed.
const CLAIM_SQLITE: &str = claim_sql!("");
const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");

/// The kinds of mail that carry a live personal link (sign-off or login),
/// as an SQL list: their bodies are cleared once delivered or given up.
macro_rules! link_kinds {
    () => {
        "('invitation', 'reminder', 'login')"
    };
}

impl Store {
    /// Claims up to `limit` due rows for `worker` until `until`: pending rows
    /// whose time has come, and rows a crashed worker left claimed. On
    /// PostgreSQL several workers (instances) claim at once: `SKIP LOCKED`
    /// hands each row to exactly one of them without waiting on the others.
    pub async fn claim_mail(&self, worker: &str, until: &str, limit: i64) -> Result<Vec<ClaimedMail>> {
        let at = self.now();
        let query = |sql| {
            sqlx::query_as::<_, OutboxRow>(sql)
                .bind(worker.to_string())
                .bind(until.to_string())
                .bind(at.clone())
                .bind(limit)
        };
        // SQLite takes its write lock; PostgreSQL's SKIP LOCKED needs none.
        let rows = match self.backend() {
            Backend::Sqlite => {
                let mut tx = self.write_tx().await?;
                let rows = query(CLAIM_SQLITE).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
            Backend::Postgres => {
                let mut tx = self.pool().begin().await?;
                let rows = query(CLAIM_POSTGRES).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
        };
        Ok(rows.into_iter().map(OutboxRow::into_claimed).collect())
    }

    /// Marks a row sent. Mails that carried a personal link lose their body:
    /// a live sign-off or login token is kept nowhere but in the mailbox.
    pub async fn mail_sent(&self, id: i64, worker: &str) -> Result<()> {
        sqlx::query(concat!(
            "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL,
                    text_body = CASE WHEN kind IN ",
            link_kinds!(),
            " THEN '[delivered; the personal link is not kept]' ELSE text_body END,
                    html_body = CASE WHEN kind IN ",
            link_kinds!(),
            " THEN '' ELSE html_body END
             WHERE id = $2 AND claimed_by = $3"
        ))
        .bind(self.now())
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A temporary failure: try again at `next`.
    pub async fn mail_retry(&self, id: i64, worker: &str, next: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = $1, last_error = $2, claimed_by = NULL
             WHERE id = $3 AND claimed_by = $4",
        )
        .bind(next)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A permanent failure, or too long failing: a dead letter.
    pub async fn mail_dead(&self, id: i64, worker: &str, error: &str) -> Result<()> {
        sqlx::query(concat!(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = $1, claimed_by = NULL,
                    text_body = CASE WHEN kind IN ",
            link_kinds!(),
            " THEN '[not delivered; the personal link is not kept]' ELSE text_body END,
                    html_body = CASE WHEN kind IN ",
            link_kinds!(),
            " THEN '' ELSE html_body END
             WHERE id = $2 AND claimed_by = $3"
        ))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn mails(&self, state: Option<&str>, limit: i64) -> Result<Vec<OutboxRow>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM outbox WHERE ($1 IS NULL OR state = $1) ORDER BY id DESC LIMIT $2"
        ))
        .bind(state)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Queues a mail in a transaction of its own (tools and benchmarks).
    pub async fn enqueue_mail(&self, mail: &NewMail, domain: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        enqueue(&mut tx, mail, domain).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes every waiting row due now (after the mail server is fixed).
    pub async fn mail_due_now(&self) -> Result<u64> {
        let done =
            sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE state = 'pending' AND next_attempt_at > $1")
                .bind(self.now())
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }

    pub async fn mail_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
                .fetch_all(self.pool())
                .await?,
        )
    }
}

//! Attachments and their bytes, in chunks of at most 256 KiB (DESIGN §15).
//! A file arrives as a row in state `uploading` plus its chunks, each written
//! on its own as it streams in (no transaction or lock held while a phone
//! uploads); the use case then marks it `stored` in the transaction that
//! audits it. Only stored attachments are listed or served.

use sqlx::FromRow;

use super::{Result, Store, WriteTx};
use crate::domain::stamp::Stamp;

/// A stored attachment's facts (never its bytes).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub rfc_id: i64,
    pub comment_id: Option<i64>,
    pub signoff_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: Stamp,
    /// For a verdict's attachment: the verdict and its environment.
    pub verdict: Option<String>,
    pub environment: Option<String>,
}

const COLUMNS: &str = "a.id, a.rfc_id, a.comment_id, a.signoff_id, a.file_name, a.content_type, a.size, a.sha256, \
                       a.uploaded_by, a.created_at, s.verdict, s.environment";

/// What becomes of an upload once its bytes passed every check.
pub struct Finished<'a> {
    pub id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub comment_id: Option<i64>,
    pub signoff_id: Option<i64>,
}

impl Store {
    /// Starts an upload: a row in state `uploading`, to which chunks are added.
    pub async fn begin_attachment(&self, rfc_id: i64, file_name: &str, uploaded_by: &str) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO attachments (rfc_id, file_name, content_type, size, sha256, uploaded_by, created_at, state)
             VALUES ($1, $2, '', 0, '', $3, $4, 'uploading') RETURNING id",
        )
        .bind(rfc_id)
        .bind(file_name)
        .bind(uploaded_by)
        .bind(self.now())
        .fetch_one(self.pool())
        .await?;
        Ok(id)
    }

    /// Adds chunk `seq` (0, 1, ...) of an upload.
    pub async fn put_attachment_chunk(&self, id: i64, seq: i64, bytes: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO attachment_chunks (attachment_id, seq, bytes) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(seq)
            .bind(bytes)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops an upload that was refused or abandoned, with its chunks.
    pub async fn discard_attachment(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM attachment_chunks WHERE attachment_id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM attachments WHERE id = $1 AND state = 'uploading'")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops uploads that never finished (a process that died mid-upload)
    /// and began before `before`.
    pub async fn discard_stale_uploads(&self, before: &str) -> Result<u64> {
        let stale: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM attachments WHERE state = 'uploading' AND created_at < $1 LIMIT 100")
                .bind(before)
                .fetch_all(self.pool())
                .await?;
        for (id,) in &stale {
            self.discard_attachment(*id).await?;
        }
        Ok(stale.len() as u64)
    }

    /// The stored attachments of an RFC, oldest first.
    pub async fn attachments_of(&self, rfc_id: i64) -> Result<Vec<AttachmentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM attachments a LEFT JOIN signoffs s ON s.id = a.signoff_id
             WHERE a.rfc_id = $1 AND a.state = 'stored' ORDER BY a.id"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(rfc_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// One stored attachment.
    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM attachments a LEFT JOIN signoffs s ON s.id = a.signoff_id
             WHERE a.id = $1 AND a.state = 'stored'"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Chunk `seq` of an attachment, or None past its last.
    pub async fn attachment_chunk(&self, id: i64, seq: i64) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT bytes FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
                .bind(id)
                .bind(seq)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.0))
    }
}

/// Marks an upload stored, with what its checks found, in the caller's
/// transaction (which audits it); false when it is no longer uploading.
pub async fn finish(conn: &mut WriteTx, f: &Finished<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE attachments SET file_name = $1, content_type = $2, size = $3, sha256 = $4, comment_id = $5,
                signoff_id = $6, created_at = $7, state = 'stored'
         WHERE id = $8 AND state = 'uploading'",
    )
    .bind(f.file_name)
    .bind(f.content_type)
    .bind(f.size)
    .bind(f.sha256)
    .bind(f.comment_id)
    .bind(f.signoff_id)
    .bind(conn.stamp())
    .bind(f.id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest comment of `author` on an RFC, in the caller's transaction
/// (which holds the write lock, so it is the one just written).
pub async fn last_comment_of(conn: &mut WriteTx, rfc_id: i64, author: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM rfc_comments WHERE rfc_id = $1 AND author = $2 ORDER BY id DESC LIMIT 1")
            .bind(rfc_id)
            .bind(author)
            .fetch_optional(&mut **conn)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Removes a stored attachment's bytes and marks it `removed` (its facts
/// stay for the audit and the timeline), in the caller's transaction;
/// false when it was not stored.
pub async fn remove(conn: &mut WriteTx, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE attachments SET state = 'removed' WHERE id = $1 AND state = 'stored'")
        .bind(id)
        .execute(&mut **conn)
        .await?;
    if done.rows_affected() == 1 {
        sqlx::query("DELETE FROM attachment_chunks WHERE attachment_id = $1")
            .bind(id)
            .execute(&mut **conn)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

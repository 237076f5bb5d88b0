//! Retro-approval of emergency changes.

use crate::domain::stamp::Stamp;
use crate::store::WriteTx;
use sqlx::FromRow;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EmergencyReview {
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

pub async fn create(
    conn: &mut WriteTx,
    commit: &str,
    environment: &str,
    packages: &str,
    promoted_by: &str,
    reason: &str,
    due_at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO emergency_reviews (commit_id, environment, packages, promoted_by, reason, created_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (commit_id) DO NOTHING",
    )
    .bind(commit)
    .bind(environment)
    .bind(packages)
    .bind(promoted_by)
    .bind(reason)
    .bind(conn.stamp())
    .bind(due_at)
    .execute(&mut **conn)
    .await?;
    Ok(())
}

pub async fn approve(conn: &mut WriteTx, id: i64, by: &str, comment: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE emergency_reviews SET approved_by = $1, approved_at = $2, comment = $3 WHERE id = $4 AND approved_at IS NULL",
    )
    .bind(by)
    .bind(conn.stamp())
    .bind(comment)
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    pub async fn emergency_reviews(&self, open_only: bool) -> Result<Vec<EmergencyReview>> {
        Ok(sqlx::query_as(
            "SELECT * FROM emergency_reviews WHERE ($1 = 0 OR approved_at IS NULL) ORDER BY created_at DESC",
        )
        .bind(i64::from(open_only))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn emergency_review(&self, id: i64) -> Result<Option<EmergencyReview>> {
        Ok(sqlx::query_as("SELECT * FROM emergency_reviews WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }
}

/// Claims an emergency review's escalation in the caller's transaction,
/// which also queues its mail: both happen, or neither; never for a change
/// approved since the sweep read it.
pub async fn claim_escalation(conn: &mut WriteTx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE emergency_reviews SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL AND approved_at IS NULL",
    )
    .bind(conn.stamp())
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

//! Promotion and rollback intents (with their leases), and the commits
//! dtap recorded as its own.

use crate::store::WriteTx;
use sqlx::FromRow;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct Intent {
    pub id: String,
    pub kind: String,
    pub environment: String,
    pub packages: String,
    pub base_commit: String,
    pub commit_id: Option<String>,
    pub state: String,
    pub actor: String,
    pub reason: String,
    /// 0 or 1: booleans are integers in both backends.
    pub emergency: i64,
    pub lease_owner: String,
    pub lease_until: String,
    pub created_at: String,
}

pub struct NewIntent<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub environment: &'a str,
    pub packages: &'a str,
    pub base_commit: &'a str,
    pub actor: &'a str,
    pub reason: &'a str,
    pub emergency: bool,
    pub lease_owner: &'a str,
    pub lease_until: &'a str,
}

/// Marks an intent done (with its commit) or failed; only a pending one.
pub async fn finish(conn: &mut WriteTx, id: &str, commit: Option<&str>, note: &str) -> Result<bool> {
    let state = if commit.is_some() { "done" } else { "failed" };
    let done = sqlx::query(
        "UPDATE promotions SET state = $1, commit_id = $2, note = $3, finished_at = $4 WHERE id = $5 AND state = 'pending'",
    )
    .bind(state)
    .bind(commit)
    .bind(note)
    .bind(conn.stamp())
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// Records a commit as dtap's own.
    pub async fn record_dtap_commit(&self, commit: &str, action: &str) -> Result<()> {
        sqlx::query("INSERT INTO dtap_commits (commit_id, action, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(commit)
            .bind(action)
            .bind(self.now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a commit dtap recorded but never got onto the branch (a
    /// remote refused the push).
    pub async fn forget_dtap_commit(&self, commit: &str) -> Result<()> {
        sqlx::query("DELETE FROM dtap_commits WHERE commit_id = $1")
            .bind(commit)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn dtap_commits(&self) -> Result<std::collections::HashSet<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT commit_id FROM dtap_commits")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// When and by whom dtap brought `tree` of `package` into `environment`:
    /// the server's clock at completion, not a commit date anyone could set.
    pub async fn promotion_arrival(
        &self,
        environment: &str,
        package: &str,
        tree: &str,
    ) -> Result<Option<(String, String)>> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT packages, actor, finished_at FROM promotions
             WHERE environment = $1 AND kind = 'promote' AND state = 'done' ORDER BY finished_at DESC LIMIT 500",
        )
        .bind(environment)
        .fetch_all(self.pool())
        .await?;
        for (packages, actor, finished) in rows {
            let list: Vec<serde_json::Value> = serde_json::from_str(&packages).unwrap_or_default();
            if list.iter().any(|p| p["package"] == package && p["tree"] == tree) {
                return Ok(finished.map(|f| (f, actor)));
            }
        }
        Ok(None)
    }

    pub async fn insert_intent(&self, i: &NewIntent<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO promotions (id, kind, environment, packages, base_commit, state, actor, reason, emergency, lease_owner, lease_until, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11)",
        )
        .bind(i.id)
        .bind(i.kind)
        .bind(i.environment)
        .bind(i.packages)
        .bind(i.base_commit)
        .bind(i.actor)
        .bind(i.reason)
        .bind(i64::from(i.emergency))
        .bind(i.lease_owner)
        .bind(i.lease_until)
        .bind(self.now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn pending_intents(&self) -> Result<Vec<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, packages, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions WHERE state = 'pending' ORDER BY created_at",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn intents(&self, limit: i64) -> Result<Vec<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, packages, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

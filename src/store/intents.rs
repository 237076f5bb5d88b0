//! Promotion and rollback intents (with their leases), and the commits
//! dtap recorded as its own.

use crate::store::WriteTx;
use sqlx::FromRow;

use super::{Result, Store, StoreError};
use crate::domain::intent::{IntentPackage, IntentPayload, RfcReturn};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct Intent {
    pub id: String,
    pub kind: String,
    pub environment: String,
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
    pub payload: &'a IntentPayload,
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

    /// Records commits as dtap's own in one transaction: an adopted config
    /// repo's history (`dtap init --adopt`), known rather than drift.
    pub async fn record_dtap_commits(&self, commits: &[(String, String)]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let at = tx.stamp();
        for (commit, action) in commits {
            sqlx::query("INSERT INTO dtap_commits (commit_id, action, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(commit)
                .bind(action)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
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
        let row: Option<(Option<String>, String)> = sqlx::query_as(
            "SELECT p.finished_at, p.actor FROM promotions p JOIN intent_packages i ON i.intent_id = p.id
             WHERE i.package = $1 AND i.tree = $2 AND p.environment = $3 AND p.kind = 'promote' AND p.state = 'done'
             ORDER BY p.finished_at DESC LIMIT 1",
        )
        .bind(package)
        .bind(tree)
        .bind(environment)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|(finished, actor)| finished.map(|f| (f, actor))))
    }

    /// Writes an intent with its typed payload, in one transaction.
    pub async fn insert_intent(&self, i: &NewIntent<'_>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // `packages` (JSON) is superseded by intent_packages since migration 12.
        sqlx::query(
            "INSERT INTO promotions (id, kind, environment, packages, base_commit, state, actor, reason, emergency, lease_owner, lease_until, created_at)
             VALUES ($1, $2, $3, '[]', $4, 'pending', $5, $6, $7, $8, $9, $10)",
        )
        .bind(i.id)
        .bind(i.payload.kind())
        .bind(i.environment)
        .bind(i.base_commit)
        .bind(i.actor)
        .bind(i.reason)
        .bind(i64::from(i.emergency))
        .bind(i.lease_owner)
        .bind(i.lease_until)
        .bind(tx.stamp())
        .execute(&mut *tx)
        .await?;
        for (n, p) in i.payload.packages().iter().enumerate() {
            sqlx::query(
                "INSERT INTO intent_packages (intent_id, position, package, version, from_version, tree, rfcs)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(i.id)
            .bind(n as i64)
            .bind(&p.package)
            .bind(&p.version)
            .bind(&p.from_version)
            .bind(&p.tree)
            .bind(p.rfcs.join(", "))
            .execute(&mut *tx)
            .await?;
        }
        for (n, r) in i.payload.returns().iter().enumerate() {
            sqlx::query(
                "INSERT INTO intent_returns (intent_id, position, rfc, from_state, to_state) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(i.id)
            .bind(n as i64)
            .bind(&r.rfc)
            .bind(&r.from)
            .bind(&r.to)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// What an intent moves, as written by `insert_intent`.
    pub async fn intent_payload(&self, intent: &Intent) -> Result<IntentPayload> {
        let rows: Vec<PackageRow> = sqlx::query_as(
            "SELECT package, version, from_version, tree, rfcs FROM intent_packages WHERE intent_id = $1 ORDER BY position",
        )
        .bind(&intent.id)
        .fetch_all(self.pool())
        .await?;
        let mut packages: Vec<IntentPackage> = rows.into_iter().map(package_of).collect();
        if intent.kind != "rollback" && intent.kind != "retire" {
            return Ok(IntentPayload::Promote(packages));
        }
        let returns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT rfc, from_state, to_state FROM intent_returns WHERE intent_id = $1 ORDER BY position",
        )
        .bind(&intent.id)
        .fetch_all(self.pool())
        .await?;
        if packages.len() != 1 {
            return Err(StoreError::Corrupt(format!(
                "{} intent {} names {} packages, not one",
                intent.kind,
                intent.id,
                packages.len()
            )));
        }
        Ok(IntentPayload::Rollback {
            package: packages.remove(0),
            returns: returns
                .into_iter()
                .map(|(rfc, from, to)| RfcReturn { rfc, from, to })
                .collect(),
            retire: intent.kind == "retire",
        })
    }

    pub async fn pending_intents(&self) -> Result<Vec<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions WHERE state = 'pending' ORDER BY created_at",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn intent(&self, id: &str) -> Result<Option<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn intents(&self, limit: i64) -> Result<Vec<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

/// package, version, from_version, tree, rfcs: a row of intent_packages.
pub(super) type PackageRow = (String, Option<String>, Option<String>, Option<String>, String);

/// A row of intent_packages as the domain reads it.
pub(super) fn package_of((package, version, from_version, tree, rfcs): PackageRow) -> IntentPackage {
    IntentPackage {
        package,
        version,
        from_version,
        tree,
        rfcs: rfcs
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

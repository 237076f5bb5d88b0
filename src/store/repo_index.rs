//! The config repo index: package rows and drift, brought up to date by
//! applying a delta computed from git.

use std::collections::HashMap;

use sqlx::FromRow;

use super::{Result, Store};
use crate::domain::index::{IndexDelta, IndexedDrift, IndexedPackage};

#[derive(FromRow)]
struct PackageRow {
    env_path: String,
    package: String,
    tree: String,
    version: Option<String>,
    rfcs: String,
    problem: Option<String>,
    commit_id: String,
    time: String,
    author: String,
    by: String,
    summary: String,
}

impl PackageRow {
    fn into_indexed(self) -> IndexedPackage {
        IndexedPackage {
            env_path: self.env_path,
            package: self.package,
            tree: self.tree,
            version: self.version,
            rfcs: serde_json::from_str(&self.rfcs).unwrap_or_default(),
            problem: self.problem,
            commit: self.commit_id,
            time: self.time,
            author: self.author,
            by: self.by,
            summary: self.summary,
        }
    }
}

impl Store {
    pub async fn index_head(&self) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT commit_id FROM repo_index_head WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Applies a delta computed from `from` (the head the caller read). When
    /// another process got there first, nothing is applied: its result is as good.
    pub async fn apply_index(&self, from: Option<&str>, delta: &IndexDelta) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let current: Option<(String,)> = sqlx::query_as("SELECT commit_id FROM repo_index_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        if current.as_ref().map(|c| c.0.as_str()) != from {
            return Ok(false);
        }
        if delta.rebuild {
            sqlx::query("DELETE FROM repo_index_packages").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM repo_index_drift").execute(&mut *tx).await?;
        }
        for (env, pkg) in &delta.removals {
            sqlx::query("DELETE FROM repo_index_packages WHERE env_path = $1 AND package = $2")
                .bind(env)
                .bind(pkg)
                .execute(&mut *tx)
                .await?;
        }
        for p in &delta.upserts {
            sqlx::query(
                "INSERT INTO repo_index_packages (env_path, package, tree, version, rfcs, problem, commit_id, time, author, \"by\", summary)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (env_path, package) DO UPDATE SET tree = excluded.tree, version = excluded.version,
                   rfcs = excluded.rfcs, problem = excluded.problem, commit_id = excluded.commit_id, time = excluded.time,
                   author = excluded.author, \"by\" = excluded.\"by\", summary = excluded.summary",
            )
            .bind(&p.env_path)
            .bind(&p.package)
            .bind(&p.tree)
            .bind(&p.version)
            .bind(serde_json::to_string(&p.rfcs).unwrap_or_else(|_| "[]".into()))
            .bind(&p.problem)
            .bind(&p.commit)
            .bind(&p.time)
            .bind(&p.author)
            .bind(&p.by)
            .bind(&p.summary)
            .execute(&mut *tx)
            .await?;
        }
        for (env, (reset, commits)) in &delta.drift {
            if *reset {
                sqlx::query("DELETE FROM repo_index_drift WHERE env_path = $1")
                    .bind(env)
                    .execute(&mut *tx)
                    .await?;
            }
            let (start,): (i64,) =
                sqlx::query_as("SELECT COALESCE(MAX(position), 0) FROM repo_index_drift WHERE env_path = $1")
                    .bind(env)
                    .fetch_one(&mut *tx)
                    .await?;
            for (i, d) in commits.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO repo_index_drift (env_path, position, commit_id, time, author, summary) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(env)
                .bind(start + 1 + i as i64)
                .bind(&d.commit)
                .bind(&d.time)
                .bind(&d.author)
                .bind(&d.summary)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("INSERT INTO repo_index_head (id, commit_id) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET commit_id = excluded.commit_id")
            .bind(&delta.head)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn indexed_packages(&self) -> Result<Vec<IndexedPackage>> {
        let rows: Vec<PackageRow> = sqlx::query_as("SELECT * FROM repo_index_packages ORDER BY env_path, package")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(PackageRow::into_indexed).collect())
    }

    /// The index rows of one package, in every environment.
    pub async fn indexed_package(&self, package: &str) -> Result<Vec<IndexedPackage>> {
        let rows: Vec<PackageRow> = sqlx::query_as("SELECT * FROM repo_index_packages WHERE package = $1")
            .bind(package)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(PackageRow::into_indexed).collect())
    }

    /// The index rows of some environment folders only.
    pub async fn indexed_packages_in(&self, env_paths: &[&str]) -> Result<Vec<IndexedPackage>> {
        let mut out = Vec::new();
        for env in env_paths {
            let rows: Vec<PackageRow> =
                sqlx::query_as("SELECT * FROM repo_index_packages WHERE env_path = $1 ORDER BY package")
                    .bind(env)
                    .fetch_all(self.pool())
                    .await?;
            out.extend(rows.into_iter().map(PackageRow::into_indexed));
        }
        Ok(out)
    }

    /// Unacknowledged hand-made commits per environment path, newest first.
    pub async fn indexed_drift(&self) -> Result<HashMap<String, Vec<IndexedDrift>>> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT env_path, commit_id, time, author, summary FROM repo_index_drift ORDER BY env_path, position DESC",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out: HashMap<String, Vec<IndexedDrift>> = HashMap::new();
        for (env, commit, time, author, summary) in rows {
            out.entry(env).or_default().push(IndexedDrift {
                commit,
                time,
                author,
                summary,
            });
        }
        Ok(out)
    }

    /// An acknowledgement at the indexed head clears the environment's drift.
    pub async fn clear_indexed_drift(&self, env_path: &str, at_head: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let current: Option<(String,)> = sqlx::query_as("SELECT commit_id FROM repo_index_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        if current.map(|c| c.0).as_deref() == Some(at_head) {
            sqlx::query("DELETE FROM repo_index_drift WHERE env_path = $1")
                .bind(env_path)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every acknowledged commit per environment name.
    pub async fn all_drift_acks(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT environment, commit_id FROM drift_acks ORDER BY id")
                .fetch_all(self.pool())
                .await?,
        )
    }
}

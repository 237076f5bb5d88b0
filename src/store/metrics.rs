//! The figures `/metrics` reads: deployments per environment and state,
//! and how long finished deployments ran. Read from the deployments table,
//! so deployments run by any process count.

use super::{Result, Store};

impl Store {
    /// (environment, state, deployments), every pair that occurs.
    pub async fn deployment_counts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT environment, state, COUNT(*) FROM deployments GROUP BY environment, state ORDER BY environment, state",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// (environment, started_at, finished_at) of every deployment that ran
    /// and ended.
    pub async fn deployment_runs(&self) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT environment, started_at, finished_at FROM deployments
             WHERE started_at IS NOT NULL AND finished_at IS NOT NULL AND state NOT IN ($1, $2)
             ORDER BY environment, id",
        )
        .bind("queued")
        .bind("running")
        .fetch_all(self.pool())
        .await?)
    }
}

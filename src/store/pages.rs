//! Reads for the package page and "my work": one package's deployments,
//! and the rounds waiting for a tester's verdict.

use sqlx::FromRow;

use super::deployments::Deployment;
use super::{Result, Store};
use crate::domain::stamp::Stamp;

/// An open sign-off link of a tester in a current round.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct WaitingSignoff {
    pub rfc_id: i64,
    pub title: String,
    pub environment: String,
    /// JSON {package: version}: what the round covers.
    pub versions: String,
    pub invited_at: Stamp,
    pub expires_at: Stamp,
}

impl Store {
    /// The newest `limit` deployments of one package, in any environment, newest first.
    pub async fn package_deployments(&self, package: &str, limit: i64) -> Result<Vec<Deployment>> {
        Ok(
            sqlx::query_as("SELECT * FROM deployments WHERE package = $1 ORDER BY id DESC LIMIT $2")
                .bind(package)
                .bind(limit)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// The tester's links without a verdict, not revoked, in rounds still
    /// running, oldest invitation first (expired ones included: the caller
    /// compares with its clock).
    pub async fn waiting_signoffs(&self, tester: &str) -> Result<Vec<WaitingSignoff>> {
        Ok(sqlx::query_as(
            "SELECT l.rfc_id, f.title, l.environment, r.versions, l.invited_at, l.expires_at
             FROM signoff_links l
             JOIN signoff_rounds r ON r.id = l.round_id
             JOIN rfcs f ON f.id = l.rfc_id
             WHERE l.tester = $1 AND l.used_at IS NULL AND l.revoked_at IS NULL AND r.ended_at IS NULL
             ORDER BY l.invited_at, l.id",
        )
        .bind(tester)
        .fetch_all(self.pool())
        .await?)
    }
}

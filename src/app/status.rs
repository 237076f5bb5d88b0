//! What is where: the status matrix of packages × environments.

use std::time::Duration;

use super::{App, Result};
use crate::domain::status::{self, DriftNote, StatusMatrix};

/// `dtap status` fetches a remote config repo first, every time: a status
/// read right after a push must show it. Measured on a file:// remote (debug
/// build, the demo's 30 commits): status 25-28 ms without a fetch, 34 ms with
/// one; over ssh or https a fetch costs a round trip more.
pub const STATUS_FETCH_WITHIN: Duration = Duration::ZERO;

/// The matrix, and how fresh the remote facts behind it are.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FreshStatus {
    #[serde(flatten)]
    pub matrix: StatusMatrix,
    /// Seconds since the cache of a remote config repo was fetched; null for a local repo.
    pub fetched_seconds_ago: Option<u64>,
}

impl App {
    pub async fn status(&self) -> Result<StatusMatrix> {
        // One refresh for both reads: the packages and the drift describe one head.
        self.refresh_index().await?;
        let found = self.read_indexed_state().await?;
        let mut m = status::matrix(&self.workspace.pipeline, &found);
        m.drift = self
            .read_drift()
            .await?
            .into_iter()
            .filter(|d| !d.commits.is_empty())
            .map(|d| DriftNote {
                environment: d.environment,
                commits: d.commits.into_iter().map(|c| c.commit).collect(),
            })
            .collect();
        Ok(m)
    }

    /// The status after fetching a remote config repo not fetched within
    /// `within` (`[repo] fresh_for` is for pages, which fetch less often).
    pub async fn fresh_status(&self, within: Duration) -> Result<FreshStatus> {
        let age = self.fetch_unless_within(within).await?;
        let matrix = self.status().await?;
        Ok(FreshStatus {
            matrix,
            fetched_seconds_ago: age.map(|a| a.as_secs()),
        })
    }
}

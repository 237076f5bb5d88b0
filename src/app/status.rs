//! What is where: the status matrix of packages × environments.

use super::{App, Result};
use crate::domain::status::{self, DriftNote, StatusMatrix};

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
}

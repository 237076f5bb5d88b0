//! What is where: the status matrix of packages × environments.

use super::{App, Result};
use crate::domain::status::{self, DriftNote, StatusMatrix};

impl App {
    pub async fn status(&self) -> Result<StatusMatrix> {
        let found = self.indexed_state().await?;
        let mut m = status::matrix(&self.workspace.pipeline, &found);
        m.drift = self
            .drift()
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

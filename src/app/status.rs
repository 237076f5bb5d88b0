//! What is where: the status matrix of packages × environments.

use super::{App, Result};
use crate::domain::status::{self, StatusMatrix};

impl App {
    pub async fn status(&self) -> Result<StatusMatrix> {
        let repo = self.repo.clone();
        let ws = self.workspace.clone();
        let snapshot = tokio::task::spawn_blocking(move || repo.snapshot(&ws.pipeline)).await??;
        Ok(status::matrix(&self.workspace.pipeline, &snapshot.environments))
    }
}

//! Which database and which config repo doctor looked at: after a restore,
//! the way to tell that the drill reads the backup and not the live system.

use super::{DoctorReport, Status, short};
use crate::app::{App, Result};

impl App {
    pub(super) async fn report_sources(&self, r: &mut DoctorReport) -> Result<()> {
        let config = &self.workspace().config;
        r.push(
            "database",
            Status::Info,
            format!("reading {}", config.database.url.redacted()),
            None,
        );
        let repo = self.repo.clone();
        let head = tokio::task::spawn_blocking(move || repo.head_id()).await??;
        let (branch, path) = (&config.repo.branch, self.repo.path().display());
        let message = match self.repo.remote() {
            Some(remote) => format!(
                "remote {} (cache {path}), branch {branch} at {}: fetched from and pushed to that server",
                remote.shown(),
                short(&head)
            ),
            None => format!(
                "local bare repository {path}, branch {branch} at {}: no [repo] url, nothing is fetched or pushed",
                short(&head)
            ),
        };
        r.push("config-repo", Status::Info, message, None);
        Ok(())
    }
}

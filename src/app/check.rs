//! `dtap check`: everything a workspace holds, validated without opening its
//! state: dtap.toml, environments, RFC templates, the matrix, and the mail
//! templates and release-notes templates it overrides.

use std::path::Path;

use super::Result;
use crate::domain::problem::Problem;
use crate::mail::templates::MailTemplates;
use crate::workspace::{CheckReport, Workspace};

pub async fn check(dir: &Path) -> Result<CheckReport> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<CheckReport> {
        let (ws, mut report) = Workspace::check(&dir, std::env::vars())?;
        for (file, message) in MailTemplates::load(&dir).problems(&dir) {
            report.problems.push(Problem::file(file, message));
        }
        for (file, message) in super::release_notes::problems(&dir) {
            report.problems.push(Problem::file(file, message));
        }
        // Overlapping packages in the config repo, when there is one to read.
        if let Some(ws) = ws {
            let repo = super::remote::repo_of(&ws);
            if repo.exists()
                && let Ok(o) = super::overlaps::overlaps_in(&repo, &ws.pipeline)
            {
                report.warnings = o.lines();
            }
        }
        Ok(report)
    })
    .await?
}

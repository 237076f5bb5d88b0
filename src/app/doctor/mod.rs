//! `dtap doctor`: do the database and the config repo agree? Each check says
//! what it found; with `repair` the safe repairs are made and reported.
//!
//! Without `repair` doctor writes nothing (not even a migration), so it is
//! safe to run beside a live server. Every repair is one a running dtap would
//! also make on its own (settling dead intents, refreshing the index, taking
//! back mail a stopped worker held) or one that only adds a fact git proves
//! (recording a commit that names a known intent as dtap's own). Doctor never
//! rewrites git history and never touches the audit trail.
//!
//! One module per check; this one holds the report and the order they run in.

mod audit;
mod branch;
mod deployments;
mod dtap_commits;
mod index;
mod intents;
mod locks;
mod migrations;
mod outbox;
mod sources;

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{App, Result};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check found nothing wrong.
    Ok,
    /// Worth knowing, nothing to do.
    Info,
    /// A disagreement left as it is.
    Problem,
    /// A disagreement doctor repaired.
    Repaired,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub repair: bool,
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    fn push(&mut self, check: &'static str, status: Status, message: String, remedy: Option<&str>) {
        self.findings.push(Finding {
            check,
            status,
            message,
            remedy: remedy.map(str::to_string),
        });
    }
}

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub repair: bool,
    /// A lock file in the config repo older than this is left by a crash.
    pub stale_lock: Duration,
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl App {
    /// Opens the workspace without migrating or reconciling anything, runs
    /// every check and, with `repair`, the safe repairs.
    pub async fn doctor(dir: &Path, opts: &DoctorOptions) -> Result<DoctorReport> {
        let workspace = super::load_workspace(dir).await?;
        let store = Store::open(&workspace.config, &workspace.dir, false).await?;
        store.refuse_newer().await?;
        let mut r = DoctorReport {
            repair: opts.repair,
            findings: Vec::new(),
        };
        if !migrations::check_migrations(&store, &mut r, opts.repair).await? {
            return Ok(r);
        }
        let repo = super::repo_of(&workspace);
        if !super::remote::ensure_cache(&repo).await? {
            return Err(crate::gitrepo::RepoError::Missing(repo.path().display().to_string()).into());
        }
        if repo.remote().is_some() {
            // Compare with the server's branch, not a cache that may lag.
            let r2 = repo.clone();
            tokio::task::spawn_blocking(move || r2.fetch(false)).await??;
        }
        let app = App::assemble(workspace, store, repo).await?;
        app.report_sources(&mut r).await?;
        app.check_locks(&mut r, opts).await?;
        app.check_dtap_commits(&mut r, opts.repair).await?;
        app.check_intents(&mut r, opts.repair).await?;
        app.check_index(&mut r, opts.repair).await?;
        app.check_outbox(&mut r, opts.repair).await?;
        app.check_deployments(&mut r, opts.repair).await?;
        app.check_audit(&mut r).await?;
        app.store.close().await;
        Ok(r)
    }
}

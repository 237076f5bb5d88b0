//! `dtap init`, and creating the state of a workspace that has none.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{AppError, Result, repo_of};
use crate::gitrepo::{EnvironmentFolder, Identity};
use crate::store::{NewAuditEvent, Origin, Store};
use crate::workspace::{Workspace, defaults};

#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub workspace: PathBuf,
    pub files: Vec<String>,
    pub created: Vec<String>,
}

/// Writes the default workspace into `dir` (created if missing) and creates
/// its state. Refuses when any of the files it would write exists.
pub async fn init_workspace(dir: &Path, by: &str) -> Result<InitReport> {
    let dir_buf = dir.to_path_buf();
    let files = tokio::task::spawn_blocking(move || write_defaults(&dir_buf)).await??;
    let workspace = {
        let d = dir.to_path_buf();
        tokio::task::spawn_blocking(move || Workspace::load(&d)).await??
    };
    let created = create_state(&workspace, by).await?;
    Ok(InitReport {
        workspace: dir.to_path_buf(),
        files,
        created,
    })
}

fn write_defaults(dir: &Path) -> Result<Vec<String>> {
    let mut all: Vec<(&str, &str)> = defaults::FILES.to_vec();
    all.push((".gitignore", defaults::GITIGNORE));
    // dtap.toml last: until it exists the folder is no workspace, so an
    // interrupted init can simply be run again.
    all.push((crate::config::FILE, defaults::DTAP_TOML));
    let existing: Vec<&str> = all
        .iter()
        .map(|(rel, _)| *rel)
        .filter(|rel| dir.join(rel).exists())
        .collect();
    if !existing.is_empty() {
        return Err(AppError::Conflict(format!(
            "{} already holds a workspace ({} exist); dtap init never overwrites. Use that workspace, or choose an empty folder",
            dir.display(),
            existing.join(", ")
        )));
    }
    for (rel, content) in &all {
        write_atomic(&dir.join(rel), content.as_bytes())
            .map_err(|e| AppError::Conflict(format!("cannot write {}: {e}", dir.join(rel).display())))?;
    }
    Ok(all.iter().map(|(rel, _)| rel.to_string()).collect())
}

/// Writes a file through a temporary sibling and a rename, so readers see the
/// old content or the new, never half.
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Creates what a workspace's state lacks: the database (migrated, with a
/// server secret) and the config repo. Returns one line per thing created.
pub async fn create_state(ws: &Workspace, by: &str) -> Result<Vec<String>> {
    let mut created = Vec::new();
    let db_existed = ws.config.sqlite_path(&ws.dir).is_some_and(|p| p.exists());
    let store = Store::open(&ws.config, &ws.dir, true).await?;
    let applied = store.migrate().await?;
    let secret_created = store.ensure_server_secret().await?;
    // SQLite: the file is new. PostgreSQL: its owner created the database,
    // dtap created the tables when the first migration was applied now.
    let shown = ws.config.database.url.redacted();
    if ws.config.sqlite_path(&ws.dir).is_some() && !db_existed {
        created.push(format!("database {shown}"));
    } else if applied.first() == Some(&1) {
        created.push(format!(
            "database tables in {shown} (migrations 1 to {})",
            applied.last().unwrap_or(&1)
        ));
    } else if !applied.is_empty() {
        created.push(format!("database migrations {applied:?}"));
    }
    let repo = repo_of(ws);
    if super::remote::ensure_cache(&repo).await?
        && let Some(r) = repo.remote()
    {
        created.push(format!(
            "cache clone of the config repo {} at {}",
            r.shown(),
            repo.path().display()
        ));
    }
    if !repo.exists() {
        let envs: Vec<(String, String, String)> = ws
            .pipeline
            .environments()
            .iter()
            .map(|e| (e.path.clone(), e.name.clone(), e.label.clone()))
            .collect();
        let identity = Identity::from_email(by);
        let r = repo.clone();
        let commit = tokio::task::spawn_blocking(move || {
            let folders: Vec<EnvironmentFolder<'_>> = envs
                .iter()
                .map(|(path, name, label)| EnvironmentFolder { path, name, label })
                .collect();
            r.create(&folders, &identity)
        })
        .await??;
        store.record_dtap_commit(&commit.to_string(), "init").await?;
        created.push(format!(
            "config repo {} (branch {}, first commit {})",
            repo.path().display(),
            ws.config.repo.branch,
            &commit.to_string()[..12]
        ));
        store
            .record(&NewAuditEvent {
                actor: by.to_string(),
                action: "workspace.init".into(),
                object: ws.dir.display().to_string(),
                outcome: "ok".into(),
                origin: Origin::Cli,
                detail: json!({ "repo_commit": commit.to_string(), "secret_created": secret_created }),
            })
            .await?;
    }
    store.close().await;
    Ok(created)
}

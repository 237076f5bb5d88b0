//! `dtap init`, and creating the state of a workspace that has none.

mod adopt;

use crate::msg;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::{AppError, Result, repo_of};
use crate::config;
use crate::gitrepo::{EnvironmentFolder, Identity};
use crate::store::{NewAuditEvent, Origin, Store};
use crate::workspace::{Workspace, defaults};

#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub workspace: PathBuf,
    pub files: Vec<String>,
    pub created: Vec<String>,
    /// Settings given by environment variables and written into dtap.toml.
    pub written_from_env: Vec<String>,
    /// With `--adopt`: the config repo's history, now known.
    pub adopted: Option<String>,
}

/// What `init` does with a config repo that already has history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingRepo {
    /// Use it as it is (a workspace whose state is being rebuilt: `serve`).
    Use,
    /// Refuse: another workspace may be using it (`init`).
    Refuse,
    /// Use it, and record its history as known, not drift (`init --adopt`).
    Adopt,
}

/// The top-level entries `init` creates; none may exist before.
const ENTRIES: &[&str] = &[
    ".dtap",
    ".gitignore",
    "access.yaml",
    "environments",
    "rfc-templates",
    crate::config::FILE,
];

/// Writes the default workspace into `dir` (created if missing) and creates
/// its state, all or nothing: everything is built in a temporary folder
/// inside `dir` and renamed into place at the end (dtap.toml last), so a
/// failure on the way (an unreachable remote, an unknown host key) leaves
/// `dir` as it was. Refuses when any entry it would write exists.
pub async fn init_workspace(dir: &Path, by: &str, existing: ExistingRepo) -> Result<InitReport> {
    let taken: Vec<&str> = ENTRIES.iter().copied().filter(|e| dir.join(e).exists()).collect();
    if !taken.is_empty() {
        return Err(AppError::Conflict(msg!(
            "{dir} already holds a workspace ({taken} exist); dtap init never overwrites. Use that workspace, or choose an empty folder",
            dir = dir.display(),
            taken = taken.join(", ")
        )));
    }
    let dir_existed = dir.exists();
    remove_dead_builds(dir);
    let tmp = dir.join(format!("{BUILD_PREFIX}{}", std::process::id()));
    let built = build(dir, &tmp, by, existing).await;
    let moved = match built {
        Ok(report) => {
            let t = tmp.clone();
            let d = dir.to_path_buf();
            match tokio::task::spawn_blocking(move || move_into_place(&t, &d)).await {
                Ok(Ok(())) => Ok(report),
                Ok(Err(e)) => Err(AppError::Conflict(msg!(
                    "cannot move the new workspace from {tmp} into {dir}: {error}",
                    tmp = tmp.display(),
                    dir = dir.display(),
                    error = e
                ))),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e),
    };
    if moved.is_err() {
        let _ = fs::remove_dir_all(&tmp);
        if !dir_existed {
            // Only when empty: never anything someone else put there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
    moved
}

/// The temporary folder an init builds in is named this and its process id.
const BUILD_PREFIX: &str = ".dtap-init-";

/// Removes what an init killed on the way (SIGKILL, power) left in `dir`:
/// build folders of processes that no longer run. Only where /proc tells.
fn remove_dead_builds(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(BUILD_PREFIX)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

async fn build(dir: &Path, tmp: &Path, by: &str, existing: ExistingRepo) -> Result<InitReport> {
    let t = tmp.to_path_buf();
    let (files, written_from_env) = tokio::task::spawn_blocking(move || write_defaults(&t, std::env::vars())).await??;
    let workspace = {
        let t = tmp.to_path_buf();
        tokio::task::spawn_blocking(move || Workspace::load(&t)).await??
    };
    let mut adopted = None;
    let created = create_state_as(&workspace, by, dir, existing, &mut adopted).await?;
    Ok(InitReport {
        workspace: dir.to_path_buf(),
        files,
        created,
        written_from_env,
        adopted,
    })
}

/// Renames every entry of `tmp` into `dir`, dtap.toml last (until it is
/// there the folder is no workspace), then removes `tmp`.
fn move_into_place(tmp: &Path, dir: &Path) -> std::io::Result<()> {
    for entry in ENTRIES {
        let from = tmp.join(entry);
        if from.exists() {
            fs::rename(&from, dir.join(entry))?;
        }
    }
    fs::remove_dir_all(tmp)
}

/// The default files in `dir`. `[repo]` settings given as `DTAP_REPO_*`
/// variables are written into dtap.toml, so the workspace keeps using the
/// config repo it was created with; returns them as `repo.url from DTAP_REPO_URL`.
fn write_defaults(dir: &Path, vars: impl IntoIterator<Item = (String, String)>) -> Result<(Vec<String>, Vec<String>)> {
    if dir.exists() {
        let _ = fs::remove_dir_all(dir);
    }
    let mut toml = defaults::DTAP_TOML.to_string();
    let mut from_env = Vec::new();
    let mut vars: Vec<(String, String)> = vars.into_iter().collect();
    vars.sort();
    for (var, value) in vars {
        let Some(key) = var.strip_prefix("DTAP_REPO_").map(str::to_ascii_lowercase) else {
            continue;
        };
        if config::edit::split_key(&format!("repo.{key}")).is_err() {
            continue;
        }
        toml = config::edit::set_in(&toml, "repo", &key, &value)
            .map_err(|e| AppError::Internal(format!("cannot write {var} into dtap.toml: {e}")))?;
        from_env.push(format!("repo.{key} from {var}"));
    }
    let mut all: Vec<(&str, &str)> = defaults::FILES.to_vec();
    all.push((".gitignore", defaults::GITIGNORE));
    all.push((config::FILE, &toml));
    for (rel, content) in &all {
        write_atomic(&dir.join(rel), content.as_bytes()).map_err(|e| {
            AppError::Conflict(msg!(
                "cannot write {path}: {error}",
                path = dir.join(rel).display(),
                error = e
            ))
        })?;
    }
    Ok((all.iter().map(|(rel, _)| rel.to_string()).collect(), from_env))
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
    create_state_as(ws, by, &ws.dir, ExistingRepo::Use, &mut None).await
}

/// As `create_state`, for the workspace that will be at `shown` (init builds
/// it elsewhere first), doing with a config repo that has history what
/// `existing` says.
async fn create_state_as(
    ws: &Workspace,
    by: &str,
    shown: &Path,
    existing: ExistingRepo,
    adopted: &mut Option<String>,
) -> Result<Vec<String>> {
    let mut created = Vec::new();
    let db_existed = ws.config.sqlite_path(&ws.dir).is_some_and(|p| p.exists());
    let store = Store::open(&ws.config, &ws.dir, true).await?;
    let applied = store.migrate().await?;
    let secret_created = store.ensure_server_secret().await?;
    // SQLite: the file is new. PostgreSQL: its owner created the database,
    // dtap created the tables when the first migration was applied now.
    let database = ws.config.database.url.redacted();
    if ws.config.sqlite_path(&ws.dir).is_some() && !db_existed {
        created.push(format!("database {database}"));
    } else if applied.first() == Some(&1) {
        created.push(format!(
            "database tables in {database} (migrations 1 to {})",
            applied.last().unwrap_or(&1)
        ));
    } else if !applied.is_empty() {
        created.push(format!("database migrations {applied:?}"));
    }
    let facts = Facts {
        by,
        shown,
        existing,
        secret_created,
    };
    let result = create_repo(ws, &store, &facts, &mut created, adopted).await;
    store.close().await;
    result.map(|()| created)
}

/// Who creates the state, for which folder, and what is known so far.
struct Facts<'a> {
    by: &'a str,
    shown: &'a Path,
    existing: ExistingRepo,
    secret_created: bool,
}

async fn create_repo(
    ws: &Workspace,
    store: &Store,
    facts: &Facts<'_>,
    created: &mut Vec<String>,
    adopted: &mut Option<String>,
) -> Result<()> {
    let Facts {
        by,
        shown,
        existing,
        secret_created,
    } = *facts;
    let repo = repo_of(ws);
    if super::remote::ensure_cache(&repo).await?
        && let Some(r) = repo.remote()
    {
        created.push(format!(
            "cache clone of the config repo {} at {}",
            r.shown(),
            shown_path(ws, shown, repo.path())
        ));
    }
    // For init, a repo there now has history of its own: it is in use.
    if repo.exists() {
        match existing {
            ExistingRepo::Use => {}
            ExistingRepo::Refuse => return Err(in_use(&repo, &ws.config.repo.branch)),
            ExistingRepo::Adopt => *adopted = Some(adopt::adopt(store, &repo, by, shown).await?),
        }
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
            shown_path(ws, shown, repo.path()),
            ws.config.repo.branch,
            &commit.to_string()[..12]
        ));
        store
            .record(&NewAuditEvent {
                actor: by.to_string(),
                action: "workspace.init".into(),
                object: shown.display().to_string(),
                outcome: "ok".into(),
                origin: Origin::Cli,
                detail: json!({ "repo_commit": commit.to_string(), "secret_created": secret_created }),
            })
            .await?;
    }
    Ok(())
}

/// `path` inside the workspace being built, as it will be once in place.
fn shown_path(ws: &Workspace, shown: &Path, path: &Path) -> String {
    match path.strip_prefix(&ws.dir) {
        Ok(rel) => shown.join(rel).display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// The refusal to start a workspace on a config repo that has history.
fn in_use(repo: &crate::gitrepo::ConfigRepo, branch: &str) -> AppError {
    let place = repo
        .remote()
        .map_or_else(|| repo.path().display().to_string(), |r| r.shown().to_string());
    AppError::refused(msg!(
        "the config repo {place} already has history on branch {branch}: another workspace may use it. \
         `dtap init --adopt` joins it (its history counts as known, not as drift); or name an empty repository",
        place,
        branch
    ))
}

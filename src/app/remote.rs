//! The remote config repo seen from the use cases: when the cache is fetched.
//! Writes (promote, rollback) fetch first and fail when the remote cannot be
//! reached; reads fetch when the cache is older than `[repo] fresh_for` and
//! fall back to the cache, with a warning, when the fetch fails.
//! How far a fetch got is told to the watcher the front end registered, if
//! any: the CLI draws a bar, `serve` registers none.

use super::{App, Result};
use crate::config::Config;
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::remote::RemoteSpec;
use crate::workspace::Workspace;

/// For the front ends, which show transfers but need not know gitrepo.
pub use crate::gitrepo::progress::{Progress, Watcher};

impl App {
    /// Fetches the cache of a remote config repo: always when `force`, else
    /// only when it is stale. Nothing for a local repo.
    pub async fn sync_repo(&self, force: bool) -> Result<()> {
        if self.repo.remote().is_none() || !(force || self.repo.is_stale()) {
            return Ok(());
        }
        let repo = self.repo.clone();
        match tokio::task::spawn_blocking(move || repo.fetch(!force)).await? {
            Ok(()) => Ok(()),
            Err(e) if !force => {
                tracing::warn!(error = %e, "showing the config repo as last fetched: the fetch failed");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

static WATCHER: std::sync::OnceLock<Watcher> = std::sync::OnceLock::new();

/// Tells `watcher` how transfers with a remote config repo go, for every
/// workspace this process opens from now on. Registered once, by the front
/// end, before it opens one: the workspace's first command clones the cache
/// while it opens, before any `App` exists to hand a watcher to.
pub fn watch_transfers(watcher: Watcher) {
    let _ = WATCHER.set(watcher);
}

/// The config repo of a workspace: local, or the cache of `[repo] url`.
pub(crate) fn repo_of(ws: &Workspace) -> ConfigRepo {
    let c = &ws.config;
    let mut repo = ConfigRepo::new(c.repo_path(&ws.dir), c.repo.branch.clone());
    if let Some(w) = WATCHER.get() {
        repo = repo.with_progress(w.clone());
    }
    match c.remote_url() {
        Some(url) => repo.with_remote(RemoteSpec {
            url,
            allowed_hosts: c.allowed_hosts(),
            token_env: c.repo.token_env.clone(),
            ssh_key: c.repo.ssh_key.as_deref().map(|k| Config::resolve_home(&ws.dir, k)),
            known_hosts: Config::resolve_home(&ws.dir, &c.repo.known_hosts),
            ca_file: c.repo.ca_file.as_deref().map(|f| Config::resolve_home(&ws.dir, f)),
            fresh_for: c.repo.fresh_for,
        }),
        None => repo,
    }
}

/// Makes the cache clone of a remote config repo when it is missing.
/// `false` when the remote has no branch yet.
pub(crate) async fn ensure_cache(repo: &ConfigRepo) -> Result<bool> {
    if repo.remote().is_none() || repo.exists() {
        return Ok(repo.exists());
    }
    let r = repo.clone();
    Ok(tokio::task::spawn_blocking(move || r.clone_cache()).await??)
}

impl App {
    /// Fetches the cache of a remote config repo unless it was fetched within
    /// `within`; a failed fetch leaves the cache as it was, with a warning.
    /// How long ago the cache was fetched, afterwards; `None` for a local repo.
    pub async fn fetch_unless_within(&self, within: std::time::Duration) -> Result<Option<std::time::Duration>> {
        if self.repo.remote().is_none() {
            return Ok(None);
        }
        if self.fetch_age().is_none_or(|age| age >= within) {
            let repo = self.repo.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || repo.fetch(false)).await? {
                tracing::warn!(error = %e, "showing the config repo as last fetched: the fetch failed");
            }
        }
        Ok(self.fetch_age())
    }

    fn fetch_age(&self) -> Option<std::time::Duration> {
        let at = self.repo.last_fetch()?;
        Some(std::time::SystemTime::now().duration_since(at).unwrap_or_default())
    }
}

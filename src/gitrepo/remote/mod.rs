//! A remote config repo (`[repo] url`): dtap works on a local bare cache
//! clone, fetches it from the remote, and pushes every commit it makes with
//! the expected old value of the branch (a push with lease). The push is the
//! point of truth: the cache's branch moves only after the server accepted it.
//!
//! Credentials come from an SSH key file or the ssh-agent, or for https from
//! a token in the environment variable `[repo] token_env` names; they are
//! never logged. SSH host keys are checked against a known_hosts file and
//! every host dtap connects to must be allowed (https follows no redirects).
//!
//! ssh, git:// and file:// go through libgit2; https through the system
//! `git` program (https.rs), which keeps TLS start-up out of every command
//! that never touches the network. fetch.rs brings the branch in (and clones
//! the cache), push.rs sends a commit out with the lease, auth.rs answers the
//! server's questions (credentials, host checks) for libgit2 and
//! known_hosts.rs checks SSH host keys. This module holds how to reach the
//! remote and when the cache was last fetched.

mod auth;
mod fetch;
mod https;
mod known_hosts;
mod push;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::ConfigRepo;
use crate::domain::remote_url::RemoteUrl;

pub use known_hosts::check_host_key;

/// How dtap reaches the remote config repo.
#[derive(Debug, Clone)]
pub struct RemoteSpec {
    pub url: RemoteUrl,
    /// Lower-cased host names dtap may connect to.
    pub allowed_hosts: Vec<String>,
    pub token_env: Option<String>,
    pub ssh_key: Option<PathBuf>,
    pub known_hosts: PathBuf,
    /// https: the CA certificates (PEM) to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    pub fresh_for: Duration,
}

impl RemoteSpec {
    /// The URL for messages: never holds a secret (passwords are refused at parse).
    pub fn shown(&self) -> &str {
        &self.url.text
    }
}

/// The file in the cache that records when it was last fetched (Unix milliseconds).
const STAMP: &str = "dtap-fetched-at";

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn write_stamp(repo_dir: &Path) {
    let _ = std::fs::write(repo_dir.join(STAMP), now_millis().to_string());
}

impl ConfigRepo {
    pub fn with_remote(mut self, spec: RemoteSpec) -> ConfigRepo {
        self.remote = Some(std::sync::Arc::new(spec));
        self
    }

    pub fn remote(&self) -> Option<&RemoteSpec> {
        self.remote.as_deref()
    }

    /// One transfer at a time per process on the cache.
    fn transfer_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.transfer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the cache was last fetched, if ever.
    pub fn last_fetch(&self) -> Option<SystemTime> {
        let text = std::fs::read_to_string(self.path.join(STAMP)).ok()?;
        let millis: u64 = text.trim().parse().ok()?;
        Some(UNIX_EPOCH + Duration::from_millis(millis))
    }

    /// Is the cache older than `[repo] fresh_for`? Never for a local repo.
    pub fn is_stale(&self) -> bool {
        let Some(spec) = self.remote() else { return false };
        self.last_fetch()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_none_or(|age| age >= spec.fresh_for)
    }
}

//! The config repo through git2: one folder per environment, one subfolder
//! per package. Everything here is blocking; async callers use
//! `spawn_blocking`.

pub mod anchors;
pub mod drift;
pub mod files;
pub mod history;
pub mod index;
pub mod live;
pub mod packages;
pub mod progress;
pub mod read;
pub mod remote;
pub mod safety;
pub mod write;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, RepositoryInitOptions, Signature};

pub use read::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("the config repo does not exist at {0}: run `dtap serve` or `dtap init` to create it")]
    Missing(String),
    #[error("the config repo at {path} has no branch `{branch}`: check [repo] branch in dtap.toml")]
    NoBranch { path: String, branch: String },
    #[error("{0} already exists; dtap will not overwrite it")]
    Exists(String),
    #[error("cannot write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(
        "the config repo at {url} could not be reached: {message}. Check the address in [repo] url, the network and the credentials"
    )]
    Remote { url: String, message: String },
    #[error(
        "the git server at {url} refused the update of branch {branch}: {reason}. Nothing was changed; fix the cause on the server (its hooks, branch protection or permissions) and try again"
    )]
    PushRejected {
        url: String,
        branch: String,
        reason: String,
    },
    #[error(
        "the push to {url} broke off ({reason}) and the server could not be asked whether it landed ({fetch}); dtap settles it on its next run once the server answers"
    )]
    PushUnknown { url: String, reason: String, fetch: String },
    #[error("authentication to {host} failed: {hint}")]
    Auth { host: String, hint: String },
    #[error(
        "dtap may not connect to `{host}`: it is not in [repo] allowed_hosts. Add it there if this server is trusted"
    )]
    HostNotAllowed { host: String },
    #[error(
        "the SSH host key of {host} is not in {known_hosts}: compare `{keyscan}` with the key the server's admin gives you, then append that line to {known_hosts}"
    )]
    UnknownHost {
        host: String,
        known_hosts: String,
        keyscan: String,
    },
    #[error(
        "the SSH host key of {host} does not match the one in {known_hosts}: the server may be impersonated, or its key changed. Ask its admin before replacing the line"
    )]
    HostKeyMismatch { host: String, known_hosts: String },
    #[error("the TLS certificate of {host} is not trusted ({detail}): {fix}")]
    UntrustedCertificate { host: String, detail: String, fix: String },
    #[error(
        "an https:// config repo needs the `git` program, which was not found on PATH: install git (e.g. apt-get install git)"
    )]
    GitProgramMissing,
}

impl RepoError {
    /// True when a push certainly did not land (the server refused or was never reached).
    pub fn not_pushed(&self) -> bool {
        matches!(
            self,
            RepoError::PushRejected { .. }
                | RepoError::Remote { .. }
                | RepoError::Auth { .. }
                | RepoError::HostNotAllowed { .. }
                | RepoError::UnknownHost { .. }
                | RepoError::HostKeyMismatch { .. }
                | RepoError::UntrustedCertificate { .. }
                | RepoError::GitProgramMissing
        )
    }
}

pub type Result<T, E = RepoError> = std::result::Result<T, E>;

/// Who a commit is by: a name and an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

impl Identity {
    pub fn from_email(email: &str) -> Identity {
        let name = email.split('@').next().unwrap_or(email).to_string();
        Identity {
            name,
            email: email.to_string(),
        }
    }

    fn signature(&self) -> Result<Signature<'static>> {
        Ok(Signature::now(&self.name, &self.email)?)
    }
}

/// One environment folder to create at init.
pub struct EnvironmentFolder<'a> {
    pub path: &'a str,
    pub name: &'a str,
    pub label: &'a str,
}

/// The config repo dtap reads and writes: a local bare repository, or the
/// local cache clone of a remote one (see [`remote`]).
#[derive(Debug, Clone)]
pub struct ConfigRepo {
    path: PathBuf,
    branch: String,
    remote: Option<std::sync::Arc<remote::RemoteSpec>>,
    /// Serializes fetches and pushes on the cache within this process.
    transfer: std::sync::Arc<std::sync::Mutex<()>>,
    /// Told how fetches from the remote go; nobody by default.
    progress: Option<progress::Watcher>,
}

impl ConfigRepo {
    pub fn new(path: PathBuf, branch: String) -> ConfigRepo {
        ConfigRepo {
            path,
            branch,
            remote: None,
            transfer: Default::default(),
            progress: None,
        }
    }

    /// Tells `watcher` how transfers with the remote go.
    pub fn with_progress(mut self, watcher: progress::Watcher) -> ConfigRepo {
        self.progress = Some(watcher);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    pub fn exists(&self) -> bool {
        Repository::open_bare(&self.path).is_ok()
    }

    pub fn open(&self) -> Result<Repository> {
        if !self.path.exists() {
            return Err(RepoError::Missing(self.path.display().to_string()));
        }
        Ok(Repository::open_bare(&self.path)?)
    }

    /// The branch head, or an error naming the branch when it is missing.
    pub fn head(&self, repo: &Repository) -> Result<Oid> {
        repo.refname_to_id(&self.branch_ref()).map_err(|_| RepoError::NoBranch {
            path: self.path.display().to_string(),
            branch: self.branch.clone(),
        })
    }

    /// Creates the bare repo with HEAD on the branch and a first commit holding
    /// one folder per environment. Built beside the target and renamed into
    /// place, so a crash never leaves half a repository.
    pub fn create(&self, environments: &[EnvironmentFolder<'_>], by: &Identity) -> Result<Oid> {
        if self.path.exists() {
            return Err(RepoError::Exists(self.path.display().to_string()));
        }
        let tmp = self.scratch_path()?;
        let mut opts = RepositoryInitOptions::new();
        opts.bare(true).initial_head(&self.branch_ref()).mkpath(true);
        let commit = {
            let repo = Repository::init_opts(&tmp, &opts)?;
            let mut root = repo.treebuilder(None)?;
            for env in environments {
                let readme = format!(
                    "# {label} ({name})\n\nEach folder here is a package deployed to {label}: `<package>/package.yaml` plus its files.\nPromotions are made by dtap; a change made by hand here is drift.\n",
                    label = env.label,
                    name = env.name
                );
                let blob = repo.blob(readme.as_bytes())?;
                let mut folder = repo.treebuilder(None)?;
                folder.insert("README.md", blob, 0o100644)?;
                let tree = folder.write()?;
                root.insert(env.path, tree, 0o040000)?;
            }
            let tree = repo.find_tree(root.write()?)?;
            let sig = by.signature()?;
            let names: Vec<&str> = environments.iter().map(|e| e.name).collect();
            let message = format!(
                "Initialize the config repo\n\nOne folder per environment: {}.\n\nDtap-Action: init\nDtap-Environments: {}\nDtap-By: {}\n",
                names.join(", "),
                names.join(", "),
                by.email
            );
            // The chain is empty when the repo is made: its anchor is the genesis.
            let message = write::anchored(&message, &crate::domain::anchor::AuditHead::genesis());
            if self.remote.is_some() {
                // A remote repo gets its first commit by a push that expects no branch there.
                let c = repo.commit(None, &sig, &sig, &message, &tree, &[])?;
                match self.push_cas(&repo, None, c) {
                    Ok(write::CasOutcome::Committed(c)) => c,
                    Ok(write::CasOutcome::Moved) => {
                        let _ = std::fs::remove_dir_all(&tmp);
                        return Err(RepoError::Exists(format!(
                            "branch {} on {}",
                            self.branch,
                            self.remote.as_ref().map_or("", |r| r.shown())
                        )));
                    }
                    Err(e) => {
                        let _ = std::fs::remove_dir_all(&tmp);
                        return Err(e);
                    }
                }
            } else {
                repo.commit(Some(&self.branch_ref()), &sig, &sig, &message, &tree, &[])?
            }
        };
        std::fs::rename(&tmp, &self.path).map_err(|source| RepoError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        Ok(commit)
    }
}

/// Formats a git time as RFC 3339 in UTC.
pub fn format_time(t: git2::Time) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.seconds())
        .ok()
        .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

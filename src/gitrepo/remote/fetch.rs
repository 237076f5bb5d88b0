//! Bringing the remote's branch into the cache: a fetch, or the first clone of
//! the cache itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{AutotagOption, FetchOptions, Repository, RepositoryInitOptions};

use super::auth::{Trouble, callbacks};
use super::{RemoteSpec, write_stamp};
use crate::domain::remote_url::Scheme;
use crate::gitrepo::progress::Progress;
use crate::gitrepo::{ConfigRepo, RepoError, Result};

impl ConfigRepo {
    /// Fetches the branch from the remote into the cache (forced: the remote
    /// is the truth). Does nothing for a local repo. With `only_if_stale`,
    /// nothing either when another request fetched while this one waited.
    pub fn fetch(&self, only_if_stale: bool) -> Result<()> {
        let Some(spec) = self.remote() else { return Ok(()) };
        let _one = self.transfer_lock();
        if only_if_stale && !self.is_stale() {
            return Ok(());
        }
        let git = self.open()?;
        self.fetch_into(&git, spec)?;
        write_stamp(&self.path);
        Ok(())
    }

    pub(super) fn fetch_into(&self, git: &Repository, spec: &RemoteSpec) -> Result<()> {
        if spec.url.scheme == Scheme::Https {
            let watcher = self.progress.as_ref();
            if let Some(w) = watcher {
                w.tell(Progress::Started("fetching the config repo"));
            }
            let fetched = super::https::fetch(spec, git.path(), &self.branch_ref());
            if let Some(w) = watcher {
                w.tell(Progress::Finished);
            }
            return fetched;
        }
        let refspec = format!("+{b}:{b}", b = self.branch_ref());
        let mut tries = 0;
        loop {
            let trouble = Trouble::default();
            let watcher = self.progress.as_ref();
            if let Some(w) = watcher {
                w.tell(Progress::Started("fetching the config repo"));
            }
            let mut options = FetchOptions::new();
            options
                .remote_callbacks(callbacks(spec, &trouble, watcher))
                .download_tags(AutotagOption::None)
                .update_fetchhead(false);
            let mut remote = git.remote_anonymous(&spec.url.text)?;
            let result = remote.fetch(&[&refspec], Some(&mut options), Some("dtap: fetch"));
            drop(options);
            if let Some(w) = watcher {
                w.tell(Progress::Finished);
            }
            match result {
                Ok(()) => return Ok(()),
                // Another process updates the same ref this instant: its fetch serves us too.
                Err(e) if e.code() == git2::ErrorCode::Locked && tries < 5 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20 * tries));
                }
                Err(e) => return Err(trouble.explain(spec, "fetch", e)),
            }
        }
    }

    /// Creates the cache by fetching the remote, built beside its place and
    /// renamed into it. `false` (and nothing created) when the remote has no
    /// branch yet.
    pub fn clone_cache(&self) -> Result<bool> {
        let Some(spec) = self.remote() else { return Ok(false) };
        let _one = self.transfer_lock();
        let tmp = self.scratch_path()?;
        let mut opts = RepositoryInitOptions::new();
        opts.bare(true).initial_head(&self.branch_ref()).mkpath(true);
        let found = {
            let git = Repository::init_opts(&tmp, &opts)?;
            let fetched = self.fetch_into(&git, spec);
            if let Err(e) = fetched {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
            git.refname_to_id(&self.branch_ref()).is_ok()
        };
        if !found {
            let _ = std::fs::remove_dir_all(&tmp);
            return Ok(false);
        }
        write_stamp(&tmp);
        if let Err(source) = std::fs::rename(&tmp, &self.path) {
            let _ = std::fs::remove_dir_all(&tmp);
            // Another process (a second command started at the same moment)
            // made the cache first: theirs is as good as ours.
            if self.path.join("HEAD").exists() {
                return Ok(true);
            }
            return Err(RepoError::Io {
                path: self.path.display().to_string(),
                source,
            });
        }
        Ok(true)
    }

    /// A fresh temporary folder beside the repo, for building it before a rename.
    pub(crate) fn scratch_path(&self) -> Result<PathBuf> {
        let parent = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| RepoError::Io {
            path: parent.display().to_string(),
            source,
        })?;
        let tmp = parent.join(format!(
            ".{}.tmp-{}",
            self.path.file_name().and_then(|n| n.to_str()).unwrap_or("config.git"),
            std::process::id()
        ));
        if tmp.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Ok(tmp)
    }
}

//! Pushing a commit with a lease: the server's branch moves only if it still
//! holds the expected value, and the cache's branch follows only after that.

use std::cell::{Cell, RefCell};

use git2::{Direction, Oid, PushOptions, Repository};

use super::auth::{Trouble, callbacks};
use super::{RemoteSpec, write_stamp};
use crate::domain::remote_url::Scheme;
use crate::gitrepo::write::CasOutcome;
use crate::gitrepo::{ConfigRepo, RepoError, Result};

/// The result of one push attempt, before the server is asked where the branch is.
pub(super) enum Attempt {
    Pushed,
    /// The branch on the server did not hold the expected value.
    LeaseBroken,
    /// The server refused the update, or the transfer broke off.
    NotPushed(String),
}

impl ConfigRepo {
    /// Pushes `commit` to the remote branch only if the branch there still
    /// holds `expected` (`None`: the branch must not exist), then moves the
    /// cache's branch. `Moved` (after a fetch) when the server's branch had
    /// moved on; `PushRejected` when the server refused for another reason.
    pub(crate) fn push_cas(&self, git: &Repository, expected: Option<Oid>, commit: Oid) -> Result<CasOutcome> {
        let Some(spec) = self.remote() else {
            return Err(RepoError::Git(git2::Error::from_str("push without a remote")));
        };
        let _one = self.transfer_lock();
        // libgit2 pushes references, not bare commits: name it for the push.
        let temp = format!("refs/dtap/push/{commit}");
        git.reference(&temp, commit, true, "dtap: push")?;
        let attempt = self.push_once(git, spec, &temp, expected);
        if let Ok(mut r) = git.find_reference(&temp) {
            let _ = r.delete();
        }
        let reason = match attempt? {
            Attempt::Pushed => {
                self.set_cache_branch(git, expected, commit)?;
                write_stamp(&self.path);
                return Ok(CasOutcome::Committed(commit));
            }
            Attempt::LeaseBroken => None,
            Attempt::NotPushed(reason) => Some(reason),
        };
        // Where is the branch now? Only the server can say.
        self.fetch_into(git, spec).map_err(|e| RepoError::PushUnknown {
            url: spec.shown().to_string(),
            reason: reason.clone().unwrap_or_default(),
            fetch: e.to_string(),
        })?;
        write_stamp(&self.path);
        let tip = git.refname_to_id(&self.branch_ref()).ok();
        if tip == Some(commit) {
            return Ok(CasOutcome::Committed(commit));
        }
        if tip != expected {
            return Ok(CasOutcome::Moved);
        }
        Err(RepoError::PushRejected {
            url: spec.shown().to_string(),
            branch: self.branch.clone(),
            reason: reason.unwrap_or_else(|| "no reason given".into()),
        })
    }

    fn push_once(&self, git: &Repository, spec: &RemoteSpec, temp: &str, expected: Option<Oid>) -> Result<Attempt> {
        let branch = self.branch_ref();
        if spec.url.scheme == Scheme::Https {
            return super::https::push(spec, git.path(), temp, &branch, expected);
        }
        let mut remote = git.remote_anonymous(&spec.url.text)?;
        let trouble = Trouble::default();
        // Connect first: a failure here means nothing was sent.
        let mut conn = remote
            .connect_auth(Direction::Push, Some(callbacks(spec, &trouble, None)), None)
            .map_err(|e| trouble.explain(spec, "connect", e))?;
        let lease_broken = Cell::new(false);
        let status: RefCell<Option<String>> = RefCell::new(None);
        let said = RefCell::new(String::new());
        let mut cb = callbacks(spec, &trouble, None);
        cb.push_negotiation(|updates| {
            for u in updates {
                if u.dst_refname().ok() == Some(branch.as_str()) && u.src() != expected.unwrap_or(Oid::ZERO_SHA1) {
                    lease_broken.set(true);
                    return Err(git2::Error::from_str("the branch on the server moved on"));
                }
            }
            Ok(())
        });
        cb.push_update_reference(|name, st| {
            if let Some(s) = st
                && name == branch
            {
                *status.borrow_mut() = Some(s.to_string());
            }
            Ok(())
        });
        // What the server's hooks print ("remote: ..."), for the error message.
        cb.sideband_progress(|bytes| {
            let mut s = said.borrow_mut();
            if s.len() < 4000 {
                s.push_str(&String::from_utf8_lossy(bytes));
            }
            true
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(cb);
        let result = conn.remote().push(&[format!("{temp}:{branch}")], Some(&mut options));
        drop(options);
        drop(conn);
        if lease_broken.get() {
            return Ok(Attempt::LeaseBroken);
        }
        if let Some(e) = trouble.error.borrow_mut().take() {
            return Err(e);
        }
        let server_said = server_words(&said.borrow());
        let with_output = |reason: String| {
            if server_said.is_empty() {
                reason
            } else {
                format!("{reason} (the server said: {server_said})")
            }
        };
        Ok(match (result, status.take()) {
            (Ok(()), None) => Attempt::Pushed,
            (Ok(()), Some(s)) => Attempt::NotPushed(with_output(printable(&s))),
            (Err(e), _) => Attempt::NotPushed(with_output(e.message().to_string())),
        })
    }

    /// After a successful push: the cache's branch follows the server's.
    fn set_cache_branch(&self, git: &Repository, expected: Option<Oid>, commit: Oid) -> Result<()> {
        let branch = self.branch_ref();
        let moved = match expected {
            Some(e) => git.reference_matching(&branch, commit, true, e, "dtap: pushed"),
            None => git.reference(&branch, commit, false, "dtap: pushed"),
        };
        if moved.is_err() {
            // A fetch ran meanwhile; keep what it brought if it already holds the commit.
            let now = git.refname_to_id(&branch).ok();
            let holds = now.is_some_and(|n| n == commit || git.graph_descendant_of(n, commit).unwrap_or(false));
            if !holds {
                git.reference(&branch, commit, true, "dtap: pushed")?;
            }
        }
        Ok(())
    }
}

/// The server's words go to a terminal: no escape sequences.
fn printable(t: &str) -> String {
    t.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// What the server's hooks printed ("remote: ..." lines), on one line.
pub(super) fn server_words(said: &str) -> String {
    said.lines()
        .map(printable)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

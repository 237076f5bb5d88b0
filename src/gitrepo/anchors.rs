//! The audit chain's anchors in the config repo: reading every
//! `Dtap-Audit-Head` trailer of dtap's commits, and the empty commit that
//! anchors the chain when nothing else was committed for a while.

use super::history::{is_dtap, trailer, trailers};
use super::write::{CasOutcome, message};
use super::{ConfigRepo, Identity, RepoError, Result};
use crate::domain::anchor::{Anchor, AuditHead, TRAILER};
use crate::domain::stamp::Stamp;

impl ConfigRepo {
    /// Every anchor on the branch (all parents), oldest first. Only dtap's
    /// own commits (with `Dtap-Action`) count: a hand-made commit's trailer
    /// witnesses nothing.
    pub fn audit_anchors(&self) -> Result<Vec<Anchor>> {
        let repo = self.open()?;
        let mut walk = repo.revwalk()?;
        walk.push(self.head(&repo)?)?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)?;
        let mut anchors = Vec::new();
        for id in walk {
            let commit = repo.find_commit(id?)?;
            let text = commit.message().unwrap_or("");
            if !is_dtap(text) {
                continue;
            }
            let t = trailers(text);
            let Some(head) = trailer(&t, TRAILER).and_then(AuditHead::parse) else {
                continue;
            };
            let time = time::OffsetDateTime::from_unix_timestamp(commit.time().seconds())
                .map_err(|e| RepoError::Git(git2::Error::from_str(&e.to_string())))?;
            anchors.push(Anchor {
                commit: commit.id().to_string(),
                time: Stamp::from_datetime(time),
                head,
            });
        }
        Ok(anchors)
    }

    /// The time of the newest commit on the branch.
    pub fn head_time(&self) -> Result<Stamp> {
        let repo = self.open()?;
        let commit = repo.find_commit(self.head(&repo)?)?;
        let time = time::OffsetDateTime::from_unix_timestamp(commit.time().seconds())
            .map_err(|e| RepoError::Git(git2::Error::from_str(&e.to_string())))?;
        Ok(Stamp::from_datetime(time))
    }

    /// An empty commit (the head's tree again) that anchors the chain at
    /// `head`: `Dtap-Action: anchor`.
    pub fn commit_anchor(&self, head: &AuditHead, by: &Identity) -> Result<String> {
        let repo = self.open()?;
        let text = message(
            &format!("Anchor the audit chain at event {}", head.seq),
            Some("No change: this commit witnesses the audit chain's head (docs/security.md)."),
            &[("Dtap-Action", "anchor".into()), ("Dtap-By", by.email.clone())],
        );
        for _ in 0..8 {
            let base = self.head(&repo)?;
            let tree = repo.find_commit(base)?.tree_id();
            if let CasOutcome::Committed(c) = self.commit_cas(&repo, base, tree, &text, by, head)? {
                return Ok(c.to_string());
            }
        }
        Err(RepoError::Git(git2::Error::from_str(
            "the branch kept moving; try again",
        )))
    }
}

//! Writing commits without a working directory: in-memory tree surgery and a
//! compare-and-swap ref update. Never a merge, never a force-push.

use git2::{FileMode, Oid, Repository, Tree};

use super::{ConfigRepo, Identity, RepoError, Result};
use crate::domain::anchor::{self, AuditHead};

/// What to put at a path: a blob, a tree (by its id), or nothing (remove).
pub enum Entry {
    Blob(Vec<u8>),
    Tree(String),
    Remove,
}

/// Returns the id of `root` with `path` (components) replaced by `entry`.
/// Only the trees along the path are rewritten, so the cost does not depend on
/// the size of the rest of the repository.
pub fn replace_path(repo: &Repository, root: Option<&Tree<'_>>, path: &[&str], entry: &Entry) -> Result<Oid> {
    let (first, rest) = path.split_first().expect("a non-empty path");
    let mut builder = repo.treebuilder(root)?;
    if rest.is_empty() {
        match entry {
            Entry::Blob(bytes) => {
                let blob = repo.blob(bytes)?;
                builder.insert(first, blob, FileMode::Blob.into())?;
            }
            Entry::Tree(id) => {
                builder.insert(first, Oid::from_str(id)?, FileMode::Tree.into())?;
            }
            Entry::Remove => {
                if builder.get(first)?.is_some() {
                    builder.remove(first)?;
                }
            }
        }
    } else {
        let sub = match root.and_then(|t| t.get_name(first)) {
            Some(e) if e.kind() == Some(git2::ObjectType::Tree) => Some(repo.find_tree(e.id())?),
            _ => None,
        };
        let id = replace_path(repo, sub.as_ref(), rest, entry)?;
        let new_sub = repo.find_tree(id)?;
        if new_sub.is_empty() {
            if builder.get(first)?.is_some() {
                builder.remove(first)?;
            }
        } else {
            builder.insert(first, id, FileMode::Tree.into())?;
        }
    }
    Ok(builder.write()?)
}

/// Outcome of a compare-and-swap commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasOutcome {
    Committed(Oid),
    /// The branch moved since `expected` was read: re-read and try again.
    Moved,
}

impl ConfigRepo {
    /// Commits `tree` on top of `expected` and moves the branch only if it still
    /// points at `expected`.
    pub fn commit_cas(
        &self,
        repo: &Repository,
        expected: Oid,
        tree: Oid,
        message: &str,
        author: &Identity,
        head: &AuditHead,
    ) -> Result<CasOutcome> {
        let commit = self.make_commit(repo, expected, tree, message, author, head)?;
        self.move_branch(repo, expected, commit, message)
    }

    /// Writes a commit object on top of `parent` without moving any branch.
    /// Every commit dtap writes goes through here, and carries the audit
    /// chain's `head` as its `Dtap-Audit-Head` trailer.
    pub fn make_commit(
        &self,
        repo: &Repository,
        parent: Oid,
        tree: Oid,
        message: &str,
        author: &Identity,
        head: &AuditHead,
    ) -> Result<Oid> {
        let message = anchored(message, head);
        let message = message.as_str();
        let parent = repo.find_commit(parent)?;
        let tree = repo.find_tree(tree)?;
        let author_sig = git2::Signature::now(&author.name, &author.email)?;
        let committer = git2::Signature::now("dtap", "dtap@localhost")?;
        Ok(repo.commit(None, &author_sig, &committer, message, &tree, &[&parent])?)
    }

    /// Moves the branch from `expected` to `commit`, only if it still points at `expected`.
    /// With a remote, the push decides (with the expected old value) and the
    /// cache follows only after the server accepted it.
    pub fn move_branch(&self, repo: &Repository, expected: Oid, commit: Oid, message: &str) -> Result<CasOutcome> {
        if self.remote.is_some() {
            return self.push_cas(repo, Some(expected), commit);
        }
        let branch = self.branch_ref();
        match repo.reference_matching(
            &branch,
            commit,
            true,
            expected,
            message.lines().next().unwrap_or("dtap"),
        ) {
            Ok(_) => Ok(CasOutcome::Committed(commit)),
            Err(e) if e.code() == git2::ErrorCode::Modified || e.code() == git2::ErrorCode::Locked => {
                Ok(CasOutcome::Moved)
            }
            Err(e) => Err(RepoError::Git(e)),
        }
    }
}

/// `message` with the audit chain's head as its last trailer.
pub fn anchored(message: &str, head: &AuditHead) -> String {
    let body = message.trim_end();
    let last = body.lines().last().unwrap_or("");
    let in_trailers = last.starts_with("Dtap-") && last.contains(": ");
    let sep = if in_trailers { "\n" } else { "\n\n" };
    format!("{body}{sep}{}: {head}\n", anchor::TRAILER)
}

/// Builds a commit message with trailers: `Key: value` lines after a blank line.
pub fn message(subject: &str, body: Option<&str>, trailers: &[(&str, String)]) -> String {
    let mut m = String::from(subject.trim());
    m.push_str("\n\n");
    if let Some(b) = body.filter(|b| !b.trim().is_empty()) {
        m.push_str(b.trim());
        m.push_str("\n\n");
    }
    for (k, v) in trailers {
        // A trailer value is one line; newlines would forge further trailers.
        let v: String = v
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        // An empty value would make git read the next trailer as its continuation.
        if v.trim().is_empty() {
            continue;
        }
        m.push_str(&format!("{k}: {}\n", v.trim()));
    }
    m
}

impl ConfigRepo {
    /// Commits a set of path changes on top of the branch head, retrying on a
    /// lost compare-and-swap race. Paths are `/`-separated, relative to the root.
    pub fn commit_changes(
        &self,
        changes: &[(String, Entry)],
        message: &str,
        author: &Identity,
        head: &AuditHead,
    ) -> Result<Oid> {
        let repo = self.open()?;
        for _ in 0..8 {
            let branch_head = self.head(&repo)?;
            let mut tree = repo.find_commit(branch_head)?.tree()?;
            for (path, entry) in changes {
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                let id = replace_path(&repo, Some(&tree), &parts, entry)?;
                tree = repo.find_tree(id)?;
            }
            if let CasOutcome::Committed(c) = self.commit_cas(&repo, branch_head, tree.id(), message, author, head)? {
                return Ok(c);
            }
        }
        Err(RepoError::Git(git2::Error::from_str(
            "the branch kept moving; try again",
        )))
    }
}

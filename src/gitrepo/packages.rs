//! Package-level operations on the config repo, so that the use cases in
//! `app` speak of packages, folders and change sets and never of git2's
//! trees, commits and object ids. Everything here is blocking.

use git2::{Delta, ObjectType, Oid, Repository, Tree};
use semver::Version;

use super::read::read_manifest;
use super::safety::unsafe_entries;
use super::write::{CasOutcome, Entry, replace_path};
use super::{ConfigRepo, Identity, Result};
use crate::domain::changes::FileChanges;
use crate::domain::manifest::Manifest;

/// A package folder as one environment holds it.
#[derive(Debug, Clone)]
pub struct PackageSide {
    /// The folder's tree id: the package version's content identity.
    pub tree: String,
    /// The manifest, or why it cannot be read.
    pub manifest: std::result::Result<Manifest, String>,
    /// Symlinks, submodules and names that could escape: never promoted.
    pub unsafe_entries: Vec<String>,
}

impl PackageSide {
    pub fn version(&self) -> Option<&Version> {
        self.manifest.as_ref().ok().map(|m| &m.version)
    }
}

/// One package in two environment folders, and what turns the old into the new.
#[derive(Debug, Clone)]
pub struct PackagePair {
    pub name: String,
    pub old: Option<PackageSide>,
    pub new: Option<PackageSide>,
    pub files: FileChanges,
}

/// Which packages `package_pairs` looks at.
pub enum Selection<'a> {
    /// These names, present or not.
    Named(&'a [String]),
    /// Every package of the new folder whose tree differs from the old one's.
    Differing,
    /// Every package in either folder.
    All,
}

/// A package's past in one environment, as a rollback needs it.
#[derive(Debug, Clone)]
pub enum PackagePast {
    /// The package is not in that environment.
    Absent,
    /// The asked version was never there with other content than now.
    NoSuchVersion {
        seen: Vec<String>,
    },
    Found(Box<RollbackPoint>),
}

/// What a rollback withdraws and what it restores.
#[derive(Debug, Clone)]
pub struct RollbackPoint {
    /// The branch head the walk started from.
    pub head: String,
    pub current_tree: String,
    pub withdrawn_version: Option<String>,
    /// The RFCs of every version withdrawn, oldest first, once each.
    pub withdrawn_rfcs: Vec<String>,
    /// `None`: the package leaves the environment.
    pub restored_tree: Option<String>,
    pub restored_version: Option<String>,
    pub restored_rfcs: Vec<String>,
    pub files: FileChanges,
    /// The commits that brought the withdrawn content, oldest first.
    pub arrivals: Vec<String>,
}

fn subtree<'r>(git: &'r Repository, parent: Option<&Tree<'r>>, name: &str) -> Result<Option<Tree<'r>>> {
    match parent.and_then(|t| t.get_name(name)) {
        Some(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(git.find_tree(e.id())?)),
        _ => Ok(None),
    }
}

fn package_names(folder: Option<&Tree<'_>>) -> Vec<String> {
    folder
        .iter()
        .flat_map(|d| d.iter())
        .filter(|e| e.kind() == Some(ObjectType::Tree))
        .map(|e| String::from_utf8_lossy(e.name_bytes()).into_owned())
        .collect()
}

fn side(git: &Repository, name: &str, tree: &Tree<'_>) -> PackageSide {
    PackageSide {
        tree: tree.id().to_string(),
        manifest: read_manifest(git, name, tree),
        unsafe_entries: unsafe_entries(git, tree),
    }
}

/// The change set from `old` to `new`; a missing side counts as empty.
pub(super) fn changes(git: &Repository, old: Option<&Tree<'_>>, new: Option<&Tree<'_>>) -> Result<FileChanges> {
    let diff = git.diff_tree_to_tree(old, new, None)?;
    let mut c = FileChanges::default();
    for d in diff.deltas() {
        let path = d
            .new_file()
            .path()
            .or(d.old_file().path())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match d.status() {
            Delta::Added => c.added.push(path),
            Delta::Deleted => c.removed.push(path),
            _ => c.changed.push(path),
        }
    }
    Ok(c)
}

fn oid(hex: &str) -> Result<Oid> {
    Ok(Oid::from_str(hex)?)
}

impl ConfigRepo {
    /// The packages of the environment folder `new_path` against those of
    /// `old_path`, at the branch head. Returns the head and one pair per
    /// selected package, sorted by name.
    pub fn package_pairs(
        &self,
        old_path: &str,
        new_path: &str,
        which: Selection<'_>,
    ) -> Result<(String, Vec<PackagePair>)> {
        let git = self.open()?;
        let head = self.head(&git)?;
        let root = git.find_commit(head)?.tree()?;
        let old_dir = subtree(&git, Some(&root), old_path)?;
        let new_dir = subtree(&git, Some(&root), new_path)?;
        let mut names = match which {
            Selection::Named(names) => names.to_vec(),
            Selection::Differing => package_names(new_dir.as_ref())
                .into_iter()
                .filter(|n| {
                    let id = |d: &Option<Tree<'_>>| d.as_ref().and_then(|d| d.get_name(n)).map(|e| e.id());
                    id(&old_dir) != id(&new_dir)
                })
                .collect(),
            Selection::All => {
                let mut all = package_names(old_dir.as_ref());
                all.extend(package_names(new_dir.as_ref()));
                all
            }
        };
        if !matches!(which, Selection::Named(_)) {
            names.sort();
            names.dedup();
        }
        let mut pairs = Vec::with_capacity(names.len());
        for name in names {
            let old = subtree(&git, old_dir.as_ref(), &name)?;
            let new = subtree(&git, new_dir.as_ref(), &name)?;
            pairs.push(PackagePair {
                files: changes(&git, old.as_ref(), new.as_ref())?,
                old: old.as_ref().map(|t| side(&git, &name, t)),
                new: new.as_ref().map(|t| side(&git, &name, t)),
                name,
            });
        }
        Ok((head.to_string(), pairs))
    }

    /// A unified diff from tree `old` to tree `new` (either may be absent).
    pub fn patch(&self, old: Option<&str>, new: Option<&str>) -> Result<String> {
        let git = self.open()?;
        let find = |t: Option<&str>| -> Result<Option<Tree<'_>>> { t.map(|t| Ok(git.find_tree(oid(t)?)?)).transpose() };
        let (a, b) = (find(old)?, find(new)?);
        let diff = git.diff_tree_to_tree(a.as_ref(), b.as_ref(), None)?;
        let mut text = String::new();
        diff.print(git2::DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                text.push(line.origin());
            }
            text.push_str(&String::from_utf8_lossy(line.content()));
            true
        })?;
        Ok(text)
    }

    /// The branch head and the content of the file at `path` there, if any.
    pub fn file_at_head(&self, path: &str) -> Result<(String, Option<Vec<u8>>)> {
        let git = self.open()?;
        let head = self.head(&git)?;
        let root = git.find_commit(head)?.tree()?;
        let content = match root.get_path(std::path::Path::new(path)) {
            Ok(e) if e.kind() == Some(ObjectType::Blob) => Some(git.find_blob(e.id())?.content().to_vec()),
            _ => None,
        };
        Ok((head.to_string(), content))
    }

    /// Writes a commit on top of `base` whose paths (`/`-separated, from the
    /// root) are replaced as given, without moving the branch: `publish`
    /// does that, compare-and-swap. One way to build a dtap commit, for
    /// promotions, rollbacks and manifest edits alike.
    pub fn commit_replacing(
        &self,
        base: &str,
        changes: &[(String, Entry)],
        message: &str,
        author: &Identity,
        head: &crate::domain::anchor::AuditHead,
    ) -> Result<String> {
        let git = self.open()?;
        let base = oid(base)?;
        let mut tree = git.find_commit(base)?.tree()?;
        for (path, entry) in changes {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            let id = replace_path(&git, Some(&tree), &parts, entry)?;
            tree = git.find_tree(id)?;
        }
        Ok(self
            .make_commit(&git, base, tree.id(), message, author, head)?
            .to_string())
    }

    /// Moves the branch from `base` to `commit` if it still points at `base`
    /// (with a remote, the push with a lease decides).
    pub fn publish(&self, base: &str, commit: &str, message: &str) -> Result<CasOutcome> {
        let git = self.open()?;
        self.move_branch(&git, oid(base)?, oid(commit)?, message)
    }

    /// The newest `limit` commits along first parents: (id, message).
    pub fn first_parent_log(&self, limit: usize) -> Result<Vec<(String, String)>> {
        let git = self.open()?;
        let mut walk = git.revwalk()?;
        walk.push(self.head(&git)?)?;
        walk.simplify_first_parent()?;
        let mut out = Vec::new();
        for id in walk.take(limit) {
            let c = git.find_commit(id?)?;
            out.push((
                c.id().to_string(),
                String::from_utf8_lossy(c.message_bytes()).into_owned(),
            ));
        }
        Ok(out)
    }

    /// Whether the repo opens and its branch exists.
    pub fn check_readable(&self) -> Result<()> {
        let git = self.open()?;
        self.head(&git).map(|_| ())
    }

    /// Walks the history of `env_path/package` back to the version a
    /// rollback restores: `to_version`, or else the content before the last
    /// change.
    pub fn package_past(&self, env_path: &str, package: &str, to_version: Option<&Version>) -> Result<PackagePast> {
        let git = self.open()?;
        let head = self.head(&git)?;
        let path = format!("{env_path}/{package}");
        let at = |commit: &git2::Commit<'_>| -> Option<Oid> {
            commit
                .tree()
                .ok()?
                .get_path(std::path::Path::new(&path))
                .ok()
                .map(|e| e.id())
        };
        let head_commit = git.find_commit(head)?;
        let Some(current) = at(&head_commit) else {
            return Ok(PackagePast::Absent);
        };
        let current_tree = git.find_tree(current)?;
        let manifest_of = |id: Oid| {
            git.find_tree(id)
                .ok()
                .and_then(|t| read_manifest(&git, package, &t).ok())
        };
        let mut restored: Option<Option<Oid>> = None;
        // Every change between the restore point and now: its commit and the RFCs it carried.
        let mut withdrawn: Vec<(Oid, Vec<String>)> = Vec::new();
        let mut seen = Vec::new();
        let mut c = head_commit;
        loop {
            let here = at(&c);
            let parent = c.parent(0).ok();
            let before = parent.as_ref().and_then(&at);
            if here != before {
                let manifest = here.and_then(manifest_of);
                if let (Some(want), Some(id), Some(m)) = (to_version, here, &manifest)
                    && &m.version == want
                    && id != current
                {
                    restored = Some(Some(id));
                    break;
                }
                if let Some(m) = &manifest {
                    seen.push(m.version.to_string());
                }
                withdrawn.push((c.id(), manifest.map(|m| m.rfcs).unwrap_or_default()));
                if to_version.is_none() {
                    restored = Some(before);
                    break;
                }
            }
            match parent {
                Some(p) => c = p,
                None => break,
            }
        }
        let Some(restored) = restored else {
            seen.dedup();
            return Ok(PackagePast::NoSuchVersion { seen });
        };
        let restored_tree = restored.map(|id| git.find_tree(id)).transpose()?;
        let restored_manifest = restored.and_then(manifest_of);
        let mut withdrawn_rfcs: Vec<String> = Vec::new();
        for (_, rfcs) in withdrawn.iter().rev() {
            for r in rfcs {
                if !withdrawn_rfcs.contains(r) {
                    withdrawn_rfcs.push(r.clone());
                }
            }
        }
        Ok(PackagePast::Found(Box::new(RollbackPoint {
            head: head.to_string(),
            current_tree: current.to_string(),
            withdrawn_version: manifest_of(current).map(|m| m.version.to_string()),
            withdrawn_rfcs,
            restored_version: restored_manifest.as_ref().map(|m| m.version.to_string()),
            restored_rfcs: restored_manifest.map(|m| m.rfcs).unwrap_or_default(),
            files: changes(&git, Some(&current_tree), restored_tree.as_ref())?,
            restored_tree: restored.map(|id| id.to_string()),
            arrivals: withdrawn.iter().rev().map(|(c, _)| c.to_string()).collect(),
        })))
    }
}

//! Hand-made changes to one package folder in an environment, and carrying
//! them into develop by a three-way merge of trees (no working directory).
//! Blocking, like the rest of gitrepo.

use std::collections::{BTreeMap, HashSet};

use git2::{MergeOptions, ObjectType, Oid, Repository, Tree};
use semver::Version;

use super::history::{trailer, trailers};
use super::read::MANIFEST;
use super::{ConfigRepo, Result};

/// A commit that changed `<env>/<package>` outside dtap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandCommit {
    pub commit: String,
    pub summary: String,
    /// Paths relative to the package folder that it added, changed or removed.
    pub files: Vec<String>,
    /// Other package folders of the same environment the commit changed too.
    pub other_packages: Vec<String>,
}

/// One package folder of one environment since dtap last wrote it.
#[derive(Debug, Clone)]
pub struct HandHistory {
    /// The branch head the walk started from.
    pub head: String,
    /// The package tree dtap last put there (`None`: dtap never wrote it).
    pub base: Option<String>,
    /// The package tree there now (`None`: the folder is gone).
    pub current: Option<String>,
    /// Hand-made commits after dtap's last write, oldest first.
    pub commits: Vec<HandCommit>,
}

/// The outcome of a three-way merge of package trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    Tree(String),
    /// Paths (relative to the package) changed on both sides in ways that clash.
    Conflicts(Vec<String>),
}

fn entry_id(git: &Repository, root: &Tree<'_>, path: &str) -> Option<Oid> {
    root.get_path(std::path::Path::new(path))
        .ok()
        .filter(|e| e.kind() == Some(ObjectType::Tree))
        .map(|e| e.id())
        .filter(|id| git.find_tree(*id).is_ok())
}

fn tree_of<'r>(git: &'r Repository, id: Option<Oid>) -> Result<Option<Tree<'r>>> {
    Ok(id.map(|id| git.find_tree(id)).transpose()?)
}

fn changed_paths(git: &Repository, old: Option<&Tree<'_>>, new: Option<&Tree<'_>>) -> Result<Vec<String>> {
    let diff = git.diff_tree_to_tree(old, new, None)?;
    Ok(diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or(d.old_file().path())
                .map(|p| p.display().to_string())
        })
        .collect())
}

impl ConfigRepo {
    /// Walks first parents back from the head to the last commit dtap made
    /// (one of `dtap_commits`) that changed `<env_path>/<package>`; every
    /// other commit on the way that changed that folder is a hand-made one.
    pub fn hand_history(&self, env_path: &str, package: &str, dtap_commits: &HashSet<String>) -> Result<HandHistory> {
        let git = self.open()?;
        let head = self.head(&git)?;
        let path = format!("{env_path}/{package}");
        let mut c = git.find_commit(head)?;
        let current = entry_id(&git, &c.tree()?, &path);
        let mut history = HandHistory {
            head: head.to_string(),
            base: None,
            current: current.map(|id| id.to_string()),
            commits: Vec::new(),
        };
        loop {
            let root = c.tree()?;
            let parent = c.parent(0).ok();
            let parent_root = parent.as_ref().map(|p| p.tree()).transpose()?;
            let here = entry_id(&git, &root, &path);
            let before = parent_root.as_ref().and_then(|t| entry_id(&git, t, &path));
            if here != before {
                if dtap_commits.contains(&c.id().to_string()) {
                    history.base = here.map(|id| id.to_string());
                    break;
                }
                let files = changed_paths(&git, tree_of(&git, before)?.as_ref(), tree_of(&git, here)?.as_ref())?;
                let env_now = tree_of(&git, entry_id(&git, &root, env_path))?;
                let env_before = tree_of(&git, parent_root.as_ref().and_then(|t| entry_id(&git, t, env_path)))?;
                let mut other_packages: Vec<String> = changed_paths(&git, env_before.as_ref(), env_now.as_ref())?
                    .into_iter()
                    .filter_map(|p| p.split('/').next().map(str::to_string).filter(|_| p.contains('/')))
                    .filter(|p| p != package)
                    .collect();
                other_packages.sort();
                other_packages.dedup();
                history.commits.push(HandCommit {
                    commit: c.id().to_string(),
                    summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
                    files,
                    other_packages,
                });
            }
            match parent {
                Some(p) => c = p,
                None => break,
            }
        }
        history.commits.reverse();
        Ok(history)
    }

    /// Which hand-made commits the given adoption commits carried into
    /// develop, and as which version (their `Dtap-Adopted` and `Dtap-Version`
    /// trailers). Commits that cannot be read are skipped.
    pub fn adoptions(&self, adopt_commits: &[String]) -> Result<BTreeMap<String, Version>> {
        let git = self.open()?;
        let mut out = BTreeMap::new();
        for id in adopt_commits {
            let Ok(c) = Oid::from_str(id).and_then(|id| git.find_commit(id)) else {
                continue;
            };
            let t = trailers(&String::from_utf8_lossy(c.message_bytes()));
            let Some(version) = trailer(&t, "Dtap-Version").and_then(|v| Version::parse(v).ok()) else {
                continue;
            };
            for (_, hand) in t.iter().filter(|(k, _)| k == "Dtap-Adopted") {
                out.insert(hand.clone(), version.clone());
            }
        }
        Ok(out)
    }

    /// The package tree at `path` on commit `at` (`None`: absent).
    pub fn package_tree_at(&self, at: &str, path: &str) -> Result<Option<String>> {
        let git = self.open()?;
        let root = git.find_commit(Oid::from_str(at)?)?.tree()?;
        Ok(entry_id(&git, &root, path).map(|id| id.to_string()))
    }

    /// The manifest text of a package tree, if it has one.
    pub fn manifest_text(&self, tree: &str) -> Result<Option<String>> {
        let git = self.open()?;
        let tree = git.find_tree(Oid::from_str(tree)?)?;
        let Some(e) = tree.get_name(MANIFEST) else {
            return Ok(None);
        };
        let blob = git.find_blob(e.id())?;
        Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
    }

    /// Three-way merge of package trees: what `theirs` changed since `base`
    /// applied to `ours`. The manifest stays as `ours` has it (dtap owns
    /// versions and RFC lists), so a hand edit of package.yaml never clashes.
    pub fn merge_package(&self, base: Option<&str>, ours: &str, theirs: &str) -> Result<Merged> {
        let git = self.open()?;
        let find = |id: &str| -> Result<Tree<'_>> { Ok(git.find_tree(Oid::from_str(id)?)?) };
        let empty = git.find_tree(git.treebuilder(None)?.write()?)?;
        let base = match base {
            Some(b) => find(b)?,
            None => empty,
        };
        let ours = find(ours)?;
        let mut theirs = find(theirs)?;
        // Their manifest is the base's: the merged manifest is ours.
        let mut builder = git.treebuilder(Some(&theirs))?;
        match base.get_name(MANIFEST) {
            Some(m) => {
                builder.insert(MANIFEST, m.id(), m.filemode())?;
            }
            None => {
                if builder.get(MANIFEST)?.is_some() {
                    builder.remove(MANIFEST)?;
                }
            }
        }
        theirs = git.find_tree(builder.write()?)?;
        let mut opts = MergeOptions::new();
        opts.find_renames(false);
        let mut index = git.merge_trees(&base, &ours, &theirs, Some(&opts))?;
        if index.has_conflicts() {
            let mut paths = Vec::new();
            for conflict in index.conflicts()? {
                let conflict = conflict?;
                let entry = conflict.our.or(conflict.their).or(conflict.ancestor);
                if let Some(e) = entry {
                    paths.push(String::from_utf8_lossy(&e.path).into_owned());
                }
            }
            paths.sort();
            paths.dedup();
            return Ok(Merged::Conflicts(paths));
        }
        Ok(Merged::Tree(index.write_tree_to(&git)?.to_string()))
    }
}

//! Reading what each environment folder holds.

use std::collections::{BTreeMap, HashMap};

use git2::{ObjectType, Oid, Repository, Tree};

use super::{ConfigRepo, Result, format_time};
use crate::domain::manifest::{Manifest, ManifestSpec};
use crate::domain::names;
use crate::domain::pipeline::Pipeline;
use crate::domain::status::{CommitRef, PackageState};
use crate::workspace::yaml;

pub const MANIFEST: &str = "package.yaml";

/// What the branch head holds, per environment name.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub head: Option<String>,
    pub environments: BTreeMap<String, Vec<PackageState>>,
}

impl ConfigRepo {
    /// Reads every environment folder at the branch head: each package's
    /// manifest, tree id and the last commit that changed it. A package with
    /// an invalid manifest is reported in its `problem`, never fatal.
    pub fn snapshot(&self, pipeline: &Pipeline) -> Result<Snapshot> {
        let repo = self.open()?;
        let head = self.head(&repo)?;
        let root = repo.find_commit(head)?.tree()?;
        let mut environments = BTreeMap::new();
        let mut wanted: HashMap<(String, String), usize> = HashMap::new();
        for env in pipeline.environments() {
            let mut packages = Vec::new();
            if let Some(folder) = subtree(&repo, &root, &env.path)? {
                for entry in folder.iter() {
                    if entry.kind() != Some(ObjectType::Tree) {
                        continue;
                    }
                    let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                    let tree = repo.find_tree(entry.id())?;
                    let mut state = read_package(&repo, &name, &tree);
                    if !names::is_package_name(&name) {
                        state.problem = Some(format!(
                            "folder name `{name}` is not a valid package name: use [a-z0-9][a-z0-9._-]{{0,63}}"
                        ));
                        state.version = None;
                    }
                    wanted.insert((env.path.clone(), name), packages.len());
                    packages.push(state);
                }
            }
            environments.insert(env.name.clone(), packages);
        }
        // Map env path back to name for filling in last commits.
        let by_path: HashMap<&str, &str> = pipeline
            .environments()
            .iter()
            .map(|e| (e.path.as_str(), e.name.as_str()))
            .collect();
        for ((path, pkg), commit) in last_changes(&repo, head, wanted.keys().cloned().collect())? {
            let env = by_path[path.as_str()];
            if let Some(i) = wanted.get(&(path.clone(), pkg.clone()))
                && let Some(list) = environments.get_mut(env)
            {
                list[*i].last_commit = Some(commit);
            }
        }
        Ok(Snapshot {
            head: Some(head.to_string()),
            environments,
        })
    }
}

fn subtree<'r>(repo: &'r Repository, root: &Tree<'_>, path: &str) -> Result<Option<Tree<'r>>> {
    match root.get_name(path) {
        Some(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(repo.find_tree(e.id())?)),
        _ => Ok(None),
    }
}

fn read_package(repo: &Repository, name: &str, tree: &Tree<'_>) -> PackageState {
    let mut state = PackageState {
        name: name.to_string(),
        version: None,
        tree: tree.id().to_string(),
        rfcs: Vec::new(),
        last_commit: None,
        problem: None,
    };
    match read_manifest(repo, name, tree) {
        Ok(m) => {
            state.version = Some(m.version.to_string());
            state.rfcs = m.rfcs;
        }
        Err(e) => state.problem = Some(e),
    }
    state
}

/// Reads and validates `<package>/package.yaml`. The error is one line for humans.
pub fn read_manifest(repo: &Repository, name: &str, tree: &Tree<'_>) -> std::result::Result<Manifest, String> {
    let entry = tree
        .get_name(MANIFEST)
        .ok_or_else(|| format!("{name}/{MANIFEST} is missing: every package needs a manifest"))?;
    let blob = repo
        .find_blob(entry.id())
        .map_err(|_| format!("{name}/{MANIFEST} is not a file"))?;
    if blob.size() as u64 > yaml::MAX_BYTES {
        return Err(yaml::too_big(&format!("{name}/{MANIFEST}"), blob.size() as u64).to_string());
    }
    let text = std::str::from_utf8(blob.content()).map_err(|_| format!("{name}/{MANIFEST} is not UTF-8 text"))?;
    let file = format!("{name}/{MANIFEST}");
    let spec: ManifestSpec = yaml::from_str(&file, text).map_err(|p| p.to_string())?;
    Manifest::from_spec(name, spec).map_err(|errors| format!("{file}: {}", errors.join("; ")))
}

/// For each `(env path, package)`, the newest first-parent commit that changed
/// that folder. Walks history once for all packages and skips whole
/// environment folders that a commit did not touch.
fn last_changes(
    repo: &Repository,
    head: Oid,
    mut pending: Vec<(String, String)>,
) -> Result<Vec<((String, String), CommitRef)>> {
    let mut found = Vec::new();
    let mut current = repo.find_commit(head)?;
    while !pending.is_empty() {
        let tree = current.tree()?;
        let parent = current.parent(0).ok();
        let parent_tree = match &parent {
            Some(p) => Some(p.tree()?),
            None => None,
        };
        let mut env_changed: HashMap<String, bool> = HashMap::new();
        pending.retain(|(env, pkg)| {
            let changed_env = *env_changed.entry(env.clone()).or_insert_with(|| {
                let a = tree.get_name(env).map(|e| e.id());
                let b = parent_tree.as_ref().and_then(|t| t.get_name(env).map(|e| e.id()));
                a != b
            });
            if !changed_env {
                return true;
            }
            let here = id_at(repo, &tree, env, pkg);
            let before = parent_tree.as_ref().and_then(|t| id_at(repo, t, env, pkg));
            if here != before {
                found.push((
                    (env.clone(), pkg.clone()),
                    CommitRef {
                        id: current.id().to_string(),
                        time: format_time(current.time()),
                        author: String::from_utf8_lossy(current.author().email_bytes()).into_owned(),
                        summary: String::from_utf8_lossy(current.summary_bytes().unwrap_or_default()).into_owned(),
                    },
                ));
                false
            } else {
                true
            }
        });
        match parent {
            Some(p) => current = p,
            None => break,
        }
    }
    Ok(found)
}

fn id_at(repo: &Repository, root: &Tree<'_>, env: &str, pkg: &str) -> Option<Oid> {
    let env_entry = root.get_name(env)?;
    let env_tree = repo.find_tree(env_entry.id()).ok()?;
    env_tree.get_name(pkg).map(|e| e.id())
}

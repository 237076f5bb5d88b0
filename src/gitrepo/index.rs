//! Computing what changed in the config repo since an indexed head, walking
//! only the new commits (or all of them once, for a first build).

use std::collections::{BTreeMap, HashMap, HashSet};

use git2::{Commit, Oid, Repository, Tree};

use super::history::{trailer, trailers};
use super::read::read_manifest;
use super::{ConfigRepo, Result, format_time};
use crate::domain::index::{IndexDelta, IndexedDrift, IndexedPackage};

impl ConfigRepo {
    /// The branch head, cheaply.
    pub fn head_id(&self) -> Result<String> {
        let repo = self.open()?;
        Ok(self.head(&repo)?.to_string())
    }

    /// The delta from `indexed` (an earlier head, if any) to the current head.
    /// `drift_paths` are the environment folders whose hand-made commits count
    /// as drift; `acks` maps such a path to acknowledged commits.
    pub fn index_delta(
        &self,
        indexed: Option<&str>,
        env_paths: &[String],
        drift_paths: &[String],
        acks: &HashMap<String, HashSet<String>>,
        dtap_commits: &HashSet<String>,
    ) -> Result<IndexDelta> {
        let repo = self.open()?;
        let head = self.head(&repo)?;
        let mut delta = IndexDelta {
            head: head.to_string(),
            ..Default::default()
        };
        if indexed == Some(delta.head.as_str()) {
            return Ok(delta);
        }
        let stop = indexed.and_then(|i| Oid::from_str(i).ok());
        let mut chain = Vec::new();
        let mut found_stop = false;
        let mut current = Some(repo.find_commit(head)?);
        while let Some(c) = current {
            if Some(c.id()) == stop {
                found_stop = true;
                break;
            }
            current = c.parent(0).ok();
            chain.push(c);
        }
        delta.rebuild = !found_stop;
        chain.reverse();
        // Last change per (env, package) within the new commits.
        let mut last: HashMap<(String, String), Option<Oid>> = HashMap::new();
        let mut changed_by: HashMap<(String, String), usize> = HashMap::new();
        for (i, c) in chain.iter().enumerate() {
            let parent = c.parent(0).ok();
            let tree = c.tree()?;
            let ptree = match &parent {
                Some(p) => Some(p.tree()?),
                None => None,
            };
            // Only commits dtap recorded as its own count; trailers alone prove nothing.
            let dtap = dtap_commits.contains(&c.id().to_string());
            for env in env_paths {
                let now = env_tree(&repo, &tree, env);
                let before = ptree.as_ref().and_then(|t| env_tree(&repo, t, env));
                let (a, b) = (now.as_ref().map(|t| t.id()), before.as_ref().map(|t| t.id()));
                if a != b {
                    for (name, id) in changed_entries(now.as_ref(), before.as_ref()) {
                        last.insert((env.clone(), name.clone()), id);
                        changed_by.insert((env.clone(), name), i);
                    }
                    if drift_paths.contains(env) {
                        let entry = delta.drift.entry(env.clone()).or_insert((false, Vec::new()));
                        if dtap {
                            *entry = (true, Vec::new());
                        } else {
                            entry.1.push(drift_of(c));
                        }
                    }
                }
                if acks.get(env).is_some_and(|set| set.contains(&c.id().to_string())) {
                    delta.drift.insert(env.clone(), (true, Vec::new()));
                }
            }
        }
        for ((env, name), id) in last {
            match id {
                None => delta.removals.push((env, name)),
                Some(id) => {
                    let c = &chain[changed_by[&(env.clone(), name.clone())]];
                    delta.upserts.push(indexed_package(&repo, &env, &name, id, c));
                }
            }
        }
        delta
            .upserts
            .sort_by(|a, b| (&a.env_path, &a.package).cmp(&(&b.env_path, &b.package)));
        delta.removals.sort();
        Ok(delta)
    }
}

fn env_tree<'r>(repo: &'r Repository, root: &Tree<'_>, path: &str) -> Option<Tree<'r>> {
    root.get_name(path)
        .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
        .and_then(|e| repo.find_tree(e.id()).ok())
}

/// Package folders whose tree differs between two environment trees:
/// name → the new tree id (`None`: removed).
fn changed_entries(now: Option<&Tree<'_>>, before: Option<&Tree<'_>>) -> Vec<(String, Option<Oid>)> {
    let dirs = |t: Option<&Tree<'_>>| -> BTreeMap<Vec<u8>, Oid> {
        t.map(|t| {
            t.iter()
                .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                .map(|e| (e.name_bytes().to_vec(), e.id()))
                .collect()
        })
        .unwrap_or_default()
    };
    let (a, b) = (dirs(now), dirs(before));
    let mut out = Vec::new();
    for (name, id) in &a {
        if b.get(name) != Some(id) {
            out.push((String::from_utf8_lossy(name).into_owned(), Some(*id)));
        }
    }
    for name in b.keys() {
        if !a.contains_key(name) {
            out.push((String::from_utf8_lossy(name).into_owned(), None));
        }
    }
    out
}

fn drift_of(c: &Commit<'_>) -> IndexedDrift {
    IndexedDrift {
        commit: c.id().to_string(),
        time: format_time(c.time()),
        author: String::from_utf8_lossy(c.author().email_bytes()).into_owned(),
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

fn indexed_package(repo: &Repository, env: &str, name: &str, tree: Oid, c: &Commit<'_>) -> IndexedPackage {
    let manifest = repo
        .find_tree(tree)
        .map_err(|e| e.to_string())
        .and_then(|t| read_manifest(repo, name, &t));
    let mut problem = manifest.as_ref().err().cloned();
    if !crate::domain::names::is_package_name(name) {
        problem = Some(format!(
            "folder name `{name}` is not a valid package name: use [a-z0-9][a-z0-9._-]{{0,63}}"
        ));
    }
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let t = trailers(&message);
    let author = String::from_utf8_lossy(c.author().email_bytes()).into_owned();
    IndexedPackage {
        env_path: env.to_string(),
        package: name.to_string(),
        tree: tree.to_string(),
        version: manifest
            .as_ref()
            .ok()
            .filter(|_| problem.is_none())
            .map(|m| m.version.to_string()),
        rfcs: manifest.map(|m| m.rfcs).unwrap_or_default(),
        problem,
        commit: c.id().to_string(),
        time: format_time(c.time()),
        by: trailer(&t, "Dtap-Promoted-By")
            .map(str::to_string)
            .unwrap_or_else(|| author.clone()),
        author,
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

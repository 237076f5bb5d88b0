//! Reading dtap's history back from commit trailers: git is the source of truth.

use std::collections::HashMap;

use git2::{Commit, Oid, Repository};
use serde::Serialize;

use super::{ConfigRepo, Result, format_time};

/// The `Dtap-*` trailers of a commit message, in order.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    match git2::message_trailers_strs(message) {
        Ok(t) => t
            .iter()
            .filter(|(k, _)| k.starts_with("Dtap-"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub fn trailer<'a>(t: &'a [(String, String)], key: &str) -> Option<&'a str> {
    t.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn all<'a>(t: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    t.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
}

/// Made by dtap: it carries a `Dtap-Action` trailer.
pub fn is_dtap(message: &str) -> bool {
    trailers(message).iter().any(|(k, _)| k == "Dtap-Action")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageMove {
    pub package: String,
    pub version: String,
    pub tree: String,
    /// The RFCs this package's version carries (`Dtap-Carries`); commits
    /// made before that trailer name the commit's RFCs here.
    pub rfcs: Vec<String>,
}

/// One promotion or rollback, as its commit tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub commit: String,
    pub time: String,
    pub action: String,
    pub packages: Vec<PackageMove>,
    pub from: Option<String>,
    pub to: String,
    pub rfcs: Vec<String>,
    pub by: String,
    pub approved_by: Vec<String>,
    pub reason: Option<String>,
    pub emergency: Option<String>,
    pub withdrawn_version: Option<String>,
}

pub fn entry_of(commit: &Commit<'_>) -> Option<HistoryEntry> {
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let t = trailers(&message);
    let action = trailer(&t, "Dtap-Action")?;
    if action != "promote" && action != "rollback" && action != "retire" {
        return None;
    }
    let packages = all(&t, "Dtap-Package");
    let versions = all(&t, "Dtap-Version");
    let trees = all(&t, "Dtap-Tree");
    let mut rfcs: Vec<String> = Vec::new();
    for r in all(&t, "Dtap-RFCs").iter().flat_map(|v| v.split(',')) {
        let r = r.trim().to_string();
        if !r.is_empty() && !rfcs.contains(&r) {
            rfcs.push(r);
        }
    }
    let carries: Vec<(&str, Vec<String>)> = all(&t, "Dtap-Carries")
        .iter()
        .filter_map(|v| v.split_once(':'))
        .map(|(p, list)| {
            let ids = list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            (p.trim(), ids.collect())
        })
        .collect();
    let carried = |p: &str| match carries.is_empty() {
        true => rfcs.clone(),
        false => carries
            .iter()
            .find(|(n, _)| *n == p)
            .map(|(_, r)| r.clone())
            .unwrap_or_default(),
    };
    Some(HistoryEntry {
        commit: commit.id().to_string(),
        time: format_time(commit.time()),
        action: action.to_string(),
        packages: packages
            .iter()
            .enumerate()
            .map(|(i, p)| PackageMove {
                package: p.to_string(),
                version: versions.get(i).unwrap_or(&"").to_string(),
                tree: trees.get(i).unwrap_or(&"").to_string(),
                rfcs: carried(p),
            })
            .collect(),
        from: trailer(&t, "Dtap-From").map(str::to_string),
        to: trailer(&t, "Dtap-To").unwrap_or_default().to_string(),
        rfcs,
        by: trailer(&t, "Dtap-Promoted-By").unwrap_or_default().to_string(),
        approved_by: all(&t, "Dtap-Approved-By").iter().map(|s| s.to_string()).collect(),
        reason: trailer(&t, "Dtap-Reason").map(str::to_string),
        emergency: trailer(&t, "Dtap-Emergency").map(str::to_string),
        withdrawn_version: trailer(&t, "Dtap-Withdrawn-Version").map(str::to_string),
    })
}

/// A commit that changed an environment folder outside dtap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftCommit {
    pub commit: String,
    pub time: String,
    pub author: String,
    pub summary: String,
}

impl ConfigRepo {
    /// Promotions and rollbacks, newest first, optionally only into `env` or of `package`.
    pub fn history(
        &self,
        env: Option<&str>,
        package: Option<&str>,
        limit: usize,
        dtap_commits: &std::collections::HashSet<String>,
    ) -> Result<Vec<HistoryEntry>> {
        let repo = self.open()?;
        let head = self.head(&repo)?;
        let mut out = Vec::new();
        let mut walk = repo.revwalk()?;
        walk.push(head)?;
        walk.simplify_first_parent()?;
        for id in walk {
            let id = id?;
            if !dtap_commits.contains(&id.to_string()) {
                continue;
            }
            let commit = repo.find_commit(id)?;
            if let Some(e) = entry_of(&commit)
                && env.is_none_or(|env| e.to == env)
                && package.is_none_or(|p| e.packages.iter().any(|m| m.package == p))
            {
                out.push(e);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The newest `per_env` promotions and rollbacks into each of `envs`, in
    /// one walk that stops as soon as every environment has its share.
    pub fn recent_by_environment(
        &self,
        envs: &[String],
        per_env: usize,
        dtap_commits: &std::collections::HashSet<String>,
    ) -> Result<HashMap<String, Vec<HistoryEntry>>> {
        let repo = self.open()?;
        let mut out: HashMap<String, Vec<HistoryEntry>> = envs.iter().map(|e| (e.clone(), Vec::new())).collect();
        let mut walk = repo.revwalk()?;
        walk.push(self.head(&repo)?)?;
        walk.simplify_first_parent()?;
        for id in walk {
            if out.values().all(|v| v.len() >= per_env) {
                break;
            }
            let id = id?;
            if !dtap_commits.contains(&id.to_string()) {
                continue;
            }
            if let Some(e) = entry_of(&repo.find_commit(id)?)
                && let Some(list) = out.get_mut(&e.to)
                && list.len() < per_env
            {
                list.push(e);
            }
        }
        Ok(out)
    }

    /// For every environment path given, the hand-made commits that changed
    /// it after its last dtap commit or acknowledged point (newest first).
    pub fn drift(
        &self,
        env_paths: &[String],
        acks: &HashMap<String, String>,
    ) -> Result<HashMap<String, Vec<DriftCommit>>> {
        let repo = self.open()?;
        let head = self.head(&repo)?;
        let mut out = HashMap::new();
        for path in env_paths {
            let ack = acks.get(path).and_then(|a| Oid::from_str(a).ok());
            out.insert(path.clone(), drift_in(&repo, head, path, ack)?);
        }
        Ok(out)
    }

    /// The commit that last changed `<env_path>/<package>`: when the current
    /// tree arrived there, and who brought it (promoter or author).
    pub fn arrival(&self, repo: &Repository, env_path: &str, package: &str) -> Result<Option<Arrival>> {
        let head = self.head(repo)?;
        let mut current = repo.find_commit(head)?;
        let path = format!("{env_path}/{package}");
        loop {
            let here = current
                .tree()?
                .get_path(std::path::Path::new(&path))
                .ok()
                .map(|e| e.id());
            let parent = current.parent(0).ok();
            let before = match &parent {
                Some(p) => p.tree()?.get_path(std::path::Path::new(&path)).ok().map(|e| e.id()),
                None => None,
            };
            if here != before {
                let message = String::from_utf8_lossy(current.message_bytes()).into_owned();
                let t = trailers(&message);
                let by = trailer(&t, "Dtap-Promoted-By")
                    .map(str::to_string)
                    .unwrap_or_else(|| String::from_utf8_lossy(current.author().email_bytes()).into_owned());
                return Ok(Some(Arrival {
                    commit: current.id().to_string(),
                    seconds: current.time().seconds(),
                    by,
                }));
            }
            match parent {
                Some(p) => current = p,
                None => return Ok(None),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub commit: String,
    pub seconds: i64,
    pub by: String,
}

fn drift_in(repo: &Repository, head: Oid, path: &str, ack: Option<Oid>) -> Result<Vec<DriftCommit>> {
    let mut found = Vec::new();
    let mut current = repo.find_commit(head)?;
    loop {
        if Some(current.id()) == ack {
            break;
        }
        let here = current.tree()?.get_name(path).map(|e| e.id());
        let parent = current.parent(0).ok();
        let before = match &parent {
            Some(p) => p.tree()?.get_name(path).map(|e| e.id()),
            None => None,
        };
        if here != before {
            let message = String::from_utf8_lossy(current.message_bytes()).into_owned();
            if is_dtap(&message) {
                break;
            }
            found.push(DriftCommit {
                commit: current.id().to_string(),
                time: format_time(current.time()),
                author: String::from_utf8_lossy(current.author().email_bytes()).into_owned(),
                summary: String::from_utf8_lossy(current.summary_bytes().unwrap_or_default()).into_owned(),
            });
        }
        match parent {
            Some(p) => current = p,
            None => break,
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dtap_trailers_only() {
        let m = "Promote crm-core 1.2.0 to test\n\nBody text.\n\nDtap-Action: promote\nDtap-Package: crm-core\nSigned-off-by: x <x@y>\nDtap-RFCs: RFC-1, RFC-2\n";
        let t = trailers(m);
        assert_eq!(t.len(), 3);
        assert_eq!(trailer(&t, "Dtap-RFCs"), Some("RFC-1, RFC-2"));
        assert!(is_dtap(m));
        assert!(!is_dtap("Fix by hand\n\nno trailers here\n"));
    }
}

//! Keeping the config repo index in step with the branch, incrementally.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{App, Result};
use crate::domain::index::{IndexDelta, IndexedDrift, IndexedPackage};
use crate::domain::status::{CommitRef, PackageState};

/// The repo index at one head.
#[derive(Debug, Clone)]
pub struct IndexSnapshot {
    pub head: String,
    pub packages: Vec<IndexedPackage>,
    /// Per environment path, newest first.
    pub drift: HashMap<String, Vec<IndexedDrift>>,
}

impl App {
    /// Brings the index up to the branch head: walks only the commits since
    /// the indexed head (all of them once, on a first build).
    pub async fn refresh_index(&self) -> Result<String> {
        match self.pending_index_delta().await? {
            (head, None) => Ok(head),
            (_, Some((indexed, delta))) => {
                self.store.apply_index(indexed.as_deref(), &delta).await?;
                Ok(delta.head)
            }
        }
    }

    /// The index as of the branch head without writing anything: the stored
    /// rows with the pending delta applied in memory (for dry runs, which
    /// must leave the database byte-identical).
    pub async fn index_snapshot(&self) -> Result<IndexSnapshot> {
        let (head, pending) = self.pending_index_delta().await?;
        let mut packages: BTreeMap<(String, String), IndexedPackage> = self
            .store
            .indexed_packages()
            .await?
            .into_iter()
            .map(|p| ((p.env_path.clone(), p.package.clone()), p))
            .collect();
        let mut drift = self.store.indexed_drift().await?;
        if let Some((_, delta)) = pending {
            if delta.rebuild {
                packages.clear();
                drift.clear();
            }
            for key in &delta.removals {
                packages.remove(key);
            }
            for p in delta.upserts {
                packages.insert((p.env_path.clone(), p.package.clone()), p);
            }
            for (env, (reset, commits)) in delta.drift {
                let list = drift.entry(env).or_default();
                if reset {
                    list.clear();
                }
                // Stored newest first.
                for c in commits {
                    list.insert(0, c);
                }
            }
        }
        Ok(IndexSnapshot {
            head,
            packages: packages.into_values().collect(),
            drift,
        })
    }

    /// The branch head, and the delta to apply when the index lags behind it.
    async fn pending_index_delta(&self) -> Result<(String, Option<(Option<String>, IndexDelta)>)> {
        self.sync_repo(false).await?;
        let repo = self.repo.clone();
        let head = tokio::task::spawn_blocking(move || repo.head_id()).await??;
        let indexed = self.store.index_head().await?;
        if indexed.as_deref() == Some(head.as_str()) {
            return Ok((head, None));
        }
        let delta = self.index_delta_from(indexed.clone()).await?;
        Ok((head, Some((indexed, delta))))
    }

    /// What changed in the index since `from` (`None`: a full rebuild): the
    /// folders to index, the drift paths and acknowledgements, dtap's own
    /// commits, and the walk in gitrepo. Shared by the refresh and doctor.
    pub(crate) async fn index_delta_from(&self, from: Option<String>) -> Result<IndexDelta> {
        let pipeline = &self.workspace.pipeline;
        let env_paths: Vec<String> = pipeline.environments().iter().map(|e| e.path.clone()).collect();
        let drift_paths: Vec<String> = pipeline.environments().iter().skip(1).map(|e| e.path.clone()).collect();
        let mut acks: HashMap<String, HashSet<String>> = HashMap::new();
        for (env, commit) in self.store.all_drift_acks().await? {
            if let Some(e) = pipeline.get(&env) {
                acks.entry(e.path.clone()).or_default().insert(commit);
            }
        }
        let known = self.store.dtap_commits().await?;
        let repo = self.repo.clone();
        Ok(tokio::task::spawn_blocking(move || {
            repo.index_delta(from.as_deref(), &env_paths, &drift_paths, &acks, &known)
        })
        .await??)
    }

    /// The packages per environment name, from the index brought up to the head.
    pub async fn indexed_state(&self) -> Result<BTreeMap<String, Vec<PackageState>>> {
        self.refresh_index().await?;
        self.read_indexed_state().await
    }

    /// The packages per environment name as the index holds them now.
    pub(crate) async fn read_indexed_state(&self) -> Result<BTreeMap<String, Vec<PackageState>>> {
        let by_path: HashMap<&str, &str> = self
            .workspace
            .pipeline
            .environments()
            .iter()
            .map(|e| (e.path.as_str(), e.name.as_str()))
            .collect();
        let mut out: BTreeMap<String, Vec<PackageState>> = BTreeMap::new();
        for p in self.store.indexed_packages().await? {
            let Some(env) = by_path.get(p.env_path.as_str()) else {
                continue;
            };
            out.entry(env.to_string()).or_default().push(PackageState {
                name: p.package,
                version: p.version,
                tree: p.tree,
                rfcs: p.rfcs,
                last_commit: Some(CommitRef {
                    id: p.commit,
                    time: p.time,
                    author: p.author,
                    summary: p.summary,
                }),
                problem: p.problem,
            });
        }
        Ok(out)
    }
}

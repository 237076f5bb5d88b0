//! Reading back what happened: history, drift, diffs between environments,
//! release notes.

use crate::msg;
use serde::Serialize;

use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::gitrepo::history::{DriftCommit, HistoryEntry};
use crate::gitrepo::packages::{PackageSide, Selection};

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub environment: String,
    pub commits: Vec<DriftCommit>,
}

/// What promoting one environment's package into another would change:
/// the target's content is the old side, the source's the new one.
#[derive(Debug, Clone, Serialize)]
pub struct PackageDiff {
    pub package: String,
    /// The version in the target (`B` of `dtap diff A B`), if there.
    pub old_version: Option<String>,
    /// The version in the source (`A`), if there.
    pub new_version: Option<String>,
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub removed: Vec<String>,
    /// Both sides hold the same tree.
    #[serde(skip)]
    pub same: bool,
    /// A unified diff of text files, when asked for one package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseNoteRfc {
    pub id: String,
    pub title: String,
    pub requester: String,
    pub department: String,
    pub state: String,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseNotes {
    pub environment: String,
    pub label: String,
    pub since: Option<String>,
    pub promotions: Vec<HistoryEntry>,
    pub rfcs: Vec<ReleaseNoteRfc>,
}

impl App {
    pub async fn history(&self, env: Option<&str>, package: Option<&str>, limit: usize) -> Result<Vec<HistoryEntry>> {
        if let Some(e) = env {
            self.known_env(e)?;
        }
        self.sync_repo(false).await?;
        let repo = self.repo.clone();
        let (env, package) = (env.map(str::to_string), package.map(str::to_string));
        // Trailers can be typed by hand: only commits dtap recorded as its own count.
        let known = self.store.dtap_commits().await?;
        let entries =
            tokio::task::spawn_blocking(move || repo.history(env.as_deref(), package.as_deref(), limit, &known))
                .await??;
        Ok(entries)
    }

    /// The newest `per_env` promotions and rollbacks into each environment
    /// but the first (the dashboard), from one load of dtap's commits and one
    /// walk of the branch.
    pub async fn recent_history(&self, per_env: usize) -> Result<Vec<(String, Vec<HistoryEntry>)>> {
        self.sync_repo(false).await?;
        let envs: Vec<String> = self
            .workspace
            .pipeline
            .environments()
            .iter()
            .skip(1)
            .map(|e| e.name.clone())
            .collect();
        let known = self.store.dtap_commits().await?;
        let repo = self.repo.clone();
        let names = envs.clone();
        let mut found =
            tokio::task::spawn_blocking(move || repo.recent_by_environment(&names, per_env, &known)).await??;
        Ok(envs
            .into_iter()
            .map(|e| {
                let entries = found.remove(&e).unwrap_or_default();
                (e, entries)
            })
            .collect())
    }

    pub(crate) fn known_env(&self, e: &str) -> Result<()> {
        if self.workspace.pipeline.get(e).is_none() {
            return Err(self.unknown_env("env", e));
        }
        Ok(())
    }

    /// `name` is no environment of the pipeline: the error for `field`, naming those there are.
    pub(crate) fn unknown_env(&self, field: &str, name: &str) -> AppError {
        let known: Vec<&str> = self.workspace.pipeline.names().collect();
        AppError::invalid(
            field,
            msg!(
                "unknown environment `{name}`; known: {known}",
                name,
                known = known.join(", ")
            ),
        )
    }

    /// Hand-made changes per environment (all but the first), newest first.
    pub async fn drift(&self) -> Result<Vec<DriftReport>> {
        self.refresh_index().await?;
        self.read_drift().await
    }

    /// Hand-made changes as the index holds them now.
    pub(crate) async fn read_drift(&self) -> Result<Vec<DriftReport>> {
        let mut found = self.store.indexed_drift().await?;
        Ok(self
            .workspace
            .pipeline
            .environments()
            .iter()
            .skip(1)
            .map(|e| DriftReport {
                environment: e.name.clone(),
                commits: found
                    .remove(&e.path)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| DriftCommit {
                        commit: d.commit,
                        time: d.time,
                        author: d.author,
                        summary: d.summary,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Records the current head as the acknowledged point of `env`.
    pub async fn ack_drift(&self, caller: &Caller, env: &str, reason: &str) -> Result<String> {
        self.known_env(env)?;
        if !self.workspace.access.can(&caller.email, "drift.ack") {
            return Err(AppError::refused(msg!(
                "{who} lacks permission drift.ack: ask a release manager",
                who = &caller.email
            )));
        }
        if reason.trim().is_empty() {
            return Err(AppError::refused(msg!(
                "acknowledging drift needs --reason TEXT: what was changed by hand, and why"
            )));
        }
        let head = self.refresh_index().await?;
        self.store.ack_drift(env, &head, &caller.email, reason.trim()).await?;
        let path = self
            .workspace
            .pipeline
            .get(env)
            .map(|e| e.path.clone())
            .unwrap_or_default();
        self.store.clear_indexed_drift(&path, &head).await?;
        Ok(head)
    }

    /// What promoting `from` into `to` would change, per package: `to`'s
    /// content is the old side, `from`'s the new one (`git diff TO FROM`).
    pub async fn diff(&self, from: &str, to: &str, package: Option<&str>) -> Result<Vec<PackageDiff>> {
        self.known_env(from)?;
        self.known_env(to)?;
        self.sync_repo(false).await?;
        let p = &self.workspace.pipeline;
        let (from_path, to_path) = (
            p.get(from).map(|e| e.path.clone()).unwrap_or_default(),
            p.get(to).map(|e| e.path.clone()).unwrap_or_default(),
        );
        let repo = self.repo.clone();
        let package = package.map(str::to_string);
        tokio::task::spawn_blocking(move || -> Result<Vec<PackageDiff>> {
            // The target (`to`) is the old side, the source (`from`) the new one.
            let (_, mut pairs) = repo.package_pairs(&to_path, &from_path, Selection::All)?;
            if let Some(p) = &package {
                if !pairs.iter().any(|pair| &pair.name == p) {
                    return Err(AppError::NotFound(format!("package `{p}` in {from_path} or {to_path}")));
                }
                pairs.retain(|pair| &pair.name == p);
            }
            let mut out = Vec::new();
            for pair in pairs {
                let tree = |s: &Option<PackageSide>| s.as_ref().map(|s| s.tree.clone());
                let version = |s: &Option<PackageSide>| s.as_ref().and_then(|s| s.version()).map(|v| v.to_string());
                let same = tree(&pair.old) == tree(&pair.new);
                let patch = if package.is_some() && !same {
                    Some(repo.patch(tree(&pair.old).as_deref(), tree(&pair.new).as_deref())?)
                } else {
                    None
                };
                out.push(PackageDiff {
                    old_version: version(&pair.old),
                    new_version: version(&pair.new),
                    added: pair.files.added,
                    modified: pair.files.changed,
                    removed: pair.files.removed,
                    same,
                    patch,
                    package: pair.name,
                });
            }
            Ok(out)
        })
        .await?
    }

    /// The promotions into `env` since a date (YYYY-MM-DD) or commit, and the RFCs they carried.
    pub async fn release_notes(&self, env: &str, since: Option<&str>) -> Result<ReleaseNotes> {
        self.known_env(env)?;
        let label = self
            .workspace
            .pipeline
            .get(env)
            .map(|e| e.label.clone())
            .unwrap_or_default();
        let all = self.history(Some(env), None, 100_000).await?;
        let mut promotions = Vec::new();
        for e in all {
            if let Some(s) = since {
                if e.commit.starts_with(s) && s.len() >= 7 {
                    break;
                }
                if s.len() == 10 && s.as_bytes()[4] == b'-' && e.time.as_str() < s {
                    break;
                }
            }
            if e.action == "promote" {
                promotions.push(e);
            }
        }
        let ids: Vec<String> = promotions.iter().flat_map(|p| p.rfcs.clone()).collect();
        let rfcs = self.release_note_rfcs(ids).await?;
        Ok(ReleaseNotes {
            environment: env.to_string(),
            label,
            since: since.map(str::to_string),
            promotions,
            rfcs,
        })
    }

    /// The RFCs named by `ids` (in number order, once each) as release notes
    /// tell them: title, requester, department, state and, in business words,
    /// what each does. Ids of RFCs that do not exist are left out.
    pub async fn release_note_rfcs(&self, mut ids: Vec<String>) -> Result<Vec<ReleaseNoteRfc>> {
        ids.sort_by_key(|i| i.trim_start_matches("RFC-").parse::<i64>().unwrap_or(0));
        ids.dedup();
        let mut rfcs = Vec::new();
        for id in ids {
            let Ok(n) = id.parse() else { continue };
            let Some(r) = self.store.rfc(n).await? else { continue };
            let template = self.workspace.template(&r.template);
            // The first required long answer says in business words what it does.
            let summary = template
                .and_then(|t| {
                    t.fields
                        .iter()
                        .find(|f| f.required && f.kind == crate::domain::template::FieldType::Textarea)
                })
                .and_then(|f| r.field_text(&f.id));
            rfcs.push(ReleaseNoteRfc {
                id: r.id.to_string(),
                title: r.title,
                requester: r.requester,
                department: r.department,
                state: r.state.label().to_string(),
                summary,
            });
        }
        Ok(rfcs)
    }
}

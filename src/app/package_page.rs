//! What the package page shows (`/packages/<name>`): the package's version in
//! each environment, its promotions, rollbacks and retirements with their
//! deployments, the RFCs it carries and its release notes. Read from the
//! same use cases as `dtap status`, `dtap history` and `dtap release-notes`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::history::ReleaseNoteRfc;
use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::names;
use crate::domain::rfc::RfcId;
use crate::domain::status::{Cell, EnvironmentHeader};
use crate::gitrepo::history::HistoryEntry;
use crate::store::deployments::Deployment;

/// How many history entries and deployments the page reads back.
pub const HISTORY_LIMIT: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct PackagePage {
    pub name: String,
    pub environments: Vec<PackageInEnv>,
    /// Newest first.
    pub history: Vec<PackageEvent>,
    pub rfcs: Vec<CarriedRfc>,
    /// Per environment after the first: the RFCs this package brought there.
    pub notes: Vec<EnvNotes>,
}

/// The package in one environment (the dashboard's cell, and more).
#[derive(Debug, Clone, Serialize)]
pub struct PackageInEnv {
    #[serde(flatten)]
    pub env: EnvironmentHeader,
    pub cell: Option<Cell>,
    /// The environment before holds it and this one not yet.
    pub waiting: bool,
    /// The environment before this one, for "what promoting would change".
    pub previous: Option<String>,
    /// The newest deployment of the package here, if the caller may see it.
    pub deployment: Option<Deployment>,
}

/// A promotion, rollback or retirement of the package, and its deployment.
#[derive(Debug, Clone, Serialize)]
pub struct PackageEvent {
    #[serde(flatten)]
    pub entry: HistoryEntry,
    /// This package's version in the commit (empty for a retirement).
    pub version: String,
    /// The RFCs this package's version carried.
    pub carried: Vec<String>,
    pub deployment: Option<Deployment>,
}

/// An RFC named by the package's manifest in some environment.
#[derive(Debug, Clone, Serialize)]
pub struct CarriedRfc {
    pub id: String,
    pub title: String,
    pub state: String,
    /// Environment name → the version there that names it, in pipeline order.
    pub versions: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvNotes {
    pub environment: String,
    pub label: String,
    pub rfcs: Vec<ReleaseNoteRfc>,
}

impl App {
    pub async fn package_page(&self, caller: &Caller, name: &str) -> Result<PackagePage> {
        self.may_view(caller)?;
        let missing = || AppError::NotFound(format!("package `{name}`"));
        if !names::is_package_name(name) {
            return Err(missing());
        }
        let matrix = self.status().await?;
        let history = self.history(None, Some(name), HISTORY_LIMIT).await?;
        let row = matrix.packages.iter().find(|r| r.name == name);
        if row.is_none() && history.is_empty() {
            return Err(missing());
        }
        let deployments: Vec<Deployment> = self
            .store
            .package_deployments(name, HISTORY_LIMIT as i64)
            .await?
            .into_iter()
            .filter(|d| self.may_see_deployments(caller, &d.environment))
            .collect();
        // Newest first: the first seen per key is the newest.
        let mut by_commit: HashMap<(&str, &str), &Deployment> = HashMap::new();
        let mut latest: HashMap<&str, &Deployment> = HashMap::new();
        for d in &deployments {
            by_commit
                .entry((d.commit.as_str(), d.environment.as_str()))
                .or_insert(d);
            latest.entry(d.environment.as_str()).or_insert(d);
        }
        let environments = matrix
            .environments
            .iter()
            .enumerate()
            .map(|(i, env)| PackageInEnv {
                cell: row.and_then(|r| r.cells.get(i)).and_then(|(_, c)| c.clone()),
                waiting: row.is_some_and(|r| matrix.waiting(r, i)),
                previous: i.checked_sub(1).map(|p| matrix.environments[p].name.clone()),
                deployment: latest.get(env.name.as_str()).map(|d| (*d).clone()),
                env: env.clone(),
            })
            .collect();
        let events: Vec<PackageEvent> = history
            .into_iter()
            .map(|entry| {
                let mine = entry.packages.iter().find(|m| m.package == name);
                PackageEvent {
                    version: mine.map(|m| m.version.clone()).unwrap_or_default(),
                    carried: mine.map(|m| m.rfcs.clone()).unwrap_or_default(),
                    deployment: by_commit
                        .get(&(entry.commit.as_str(), entry.to.as_str()))
                        .map(|d| (*d).clone()),
                    entry,
                }
            })
            .collect();
        let rfcs = self.carried_rfcs(name).await?;
        let mut notes = Vec::new();
        for env in matrix.environments.iter().skip(1) {
            let ids: Vec<String> = events
                .iter()
                .filter(|e| e.entry.action == "promote" && e.entry.to == env.name)
                .flat_map(|e| e.carried.clone())
                .collect();
            if ids.is_empty() {
                continue;
            }
            notes.push(EnvNotes {
                environment: env.name.clone(),
                label: env.label.clone(),
                rfcs: self.release_note_rfcs(ids).await?,
            });
        }
        Ok(PackagePage {
            name: name.to_string(),
            environments,
            history: events,
            rfcs,
            notes,
        })
    }

    /// The RFCs the package's manifests name, in any environment, with the
    /// versions naming each (the index, brought up to the head by `status`).
    async fn carried_rfcs(&self, name: &str) -> Result<Vec<CarriedRfc>> {
        let found = self.read_indexed_state().await?;
        let mut by_rfc: BTreeMap<i64, Vec<(String, String)>> = BTreeMap::new();
        for env in self.workspace.pipeline.environments() {
            let Some(p) = found.get(&env.name).and_then(|ps| ps.iter().find(|p| p.name == name)) else {
                continue;
            };
            for id in &p.rfcs {
                if let Ok(n) = id.parse::<RfcId>() {
                    by_rfc
                        .entry(n.0)
                        .or_default()
                        .push((env.name.clone(), p.version.clone().unwrap_or_default()));
                }
            }
        }
        let numbers: Vec<i64> = by_rfc.keys().copied().collect();
        let known: HashMap<i64, crate::domain::rfc::Rfc> = self
            .store
            .rfcs_by_number(&numbers)
            .await?
            .into_iter()
            .map(|r| (r.id.0, r))
            .collect();
        Ok(by_rfc
            .into_iter()
            .map(|(n, versions)| {
                let rfc = known.get(&n);
                CarriedRfc {
                    id: RfcId(n).to_string(),
                    title: rfc.map(|r| r.title.clone()).unwrap_or_default(),
                    state: rfc.map(|r| r.state.label().to_string()).unwrap_or_default(),
                    versions,
                }
            })
            .collect())
    }
}

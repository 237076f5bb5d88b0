//! Hand-made changes that dtap must not silently undo: the `drift_overwrite`
//! verdict of a promotion plan, its audit, and `dtap drift adopt` (in
//! `adopt`). Listing and acknowledging drift live in `app::history`.

mod adopt;
pub mod live;

pub use adopt::{AdoptOutcome, AdoptRequest, AdoptedCommit};

use semver::Version;
use serde_json::json;

use super::promote::{Plan, PromoteRequest};
use super::rfcs::Caller;
use super::{App, Result};
use crate::domain::changes::FileChanges;
use crate::domain::drift::{HandChange, undone};
use crate::domain::index::IndexedPackage;
use crate::domain::pipeline::Environment;
use crate::domain::promotion::{GateVerdict, OVERWRITE_GATE, overwrite_gate};
use crate::gitrepo::drift::HandHistory;
use crate::store::NewAuditEvent;

impl App {
    /// `<env_path>/<package>` since dtap last wrote it: the hand-made
    /// commits there, each with the develop version it was adopted into.
    pub(crate) async fn hand_changes(&self, env_path: &str, package: &str) -> Result<(HandHistory, Vec<HandChange>)> {
        let known = self.store.dtap_commits().await?;
        let adopt_commits = self.store.adoption_commits().await?;
        let repo = self.repo.clone();
        let (path, pkg) = (env_path.to_string(), package.to_string());
        let (history, adopted) = tokio::task::spawn_blocking(move || -> Result<_> {
            let history = repo.hand_history(&path, &pkg, &known)?;
            let adopted = if history.commits.is_empty() {
                Default::default()
            } else {
                repo.adoptions(&adopt_commits)?
            };
            Ok((history, adopted))
        })
        .await??;
        let changes = history
            .commits
            .iter()
            .map(|c| HandChange {
                commit: c.commit.clone(),
                summary: c.summary.clone(),
                files: c.files.clone(),
                adopted_in: adopted.get(&c.commit).cloned(),
            })
            .collect();
        Ok((history, changes))
    }

    /// The `drift_overwrite` verdict for one package of a promotion plan:
    /// `None` when the promotion undoes no hand-made change in the target.
    /// `files` is the promotion's change set, `index` the repo index the
    /// plan was read at. Cheap when dtap made the last change to the
    /// target's folder (the usual case): no history is walked then.
    pub(crate) async fn overwrite_verdict(
        &self,
        req: &PromoteRequest,
        to: &Environment,
        package: &str,
        files: &FileChanges,
        promoted: Option<&Version>,
        index: &[IndexedPackage],
    ) -> Result<Option<GateVerdict>> {
        let last_change = index
            .iter()
            .find(|r| r.env_path == to.path && r.package == package)
            .map(|r| r.commit.as_str());
        let Some(last_change) = last_change else {
            return Ok(None);
        };
        if files.is_empty() || self.store.is_dtap_commit(last_change).await? {
            return Ok(None);
        }
        let (_, changes) = self.hand_changes(&to.path, package).await?;
        let licence = req.overwrite_drift.then(|| req.reason.as_deref().unwrap_or(""));
        Ok(overwrite_gate(
            &to.name,
            package,
            &undone(&changes, files, promoted),
            licence,
        ))
    }

    /// Audits each hand-made change a promotion overwrote on purpose
    /// (`--overwrite-drift`); the commit's `Dtap-Reason` trailer carries the reason.
    pub(crate) async fn record_overwrites(&self, caller: &Caller, plan: &Plan, commit: &str) -> Result<()> {
        for p in plan.packages.iter().filter(|p| !p.already) {
            for g in p.gates.iter().filter(|g| g.gate == OVERWRITE_GATE && g.passed) {
                self.store
                    .record(&NewAuditEvent {
                        actor: caller.email.to_string(),
                        action: "drift.overwrite".into(),
                        object: format!("{}/{}", plan.environment, p.package),
                        outcome: "ok".into(),
                        origin: caller.origin,
                        detail: json!({ "commit": commit, "version": p.version, "overwritten": g.reason }),
                    })
                    .await?;
            }
        }
        Ok(())
    }
}

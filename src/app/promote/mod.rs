//! Promotion: moving a package version from one environment to the next in
//! the config repo, after every gate passed, atomically and provably. The
//! plan (facts and gates) is in `plan`, the intent, commit and completion in
//! `commit`; the compare-and-swap publish shared with rollbacks in
//! `app::publish`.

mod commit;
mod plan;
mod retirements;
mod warnings;

pub use retirements::PendingRetirement;

use crate::msg;
use semver::Version;
use serde::Serialize;

use super::rfcs::Caller;
use super::{App, AppError, Result};
pub use crate::domain::changes::FileChanges;
use crate::domain::pipeline::Environment;
use crate::domain::promotion::GateVerdict;

const ATTEMPTS: usize = 10;

#[derive(Debug, Clone)]
pub struct PromoteRequest {
    /// Packages (with an optional expected version); empty means every package
    /// whose tree differs from the previous environment (`--all`).
    pub packages: Vec<(String, Option<Version>)>,
    pub to: String,
    pub reason: Option<String>,
    pub emergency: bool,
    pub dry_run: bool,
    /// Undo hand-made changes in the target on purpose (needs `reason`).
    pub overwrite_drift: bool,
    /// The deployments are left to a runner: the secrets need not be here.
    pub no_wait: bool,
    /// A dry run skips the environment's `validate:` steps.
    pub no_validate: bool,
    /// The promoter saw the files it removes (`confirm_deletions` environments).
    pub confirm_deletions: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedPackage {
    pub package: String,
    pub from_version: Option<String>,
    pub version: Option<String>,
    pub tree: String,
    pub rfcs: Vec<String>,
    pub already: bool,
    pub files: FileChanges,
    pub gates: Vec<GateVerdict>,
}

impl PlannedPackage {
    pub fn refused(&self) -> bool {
        !self.already && self.gates.iter().any(|g| !g.passed)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub environment: String,
    pub from: String,
    pub head: String,
    pub packages: Vec<PlannedPackage>,
    /// Overlaps a dry run found (never a refusal): see `warnings`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// With `--all`: packages the target holds that the previous environment
    /// no longer does. They leave by `dtap retire`, never by a promotion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retirements: Vec<String>,
}

impl PromoteOutcome {
    pub fn plan(&self) -> &Plan {
        match self {
            PromoteOutcome::AlreadyThere { plan }
            | PromoteOutcome::DryRun { plan }
            | PromoteOutcome::Refused { plan }
            | PromoteOutcome::Promoted { plan, .. } => plan,
        }
    }
}

impl Plan {
    pub fn refused(&self) -> bool {
        self.packages.iter().any(PlannedPackage::refused)
    }
    fn moving(&self) -> impl Iterator<Item = &PlannedPackage> {
        self.packages.iter().filter(|p| !p.already)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PromoteOutcome {
    AlreadyThere {
        plan: Plan,
    },
    DryRun {
        plan: Plan,
    },
    Refused {
        plan: Plan,
    },
    /// `invitations`: sign-off mails queued (delivered by `dtap serve` or `dtap mail flush`).
    /// `deployments`: queued, one per package, where the environment deploys;
    /// the requests move on and the testers are invited when all succeeded.
    Promoted {
        plan: Plan,
        commit: String,
        invitations: usize,
        deployments: Vec<i64>,
    },
}

impl App {
    pub(crate) fn environments(&self, to: &str) -> Result<(Environment, Environment)> {
        let p = &self.workspace.pipeline;
        let Some(target) = p.get(to) else {
            return Err(self.unknown_env("to", to));
        };
        let Some(from) = p.previous(to) else {
            return Err(AppError::refused(msg!(
                "nothing comes before {to}: commit changes to its folder in the config repo instead of promoting",
                to
            )));
        };
        Ok((from.clone(), target.clone()))
    }

    /// Works out what a promotion would do and how every gate judges it.
    /// Promotes, retrying on a lost race with every gate evaluated again.
    pub async fn promote(&self, caller: &Caller, req: &PromoteRequest) -> Result<PromoteOutcome> {
        // One promotion per environment at a time, across instances; a dry
        // run writes nothing, not even a reconcile. A remote repo is fetched
        // first: its gates are judged on the server's branch.
        let _one_at_a_time = match req.dry_run {
            true => None,
            false => Some(self.store.lock_environment(&req.to).await?),
        };
        // A dry run fetches first, always: it must judge what was just pushed.
        match req.dry_run {
            true => {
                self.fetch_unless_within(std::time::Duration::ZERO).await?;
            }
            false => self.sync_repo(true).await?,
        }
        if !req.dry_run {
            self.reconcile().await?;
            self.interrupt_stale_deployments().await?;
        }
        for _ in 0..ATTEMPTS {
            let mut plan = self.plan_promotion(caller, req).await?;
            if req.dry_run {
                plan.warnings = self.plan_warnings(&plan).await?;
            }
            if plan.packages.is_empty() {
                return Ok(PromoteOutcome::AlreadyThere { plan });
            }
            if plan.refused() {
                return Ok(PromoteOutcome::Refused { plan });
            }
            if plan.moving().next().is_none() {
                return Ok(PromoteOutcome::AlreadyThere { plan });
            }
            if req.dry_run {
                return Ok(PromoteOutcome::DryRun { plan });
            }
            match self.commit_promotion(caller, req, &plan).await? {
                Some((commit, done)) => {
                    self.record_overwrites(caller, &plan, &commit).await?;
                    return Ok(PromoteOutcome::Promoted {
                        plan,
                        commit,
                        invitations: done.invitations,
                        deployments: done.deployments,
                    });
                }
                None => {
                    // Lost the race: let the winner finish before looking again.
                    let b = crate::random::bytes::<1>()?;
                    tokio::time::sleep(std::time::Duration::from_millis(5 + u64::from(b[0] % 40))).await;
                }
            }
        }
        Err(AppError::Conflict(msg!(
            "the config repo kept changing while promoting into {to}; nothing was promoted. Try again; \
             if it keeps failing, run `dtap doctor` (a crashed process may have left a git lock file)",
            to = &req.to
        )))
    }
}

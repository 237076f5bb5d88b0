//! Retirement (DESIGN §13, §15): a package leaves an environment on purpose.
//! One commit removes its folder (trailers `Dtap-Action: retire` and
//! `Dtap-Retired`), in order, production last, through gates like a
//! promotion's; its completion ends or renews the sign-off rounds it touches
//! and moves open RFCs back only as far as what remains requires. A package
//! deleted from develop is retired onward, never "promoted into develop first".

use crate::msg;
use serde::Serialize;

use super::promote::FileChanges;
use super::rfcs::Caller;
use super::rollback::{RfcReturn, RollbackPlan};
use super::{App, AppError, Result, failpoint};
use crate::domain::intent::{IntentPackage, IntentPayload};
use crate::domain::promotion::{self, GateVerdict, RetireFacts};
use crate::domain::rfc::{RfcId, State};
use crate::gitrepo::Identity;
use crate::gitrepo::packages::Selection;
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::store::intents::NewIntent;

#[derive(Debug, Clone)]
pub struct RetireRequest {
    pub package: String,
    pub environment: String,
    pub reason: String,
    /// The RFCs that retire it (`--rfc`).
    pub rfcs: Vec<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetirePlan {
    pub package: String,
    pub environment: String,
    /// The version that leaves.
    pub version: Option<String>,
    pub tree: String,
    pub files: FileChanges,
    pub rfcs: Vec<String>,
    /// Open RFCs that the leaving version carried and that move back.
    pub returns: Vec<RfcReturn>,
    pub gates: Vec<GateVerdict>,
    pub head: String,
}

impl RetirePlan {
    pub fn refused(&self) -> bool {
        self.gates.iter().any(|g| !g.passed)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RetireOutcome {
    DryRun { plan: RetirePlan },
    Refused { plan: RetirePlan },
    Retired { plan: RetirePlan, commit: String },
}

impl App {
    pub async fn retire(&self, caller: &Caller, req: &RetireRequest) -> Result<RetireOutcome> {
        let Some(env) = self.workspace.pipeline.get(&req.environment).cloned() else {
            return Err(self.unknown_env("env", &req.environment));
        };
        let Some(previous) = self.workspace.pipeline.previous(&env.name).cloned() else {
            return Err(AppError::refused(msg!(
                "{env} is edited by hand: delete {path}/{package} with a commit in the config repo, then retire it from the environments after {env}",
                env = &env.name,
                path = &env.path,
                package = &req.package
            )));
        };
        let _one_at_a_time = match req.dry_run {
            true => None,
            false => Some(self.store.lock_environment(&env.name).await?),
        };
        self.sync_repo(!req.dry_run).await?;
        if !req.dry_run {
            self.reconcile().await?;
        }
        for _ in 0..5 {
            let plan = self.plan_retirement(caller, req, &env, &previous).await?;
            if plan.refused() {
                return Ok(RetireOutcome::Refused { plan });
            }
            if req.dry_run {
                return Ok(RetireOutcome::DryRun { plan });
            }
            if let Some(commit) = self.commit_retirement(caller, req, &plan).await? {
                return Ok(RetireOutcome::Retired { plan, commit });
            }
        }
        Err(AppError::Conflict(msg!(
            "the config repo kept changing; nothing was retired. Try again; if it keeps failing, \
             run `dtap doctor` (a crashed process may have left a git lock file)"
        )))
    }

    async fn plan_retirement(
        &self,
        caller: &Caller,
        req: &RetireRequest,
        env: &crate::domain::pipeline::Environment,
        previous: &crate::domain::pipeline::Environment,
    ) -> Result<RetirePlan> {
        self.refresh_index().await?;
        let repo = self.repo.clone();
        let (env_path, prev_path) = (env.path.clone(), previous.path.clone());
        let (head, pairs) =
            tokio::task::spawn_blocking(move || repo.package_pairs(&env_path, &prev_path, Selection::All)).await??;
        let Some(pair) = pairs.iter().find(|p| p.name == req.package) else {
            return Err(nothing_to_retire(&req.package, &env.name));
        };
        let Some(here) = &pair.old else {
            return Err(nothing_to_retire(&req.package, &env.name));
        };
        let carried: Vec<String> = here.manifest.as_ref().map(|m| m.rfcs.clone()).unwrap_or_default();
        let dependents: Vec<String> = pairs
            .iter()
            .filter(|p| p.name != req.package)
            .filter_map(|p| p.old.as_ref().map(|s| (p.name.clone(), s)))
            .filter(|(_, s)| {
                s.manifest
                    .as_ref()
                    .is_ok_and(|m| m.depends_on.contains_key(&req.package))
            })
            .map(|(n, _)| n)
            .collect();
        let signoff_envs = self.signoff_envs(env);
        let rfcs = self.rfc_facts(&req.rfcs, &signoff_envs, None).await?;
        let drift: Vec<String> = self
            .store
            .indexed_drift()
            .await?
            .remove(&env.path)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.commit)
            .collect();
        let facts = RetireFacts {
            package: &req.package,
            pipeline: &self.workspace.pipeline,
            to: env,
            previous: Some((previous, pair.new.is_some())),
            rfcs,
            signoff_envs,
            dependents,
            retirer: &caller.email,
            may_promote: self
                .workspace
                .access
                .can(&caller.email, &format!("promote.{}", env.name)),
            reason: &req.reason,
            drift,
            now: self.now_utc(),
        };
        let gates = promotion::evaluate_retirement(&facts);
        // Open RFCs the leaving version carried go back only as far as what remains requires.
        let ids = carried.iter().filter_map(|r| r.parse::<RfcId>().ok()).collect();
        let others = self.carriers(&env.name, &ids).await?;
        let role = promotion::role(&self.workspace.pipeline, &env.name);
        let mut returns = Vec::new();
        for id in others.here.keys() {
            let Some(rfc) = self.store.rfc(*id).await? else {
                continue;
            };
            if matches!(rfc.state, State::Released | State::Closed) {
                continue;
            }
            let remaining = others
                .here
                .get(id)
                .is_some_and(|c| c.iter().any(|c| c.package != req.package));
            if let Some(to) = promotion::state_after_withdrawal(role, rfc.state, None, remaining) {
                returns.push(RfcReturn {
                    rfc: id.to_string(),
                    from: rfc.state.to_string(),
                    to: to.to_string(),
                });
            }
        }
        Ok(RetirePlan {
            package: req.package.clone(),
            environment: env.name.clone(),
            version: here.version().map(|v| v.to_string()),
            tree: here.tree.clone(),
            files: pair.files.clone(),
            rfcs: req.rfcs.clone(),
            returns,
            gates,
            head,
        })
    }

    async fn commit_retirement(
        &self,
        caller: &Caller,
        req: &RetireRequest,
        plan: &RetirePlan,
    ) -> Result<Option<String>> {
        let env = self
            .workspace
            .pipeline
            .get(&plan.environment)
            .cloned()
            .ok_or_else(|| AppError::Internal("environment vanished".into()))?;
        let intent = crate::random::hex::<16>()?;
        let withdrawn = IntentPackage {
            package: plan.package.clone(),
            version: None,
            from_version: plan.version.clone(),
            tree: None,
            rfcs: Vec::new(),
        };
        let payload = IntentPayload::Rollback {
            package: withdrawn,
            returns: plan.returns.clone(),
            retire: true,
        };
        self.store
            .insert_intent(&NewIntent {
                id: &intent,
                kind: "retire",
                environment: &env.name,
                payload: &payload,
                base_commit: &plan.head,
                actor: &caller.email,
                reason: &req.reason,
                emergency: false,
                lease_owner: &super::publish::lease_owner(),
                lease_until: &self.lease_until(),
            })
            .await?;
        failpoint("after-intent");
        let message = write::message(
            &format!("Retire {} from {}", plan.package, env.name),
            None,
            &[
                ("Dtap-Action", "retire".into()),
                ("Dtap-Retired", plan.package.clone()),
                ("Dtap-Package", plan.package.clone()),
                ("Dtap-Version", "none".into()),
                ("Dtap-Tree", "none".into()),
                ("Dtap-Withdrawn-Version", plan.version.clone().unwrap_or_default()),
                ("Dtap-To", env.name.clone()),
                ("Dtap-RFCs", plan.rfcs.join(", ")),
                ("Dtap-Promoted-By", caller.email.to_string()),
                ("Dtap-Reason", req.reason.clone()),
                ("Dtap-Intent", intent.clone()),
            ],
        );
        let repo = self.repo.clone();
        let (head, path) = (plan.head.clone(), format!("{}/{}", env.path, plan.package));
        let author = Identity::from_email(&caller.email);
        let (repo2, msg2) = (repo.clone(), message.clone());
        let anchor = self.store.audit_head().await?;
        let made = tokio::task::spawn_blocking(move || {
            repo.commit_replacing(&head, &[(path, Entry::Remove)], &message, &author, &anchor)
        })
        .await??;
        failpoint("after-commit-object");
        let commit = match self
            .publish(&repo2, &plan.head, &made, &msg2, "retire", &intent)
            .await?
        {
            CasOutcome::Committed(c) => c.to_string(),
            CasOutcome::Moved => {
                let mut tx = self.store.write_tx().await?;
                crate::store::intents::finish(&mut tx, &intent, None, "lost the race for the branch; planned again")
                    .await?;
                tx.commit().await?;
                return Ok(None);
            }
        };
        failpoint("after-ref-update");
        let done = RollbackPlan {
            package: plan.package.clone(),
            environment: env.name.clone(),
            withdrawn_version: plan.version.clone(),
            restored_version: None,
            restored_tree: None,
            files: plan.files.clone(),
            rfcs: plan.returns.clone(),
            restored_rfcs: plan.rfcs.clone(),
            head: plan.head.clone(),
        };
        self.complete_rollback(&intent, &commit, caller, &done, &req.reason, "retire")
            .await?;
        failpoint("after-completion");
        Ok(Some(commit))
    }
}

fn nothing_to_retire(package: &str, env: &str) -> AppError {
    AppError::refused(msg!("{package} is not in {env}: nothing to retire", package, env))
}

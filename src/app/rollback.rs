//! Rollback: a new commit restoring a package folder as it was, never a
//! rewrite of history.

use crate::msg;
use semver::Version;
use serde::Serialize;
use serde_json::json;

use super::failpoint;
use super::promote::FileChanges;
use super::rfcs::Caller;
use super::rfcs::moves::StateMove;
use super::{App, AppError, Result};
use crate::domain::intent::{IntentPackage, IntentPayload};
use crate::domain::rfc::{RfcId, State};
use crate::gitrepo::Identity;
use crate::gitrepo::packages::PackagePast;
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::store::audit::{self, NewAuditEvent};
use crate::store::intents::{self as intents, NewIntent};
use crate::store::rfcs as rfc_store;

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub package: String,
    pub environment: String,
    pub reason: String,
    pub to_version: Option<Version>,
    pub dry_run: bool,
}

pub use crate::domain::intent::RfcReturn;

#[derive(Debug, Clone, Serialize)]
pub struct RollbackPlan {
    pub package: String,
    pub environment: String,
    pub withdrawn_version: Option<String>,
    pub restored_version: Option<String>,
    /// `None`: the package is removed from the environment.
    pub restored_tree: Option<String>,
    pub files: FileChanges,
    pub rfcs: Vec<RfcReturn>,
    /// The RFCs the restored version names: their rounds here start again.
    pub restored_rfcs: Vec<String>,
    pub head: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RollbackOutcome {
    DryRun { plan: RollbackPlan },
    RolledBack { plan: RollbackPlan, commit: String },
}

impl App {
    pub async fn rollback(&self, caller: &Caller, req: &RollbackRequest) -> Result<RollbackOutcome> {
        let _one_at_a_time = self.store.lock_environment(&req.environment).await?;
        self.sync_repo(!req.dry_run).await?;
        self.reconcile().await?;
        let Some(env) = self.workspace.pipeline.get(&req.environment).cloned() else {
            return Err(self.unknown_env("env", &req.environment));
        };
        let mut refusals = Vec::new();
        if !self
            .workspace
            .access
            .can(&caller.email, &format!("rollback.{}", env.name))
        {
            refusals.push(msg!(
                "{who} lacks permission rollback.{env}: ask a change manager for a role with it",
                who = &caller.email,
                env = &env.name
            ));
        }
        if req.reason.trim().is_empty() {
            refusals.push(msg!("a rollback needs --reason TEXT saying why"));
        }
        if let Some(e) = crate::domain::limits::too_long("reason", &req.reason, crate::domain::limits::REASON) {
            return Err(AppError::Invalid(vec![e]));
        }
        for _ in 0..5 {
            let repo = self.repo.clone();
            let (path, pkg, to_version) = (env.path.clone(), req.package.clone(), req.to_version.clone());
            let past =
                tokio::task::spawn_blocking(move || repo.package_past(&path, &pkg, to_version.as_ref())).await??;
            let g = match past {
                PackagePast::Found(point) => *point,
                PackagePast::Absent => {
                    return Err(AppError::refused(msg!(
                        "{package} is not in {path}: nothing to roll back",
                        package = &req.package,
                        path = &env.path
                    )));
                }
                PackagePast::NoSuchVersion { seen } => {
                    return Err(AppError::refused(msg!(
                        "{package} {version} was never in {path} with other content; versions it had: {seen}",
                        package = &req.package,
                        version = req.to_version.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                        path = &env.path,
                        seen = if seen.is_empty() {
                            "none".into()
                        } else {
                            seen.join(", ")
                        }
                    )));
                }
            };
            self.refresh_index().await?;
            let drift = self.store.indexed_drift().await?.remove(&env.path).unwrap_or_default();
            let mut refused = refusals.clone();
            if !drift.is_empty() {
                refused.push(msg!(
                    "{env} was changed by hand outside dtap ({n} commit(s)): review, then `dtap drift ack {env} --reason TEXT`",
                    env = &env.name,
                    n = drift.len()
                ));
            }
            if !refused.is_empty() {
                return Err(AppError::Refused(
                    refused.into_iter().map(crate::domain::rfc::Refusal::new).collect(),
                ));
            }
            // RFCs the restored version does not carry go back, only as far as
            // the packages still here require (DESIGN §13).
            let others = self
                .carriers(
                    &env.name,
                    &g.withdrawn_rfcs.iter().filter_map(|r| r.parse().ok()).collect(),
                )
                .await?;
            let role = crate::domain::promotion::role(&self.workspace.pipeline, &env.name);
            let mut returns = Vec::new();
            for r in g.withdrawn_rfcs.iter().filter(|r| !g.restored_rfcs.contains(r)) {
                let Ok(id) = r.parse::<RfcId>() else { continue };
                let Some(rfc) = self.store.rfc(id).await? else { continue };
                let remaining = others
                    .here
                    .get(&id)
                    .is_some_and(|c| c.iter().any(|c| c.package != req.package));
                let mut before = None;
                for arrival in &g.arrivals {
                    if let Some(b) = self.store.state_before(id.0, &format!("promote {arrival}")).await? {
                        before = b.parse::<State>().ok();
                        break;
                    }
                }
                if let Some(to) = crate::domain::promotion::state_after_withdrawal(role, rfc.state, before, remaining)
                    && to != rfc.state
                {
                    returns.push(RfcReturn {
                        rfc: r.clone(),
                        from: rfc.state.to_string(),
                        to: to.to_string(),
                    });
                }
            }
            let plan = RollbackPlan {
                package: req.package.clone(),
                environment: env.name.clone(),
                withdrawn_version: g.withdrawn_version.clone(),
                restored_version: g.restored_version.clone(),
                restored_tree: g.restored_tree.clone(),
                files: g.files.clone(),
                rfcs: returns,
                restored_rfcs: g.restored_rfcs.clone(),
                head: g.head.clone(),
            };
            if req.dry_run {
                return Ok(RollbackOutcome::DryRun { plan });
            }
            let intent = crate::random::hex::<16>()?;
            let payload = IntentPayload::Rollback {
                package: IntentPackage {
                    package: plan.package.clone(),
                    version: plan.restored_version.clone(),
                    from_version: plan.withdrawn_version.clone(),
                    tree: plan.restored_tree.clone(),
                    rfcs: plan.restored_rfcs.clone(),
                },
                returns: plan.rfcs.clone(),
                retire: false,
            };
            self.store
                .insert_intent(&NewIntent {
                    id: &intent,
                    kind: "rollback",
                    environment: &env.name,
                    payload: &payload,
                    base_commit: &g.head,
                    actor: &caller.email,
                    reason: &req.reason,
                    emergency: false,
                    lease_owner: &super::publish::lease_owner(),
                    lease_until: &self.lease_until(),
                })
                .await?;
            failpoint("after-intent");
            let subject = format!(
                "Rollback {} in {} to {}",
                plan.package,
                env.name,
                plan.restored_version.as_deref().unwrap_or("nothing (removed)")
            );
            let message = write::message(
                &subject,
                None,
                &[
                    ("Dtap-Action", "rollback".into()),
                    ("Dtap-Package", plan.package.clone()),
                    (
                        "Dtap-Version",
                        plan.restored_version.clone().unwrap_or_else(|| "none".into()),
                    ),
                    ("Dtap-Tree", plan.restored_tree.clone().unwrap_or_else(|| "none".into())),
                    (
                        "Dtap-Withdrawn-Version",
                        plan.withdrawn_version.clone().unwrap_or_default(),
                    ),
                    ("Dtap-To", env.name.clone()),
                    (
                        "Dtap-RFCs",
                        plan.rfcs.iter().map(|r| r.rfc.clone()).collect::<Vec<_>>().join(", "),
                    ),
                    ("Dtap-Promoted-By", caller.email.to_string()),
                    ("Dtap-Reason", req.reason.clone()),
                    ("Dtap-Intent", intent.clone()),
                ],
            );
            let repo = self.repo.clone();
            let (head, path, restored) = (
                g.head.clone(),
                format!("{}/{}", env.path, plan.package),
                plan.restored_tree.clone(),
            );
            let author = Identity::from_email(&caller.email);
            let repo2 = repo.clone();
            let (base_s, msg2) = (head.clone(), message.clone());
            let anchor = self.store.audit_head().await?;
            let made = tokio::task::spawn_blocking(move || {
                let entry = match restored {
                    Some(t) => Entry::Tree(t),
                    None => Entry::Remove,
                };
                repo.commit_replacing(&head, &[(path, entry)], &message, &author, &anchor)
            })
            .await??;
            failpoint("after-commit-object");
            let cas = self.publish(&repo2, &base_s, &made, &msg2, "rollback", &intent).await?;
            let commit = match cas {
                CasOutcome::Committed(c) => c.to_string(),
                CasOutcome::Moved => {
                    let mut tx = self.store.write_tx().await?;
                    intents::finish(&mut tx, &intent, None, "lost the race for the branch; planned again").await?;
                    tx.commit().await?;
                    continue;
                }
            };
            failpoint("after-ref-update");
            self.complete_rollback(&intent, &commit, caller, &plan, &req.reason, "rollback")
                .await?;
            failpoint("after-completion");
            let _ = g.current_tree;
            return Ok(RollbackOutcome::RolledBack { plan, commit });
        }
        Err(AppError::Conflict(msg!(
            "the config repo kept changing; nothing was rolled back. Try again; if it keeps failing, \
             run `dtap doctor` (a crashed process may have left a git lock file)"
        )))
    }

    pub(crate) async fn complete_rollback(
        &self,
        intent: &str,
        commit: &str,
        caller: &Caller,
        plan: &RollbackPlan,
        reason: &str,
        action: &str,
    ) -> Result<()> {
        // Every round that covered the package, and the restored version's
        // RFCs, are renewed over what the environment holds now.
        let mut rfcs = self
            .rounds_touching(&plan.environment, std::slice::from_ref(&plan.package))
            .await?;
        rfcs.extend(
            plan.restored_rfcs
                .iter()
                .chain(plan.rfcs.iter().map(|r| &r.rfc))
                .filter_map(|r| r.parse::<RfcId>().ok()),
        );
        let carried = self.carriers(&plan.environment, &rfcs).await?;
        let mut tx = self.store.write_tx().await?;
        if !intents::finish(&mut tx, intent, Some(commit), "").await? {
            return Ok(());
        }
        let detail = format!("{action} {commit}");
        for r in &plan.rfcs {
            let (Ok(id), Ok(to)) = (r.rfc.parse::<RfcId>(), r.to.parse::<State>()) else {
                continue;
            };
            let Some(rfc) = rfc_store::get_in(&mut tx, id).await? else {
                continue;
            };
            // Someone moved it since the plan was made (a tester's rejection,
            // a person's hold): their decision stands over the rollback's.
            if rfc.state == to || rfc.state.as_str() != r.from {
                continue;
            }
            let mv = StateMove {
                kind: if action == "retire" { "retired" } else { "rolled_back" },
                to,
                held_from: None,
                detail: &detail,
                comment: Some(reason),
                audit: json!({ "commit": commit }),
            };
            self.move_state(&mut tx, caller, &rfc, mv).await?;
        }
        self.renew_rounds(&mut tx, &plan.environment, &carried).await?;
        // Where the environment deploys, the restored (or removed) package is deployed too.
        let moved = crate::app::signoff::Moved {
            package: plan.package.clone(),
            version: plan.restored_version.clone().unwrap_or_default(),
            from_version: plan.withdrawn_version.clone(),
            tree: plan.restored_tree.clone().unwrap_or_default(),
            rfcs: plan.restored_rfcs.clone(),
        };
        self.queue_deployments(
            &mut tx,
            &plan.environment,
            &crate::app::deploy::CommitOf {
                commit,
                action,
                intent,
                by: &caller.email,
            },
            std::slice::from_ref(&moved),
        )
        .await?;
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: caller.email.to_string(),
                action: action.into(),
                object: format!("{}@{}", plan.package, plan.environment),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: json!({ "commit": commit, "withdrawn": plan.withdrawn_version, "restored": plan.restored_version, "reason": reason, "rfcs": plan.rfcs }),
            },
        )
        .await?;
        failpoint("before-completion-commit");
        tx.commit().await?;
        Ok(())
    }
}

//! Making a planned promotion happen: the intent with its lease, the commit,
//! the compare-and-swap publish, and the completion that moves RFCs and
//! queues every mail in one transaction.

use serde_json::json;

use super::{Plan, PlannedPackage, PromoteRequest};
use crate::app::publish::lease_owner;
use crate::app::rfcs::Caller;
use crate::app::signoff::Moved;
use crate::app::signoff::renew::Carried;
use crate::app::{App, Result, failpoint};
use crate::domain::intent::{IntentPackage, IntentPayload};
use crate::domain::promotion::{self, Role};
use crate::domain::rfc::RfcId;
use crate::domain::rfc::lifecycle::SystemMove;
use crate::gitrepo::Identity;
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::store::WriteTx;
use crate::store::audit::{self, NewAuditEvent};
use crate::store::intents::{self as intents, NewIntent};

fn role_move(role: Role) -> Option<SystemMove> {
    match role {
        Role::Test => Some(SystemMove::ReachedTest),
        Role::Acceptance => Some(SystemMove::ReachedAcceptance),
        Role::Production => Some(SystemMove::ReachedProduction),
        Role::Develop | Role::Other => None,
    }
}

impl App {
    /// Writes the intent, the commit and the completion. `None` when another
    /// process moved the branch first.
    pub(super) async fn commit_promotion(
        &self,
        caller: &Caller,
        req: &PromoteRequest,
        plan: &Plan,
    ) -> Result<Option<(String, Completed)>> {
        let (from, to) = self.environments(&req.to)?;
        let intent = crate::random::hex::<16>()?;
        let moving: Vec<&PlannedPackage> = plan.moving().collect();
        let payload = IntentPayload::Promote(
            moving
                .iter()
                .map(|p| IntentPackage {
                    package: p.package.clone(),
                    version: p.version.clone(),
                    from_version: p.from_version.clone(),
                    tree: Some(p.tree.clone()),
                    rfcs: p.rfcs.clone(),
                })
                .collect(),
        );
        let reason = req.reason.clone().unwrap_or_default();
        self.store
            .insert_intent(&NewIntent {
                id: &intent,
                kind: "promote",
                environment: &to.name,
                payload: &payload,
                base_commit: &plan.head,
                actor: &caller.email,
                reason: &reason,
                emergency: req.emergency,
                lease_owner: &lease_owner(),
                lease_until: &self.lease_until(),
            })
            .await?;
        failpoint("after-intent");

        let mut approvals = Vec::new();
        let rfc_ids: std::collections::BTreeSet<RfcId> = moving
            .iter()
            .flat_map(|p| p.rfcs.iter())
            .filter_map(|r| r.parse().ok())
            .collect();
        for env in self.signoff_envs(&to) {
            for n in &rfc_ids {
                for t in self.store.current_approvals(n.0, &env).await? {
                    approvals.push(format!("{t} ({n} in {env})"));
                }
            }
        }
        let subject = match moving.as_slice() {
            [one] => format!(
                "Promote {} {} to {}",
                one.package,
                one.version.as_deref().unwrap_or("?"),
                to.name
            ),
            many => format!("Promote {} packages to {}", many.len(), to.name),
        };
        let mut trailers: Vec<(&str, String)> = vec![("Dtap-Action", "promote".into())];
        for p in &moving {
            trailers.push(("Dtap-Package", p.package.clone()));
            trailers.push(("Dtap-Version", p.version.clone().unwrap_or_default()));
            trailers.push(("Dtap-Tree", p.tree.clone()));
            if !p.rfcs.is_empty() {
                trailers.push(("Dtap-Carries", format!("{}: {}", p.package, p.rfcs.join(", "))));
            }
        }
        trailers.push(("Dtap-From", from.name.clone()));
        trailers.push(("Dtap-To", to.name.clone()));
        let mut all_rfcs: Vec<String> = Vec::new();
        for r in moving.iter().flat_map(|p| p.rfcs.iter()) {
            if !all_rfcs.contains(r) {
                all_rfcs.push(r.clone());
            }
        }
        trailers.push(("Dtap-RFCs", all_rfcs.join(", ")));
        trailers.push(("Dtap-Promoted-By", caller.email.to_string()));
        for a in &approvals {
            trailers.push(("Dtap-Approved-By", a.clone()));
        }
        if !reason.is_empty() {
            trailers.push(("Dtap-Reason", reason.clone()));
        }
        if req.emergency {
            trailers.push(("Dtap-Emergency", reason.clone()));
        }
        trailers.push(("Dtap-Intent", intent.clone()));
        let message = write::message(&subject, None, &trailers);

        let repo = self.repo.clone();
        let head = plan.head.clone();
        let changes: Vec<(String, String)> = moving
            .iter()
            .map(|p| (format!("{}/{}", to.path, p.package), p.tree.clone()))
            .collect();
        let author = Identity::from_email(&caller.email);
        let repo2 = repo.clone();
        let (base_s, msg2) = (head.clone(), message.clone());
        let anchor = self.store.audit_head().await?;
        let made = tokio::task::spawn_blocking(move || {
            let changes: Vec<(String, Entry)> = changes.into_iter().map(|(p, t)| (p, Entry::Tree(t))).collect();
            repo.commit_replacing(&head, &changes, &message, &author, &anchor)
        })
        .await??;
        failpoint("after-commit-object");
        let cas = self.publish(&repo2, &base_s, &made, &msg2, "promote", &intent).await?;
        let commit = match cas {
            CasOutcome::Committed(c) => c.to_string(),
            CasOutcome::Moved => {
                let mut tx = self.store.write_tx().await?;
                intents::finish(
                    &mut tx,
                    &intent,
                    None,
                    "lost the race for the branch; gates evaluated again",
                )
                .await?;
                tx.commit().await?;
                return Ok(None);
            }
        };
        failpoint("after-ref-update");
        let moved: Vec<Moved> = payload.packages().iter().map(Moved::from).collect();
        let invitations = self
            .complete_promotion(
                &intent,
                &commit,
                &to.name,
                caller,
                &moved,
                &json!({
                    "commit": commit, "from": from.name, "to": to.name, "packages": payload.packages(),
                    "reason": reason, "emergency": req.emergency,
                }),
            )
            .await?;
        failpoint("after-completion");
        Ok(Some((commit, invitations)))
    }

    /// Marks the intent done, moves the RFCs and renews their sign-off
    /// rounds, in one transaction. Returns the invitations queued.
    pub(crate) async fn complete_promotion(
        &self,
        intent: &str,
        commit: &str,
        env: &str,
        caller: &Caller,
        moved: &[Moved],
        detail: &serde_json::Value,
    ) -> Result<Completed> {
        let deploys = self.workspace.pipeline.get(env).is_some_and(|e| e.deploy.is_some());
        let carried = match deploys {
            true => Carried::default(),
            false => self.arrival_facts(env, moved).await?,
        };
        let mut tx = self.store.write_tx().await?;
        if !intents::finish(&mut tx, intent, Some(commit), "").await? {
            // Someone (a reconcile) completed it meanwhile: nothing left to do.
            return Ok(Completed::default());
        }
        // Where the environment deploys, the requests move on and the testers
        // hear of it when every deployment of this commit succeeded; else now.
        let (invitations, deployments) = match deploys {
            true => (
                0,
                self.queue_deployments(
                    &mut tx,
                    env,
                    &crate::app::deploy::CommitOf {
                        commit,
                        action: "promote",
                        intent,
                        by: &caller.email,
                    },
                    moved,
                )
                .await?,
            ),
            false => (
                self.arrive_in(&mut tx, env, caller, moved, commit, &carried).await?,
                Vec::new(),
            ),
        };
        let reason = detail["reason"].as_str().unwrap_or_default();
        let emergency = detail["emergency"].as_bool().unwrap_or(false);
        self.notify_promotion(&mut tx, env, moved, &caller.email, commit, reason, emergency)
            .await?;
        if emergency {
            let packages = serde_json::to_string(moved).unwrap_or_default();
            self.open_emergency_review(&mut tx, commit, env, &packages, &caller.email, reason)
                .await?;
        }
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: caller.email.to_string(),
                action: "promote".into(),
                object: env.to_string(),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: detail.clone(),
            },
        )
        .await?;
        failpoint("before-completion-commit");
        tx.commit().await?;
        Ok(Completed {
            invitations,
            deployments,
        })
    }

    /// What the moves of an arrival need, read before its transaction: the
    /// RFCs the moved versions name, and those whose round here covered a
    /// moved package (a new version may no longer name them), with carriers.
    pub(crate) async fn arrival_facts(&self, env: &str, moved: &[Moved]) -> Result<Carried> {
        let packages: Vec<String> = moved.iter().map(|m| m.package.clone()).collect();
        let mut rfcs = self.rounds_touching(env, &packages).await?;
        rfcs.extend(
            moved
                .iter()
                .flat_map(|m| m.rfcs.iter())
                .filter_map(|r| r.parse::<RfcId>().ok()),
        );
        self.carriers(env, &rfcs).await
    }

    /// The packages arrived in `env` (committed, or deployed where the
    /// environment deploys): the requests move on and the rounds renew, in
    /// the caller's transaction. Returns the invitations queued.
    pub(crate) async fn arrive_in(
        &self,
        tx: &mut WriteTx,
        env: &str,
        caller: &Caller,
        moved: &[Moved],
        commit: &str,
        carried: &Carried,
    ) -> Result<usize> {
        let role = promotion::role(&self.workspace.pipeline, env);
        let event_detail = format!("promote {commit}");
        if let Some(m) = role_move(role) {
            let named: std::collections::BTreeSet<RfcId> = moved
                .iter()
                .flat_map(|m| m.rfcs.iter())
                .filter_map(|r| r.parse().ok())
                .collect();
            for id in named {
                // An RFC is in test once any of its packages is; it moves on
                // further only when every package carrying it has arrived.
                if m != SystemMove::ReachedTest && !carried.all_arrived(id) {
                    continue;
                }
                self.system_move_in(tx, caller, id, m, "promoted", &event_detail)
                    .await?;
            }
        }
        // Testers hear of it in the same transaction: no arrival without its invitations.
        self.renew_rounds(tx, env, carried).await
    }

    /// What a promotion's packages arriving (every deployment succeeded)
    /// will change, read before the transaction that records the last
    /// deployment's end, so that end and the arrival are one write.
    pub(crate) async fn prepare_arrival(&self, intent: &str) -> Result<Option<Arrival>> {
        let Some(i) = self.store.intent(intent).await? else {
            return Ok(None);
        };
        let IntentPayload::Promote(packages) = self.store.intent_payload(&i).await? else {
            return Ok(None);
        };
        let moved: Vec<Moved> = packages.iter().map(Moved::from).collect();
        let caller = Caller::stored(&i.actor, crate::store::audit::Origin::Cli)?;
        let carried = self.arrival_facts(&i.environment, &moved).await?;
        Ok(Some(Arrival {
            commit: i.commit_id.clone().unwrap_or_default(),
            environment: i.environment,
            caller,
            moved,
            carried,
        }))
    }

    /// The packages of a prepared arrival have arrived, in `tx`.
    pub(crate) async fn arrive_prepared(&self, tx: &mut WriteTx, a: &Arrival) -> Result<usize> {
        self.arrive_in(tx, &a.environment, &a.caller, &a.moved, &a.commit, &a.carried)
            .await
    }
}

/// A promotion's arrival, gathered: see [`App::prepare_arrival`].
pub(crate) struct Arrival {
    environment: String,
    caller: Caller,
    moved: Vec<Moved>,
    commit: String,
    carried: Carried,
}

/// What completing a promotion did.
#[derive(Debug, Default)]
pub(crate) struct Completed {
    pub invitations: usize,
    pub deployments: Vec<i64>,
}

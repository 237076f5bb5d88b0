//! Rollback: a new commit restoring a package folder as it was, never a
//! rewrite of history.

use git2::Oid;
use semver::Version;
use serde::Serialize;
use serde_json::json;

use super::promote::{FileChanges, failpoint, file_changes};
use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::rfc::{RfcId, State};
use crate::gitrepo::history::{trailer, trailers};
use crate::gitrepo::read::read_manifest;
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::gitrepo::{ConfigRepo, Identity};
use crate::store::audit::{self, NewAuditEvent};
use crate::store::promotions::{self as intents, NewIntent};
use crate::store::rfcs::{self as rfc_store, NewEvent};

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub package: String,
    pub environment: String,
    pub reason: String,
    pub to_version: Option<Version>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RfcReturn {
    pub rfc: String,
    pub from: String,
    pub to: String,
}

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
    pub head: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RollbackOutcome {
    DryRun { plan: RollbackPlan },
    RolledBack { plan: RollbackPlan, commit: String },
}

struct GitPlan {
    head: String,
    current_tree: String,
    withdrawn_version: Option<String>,
    withdrawn_rfcs: Vec<String>,
    restored_tree: Option<String>,
    restored_version: Option<String>,
    restored_rfcs: Vec<String>,
    files: FileChanges,
    /// The commit that brought the withdrawn content: RFC states are restored from it.
    arrival: Option<String>,
}

fn plan_git(repo: &ConfigRepo, env_path: &str, package: &str, to_version: Option<&Version>) -> Result<GitPlan> {
    let git = repo.open()?;
    let head = repo.head(&git)?;
    let path = format!("{env_path}/{package}");
    let at = |commit: &git2::Commit<'_>| -> Option<Oid> {
        commit
            .tree()
            .ok()?
            .get_path(std::path::Path::new(&path))
            .ok()
            .map(|e| e.id())
    };
    let head_commit = git.find_commit(head)?;
    let Some(current) = at(&head_commit) else {
        return Err(AppError::refused(format!(
            "{package} is not in {env_path}: nothing to roll back"
        )));
    };
    let current_tree = git.find_tree(current)?;
    let current_manifest = read_manifest(&git, package, &current_tree).ok();
    // Walk the changes of this folder, newest first.
    let mut restored: Option<Option<Oid>> = None;
    let mut arrival = None;
    let mut seen_versions = Vec::new();
    let mut c = head_commit;
    loop {
        let here = at(&c);
        let parent = c.parent(0).ok();
        let before = parent.as_ref().and_then(&at);
        if here != before {
            if arrival.is_none() {
                arrival = Some(c.id());
                if to_version.is_none() {
                    restored = Some(before);
                    break;
                }
            }
            if let (Some(want), Some(id)) = (to_version, here) {
                let m = read_manifest(&git, package, &git.find_tree(id)?).ok();
                if let Some(m) = m {
                    if &m.version == want && id != current {
                        restored = Some(Some(id));
                        break;
                    }
                    seen_versions.push(m.version.to_string());
                }
            }
        }
        match parent {
            Some(p) => c = p,
            None => break,
        }
    }
    let Some(restored) = restored else {
        seen_versions.dedup();
        return Err(AppError::refused(format!(
            "{package} {} was never in {env_path} with other content; versions it had: {}",
            to_version.map(|v| v.to_string()).unwrap_or_default(),
            if seen_versions.is_empty() {
                "none".into()
            } else {
                seen_versions.join(", ")
            }
        )));
    };
    let restored_tree = match restored {
        Some(id) => Some(git.find_tree(id)?),
        None => None,
    };
    let restored_manifest = restored_tree
        .as_ref()
        .and_then(|t| read_manifest(&git, package, t).ok());
    let files = match &restored_tree {
        Some(t) => file_changes(&git, Some(&current_tree), t)?,
        None => FileChanges {
            removed: file_changes(&git, None, &current_tree)?.added,
            ..Default::default()
        },
    };
    // Only a promotion tells which states RFCs had before; a hand commit does not.
    let arrival = arrival.and_then(|a| {
        let commit = git.find_commit(a).ok()?;
        let t = trailers(&String::from_utf8_lossy(commit.message_bytes()));
        (trailer(&t, "Dtap-Action") == Some("promote")).then(|| a.to_string())
    });
    Ok(GitPlan {
        head: head.to_string(),
        current_tree: current.to_string(),
        withdrawn_version: current_manifest.as_ref().map(|m| m.version.to_string()),
        withdrawn_rfcs: current_manifest.map(|m| m.rfcs).unwrap_or_default(),
        restored_version: restored_manifest.as_ref().map(|m| m.version.to_string()),
        restored_rfcs: restored_manifest.map(|m| m.rfcs).unwrap_or_default(),
        restored_tree: restored_tree.map(|t| t.id().to_string()),
        files,
        arrival,
    })
}

impl App {
    pub async fn rollback(&self, caller: &Caller, req: &RollbackRequest) -> Result<RollbackOutcome> {
        self.reconcile().await?;
        let Some(env) = self.workspace.pipeline.get(&req.environment).cloned() else {
            let known: Vec<&str> = self.workspace.pipeline.names().collect();
            return Err(AppError::Invalid(vec![crate::domain::rfc::FieldError::new(
                "env",
                format!("unknown environment `{}`; known: {}", req.environment, known.join(", ")),
            )]));
        };
        let mut refusals = Vec::new();
        if !self
            .workspace
            .access
            .can(&caller.email, &format!("rollback.{}", env.name))
        {
            refusals.push(format!(
                "{} lacks permission rollback.{}: ask a change manager for a role with it",
                caller.email, env.name
            ));
        }
        if req.reason.trim().is_empty() {
            refusals.push("a rollback needs --reason TEXT saying why".into());
        }
        for _ in 0..5 {
            let repo = self.repo.clone();
            let (path, pkg, to_version) = (env.path.clone(), req.package.clone(), req.to_version.clone());
            let g = tokio::task::spawn_blocking(move || plan_git(&repo, &path, &pkg, to_version.as_ref())).await??;
            let acks = self.store.drift_acks().await?;
            let repo = self.repo.clone();
            let path = env.path.clone();
            let ack = acks.get(&env.name).cloned();
            let drift = tokio::task::spawn_blocking(move || {
                let mut m = std::collections::HashMap::new();
                if let Some(a) = ack {
                    m.insert(path.clone(), a);
                }
                repo.drift(std::slice::from_ref(&path), &m)
                    .map(|mut d| d.remove(&path).unwrap_or_default())
            })
            .await??;
            let mut refused = refusals.clone();
            if !drift.is_empty() {
                refused.push(format!(
                    "{} was changed by hand outside dtap ({} commit(s)): review, then `dtap drift ack {} --reason TEXT`",
                    env.name,
                    drift.len(),
                    env.name
                ));
            }
            if !refused.is_empty() {
                return Err(AppError::Refused(
                    refused
                        .into_iter()
                        .map(|m| crate::domain::rfc::Refusal {
                            field: None,
                            message: m,
                        })
                        .collect(),
                ));
            }
            // RFCs the restored version does not carry go back to where they were.
            let mut returns = Vec::new();
            for r in g.withdrawn_rfcs.iter().filter(|r| !g.restored_rfcs.contains(r)) {
                let (Ok(id), Some(arrival)) = (r.parse::<RfcId>(), &g.arrival) else {
                    continue;
                };
                let Some(rfc) = self.store.rfc(id).await? else { continue };
                if let Some(before) = self.store.state_before(id.0, &format!("promote {arrival}")).await?
                    && before != rfc.state.as_str()
                {
                    returns.push(RfcReturn {
                        rfc: r.clone(),
                        from: rfc.state.to_string(),
                        to: before,
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
                head: g.head.clone(),
            };
            if req.dry_run {
                return Ok(RollbackOutcome::DryRun { plan });
            }
            let intent = random_intent();
            let moves = json!([{ "package": plan.package, "version": plan.restored_version, "tree": plan.restored_tree,
                "withdrawn": plan.withdrawn_version, "returns": plan.rfcs }]);
            self.store
                .insert_intent(&NewIntent {
                    id: &intent,
                    kind: "rollback",
                    environment: &env.name,
                    packages: &moves.to_string(),
                    base_commit: &g.head,
                    actor: &caller.email,
                    reason: &req.reason,
                    emergency: false,
                    lease_owner: &super::promote::lease_owner_pub(),
                    lease_until: &super::promote::lease_until_pub(),
                })
                .await?;
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
                    ("Dtap-Promoted-By", caller.email.clone()),
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
            let cas = tokio::task::spawn_blocking(move || -> Result<CasOutcome> {
                let git = repo.open()?;
                let base = Oid::from_str(&head)?;
                let root = git.find_commit(base)?.tree()?;
                let parts: Vec<&str> = path.split('/').collect();
                let entry = match restored {
                    Some(t) => Entry::Tree(Oid::from_str(&t)?),
                    None => Entry::Remove,
                };
                let tree = write::replace_path(&git, Some(&root), &parts, &entry)?;
                Ok(repo.commit_cas(&git, base, tree, &message, &author)?)
            })
            .await??;
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
            self.complete_rollback(&intent, &commit, caller, &plan, &req.reason)
                .await?;
            let _ = g.current_tree;
            return Ok(RollbackOutcome::RolledBack { plan, commit });
        }
        Err(AppError::Conflict(
            "the config repo kept changing; nothing was rolled back. Try again".into(),
        ))
    }

    pub(crate) async fn complete_rollback(
        &self,
        intent: &str,
        commit: &str,
        caller: &Caller,
        plan: &RollbackPlan,
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.store.write_tx().await?;
        if !intents::finish(&mut tx, intent, Some(commit), "").await? {
            return Ok(());
        }
        let detail = format!("rollback {commit}");
        for r in &plan.rfcs {
            let (Ok(id), Ok(to)) = (r.rfc.parse::<RfcId>(), r.to.parse::<State>()) else {
                continue;
            };
            let Some(mut rfc) = rfc_store::get_in(&mut tx, id).await? else {
                continue;
            };
            let from = rfc.state;
            rfc.state = to;
            rfc.held_from = None;
            rfc_store::update(&mut tx, &rfc).await?;
            rfc_store::add_event(
                &mut tx,
                &NewEvent {
                    rfc: id,
                    actor: &caller.email,
                    kind: "rolled_back",
                    from_state: Some(from),
                    to_state: Some(to),
                    detail: &detail,
                },
            )
            .await?;
        }
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: caller.email.clone(),
                action: "rollback".into(),
                object: format!("{}@{}", plan.package, plan.environment),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: json!({ "commit": commit, "withdrawn": plan.withdrawn_version, "restored": plan.restored_version, "reason": reason, "rfcs": plan.rfcs }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn random_intent() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    hex::encode(b)
}

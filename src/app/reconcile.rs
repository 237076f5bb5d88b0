//! Reconcile: settling promotions and rollbacks whose process ended between
//! the ref update and the database completion (DESIGN §4).

use serde_json::json;

use super::promote::FileChanges;
use super::publish::lease_owner;
use super::rfcs::Caller;
use super::signoff::Moved;
use super::{App, Result};
use crate::domain::intent::IntentPayload;
use crate::gitrepo::ConfigRepo;
use crate::store::intents;

impl App {
    /// Settles intents whose process is gone: done if the repo holds their
    /// commit, failed otherwise. Never touches a live intent of another process.
    pub async fn reconcile(&self) -> Result<Vec<String>> {
        let pending = self.store.pending_intents().await?;
        // Whether a commit landed is the remote's to say: without an answer, settle nothing.
        if !pending.is_empty()
            && let Err(e) = self.sync_repo(self.repo.is_stale()).await
        {
            tracing::warn!(error = %e, "unfinished promotions stay pending until the config repo can be fetched");
            return Ok(Vec::new());
        }
        let now_s = self.now().to_string();
        let me = lease_owner();
        let host = me.split(':').next().unwrap_or_default().to_string();
        let mut settled = Vec::new();
        for i in pending {
            let (owner_host, owner_pid) = i.lease_owner.split_once(':').unwrap_or((&i.lease_owner, ""));
            let dead_here = owner_host == host
                && i.lease_owner != me
                && !std::path::Path::new(&format!("/proc/{owner_pid}")).exists();
            if !(i.lease_until < now_s || dead_here) {
                continue;
            }
            let repo = self.repo.clone();
            let id = i.id.clone();
            let found = tokio::task::spawn_blocking(move || find_intent_commit(&repo, &id)).await??;
            match found {
                Some(commit) => match self.store.intent_payload(&i).await? {
                    IntentPayload::Rollback { package, returns } => {
                        let caller = Caller::stored(&i.actor, crate::store::audit::Origin::Cli)?;
                        let plan = super::rollback::RollbackPlan {
                            package: package.package,
                            environment: i.environment.clone(),
                            withdrawn_version: package.from_version,
                            restored_version: package.version,
                            restored_tree: package.tree,
                            files: FileChanges::default(),
                            rfcs: returns,
                            restored_rfcs: package.rfcs,
                            head: i.base_commit.clone(),
                        };
                        self.complete_rollback(&i.id, &commit, &caller, &plan, &i.reason)
                            .await?;
                        settled.push(format!("rollback in {}: done ({})", i.environment, &commit[..12]));
                    }
                    IntentPayload::Promote(packages) => {
                        let moved: Vec<Moved> = packages.iter().map(Moved::from).collect();
                        let caller = Caller::stored(&i.actor, crate::store::audit::Origin::Cli)?;
                        self.complete_promotion(
                            &i.id,
                            &commit,
                            &i.environment,
                            &caller,
                            &moved,
                            &json!({
                                "commit": commit, "to": i.environment, "reconciled": true, "intent": i.id,
                                "reason": i.reason, "emergency": i.emergency != 0,
                            }),
                        )
                        .await?;
                        settled.push(format!("{} into {}: done ({})", i.kind, i.environment, &commit[..12]));
                    }
                },
                None => {
                    let mut tx = self.store.write_tx().await?;
                    intents::finish(&mut tx, &i.id, None, "its process ended before the commit was made").await?;
                    tx.commit().await?;
                    settled.push(format!(
                        "{} into {}: failed, the repo has no commit for it",
                        i.kind, i.environment
                    ));
                }
            }
        }
        Ok(settled)
    }
}

/// Looks for the commit carrying `Dtap-Intent: <id>` in recent history.
fn find_intent_commit(repo: &ConfigRepo, id: &str) -> Result<Option<String>> {
    let needle = format!("Dtap-Intent: {id}");
    Ok(repo
        .first_parent_log(10_000)?
        .into_iter()
        .find(|(_, message)| message.contains(&needle))
        .map(|(commit, _)| commit))
}

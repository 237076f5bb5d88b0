//! Check: promotion and rollback intents against the branch. Unfinished ones
//! of ended processes are settled with `repair`; finished ones must match git.

use std::collections::HashSet;
use std::path::Path;

use super::{DoctorReport, Status, short};
use crate::app::publish::lease_owner;
use crate::app::{App, Result};
use crate::store::intents::Intent;

impl App {
    /// Intents against the branch: unfinished ones of ended processes are
    /// settled (as the next write would), finished ones must match git.
    pub(super) async fn check_intents(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let branch = self.branch().await?;
        let intents = self.store.all_intents().await?;
        let now_s = self.now().to_string();
        let me = lease_owner();
        let host = me.split(':').next().unwrap_or_default().to_string();
        let dead = |i: &Intent| {
            let (h, pid) = i.lease_owner.split_once(':').unwrap_or((&i.lease_owner, ""));
            i.lease_until < now_s || (h == host && !Path::new(&format!("/proc/{pid}")).exists())
        };
        let mut problems = 0;
        let mut unfinished = 0;
        let what = |i: &Intent| {
            format!(
                "{} into {} by {} (intent {}, {})",
                i.kind, i.environment, i.actor, i.id, i.created_at
            )
        };
        for i in &intents {
            let on_branch = branch.by_intent.get(&i.id);
            match i.state.as_str() {
                "pending" if !dead(i) => r.push(
                    "intents",
                    Status::Info,
                    format!(
                        "{} is in progress (lease held by {} until {})",
                        what(i),
                        i.lease_owner,
                        i.lease_until
                    ),
                    None,
                ),
                "pending" => {
                    unfinished += 1;
                    if !repair {
                        let fate = match on_branch {
                            Some(c) => format!(
                                "the branch holds its commit {}, so reconciling completes it (RFC states, mail, audit)",
                                short(c)
                            ),
                            None => "the branch has no commit for it, so reconciling marks it failed".into(),
                        };
                        r.push(
                            "intents",
                            Status::Problem,
                            format!("{} was left unfinished by a process that ended: {fate}", what(i)),
                            Some("`dtap doctor --repair`, or any command that changes something, settles it"),
                        );
                    }
                }
                "done" => {
                    let commit = i.commit_id.as_deref().unwrap_or_default();
                    if !branch.commits.contains(commit) {
                        problems += 1;
                        r.push(
                            "intents",
                            Status::Problem,
                            format!(
                                "{} is done with commit {}, which is not on the branch: the branch was rewritten",
                                what(i),
                                short(commit)
                            ),
                            Some("find who rewrote the branch (reflog of the remote); dtap never rewrites history"),
                        );
                    }
                }
                _ => {
                    if let Some(c) = on_branch {
                        problems += 1;
                        r.push(
                            "intents",
                            Status::Problem,
                            format!(
                                "{} is marked failed, yet its commit {} is on the branch: its RFCs did not move",
                                what(i),
                                short(c)
                            ),
                            Some("move the RFCs by hand (`dtap rfc move`) and tell the lead; this should not happen"),
                        );
                    }
                }
            }
        }
        let known: HashSet<&str> = intents.iter().map(|i| i.id.as_str()).collect();
        for (intent, commit) in &branch.by_intent {
            if !known.contains(intent.as_str()) {
                problems += 1;
                r.push(
                    "intents",
                    Status::Problem,
                    format!(
                        "commit {} names intent {intent}, which the database does not know: was it restored from an older backup?",
                        short(commit)
                    ),
                    Some("restore the newest database backup; dtap cannot invent the missing rows"),
                );
            }
        }
        if repair && unfinished > 0 {
            for line in self.reconcile().await? {
                r.push(
                    "intents",
                    Status::Repaired,
                    format!("settled an unfinished {line}"),
                    None,
                );
            }
        }
        if problems == 0 && unfinished == 0 {
            r.push(
                "intents",
                Status::Ok,
                format!("{} intents, every finished one agrees with the branch", intents.len()),
                None,
            );
        }
        Ok(())
    }
}

//! Check: is every commit on the branch that carries dtap's trailers recorded
//! as dtap's own?

use std::collections::HashSet;

use super::{DoctorReport, Status, short};
use crate::app::{App, Result};

impl App {
    /// Every commit on the branch that carries dtap's trailers should be
    /// recorded as dtap's own; otherwise the index counts it as drift.
    pub(super) async fn check_dtap_commits(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let branch = self.branch().await?;
        let known = self.store.dtap_commits().await?;
        let intents: HashSet<String> = self.store.all_intents().await?.into_iter().map(|i| i.id).collect();
        let mut clean = true;
        for (commit, action, intent) in &branch.dtap {
            if known.contains(commit) {
                continue;
            }
            clean = false;
            match intent.as_ref().filter(|i| intents.contains(*i)) {
                Some(i) if repair => {
                    self.store.record_dtap_commit(commit, action).await?;
                    r.push(
                        "dtap-commits",
                        Status::Repaired,
                        format!("recorded {} ({action}, intent {i}) as dtap's own commit", short(commit)),
                        None,
                    );
                }
                Some(i) => r.push(
                    "dtap-commits",
                    Status::Problem,
                    format!(
                        "{} ({action}) names intent {i} the database knows, but is not recorded as dtap's own commit",
                        short(commit)
                    ),
                    Some("`dtap doctor --repair` records it"),
                ),
                None => r.push(
                    "dtap-commits",
                    Status::Problem,
                    format!(
                        "{} carries dtap's trailers (Dtap-Action: {action}) but dtap never recorded it: a `dtap rfc link` \
                         ended between its commit and its record, or someone wrote the trailers by hand; it counts as drift",
                        short(commit)
                    ),
                    Some("check who made it (`git show`), then `dtap drift ack` it"),
                ),
            }
        }
        if clean {
            r.push(
                "dtap-commits",
                Status::Ok,
                format!("all {} dtap commits on the branch are recorded", branch.dtap.len()),
                None,
            );
        }
        let unpublished = known.iter().filter(|c| !branch.commits.contains(*c)).count();
        if unpublished > 0 {
            r.push(
                "dtap-commits",
                Status::Info,
                format!(
                    "{unpublished} commit(s) dtap made never reached the branch (a lost race, or a process that ended \
                     before the ref update); harmless, nothing points at them"
                ),
                None,
            );
        }
        Ok(())
    }
}

//! Check: deployments whose runner died, environments whose latest
//! deployment did not succeed, and deployments waiting for a runner.

use super::{DoctorReport, Status};
use crate::app::{App, Result};

impl App {
    pub(super) async fn check_deployments(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let now = self.now().to_string();
        let expired = self.store.expired_deployments(&now).await?;
        let ids = |ds: &[crate::store::deployments::Deployment]| {
            ds.iter()
                .map(|d| format!("deployment {}", d.id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !expired.is_empty() {
            if repair {
                // The same move every runner makes: interrupted, the promoter told, never re-run.
                let n = self.interrupt_stale_deployments().await?;
                r.push(
                    "deployments",
                    Status::Repaired,
                    format!(
                        "marked {n} deployment(s) whose runner stopped `interrupted`: {}",
                        ids(&expired)
                    ),
                    Some("a person chooses what happens next: `dtap deploy retry ID` or a rollback"),
                );
            } else {
                r.push(
                    "deployments",
                    Status::Problem,
                    format!(
                        "{} still say `running`, but their runner stopped (the lease ran out)",
                        ids(&expired)
                    ),
                    Some(
                        "`dtap doctor --repair` (or the next `dtap deploy run`, promote or serve) marks them interrupted",
                    ),
                );
            }
        }
        let mut stuck = Vec::new();
        for env in self
            .workspace
            .pipeline
            .environments()
            .iter()
            .filter(|e| e.deploy.is_some())
        {
            for d in self.store.latest_deployments(&env.name).await? {
                // The same rule the promotion gate applies (`is_bad`).
                if d.state().is_bad() {
                    stuck.push(format!(
                        "{} in {} ({}, deployment {})",
                        d.package,
                        env.name,
                        d.state(),
                        d.id
                    ));
                }
            }
        }
        if !stuck.is_empty() {
            r.push(
                "deployments",
                Status::Problem,
                format!("the latest deployment did not succeed: {}", stuck.join("; ")),
                Some("promotions into those environments are refused until `dtap deploy retry ID` succeeds or a rollback is deployed"),
            );
        }
        let queued = self.store.queued_deployments().await?;
        if let Some(oldest) = queued.first() {
            r.push(
                "deployments",
                Status::Info,
                format!(
                    "{} deployment(s) wait for a runner, the oldest (deployment {}) since {}",
                    queued.len(),
                    oldest.id,
                    oldest.created_at
                ),
                Some("`dtap serve` runs them, or `dtap deploy run` once"),
            );
        }
        if expired.is_empty() && stuck.is_empty() && queued.is_empty() {
            r.push(
                "deployments",
                Status::Ok,
                "no deployment left running by a stopped runner or failed".into(),
                None,
            );
        }
        Ok(())
    }
}

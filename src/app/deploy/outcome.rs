//! What a deployment's end sets off: the rest of its commit checked, the
//! failure mailed to the promoter and the notify list, the audit events.

use minijinja::context;
use serde_json::json;

use super::Deployment;
use crate::app::{App, Result};
use crate::domain::deploy::state::DeployState;
use crate::store::audit::{self, NewAuditEvent, Origin};

impl App {
    /// Whether every other package of `d`'s promotion commit was deployed
    /// (per package its newest deployment: a retry replaces a failure).
    pub(super) async fn rest_of_commit_succeeded(&self, d: &Deployment) -> Result<bool> {
        if d.action != "promote" {
            return Ok(false);
        }
        let all = self.store.deployments_of_intent(&d.intent_id).await?;
        let mut newest: std::collections::BTreeMap<&str, &Deployment> = Default::default();
        for x in &all {
            newest.insert(x.package.as_str(), x);
        }
        Ok(newest
            .values()
            .filter(|x| x.package != d.package)
            .all(|x| x.state() == DeployState::Succeeded))
    }

    /// The first failure cancels the rest of its commit and tells the
    /// promoter and the environment's `notify` list, with the failing step.
    pub(super) async fn deployment_failed(
        &self,
        d: &Deployment,
        state: DeployState,
        failed: Option<(String, String)>,
    ) -> Result<()> {
        self.store
            .cancel_queued_of_intent(
                &d.intent_id,
                &format!("deployment {} of the same commit did not succeed", d.id),
            )
            .await?;
        let mut to = vec![d.requested_by.clone()];
        if let Some(e) = self.workspace.pipeline.get(&d.environment) {
            to.extend(e.notify.iter().cloned());
        }
        let (step, output) = failed.unwrap_or_default();
        let tail: Vec<&str> = output.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let ctx = context! {
            id => d.id, environment => d.environment.clone(), environment_label => self.env_label(&d.environment),
            package => d.package.clone(), version => d.version.clone().unwrap_or_default(), state => state.as_str(),
            step, output => tail.join("\n"), commit => d.commit.chars().take(12).collect::<String>(),
        };
        let mut tx = self.store.write_tx().await?;
        self.queue(&mut tx, "deploy_failed", to, ctx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn audit_deploy(&self, d: &Deployment, action: &str, detail: serde_json::Value) -> Result<()> {
        let mut tx = self.store.write_tx().await?;
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: d.requested_by.clone(),
                action: action.into(),
                object: format!("deployment {}", d.id),
                outcome: "ok".into(),
                origin: Origin::Cli,
                detail: json!({ "environment": d.environment, "package": d.package, "version": d.version, "detail": detail }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

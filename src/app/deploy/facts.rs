//! What the deployment gate of a promotion is told.

use super::Deployment;
use crate::app::{App, Result};
use crate::domain::deploy::state::DeployState;

impl App {
    /// What the deployment gate needs for promoting `package` (at `tree`) from `from` into `to`.
    pub(crate) async fn deploy_facts(
        &self,
        from: &crate::domain::pipeline::Environment,
        to: &crate::domain::pipeline::Environment,
        package: &str,
        tree: &str,
    ) -> Result<crate::domain::deploy::gate::DeployFacts> {
        use crate::domain::deploy::gate::{DeployFacts, DeployRef};
        let as_ref = |d: &Deployment| DeployRef {
            id: d.id,
            package: d.package.clone(),
            state: d.state.clone(),
        };
        let mut f = DeployFacts::default();
        if to.deploy.is_some() {
            let latest = self.store.latest_deployments(&to.name).await?;
            let open = self.store.open_deployments(&to.name).await?;
            f.target_open = open.iter().map(as_ref).collect();
            f.target_bad = latest.iter().filter(|d| d.state().is_bad()).map(as_ref).collect();
        }
        if from.deploy.is_some()
            && let Some(d) = self.store.latest_deployment_of(&from.name, package).await?
            && !(d.state() == DeployState::Succeeded && d.tree.as_deref() == Some(tree))
        {
            f.source_undeployed = Some(as_ref(&d));
        }
        Ok(f)
    }
}

//! Looking at deployments, retrying and cancelling them, and the secrets
//! their steps get.

use super::{Deployment, DeploymentView, inputs};
use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::deploy::state::DeployState;
use crate::msg;
use crate::store::deployments::{self as store, NewDeployment};

impl App {
    /// May `caller` see deployments into `env`: permission `promote.<env>` or `audit.view`.
    pub fn may_see_deployments(&self, caller: &Caller, env: &str) -> bool {
        let a = &self.workspace.access;
        a.can(&caller.email, &format!("promote.{env}")) || a.can(&caller.email, "audit.view")
    }

    /// The deployments `caller` may see, newest first (pages and the API).
    pub async fn deployments_for(&self, caller: &Caller, env: Option<&str>, limit: i64) -> Result<Vec<Deployment>> {
        Ok(self
            .deployments(env, limit)
            .await?
            .into_iter()
            .filter(|d| self.may_see_deployments(caller, &d.environment))
            .collect())
    }

    /// The newest deployment of each package in each environment that
    /// deploys: (environment, package) → it. For the dashboard's badges.
    pub async fn latest_deployments(&self) -> Result<std::collections::HashMap<(String, String), Deployment>> {
        let mut out = std::collections::HashMap::new();
        for e in self
            .workspace
            .pipeline
            .environments()
            .iter()
            .filter(|e| e.deploy.is_some())
        {
            for d in self.store.latest_deployments(&e.name).await? {
                out.insert((d.environment.clone(), d.package.clone()), d);
            }
        }
        Ok(out)
    }

    /// Ctrl-C on a command waiting for these deployments: the running one's
    /// step is killed and it ends `interrupted` (the rest are cancelled).
    pub async fn interrupt_deployments(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            self.store.request_interrupt(*id).await?;
        }
        Ok(())
    }

    /// One deployment, if `caller` may see it ("not found" otherwise).
    pub async fn deployment_for(&self, caller: &Caller, id: i64) -> Result<DeploymentView> {
        let v = self.deployment_view(id).await?;
        if !self.may_see_deployments(caller, &v.deployment.environment) {
            return Err(AppError::NotFound(format!("deployment {id}")));
        }
        Ok(v)
    }

    pub async fn deployments(&self, environment: Option<&str>, limit: i64) -> Result<Vec<Deployment>> {
        Ok(self.store.deployments(environment, limit.clamp(1, 1000)).await?)
    }

    pub async fn deployment_view(&self, id: i64) -> Result<DeploymentView> {
        let deployment = self
            .store
            .deployment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("deployment {id}")))?;
        let steps = self.store.deployment_steps(id).await?;
        let removed = self
            .removals(
                &deployment.environment,
                &deployment.commit,
                std::iter::once(deployment.package.as_str()),
            )
            .await?
            .into_iter()
            .flat_map(|r| r.files)
            .collect();
        Ok(DeploymentView {
            deployment,
            steps,
            removed,
        })
    }

    /// Each listed secret's value, from `DTAP_SECRET_<NAME>` or else the
    /// `[deploy] secrets_file`; a missing one is named, and a secrets file
    /// that others may read is refused.
    pub(crate) fn resolve_secrets(&self, names: &[String]) -> std::result::Result<Vec<(String, String)>, String> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let file = match &self.workspace.config.deploy.secrets_file {
            Some(f) => Some(inputs::read_secrets_file(&crate::config::Config::resolve_home(
                &self.workspace.dir,
                f,
            ))?),
            None => None,
        };
        names
            .iter()
            .map(|n| {
                let from_env = std::env::var(format!("DTAP_SECRET_{n}")).ok().filter(|v| !v.is_empty());
                match from_env.or_else(|| file.as_ref().and_then(|f| f.get(n).cloned())) {
                    Some(v) => Ok((n.clone(), v)),
                    None => Err(format!(
                        "secret {n} is missing: set DTAP_SECRET_{n} in the environment of whoever runs deployments, or put {n} = \"...\" in the [deploy] secrets_file"
                    )),
                }
            })
            .collect()
    }

    /// A deployment `caller` may act on (`promote.<env>`); `verb` says what for.
    async fn deployment_to_change(&self, caller: &Caller, id: i64, verb: &str) -> Result<Deployment> {
        let d = self
            .store
            .deployment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("deployment {id}")))?;
        if !self
            .workspace
            .access
            .can(&caller.email, &format!("promote.{}", d.environment))
        {
            return Err(AppError::refused(msg!(
                "{verb} a deployment into {env} needs permission promote.{env}: ask a change manager for a role with it",
                verb = word(verb),
                env = &d.environment
            )));
        }
        Ok(d)
    }

    /// A new deployment of the same commit (only while that commit's tree is
    /// still the package's latest there), followed by the packages of that
    /// commit its failure cancelled before they started: retrying carries the
    /// whole commit on. Returns the new ids in the order they run.
    pub async fn retry_deployment(&self, caller: &Caller, id: i64) -> Result<Vec<i64>> {
        let d = self.deployment_to_change(caller, id, "retrying").await?;
        if d.state().is_open() || d.state() == DeployState::Succeeded {
            return Err(AppError::refused(msg!(
                "deployment {id} is {state}: nothing to retry",
                id,
                state = word(&d.state)
            )));
        }
        self.refresh_index().await?;
        let path = self
            .workspace
            .pipeline
            .get(&d.environment)
            .map(|e| e.path.clone())
            .unwrap_or_default();
        let trees: std::collections::BTreeMap<String, String> = self
            .store
            .indexed_packages_in(&[path.as_str()])
            .await?
            .into_iter()
            .map(|p| (p.package, p.tree))
            .collect();
        if trees.get(&d.package) != d.tree.as_ref() {
            return Err(AppError::refused(msg!(
                "{package} in {env} is no longer the version deployment {id} deployed: promote or roll back instead",
                package = &d.package,
                env = &d.environment,
                id
            )));
        }
        // Per package of the commit its newest deployment; those after this
        // one that were cancelled unstarted go again, if still current.
        let mut newest: std::collections::BTreeMap<String, Deployment> = Default::default();
        for x in self.store.deployments_of_intent(&d.intent_id).await? {
            newest.insert(x.package.clone(), x);
        }
        let mut again: Vec<Deployment> = newest
            .into_values()
            .filter(|x| x.package != d.package && x.position > d.position)
            .filter(|x| x.state() == DeployState::Cancelled && x.started_at.is_none())
            .filter(|x| trees.get(&x.package) == x.tree.as_ref())
            .collect();
        again.sort_by_key(|x| x.position);
        let mut tx = self.store.write_tx().await?;
        let mut ids = Vec::new();
        for x in std::iter::once(&d).chain(again.iter()) {
            let new = store::enqueue(
                &mut tx,
                &NewDeployment {
                    environment: &x.environment,
                    package: &x.package,
                    version: x.version.as_deref(),
                    tree: x.tree.as_deref(),
                    previous_tree: x.previous_tree.as_deref(),
                    commit: &x.commit,
                    action: &x.action,
                    intent: &x.intent_id,
                    position: x.position,
                    requested_by: &caller.email,
                    retry_of: Some(x.id),
                },
            )
            .await?;
            ids.push(new);
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn cancel_deployment(&self, caller: &Caller, id: i64) -> Result<bool> {
        self.deployment_to_change(caller, id, "cancelling").await?;
        Ok(self
            .store
            .cancel_deployment(id, &format!("cancelled by {}", caller.email))
            .await?)
    }
}

/// Files a commit removed from one package's folder in an environment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Removal {
    pub package: String,
    pub files: Vec<String>,
}

impl App {
    /// What `commit` removed from each of `packages` in `env` (empty ones left
    /// out): deletions are shown on their own wherever a change is shown,
    /// because in the CRM they take data with them.
    pub async fn removals<'a>(
        &self,
        env: &str,
        commit: &str,
        packages: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<Removal>> {
        let Some(e) = self.workspace.pipeline.get(env) else {
            return Ok(Vec::new());
        };
        let paths: Vec<(String, String)> = packages.map(|p| (p.to_string(), format!("{}/{p}", e.path))).collect();
        let (repo, commit) = (self.repo.clone(), commit.to_string());
        let out = tokio::task::spawn_blocking(move || -> Result<Vec<Removal>> {
            let mut out = Vec::new();
            for (package, path) in paths {
                let before = repo.tree_before(&commit, &path)?;
                let after = repo.tree_at(&commit, &path)?;
                let files = repo.tree_changes(before.as_deref(), after.as_deref())?.removed;
                if !files.is_empty() {
                    out.push(Removal { package, files });
                }
            }
            Ok(out)
        })
        .await??;
        Ok(out)
    }
}

//! Deploying into the CRM (DESIGN §14): a commit into an environment with
//! `deploy:` queues one deployment per package; a runner (`dtap promote`
//! waiting, `dtap deploy run`, the serve worker) claims each under a lease,
//! runs its steps and records the true result. When every deployment of a
//! promotion succeeded, its requests move on and the testers are invited;
//! the first failure cancels the rest and tells the promoter.

mod export;
mod facts;
mod inputs;
mod manage;
mod outcome;
mod runner;
mod step;
mod validate;

pub use export::{Export, ExportFailed};
pub use runner::run;

use serde::Serialize;
use serde_json::json;

use super::signoff::Moved;
use super::{App, AppError, Result};
use crate::domain::deploy::config::{self as cfg, Action};
use crate::domain::deploy::state::DeployState;
use crate::store::WriteTx;
use crate::store::deployments::{self as store, Deployment, DeploymentStep, NewDeployment};

pub use step::masked_tail;

/// What a waiting runner shows while a step runs.
#[derive(Debug, Clone)]
pub struct Progress {
    pub deployment: i64,
    pub package: String,
    pub step: String,
}

/// A deployment with its steps, as `deploy show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentView {
    #[serde(flatten)]
    pub deployment: Deployment,
    pub steps: Vec<DeploymentStep>,
    /// Files this deployment removes from the CRM (its commit removed them from the folder).
    pub removed: Vec<String>,
}

/// The commit a deployment deploys: its action, intent and who made it.
pub(crate) struct CommitOf<'a> {
    pub commit: &'a str,
    pub action: &'a str,
    pub intent: &'a str,
    pub by: &'a str,
}

struct Lease<'a> {
    app: &'a App,
    id: i64,
    owner: String,
    /// Why the step was stopped, as `renew_deployment` said: 1 cancel, 2 interrupt.
    stop: i64,
}

impl step::Watch for Lease<'_> {
    async fn keep_going(&mut self) -> bool {
        let until = (self.app.now() + time::Duration::seconds(self.app.workspace.config.deploy.lease.as_secs() as i64))
            .to_string();
        match self.app.store.renew_deployment(self.id, &self.owner, &until).await {
            Ok((true, 0)) => true,
            Ok((_, stop)) => {
                self.stop = stop;
                false
            }
            Err(e) => {
                tracing::warn!(deployment = self.id, error = %e, "could not renew the deployment's lease");
                true
            }
        }
    }
}

impl App {
    /// Queues one deployment per moved package into `env`, in the caller's
    /// transaction (the commit's completion). Empty when `env` deploys by committing.
    pub(crate) async fn queue_deployments(
        &self,
        tx: &mut WriteTx,
        env: &str,
        of: &CommitOf<'_>,
        moved: &[Moved],
    ) -> Result<Vec<i64>> {
        if self
            .workspace
            .pipeline
            .get(env)
            .and_then(|e| e.deploy.as_ref())
            .is_none()
        {
            return Ok(Vec::new());
        }
        let mut ids = Vec::new();
        for (position, m) in moved.iter().enumerate() {
            let tree = (!m.tree.is_empty()).then_some(m.tree.as_str());
            let version = (!m.version.is_empty()).then_some(m.version.as_str());
            let id = store::enqueue(
                tx,
                &NewDeployment {
                    environment: env,
                    package: &m.package,
                    version,
                    tree,
                    previous_tree: None,
                    commit: of.commit,
                    action: of.action,
                    intent: of.intent,
                    position: position as i64,
                    requested_by: of.by,
                    retry_of: None,
                },
            )
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Marks running deployments whose runner died `interrupted` and tells
    /// their promoters: they are never re-run by themselves.
    pub async fn interrupt_stale_deployments(&self) -> Result<usize> {
        let gone = self.store.interrupt_expired(&self.now().to_string()).await?;
        for d in &gone {
            self.deployment_failed(d, DeployState::Interrupted, None).await?;
        }
        Ok(gone.len())
    }

    /// Runs queued deployments (oldest first) until none is left that may
    /// start; returns each one's end.
    pub async fn run_queued_deployments(
        &self,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Vec<(i64, DeployState)>> {
        self.interrupt_stale_deployments().await?;
        let mut done = Vec::new();
        loop {
            let queued = self.store.queued_deployments().await?;
            let mut ran = false;
            for d in queued {
                if let Some(state) = self.run_deployment(d.id, progress).await? {
                    done.push((d.id, state));
                    ran = true;
                    break;
                }
            }
            if !ran {
                return Ok(done);
            }
        }
    }

    /// Claims and runs one deployment; `None` when another runner has it (or
    /// another deployment into its environment runs).
    pub async fn run_deployment(&self, id: i64, progress: &(dyn Fn(&Progress) + Sync)) -> Result<Option<DeployState>> {
        let owner = format!("{}:{id}", super::publish::lease_owner());
        let until =
            (self.now() + time::Duration::seconds(self.workspace.config.deploy.lease.as_secs() as i64)).to_string();
        if !self.store.claim_deployment(id, &owner, &until).await? {
            return Ok(None);
        }
        let d = self
            .store
            .deployment(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("deployment {id}")))?;
        self.audit_deploy(
            &d,
            "deploy.started",
            json!({ "commit": d.commit, "package": d.package }),
        )
        .await?;
        let (state, failed_step) = self.execute(&d, &owner, progress).await;
        let error = failed_step.as_ref().map(|(name, output)| match name.as_str() {
            // Before any step ran: the reason is the whole story.
            "secrets" | "setup" => format!("{name}: {output}"),
            _ => format!("step `{name}` {state}"),
        });
        // The last deployment of a promotion to succeed and the packages'
        // arrival (requests moved on, testers invited) are one write: a
        // runner that dies between them must not leave the arrival undone.
        let arrival = match state == DeployState::Succeeded && self.rest_of_commit_succeeded(&d).await? {
            true => self.prepare_arrival(&d.intent_id).await?,
            false => None,
        };
        let mut tx = self.store.write_tx().await?;
        let finished = store::finish(&mut tx, id, &owner, state, error.as_deref()).await?;
        if finished && let Some(a) = &arrival {
            self.arrive_prepared(&mut tx, a).await?;
        }
        tx.commit().await?;
        if !finished {
            // Its lease was lost (another runner marked it interrupted and told the promoter).
            let now = self
                .store
                .deployment(id)
                .await?
                .map_or(DeployState::Interrupted, |x| x.state());
            return Ok(Some(now));
        }
        self.audit_deploy(&d, "deploy.finished", json!({ "state": state, "error": error }))
            .await?;
        if state != DeployState::Succeeded {
            self.deployment_failed(&d, state, failed_step).await?;
        }
        Ok(Some(state))
    }

    /// Every step in order; the first that does not succeed ends it.
    async fn execute(
        &self,
        d: &Deployment,
        owner: &str,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> (DeployState, Option<(String, String)>) {
        let Some(env) = self.workspace.pipeline.get(&d.environment).cloned() else {
            return (
                DeployState::Failed,
                Some(("setup".into(), "the environment is no longer configured".into())),
            );
        };
        let Some(config) = env.deploy.clone() else {
            // `deploy:` was removed since it was queued: committing is deploying.
            return (DeployState::Succeeded, None);
        };
        let secrets = match self.resolve_secrets(&env.secrets) {
            Ok(s) => s,
            Err(e) => return (DeployState::Failed, Some(("secrets".into(), e))),
        };
        let dir = match self.prepare_inputs(d).await {
            Ok(dir) => dir,
            Err(e) => return (DeployState::Failed, Some(("setup".into(), e.to_string()))),
        };
        let deadline = std::time::Instant::now() + config.timeout;
        let values: Vec<String> = secrets.iter().map(|(_, v)| v.clone()).collect();
        let mut lease = Lease {
            app: self,
            id: d.id,
            owner: owner.to_string(),
            stop: 0,
        };
        let mut outcome = (DeployState::Succeeded, None);
        for (i, s) in config.steps.iter().enumerate() {
            progress(&Progress {
                deployment: d.id,
                package: d.package.clone(),
                step: s.name.clone(),
            });
            if let Err(e) = self.store.start_step(d.id, i as i64, &s.name).await {
                outcome = (DeployState::Failed, Some((s.name.clone(), e.to_string())));
                break;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let timeout = s.timeout.map_or(left, |t| t.min(left));
            let args = match self.step_args(&s.action, d, &env, &dir) {
                Ok(a) => a,
                Err(e) => {
                    let _ = self
                        .store
                        .finish_step(d.id, i as i64, DeployState::Failed, None, 0, &e)
                        .await;
                    outcome = (DeployState::Failed, Some((s.name.clone(), e)));
                    break;
                }
            };
            let env_vars = dir.environment(d, &env, &secrets);
            let r = step::run_program(&args, &dir.work, &env_vars, timeout, &values, &mut lease).await;
            let r = match &s.action {
                Action::Http { expect, .. } => inputs::http_result(r, expect),
                Action::Run(_) => r,
            };
            // Cancelled by `deploy cancel` stays cancelled; Ctrl-C on the
            // waiting command, or a lease lost to another runner, interrupts.
            let state = match (r.state, lease.stop) {
                (DeployState::Cancelled, 1) => DeployState::Cancelled,
                (DeployState::Cancelled, _) => DeployState::Interrupted,
                (s, _) => s,
            };
            let _ = self
                .store
                .finish_step(
                    d.id,
                    i as i64,
                    state,
                    r.exit_code,
                    r.duration.as_millis() as i64,
                    &r.output,
                )
                .await;
            if state != DeployState::Succeeded {
                outcome = (state, Some((s.name.clone(), r.output)));
                break;
            }
        }
        dir.remove().await;
        outcome
    }

    fn step_args(
        &self,
        action: &Action,
        d: &Deployment,
        env: &crate::domain::pipeline::Environment,
        dir: &inputs::Inputs,
    ) -> std::result::Result<Vec<String>, String> {
        let lookup = |name: &str| -> Option<String> {
            Some(match name {
                "package_dir" => dir.package_dir.display().to_string(),
                "previous_dir" => dir.previous_dir.display().to_string(),
                "changes" => dir.changes.display().to_string(),
                "settings" => dir.settings.display().to_string(),
                "out_dir" => dir.out_dir.display().to_string(),
                "env" => d.environment.clone(),
                "package" => d.package.clone(),
                "version" => d.version.clone().unwrap_or_default(),
                other => env.variables.get(other.strip_prefix("var.")?)?.clone(),
            })
        };
        match action {
            Action::Run(args) => args.iter().map(|a| cfg::expand(a, &lookup)).collect(),
            Action::Http { url, method, .. } => {
                if !self.http_host_allowed(url) {
                    return Err(format!(
                        "dtap may not call `{url}`: its host is not in [deploy] allowed_hosts of dtap.toml (`dtap config set deploy.allowed_hosts HOST`)"
                    ));
                }
                dir.write_http_body(d).map_err(|e| e.to_string())?;
                Ok(inputs::curl_args(method, url, &dir.http_body))
            }
        }
    }

    fn http_host_allowed(&self, url: &str) -> bool {
        let host = url
            .split("://")
            .nth(1)
            .and_then(|r| r.split(['/', ':', '?']).next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        self.workspace.config.deploy_hosts().iter().any(|h| h == &host)
    }
}

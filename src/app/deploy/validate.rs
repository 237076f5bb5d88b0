//! Validation: the check-only `validate:` steps, run against what a
//! promotion would bring, in a dry run or before the commit.

use super::{Deployment, inputs, step};
use crate::app::{App, AppError, Result};
use crate::domain::deploy::config::Action;
use crate::domain::deploy::state::DeployState;
use crate::msg;

/// A watch that never stops a step (validation holds no lease).
struct NoLease;

impl step::Watch for NoLease {
    async fn keep_going(&mut self) -> bool {
        true
    }
}

impl App {
    /// Runs `validate:` of `env` against `package` at `tree` (what a
    /// promotion would bring, replacing `previous`): a gate verdict naming
    /// the failing step and the end of its output. Nothing is recorded.
    pub(crate) async fn validate_package(
        &self,
        env: &crate::domain::pipeline::Environment,
        package: &str,
        version: Option<&str>,
        tree: &str,
        previous: Option<&str>,
        head: &str,
    ) -> Result<crate::domain::promotion::GateVerdict> {
        use crate::domain::promotion::GateVerdict;
        let verdict = |passed: bool, reason: String| GateVerdict {
            gate: "validate".into(),
            passed,
            remedy: (!passed)
                .then(|| "fix what the validation says, or skip it in a dry run with --no-validate".to_string()),
            reason,
        };
        let Some(config) = env.deploy.as_ref().filter(|d| !d.validate.is_empty()) else {
            return Ok(verdict(true, format!("{} has no validate steps", env.name)));
        };
        let secrets = match self.resolve_secrets(&env.secrets) {
            Ok(s) => s,
            Err(e) => return Ok(verdict(false, e)),
        };
        let d = Deployment {
            id: 0,
            environment: env.name.clone(),
            package: package.to_string(),
            version: version.map(str::to_string),
            tree: Some(tree.to_string()),
            previous_tree: previous.map(str::to_string),
            commit: head.to_string(),
            action: "validate".into(),
            intent_id: String::new(),
            position: 0,
            state: "running".into(),
            requested_by: String::new(),
            created_at: self.now(),
            started_at: None,
            finished_at: None,
            lease_owner: None,
            lease_until: None,
            cancel_requested: 0,
            error: None,
            retry_of: None,
        };
        let dir = self.prepare_inputs(&d).await?;
        let values: Vec<String> = secrets.iter().map(|(_, v)| v.clone()).collect();
        let deadline = std::time::Instant::now() + config.timeout;
        let mut result = verdict(true, format!("{} validated in {}", package, env.name));
        for s in &config.validate {
            let args = match self.step_args(&s.action, &d, env, &dir) {
                Ok(a) => a,
                Err(e) => {
                    result = verdict(false, e);
                    break;
                }
            };
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let timeout = s.timeout.map_or(left, |t| t.min(left));
            let vars = dir.environment(&d, env, &secrets);
            let r = step::run_program(&args, &dir.work, &vars, timeout, &values, &mut NoLease).await;
            let r = match &s.action {
                Action::Http { expect, .. } => inputs::http_result(r, expect),
                Action::Run(_) => r,
            };
            if r.state != DeployState::Succeeded {
                let tail: Vec<&str> = r
                    .output
                    .lines()
                    .rev()
                    .filter(|l| !l.trim().is_empty())
                    .take(3)
                    .collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                result = verdict(
                    false,
                    format!("validate step `{}` {}: {}", s.name, r.state, tail.join(" / ")),
                );
                break;
            }
        }
        dir.remove().await;
        Ok(result)
    }
}

impl App {
    /// `dtap deploy validate PKG --env ENV`: the check-only steps against
    /// what promoting PKG into ENV would bring.
    pub async fn validate_promotion(&self, package: &str, env: &str) -> Result<crate::domain::promotion::GateVerdict> {
        let (from, to) = self.environments(env)?;
        if to.deploy.as_ref().is_none_or(|d| d.validate.is_empty()) {
            return Err(AppError::refused(msg!(
                "{env} has no `validate:` steps under `deploy:` in environments/{env}.yaml",
                env
            )));
        }
        let head = self.refresh_index().await?;
        let rows = self
            .store
            .indexed_packages_in(&[from.path.as_str(), to.path.as_str()])
            .await?;
        let Some(source) = rows.iter().find(|r| r.env_path == from.path && r.package == package) else {
            return Err(AppError::refused(msg!(
                "{package} is not in {env}: nothing to validate",
                package,
                env = &from.name
            )));
        };
        let target = rows.iter().find(|r| r.env_path == to.path && r.package == package);
        self.validate_package(
            &to,
            package,
            source.version.as_deref(),
            &source.tree,
            target.map(|t| t.tree.as_str()),
            &head,
        )
        .await
    }
}

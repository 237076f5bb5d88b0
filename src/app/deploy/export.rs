//! Running an environment's `export:` steps (live drift, DESIGN §14): each
//! once, with `{out_dir}` an empty folder they fill with one folder per
//! package, in the same clean environment, with the same variables,
//! secrets, timeouts and masking as deploy steps. No package is given them.

use crate::msg;
use std::path::PathBuf;

use super::step;
use crate::app::{App, AppError, Result};
use crate::domain::deploy::config::{self as cfg, Action};
use crate::domain::deploy::state::DeployState;
use crate::domain::pipeline::Environment;

/// A finished export: what the steps wrote, removed when dropped.
pub struct Export {
    root: PathBuf,
    pub out_dir: PathBuf,
}

impl Drop for Export {
    fn drop(&mut self) {
        super::inputs::remove_all(&self.root);
    }
}

/// An export step that did not succeed: its name, state and (masked) output.
#[derive(Debug, Clone)]
pub struct ExportFailed {
    pub step: String,
    pub state: DeployState,
    pub output: String,
}

/// An export holds no lease: nothing stops it but its timeout.
struct Unwatched;

impl step::Watch for Unwatched {
    async fn keep_going(&mut self) -> bool {
        true
    }
}

impl App {
    /// Runs `export:` of `env` into a fresh folder.
    pub(crate) async fn run_export(&self, env: &Environment) -> Result<std::result::Result<Export, ExportFailed>> {
        let Some(config) = env.deploy.as_ref().filter(|d| !d.export.is_empty()) else {
            return Err(AppError::refused(msg!(
                "{env} has no `export:` steps: add `export:` under `deploy:` in environments/{env}.yaml, \
                 steps that write the CRM's configuration into {{out_dir}}, one folder per package",
                env = &env.name
            )));
        };
        let failed = |step: &str, output: String| ExportFailed {
            step: step.to_string(),
            state: DeployState::Failed,
            output,
        };
        let secrets = match self.resolve_secrets(&env.secrets) {
            Ok(s) => s,
            Err(e) => return Ok(Err(failed("secrets", e))),
        };
        let root = std::env::temp_dir().join(format!("dtap-export-{}-{}", env.name, crate::random::hex::<8>()?));
        let (work, out_dir) = (root.join("work"), root.join("out"));
        for d in [&root, &work, &out_dir] {
            std::fs::create_dir(d)
                .map_err(|e| AppError::Internal(format!("preparing the export folder {}: {e}", d.display())))?;
        }
        let export = Export {
            root,
            out_dir: out_dir.clone(),
        };
        let settings = export.root.join("settings.json");
        std::fs::write(&settings, serde_json::to_vec_pretty(&env.variables).unwrap_or_default())
            .map_err(|e| AppError::Internal(format!("writing {}: {e}", settings.display())))?;
        // What git says the environment holds, so a step can ask the CRM for exactly those components.
        let env_dir = export.root.join("environment");
        std::fs::create_dir(&env_dir)
            .map_err(|e| AppError::Internal(format!("preparing {}: {e}", env_dir.display())))?;
        let held = self.store.indexed_packages_in(&[env.path.as_str()]).await?;
        let (repo, dir) = (self.repo.clone(), env_dir.clone());
        tokio::task::spawn_blocking(move || {
            held.iter()
                .try_for_each(|p| repo.write_tree(&p.tree, &dir.join(&p.package)))
        })
        .await??;
        let mut vars = step::base_environment();
        vars.push(("DTAP_ENV_DIR".into(), env_dir.display().to_string()));
        vars.push(("DTAP_SETTINGS_FILE".into(), settings.display().to_string()));
        vars.push(("DTAP_ENV".into(), env.name.clone()));
        vars.push(("DTAP_OUT_DIR".into(), out_dir.display().to_string()));
        for (k, v) in &env.variables {
            vars.push((format!("DTAP_VAR_{}", k.to_ascii_uppercase()), v.clone()));
        }
        vars.extend(secrets.iter().cloned());
        let values: Vec<String> = secrets.into_iter().map(|(_, v)| v).collect();
        let lookup = |name: &str| -> Option<String> {
            Some(match name {
                "out_dir" => out_dir.display().to_string(),
                "settings" => settings.display().to_string(),
                "env" => env.name.clone(),
                other => env.variables.get(other.strip_prefix("var.")?)?.clone(),
            })
        };
        let deadline = std::time::Instant::now() + config.timeout;
        for s in &config.export {
            let args: std::result::Result<Vec<String>, String> = match &s.action {
                Action::Run(args) => args.iter().map(|a| cfg::expand(a, &lookup)).collect(),
                Action::Http { .. } => Err("an export step runs a program (`run:`) that writes into {out_dir}; \
                     an `http:` step cannot"
                    .into()),
            };
            let args = match args {
                Ok(a) => a,
                Err(e) => return Ok(Err(failed(&s.name, e))),
            };
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let timeout = s.timeout.map_or(left, |t| t.min(left));
            let r = step::run_program(&args, &work, &vars, timeout, &values, &mut Unwatched).await;
            if r.state != DeployState::Succeeded {
                return Ok(Err(ExportFailed {
                    step: s.name.clone(),
                    state: r.state,
                    output: r.output,
                }));
            }
        }
        Ok(Ok(export))
    }
}

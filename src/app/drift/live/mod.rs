//! Live drift (DESIGN §14, §15): the CRM itself, as an environment's
//! `export:` steps write it, compared with the environment's folder at the
//! branch head; findings recorded per package (`check`), acknowledged
//! (`ack`), carried into develop (`adopt`), and checked by `serve` on a
//! schedule (`periodic`). The gate of `live_drift: block` is told the
//! unacknowledged packages (`facts`).

mod adopt;
mod periodic;

pub use adopt::LiveAdoptOutcome;
pub use periodic::run;

use crate::msg;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::deploy::{Export, ExportFailed};
use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::live::{self, PackageDiff};
use crate::domain::pipeline::Environment;

/// `drift check --live --json`: exactly `{environment, packages}`.
#[derive(Debug, Clone, Serialize)]
pub struct LiveReport {
    pub environment: String,
    pub packages: Vec<PackageDiff>,
}

impl LiveReport {
    pub fn differs(&self) -> bool {
        self.packages.iter().any(|p| !p.is_empty())
    }
}

/// A check's end: a report, or the export step that failed.
#[derive(Debug, Clone)]
pub enum LiveCheck {
    Compared(LiveReport),
    ExportFailed(ExportFailed),
}

/// One comparison with what it was made from, kept for an adoption.
pub(crate) struct Compared {
    pub export: Export,
    /// package → its differences, fingerprint, git's files and the CRM's (path → blob id).
    pub packages: Vec<(PackageDiff, String)>,
    pub git: BTreeMap<String, BTreeMap<String, String>>,
}

impl App {
    /// The environment, if live drift can be checked there; a refusal says what to add.
    pub(crate) fn live_env(&self, name: &str) -> Result<Environment> {
        self.known_env(name)?;
        let env = self
            .workspace
            .pipeline
            .get(name)
            .cloned()
            .ok_or_else(|| AppError::NotFound(name.into()))?;
        if env.deploy.as_ref().is_none_or(|d| d.export.is_empty()) {
            return Err(AppError::refused(msg!(
                "{name} has no `export:` steps, so dtap cannot read its CRM: add `export:` under `deploy:` in \
                 environments/{name}.yaml, e.g. `- run: [sf, project, retrieve, start, --output-dir, \"{{out_dir}}\"]` \
                 writing one folder per package",
                name
            )));
        }
        Ok(env)
    }

    /// Refuses while a deployment into `env` is queued or runs: an export
    /// never runs beside one (DESIGN §15).
    async fn no_deployment_into(&self, env: &str, during_export: bool) -> Result<()> {
        if let Some(d) = self.store.open_deployments(env).await?.first() {
            let (id, package, state) = (d.id, &d.package, &d.state);
            return Err(AppError::refused(if during_export {
                msg!(
                    "deployment {id} of {package} into {env} is {state} (it started during the export, whose result is dropped): \
                     live drift is checked while no deployment runs; wait for it (`dtap deploy show {id}`) and check again",
                    id,
                    package,
                    env,
                    state = word(state)
                )
            } else {
                msg!(
                    "deployment {id} of {package} into {env} is {state}: live drift is checked while no deployment runs; \
                     wait for it (`dtap deploy show {id}`) and check again",
                    id,
                    package,
                    env,
                    state = word(state)
                )
            }));
        }
        Ok(())
    }

    /// `dtap drift check --live ENV [--package P]`: runs the export,
    /// compares, records the findings.
    pub async fn check_live_drift(&self, env: &str, package: Option<&str>) -> Result<LiveCheck> {
        match self.compare_live(env, package).await? {
            Err(failed) => Ok(LiveCheck::ExportFailed(failed)),
            Ok(c) => {
                self.store
                    .record_live_drift(env, &c.packages, package.is_none())
                    .await?;
                Ok(LiveCheck::Compared(LiveReport {
                    environment: env.to_string(),
                    packages: c.packages.into_iter().map(|(d, _)| d).collect(),
                }))
            }
        }
    }

    /// Exports `env`'s CRM and compares each package (or only `package`)
    /// with the folder at the branch head.
    pub(crate) async fn compare_live(
        &self,
        env: &str,
        package: Option<&str>,
    ) -> Result<std::result::Result<Compared, ExportFailed>> {
        let env = self.live_env(env)?;
        self.no_deployment_into(&env.name, false).await?;
        self.fetch_unless_within(std::time::Duration::ZERO).await?;
        let export = match self.run_export(&env).await? {
            Ok(e) => e,
            Err(failed) => return Ok(Err(failed)),
        };
        self.no_deployment_into(&env.name, true).await?;
        let repo = self.repo.clone();
        let (path, wanted, name) = (env.path.clone(), package.map(str::to_string), env.name.clone());
        let compared = tokio::task::spawn_blocking(move || -> Result<Compared> {
            let mut git = repo
                .package_files(std::slice::from_ref(&path))?
                .remove(&path)
                .unwrap_or_default();
            if let Some(p) = &wanted {
                if !git.contains_key(p) {
                    return Err(AppError::refused(msg!(
                        "{name} holds no package {p} ({path}/{p} is missing in the config repo): nothing to compare",
                        name,
                        p,
                        path
                    )));
                }
                git.retain(|k, _| k == p);
            }
            let mut packages = Vec::new();
            for (pkg, files) in &git {
                let theirs = crate::gitrepo::live::folder_files(&export.out_dir.join(pkg))?;
                let d = live::compare(pkg, files, &theirs);
                let f = live::fingerprint(&d, files, &theirs);
                packages.push((d, f));
            }
            Ok(Compared { export, packages, git })
        })
        .await??;
        Ok(Ok(compared))
    }

    /// Packages of `env` whose latest live finding differs and is unacknowledged.
    pub(crate) async fn unacknowledged_live_drift(&self, env: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .live_drift(Some(env))
            .await?
            .into_iter()
            .filter(|f| f.unacknowledged())
            .map(|f| f.diff.package)
            .collect())
    }

    /// The `live_drift` gate of a promotion into `to` (block mode only).
    pub(crate) async fn live_drift_verdict(
        &self,
        to: &Environment,
    ) -> Result<Option<crate::domain::promotion::GateVerdict>> {
        if to.live_drift != live::LiveDriftMode::Block {
            return Ok(None);
        }
        let open = self.unacknowledged_live_drift(&to.name).await?;
        Ok(live::gate(&to.name, to.live_drift, &open))
    }

    /// The `live overwrite` gate of promoting `package` from `from` into
    /// `to`: refused when its deployment would undo a change made by hand
    /// in `to`'s CRM (the latest live finding), unless `overwrite`.
    pub(crate) async fn live_overwrite_verdict(
        &self,
        from: &Environment,
        to: &Environment,
        package: &str,
        overwrite: bool,
    ) -> Result<Option<crate::domain::promotion::GateVerdict>> {
        let Some(found) = self
            .store
            .live_drift(Some(&to.name))
            .await?
            .into_iter()
            .find(|f| f.diff.package == package && !f.fingerprint.is_empty())
        else {
            return Ok(None);
        };
        let (repo, path, name) = (self.repo.clone(), from.path.clone(), package.to_string());
        let promoted = tokio::task::spawn_blocking(move || -> Result<BTreeMap<String, String>> {
            Ok(repo
                .package_files(std::slice::from_ref(&path))?
                .remove(&path)
                .and_then(|mut pkgs| pkgs.remove(&name))
                .unwrap_or_default())
        })
        .await??;
        let undone = live::undone(&found.diff, &promoted);
        Ok(live::overwrite_gate(&to.name, package, &undone, overwrite))
    }

    /// A dry run's warning about live drift in warn mode.
    pub(crate) async fn live_drift_warning(&self, to: &str) -> Result<Option<String>> {
        let Some(env) = self.workspace.pipeline.get(to) else {
            return Ok(None);
        };
        if env.live_drift != live::LiveDriftMode::Warn {
            return Ok(None);
        }
        let open = self.unacknowledged_live_drift(to).await?;
        Ok(live::warning(to, env.live_drift, &open))
    }

    /// (environment, package) → acknowledged, for each finding that differs: the dashboard's badges.
    pub async fn live_drift_cells(&self) -> Result<BTreeMap<(String, String), bool>> {
        Ok(self
            .store
            .live_drift(None)
            .await?
            .into_iter()
            .filter(|f| !f.fingerprint.is_empty())
            .map(|f| ((f.environment.clone(), f.diff.package.clone()), !f.unacknowledged()))
            .collect())
    }

    /// `dtap drift ack --live ENV [--package P] --reason TEXT`: acknowledges
    /// the current findings (permission drift.ack). Lifts the
    /// `live_drift: block` gate; never licenses overwriting.
    pub async fn ack_live_drift(
        &self,
        caller: &Caller,
        env: &str,
        package: Option<&str>,
        reason: &str,
    ) -> Result<Vec<String>> {
        self.known_env(env)?;
        if !self.workspace.access.can(&caller.email, "drift.ack") {
            return Err(AppError::refused(msg!(
                "{who} lacks permission drift.ack, which acknowledging live drift needs: ask a release manager",
                who = &caller.email
            )));
        }
        if reason.trim().is_empty() {
            return Err(AppError::invalid(
                "reason",
                msg!(
                    "say why the CRM may differ from its folder, e.g. --reason \"INC-123: field added by hand, reviewed\""
                ),
            ));
        }
        let open: Vec<String> = self
            .unacknowledged_live_drift(env)
            .await?
            .into_iter()
            .filter(|p| package.is_none_or(|want| want == p))
            .collect();
        if open.is_empty() {
            return Err(AppError::refused(match package {
                Some(package) => msg!(
                    "no unacknowledged live drift in {env} for {package}: nothing to acknowledge (`dtap drift check --live {env}` checks again)",
                    env,
                    package
                ),
                None => msg!(
                    "no unacknowledged live drift in {env}: nothing to acknowledge (`dtap drift check --live {env}` checks again)",
                    env
                ),
            }));
        }
        Ok(self
            .store
            .ack_live_drift(env, &open, &caller.email, reason.trim(), caller.origin)
            .await?)
    }
}

//! `dtap serve`'s live drift check (`[deploy] live_drift_every`): every
//! environment with `export:` steps, in turn; the notify list is mailed once
//! per new finding (fingerprint).

use std::time::Duration;

use minijinja::context;

use super::LiveCheck;
use crate::app::{App, AppError, Result};

/// Checks every environment with `export:` steps each `every`, until `stop`.
pub async fn run(app: App, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.check_live_everywhere() => {}
            _ = stop.changed() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

impl App {
    /// One round: each environment with `export:` steps checked, new findings mailed.
    pub async fn check_live_everywhere(&self) {
        let envs: Vec<String> = self
            .workspace
            .pipeline
            .environments()
            .iter()
            .filter(|e| e.deploy.as_ref().is_some_and(|d| !d.export.is_empty()))
            .map(|e| e.name.clone())
            .collect();
        for env in envs {
            match self.check_live_drift(&env, None).await {
                Ok(LiveCheck::Compared(r)) => {
                    tracing::debug!(environment = %env, differs = r.differs(), "live drift checked");
                    if let Err(e) = self.mail_new_live_drift(&env).await {
                        tracing::error!(environment = %env, error = %e, "mailing live drift");
                    }
                }
                Ok(LiveCheck::ExportFailed(f)) => {
                    tracing::warn!(environment = %env, step = %f.step, state = %f.state, "the export for live drift did not succeed")
                }
                // A deployment runs there: the next round checks.
                Err(AppError::Refused(r)) => {
                    tracing::debug!(environment = %env, reason = ?r, "live drift not checked now")
                }
                Err(e) => tracing::error!(environment = %env, error = %e, "checking live drift"),
            }
        }
    }

    /// Mails `env`'s notify list about each finding it was not told of yet (once per fingerprint, across instances).
    async fn mail_new_live_drift(&self, env: &str) -> Result<()> {
        let Some(e) = self.workspace.pipeline.get(env) else {
            return Ok(());
        };
        for f in self
            .store
            .live_drift(Some(env))
            .await?
            .into_iter()
            .filter(|f| f.unnotified())
        {
            if !self
                .store
                .mark_live_drift_notified(env, &f.diff.package, &f.fingerprint)
                .await?
                || e.notify.is_empty()
            {
                continue;
            }
            let ctx = context! {
                environment => env, environment_label => self.env_label(env), package => f.diff.package.clone(),
                changed => f.diff.changed.clone(), added => f.diff.added.clone(), missing => f.diff.missing.clone(),
                acknowledged => f.acknowledged_by.is_some(),
            };
            let mut tx = self.store.write_tx().await?;
            self.queue(&mut tx, "live_drift", e.notify.clone(), ctx).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

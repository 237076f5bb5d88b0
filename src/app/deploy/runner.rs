//! The deployment runner of `dtap serve`.

use std::time::Duration;

use super::Progress;
use crate::app::App;

/// `dtap serve`'s deployment runner: every few seconds, marks deployments
/// whose runner died `interrupted` and runs what is queued, until `stop`.
pub async fn run(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            r = app.run_queued_deployments(&|_: &Progress| {}) => match r {
                Ok(done) => {
                    for (id, state) in done {
                        tracing::info!(deployment = id, state = %state, "deployment ended");
                    }
                }
                Err(e) => tracing::error!(error = %e, "running deployments"),
            },
            _ = stop.changed() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
    }
}

//! Shared by promotions and rollbacks: the lease an intent holds, and the
//! compare-and-swap publish of a commit dtap made.

use super::{App, AppError, Result, failpoint};
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::write::CasOutcome;
use crate::store::intents;

/// How long an intent's lease lasts before a reconcile may settle it.
const LEASE_SECS: i64 = 120;

pub(crate) fn lease_owner() -> String {
    super::worker::worker_id()
}

impl App {
    /// Until when an intent made now holds its lease.
    pub(crate) fn lease_until(&self) -> String {
        (self.now() + time::Duration::seconds(LEASE_SECS)).to_string()
    }

    /// Moves the branch to a commit dtap made, compare-and-swap. The commit is
    /// recorded as dtap's first, so nobody ever sees it on the branch as drift.
    /// With a remote repo the push decides: when the server refused it (or
    /// was never reached) the record is withdrawn and the intent fails, so
    /// nothing claims the commit landed.
    pub(crate) async fn publish(
        &self,
        repo: &ConfigRepo,
        base: &str,
        commit: &str,
        message: &str,
        action: &str,
        intent: &str,
    ) -> Result<CasOutcome> {
        self.publish_commit(repo, base, commit, message, action, Some(intent))
            .await
    }

    /// As [`App::publish`], for a commit with or without an intent (an
    /// adoption into develop has none: it moves no RFC and mails nobody).
    pub(crate) async fn publish_commit(
        &self,
        repo: &ConfigRepo,
        base: &str,
        commit: &str,
        message: &str,
        action: &str,
        intent: Option<&str>,
    ) -> Result<CasOutcome> {
        self.store.record_dtap_commit(commit, action).await?;
        failpoint("after-dtap-commit");
        let (r, base, c, message) = (repo.clone(), base.to_string(), commit.to_string(), message.to_string());
        let result = tokio::task::spawn_blocking(move || r.publish(&base, &c, &message))
            .await?
            .map_err(AppError::from);
        if repo.remote().is_some() {
            match &result {
                Ok(CasOutcome::Moved) => self.store.forget_dtap_commit(commit).await?,
                Err(AppError::Repo(e)) if e.not_pushed() => {
                    self.store.forget_dtap_commit(commit).await?;
                    if let Some(intent) = intent {
                        let mut tx = self.store.write_tx().await?;
                        intents::finish(&mut tx, intent, None, &format!("the push failed: {e}")).await?;
                        tx.commit().await?;
                    }
                }
                _ => {}
            }
        }
        result
    }
}

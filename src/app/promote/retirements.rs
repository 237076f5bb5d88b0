//! `promote --all` and the packages the previous environment no longer
//! holds (DESIGN §15): they leave the target by retirement, each in its own
//! retirement commit through the retirement gates, with the reason and the
//! RFCs their retirement from the previous environment gave.

use serde::Serialize;

use crate::app::retire::{RetireOutcome, RetireRequest};
use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};

/// One pending retirement of a `promote --all`: what retiring it did, or why it could not start.
#[derive(Debug, Clone, Serialize)]
pub struct PendingRetirement {
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RetireOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PendingRetirement {
    pub fn refused(&self) -> bool {
        self.error.is_some() || matches!(self.outcome, Some(RetireOutcome::Refused { .. }))
    }
}

impl App {
    /// Retires each of `packages` from `to` (a dry run only judges it). The
    /// reason and RFCs come from the package's retirement from the previous
    /// environment; a package deleted there by hand (develop) takes `reason`.
    pub async fn retire_pending(
        &self,
        caller: &Caller,
        to: &str,
        packages: &[String],
        reason: Option<&str>,
        dry_run: bool,
    ) -> Result<Vec<PendingRetirement>> {
        let (from, _) = self.environments(to)?;
        let mut out = Vec::new();
        for package in packages {
            let earlier = self
                .history(Some(&from.name), Some(package), 50)
                .await?
                .into_iter()
                .find(|e| e.action == "retire");
            let (why, rfcs) = match earlier {
                Some(e) => (e.reason.unwrap_or_default(), e.rfcs),
                None => (
                    reason
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("removed from {}", from.name)),
                    Vec::new(),
                ),
            };
            let req = RetireRequest {
                package: package.clone(),
                environment: to.to_string(),
                reason: why,
                rfcs,
                dry_run,
            };
            let (outcome, error) = match self.retire(caller, &req).await {
                Ok(o) => (Some(o), None),
                Err(e @ (AppError::Refused(_) | AppError::Conflict(_) | AppError::Invalid(_))) => {
                    (None, Some(e.to_string()))
                }
                Err(e) => return Err(e),
            };
            out.push(PendingRetirement {
                package: package.clone(),
                outcome,
                error,
            });
        }
        Ok(out)
    }
}

//! Refused actions are audited too (DESIGN §6a): who tried what, and why
//! it was refused, with outcome `refused`. Rate-limited, so a flood of
//! refused requests cannot fill the table.

use super::{App, Result};
use crate::domain::origin::Origin;
use crate::store::NewAuditEvent;

/// Refusals recorded per actor and minute; more are only logged.
pub const PER_ACTOR_PER_MINUTE: i64 = 10;
/// Refusals recorded per minute, whoever the actors.
pub const PER_MINUTE: i64 = 100;

impl App {
    /// Records that `actor`'s `action` on `object` was refused for `reasons`.
    /// Returns whether it was recorded (false past the rate limits).
    pub async fn record_refusal(
        &self,
        actor: &str,
        origin: Origin,
        action: &str,
        object: &str,
        reasons: &[String],
    ) -> Result<bool> {
        let now = self.now();
        let window = now.minute();
        let stale = crate::domain::stamp::Stamp::from_datetime(now.datetime() - time::Duration::hours(1)).minute();
        let mine = self
            .store
            .rate_hit(&format!("refused:{actor}"), &window, &stale)
            .await?;
        let all = self.store.rate_hit("refused:*", &window, &stale).await?;
        if mine > PER_ACTOR_PER_MINUTE || all > PER_MINUTE {
            tracing::info!(%actor, action, "refusal not audited: too many this minute");
            return Ok(false);
        }
        self.store
            .record(&NewAuditEvent {
                actor: actor.to_string(),
                action: action.to_string(),
                object: object.to_string(),
                outcome: "refused".into(),
                origin,
                detail: serde_json::json!({ "reasons": reasons }),
            })
            .await?;
        Ok(true)
    }
}

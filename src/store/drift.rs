//! Drift acknowledgements: the head up to which hand-made changes in an
//! environment were reviewed.

use std::collections::HashMap;

use super::{Result, Store};

impl Store {
    /// The latest acknowledged head per environment name.
    pub async fn drift_acks(&self) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT environment, commit_id FROM drift_acks a WHERE id = (SELECT MAX(id) FROM drift_acks b WHERE b.environment = a.environment)",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn ack_drift(&self, environment: &str, commit: &str, actor: &str, reason: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO drift_acks (environment, commit_id, actor, reason, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(environment)
            .bind(commit)
            .bind(actor)
            .bind(reason)
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        super::audit::append(
            &mut tx,
            &super::NewAuditEvent {
                actor: actor.to_string(),
                action: "drift.ack".into(),
                object: environment.to_string(),
                outcome: "ok".into(),
                origin: super::Origin::Cli,
                detail: serde_json::json!({ "commit": commit, "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

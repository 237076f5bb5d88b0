//! Drift acknowledgements: the head up to which hand-made changes in an
//! environment were reviewed; and adoptions, which carry such changes into
//! develop (their commits are dtap's own, with action `adopt`).

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

    /// Whether dtap made this commit.
    pub async fn is_dtap_commit(&self, commit: &str) -> Result<bool> {
        let row: Option<(String,)> = sqlx::query_as("SELECT commit_id FROM dtap_commits WHERE commit_id = $1")
            .bind(commit)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// The commits `dtap drift adopt` made.
    pub async fn adoption_commits(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT commit_id FROM dtap_commits WHERE action = $1 ORDER BY at")
            .bind("adopt")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Records an adoption: its audit event and, when `ack_at` is given, the
    /// acknowledgement of the environment's drift up to that commit, in one
    /// transaction.
    pub async fn record_adoption(
        &self,
        environment: &str,
        ack_at: Option<&str>,
        actor: &str,
        reason: &str,
        origin: super::Origin,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        if let Some(commit) = ack_at {
            sqlx::query(
                "INSERT INTO drift_acks (environment, commit_id, actor, reason, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(environment)
            .bind(commit)
            .bind(actor)
            .bind(reason)
            .bind(tx.stamp())
            .execute(&mut *tx)
            .await?;
        }
        super::audit::append(
            &mut tx,
            &super::NewAuditEvent {
                actor: actor.to_string(),
                action: "drift.adopt".into(),
                object: environment.to_string(),
                outcome: "ok".into(),
                origin,
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

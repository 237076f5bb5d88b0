//! The audit trail: append-only, each row chained to the one before by SHA-256.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Result, Store};

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Web,
    Api,
    Cli,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Web => "web",
            Origin::Api => "api",
            Origin::Cli => "cli",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub actor: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    pub origin: Origin,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    pub origin: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical form hashed for a row: its fields in a fixed order as JSON.
pub fn canonical(e: &AuditEvent) -> String {
    serde_json::json!([e.seq, e.at, e.actor, e.action, e.object, e.outcome, e.origin, e.detail]).to_string()
}

pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction, so it commits or rolls
/// back with the change it records.
pub async fn append(conn: &mut SqliteConnection, event: &NewAuditEvent) -> Result<AuditEvent> {
    let last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let mut row = AuditEvent {
        seq,
        at,
        actor: event.actor.clone(),
        action: event.action.clone(),
        object: event.object.clone(),
        outcome: event.outcome.clone(),
        origin: event.origin.as_str().to_string(),
        detail: event.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(&row.prev_hash, &canonical(&row));
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, object, outcome, origin, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(row.seq)
    .bind(&row.at)
    .bind(&row.actor)
    .bind(&row.action)
    .bind(&row.object)
    .bind(&row.outcome)
    .bind(&row.origin)
    .bind(&row.detail)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *conn)
    .await?;
    Ok(row)
}

impl Store {
    /// Records one event in a transaction of its own.
    pub async fn record(&self, event: &NewAuditEvent) -> Result<AuditEvent> {
        let mut tx = self.write_tx().await?;
        let row = append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn audit_events(&self, limit: i64) -> Result<Vec<AuditEvent>> {
        Ok(sqlx::query_as("SELECT * FROM audit_events ORDER BY seq DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}

//! The audit trail: append-only, each row chained to the one before by SHA-256.

use crate::store::WriteTx;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Result, Store};

/// The hash before the first event.
pub use crate::domain::anchor::GENESIS;

pub use crate::domain::origin::Origin;

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
pub async fn append(conn: &mut WriteTx, event: &NewAuditEvent) -> Result<AuditEvent> {
    let last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **conn)
        .await?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let at = conn.stamp();
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
    .execute(&mut **conn)
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

    /// The chain's head: the last row's sequence number and hash.
    pub async fn audit_head(&self) -> Result<crate::domain::anchor::AuditHead> {
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(
            last.map_or_else(crate::domain::anchor::AuditHead::genesis, |(seq, hash)| {
                crate::domain::anchor::AuditHead { seq, hash }
            }),
        )
    }

    pub async fn audit_events(&self, limit: i64) -> Result<Vec<AuditEvent>> {
        Ok(sqlx::query_as("SELECT * FROM audit_events ORDER BY seq DESC LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}

/// The first row whose chain does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: String,
}

/// Checks every row: its hash over the previous hash and its canonical form,
/// and that it names the previous row's hash.
pub fn verify_chain(rows: &[AuditEvent]) -> Result<usize, BrokenLink> {
    let mut prev = GENESIS.to_string();
    for (expected_seq, row) in (1..).zip(rows.iter()) {
        if row.seq != expected_seq {
            return Err(BrokenLink {
                seq: row.seq,
                reason: format!("row {expected_seq} is missing before it"),
            });
        }
        if row.prev_hash != prev {
            return Err(BrokenLink {
                seq: row.seq,
                reason: "it does not name the previous row's hash".into(),
            });
        }
        let hash = chain_hash(&row.prev_hash, &canonical(row));
        if hash != row.hash {
            return Err(BrokenLink {
                seq: row.seq,
                reason: "its content does not match its hash: the row was changed".into(),
            });
        }
        prev = row.hash.clone();
    }
    Ok(rows.len())
}

impl Store {
    /// Every audit event, oldest first, optionally since a time (RFC 3339 or a date).
    pub async fn audit_since(
        &self,
        since: Option<&str>,
        actor: Option<&str>,
        action: Option<&str>,
    ) -> Result<Vec<AuditEvent>> {
        Ok(sqlx::query_as(
            "SELECT * FROM audit_events WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR actor = $2)
               AND ($3 IS NULL OR action LIKE $3 || '%') ORDER BY seq",
        )
        .bind(since)
        .bind(actor)
        .bind(action)
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    seq,
                    at: format!("2026-11-23T10:00:{seq:02}Z"),
                    actor: "rm@example.org".into(),
                    action: "promote".into(),
                    object: "test".into(),
                    outcome: "ok".into(),
                    origin: "cli".into(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = chain_hash(&e.prev_hash, &canonical(&e));
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn a_changed_byte_is_found_in_its_row() {
        let mut c = chain(5);
        c[2].actor = "mallory@example.org".into();
        assert_eq!(verify_chain(&c).unwrap_err().seq, 3);
        let mut c = chain(5);
        c[3].hash.replace_range(0..1, "f");
        assert_eq!(verify_chain(&c).unwrap_err().seq, 4);
        let mut c = chain(5);
        c.remove(1);
        let e = verify_chain(&c).unwrap_err();
        assert_eq!(e.seq, 3);
        assert!(e.reason.contains("missing"));
    }
}

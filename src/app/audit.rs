//! Reading and verifying the audit trail.

use super::caller::Caller;
use super::{App, AppError, Result};
use serde::Serialize;

use crate::store::audit::{AuditEvent, BrokenLink, verify_chain};

/// One audit event as pages, CSV and `--json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
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

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        AuditEntry {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            object: e.object,
            outcome: e.outcome,
            origin: e.origin,
            detail: e.detail,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl App {
    pub async fn audit(
        &self,
        caller: &Caller,
        since: Option<&str>,
        actor: Option<&str>,
        action: Option<&str>,
    ) -> Result<Vec<AuditEntry>> {
        self.may_read(caller, "audit.view")?;
        Ok(self
            .store
            .audit_since(since, actor, action)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect())
    }

    /// Verifies the whole chain; `Err` names the first broken row.
    pub async fn verify_audit(&self, caller: &Caller) -> Result<std::result::Result<usize, BrokenLink>> {
        self.may_read(caller, "audit.view")?;
        let rows = self.store.audit_since(None, None, None).await.map_err(AppError::from)?;
        Ok(verify_chain(&rows))
    }
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula are quoted
/// with a leading apostrophe.
pub fn to_csv(events: &[AuditEntry]) -> String {
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = String::from("seq,at,actor,action,object,outcome,origin,detail,prev_hash,hash\r\n");
    for e in events {
        let row = [
            e.seq.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.object.clone(),
            e.outcome.clone(),
            e.origin.clone(),
            e.detail.clone(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

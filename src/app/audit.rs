//! Reading and verifying the audit trail.

use super::{App, AppError, Result};
use crate::domain::Email;
use crate::store::audit::{AuditEvent, BrokenLink, verify_chain};

impl App {
    pub async fn audit(
        &self,
        since: Option<&str>,
        actor: Option<&str>,
        action: Option<&str>,
    ) -> Result<Vec<AuditEvent>> {
        Ok(self.store.audit_since(since, actor, action).await?)
    }

    /// Verifies the whole chain; `Err` names the first broken row.
    pub async fn verify_audit(&self) -> Result<std::result::Result<usize, BrokenLink>> {
        let rows = self.store.audit_since(None, None, None).await.map_err(AppError::from)?;
        Ok(verify_chain(&rows))
    }
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula are quoted
/// with a leading apostrophe.
pub fn to_csv(events: &[crate::store::audit::AuditEvent]) -> String {
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

impl App {
    /// Creates an API token for `user`: returns its id and the secret, which
    /// is never stored (only its SHA-256).
    pub async fn create_token(&self, user: &str, name: &str, expires_at: Option<&str>) -> Result<(i64, String)> {
        let token = format!("dtap_{}", crate::random::hex::<32>()?);
        let id = self
            .store
            .create_token(name, user, &super::signoff::token_hash(&token), expires_at)
            .await?;
        Ok((id, token))
    }

    /// The user a bearer token acts as, if it is valid.
    pub async fn token_user(&self, token: &str) -> Result<Option<Email>> {
        self.store
            .token_user(&super::signoff::token_hash(token))
            .await?
            .as_deref()
            .map(super::caller::stored_email)
            .transpose()
    }
}

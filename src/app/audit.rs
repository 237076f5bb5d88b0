//! Reading and verifying the audit trail.

use super::caller::Caller;
use super::{App, AppError, Result};
use serde::Serialize;

use crate::domain::anchor::{self, AuditHead, ChainRow};
use crate::domain::origin::Origin;
use crate::domain::stamp::Stamp;
use crate::gitrepo::Identity;
use crate::store::audit::{AuditEvent, BrokenLink, verify_chain};

/// Who `serve`'s daily anchor commits are by.
pub const ANCHOR_BY: &str = "dtap@localhost.invalid";

/// What `audit verify` found: the links, and the anchors in git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    pub events: usize,
    pub anchors: usize,
    /// The first row whose link does not hold.
    pub broken: Option<BrokenLink>,
    /// What the anchors found (truncated, rewritten, forged), one line each.
    pub findings: Vec<String>,
}

impl AuditCheck {
    pub fn intact(&self) -> bool {
        self.broken.is_none() && self.findings.is_empty()
    }
}

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

    /// Verifies the whole chain, then every anchor in git against it:
    /// the links catch a changed row, the anchors a truncated, rewritten or
    /// backdated chain (which relinking would hide from the links).
    pub async fn verify_audit(&self, caller: &Caller) -> Result<AuditCheck> {
        self.may_read(caller, "audit.view")?;
        let rows = self.store.audit_since(None, None, None).await.map_err(AppError::from)?;
        let repo = self.repo.clone();
        let anchors = tokio::task::spawn_blocking(move || repo.audit_anchors()).await??;
        let chain: Vec<ChainRow> = rows
            .iter()
            .map(|r| {
                Ok(ChainRow {
                    seq: r.seq,
                    hash: r.hash.clone(),
                    at: Stamp::parse(&r.at).map_err(|e| AppError::Internal(format!("audit event {}: {e}", r.seq)))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(AuditCheck {
            events: rows.len(),
            anchors: anchors.len(),
            broken: verify_chain(&rows).err(),
            findings: anchor::check(&chain, &anchors)
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
    }

    /// Makes an empty commit whose trailer anchors the chain's head now.
    pub async fn anchor_audit(&self, caller: &Caller) -> Result<(AuditHead, String)> {
        let head = self.store.audit_head().await?;
        let (repo, by, h) = (self.repo.clone(), Identity::from_email(&caller.email), head.clone());
        let commit = tokio::task::spawn_blocking(move || repo.commit_anchor(&h, &by)).await??;
        self.store.record_dtap_commit(&commit, "anchor").await?;
        Ok((head, commit))
    }

    /// `serve`'s daily anchor: an anchor commit when the branch saw no
    /// commit for a day. Returns the commit made, if any.
    pub async fn anchor_if_quiet(&self) -> Result<Option<String>> {
        let repo = self.repo.clone();
        let last = tokio::task::spawn_blocking(move || repo.head_time()).await??;
        // Git's commit times are the system clock's, so is this comparison
        // (a test's shifted clock must not make anchors).
        if time::OffsetDateTime::now_utc() - last.datetime() < time::Duration::days(1) {
            return Ok(None);
        }
        let by = crate::domain::Email::parse(ANCHOR_BY).map_err(|e| AppError::Internal(e.to_string()))?;
        let caller = Caller::new(by, Origin::Cli);
        Ok(Some(self.anchor_audit(&caller).await?.1))
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

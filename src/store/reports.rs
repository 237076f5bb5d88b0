//! Plain rows for the reports (`crate::domain::report` computes the figures).
//! Portable SQL only: grouping and date arithmetic happen in Rust.

use super::{Result, Store};
use crate::domain::report::{Data, EmergencyRow, EventRow, PromotionRow, RfcRow, VerdictRow};

impl Store {
    /// Everything the reports count. `since` (a stamp or date) narrows the
    /// rows whose own time is before it; RFCs and their moves are always read
    /// whole, as a lead time starts before the period it ends in.
    pub async fn report_data(&self, since: Option<&str>) -> Result<Data> {
        let since = since.unwrap_or("");
        let rfcs: Vec<(i64, String, String, String, String)> =
            sqlx::query_as("SELECT id, template, department, state, created_at FROM rfcs ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let events: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT rfc_id, at, to_state FROM rfc_events WHERE to_state IS NOT NULL ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let verdicts: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT s.rfc_id, s.environment, s.verdict, s.at, l.invited_at
             FROM signoffs s LEFT JOIN signoff_links l ON l.id = s.link_id
             WHERE s.at >= $1 ORDER BY s.id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let promotions: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT kind, environment, COALESCE(finished_at, created_at), emergency
             FROM promotions WHERE state = 'done' AND created_at >= $1 ORDER BY created_at",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let emergencies: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT environment, created_at, due_at, approved_at FROM emergency_reviews
             WHERE created_at >= $1 ORDER BY created_at",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(Data {
            rfcs: rfcs
                .into_iter()
                .map(|(id, template, department, state, created_at)| RfcRow {
                    id,
                    template,
                    department,
                    state,
                    created_at,
                })
                .collect(),
            events: events
                .into_iter()
                .map(|(rfc_id, at, to_state)| EventRow { rfc_id, at, to_state })
                .collect(),
            verdicts: verdicts
                .into_iter()
                .map(|(rfc_id, environment, verdict, at, invited_at)| VerdictRow {
                    rfc_id,
                    environment,
                    verdict,
                    at,
                    invited_at,
                })
                .collect(),
            promotions: promotions
                .into_iter()
                .map(|(kind, environment, at, emergency)| PromotionRow {
                    kind,
                    environment,
                    at,
                    emergency: emergency != 0,
                })
                .collect(),
            emergencies: emergencies
                .into_iter()
                .map(|(environment, created_at, due_at, approved_at)| EmergencyRow {
                    environment,
                    created_at,
                    due_at,
                    approved_at,
                })
                .collect(),
        })
    }
}

/// A completed promotion or rollback for the release calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonePromotion {
    pub id: String,
    pub kind: String,
    pub environment: String,
    pub packages: Vec<crate::domain::intent::IntentPackage>,
    pub at: crate::domain::stamp::Stamp,
    pub emergency: i64,
}

/// A row of the calendar query: an intent and one of its packages (none for
/// an intent without package rows).
type DoneRow = (
    String,
    String,
    String,
    crate::domain::stamp::Stamp,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// Completed promotions and rollbacks that finished in `[from, to)` (stamps or dates).
    /// One query: each intent with its packages, in order.
    pub async fn done_promotions(&self, from: &str, to: &str) -> Result<Vec<DonePromotion>> {
        let rows: Vec<DoneRow> = sqlx::query_as(
            "SELECT p.id, p.kind, p.environment, COALESCE(p.finished_at, p.created_at) AS at, p.emergency,
                        i.package, i.version, i.from_version, i.tree, i.rfcs
                 FROM promotions p LEFT JOIN intent_packages i ON i.intent_id = p.id
                 WHERE p.state = 'done' AND p.created_at >= $1 AND p.created_at < $2
                 ORDER BY p.created_at, p.id, i.position",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<DonePromotion> = Vec::new();
        for (id, kind, environment, at, emergency, package, version, from_version, tree, rfcs) in rows {
            let package = package.map(|p| (p, version, from_version, tree, rfcs.unwrap_or_default()));
            if out.last().is_none_or(|d| d.id != id) {
                out.push(DonePromotion {
                    id,
                    kind,
                    environment,
                    packages: Vec::new(),
                    at,
                    emergency,
                });
            }
            if let (Some(p), Some(last)) = (package, out.last_mut()) {
                last.packages.push(super::intents::package_of(p));
            }
        }
        Ok(out)
    }
}

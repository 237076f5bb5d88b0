//! Live drift findings (DESIGN §14, §15): per environment and package the
//! latest comparison of the CRM with the folder, who acknowledged which
//! fingerprint, and which fingerprint the notify list was mailed about.

use serde::Serialize;

use super::{Result, Store};
use crate::domain::live::PackageDiff;

/// The latest finding of one package in one environment.
#[derive(Debug, Clone, Serialize)]
pub struct LiveFinding {
    pub environment: String,
    #[serde(flatten)]
    pub diff: PackageDiff,
    /// Empty when the CRM matched the folder.
    pub fingerprint: String,
    pub checked_at: String,
    /// Who acknowledged this very fingerprint, when, and why.
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub ack_reason: Option<String>,
    #[serde(skip)]
    notified: bool,
}

impl LiveFinding {
    /// Differs and nobody acknowledged these differences.
    pub fn unacknowledged(&self) -> bool {
        !self.fingerprint.is_empty() && self.acknowledged_by.is_none()
    }
    /// Differs and the notify list was not told of these differences yet.
    pub fn unnotified(&self) -> bool {
        !self.fingerprint.is_empty() && !self.notified
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

macro_rules! columns {
    () => {
        "environment, package, fingerprint, changed, added, missing, checked_at, \
         acknowledged_fingerprint, acknowledged_by, acknowledged_at, ack_reason, notified_fingerprint, live_ids"
    };
}

fn finding(r: Row) -> LiveFinding {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    let acked = r.7.as_deref() == Some(r.2.as_str()) && !r.2.is_empty();
    LiveFinding {
        notified: r.11.as_deref() == Some(r.2.as_str()),
        diff: PackageDiff {
            package: r.1,
            changed: list(&r.3),
            added: list(&r.4),
            missing: list(&r.5),
            live: serde_json::from_str(&r.12).unwrap_or_default(),
        },
        environment: r.0,
        checked_at: r.6,
        acknowledged_by: r.8.filter(|_| acked),
        acknowledged_at: r.9.filter(|_| acked),
        ack_reason: r.10.filter(|_| acked),
        fingerprint: r.2,
    }
}

impl Store {
    /// Records one check of `environment`: each package's differences and
    /// fingerprint. With `all`, findings of packages not in `found` are
    /// dropped (the package left the folder).
    pub async fn record_live_drift(&self, environment: &str, found: &[(PackageDiff, String)], all: bool) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        for (d, fingerprint) in found {
            sqlx::query(
                "INSERT INTO live_drift (environment, package, fingerprint, changed, added, missing, checked_at, live_ids) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (environment, package) DO UPDATE SET fingerprint = excluded.fingerprint, \
                 changed = excluded.changed, added = excluded.added, missing = excluded.missing, \
                 checked_at = excluded.checked_at, live_ids = excluded.live_ids",
            )
            .bind(environment)
            .bind(&d.package)
            .bind(fingerprint)
            .bind(json(&d.changed))
            .bind(json(&d.added))
            .bind(json(&d.missing))
            .bind(&now)
            .bind(serde_json::to_string(&d.live).unwrap_or_else(|_| "{}".into()))
            .execute(&mut *tx)
            .await?;
        }
        if all {
            let keep: Vec<&str> = found.iter().map(|(d, _)| d.package.as_str()).collect();
            let rows: Vec<(String,)> = sqlx::query_as("SELECT package FROM live_drift WHERE environment = $1")
                .bind(environment)
                .fetch_all(&mut *tx)
                .await?;
            for (gone,) in rows.into_iter().filter(|(p,)| !keep.contains(&p.as_str())) {
                sqlx::query("DELETE FROM live_drift WHERE environment = $1 AND package = $2")
                    .bind(environment)
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest findings, of one environment or (`None`) of all.
    pub async fn live_drift(&self, environment: Option<&str>) -> Result<Vec<LiveFinding>> {
        let rows: Vec<Row> = match environment {
            Some(env) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM live_drift WHERE environment = $1 ORDER BY package"
                ))
                .bind(env)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM live_drift ORDER BY environment, package"
                ))
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows.into_iter().map(finding).collect())
    }

    /// Acknowledges the current finding of each named package (those that
    /// differ), with an audit event per environment. Returns the packages acknowledged.
    pub async fn ack_live_drift(
        &self,
        environment: &str,
        packages: &[String],
        actor: &str,
        reason: &str,
        origin: super::Origin,
    ) -> Result<Vec<String>> {
        let mut tx = self.write_tx().await?;
        let now = self.now();
        let mut done = Vec::new();
        for p in packages {
            let n = sqlx::query(
                "UPDATE live_drift SET acknowledged_fingerprint = fingerprint, acknowledged_by = $1, \
                 acknowledged_at = $2, ack_reason = $3 WHERE environment = $4 AND package = $5 AND fingerprint <> ''",
            )
            .bind(actor)
            .bind(&now)
            .bind(reason)
            .bind(environment)
            .bind(p)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                done.push(p.clone());
            }
        }
        super::audit::append(
            &mut tx,
            &super::NewAuditEvent {
                actor: actor.to_string(),
                action: "drift.ack_live".into(),
                object: environment.to_string(),
                outcome: "ok".into(),
                origin,
                detail: serde_json::json!({ "packages": done, "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Marks `fingerprint` of a package as mailed; false when another
    /// instance did first (or the finding changed meanwhile).
    pub async fn mark_live_drift_notified(&self, environment: &str, package: &str, fingerprint: &str) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE live_drift SET notified_fingerprint = fingerprint WHERE environment = $1 AND package = $2 \
             AND fingerprint = $3 AND (notified_fingerprint IS NULL OR notified_fingerprint <> fingerprint)",
        )
        .bind(environment)
        .bind(package)
        .bind(fingerprint)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}

//! Sign-off links and verdicts.

use crate::domain::stamp::Stamp;
use crate::store::WriteTx;
use sqlx::FromRow;

use super::Conn;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SignoffLink {
    pub id: i64,
    pub rfc_id: i64,
    pub environment: String,
    pub tester: String,
    pub package: String,
    pub version: String,
    pub tree: String,
    pub created_at: Stamp,
    pub expires_at: Stamp,
    pub invited_at: Stamp,
    pub used_at: Option<Stamp>,
    pub revoked_at: Option<Stamp>,
    pub reminded_at: Option<Stamp>,
    pub escalated_at: Option<Stamp>,
    /// The round this link belongs to (NULL only for links older than rounds
    /// that the migration could not place).
    pub round_id: Option<i64>,
}

pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub rfc_id: i64,
    pub environment: &'a str,
    pub tester: &'a str,
    pub package: &'a str,
    pub version: &'a str,
    pub tree: &'a str,
    pub expires_at: &'a str,
    pub invited_at: &'a str,
    pub reminded_at: Option<&'a str>,
    pub escalated_at: Option<&'a str>,
    pub round_id: i64,
}

macro_rules! link_columns {
    () => {
        "id, rfc_id, environment, tester, package, version, tree, created_at, expires_at, invited_at, used_at, revoked_at, reminded_at, escalated_at, round_id"
    };
}

/// Creates a link; earlier open links of the same tester, RFC and environment
/// are revoked (a newer tree or a reminder replaces them).
pub async fn create_link(conn: &mut WriteTx, l: &NewLink<'_>) -> Result<i64> {
    let at = conn.stamp();
    sqlx::query(
        "UPDATE signoff_links SET revoked_at = $1
         WHERE rfc_id = $2 AND environment = $3 AND tester = $4 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(&at)
    .bind(l.rfc_id)
    .bind(l.environment)
    .bind(l.tester)
    .execute(&mut **conn)
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO signoff_links (token_hash, rfc_id, environment, tester, package, version, tree, created_at, expires_at,
                                    invited_at, reminded_at, escalated_at, round_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(l.token_hash)
    .bind(l.rfc_id)
    .bind(l.environment)
    .bind(l.tester)
    .bind(l.package)
    .bind(l.version)
    .bind(l.tree)
    .bind(&at)
    .bind(l.expires_at)
    .bind(l.invited_at)
    .bind(l.reminded_at)
    .bind(l.escalated_at)
    .bind(l.round_id)
    .fetch_one(&mut **conn)
    .await?;
    Ok(id)
}

/// Takes the link for one verdict: only an open, unexpired, unused link, and
/// only once however many requests race for it.
pub async fn consume_link(conn: &mut WriteTx, id: i64) -> Result<bool> {
    let at = conn.stamp();
    let done = sqlx::query(
        "UPDATE signoff_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(&at)
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct NewVerdict<'a> {
    pub link_id: i64,
    pub rfc_id: i64,
    pub environment: &'a str,
    pub tester: &'a str,
    pub tree: &'a str,
    pub verdict: &'a str,
    pub comment: &'a str,
    pub cases: &'a [(i64, String, String)],
    pub round_id: i64,
}

pub async fn record_verdict(conn: &mut WriteTx, v: &NewVerdict<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO signoffs (rfc_id, environment, tester, tree, verdict, comment, at, link_id, round_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(v.rfc_id)
    .bind(v.environment)
    .bind(v.tester)
    .bind(v.tree)
    .bind(v.verdict)
    .bind(v.comment)
    .bind(conn.stamp())
    .bind(v.link_id)
    .bind(v.round_id)
    .fetch_one(&mut **conn)
    .await?;
    for (case, result, note) in v.cases {
        sqlx::query("INSERT INTO signoff_cases (signoff_id, case_id, result, note) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(case)
            .bind(result)
            .bind(note)
            .execute(&mut **conn)
            .await?;
    }
    Ok(id)
}

pub async fn testers_in(conn: &mut Conn, rfc: i64, environment: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM rfc_testers WHERE rfc_id = $1 AND environment = $2 ORDER BY email")
            .bind(rfc)
            .bind(environment)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Marks a link reminded; false when it was already (another instance or an
/// earlier run sent the reminder), so each link is reminded once, or when it
/// was answered or replaced since the sweep read it: a reminder must never
/// revoke the fresher invitation that replaced its link.
pub async fn claim_reminder(conn: &mut WriteTx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE signoff_links SET reminded_at = $1
         WHERE id = $2 AND reminded_at IS NULL AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(conn.stamp())
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims a link's escalation in the caller's transaction, which also queues
/// its mail: both happen, or neither. False when another instance was first.
pub async fn claim_escalation(conn: &mut WriteTx, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE signoff_links SET escalated_at = $1
         WHERE id = $2 AND escalated_at IS NULL AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(conn.stamp())
    .bind(id)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every open link of an RFC (a rejection: a new version will come).
pub async fn revoke_links(conn: &mut WriteTx, rfc: i64) -> Result<()> {
    sqlx::query(
        "UPDATE signoff_links SET revoked_at = $1 WHERE rfc_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(conn.stamp())
    .bind(rfc)
    .execute(&mut **conn)
    .await?;
    Ok(())
}

pub async fn test_cases_in(conn: &mut Conn, rfc: i64, environment: &str) -> Result<Vec<(i64, String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, title, steps, expected FROM rfc_test_cases WHERE rfc_id = $1 AND environment = $2 ORDER BY position, id",
    )
    .bind(rfc)
    .bind(environment)
    .fetch_all(conn)
    .await?)
}

/// One tester's standing on an RFC in an environment: their latest link and verdict.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SignoffProgress {
    pub environment: String,
    pub tester: String,
    pub package: String,
    pub version: String,
    pub invited_at: Stamp,
    pub verdict: Option<String>,
    pub verdict_at: Option<Stamp>,
    pub comment: Option<String>,
}

impl Store {
    /// Per environment and tester, the newest link and its verdict (if any).
    pub async fn signoff_progress(&self, rfc: i64) -> Result<Vec<SignoffProgress>> {
        Ok(sqlx::query_as(
            "SELECT l.environment, l.tester, l.package, l.version, l.invited_at,
                    s.verdict, s.at AS verdict_at, s.comment
             FROM signoff_links l
             LEFT JOIN signoffs s ON s.link_id = l.id
             WHERE l.rfc_id = $1
               AND l.id = (SELECT MAX(id) FROM signoff_links m WHERE m.rfc_id = l.rfc_id AND m.environment = l.environment AND m.tester = l.tester)
             ORDER BY l.environment, l.tester",
        )
        .bind(rfc)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn link_by_hash(&self, token_hash: &str) -> Result<Option<SignoffLink>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            link_columns!(),
            " FROM signoff_links WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Open links (no verdict yet, not revoked), oldest first. A row that
    /// cannot be read (a malformed time written by hand) is left out and
    /// logged, so one bad row never stops the reminders of every other.
    pub async fn open_links(&self) -> Result<Vec<SignoffLink>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            link_columns!(),
            " FROM signoff_links WHERE used_at IS NULL AND revoked_at IS NULL ORDER BY created_at"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .filter_map(|row| match SignoffLink::from_row(row) {
                Ok(link) => Some(link),
                Err(e) => {
                    let id: Option<i64> = sqlx::Row::try_get(row, "id").ok();
                    tracing::warn!(link = ?id, error = %e, "skipping a sign-off link that cannot be read");
                    None
                }
            })
            .collect())
    }
}

impl Store {
    /// Testers appointed for an RFC in an environment.
    pub async fn testers_in(&self, rfc: i64, environment: &str) -> Result<Vec<String>> {
        let mut conn = self.pool().acquire().await?;
        super::signoff::testers_in(&mut conn, rfc, environment).await
    }
}

//! RFCs: their rows, written with a revision check and kept in the search
//! index. The list with its filters is in `list`; test plans, testers,
//! comments and the timeline in `details`.

mod details;
mod list;

pub use details::*;
pub use list::*;

use crate::store::WriteTx;
use sqlx::FromRow;

use super::Conn;
use super::{Backend, Result, Store, StoreError};
use crate::domain::rfc::{Fields, Rfc, RfcId, State};
use crate::domain::template::TestCaseTemplate;

#[derive(FromRow)]
struct RfcRow {
    id: i64,
    template: String,
    title: String,
    requester: String,
    department: String,
    state: String,
    held_from: Option<String>,
    fields: String,
    package: Option<String>,
    follows: Option<i64>,
    created_at: crate::domain::stamp::Stamp,
    updated_at: crate::domain::stamp::Stamp,
    revision: i64,
}

impl RfcRow {
    fn into_rfc(self) -> Result<Rfc> {
        let bad = |what: &str| StoreError::Corrupt(format!("RFC-{} has an invalid {what} in the database", self.id));
        Ok(Rfc {
            id: RfcId(self.id),
            state: self.state.parse().map_err(|_| bad("state"))?,
            held_from: match &self.held_from {
                Some(h) => Some(h.parse().map_err(|_| bad("held_from"))?),
                None => None,
            },
            fields: serde_json::from_str(&self.fields).map_err(|_| bad("fields"))?,
            template: self.template,
            title: self.title,
            requester: self.requester,
            department: self.department,
            package: self.package,
            follows: self.follows.map(RfcId),
            created_at: self.created_at,
            updated_at: self.updated_at,
            revision: self.revision,
        })
    }
}

/// What the search index holds for an RFC: its answers as text.
fn search_body(rfc_fields: &Fields, requester: &str, department: &str) -> String {
    let mut body: Vec<String> = rfc_fields.values().map(|v| v.display()).collect();
    body.push(requester.to_string());
    body.push(department.to_string());
    body.join("\n")
}

pub struct NewRfcRecord<'a> {
    pub template: &'a str,
    pub title: &'a str,
    pub requester: &'a str,
    pub department: &'a str,
    pub fields: &'a Fields,
    pub test_cases: &'a [TestCaseTemplate],
    pub follows: Option<RfcId>,
}

fn core(fields: &Fields, id: &str) -> Option<String> {
    fields.get(id).map(|v| v.display())
}

pub async fn insert(conn: &mut WriteTx, new: &NewRfcRecord<'_>) -> Result<RfcId> {
    let at = conn.stamp();
    let fields_json = serde_json::to_string(new.fields).unwrap_or_else(|_| "{}".into());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rfcs (template, title, requester, department, state, priority, risk, fields, created_at, updated_at, follows)
         VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $8, $9) RETURNING id",
    )
    .bind(new.template)
    .bind(new.title)
    .bind(new.requester)
    .bind(new.department)
    .bind(core(new.fields, "priority"))
    .bind(core(new.fields, "risk"))
    .bind(&fields_json)
    .bind(&at)
    .bind(new.follows.map(|f| f.0))
    .fetch_one(&mut **conn)
    .await?;
    for (position, tc) in new.test_cases.iter().enumerate() {
        sqlx::query(
            "INSERT INTO rfc_test_cases (rfc_id, environment, kind, title, steps, expected, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&tc.environment)
        .bind(
            serde_json::to_value(tc.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        )
        .bind(&tc.title)
        .bind(&tc.steps)
        .bind(&tc.expected)
        .bind(position as i64)
        .execute(&mut **conn)
        .await?;
    }
    sqlx::query("INSERT INTO rfc_search (rowid, title, body) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(new.title)
        .bind(search_body(new.fields, new.requester, new.department))
        .execute(&mut **conn)
        .await?;
    Ok(RfcId(id))
}

/// Writes a changed RFC if nobody changed it since it was read (`rfc.revision`).
/// Returns false when someone else was first.
pub async fn update(conn: &mut WriteTx, rfc: &Rfc) -> Result<bool> {
    let fields_json = serde_json::to_string(&rfc.fields).unwrap_or_else(|_| "{}".into());
    let done = sqlx::query(
        "UPDATE rfcs SET title = $1, department = $2, state = $3, held_from = $4, priority = $5, risk = $6,
                fields = $7, package = $8, updated_at = $9, revision = revision + 1
         WHERE id = $10 AND revision = $11",
    )
    .bind(&rfc.title)
    .bind(&rfc.department)
    .bind(rfc.state.as_str())
    .bind(rfc.held_from.map(State::as_str))
    .bind(core(&rfc.fields, "priority"))
    .bind(core(&rfc.fields, "risk"))
    .bind(&fields_json)
    .bind(&rfc.package)
    .bind(conn.stamp())
    .bind(rfc.id.0)
    .bind(rfc.revision)
    .execute(&mut **conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM rfc_search WHERE rowid = $1")
        .bind(rfc.id.0)
        .execute(&mut **conn)
        .await?;
    sqlx::query("INSERT INTO rfc_search (rowid, title, body) VALUES ($1, $2, $3)")
        .bind(rfc.id.0)
        .bind(&rfc.title)
        .bind(search_body(&rfc.fields, &rfc.requester, &rfc.department))
        .execute(&mut **conn)
        .await?;
    Ok(true)
}

pub async fn get_in(conn: &mut Conn, id: RfcId) -> Result<Option<Rfc>> {
    let row: Option<RfcRow> = sqlx::query_as("SELECT * FROM rfcs WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.map(RfcRow::into_rfc).transpose()
}

impl Store {
    pub async fn rfc(&self, id: RfcId) -> Result<Option<Rfc>> {
        let mut conn = self.pool().acquire().await?;
        get_in(&mut conn, id).await
    }

    /// Several RFCs in one query (the reminder sweep), by number. The list
    /// travels as one JSON array bind.
    pub async fn rfcs_by_number(&self, ids: &[i64]) -> Result<Vec<Rfc>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT * FROM rfcs WHERE id IN (SELECT value FROM json_each($1))",
            Backend::Postgres => {
                "SELECT * FROM rfcs WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::jsonb))"
            }
        };
        let rows = sqlx::query(sql)
            .bind(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
            .fetch_all(self.pool())
            .await?;
        // One unreadable row is left out and logged, so the sweep that asks
        // goes on for every other RFC.
        Ok(rows
            .iter()
            .filter_map(|row| {
                match RfcRow::from_row(row)
                    .map_err(StoreError::from)
                    .and_then(RfcRow::into_rfc)
                {
                    Ok(rfc) => Some(rfc),
                    Err(e) => {
                        let id: Option<i64> = sqlx::Row::try_get(row, "id").ok();
                        tracing::warn!(rfc = ?id, error = %e, "skipping an RFC that cannot be read");
                        None
                    }
                }
            })
            .collect())
    }

    pub async fn rfc_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rfcs")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }
}

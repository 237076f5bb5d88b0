//! RFCs, their test plans, testers, comments and timelines.

use sqlx::FromRow;

use super::Conn;

use super::{Backend, Result, Store, StoreError};
use crate::domain::rfc::{Comment, Event, Fields, Rfc, RfcId, State, TestCase, Tester};
use crate::domain::template::TestCaseTemplate;

pub fn now() -> String {
    crate::domain::stamp::now()
}

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
    created_at: String,
    updated_at: String,
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
            created_at: self.created_at,
            updated_at: self.updated_at,
            revision: self.revision,
        })
    }
}

/// A row of the RFC list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, FromRow)]
pub struct RfcSummary {
    #[sqlx(rename = "id")]
    #[serde(skip)]
    pub number: i64,
    #[sqlx(skip)]
    pub id: String,
    pub title: String,
    pub state: String,
    pub template: String,
    pub requester: String,
    pub department: String,
    pub package: Option<String>,
    pub priority: Option<String>,
    pub risk: Option<String>,
    pub updated_at: String,
}

pub use crate::domain::rfc::query::{RfcFilter, Sort};

/// The WHERE clause shared by the list and its count. Each filter is a bind;
/// NULL means "any".
/// `$1`/`$2` (state, template) come as plain equalities when given, so SQLite
/// can use the (state, template, id) index; "any" stays a NULL test.
macro_rules! where_clause {
    ($state:literal, $template:literal, $search:literal) => {
        concat!(
            " FROM rfcs WHERE ",
            $state,
            " AND ",
            $template,
            "
             AND ($3 IS NULL OR department = $3)
             AND ($4 IS NULL OR requester = $4)
             AND ($5 IS NULL OR package = $5)
             AND ($6 IS NULL OR id IN (SELECT rowid FROM rfc_search WHERE ",
            $search,
            ")) "
        )
    };
}

macro_rules! list_sql {
    ($state:literal, $template:literal, $search:literal, $order:literal) => {
        concat!(
            "SELECT id, title, state, template, requester, department, package, priority, risk, updated_at",
            where_clause!($state, $template, $search),
            " ORDER BY ",
            $order,
            " LIMIT $7 OFFSET $8"
        )
    };
}

/// The list and count queries for one combination of given filters.
macro_rules! queries_for {
    ($state:literal, $template:literal, $sort:expr, $backend:expr) => {
        match $backend {
            Backend::Sqlite => queries_for!(@ $state, $template, "rfc_search MATCH $6", $sort),
            Backend::Postgres => queries_for!(@ $state, $template, "doc @@ to_tsquery('simple', $6)", $sort),
        }
    };
    (@ $state:literal, $template:literal, $search:literal, $sort:expr) => {
        (
            match $sort {
                Sort::Newest => list_sql!($state, $template, $search, "id DESC"),
                Sort::Oldest => list_sql!($state, $template, $search, "id ASC"),
                Sort::Updated => list_sql!($state, $template, $search, "updated_at DESC, id DESC"),
                Sort::Title => list_sql!($state, $template, $search, "lower(title) ASC, id ASC"),
                Sort::State => list_sql!($state, $template, $search, "state ASC, id DESC"),
            },
            concat!("SELECT COUNT(*)", where_clause!($state, $template, $search)),
        )
    };
}

/// Turns what a person typed into a safe full-text query: every word must
/// occur, as a word or a word prefix. Only letters and digits pass, so the
/// query language of neither backend can be reached. Returns `None` when
/// nothing searchable is left.
pub fn fts_query(q: &str, backend: Backend) -> Option<String> {
    let words = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16);
    let terms: Vec<String> = match backend {
        Backend::Sqlite => words.map(|w| format!("\"{w}\"*")).collect(),
        Backend::Postgres => words.map(|w| format!("{}:*", w.to_lowercase())).collect(),
    };
    let joiner = match backend {
        Backend::Sqlite => " ",
        Backend::Postgres => " & ",
    };
    (!terms.is_empty()).then(|| terms.join(joiner))
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
}

fn core(fields: &Fields, id: &str) -> Option<String> {
    fields.get(id).map(|v| v.display())
}

pub async fn insert(conn: &mut Conn, new: &NewRfcRecord<'_>) -> Result<RfcId> {
    let at = now();
    let fields_json = serde_json::to_string(new.fields).unwrap_or_else(|_| "{}".into());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rfcs (template, title, requester, department, state, priority, risk, fields, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(new.template)
    .bind(new.title)
    .bind(new.requester)
    .bind(new.department)
    .bind(core(new.fields, "priority"))
    .bind(core(new.fields, "risk"))
    .bind(&fields_json)
    .bind(&at)
    .fetch_one(&mut *conn)
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
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("INSERT INTO rfc_search (rowid, title, body) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(new.title)
        .bind(search_body(new.fields, new.requester, new.department))
        .execute(&mut *conn)
        .await?;
    Ok(RfcId(id))
}

/// Writes a changed RFC if nobody changed it since it was read (`rfc.revision`).
/// Returns false when someone else was first.
pub async fn update(conn: &mut Conn, rfc: &Rfc) -> Result<bool> {
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
    .bind(now())
    .bind(rfc.id.0)
    .bind(rfc.revision)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM rfc_search WHERE rowid = $1")
        .bind(rfc.id.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO rfc_search (rowid, title, body) VALUES ($1, $2, $3)")
        .bind(rfc.id.0)
        .bind(&rfc.title)
        .bind(search_body(&rfc.fields, &rfc.requester, &rfc.department))
        .execute(&mut *conn)
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

pub struct NewEvent<'a> {
    pub rfc: RfcId,
    pub actor: &'a str,
    pub kind: &'a str,
    pub from_state: Option<State>,
    pub to_state: Option<State>,
    pub detail: &'a str,
}

pub async fn add_event(conn: &mut Conn, e: &NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO rfc_events (rfc_id, at, actor, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.rfc.0)
    .bind(now())
    .bind(e.actor)
    .bind(e.kind)
    .bind(e.from_state.map(State::as_str))
    .bind(e.to_state.map(State::as_str))
    .bind(e.detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_comment(conn: &mut Conn, rfc: RfcId, author: &str, body: &str) -> Result<()> {
    sqlx::query("INSERT INTO rfc_comments (rfc_id, author, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(rfc.0)
        .bind(author)
        .bind(body)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

/// Appoints a tester; false when already appointed.
pub async fn add_tester(conn: &mut Conn, rfc: RfcId, env: &str, email: &str, by: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO rfc_testers (rfc_id, environment, email, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(rfc.0)
    .bind(env)
    .bind(email)
    .bind(by)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a tester; false when not appointed.
pub async fn remove_tester(conn: &mut Conn, rfc: RfcId, env: &str, email: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM rfc_testers WHERE rfc_id = $1 AND environment = $2 AND email = $3")
        .bind(rfc.0)
        .bind(env)
        .bind(email)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn add_test_case(
        &self,
        rfc: i64,
        env: &str,
        kind: &str,
        title: &str,
        steps: &str,
        expected: &str,
        by: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO rfc_test_cases (rfc_id, environment, kind, title, steps, expected, position)
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 1 FROM rfc_test_cases WHERE rfc_id = $1))",
        )
        .bind(rfc)
        .bind(env)
        .bind(kind)
        .bind(title)
        .bind(steps)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        let detail = format!("{title} ({env})");
        add_event(
            &mut tx,
            &NewEvent {
                rfc: RfcId(rfc),
                actor: by,
                kind: "test_case_added",
                from_state: None,
                to_state: None,
                detail: &detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_test_case(&self, rfc: i64, case: i64, by: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM rfc_test_cases WHERE rfc_id = $1 AND id = $2")
            .bind(rfc)
            .bind(case)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            let detail = format!("case {case}");
            add_event(
                &mut tx,
                &NewEvent {
                    rfc: RfcId(rfc),
                    actor: by,
                    kind: "test_case_removed",
                    from_state: None,
                    to_state: None,
                    detail: &detail,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

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
        let rows: Vec<RfcRow> = sqlx::query_as(sql)
            .bind(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(RfcRow::into_rfc).collect()
    }

    pub async fn rfc_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rfcs")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// One page of RFCs and the number matching in all.
    pub async fn rfcs(&self, f: &RfcFilter, sort: Sort, limit: i64, offset: i64) -> Result<(Vec<RfcSummary>, i64)> {
        let backend = self.backend();
        let q = f.q.as_deref().and_then(|q| fts_query(q, backend));
        let (sql, count_sql) = match (f.state.is_some(), f.template.is_some()) {
            (true, true) => queries_for!("(state = $1)", "(template = $2)", sort, backend),
            (true, false) => queries_for!("(state = $1)", "($2 IS NULL)", sort, backend),
            (false, true) => queries_for!("($1 IS NULL)", "(template = $2)", sort, backend),
            (false, false) => queries_for!("($1 IS NULL)", "($2 IS NULL)", sort, backend),
        };
        // The page and its count at the same time, on two pooled connections.
        let list = sqlx::query_as::<_, RfcSummary>(sql)
            .bind(&f.state)
            .bind(&f.template)
            .bind(&f.department)
            .bind(&f.requester)
            .bind(&f.package)
            .bind(&q)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool());
        let count = sqlx::query_as::<_, (i64,)>(count_sql)
            .bind(&f.state)
            .bind(&f.template)
            .bind(&f.department)
            .bind(&f.requester)
            .bind(&f.package)
            .bind(&q)
            .fetch_one(self.pool());
        let (mut rows, (total,)) = tokio::try_join!(list, count)?;
        for r in &mut rows {
            r.id = RfcId(r.number).to_string();
        }
        Ok((rows, total))
    }

    /// Distinct departments in use, for the list's filter.
    pub async fn rfc_departments(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT department FROM rfcs WHERE department <> '' ORDER BY department")
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn rfc_test_cases(&self, id: RfcId) -> Result<Vec<TestCase>> {
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, environment, kind, title, steps, expected FROM rfc_test_cases WHERE rfc_id = $1 ORDER BY position, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, environment, kind, title, steps, expected)| TestCase {
                id,
                environment,
                kind,
                title,
                steps,
                expected,
            })
            .collect())
    }

    pub async fn rfc_testers(&self, id: RfcId) -> Result<Vec<Tester>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT environment, email, added_by, added_at FROM rfc_testers WHERE rfc_id = $1 ORDER BY environment, email",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(environment, email, added_by, added_at)| Tester {
                environment,
                email,
                added_by,
                added_at,
            })
            .collect())
    }

    pub async fn rfc_comments(&self, id: RfcId) -> Result<Vec<Comment>> {
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, author, body, created_at FROM rfc_comments WHERE rfc_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, author, body, created_at)| Comment {
                id,
                author,
                body,
                created_at,
            })
            .collect())
    }

    pub async fn rfc_events(&self, id: RfcId) -> Result<Vec<Event>> {
        type Row = (String, String, String, Option<String>, Option<String>, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, actor, kind, from_state, to_state, detail FROM rfc_events WHERE rfc_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, kind, from_state, to_state, detail)| Event {
                at,
                actor,
                kind,
                from_state,
                to_state,
                detail,
            })
            .collect())
    }
}

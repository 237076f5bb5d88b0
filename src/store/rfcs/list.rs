//! The RFC list: filters, full-text search on either backend, sorting and
//! paging, with the WHERE clause shared by the page and its count.

use sqlx::FromRow;

use super::super::{Backend, Result, Store};
use crate::domain::rfc::RfcId;

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
/// NULL means "any". A package matches the RFC's own link or any manifest
/// naming the RFC (the index); a tester, an appointment in any environment.
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
             AND ($5 IS NULL OR package = $5 OR EXISTS (SELECT 1 FROM repo_index_packages p
                  WHERE p.package = $5 AND p.rfcs LIKE ('%\"RFC-' || rfcs.id || '\"%')))
             AND ($6 IS NULL OR id IN (SELECT rowid FROM rfc_search WHERE ",
            $search,
            "))
             AND ($7 IS NULL OR id IN (SELECT rfc_id FROM rfc_testers WHERE email = $7)) "
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
            " LIMIT $8 OFFSET $9"
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

impl Store {
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
            .bind(&f.tester)
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
            .bind(&f.tester)
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
}

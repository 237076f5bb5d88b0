//! Copying every row from one database to another (`dtap db copy`): how a
//! team moves from SQLite to PostgreSQL, or back.

mod cells;
mod tables;

use futures_util::TryStreamExt;

pub use cells::Kind;
use cells::{Cell, read_cell};
pub use tables::TABLES;

use super::{Backend, Result, Store, StoreError, WriteTx};

/// Rows per INSERT, and the most bind values one statement may carry (SQLite
/// allows 32766, PostgreSQL 65535).
const BATCH_ROWS: usize = 500;
const MAX_BINDS: usize = 30_000;
const BYTES_ROWS: usize = 8;

impl Store {
    /// Rows per table, in `TABLES` order.
    pub async fn row_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for (table, _) in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(self.pool()).await?;
            out.push((*table, n));
        }
        Ok(out)
    }

    /// Copies every row of `self` into `target`, in one transaction on the
    /// target: either all rows arrive or none. The target must be migrated and
    /// empty. Rows are read as a stream in key order (a row that refers to an
    /// earlier one of its table, like `rfcs.follows`, arrives after it) and
    /// written in batches. `progress(table, rows_done)` is called as rows arrive.
    pub async fn copy_into(&self, target: &Store, mut progress: impl FnMut(&str, u64)) -> Result<()> {
        let mut tx = target.write_tx().await?;
        // The target's migrations recorded their dtap; the source's own record arrives with meta.
        sqlx::query("DELETE FROM meta WHERE key = $1")
            .bind(super::meta::SCHEMA_BY)
            .execute(&mut *tx)
            .await?;
        for (table, columns) in TABLES {
            let kinds = target.column_kinds(table, columns).await?;
            let done = copy_table(self, target.backend(), &mut tx, table, columns, &kinds, &mut progress).await?;
            progress(table, done);
        }
        if target.backend() == Backend::Postgres {
            // Identities continue after the highest copied value.
            let identities: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND is_identity = 'YES' ORDER BY 1",
            )
            .fetch_all(&mut *tx)
            .await?;
            for (table, column) in identities {
                // Names from the database's own catalogue, never from input.
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                     (SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}), false)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The type of each of `columns` in this database's `table`, in order:
    /// a number where the schema says so (INTEGER, BIGINT), text otherwise.
    /// SQLite's full-text table lists no `rowid`; it is a number.
    pub async fn column_kinds(&self, table: &str, columns: &[&str]) -> Result<Vec<Kind>> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1"
            }
        };
        let declared: Vec<(String, String)> = sqlx::query_as(sql).bind(table).fetch_all(self.pool()).await?;
        columns
            .iter()
            .map(|column| {
                let name = column.trim_matches('"');
                match declared.iter().find(|(c, _)| c == name) {
                    Some((_, ty)) if ty.to_ascii_uppercase().contains("INT") => Ok(Kind::Int),
                    Some((_, ty)) if ["BLOB", "BYTEA"].contains(&ty.to_ascii_uppercase().as_str()) => Ok(Kind::Bytes),
                    Some(_) => Ok(Kind::Text),
                    None if name == "rowid" => Ok(Kind::Int),
                    None => Err(StoreError::Corrupt(format!(
                        "the target database has no column {table}.{name}: it was migrated by another \
                         dtap version; copy into an empty database migrated by this one"
                    ))),
                }
            })
            .collect()
    }

    /// The names of tables that hold rows, to refuse copying over data.
    /// The migrations' own record in `meta` does not count.
    pub async fn tables_with_rows(&self) -> Result<Vec<&'static str>> {
        let (records,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meta WHERE key = $1")
            .bind(super::meta::SCHEMA_BY)
            .fetch_one(self.pool())
            .await?;
        Ok(self
            .row_counts()
            .await?
            .into_iter()
            .filter(|(t, n)| *n > if *t == "meta" { records } else { 0 })
            .map(|(t, _)| t)
            .collect())
    }

    /// Columns the live schema has that `TABLES` does not list (a guard for
    /// future migrations), as `table.column`.
    pub async fn uncopied_columns(&self) -> Result<Vec<String>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'
                   AND m.name NOT LIKE 'rfc_search_%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%' AND NOT (table_name = 'rfc_search' AND column_name = 'doc')"
            }
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .filter(|(t, c)| {
                !TABLES
                    .iter()
                    .any(|(table, cols)| table == t && cols.iter().any(|col| col.trim_matches('"') == c))
            })
            .map(|(t, c)| format!("{t}.{c}"))
            .collect())
    }
}

/// Streams `table` from `source` into the target's transaction in batches;
/// the number of rows copied.
async fn copy_table(
    source: &Store,
    target: Backend,
    tx: &mut WriteTx,
    table: &str,
    columns: &[&str],
    kinds: &[Kind],
    progress: &mut impl FnMut(&str, u64),
) -> Result<u64> {
    // Table and column names come from the constant list, never from input:
    // formatting them into SQL is safe.
    let list = columns.join(", ");
    let select = format!("SELECT {list} FROM {table} ORDER BY 1");
    // Rows of bytes (attachment chunks, up to 256 KiB each) go a few at a
    // time, so a copy holds a few MiB at most.
    let rows = if kinds.contains(&Kind::Bytes) {
        BYTES_ROWS
    } else {
        BATCH_ROWS
    };
    let per_batch = rows.min(MAX_BINDS / columns.len()).max(1);
    let full_insert = insert_sql(target, table, &list, columns.len(), per_batch);
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(source.pool());
    let mut batch: Vec<Cell> = Vec::with_capacity(per_batch * columns.len());
    let mut done = 0u64;
    while let Some(row) = rows.try_next().await? {
        for (i, kind) in kinds.iter().enumerate() {
            let cell = read_cell(&row, i, *kind).map_err(|found| {
                StoreError::Corrupt(format!(
                    "cannot copy {table}.{} of row {}: {found}; fix that row in the source and copy again",
                    columns[i].trim_matches('"'),
                    done + 1
                ))
            })?;
            batch.push(cell);
        }
        done += 1;
        if batch.len() == per_batch * columns.len() {
            insert(tx, table, &full_insert, &mut batch).await?;
            if done.is_multiple_of(5_000) {
                progress(table, done);
            }
        }
    }
    if !batch.is_empty() {
        let sql = insert_sql(target, table, &list, columns.len(), batch.len() / columns.len());
        insert(tx, table, &sql, &mut batch).await?;
    }
    Ok(done)
}

/// `INSERT INTO table (list) VALUES ($1, ...), (...)` for `rows` rows. SQLite
/// gets anonymous `?` binds: it looks a numbered bind's name up in a list, one
/// by one, which made a 500-row batch quadratic (80 % of a copy's time).
fn insert_sql(backend: Backend, table: &str, list: &str, width: usize, rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let binds: Vec<String> = (1..=width)
                .map(|c| match backend {
                    Backend::Sqlite => "?".to_string(),
                    Backend::Postgres => format!("${}", r * width + c),
                })
                .collect();
            format!("({})", binds.join(", "))
        })
        .collect();
    format!("INSERT INTO {table} ({list}) VALUES {}", values.join(", "))
}

async fn insert(tx: &mut WriteTx, table: &str, sql: &str, batch: &mut Vec<Cell>) -> Result<()> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for cell in batch.drain(..) {
        q = match cell {
            Cell::Int(v) => q.bind(v),
            Cell::Text(v) => q.bind(v),
            Cell::Bytes(v) => q.bind(v),
        };
    }
    q.execute(&mut **tx)
        .await
        .map_err(|e| StoreError::Corrupt(format!("writing rows of {table} into the target failed: {e}")))?;
    Ok(())
}

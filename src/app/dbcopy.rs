//! `dtap db copy`: moves a team's database to another backend, then proves
//! the copy complete (row counts) and untouched (the audit chain).

use crate::msg;
use serde::Serialize;

use super::{AppError, Result};
use crate::config::SecretUrl;
use crate::store::Store;
use crate::store::audit::verify_chain;

#[derive(Debug, Serialize)]
pub struct CopyReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCount>,
    pub audit_events: usize,
}

#[derive(Debug, Serialize)]
pub struct TableCount {
    pub table: String,
    pub rows: i64,
}

/// Copies every row from `from` to `to` (created and migrated when needed;
/// it must hold no rows yet) and verifies the result.
pub async fn copy_database(from: &str, to: &str, mut progress: impl FnMut(&str, u64)) -> Result<CopyReport> {
    let (from_shown, to_shown) = (SecretUrl::new(from).redacted(), SecretUrl::new(to).redacted());
    if from == to {
        return Err(AppError::refused(msg!(
            "--from and --to are the same database ({from_shown})",
            from_shown
        )));
    }
    let source = Store::open_url(from, false).await?;
    let pending = source.pending_migrations().await?;
    if !pending.is_empty() {
        return Err(AppError::refused(msg!(
            "the source database {from_shown} lacks migrations {pending}: run `dtap migrate` on it first",
            from_shown,
            pending = format!("{pending:?}")
        )));
    }
    let unlisted = source.uncopied_columns().await?;
    if !unlisted.is_empty() {
        return Err(AppError::refused(msg!(
            "this dtap does not know how to copy {columns}: upgrade dtap first",
            columns = unlisted.join(", ")
        )));
    }
    let target = Store::open_url(to, true).await?;
    target.migrate().await?;
    let occupied = target.tables_with_rows().await?;
    if !occupied.is_empty() {
        return Err(AppError::refused(msg!(
            "the target database {to_shown} already holds rows (in {tables}): copy into an empty database",
            to_shown,
            tables = occupied.join(", ")
        )));
    }
    source
        .copy_into(&target, |table, rows| {
            progress(table, rows);
            // A test aborts here, half-way, to see the target left empty.
            if table == "promotions" {
                super::failpoint("db-copy-midway");
            }
        })
        .await?;

    let expected = source.row_counts().await?;
    let got = target.row_counts().await?;
    for ((table, want), (_, have)) in expected.iter().zip(&got) {
        if want != have {
            return Err(AppError::Internal(format!(
                "after copying, {table} has {have} rows in {to_shown} but {want} in {from_shown}; \
                 do not use the copy: empty it and copy again"
            )));
        }
    }
    let events = target.audit_since(None, None, None).await?;
    let audit_events = verify_chain(&events).map_err(|broken| {
        AppError::Internal(format!(
            "the copied audit chain is broken at row {}: {}; do not use the copy",
            broken.seq, broken.reason
        ))
    })?;
    source.close().await;
    target.close().await;
    Ok(CopyReport {
        from: from_shown,
        to: to_shown,
        tables: got
            .into_iter()
            .map(|(table, rows)| TableCount {
                table: table.to_string(),
                rows,
            })
            .collect(),
        audit_events,
    })
}

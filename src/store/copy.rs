//! Copying every row from one database to another (`dtap db copy`): how a
//! team moves from SQLite to PostgreSQL, or back.

use sqlx::Row;

use super::{Backend, Result, Store};

/// Every table with its columns, parents before children so foreign keys
/// hold while rows arrive. Integer columns are named; the rest is text.
/// A new migration that adds a table or column must add it here too (a test
/// compares this list with the live schema).
pub const TABLES: &[(&str, &[&str])] = &[
    ("meta", &["key", "value"]),
    (
        "audit_events",
        &[
            "seq",
            "at",
            "actor",
            "action",
            "object",
            "outcome",
            "origin",
            "detail",
            "prev_hash",
            "hash",
        ],
    ),
    (
        "rfcs",
        &[
            "id",
            "template",
            "title",
            "requester",
            "department",
            "state",
            "held_from",
            "priority",
            "risk",
            "fields",
            "package",
            "created_at",
            "updated_at",
            "revision",
            "follows",
        ],
    ),
    (
        "rfc_testers",
        &["rfc_id", "environment", "email", "added_by", "added_at"],
    ),
    (
        "rfc_test_cases",
        &[
            "id",
            "rfc_id",
            "environment",
            "kind",
            "title",
            "steps",
            "expected",
            "position",
        ],
    ),
    ("rfc_comments", &["id", "rfc_id", "author", "body", "created_at"]),
    (
        "rfc_events",
        &[
            "id",
            "rfc_id",
            "at",
            "actor",
            "kind",
            "from_state",
            "to_state",
            "detail",
        ],
    ),
    ("rfc_search", &["rowid", "title", "body"]),
    (
        "promotions",
        &[
            "id",
            "kind",
            "environment",
            "packages",
            "base_commit",
            "commit_id",
            "state",
            "actor",
            "reason",
            "emergency",
            "lease_owner",
            "lease_until",
            "created_at",
            "finished_at",
            "note",
        ],
    ),
    (
        "intent_packages",
        &[
            "intent_id",
            "position",
            "package",
            "version",
            "from_version",
            "tree",
            "rfcs",
        ],
    ),
    (
        "intent_returns",
        &["intent_id", "position", "rfc", "from_state", "to_state"],
    ),
    (
        "signoff_rounds",
        &[
            "id",
            "rfc_id",
            "environment",
            "trees",
            "versions",
            "started_at",
            "ended_at",
            "end_reason",
        ],
    ),
    (
        "signoffs",
        &[
            "id",
            "rfc_id",
            "environment",
            "tester",
            "tree",
            "verdict",
            "comment",
            "at",
            "link_id",
            "round_id",
        ],
    ),
    (
        "drift_acks",
        &["id", "environment", "commit_id", "actor", "reason", "at"],
    ),
    ("repo_index_head", &["id", "commit_id"]),
    (
        "repo_index_packages",
        &[
            "env_path",
            "package",
            "tree",
            "version",
            "rfcs",
            "problem",
            "commit_id",
            "time",
            "author",
            "\"by\"",
            "summary",
        ],
    ),
    (
        "repo_index_drift",
        &["env_path", "position", "commit_id", "time", "author", "summary"],
    ),
    (
        "outbox",
        &[
            "id",
            "message_id",
            "kind",
            "recipients",
            "subject",
            "text_body",
            "html_body",
            "state",
            "attempts",
            "next_attempt_at",
            "claimed_by",
            "claimed_until",
            "last_error",
            "created_at",
            "sent_at",
        ],
    ),
    (
        "signoff_links",
        &[
            "id",
            "token_hash",
            "rfc_id",
            "environment",
            "tester",
            "package",
            "version",
            "tree",
            "created_at",
            "expires_at",
            "invited_at",
            "used_at",
            "revoked_at",
            "reminded_at",
            "escalated_at",
            "round_id",
        ],
    ),
    ("signoff_cases", &["signoff_id", "case_id", "result", "note"]),
    ("dtap_commits", &["commit_id", "action", "at"]),
    (
        "api_tokens",
        &[
            "id",
            "name",
            "\"user\"",
            "token_hash",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ],
    ),
    (
        "emergency_reviews",
        &[
            "id",
            "commit_id",
            "environment",
            "packages",
            "promoted_by",
            "reason",
            "created_at",
            "due_at",
            "approved_by",
            "approved_at",
            "comment",
            "escalated_at",
        ],
    ),
    (
        "login_links",
        &["id", "token_hash", "email", "created_at", "expires_at", "used_at"],
    ),
    (
        "sessions",
        &["id_hash", "email", "created_at", "last_seen_at", "expires_at"],
    ),
    ("rate_limits", &["client", "window_start", "hits"]),
    (
        "deployments",
        &[
            "id",
            "environment",
            "package",
            "version",
            "tree",
            "previous_tree",
            "commit_id",
            "action",
            "intent_id",
            "position",
            "state",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "lease_owner",
            "lease_until",
            "cancel_requested",
            "error",
            "retry_of",
        ],
    ),
    (
        "deployment_steps",
        &[
            "deployment_id",
            "position",
            "name",
            "state",
            "exit_code",
            "duration_ms",
            "output_tail",
            "started_at",
        ],
    ),
];

const INTEGER_COLUMNS: &[&str] = &[
    "seq",
    "id",
    "rowid",
    "rfc_id",
    "revision",
    "position",
    "emergency",
    "attempts",
    "link_id",
    "round_id",
    "cancel_requested",
    "retry_of",
    "deployment_id",
    "exit_code",
    "duration_ms",
    "follows",
    "signoff_id",
    "case_id",
    "hits",
];

/// Tables whose `id` (or `seq`) comes from an identity on PostgreSQL: after
/// explicit ids arrive, the identity must continue after the highest.
const IDENTITIES: &[(&str, &str)] = &[
    ("audit_events", "seq"),
    ("rfcs", "id"),
    ("rfc_test_cases", "id"),
    ("rfc_comments", "id"),
    ("rfc_events", "id"),
    ("signoff_rounds", "id"),
    ("signoffs", "id"),
    ("drift_acks", "id"),
    ("outbox", "id"),
    ("signoff_links", "id"),
    ("api_tokens", "id"),
    ("emergency_reviews", "id"),
    ("login_links", "id"),
    ("deployments", "id"),
];

enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

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
    /// empty. `progress(table, rows_done)` is called as rows arrive.
    pub async fn copy_into(&self, target: &Store, mut progress: impl FnMut(&str, u64)) -> Result<()> {
        // Table and column names come from the constant list above, never
        // from input: formatting them into SQL is safe.
        let mut tx = target.write_tx().await?;
        for (table, columns) in TABLES {
            let list = columns.join(", ");
            let select = format!("SELECT {list} FROM {table}");
            let binds: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", binds.join(", "));
            let rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch_all(self.pool()).await?;
            let mut done = 0u64;
            for row in rows {
                let mut cells = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    cells.push(if INTEGER_COLUMNS.contains(column) {
                        Cell::Int(row.try_get(i)?)
                    } else {
                        Cell::Text(row.try_get(i)?)
                    });
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
                for cell in cells {
                    q = match cell {
                        Cell::Int(v) => q.bind(v),
                        Cell::Text(v) => q.bind(v),
                    };
                }
                q.execute(&mut *tx).await?;
                done += 1;
                if done.is_multiple_of(500) {
                    progress(table, done);
                }
            }
            progress(table, done);
        }
        if target.backend() == Backend::Postgres {
            for (table, column) in IDENTITIES {
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

    /// The names of tables that hold rows, to refuse copying over data.
    pub async fn tables_with_rows(&self) -> Result<Vec<&'static str>> {
        Ok(self
            .row_counts()
            .await?
            .into_iter()
            .filter(|(_, n)| *n > 0)
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

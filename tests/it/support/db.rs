//! The two backends, and raw connections to a workspace's database. Tests
//! use raw SQL only where the comment at the place says why: to tamper with
//! data on purpose, to read a fact no command or page shows, or to age one
//! row where the clock (`DTAP_CLOCK_OFFSET`, which moves a whole process)
//! cannot. Everything else goes through dtap.

use std::process::Command;

use sqlx::Connection;

use super::cli::text;
use super::workspace::TestWorkspace;

/// The private PostgreSQL server of scripts/test, if it started one.
pub fn pg_server() -> Option<String> {
    std::env::var("DTAP_TEST_PG_URL").ok().filter(|u| !u.is_empty())
}

/// True on the pass of scripts/test that runs every test against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("DTAP_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A new, empty database on the private server; its URL.
pub fn fresh_pg_database() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let server = pg_server().expect("DTAP_TEST_PG_URL is not set: run the tests with scripts/test");
    let name = format!("t{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let hostport = server.rsplit('@').next().unwrap();
    let (host, port) = hostport.split_once(':').unwrap();
    let out = Command::new("createdb")
        .args(["-h", host, "-p", port, "-U", "dtap", &name])
        .output()
        .expect("createdb (PostgreSQL client) on PATH");
    assert!(out.status.success(), "createdb failed: {}", text(&out));
    format!("{server}/{name}")
}

/// The workspace's database URL from its dtap.toml, a SQLite path made absolute.
pub fn db_url(ws: &TestWorkspace) -> String {
    let url = ws
        .read("dtap.toml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("url"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.split('#').next().unwrap().trim().trim_matches('"').to_string())
        .next()
        .expect("dtap.toml names a database url");
    match url.strip_prefix("sqlite://") {
        Some(rel) if !rel.starts_with('/') => format!("sqlite://{}", ws.dir.join(rel).display()),
        _ => url,
    }
}

/// A connection to the workspace's database, whichever backend it is.
pub async fn db_connect(ws: &TestWorkspace) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&db_url(ws)).await.unwrap()
}

/// One number read with `sql` (a count no command shows; say which at the call).
pub async fn db_count(ws: &TestWorkspace, sql: &'static str) -> i64 {
    let mut conn = db_connect(ws).await;
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    n
}

/// Runs statements that tamper with the database or move time on purpose;
/// the caller says which and why. Each `(sql, binds)` runs on its own.
pub async fn db_execute(ws: &TestWorkspace, statements: &[(&'static str, &[&str])]) {
    let mut conn = db_connect(ws).await;
    for (sql, binds) in statements {
        let mut q = sqlx::query(*sql);
        for b in *binds {
            q = q.bind(b.to_string());
        }
        q.execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.unwrap();
}

/// Every row of every table, table by table, as text: compare two dumps to
/// prove nothing changed (the one thing a user cannot see for themselves).
/// `skip` leaves out tables whose name starts with it.
pub async fn db_dump(ws: &TestWorkspace, skip: Option<&str>) -> String {
    db_dump_except(ws, skip.as_slice()).await
}

/// As [`db_dump`], leaving out every table whose name starts with one of `skip`.
pub async fn db_dump_except(ws: &TestWorkspace, skip: &[&str]) -> String {
    let mut conn = db_connect(ws).await;
    let postgres = conn.backend_name() == "PostgreSQL";
    let tables: Vec<(String,)> = sqlx::query_as(if postgres {
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
    })
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut out = String::new();
    for (table,) in tables {
        if skip.iter().any(|s| table.starts_with(s)) {
            continue;
        }
        let sql = if postgres {
            format!("SELECT row_to_json(t)::text FROM \"{table}\" t")
        } else {
            let cols: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let row = cols
                .iter()
                .map(|(c,)| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            format!("SELECT {row} FROM \"{table}\"")
        };
        let mut rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        rows.sort();
        out.push_str(&format!("== {table}: {} rows\n", rows.len()));
        for (r,) in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    conn.close().await.unwrap();
    out
}

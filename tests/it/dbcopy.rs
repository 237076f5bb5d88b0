//! `dtap db copy` on real data (issue 21): a database after the demo and a
//! history of promotions, a rollback, an emergency change, sign-offs, drift
//! acknowledged, an API token, a login and its session, copied to the other
//! backend and back. Every row must survive the round trip unchanged, the
//! audit chain must verify on the copy, and a copy that dies half-way must
//! leave the target without rows. Needs the private PostgreSQL of scripts/test.

use serde_json::Value;

use crate::support::{
    CM, KIM, RM, TestApp, TestWorkspace, Verdict, db_connect, db_dump_except, db_url, fresh_pg_database, json_of, ok,
    on_postgres, pg_server, sign_off, stdout, text,
};

/// Tables whose content is not data: the migration log (its timings), SQLite's
/// AUTOINCREMENT counters and the full-text index's own storage.
const NOT_DATA: &[&str] = &["_sqlx_migrations", "sqlite_sequence", "rfc_search"];

/// What a team's database holds after some weeks: the demo, then every kind
/// of row dtap writes.
async fn demo_plus_history(ws: &TestWorkspace) {
    ok(ws.dtap(&["demo"]));
    // A package with a sign-off round in test, then an emergency change into acceptance.
    let rfc = ws.approved_rfc("Invoice reminders");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("billing", "1.0.0", &[&rfc], "v1");
    ok(ws.as_user(RM, &["promote", "billing", "--to", "test"]));
    sign_off(ws, KIM, Verdict::Approve).await;
    ok(ws.as_user(
        RM,
        &[
            "promote",
            "billing",
            "--to",
            "acceptance",
            "--emergency",
            "--reason",
            "Invoices stuck",
        ],
    ));
    // A promotion and its rollback.
    ok(ws.as_user(RM, &["promote", "crm-core", "--to", "test"]));
    ok(ws.as_user(
        RM,
        &["rollback", "crm-core", "--env", "test", "--reason", "Quotes broke"],
    ));
    // A hand-made change in production, reviewed.
    ws.commit_files("Hotfix by hand", &[("production/crm-core/hotfix.txt", "INC-7\n")]);
    ok(ws.dtap(&["drift", "ack", "production", "--reason", "INC-7 hotfix reviewed"]));
    // An API token, a login link used and its session.
    ok(ws.as_user(RM, &["token", "create", "--name", "ci"]));
    // An attachment of two chunks (bytes, not text, in the database).
    crate::attachments::attach_as(ws, CM, &rfc, "screen.png", &crate::attachments::png(300, 300)).await;
    ws.set_dev_user(None);
    let app = TestApp::start(ws).await;
    app.sign_in(ws, CM).await;
    app.stop().await;
    ws.flush();
}

/// Rows per table as the database holds them (read raw: no command shows
/// every table's count).
async fn counts(ws: &TestWorkspace, tables: &[String]) -> Vec<(String, i64)> {
    let mut conn = db_connect(ws).await;
    let mut out = Vec::new();
    for t in tables {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        out.push((t.clone(), n));
    }
    out
}

fn use_database(ws: &TestWorkspace, url: &str) {
    let line = ws
        .read("dtap.toml")
        .lines()
        .find(|l| l.trim_start().starts_with("url"))
        .unwrap()
        .to_string();
    ws.edit("dtap.toml", &line, &format!("url = \"{url}\""));
}

/// The report's rows per table.
fn copied(report: &Value) -> Vec<(String, i64)> {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["table"].as_str().unwrap().to_string(), t["rows"].as_i64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_copy_round_trips_a_demo_plus_history_database_through_the_other_backend() {
    assert!(
        pg_server().is_some(),
        "DTAP_TEST_PG_URL is not set: run the tests with scripts/test"
    );
    let ws = TestWorkspace::init();
    demo_plus_history(&ws).await;
    let source = db_url(&ws);
    let dump = db_dump_except(&ws, NOT_DATA).await;
    let audit = stdout(&ok(ws.dtap(&["audit", "verify"])));

    // There and back: SQLite → PostgreSQL → SQLite on the SQLite pass,
    // PostgreSQL → SQLite → PostgreSQL on the other.
    let (there, back) = if on_postgres() {
        let sqlite = format!("sqlite://{}", ws.tmp.path().join("there.db").display());
        (sqlite, fresh_pg_database())
    } else {
        let sqlite = format!("sqlite://{}", ws.tmp.path().join("back.db").display());
        (fresh_pg_database(), sqlite)
    };
    let first = json_of(&ws.dtap(&["db", "copy", "--from", &source, "--to", &there, "--json"]));
    let second = json_of(&ws.dtap(&["db", "copy", "--from", &there, "--to", &back, "--json"]));

    // Every kind of row was there to copy.
    let tables: Vec<String> = copied(&first).into_iter().map(|(t, _)| t).collect();
    let before = counts(&ws, &tables).await;
    for table in [
        "audit_events",
        "rfcs",
        "promotions",
        "intent_packages",
        "intent_returns",
        "signoff_rounds",
        "signoffs",
        "signoff_cases",
        "signoff_links",
        "emergency_reviews",
        "drift_acks",
        "api_tokens",
        "login_links",
        "sessions",
        "rate_limits",
        "outbox",
        "attachments",
        "attachment_chunks",
    ] {
        let n = before.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n);
        assert!(n > 0, "the history has no rows in {table}: {before:?}");
    }
    // The figures docs/benchmarks.md quotes (`--nocapture` shows them).
    eprintln!("rows per table: {before:?}");
    // Identical row counts per table at every step.
    assert_eq!(copied(&first), before);
    assert_eq!(copied(&second), before);

    // The workspace on the copy of the copy: the same rows, byte for byte,
    // the chain verifies, and dtap works on it.
    use_database(&ws, &back);
    assert_eq!(counts(&ws, &tables).await, before);
    assert_eq!(db_dump_except(&ws, NOT_DATA).await, dump);
    assert_eq!(stdout(&ok(ws.dtap(&["audit", "verify"]))), audit);
    ok(ws.dtap(&["status"]));
    ok(ws.dtap(&["history"]));
    let new = json_of(&ws.as_user(CM, &["rfc", "new", "--template", "report", "--title", "Next", "--json"]));
    let highest = before.iter().find(|(t, _)| t == "rfcs").unwrap().1;
    assert_eq!(
        new["id"],
        format!("RFC-{}", highest + 1),
        "numbering goes on after the copy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_dies_half_way_leaves_the_target_without_rows() {
    assert!(
        pg_server().is_some(),
        "DTAP_TEST_PG_URL is not set: run the tests with scripts/test"
    );
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["demo"]));
    ok(ws.as_user(RM, &["promote", "crm-core", "--to", "test"]));
    let source = db_url(&ws);
    let target = if on_postgres() {
        format!("sqlite://{}", ws.tmp.path().join("target.db").display())
    } else {
        fresh_pg_database()
    };
    // Killed after the promotions table arrived, before the commit.
    let died = ws.dtap_env(
        &["db", "copy", "--from", &source, "--to", &target],
        &[("DTAP_FAILPOINT", "db-copy-midway")],
    );
    assert!(!died.status.success(), "{}", text(&died));
    assert!(text(&died).contains("failpoint db-copy-midway"), "{}", text(&died));
    // Nothing arrived: the same copy runs again into the same target.
    let out = ok(ws.dtap(&["db", "copy", "--from", &source, "--to", &target]));
    assert!(
        stdout(&out).contains("Row counts match, and the audit chain is intact"),
        "{}",
        text(&out)
    );
}

//! The audit chain anchored in git: every commit dtap makes names the
//! chain's head (`Dtap-Audit-Head: <seq>:<hash>`), and `audit verify`
//! catches a truncated, rewritten or backdated chain that relinking hides
//! from the links alone.

use dtap::store::audit::{AuditEvent, GENESIS, canonical, chain_hash};
use sqlx::Connection;

use crate::support::*;

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// A workspace with audit rows and dtap commits: a promotion, then an
/// anchor commit made by `dtap audit anchor`.
fn busy_workspace() -> TestWorkspace {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    let out = ok(ws.dtap(&["audit", "anchor"]));
    assert!(
        stdout(&out).contains("anchored the audit chain at event"),
        "{}",
        text(&out)
    );
    ws
}

/// Every dtap commit's message, newest first.
fn dtap_commits(ws: &TestWorkspace) -> Vec<String> {
    ws.repo_git(&["log", "--format=%B%x00"])
        .split('\0')
        .map(str::trim)
        .filter(|m| m.contains("Dtap-Action:"))
        .map(str::to_string)
        .collect()
}

/// The chain rewritten as someone with the database file would: guards
/// dropped, rows replaced by `change(rows)`, every hash recomputed so the
/// links hold.
async fn rewrite(ws: &TestWorkspace, change: impl FnOnce(&mut Vec<AuditEvent>)) {
    let mut db = db_connect(ws).await;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, actor, action, object, outcome, origin, detail, prev_hash, hash FROM audit_events ORDER BY seq",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut events: Vec<AuditEvent> = rows
        .into_iter()
        .map(|r| AuditEvent {
            seq: r.0,
            at: r.1,
            actor: r.2,
            action: r.3,
            object: r.4,
            outcome: r.5,
            origin: r.6,
            detail: r.7,
            prev_hash: r.8,
            hash: r.9,
        })
        .collect();
    change(&mut events);
    let mut prev = GENESIS.to_string();
    for (seq, e) in (1..).zip(events.iter_mut()) {
        e.seq = seq;
        e.prev_hash = prev.clone();
        e.hash = chain_hash(&e.prev_hash, &canonical(e));
        prev = e.hash.clone();
    }
    for t in ["audit_events_no_update", "audit_events_no_delete"] {
        let sql = if on_postgres() {
            format!("DROP TRIGGER {t} ON audit_events")
        } else {
            format!("DROP TRIGGER {t}")
        };
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut db).await.unwrap();
    }
    sqlx::query("DELETE FROM audit_events").execute(&mut db).await.unwrap();
    for e in &events {
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor, action, object, outcome, origin, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.seq)
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.object)
        .bind(&e.outcome)
        .bind(&e.origin)
        .bind(&e.detail)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut db)
        .await
        .unwrap();
    }
    db.close().await.unwrap();
}

fn verify_fails_saying(ws: &TestWorkspace, words: &str) {
    let out = ws.dtap(&["audit", "verify"]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(text(&out).contains(words), "{}", text(&out));
}

#[tokio::test]
async fn every_dtap_commit_anchors_the_audit_chain_and_verify_checks_the_anchors() {
    let ws = busy_workspace();
    let commits = dtap_commits(&ws);
    assert!(commits.len() >= 3, "init, promotion and anchor: {commits:?}");
    for m in &commits {
        let anchor = m.lines().find_map(|l| l.strip_prefix("Dtap-Audit-Head: "));
        let anchor = anchor.unwrap_or_else(|| panic!("a dtap commit without an anchor:\n{m}"));
        let (seq, hash) = anchor.split_once(':').unwrap();
        assert!(seq.parse::<i64>().is_ok() && hash.len() == 64, "{anchor}");
    }
    assert!(commits[0].contains("Dtap-Action: anchor"), "{}", commits[0]);
    let out = ok(ws.dtap(&["audit", "verify"]));
    assert!(stdout(&out).contains("audit chain intact"), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("{} anchors in git agree", commits.len())),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn a_truncated_chain_is_caught_by_its_anchor() {
    let ws = busy_workspace();
    rewrite(&ws, |rows| {
        rows.pop();
    })
    .await;
    verify_fails_saying(&ws, "truncated");
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_its_anchor() {
    let ws = busy_workspace();
    rewrite(&ws, |rows| rows[0].actor = "mallory@example.org".into()).await;
    verify_fails_saying(&ws, "rewritten");
}

#[tokio::test]
async fn a_row_forged_after_the_last_anchor_but_dated_before_it_is_caught() {
    let ws = busy_workspace();
    rewrite(&ws, |rows| {
        let mut forged = rows.last().unwrap().clone();
        forged.at = "2020-01-01T00:00:00.000000Z".into();
        forged.actor = "mallory@example.org".into();
        forged.action = "promote".into();
        rows.push(forged);
    })
    .await;
    verify_fails_saying(&ws, "forged");
}

/// `serve` anchors the chain when the branch saw no commit for a day.
#[test]
fn serve_anchors_the_chain_after_a_day_without_commits() {
    let ws = TestWorkspace::init();
    ws.file_rfc("Weekly sales button");
    // The newest commit is two days old (a developer's, dated so).
    let work = ws.tmp.path().join("old-clone");
    ws.git(
        ws.tmp.path(),
        &["clone", "-q", ws.repo_path().to_str().unwrap(), work.to_str().unwrap()],
    );
    std::fs::write(work.join("README.md"), "old\n").unwrap();
    ws.git(&work, &["add", "-A"]);
    let when = (time::OffsetDateTime::now_utc() - time::Duration::days(2)).unix_timestamp();
    let date = format!("@{when} +0000");
    let out = ws
        .isolated_command("git")
        .current_dir(&work)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args(["commit", "-q", "-m", "An old change"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    ws.git(&work, &["push", "-q", "origin", "HEAD:main"]);
    let before = ws.head();
    let serve = Serve::start(&ws);
    let mut anchored = false;
    for _ in 0..100 {
        if ws.head() != before {
            anchored = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    serve.stop();
    assert!(anchored, "serve made no anchor commit");
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("Dtap-Action: anchor"), "{message}");
    assert!(message.contains("Dtap-Audit-Head: "), "{message}");
    ok(ws.dtap(&["audit", "verify"]));
}

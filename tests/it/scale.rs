//! Several instances on one PostgreSQL (issue 7): concurrent promotions from
//! two workspaces sharing one database and one config repo on a `git daemon`
//! (each instance with its own cache clone), three mail
//! workers draining one outbox into a real SMTP server, and `dtap db copy`
//! between the backends. scripts/test starts the private PostgreSQL.

use std::collections::HashMap;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{
    GitDaemon, KIM, SALES, Smtp, TestWorkspace, USER, db_connect, db_url, ok, on_postgres, pg_server, stdout, text,
};

fn require_pg() {
    assert!(
        pg_server().is_some(),
        "DTAP_TEST_PG_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL"
    );
}

fn current_db_line(ws: &TestWorkspace) -> String {
    ws.read("dtap.toml")
        .lines()
        .find(|l| l.trim_start().starts_with("url"))
        .unwrap()
        .to_string()
}

/// A second instance: its own workspace folder with the same configuration
/// (so the same database and remote config repo) as `first`, and its own cache.
fn second_instance(first: &TestWorkspace) -> TestWorkspace {
    let second = TestWorkspace::empty();
    std::fs::create_dir_all(&second.dir).unwrap();
    for f in ["dtap.toml", "access.yaml"] {
        std::fs::copy(first.dir.join(f), second.dir.join(f)).unwrap();
    }
    for d in ["environments", "rfc-templates"] {
        std::fs::create_dir_all(second.dir.join(d)).unwrap();
        for e in std::fs::read_dir(first.dir.join(d)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), second.dir.join(d).join(e.file_name())).unwrap();
        }
    }
    second
}

fn promote_cmd(ws: &TestWorkspace, package: &str) -> Command {
    let mut cmd = ws.dtap_command(USER, &["promote", package, "--to", "test"]);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_promotions_from_two_instances_keep_one_linear_history() {
    require_pg();
    let a = TestWorkspace::init_with(true);
    let rfc = a.approved_rfc("Ten packages at once");
    a.appoint(&rfc, "test", KIM);
    let packages: Vec<String> = (1..=10).map(|i| format!("pkg-{i:02}")).collect();
    for p in &packages {
        a.put_package(p, "1.0.0", &[&rfc], p);
    }
    let server = a.move_repo_to_server();
    let daemon = GitDaemon::start(&a, server.parent().unwrap());
    a.use_remote(&daemon.url("config.git"), "");
    let b = second_instance(&a);
    let before: usize = a.git_out(&server, &["rev-list", "--count", "main"]).parse().unwrap();

    let children: Vec<_> = (0..50)
        .map(|i| {
            let ws = if i % 2 == 0 { &a } else { &b };
            promote_cmd(ws, &packages[i % packages.len()]).spawn().unwrap()
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();

    let mut promoted: HashMap<String, usize> = HashMap::new();
    for out in &outs {
        let said = stdout(out);
        match out.status.code() {
            Some(0) if said.contains("Promoted ") => {
                let pkg = said.split_whitespace().nth(1).unwrap().to_string();
                *promoted.entry(pkg).or_default() += 1;
            }
            Some(0) => assert!(said.contains("is already in test"), "{}", text(out)),
            Some(1 | 3) => assert!(
                String::from_utf8_lossy(&out.stderr).starts_with("error: "),
                "{}",
                text(out)
            ),
            _ => panic!("unexpected: {}", text(out)),
        }
    }
    // Each package was promoted exactly once, whichever instance won.
    assert_eq!(promoted.len(), packages.len(), "{promoted:?}");
    assert!(promoted.values().all(|n| *n == 1), "{promoted:?}");

    // One linear history: no merges, every promotion one commit on top.
    assert_eq!(a.git_out(&server, &["rev-list", "--merges", "main"]), "");
    let after: usize = a.git_out(&server, &["rev-list", "--count", "main"]).parse().unwrap();
    assert_eq!(after, before + packages.len());
    for p in &packages {
        assert_eq!(
            a.git_out(&server, &["rev-parse", &format!("main:test/{p}")]),
            a.git_out(&server, &["rev-parse", &format!("main:develop/{p}")])
        );
    }

    // The database agrees with the repo: every promotion done, each commit on the branch.
    let history: Vec<String> = a
        .git_out(&server, &["rev-list", "main"])
        .lines()
        .map(String::from)
        .collect();
    // The intents, read raw: no command lists them.
    let mut conn = db_connect(&a).await;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as("SELECT state, commit_id FROM promotions")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let done: Vec<&String> = rows
        .iter()
        .filter(|r| r.0 == "done")
        .filter_map(|r| r.1.as_ref())
        .collect();
    assert_eq!(done.len(), packages.len(), "{rows:?}");
    assert!(rows.iter().all(|r| r.0 != "pending"), "{rows:?}");
    for c in &done {
        assert!(history.contains(c), "promotion commit {c} is not on the branch");
    }
    let status = ok(b.dtap(&["status", "--json"]));
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(status.to_string().contains("pkg-10"), "{status}");
    ok(a.dtap(&["audit", "verify"]));
    // Each instance worked through its own cache clone, now where the server is.
    let head = a.git_out(&server, &["rev-parse", "main"]);
    for ws in [&a, &b] {
        assert_eq!(
            ws.git_out(&ws.dir.join(".dtap/repo-cache.git"), &["rev-parse", "main"]),
            head
        );
    }
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_deliver_five_thousand_mails_exactly_once() {
    require_pg();
    let ws = TestWorkspace::init_with(true);
    let smtp = Smtp::start(&ws);
    ws.use_smtp(smtp.port);
    const MAILS: usize = 5000;
    // A load of 5000 queued mails, written straight into the outbox: queuing
    // them through dtap would take 5000 state changes.
    {
        let mut conn = db_connect(&ws).await;
        let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
        let at = "2026-01-01T00:00:00.000000Z";
        for i in 0..MAILS {
            sqlx::query(
                "INSERT INTO outbox (message_id, kind, recipients, subject, text_body, html_body, next_attempt_at, created_at)
                 VALUES ($1, 'state', $2, $3, 'body', '<p>body</p>', $4, $4)",
            )
            .bind(format!("<load-{i}@dtap.test>"))
            .bind(format!("[\"user{}@example.org\"]", i % 97))
            .bind(format!("mail {i}"))
            .bind(at)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }

    let workers: Vec<_> = (0..3)
        .map(|_| {
            let mut cmd = ws.dtap_command(USER, &["mail", "flush", "--json"]);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut sent_by_workers = 0;
    let mut workers_that_sent = 0;
    for w in workers {
        let out = ok(w.wait_with_output().unwrap());
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let sent = report["sent"].as_u64().unwrap();
        sent_by_workers += sent;
        workers_that_sent += usize::from(sent > 0);
    }
    assert_eq!(sent_by_workers, MAILS as u64);
    assert!(workers_that_sent >= 2, "the workers shared the outbox");

    let received = smtp.messages();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &received {
        *seen.entry(m.message_id().to_string()).or_default() += 1;
    }
    assert_eq!(received.len(), MAILS, "each mail arrives once");
    assert_eq!(seen.len(), MAILS);
    assert!(seen.contains_key("<load-0@dtap.test>") && seen.contains_key("<load-4999@dtap.test>"));
    // Nothing left behind in the outbox (every row's state, read raw).
    let mut conn = db_connect(&ws).await;
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE state <> 'sent'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_copy_moves_a_team_to_the_other_backend_and_verifies_it() {
    require_pg();
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["demo"]));
    let rfcs_before = ok(ws.dtap(&["rfc", "list", "--json"])).stdout;
    let search_before = ok(ws.dtap(&["rfc", "list", "--search", "sales", "--json"])).stdout;
    let audit_before = stdout(&ok(ws.dtap(&["audit", "verify"])));

    // SQLite → PostgreSQL on the SQLite pass, PostgreSQL → SQLite on the other.
    let from = db_url(&ws);
    let to = if on_postgres() {
        format!("sqlite://{}", ws.tmp.path().join("copied.db").display())
    } else {
        crate::support::fresh_pg_database()
    };
    let out = ok(ws.dtap(&["db", "copy", "--from", &from, "--to", &to]));
    assert!(
        stdout(&out).contains("Row counts match, and the audit chain is intact"),
        "{}",
        text(&out)
    );

    // Copying again over the rows is refused, naming what is in the way.
    let again = ws.dtap(&["db", "copy", "--from", &from, "--to", &to]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    assert!(text(&again).contains("already holds rows"), "{}", text(&again));

    // The workspace on the copy: same RFCs, same search, same chain, and
    // numbering goes on after the highest number.
    let line = current_db_line(&ws);
    ws.edit("dtap.toml", &line, &format!("url = \"{to}\""));
    assert_eq!(ok(ws.dtap(&["rfc", "list", "--json"])).stdout, rfcs_before);
    assert_eq!(
        ok(ws.dtap(&["rfc", "list", "--search", "sales", "--json"])).stdout,
        search_before
    );
    assert_eq!(stdout(&ok(ws.dtap(&["audit", "verify"]))), audit_before);
    let highest = serde_json::from_slice::<Value>(&rfcs_before).unwrap();
    let highest = highest
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str()?.trim_start_matches("RFC-").parse::<i64>().ok())
        .max()
        .unwrap();
    let new = ok(ws.as_user(
        SALES,
        &[
            "rfc",
            "new",
            "--template",
            "report",
            "--title",
            "After the move",
            "--json",
        ],
    ));
    let new: Value = serde_json::from_slice(&new.stdout).unwrap();
    assert_eq!(new["id"], format!("RFC-{}", highest + 1));
}

#[tokio::test]
async fn an_older_dtap_refuses_a_database_a_newer_one_migrated() {
    let ws = TestWorkspace::init();
    // Tampering on purpose: a migration only a newer dtap would have applied.
    let mut conn = db_connect(&ws).await;
    let sql = if on_postgres() {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', TRUE, '\\x00', 0)"
    } else {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', 1, x'00', 0)"
    };
    sqlx::query(sql).execute(&mut conn).await.unwrap();
    let out = ws.dtap(&["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("migrations [99999] that this dtap does not know"),
        "{}",
        text(&out)
    );
}

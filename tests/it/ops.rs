//! docs/operations.md as an administrator follows it (issue 21): the backup
//! script and the restore drill run as written (the blocks marked
//! `sh runnable=backup` and `sh runnable=drill`), against the private
//! PostgreSQL and a config repo on a real git daemon; an older dtap on a
//! newer database; "Created database" only when it was.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::docs::{named_block, run_block};
use crate::support::{
    GitDaemon, RM, Serve, TestWorkspace, code, db_execute, db_url, fresh_pg_database, json_of, ok, on_postgres,
    pg_server, stdout, text,
};

/// dtap run in the drill's folder with the drill's variables, as the
/// administrator runs it after the drill block.
fn in_drill(ws: &TestWorkspace, drill: &Path, database: &str, args: &[&str]) -> Output {
    ws.isolated_command(env!("CARGO_BIN_EXE_dtap"))
        .args(args)
        .current_dir(drill)
        .env("DTAP_DATABASE_URL", database)
        .env("DTAP_REPO_URL", "")
        .env("DTAP_REPO_PATH", ".dtap/config.git")
        .env("DTAP_USER", RM)
        .output()
        .unwrap()
}

/// `status --json` without `fetched_seconds_ago` (the live workspace fetches
/// its remote, the drill has none): the packages, versions and trees.
fn status(out: &Output) -> Value {
    let mut v = json_of(out);
    v.as_object_mut().unwrap().remove("fetched_seconds_ago");
    v
}

fn psql(server: &str, sql: &str) {
    let out = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", &format!("{server}/postgres"), "-c", sql])
        .output()
        .expect("psql (PostgreSQL client) on PATH");
    assert!(out.status.success(), "psql {sql}: {}", text(&out));
}

fn git_head(ws: &TestWorkspace, repo: &Path) -> String {
    ws.git(
        ws.tmp.path(),
        &["--git-dir", repo.to_str().unwrap(), "rev-parse", "main"],
    )
    .trim()
    .to_string()
}

#[test]
fn the_restore_drill_restores_the_backup_and_never_reads_the_live_server() {
    let pg = pg_server().expect("DTAP_TEST_PG_URL is not set: run the tests with scripts/test");
    // The live system: PostgreSQL, and the config repo on a git server.
    let ws = TestWorkspace::init_with(true);
    ok(ws.dtap(&["demo"]));
    let server = ws.move_repo_to_server();
    let daemon = GitDaemon::start(&ws, server.parent().unwrap());
    ws.use_remote(&daemon.url("config.git"), "");
    ok(ws.as_user(RM, &["promote", "crm-core", "--to", "test"]));
    let status_then = status(&ws.dtap(&["status", "--json"]));
    let rfcs_then = json_of(&ws.dtap(&["rfc", "list", "--json"]));
    let head_then = git_head(&ws, &server);

    // The backup script, as written.
    let backup = ws.tmp.path().join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    let (dir, backup_dir) = (ws.dir.to_str().unwrap(), backup.to_str().unwrap());
    let cache = ws.dir.join(".dtap/repo-cache.git");
    let out = ok(run_block(
        &ws,
        &named_block("docs/operations.md", "backup"),
        ws.tmp.path(),
        &[
            ("DTAP_WORKSPACE", dir),
            ("BACKUP_DIR", backup_dir),
            ("BACKUP_REPO", cache.to_str().unwrap()),
            ("DTAP_DATABASE_URL", &db_url(&ws)),
        ],
    ));
    assert!(stdout(&out).contains("backed up dtap-"), "{}", text(&out));

    // The live system moves on: a promotion pushed to the server, an RFC filed.
    ok(ws.as_user(
        RM,
        &["rollback", "crm-core", "--env", "test", "--reason", "After the backup"],
    ));
    let late = ws.file_rfc("Filed after the backup");
    let head_now = git_head(&ws, &server);
    assert_ne!(head_now, head_then);

    // The drill, as written, with the live server still reachable.
    psql(&pg, "DROP DATABASE IF EXISTS dtap_drill");
    let drill = ws.tmp.path().join("drill");
    let out = run_block(
        &ws,
        &named_block("docs/operations.md", "drill"),
        ws.tmp.path(),
        &[
            ("BACKUP_DIR", backup_dir),
            ("DTAP_WORKSPACE", dir),
            ("DRILL_DIR", drill.to_str().unwrap()),
            ("PG_SERVER", &pg),
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    // How the drill tells it read the backup: doctor's first two lines.
    let local = format!("local bare repository {}/.dtap/config.git", drill.display());
    assert!(said.contains(&local), "{said}");
    assert!(said.contains("nothing is fetched or pushed"), "{said}");
    assert!(said.contains("/dtap_drill"), "{said}");
    assert!(said.contains("audit chain intact"), "{said}");
    assert!(!said.contains(&daemon.url("config.git")), "{said}");

    // The restored system holds the backup's state, not the later change.
    let database = format!("{pg}/dtap_drill");
    assert_eq!(
        status(&in_drill(&ws, &drill, &database, &["status", "--json"])),
        status_then
    );
    let rfcs: Value = json_of(&in_drill(&ws, &drill, &database, &["rfc", "list", "--json"]));
    assert_eq!(rfcs, rfcs_then);
    assert!(!rfcs.to_string().contains(&late), "{rfcs}");
    assert_eq!(git_head(&ws, &drill.join(".dtap/config.git")), head_then);
    // ... and the live server was left alone.
    assert_eq!(git_head(&ws, &server), head_now);
    psql(&pg, "DROP DATABASE dtap_drill");
}

#[tokio::test]
async fn an_older_dtap_names_the_dtap_version_a_newer_database_needs() {
    let ws = TestWorkspace::init();
    // Tampering on purpose: what a newer dtap's `migrate` leaves behind (a
    // migration this binary lacks, and that dtap's version).
    let future = if on_postgres() {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', TRUE, '\\x00', 0)"
    } else {
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', 1, x'00', 0)"
    };
    db_execute(
        &ws,
        &[
            (future, &[]),
            ("UPDATE meta SET value = '9.9.0' WHERE key = 'schema_by_dtap'", &[]),
        ],
    )
    .await;
    let ours = env!("CARGO_PKG_VERSION");
    for args in [
        &["migrate"][..],
        &["serve", "--bind", "127.0.0.1:0"],
        &["status"],
        &["doctor"],
    ] {
        let out = ws.dtap(args);
        assert_eq!(code(&out), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains(&format!(
                "migrations [99999] that this dtap does not know (this is dtap {ours}): dtap 9.9.0 upgraded it; \
                 use that version or newer here"
            )),
            "{args:?}: {}",
            text(&out)
        );
        assert!(!text(&out).contains("previously applied"), "{args:?}: {}", text(&out));
    }
}

#[test]
fn serve_says_created_database_only_when_it_created_it() {
    let ws = TestWorkspace::init();
    // init made the database: serve has nothing to create.
    let serve = Serve::start(&ws);
    assert!(!serve.said.iter().any(|l| l.starts_with("Created")), "{:?}", serve.said);
    drop(serve);
    // An empty database (a new SQLite file, or tables in a new PostgreSQL
    // database): the first instance creates it, a second one does not.
    if on_postgres() {
        let line = ws
            .read("dtap.toml")
            .lines()
            .find(|l| l.starts_with("url"))
            .unwrap()
            .to_string();
        ws.edit("dtap.toml", &line, &format!("url = \"{}\"", fresh_pg_database()));
    } else {
        for f in ["dtap.db", "dtap.db-wal", "dtap.db-shm"] {
            let _ = std::fs::remove_file(ws.dir.join(".dtap").join(f));
        }
    }
    let first = Serve::start(&ws);
    let second = Serve::start(&ws);
    assert!(
        first.said.iter().any(|l| l.starts_with("Created database")),
        "{:?}",
        first.said
    );
    assert!(
        !second.said.iter().any(|l| l.starts_with("Created")),
        "{:?}",
        second.said
    );
}

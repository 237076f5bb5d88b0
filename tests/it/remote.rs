//! A remote config repo (`[repo] url`): a bare repo served by a real
//! `git daemon` on loopback, or reached by file://. dtap works on a cache
//! clone, pushes every promotion with the expected old value, retries on a
//! concurrent push with every gate judged again, and records nothing as done
//! when the server refuses the push.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{
    FA, GitDaemon, KIM, ReservedPort, TestWorkspace, db_count, db_url, json_of, manifest, ok, stderr, stdout, text,
};

// ---------------------------------------------------------------- helpers

/// A report RFC submitted and approved for build, with kim as tester in test.
pub(crate) fn approved_rfc_with_tester(ws: &TestWorkspace) -> String {
    let id = ws.approved_rfc("Weekly sales button");
    ws.appoint(&id, "test", KIM);
    id
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A colleague's clone of the server repo (`name` keeps several apart),
/// up to date with its branch.
pub(crate) fn hand_clone(ws: &TestWorkspace, server: &Path, name: &str) -> PathBuf {
    let work = ws.tmp.path().join(name);
    if work.exists() {
        ws.git_out(&work, &["pull", "-q", "--ff-only"]);
    } else {
        ws.git_out(
            ws.tmp.path(),
            &["clone", "-q", server.to_str().unwrap(), work.to_str().unwrap()],
        );
    }
    work
}

/// Commits files in a colleague's clone; pushes them to the server when `push`.
pub(crate) fn hand_commit(
    ws: &TestWorkspace,
    server: &Path,
    name: &str,
    message: &str,
    files: &[(&str, &str)],
    push: bool,
) {
    let work = hand_clone(ws, server, name);
    for (rel, content) in files {
        let p = work.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    ws.git_out(&work, &["add", "-A"]);
    ws.git_out(&work, &["commit", "-q", "-m", message]);
    if push {
        ws.git_out(&work, &["push", "-q", "origin", "HEAD:main"]);
    }
}

pub(crate) fn put_package(ws: &TestWorkspace, server: &Path, rfc: &str, version: &str) {
    hand_commit(
        ws,
        server,
        "dev",
        &format!("crm-core {version}"),
        &[
            ("develop/crm-core/package.yaml", &manifest("crm-core", version, &[rfc])),
            (
                "develop/crm-core/entities/contact.xml",
                &format!("<entity name=\"contact\">{version}</entity>\n"),
            ),
        ],
        true,
    );
}

pub(crate) fn rev(ws: &TestWorkspace, repo: &Path, what: &str) -> String {
    ws.git_out(repo, &["rev-parse", what])
}

pub(crate) fn promote(ws: &TestWorkspace) -> Output {
    ws.dtap(&["promote", "crm-core", "--to", "test"])
}

pub(crate) fn promotions_in_history(ws: &TestWorkspace) -> Vec<Value> {
    json_of(&ws.dtap(&["history", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("crm-core"))
        .cloned()
        .collect()
}

/// Mails to kim in the outbox (sign-off invitations).
pub(crate) fn mails_to_kim(ws: &TestWorkspace) -> usize {
    let list = json_of(&ws.dtap(&["mail", "list", "--json"]));
    list.as_array()
        .unwrap()
        .iter()
        .filter(|m| m.to_string().contains(KIM))
        .count()
}

/// A pre-receive hook on the server repo (a shell script).
pub(crate) fn hook(server: &Path, script: &str) {
    let path = server.join("hooks/pre-receive");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A workspace whose config repo lives on a git daemon, with crm-core 1.0.0
/// (carrying an approved RFC with a tester) in develop.
fn served_workspace() -> (TestWorkspace, PathBuf, GitDaemon, String) {
    let ws = TestWorkspace::init();
    let rfc = approved_rfc_with_tester(&ws);
    let server = ws.move_repo_to_server();
    let daemon = GitDaemon::start(&ws, server.parent().unwrap());
    ws.use_remote(&daemon.url("config.git"), "");
    put_package(&ws, &server, &rfc, "1.0.0");
    (ws, server, daemon, rfc)
}

// ---------------------------------------------------------------- tests

#[test]
fn a_promotion_is_pushed_and_a_second_instance_sees_it_after_fetching() {
    let ws = TestWorkspace::init();
    let rfc = approved_rfc_with_tester(&ws);
    let server = ws.move_repo_to_server();
    ws.use_remote(&file_url(&server), "");
    put_package(&ws, &server, &rfc, "1.0.0");

    // The first command makes the cache clone; the local repo is no more.
    let status = ok(ws.dtap(&["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
    let cache = ws.dir.join(".dtap/repo-cache.git");
    assert!(cache.join("HEAD").exists() && !ws.repo_path().exists());

    let out = ok(promote(&ws));
    assert!(stdout(&out).contains("into test"), "{}", text(&out));
    // The server holds the promotion, and the cache is where the server is.
    let server_head = rev(&ws, &server, "main");
    assert_eq!(rev(&ws, &cache, "main"), server_head);
    assert_eq!(
        rev(&ws, &server, "main:test/crm-core"),
        rev(&ws, &server, "main:develop/crm-core")
    );
    assert!(
        ws.git_out(&server, &["log", "-1", "--format=%B", "main"])
            .contains("Dtap-Action: promote")
    );
    assert_eq!(promotions_in_history(&ws).len(), 1);
    assert_eq!(mails_to_kim(&ws), 1, "kim is invited to test");

    // A second instance: same database, its own cache of the same remote.
    let ws2 = TestWorkspace::init();
    ws2.use_remote(&file_url(&server), "fresh_for = \"0s\"\n");
    let own_db = std::fs::read_to_string(ws2.dir.join("dtap.toml"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("url = ")) // [database] comes first
        .unwrap()
        .to_string();
    ws2.edit("dtap.toml", &own_db, &format!("url = \"{}\"", db_url(&ws)));
    let seen = promotions_in_history(&ws2);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(rev(&ws2, &ws2.dir.join(".dtap/repo-cache.git"), "main"), server_head);

    // A hand push to the server: each instance's next read fetches it.
    hand_commit(&ws, &server, "dev", "docs", &[("develop/NOTES.md", "hello\n")], true);
    let new_head = rev(&ws, &server, "main");
    ok(ws2.dtap(&["history", "--json"]));
    assert_eq!(rev(&ws2, &ws2.dir.join(".dtap/repo-cache.git"), "main"), new_head);
}

#[test]
fn a_concurrent_hand_push_makes_dtap_fetch_judge_again_and_land_on_top() {
    let (ws, server, _daemon, _rfc) = served_workspace();
    ok(ws.dtap(&["status"]));
    // A colleague's commit, ready to push the moment dtap's push arrives.
    hand_commit(
        &ws,
        &server,
        "colleague",
        "notes",
        &[("develop/NOTES.md", "racing\n")],
        false,
    );
    let colleague = ws.tmp.path().join("colleague");
    let hand_commit_id = rev(&ws, &colleague, "HEAD");
    let mark = ws.tmp.path().join("raced");
    let log = ws.tmp.path().join("hook.log");
    hook(
        &server,
        &format!(
            "echo run >> '{log}'\nif [ ! -e '{mark}' ]; then\n  touch '{mark}'\n  (for v in $(env | sed -n 's/^\\(GIT_[A-Z_]*\\)=.*/\\1/p'); do unset $v; done\n   cd '{colleague}' && git push -q origin HEAD:main) >&2 || exit 1\nfi\nexit 0\n",
            log = log.display(),
            mark = mark.display(),
            colleague = colleague.display()
        ),
    );
    let out = ok(promote(&ws));
    assert!(stdout(&out).contains("into test"), "{}", text(&out));
    // dtap's first push lost (the hook ran for it, the colleague's push, and the retry).
    let runs = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(runs, 3, "hook runs");
    // Linear history: the promotion sits on the colleague's commit, no merge.
    let head = rev(&ws, &server, "main");
    assert_eq!(rev(&ws, &server, "main^"), hand_commit_id);
    assert_eq!(ws.git_out(&server, &["rev-list", "--merges", "main"]), "");
    assert!(
        ws.git_out(&server, &["show", "-s", "--format=%B", "main"])
            .contains("Dtap-Action: promote")
    );
    assert_eq!(rev(&ws, &ws.dir.join(".dtap/repo-cache.git"), "main"), head);
    assert_eq!(promotions_in_history(&ws).len(), 1);
    assert_eq!(mails_to_kim(&ws), 1);
}

#[tokio::test]
async fn a_push_the_server_refuses_leaves_nothing_recorded_as_done() {
    let (ws, server, _daemon, _rfc) = served_workspace();
    ok(ws.dtap(&["status"]));
    let before = rev(&ws, &server, "main");
    // The commits dtap recorded as its own: a fact no command shows.
    let known_before = db_count(&ws, "SELECT COUNT(*) FROM dtap_commits").await;
    hook(
        &server,
        "echo 'frozen: no changes until the audit is over' >&2\nexit 1\n",
    );

    let out = promote(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("refused the update of branch main") && err.contains("frozen: no changes until the audit is over"),
        "{err}"
    );
    assert!(!err.contains("Promoted"), "{err}");

    // Nothing moved, nothing claims it did.
    assert_eq!(rev(&ws, &server, "main"), before);
    assert_eq!(rev(&ws, &ws.dir.join(".dtap/repo-cache.git"), "main"), before);
    assert!(promotions_in_history(&ws).is_empty());
    assert_eq!(
        mails_to_kim(&ws),
        0,
        "no invitation for a promotion that did not happen"
    );
    // dtap's own record of commits and its intent, read raw: no command shows them.
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM dtap_commits").await, known_before);
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM promotions WHERE state <> 'failed'").await,
        0,
        "the one intent failed"
    );
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM promotions").await, 1);

    // Once the server accepts again, the same promotion goes through.
    std::fs::remove_file(server.join("hooks/pre-receive")).unwrap();
    ok(promote(&ws));
    assert_eq!(promotions_in_history(&ws).len(), 1);
    assert_eq!(mails_to_kim(&ws), 1);
    assert_eq!(
        rev(&ws, &server, "main"),
        rev(&ws, &ws.dir.join(".dtap/repo-cache.git"), "main")
    );
}

#[test]
fn command_transports_and_unlisted_hosts_are_refused_before_anything_runs() {
    let ws = TestWorkspace::init();
    let marker = ws.tmp.path().join("pwned");
    let evil = format!("ext::sh -c touch% {}", marker.display());
    ws.edit("dtap.toml", "[repo]\n", &format!("[repo]\nurl = \"{evil}\"\n"));
    let out = ws.dtap(&["status"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("dtap.toml") && err.contains("[repo] url: the transport `ext::` is not allowed"),
        "{err}"
    );
    assert!(!marker.exists());

    // The same through the environment, and a host nobody allowed.
    let ws = TestWorkspace::init();
    let out = ws.dtap_env(&["status"], &[("DTAP_REPO_URL", "fd::17")]);
    assert!(
        stderr(&out).contains("the transport `fd::` is not allowed"),
        "{}",
        text(&out)
    );
    let out = ws.dtap_env(&["status"], &[("DTAP_REPO_URL", "git://git.example.org/config.git")]);
    assert!(
        stderr(&out).contains("allowed_hosts = \"git.example.org\""),
        "{}",
        text(&out)
    );
    let out = ws.dtap_env(&["status"], &[("DTAP_REPO_URL", "https://bot:hunter2@127.0.0.1/x.git")]);
    assert!(
        !stderr(&out).contains("hunter2") && stderr(&out).contains("token_env"),
        "{}",
        text(&out)
    );
}

#[test]
fn init_seeds_an_empty_remote_and_an_unreachable_one_is_a_clear_error() {
    let ws = TestWorkspace::empty();
    let server = ws.tmp.path().join("server/config.git");
    ws.git_out(ws.tmp.path(), &["init", "-q", "--bare", server.to_str().unwrap()]);
    let url = file_url(&server);
    let out = ws.dtap_env(&["init", ws.dir.to_str().unwrap()], &[("DTAP_REPO_URL", &url)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        ws.git_out(&server, &["log", "-1", "--format=%B", "main"])
            .contains("Dtap-Action: init")
    );
    assert_eq!(
        rev(&ws, &server, "main"),
        rev(&ws, &ws.dir.join(".dtap/repo-cache.git"), "main")
    );

    // A daemon that is gone: a write says where it failed and changes nothing.
    // Its port is held, bound but not listening, so nothing else answers there.
    let gone_port = ReservedPort::new();
    let gone = format!("git://127.0.0.1:{}/config.git", gone_port.port);
    let out = ws.dtap_env(
        &["promote", "--all", "--to", "test"],
        &[("DTAP_REPO_URL", &gone), ("DTAP_REPO_ALLOWED_HOSTS", "127.0.0.1")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("the config repo at {gone} could not be reached")),
        "{}",
        text(&out)
    );
}

#[test]
fn a_push_from_a_stale_cache_is_stopped_by_the_lease_before_the_server_sees_it() {
    let ws = TestWorkspace::init();
    let rfc = approved_rfc_with_tester(&ws);
    let server = ws.move_repo_to_server();
    let daemon = GitDaemon::start(&ws, server.parent().unwrap());
    ws.use_remote(&daemon.url("config.git"), "fresh_for = \"1h\"\n");
    hand_commit(
        &ws,
        &server,
        "dev",
        "crm-core without RFCs",
        &[("develop/crm-core/package.yaml", &manifest("crm-core", "1.0.0", &[]))],
        true,
    );
    ok(ws.dtap(&["status"]));
    let cache = ws.dir.join(".dtap/repo-cache.git");
    let log = ws.tmp.path().join("hook.log");
    hook(&server, &format!("echo run >> '{}'\n", log.display()));
    hand_commit(&ws, &server, "dev", "notes", &[("develop/NOTES.md", "x\n")], true);
    let colleague = rev(&ws, &server, "main");
    assert_ne!(rev(&ws, &cache, "main"), colleague, "the cache is fresh for an hour");

    // `rfc link` commits on the cache's (stale) head: the lease sees the server moved.
    let out = ok(ws.as_user(FA, &["rfc", "link", &rfc, "--package", "crm-core"]));
    assert!(stdout(&out).contains("linked to crm-core"), "{}", text(&out));
    let runs = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(
        runs, 2,
        "the colleague's push and dtap's retry; the stale push never reached the hook"
    );
    assert_eq!(rev(&ws, &server, "main^"), colleague);
    assert!(
        ws.git_out(&server, &["show", "main:develop/crm-core/package.yaml"])
            .contains(&rfc)
    );
    assert_eq!(rev(&ws, &cache, "main"), rev(&ws, &server, "main"));
}

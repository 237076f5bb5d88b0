//! The git servers teams actually use, end to end on loopback: https with a
//! token (nginx + `git http-backend`, a company CA made in the test) and ssh
//! (a private sshd, keys and known_hosts made in the test). Each test needs
//! the Debian programs it names and skips without them, except in CI
//! (`DTAP_REQUIRE_GIT_SERVERS`).

mod https;
mod ssh;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::remote::{approved_rfc_with_tester, put_package};
use crate::support::TestWorkspace;

/// A workspace whose config repo moved out to `<tmp>/server/config.git`,
/// with crm-core 1.0.0 (carrying an approved RFC with a tester) in develop.
fn served_workspace() -> (TestWorkspace, PathBuf) {
    let ws = TestWorkspace::init();
    let rfc = approved_rfc_with_tester(&ws);
    let server = ws.move_repo_to_server();
    put_package(&ws, &server, &rfc, "1.0.0");
    (ws, server)
}

/// The files under `dir` (recursively) whose bytes hold `secret`.
fn files_holding(dir: &Path, secret: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(secret.len()).any(|w| w == secret.as_bytes())) {
                found.push(p);
            }
        }
    }
    found
}

/// Neither what dtap printed nor any file of the workspace holds `secret`.
fn assert_never_shown(ws: &TestWorkspace, outputs: &[&Output], secret: &str) {
    for out in outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(secret), "dtap printed the token: {all}");
    }
    let files = files_holding(&ws.dir, secret);
    assert!(files.is_empty(), "the token is written in {files:?}");
}

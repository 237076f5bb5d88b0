//! Server programs from Debian for the transport tests (DESIGN §11): nginx,
//! fcgiwrap, sshd. Whether a missing one skips or fails a test is decided
//! here: CI (.ci/run) installs them and sets `DTAP_REQUIRE_GIT_SERVERS=1`,
//! so there a missing program fails the test instead of skipping it.

use std::io::Write;
use std::path::PathBuf;

fn required() -> bool {
    std::env::var("DTAP_REQUIRE_GIT_SERVERS").is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0")
}

/// A program on PATH or in the sbin folders (often not on a user's PATH).
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The programs `names`, in order, or `None` after saying loudly that `test`
/// is skipped (a failure when `DTAP_REQUIRE_GIT_SERVERS` is set).
pub fn programs_or_skip(test: &str, names: &[&str], packages: &str) -> Option<Vec<PathBuf>> {
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| find(n)).collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.is_empty() {
        return Some(found.into_iter().flatten().collect());
    }
    let missing = missing.join(", ");
    assert!(
        !required(),
        "{test} needs {missing}, which is missing: apt-get install {packages} \
         (the test is required because DTAP_REQUIRE_GIT_SERVERS is set)"
    );
    // Straight to the process's stderr: libtest captures eprintln! of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! SKIPPED {test}: no {missing}.\n\
         !!!!!!!! apt-get install {packages}, or set DTAP_REQUIRE_GIT_SERVERS=1 to fail instead.\n"
    );
    None
}

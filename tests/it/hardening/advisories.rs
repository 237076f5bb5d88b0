//! `scripts/advisories`: the lock file against the RustSec snapshot, offline (CI runs it).

use std::process::Command;

fn run(lock: &std::path::Path) -> std::process::Output {
    Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/advisories"))
        .arg("--lock")
        .arg(lock)
        .output()
        .expect("run python3 scripts/advisories")
}

#[test]
fn a_locked_version_with_an_advisory_fails_and_ours_pass() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    let registry = "registry+https://github.com/rust-lang/crates.io-index";
    std::fs::write(
        &lock,
        format!(
            "version = 4\n\n[[package]]\nname = \"hyper\"\nversion = \"0.9.3\"\nsource = \"{registry}\"\n\n\
             [[package]]\nname = \"smallvec\"\nversion = \"1.13.2\"\nsource = \"{registry}\"\n"
        ),
    )
    .unwrap();
    let out = run(&lock);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("RUSTSEC-2016-0002 hyper 0.9.3"), "{said}");
    assert!(!said.contains("smallvec"), "a patched version passes: {said}");
    let ours = run(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")));
    assert_eq!(ours.status.code(), Some(0), "{}", String::from_utf8_lossy(&ours.stdout));
}

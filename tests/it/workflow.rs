//! init → check → status on a real config repo.

use crate::support::{TestWorkspace, manifest, stdout, text};

#[test]
fn init_creates_workspace_state_and_first_commit() {
    let ws = TestWorkspace::init();
    for f in [
        "dtap.toml",
        "access.yaml",
        "environments/acceptance.yaml",
        "rfc-templates/report.yaml",
        ".gitignore",
    ] {
        assert!(ws.dir.join(f).is_file(), "{f} missing");
    }
    if !crate::support::on_postgres() {
        assert!(ws.dir.join(".dtap/dtap.db").is_file());
    }
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    assert!(!toml.contains("dev_user"), "init workspaces do not set dev_user");

    let repo = ws.repo_path();
    assert_eq!(ws.git(&repo, &["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
    let tree = ws.git(&repo, &["ls-tree", "--name-only", "main"]);
    assert_eq!(
        tree.lines().collect::<Vec<_>>(),
        ["acceptance", "develop", "production", "test"]
    );
    let message = ws.git(&repo, &["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("Dtap-Action: init"), "{message}");
    assert!(message.contains("Dtap-By: rm@example.org"), "{message}");
    let trailers = ws.git(
        &repo,
        &["log", "-1", "--format=%(trailers:key=Dtap-Action,valueonly)", "main"],
    );
    assert_eq!(trailers.trim(), "init", "git itself reads the trailers");

    let out = ws.dtap(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).starts_with("ok: "), "{}", text(&out));
}

#[test]
fn init_refuses_an_existing_workspace() {
    let ws = TestWorkspace::init();
    let before = std::fs::read_to_string(ws.dir.join("access.yaml")).unwrap();
    ws.write("access.yaml", "roles: {}\nusers: {}\n");
    let out = ws.dtap(&["init", ws.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("never overwrites"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(ws.dir.join("access.yaml")).unwrap(),
        "roles: {}\nusers: {}\n"
    );
    assert_ne!(before, "roles: {}\nusers: {}\n");
}

#[test]
fn status_shows_what_is_where() {
    let ws = TestWorkspace::init();
    ws.commit_files(
        "Add packages",
        &[
            (
                "develop/crm-core/package.yaml",
                &manifest("crm-core", "1.3.0", &["RFC-1"]),
            ),
            ("develop/crm-core/entities/contact.xml", "<entity name=\"contact\"/>\n"),
            ("test/crm-core/package.yaml", &manifest("crm-core", "1.2.0", &["RFC-1"])),
            ("test/crm-core/entities/contact.xml", "<entity/>\n"),
            (
                "develop/sales-reports/package.yaml",
                &manifest("sales-reports", "0.1.0", &[]),
            ),
            ("develop/broken/package.yaml", "name: broken\nversion: one\n"),
        ],
    );
    let out = ws.dtap(&["status", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs: Vec<&str> = v["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["develop", "test", "acceptance", "production"]);
    assert_eq!(v["environments"][2]["label"], "Acceptance");
    let pkgs = v["packages"].as_array().unwrap();
    let core = pkgs.iter().find(|p| p["name"] == "crm-core").unwrap();
    assert_eq!(core["cells"]["develop"]["version"], "1.3.0");
    assert_eq!(core["cells"]["test"]["version"], "1.2.0");
    assert_eq!(core["cells"]["test"]["differs_from_previous"], true);
    assert!(core["cells"]["acceptance"].is_null());
    assert_eq!(core["cells"]["develop"]["tree"].as_str().unwrap().len(), 40);
    let tree = ws.git(&ws.repo_path(), &["rev-parse", "main:develop/crm-core"]);
    assert_eq!(
        core["cells"]["develop"]["tree"],
        tree.trim(),
        "the tree id is git's own"
    );
    assert_eq!(core["cells"]["develop"]["last_commit"]["summary"], "Add packages");
    let broken = pkgs.iter().find(|p| p["name"] == "broken").unwrap();
    assert!(broken["cells"]["develop"]["version"].is_null());
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("version: `one`"));

    let out = ws.dtap(&["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let table = stdout(&out);
    let row = table.lines().find(|l| l.starts_with("crm-core")).unwrap();
    assert!(row.contains("1.3.0") && row.contains("1.2.0 *"), "{table}");
    let row = table.lines().find(|l| l.starts_with("sales-reports")).unwrap();
    assert!(row.contains("0.1.0") && row.contains("waiting"), "{table}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: broken in develop"),
        "{}",
        text(&out)
    );
}

#[test]
fn last_commit_is_the_one_that_changed_the_package() {
    let ws = TestWorkspace::init();
    ws.commit_files(
        "First core",
        &[("develop/crm-core/package.yaml", &manifest("crm-core", "1.0.0", &[]))],
    );
    ws.commit_files(
        "Other package",
        &[("develop/other/package.yaml", &manifest("other", "1.0.0", &[]))],
    );
    let out = ws.dtap(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let core = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "crm-core")
        .unwrap();
    assert_eq!(core["cells"]["develop"]["last_commit"]["summary"], "First core");
}

#[test]
fn commands_explain_a_missing_workspace() {
    let ws = TestWorkspace::empty();
    std::fs::create_dir_all(&ws.dir).unwrap();
    let out = ws.dtap(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("not a dtap workspace") && text(&out).contains("dtap init"),
        "{}",
        text(&out)
    );
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    let ws = TestWorkspace::init();
    let out = ws.dtap(&["status", "--bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    for cmd in ["init", "check", "status", "serve", "migrate"] {
        let out = ws.dtap(&[cmd, "--help"]);
        assert!(out.status.success());
        assert!(stdout(&out).contains("Examples:"), "{cmd} --help has no example");
    }
}

#[test]
fn migrate_is_idempotent() {
    let ws = TestWorkspace::init();
    let out = ws.dtap(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("up to date"), "{}", text(&out));
}

//! The promotion engine through the real binary, real git and real SQLite:
//! every gate passing and failing, dry runs, racing processes, rollback,
//! history read back from trailers, drift, path safety, crash recovery,
//! release notes and diffs. Each test asserts what a release manager notices:
//! the exit code, the words on the screen, the config repo and RFC states.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};

use serde_json::Value;

use crate::support::{
    ADMIN, FA, KIM, LEE, PAT, RM, SALES, TestWorkspace, Verdict, code, db_dump, db_execute, json_of, manifest, ok,
    on_postgres, sign_off, stderr, stdout, text,
};

const OPS: &str = "ops@example.org";

// ---------------------------------------------------------------- helpers

/// `dtap promote ARGS --json` as `user`: the exit code and the JSON printed
/// (`null` when nothing was).
fn promote_json(ws: &TestWorkspace, user: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["promote"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = ws.as_user(user, &all);
    assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    let v = if out.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)))
    };
    (code(&out), v)
}

fn package<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["plan"]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan in {v:#}"))
        .iter()
        .find(|p| p["package"] == name)
        .unwrap_or_else(|| panic!("{name} not in the plan: {v:#}"))
}

/// A gate's verdict for a package; a failed one first when a gate appears twice.
fn gate<'a>(v: &'a Value, name: &str, gate: &str) -> &'a Value {
    let gates = package(v, name)["gates"].as_array().unwrap();
    gates
        .iter()
        .find(|g| g["gate"] == gate && g["passed"] == false)
        .or_else(|| gates.iter().find(|g| g["gate"] == gate))
        .unwrap_or_else(|| panic!("no gate {gate} for {name}: {v:#}"))
}

fn reason(v: &Value, name: &str, g: &str) -> String {
    gate(v, name, g)["reason"].as_str().unwrap().to_string()
}

fn remedy(v: &Value, name: &str, g: &str) -> String {
    gate(v, name, g)["remedy"].as_str().unwrap_or_default().to_string()
}

/// Names of the gates that failed, over every package of the plan.
fn failed(v: &Value) -> Vec<String> {
    v["plan"]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan in {v:#}"))
        .iter()
        .flat_map(|p| p["gates"].as_array().unwrap().iter())
        .filter(|g| g["passed"] == false)
        .map(|g| g["gate"].as_str().unwrap().to_string())
        .collect()
}

/// `dtap drift list --json`, which must exit `expected` (3 while there is unacknowledged drift).
#[track_caller]
fn drift_list(ws: &TestWorkspace, expected: i32) -> Value {
    let out = ws.dtap(&["drift", "list", "--json"]);
    assert_eq!(code(&out), Some(expected), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)))
}

#[track_caller]
fn assert_refused(result: &(Option<i32>, Value), gates: &[&str]) {
    let (code, v) = result;
    assert_eq!(*code, Some(3), "{v:#}");
    assert_eq!(v["outcome"], "refused", "{v:#}");
    assert_eq!(failed(v), gates, "{v:#}");
}

fn history(ws: &TestWorkspace, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["history", "--json"];
    all.extend_from_slice(args);
    json_of(&ws.dtap(&all)).as_array().unwrap().clone()
}

fn add_acceptance_gate(ws: &TestWorkspace, line: &str) {
    ws.edit(
        "environments/acceptance.yaml",
        "gates:\n",
        &format!("gates:\n  - {line}\n"),
    );
    ok(ws.dtap(&["check"]));
}

/// A role with `promote.*` only, for a user without the emergency permission.
fn add_promoter_without_emergency(ws: &TestWorkspace) {
    ws.edit("access.yaml", "\nroles:\n", "\nroles:\n  promoter:\n    - promote.*\n");
    ws.edit("access.yaml", "\nusers:\n", &format!("\nusers:\n  {OPS}: [promoter]\n"));
    ok(ws.dtap(&["check"]));
}

/// crm-core 1.0.0 with an approved RFC (tester kim in test), promoted into
/// test by rm. Returns the RFC and the tree now in test.
fn crm_core_in_test(ws: &TestWorkspace) -> (String, String) {
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let out = ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert!(
        stdout(&out).contains("Promoted crm-core (new) → 1.0.0 into test"),
        "{}",
        text(&out)
    );
    (rfc, ws.tree_of("test/crm-core"))
}

/// As [`crm_core_in_test`], and kim approved that tree in test through her mailed link.
async fn crm_core_signed_off_in_test(ws: &TestWorkspace) -> (String, String) {
    let (rfc, tree) = crm_core_in_test(ws);
    sign_off(ws, KIM, Verdict::Approve).await;
    (rfc, tree)
}

/// A clone of the config repo for git work `commit_files` cannot do
/// (symlinks, gitlinks, backdated commits), up to date with the branch.
fn raw_clone(ws: &TestWorkspace) -> PathBuf {
    let work = ws.tmp.path().join("raw-clone");
    if work.exists() {
        ws.git(&work, &["pull", "-q", "--ff-only"]);
    } else {
        ws.git(
            ws.tmp.path(),
            &["clone", "-q", ws.repo_path().to_str().unwrap(), work.to_str().unwrap()],
        );
    }
    work
}

/// Runs git with `input` on stdin; returns its trimmed stdout.
fn git_stdin(ws: &TestWorkspace, cwd: &Path, args: &[&str], input: &[u8]) -> String {
    let mut child = ws
        .isolated_command("git")
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    stdout(&out).trim().to_string()
}

/// Adds package folders (given as tree ids) to `develop/` with git plumbing
/// straight in the bare repo: a hand commit, as a push would make.
fn plumb_into_develop(ws: &TestWorkspace, packages: &[(&str, &str)], message: &str) {
    let repo = ws.repo_path();
    let old = ws.head();
    let mut develop = ws.git(&repo, &["ls-tree", "main:develop"]);
    for (name, tree) in packages {
        develop.push_str(&format!("040000 tree {tree}\t{name}\n"));
    }
    let develop = git_stdin(ws, &repo, &["mktree"], develop.as_bytes());
    let mut root: String = ws
        .git(&repo, &["ls-tree", "main"])
        .lines()
        .filter(|l| !l.ends_with("\tdevelop"))
        .map(|l| format!("{l}\n"))
        .collect();
    root.push_str(&format!("040000 tree {develop}\tdevelop\n"));
    let root = git_stdin(ws, &repo, &["mktree"], root.as_bytes());
    let commit = ws.repo_git(&["commit-tree", &root, "-p", &old, "-m", message]);
    ws.git(&repo, &["update-ref", "refs/heads/main", &commit, &old]);
}

/// Refs, head and object counts of the bare repo: what a dry run must not move.
fn repo_state(ws: &TestWorkspace) -> String {
    format!(
        "{}\n{}\n{}",
        ws.repo_git(&["for-each-ref"]),
        ws.head(),
        ws.repo_git(&["count-objects", "-v"])
    )
}

/// The database file's bytes, and its write-ahead log's if it holds any (a
/// process that only read may leave an empty one behind).
/// (Empty on the PostgreSQL pass: the row dump is the proof there.)
fn db_bytes(ws: &TestWorkspace) -> (Vec<u8>, Option<Vec<u8>>) {
    if on_postgres() {
        return (Vec::new(), None);
    }
    let db = ws.dir.join(".dtap/dtap.db");
    let wal = ws.dir.join(".dtap/dtap.db-wal");
    (
        std::fs::read(db).unwrap(),
        std::fs::read(wal).ok().filter(|w| !w.is_empty()),
    )
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

// ---------------------------------------------------------------- gates

#[test]
fn permission_functional_admins_and_requesters_may_not_promote_into_test() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let before = ws.head();

    for user in [FA, SALES] {
        let r = promote_json(&ws, user, &["crm-core", "--to", "test"]);
        assert_refused(&r, &["permission"]);
        assert_eq!(
            reason(&r.1, "crm-core", "permission"),
            format!("{user} lacks permission promote.test")
        );
        assert!(remedy(&r.1, "crm-core", "permission").contains("promote.test in access.yaml"));
    }
    let out = ws.as_user(FA, &["promote", "crm-core", "--to", "test"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stdout(&out).contains("FAIL permission"), "{}", text(&out));
    assert!(
        stderr(&out).contains("Refused: nothing was promoted."),
        "{}",
        text(&out)
    );
    assert_eq!(ws.head(), before, "a refusal commits nothing");
    assert_eq!(ws.rfc_state(&rfc), "approved");

    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "promoted");
    assert_eq!(gate(&r.1, "crm-core", "permission")["passed"], true);
    assert_eq!(r.1["commit"].as_str().unwrap(), ws.head());
    assert_eq!(ws.rfc_state(&rfc), "in_test");

    // Once there, promoting again changes nothing and says so.
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "already_there");
    assert_eq!(package(&r.1, "crm-core")["already"], true);
    let out = ok(ws.as_user(ADMIN, &["promote", "crm-core", "--to", "test"]));
    assert!(
        stdout(&out).contains("crm-core 1.0.0 is already in test."),
        "{}",
        text(&out)
    );
    assert_eq!(history(&ws, &[]).len(), 1);
}

#[test]
fn order_a_package_cannot_skip_test() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let before = ws.head();

    let out = ws.dtap(&["promote", "crm-core", "--to", "acceptance"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    assert!(stderr(&out).contains("test/crm-core is missing"), "{}", text(&out));
    let out = ws.dtap(&["promote", "crm-core", "--to", "acceptance", "--dry-run"]);
    assert!(!out.status.success(), "{}", text(&out));

    // --all into acceptance only looks at what test holds.
    let out = ok(ws.dtap(&["promote", "--all", "--to", "acceptance"]));
    assert!(
        stdout(&out).contains("Nothing to promote: every package in test is already in acceptance."),
        "{}",
        text(&out)
    );

    // Nothing comes before develop; an unknown environment is named.
    let out = ws.dtap(&["promote", "crm-core", "--to", "develop"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("nothing comes before develop"), "{}", text(&out));
    let out = ws.dtap(&["promote", "crm-core", "--to", "staging"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown environment `staging`"), "{}", text(&out));

    assert_eq!(ws.head(), before);
    assert!(ws.packages_in("acceptance").is_empty());
    assert_eq!(ws.rfc_state(&rfc), "approved");
}

#[test]
fn order_skipping_test_is_a_refusal_that_says_what_to_do() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let out = ws.dtap(&["promote", "crm-core", "--to", "acceptance"]);
    assert_eq!(code(&out), Some(3), "refused by the order rule: {}", text(&out));
    assert!(
        text(&out).contains("into test"),
        "says to promote into test first: {}",
        text(&out)
    );
}

#[test]
fn version_never_repeats_with_other_content_nor_goes_backwards() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let t1 = ws.tree_of("test/crm-core");

    // Same version, other content.
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1 changed without a bump");
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_refused(&r, &["version"]);
    assert_eq!(
        reason(&r.1, "crm-core", "version"),
        "test holds 1.0.0 with other content than develop has"
    );
    assert!(
        remedy(&r.1, "crm-core", "version")
            .contains("bump the version in develop/crm-core/package.yaml (e.g. to 1.0.1)"),
        "{:#}",
        r.1
    );
    let out = ws.dtap(&["promote", "crm-core", "--to", "test"]);
    assert_eq!(code(&out), Some(3));
    assert!(stdout(&out).contains("bump the version"), "{}", text(&out));

    // An older version.
    ws.put_package("crm-core", "0.9.0", &[&rfc], "v0.9");
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_refused(&r, &["version"]);
    assert!(
        reason(&r.1, "crm-core", "version").contains("0.9.0 is older than 1.0.0 in test"),
        "{:#}",
        r.1
    );
    assert!(remedy(&r.1, "crm-core", "version").contains("dtap rollback crm-core --env test"));

    // PACKAGE@VERSION that develop does not hold.
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v1.1");
    let r = promote_json(&ws, RM, &["crm-core@1.2.0", "--to", "test"]);
    assert_refused(&r, &["version"]);
    assert_eq!(
        reason(&r.1, "crm-core", "version"),
        "develop holds crm-core 1.1.0, not 1.2.0"
    );
    let out = ws.dtap(&["promote", "crm-core@one", "--to", "test"]);
    assert_eq!(code(&out), Some(2), "a bad version is a usage error: {}", text(&out));
    assert_eq!(history(&ws, &[]).len(), 1, "no refusal committed anything");
    assert_eq!(ws.tree_of("test/crm-core"), t1);

    let out = ok(ws.dtap(&["promote", "crm-core@1.1.0", "--to", "test"]));
    assert!(
        stdout(&out).contains("Promoted crm-core 1.0.0 → 1.1.0 into test"),
        "{}",
        text(&out)
    );
    assert_eq!(ws.tree_of("test/crm-core"), ws.tree_of("develop/crm-core"));
}

#[test]
fn rfcs_gate_wants_approved_rfcs_unless_the_environment_waives_them() {
    let ws = TestWorkspace::init();
    ws.put_package("no-rfc", "1.0.0", &[], "plain");
    let r = promote_json(&ws, RM, &["no-rfc", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
    assert!(
        reason(&r.1, "no-rfc", "rfcs").contains("no-rfc 1.0.0 lists no RFC"),
        "{:#}",
        r.1
    );
    assert!(remedy(&r.1, "no-rfc", "rfcs").contains("dtap rfc link RFC-n --package no-rfc"));

    let draft = ws.file_rfc("Still a draft");
    ws.put_package("drafty", "1.0.0", &[&draft], "draft");
    let r = promote_json(&ws, RM, &["drafty", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
    let why = reason(&r.1, "drafty", "rfcs");
    assert!(why.contains(&format!("{draft} is draft")), "{why}");
    assert!(why.contains("approved for build or further"), "{why}");

    ok(ws.as_user(SALES, &["rfc", "move", &draft, "submit"]));
    let r = promote_json(&ws, RM, &["drafty", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
    assert!(reason(&r.1, "drafty", "rfcs").contains(&format!("{draft} is submitted")));

    ws.put_package("ghost", "1.0.0", &["RFC-99"], "ghost");
    let r = promote_json(&ws, RM, &["ghost", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
    assert!(reason(&r.1, "ghost", "rfcs").contains("RFC-99 does not exist"));
    assert!(ws.packages_in("test").is_empty());

    // require_rfc: false lets a package without RFCs in ...
    ws.edit("environments/test.yaml", "require_rfc: true", "require_rfc: false");
    ok(ws.dtap(&["check"]));
    let r = promote_json(&ws, RM, &["no-rfc", "--to", "test"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "promoted");
    assert_eq!(reason(&r.1, "no-rfc", "rfcs"), "test accepts packages without RFCs");
    assert_eq!(ws.packages_in("test"), ["no-rfc"]);
    // ... but an RFC a package does list must still be approved.
    let r = promote_json(&ws, RM, &["drafty", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
}

#[tokio::test]
async fn signoff_needs_every_appointed_tester_on_the_exact_tree() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "test", LEE);
    // pat is appointed too, invited with the others, and then replaced: pat
    // is no appointed tester now, so pat's approval is neither needed nor possible.
    ws.appoint(&rfc, "test", PAT);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.unappoint(&rfc, "test", PAT);
    let t1 = ws.tree_of("test/crm-core");

    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(
        reason(&r.1, "crm-core", "signoff:test"),
        format!("{rfc} awaits approval in test by {KIM}, {LEE}")
    );
    assert!(remedy(&r.1, "crm-core", "signoff:test").contains("this exact version"));

    sign_off(&ws, KIM, Verdict::Approve).await;
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(
        reason(&r.1, "crm-core", "signoff:test"),
        format!("{rfc} awaits approval in test by {LEE}")
    );

    sign_off(&ws, LEE, Verdict::Approve).await;
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance", "--dry-run"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "dry_run");
    assert!(reason(&r.1, "crm-core", "signoff:test").starts_with("every appointed tester approved in test"));

    // A new version in test: sign-offs on the older tree do not count.
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let t2 = ws.tree_of("test/crm-core");
    assert_ne!(t1, t2);
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(
        reason(&r.1, "crm-core", "signoff:test"),
        format!("{rfc} awaits approval in test by {KIM}, {LEE}")
    );

    // A rejection by a tester stops the version, whoever else approved it
    // (and sends the RFC back to development, so the rfcs gate holds it too).
    // A link takes one verdict, so a tester rejects a tree instead of
    // approving it, never after.
    sign_off(&ws, KIM, Verdict::Approve).await;
    sign_off(&ws, LEE, Verdict::Reject("The totals are a week off")).await;
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["rfcs", "signoff:test"]);
    // The rejection ended the round: kim's approval in it counts no more.
    assert!(reason(&r.1, "crm-core", "signoff:test").ends_with(&format!("by {KIM}, {LEE}")));
    assert_eq!(ws.rfc_state(&rfc), "in_development");

    // The fixed version, approved by both on its exact tree, goes on.
    ws.put_package("crm-core", "1.2.0", &[&rfc], "v1.2");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let t3 = ws.tree_of("test/crm-core");
    assert_ne!(t2, t3);
    sign_off(&ws, KIM, Verdict::Approve).await;
    sign_off(&ws, LEE, Verdict::Approve).await;
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "promoted");
    assert_eq!(ws.tree_of("acceptance/crm-core"), t3);
    assert_eq!(ws.rfc_state(&rfc), "in_acceptance");
    let h = &history(&ws, &["--env", "acceptance"])[0];
    let approved: Vec<&str> = h["approved_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        approved,
        [format!("{KIM} ({rfc} in test)"), format!("{LEE} ({rfc} in test)")]
    );

    // An RFC without any tester in test can never pass.
    let other = ws.approved_rfc("Birthday on contact");
    ws.put_package("contacts", "1.0.0", &[&other], "birthday");
    ok(ws.dtap(&["promote", "contacts", "--to", "test"]));
    let r = promote_json(&ws, RM, &["contacts", "--to", "acceptance"]);
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(
        reason(&r.1, "contacts", "signoff:test"),
        format!("{other} has no tester appointed in test")
    );
}

#[tokio::test]
async fn min_soak_makes_a_version_wait_unless_an_emergency_with_permission() {
    let ws = TestWorkspace::init();
    add_acceptance_gate(&ws, "min_soak: 1d");
    add_promoter_without_emergency(&ws);
    let (rfc, tree) = crm_core_signed_off_in_test(&ws).await;
    let promoted_at = time::OffsetDateTime::now_utc();

    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["min_soak"]);
    let why = reason(&r.1, "crm-core", "min_soak");
    assert!(
        why.starts_with("stayed only ") && why.ends_with(" in test (needs 1d)"),
        "{why}"
    );
    // The remedy says until when to wait: a day after the promotion into test.
    let fix = remedy(&r.1, "crm-core", "min_soak");
    let until = fix
        .strip_prefix("wait until ")
        .and_then(|s| s.split(" UTC").next())
        .unwrap_or_else(|| panic!("no time to wait in `{fix}`"));
    let until = time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339).unwrap();
    let day = time::Duration::days(1);
    assert!(
        until >= promoted_at + day - time::Duration::minutes(5)
            && until <= promoted_at + day + time::Duration::minutes(5),
        "{until} is not a day after {promoted_at}"
    );
    assert!(fix.contains("--emergency"), "{fix}");

    // --emergency needs a reason.
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance", "--emergency"]);
    assert_refused(&r, &["emergency", "min_soak"]);
    assert_eq!(reason(&r.1, "crm-core", "emergency"), "--emergency needs a reason");

    // --emergency needs the emergency permission: ops may promote, nothing more.
    let r = promote_json(&ws, OPS, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["min_soak"]);
    let r = promote_json(
        &ws,
        OPS,
        &["crm-core", "--to", "acceptance", "--emergency", "--reason", "Outage"],
    );
    assert_refused(&r, &["emergency", "min_soak"]);
    assert_eq!(
        reason(&r.1, "crm-core", "emergency"),
        format!("{OPS} lacks permission emergency")
    );
    // ... and never stands in for the promote permission.
    let r = promote_json(
        &ws,
        FA,
        &["crm-core", "--to", "acceptance", "--emergency", "--reason", "Outage"],
    );
    assert_eq!(r.0, Some(3));
    assert!(failed(&r.1).contains(&"permission".to_string()), "{:#}", r.1);
    assert!(ws.packages_in("acceptance").is_empty());

    let r = promote_json(
        &ws,
        RM,
        &[
            "crm-core",
            "--to",
            "acceptance",
            "--emergency",
            "--reason",
            "Invoices stuck",
        ],
    );
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "promoted");
    assert!(reason(&r.1, "crm-core", "min_soak").ends_with("bypassed as an emergency"));
    assert_eq!(
        reason(&r.1, "crm-core", "emergency"),
        "emergency change: Invoices stuck"
    );
    assert_eq!(ws.tree_of("acceptance/crm-core"), tree);
    assert_eq!(ws.rfc_state(&rfc), "in_acceptance");
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("Dtap-Emergency: Invoices stuck"), "{message}");
    assert_eq!(history(&ws, &[])[0]["emergency"], "Invoices stuck");

    // The emergency waits for someone else's approval afterwards.
    let open = json_of(&ws.dtap(&["emergency", "list", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 1, "{open:#}");
    assert_eq!(open[0]["promoted_by"], RM);
    assert_eq!(open[0]["reason"], "Invoices stuck");
    let id = open[0]["id"].as_i64().unwrap().to_string();
    let own = ws.dtap(&["emergency", "approve", &id]);
    assert_eq!(own.status.code(), Some(3), "{}", text(&own));
    assert!(text(&own).contains("segregation of duties"), "{}", text(&own));
    let fa = ws.dtap_env(&["emergency", "approve", &id], &[("DTAP_USER", "fa@example.org")]);
    assert_eq!(fa.status.code(), Some(3), "fa lacks rfc.assess: {}", text(&fa));
    ok(ws.dtap_env(
        &["emergency", "approve", &id, "--comment", "checked"],
        &[("DTAP_USER", "cm@example.org")],
    ));
    let open = json_of(&ws.dtap(&["emergency", "list", "--json"]));
    assert!(open.as_array().unwrap().is_empty(), "{open:#}");
    let all = json_of(&ws.dtap(&["emergency", "list", "--all", "--json"]));
    assert_eq!(all[0]["approved_by"], "cm@example.org");
}

#[tokio::test]
async fn freeze_refuses_until_it_ends_emergency_passes_but_never_skips_signoff() {
    let ws = TestWorkspace::init();
    let (from, to) = (today().previous_day().unwrap(), today().next_day().unwrap());
    let path = ws.dir.join("environments/acceptance.yaml");
    let plain = std::fs::read_to_string(&path).unwrap();
    let (past_from, past_to) = (from - time::Duration::days(30), from - time::Duration::days(20));
    let past = format!("  - {{ from: {past_from}, to: {past_to}, reason: last closing }}\n");
    std::fs::write(&path, format!("{plain}freeze:\n{past}")).unwrap();
    ok(ws.dtap(&["check"]));
    let (_rfc, tree) = crm_core_in_test(&ws);

    // A window that has ended holds nothing back.
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(reason(&r.1, "crm-core", "freeze"), "acceptance is not frozen today");

    std::fs::write(
        &path,
        format!("{plain}freeze:\n{past}  - {{ from: {from}, to: {to}, reason: year-end closing }}\n"),
    )
    .unwrap();
    ok(ws.dtap(&["check"]));

    // An emergency bypasses the freeze, never the sign-off.
    let r = promote_json(
        &ws,
        RM,
        &["crm-core", "--to", "acceptance", "--emergency", "--reason", "Outage"],
    );
    assert_refused(&r, &["signoff:test"]);
    assert_eq!(gate(&r.1, "crm-core", "freeze")["passed"], true);
    assert!(reason(&r.1, "crm-core", "freeze").contains("bypassed as an emergency"));

    sign_off(&ws, KIM, Verdict::Approve).await;
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance"]);
    assert_refused(&r, &["freeze"]);
    assert_eq!(
        reason(&r.1, "crm-core", "freeze"),
        format!("acceptance is frozen from {from} to {to} (year-end closing)")
    );
    let wait = to.next_day().unwrap();
    assert!(
        remedy(&r.1, "crm-core", "freeze").starts_with(&format!("wait until {wait}, or use --emergency")),
        "{:#}",
        r.1
    );
    assert!(ws.packages_in("acceptance").is_empty());

    let r = promote_json(
        &ws,
        RM,
        &["crm-core", "--to", "acceptance", "--emergency", "--reason", "Outage"],
    );
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(ws.tree_of("acceptance/crm-core"), tree);
    let h = &history(&ws, &[])[0];
    assert_eq!(h["emergency"], "Outage");
    assert_eq!(h["reason"], "Outage");
}

#[tokio::test]
async fn four_eyes_production_needs_someone_else_than_who_promoted_into_acceptance() {
    let ws = TestWorkspace::init();
    let (rfc, tree) = crm_core_signed_off_in_test(&ws).await;
    // lee tests in acceptance: appointed before the promotion that mails the link.
    ws.appoint(&rfc, "acceptance", LEE);
    ok(ws.dtap(&["promote", "crm-core", "--to", "acceptance"]));
    // The last appointed acceptance tester approving accepts the RFC.
    sign_off(&ws, LEE, Verdict::Approve).await;
    assert_eq!(ws.rfc_state(&rfc), "accepted");
    let before = ws.head();

    let r = promote_json(&ws, RM, &["crm-core", "--to", "production"]);
    assert_refused(&r, &["four_eyes"]);
    assert_eq!(
        reason(&r.1, "crm-core", "four_eyes"),
        format!("{RM} brought this version into acceptance, so another person must promote it into production")
    );
    assert_eq!(ws.head(), before);

    let r = promote_json(&ws, ADMIN, &["crm-core", "--to", "production"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(r.1["outcome"], "promoted");
    // What is shipped is byte for byte what was accepted.
    assert_eq!(ws.tree_of("production/crm-core"), tree);
    assert_eq!(ws.rfc_state(&rfc), "released");
    let h = &history(&ws, &["--env", "production"])[0];
    assert_eq!(h["by"], ADMIN);
    assert_eq!(h["from"], "acceptance");
    assert_eq!(h["approved_by"][0], format!("{LEE} ({rfc} in acceptance)"));
}

#[tokio::test]
async fn production_always_needs_acceptance_signoff_whatever_its_file_says() {
    let ws = TestWorkspace::init();
    ws.write(
        "environments/production.yaml",
        "name: production\nlabel: Productie\norder: 4\npath: production\nplatform_version: \"2026.2\"\nrequire_rfc: true\ngates: []\nfour_eyes: false\nnotify: []\n",
    );
    ok(ws.dtap(&["check"]));
    let (rfc, tree) = crm_core_signed_off_in_test(&ws).await;
    // lee and pat are invited to acceptance; pat is replaced before testing
    // (the link stays in pat's mailbox); lee's approval accepts the RFC; then
    // lee leaves too. An accepted RFC without an acceptance tester appointed:
    ws.appoint(&rfc, "acceptance", LEE);
    ws.appoint(&rfc, "acceptance", PAT);
    ok(ws.dtap(&["promote", "crm-core", "--to", "acceptance"]));
    ws.unappoint(&rfc, "acceptance", PAT);
    sign_off(&ws, LEE, Verdict::Approve).await;
    assert_eq!(ws.rfc_state(&rfc), "accepted");
    ws.unappoint(&rfc, "acceptance", LEE);

    let r = promote_json(&ws, ADMIN, &["crm-core", "--to", "production"]);
    assert_refused(&r, &["signoff:acceptance"]);
    assert_eq!(
        reason(&r.1, "crm-core", "signoff:acceptance"),
        format!("{rfc} has no tester appointed in acceptance")
    );
    ws.appoint(&rfc, "acceptance", PAT);
    assert_refused(
        &promote_json(&ws, ADMIN, &["crm-core", "--to", "production"]),
        &["signoff:acceptance"],
    );
    sign_off(&ws, PAT, Verdict::Approve).await;
    let r = promote_json(&ws, ADMIN, &["crm-core", "--to", "production"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(ws.tree_of("production/crm-core"), tree);
}

#[test]
fn platform_a_package_for_a_newer_crm_release_waits_for_the_upgrade() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_manifest(
        "legacy",
        &format!("name: legacy\nversion: 1.0.0\nrfcs: [{rfc}]\nrequires_platform: \"2025.2\"\n"),
        "old",
    );
    ws.put_manifest(
        "crm-core",
        &format!("name: crm-core\nversion: 1.0.0\nrfcs: [{rfc}]\nrequires_platform: \"2027.1\"\n"),
        "new",
    );
    let r = promote_json(&ws, RM, &["legacy", "--to", "test"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(reason(&r.1, "legacy", "platform"), "needs 2025.2, test runs 2026.2");

    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_refused(&r, &["platform"]);
    assert_eq!(
        reason(&r.1, "crm-core", "platform"),
        "crm-core needs CRM platform 2027.1, test runs 2026.2"
    );
    assert!(remedy(&r.1, "crm-core", "platform").contains("platform_version"));
    assert_eq!(ws.packages_in("test"), ["legacy"]);

    ws.edit(
        "environments/test.yaml",
        "platform_version: \"2026.2\"",
        "platform_version: \"2027.1\"",
    );
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(gate(&r.1, "crm-core", "platform")["passed"], true);
}

#[test]
fn dependencies_must_be_there_first_or_come_along_with_all() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("lib", "0.9.0", &[&rfc], "lib 0.9");
    ok(ws.dtap(&["promote", "lib", "--to", "test"]));
    ws.put_package("lib", "1.0.0", &[&rfc], "lib 1.0");
    ws.put_manifest(
        "app",
        &format!("name: app\nversion: 1.0.0\nrfcs: [{rfc}]\ndepends_on:\n  lib: \">=1.0\"\n"),
        "app",
    );

    let r = promote_json(&ws, RM, &["app", "--to", "test"]);
    assert_refused(&r, &["dependencies"]);
    assert_eq!(
        reason(&r.1, "app", "dependencies"),
        "app needs in test: lib >=1.0 (has 0.9.0)"
    );
    assert!(remedy(&r.1, "app", "dependencies").contains("--all"));

    let before = ws.commit_count();
    let out = ok(ws.dtap(&["promote", "--all", "--to", "test", "--reason", "Sprint 4"]));
    let said = stdout(&out);
    assert!(said.contains("Promoted app (new) → 1.0.0 into test"), "{said}");
    assert!(said.contains("Promoted lib 0.9.0 → 1.0.0 into test"), "{said}");
    assert_eq!(ws.commit_count(), before + 1, "one commit for the batch");
    assert_eq!(ws.packages_in("test"), ["app", "lib"]);
    let h = &history(&ws, &[])[0];
    let moved: Vec<(&str, &str)> = h["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["package"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    // In dependency order: app needs lib, so lib is deployed first.
    assert_eq!(moved, [("lib", "1.0.0"), ("app", "1.0.0")]);
    assert_eq!(
        ws.repo_git(&["log", "-1", "--format=%s", "main"]),
        "Promote 2 packages to test"
    );
}

#[test]
fn dependencies_absent_in_the_target_refuse() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("lib", "1.0.0", &[&rfc], "lib");
    ws.put_manifest(
        "app",
        &format!("name: app\nversion: 1.0.0\nrfcs: [{rfc}]\ndepends_on:\n  lib: \">=1.0\"\n"),
        "app",
    );
    let r = promote_json(&ws, RM, &["app", "--to", "test"]);
    assert_refused(&r, &["dependencies"]);
    assert_eq!(
        reason(&r.1, "app", "dependencies"),
        "app needs in test: lib >=1.0 (absent)"
    );
    // --all is refused as a whole when one package is.
    ws.put_package("drafty", "1.0.0", &[&ws.file_rfc("Draft")], "draft");
    let r = promote_json(&ws, RM, &["--all", "--to", "test"]);
    assert_refused(&r, &["rfcs"]);
    assert!(ws.packages_in("test").is_empty());
}

// ---------------------------------------------------------------- dry run

#[tokio::test]
async fn dry_run_changes_neither_the_repo_nor_the_database() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.2.0", &[&rfc], "v1.2");
    ws.put_package("no-rfc", "1.0.0", &[], "refused");

    let dry_runs: [(&[&str], i32, &str); 6] = [
        (
            &["promote", "crm-core", "--to", "test", "--dry-run"],
            0,
            "Dry run: nothing was changed",
        ),
        (
            &["promote", "crm-core", "--to", "test", "--dry-run", "--json"],
            0,
            "\"dry_run\"",
        ),
        (&["promote", "no-rfc", "--to", "test", "--dry-run"], 3, "FAIL rfcs"),
        (&["promote", "--all", "--to", "test", "--dry-run"], 3, "FAIL rfcs"),
        (
            &["promote", "crm-core", "--to", "acceptance", "--dry-run"],
            3,
            "FAIL signoff:test",
        ),
        (
            &["rollback", "crm-core", "--env", "test", "--reason", "x", "--dry-run"],
            0,
            "Dry run: would roll back crm-core in test: 1.1.0 → 1.0.0",
        ),
    ];

    // The config repo index (a cache of the repo kept in the database) may
    // catch up with the hand pushes above; nothing else may change.
    let repo_before = repo_state(&ws);
    let db_before = db_dump(&ws, Some("repo_index")).await;
    let listed_before = (
        stdout(&ok(ws.dtap(&["rfc", "list", "--json"]))),
        stdout(&ok(ws.dtap(&["history", "--json"]))),
    );
    for (args, exit, says) in dry_runs {
        let out = ws.dtap(args);
        assert_eq!(code(&out), Some(exit), "{args:?}: {}", text(&out));
        assert!(stdout(&out).contains(says), "{args:?}: {}", text(&out));
        assert_eq!(repo_state(&ws), repo_before, "{args:?} moved the repo");
    }
    assert_eq!(db_dump(&ws, Some("repo_index")).await, db_before);
    assert_eq!(
        (
            stdout(&ok(ws.dtap(&["rfc", "list", "--json"]))),
            stdout(&ok(ws.dtap(&["history", "--json"]))),
        ),
        listed_before
    );

    // With the index up to date, the database stays byte for byte the same.
    let all_before = db_dump(&ws, None).await;
    let bytes_before = db_bytes(&ws);
    for (args, exit, _) in dry_runs {
        let out = ws.dtap(args);
        assert_eq!(code(&out), Some(exit), "{args:?}: {}", text(&out));
        // SQLite: not a byte of the file (PostgreSQL: the dump below).
        assert!(db_bytes(&ws) == bytes_before, "{args:?} changed the database file");
    }
    assert_eq!(db_dump(&ws, None).await, all_before);
    assert_eq!(repo_state(&ws), repo_before);
    assert_eq!(ws.rfc_state(&rfc), "in_test");
}

// ---------------------------------------------------------------- races

#[test]
fn eight_processes_promoting_one_package_make_exactly_one_commit() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let (before, count) = (ws.head(), ws.commit_count());

    let children: Vec<Child> = (0..8)
        .map(|_| {
            ws.dtap_command(RM, &["promote", "crm-core", "--to", "test"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();

    let mut promoted = 0;
    for out in &outs {
        assert!(!stderr(out).contains("panicked"), "{}", text(out));
        match code(out) {
            Some(0) if stdout(out).contains("Promoted crm-core (new) → 1.0.0 into test") => promoted += 1,
            Some(0) => assert!(
                stdout(out).contains("crm-core 1.0.0 is already in test."),
                "{}",
                text(out)
            ),
            Some(1 | 3) => assert!(stderr(out).starts_with("error: "), "{}", text(out)),
            _ => panic!("unexpected: {}", text(out)),
        }
    }
    assert_eq!(promoted, 1, "exactly one process promotes");
    assert_eq!(ws.commit_count(), count + 1);
    assert_eq!(ws.repo_git(&["rev-parse", "main^"]), before, "history stays linear");
    assert_eq!(ws.repo_git(&["rev-list", "--merges", "main"]), "");
    assert_eq!(history(&ws, &[]).len(), 1);
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    let promotions = ws.rfc_json(&rfc)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "promoted")
        .count();
    assert_eq!(promotions, 1, "the RFC moved once");
}

#[test]
fn eight_processes_promoting_different_packages_never_lose_or_merge_a_commit() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    let names: Vec<String> = (1..=8).map(|i| format!("pkg-{i}")).collect();
    let files: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("develop/{n}/package.yaml"), manifest(n, "1.0.0", &[&rfc])))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    ws.commit_files("Eight packages", &refs);
    let count = ws.commit_count();

    let children: Vec<(String, Child)> = names
        .iter()
        .map(|n| {
            let child = ws
                .dtap_command(RM, &["promote", n, "--to", "test"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (n.clone(), child)
        })
        .collect();
    let mut promoted = Vec::new();
    for (name, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
        match code(&out) {
            Some(0) => {
                assert!(
                    stdout(&out).contains(&format!("Promoted {name} (new)")),
                    "{}",
                    text(&out)
                );
                promoted.push(name);
            }
            // Losing the race five times in a row is allowed, if it says so.
            Some(1) => assert!(stderr(&out).contains("Try again"), "{}", text(&out)),
            _ => panic!("unexpected: {}", text(&out)),
        }
    }
    assert!(!promoted.is_empty());
    assert_eq!(ws.commit_count(), count + promoted.len(), "one commit per success");
    assert_eq!(ws.repo_git(&["rev-list", "--merges", "main"]), "");
    promoted.sort();
    assert_eq!(
        ws.packages_in("test"),
        promoted,
        "every success is in test, nothing else"
    );
    // Whoever lost simply tries again.
    ok(ws.dtap(&["promote", "--all", "--to", "test"]));
    assert_eq!(ws.packages_in("test"), names);
}

// ---------------------------------------------------------------- rollback

#[test]
fn rollback_restores_the_previous_version_and_returns_its_rfcs() {
    let ws = TestWorkspace::init();
    let first = ws.approved_rfc("Weekly sales button");
    let second = ws.approved_rfc("Birthday on contact");
    ws.put_package("crm-core", "1.0.0", &[&first], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let t1 = ws.tree_of("test/crm-core");
    ws.put_package("crm-core", "1.1.0", &[&first, &second], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert_eq!(ws.rfc_state(&second), "in_test");
    let before = ws.head();

    let out = ws.as_user(FA, &["rollback", "crm-core", "--env", "test", "--reason", "x"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("fa@example.org lacks permission rollback.test"),
        "{}",
        text(&out)
    );
    let out = ws.dtap(&["rollback", "crm-core", "--env", "test", "--reason", "  "]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("needs --reason"), "{}", text(&out));
    let out = ws.dtap(&["rollback", "ghost", "--env", "test", "--reason", "x"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("ghost is not in test"), "{}", text(&out));
    assert_eq!(ws.head(), before);

    let out = ok(ws.dtap(&[
        "rollback",
        "crm-core",
        "--env",
        "test",
        "--reason",
        "Invoices fail since 1.1.0",
    ]));
    let said = stdout(&out);
    assert!(said.contains("Rolled back crm-core in test: 1.1.0 → 1.0.0"), "{said}");
    assert!(
        said.contains(&format!("{second} goes back from in_test to approved")),
        "{said}"
    );
    assert_eq!(ws.repo_git(&["rev-parse", "main^"]), before, "a new commit on top");
    assert_eq!(ws.tree_of("test/crm-core"), t1, "test holds 1.0.0's tree again");
    assert_eq!(ws.rfc_state(&second), "approved");
    assert_eq!(ws.rfc_state(&first), "in_test", "1.0.0 still carries it");
    let last = ws.rfc_json(&second)["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "rolled_back");
    assert_eq!(last["from_state"], "in_test");
    assert_eq!(last["to_state"], "approved");

    let h = &history(&ws, &[])[0];
    assert_eq!(h["action"], "rollback");
    assert_eq!(h["commit"].as_str().unwrap(), ws.head());
    assert_eq!(h["to"], "test");
    assert_eq!(h["packages"][0]["package"], "crm-core");
    assert_eq!(h["packages"][0]["version"], "1.0.0");
    assert_eq!(h["packages"][0]["tree"].as_str().unwrap(), t1);
    assert_eq!(h["withdrawn_version"], "1.1.0");
    assert_eq!(h["reason"], "Invoices fail since 1.1.0");
    assert_eq!(h["by"], RM);
    assert_eq!(h["rfcs"], serde_json::json!([second]));
    let table = stdout(&ok(ws.dtap(&["history", "--env", "test"])));
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("rollback") && l.contains("Invoices fail")),
        "{table}"
    );

    // History is never rewritten: 1.1.0 can come back through a promotion.
    let out = ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert!(stdout(&out).contains("1.0.0 → 1.1.0"), "{}", text(&out));
    assert_eq!(ws.rfc_state(&second), "in_test");
}

/// A rollback moves RFC states like every other move: the requester hears
/// of it, the move is audited, and a move made meanwhile is not undone.
#[test]
fn rollback_tells_the_requester_and_audits_each_rfc_it_moves() {
    let ws = TestWorkspace::init();
    let first = ws.approved_rfc("Weekly sales button");
    let second = ws.approved_rfc("Birthday on contact");
    ws.put_package("crm-core", "1.0.0", &[&first], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.1.0", &[&first, &second], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert_eq!(ws.rfc_state(&second), "in_test");

    let before = json_of(&ws.dtap(&["mail", "list", "--json"])).as_array().unwrap().len();
    ok(ws.dtap(&[
        "rollback",
        "crm-core",
        "--env",
        "test",
        "--reason",
        "Invoices fail since 1.1.0",
    ]));
    assert_eq!(ws.rfc_state(&second), "approved");
    let mails = json_of(&ws.dtap(&["mail", "list", "--json"]));
    // Newest first: what the rollback queued.
    let new: Vec<&Value> = mails
        .as_array()
        .unwrap()
        .iter()
        .take(mails.as_array().unwrap().len() - before)
        .collect();
    let told: Vec<&Value> = new.iter().copied().filter(|m| m["kind"] == "state").collect();
    assert_eq!(
        told.len(),
        1,
        "only {second} moved, and its requester hears of it: {new:#?}"
    );
    assert!(
        told[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{second} is now Approved")),
        "{:#}",
        told[0]
    );
    assert!(told[0]["recipients"].as_str().unwrap().contains(SALES), "{:#}", told[0]);
    let audit = json_of(&ws.dtap(&["audit", "--action", "rfc.rolled_back", "--json"]));
    let audited: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["object"].as_str().unwrap())
        .collect();
    assert_eq!(audited, vec![second.as_str()], "{audit:#}");
    let comments = ws.rfc_json(&second)["comments"].clone();
    assert!(
        comments.to_string().contains("Invoices fail since 1.1.0"),
        "the reason is on the RFC: {comments}"
    );
}

#[test]
fn rollback_to_a_named_version() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    let mut trees = Vec::new();
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        ws.put_package("crm-core", v, &[&rfc], v);
        ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
        trees.push(ws.tree_of("test/crm-core"));
    }
    let t1 = trees[0].clone();

    let out = ws.dtap(&[
        "rollback",
        "crm-core",
        "--env",
        "test",
        "--to-version",
        "3.0.0",
        "--reason",
        "x",
    ]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("was never in test"), "{}", text(&out));
    assert!(
        stderr(&out).contains("1.1.0"),
        "names the versions it had: {}",
        text(&out)
    );

    let out = ok(ws.dtap(&[
        "rollback",
        "crm-core",
        "--env",
        "test",
        "--to-version",
        "1.0.0",
        "--reason",
        "Back to the tested version",
    ]));
    assert!(stdout(&out).contains("1.2.0 → 1.0.0"), "{}", text(&out));
    assert_eq!(ws.tree_of("test/crm-core"), t1);
    let h = &history(&ws, &[])[0];
    assert_eq!(h["action"], "rollback");
    assert_eq!(h["packages"][0]["version"], "1.0.0");
    assert_eq!(h["withdrawn_version"], "1.2.0");
    assert_eq!(ws.rfc_state(&rfc), "in_test", "1.0.0 carries the RFC too");
}

#[test]
fn rollback_over_several_versions_returns_every_rfc_the_restored_version_lacks() {
    let ws = TestWorkspace::init();
    let a = ws.approved_rfc("A");
    let b = ws.approved_rfc("B");
    let c = ws.approved_rfc("C");
    ws.put_package("crm-core", "1.0.0", &[&a], "1.0");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.1.0", &[&a, &b], "1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.2.0", &[&a, &b, &c], "1.2");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ok(ws.dtap(&[
        "rollback",
        "crm-core",
        "--env",
        "test",
        "--to-version",
        "1.0.0",
        "--reason",
        "x",
    ]));
    assert_eq!(ws.rfc_state(&c), "approved");
    assert_eq!(
        ws.rfc_state(&b),
        "approved",
        "no version in test carries {b} any more, so it is no longer in test"
    );
}

// ---------------------------------------------------------------- history

#[test]
fn trailers_round_trip_through_history_json() {
    let ws = TestWorkspace::init();
    let first = ws.approved_rfc("Weekly sales button");
    let second = ws.approved_rfc("Birthday on contact");
    ws.put_package("crm-core", "1.0.0", &[&first, &second], "v1");
    ok(ws.dtap(&[
        "promote",
        "crm-core",
        "--to",
        "test",
        "--emergency",
        "--reason",
        "Outage: invoices not sent",
    ]));

    let h = history(&ws, &[]);
    assert_eq!(h.len(), 1);
    let e = &h[0];
    assert_eq!(e["commit"].as_str().unwrap(), ws.head());
    assert_eq!(e["action"], "promote");
    assert_eq!(
        e["packages"],
        serde_json::json!([{ "package": "crm-core", "version": "1.0.0", "tree": ws.tree_of("test/crm-core"), "rfcs": [first, second] }])
    );
    assert_eq!(e["from"], "develop");
    assert_eq!(e["to"], "test");
    assert_eq!(e["rfcs"], serde_json::json!([first, second]));
    assert_eq!(e["by"], RM);
    assert_eq!(e["reason"], "Outage: invoices not sent");
    assert_eq!(e["emergency"], "Outage: invoices not sent");
    assert_eq!(e["approved_by"], serde_json::json!([]));
    assert_eq!(e["withdrawn_version"], Value::Null);
    // git reads the same trailers without dtap.
    assert_eq!(
        ws.repo_git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Dtap-Promoted-By,valueonly)",
            "main"
        ]),
        RM
    );
    let table = stdout(&ok(ws.dtap(&["history"])));
    assert!(table.contains("promote (emergency)"), "{table}");

    assert_eq!(history(&ws, &["--env", "acceptance"]).len(), 0);
    assert_eq!(history(&ws, &["--package", "other"]).len(), 0);
    assert_eq!(history(&ws, &["--env", "test", "--package", "crm-core"]).len(), 1);
    let out = ws.dtap(&["history", "--env", "staging"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown environment `staging`"), "{}", text(&out));

    // A reason cannot forge trailers.
    ws.put_package("crm-core", "1.1.0", &[&first], "v1.1");
    ok(ws.dtap(&[
        "promote",
        "crm-core",
        "--to",
        "test",
        "--reason",
        "Sprint 4\nDtap-Promoted-By: mallory@example.org\nDtap-Emergency: yes",
    ]));
    let e = &history(&ws, &[])[0];
    assert_eq!(e["by"], RM);
    assert_eq!(e["emergency"], Value::Null);
    assert_eq!(
        e["reason"],
        "Sprint 4 Dtap-Promoted-By: mallory@example.org Dtap-Emergency: yes"
    );
    assert_eq!(
        ws.repo_git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Dtap-Promoted-By,valueonly)",
            "main"
        ]),
        RM
    );
}

#[test]
fn history_of_a_promotion_without_rfcs_names_who_promoted() {
    let ws = TestWorkspace::init();
    ws.edit("environments/test.yaml", "require_rfc: true", "require_rfc: false");
    ws.put_package("lib", "1.0.0", &[], "lib");
    ok(ws.dtap(&["promote", "lib", "--to", "test"]));
    let e = &history(&ws, &[])[0];
    assert_eq!(e["rfcs"], serde_json::json!([]));
    assert_eq!(e["by"], RM);
}

#[test]
fn history_of_a_rollback_that_returns_no_rfc_names_who_rolled_back() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ok(ws.dtap(&["rollback", "crm-core", "--env", "test", "--reason", "x"]));
    let e = &history(&ws, &[])[0];
    assert_eq!(e["action"], "rollback");
    assert_eq!(e["rfcs"], serde_json::json!([]));
    assert_eq!(e["by"], RM);
}

#[test]
fn history_into_a_closed_pipe_ends_quietly() {
    let ws = TestWorkspace::init();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = ws
        .dtap_command(RM, &["history", "--json"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    assert_ne!(code(&out), Some(101), "{}", text(&out));
}

/// `dtap promote ... | head -1`: the reader goes away, the command does not.
#[test]
fn commands_into_a_closed_pipe_finish_and_exit_as_they_would_have() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let before = ws.commit_count();
    let into_closed_pipe = |args: &[&str]| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = ws
            .dtap_command(RM, args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", text(&out));
        out
    };
    let out = into_closed_pipe(&["promote", "crm-core", "--to", "test"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert_eq!(ws.commit_count(), before + 1, "the promotion committed");
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    // A refusal still says so on stderr and exits 3.
    let out = into_closed_pipe(&["promote", "crm-core", "--to", "acceptance"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("Refused"), "{}", text(&out));
    for read in [
        &["status"][..],
        &["rfc", "list"],
        &["rfc", "show", &rfc],
        &["mail", "list"],
    ] {
        assert_eq!(code(&into_closed_pipe(read)), Some(0), "{read:?}");
    }
}

// ---------------------------------------------------------------- drift

#[test]
fn drift_a_hand_commit_in_test_blocks_promotions_into_test_until_acknowledged() {
    let ws = TestWorkspace::init();
    let (rfc, _) = crm_core_in_test(&ws);
    ws.commit_files(
        "Hotfix by hand",
        &[(
            "test/crm-core/entities/contact.xml",
            "<entity name=\"contact\">hotfix</entity>\n",
        )],
    );
    let hand = ws.head();
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v1.1");

    let out = ok(ws.dtap(&["status"]));
    assert!(
        stderr(&out).contains("warning: drift in test: 1 hand-made commit(s)"),
        "{}",
        text(&out)
    );
    assert!(stderr(&out).contains("dtap drift ack test"), "{}", text(&out));
    let out = ok(ws.dtap(&["history"]));
    assert!(stderr(&out).contains("warning: drift in test"), "{}", text(&out));
    let drift = drift_list(&ws, 3);
    assert_eq!(drift[0]["environment"], "test");
    assert_eq!(drift[0]["commits"].as_array().unwrap().len(), 1, "{drift:#}");
    assert_eq!(drift[0]["commits"][0]["commit"].as_str().unwrap(), hand);
    assert_eq!(drift[0]["commits"][0]["author"], "dev@example.org");
    assert_eq!(drift[0]["commits"][0]["summary"], "Hotfix by hand");
    for env in &drift.as_array().unwrap()[1..] {
        assert_eq!(env["commits"], serde_json::json!([]), "{drift:#}");
    }

    // Unacknowledged, and 1.1.0 would also replace the hand-made contact.xml.
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_refused(&r, &["drift", "drift_overwrite"]);
    assert!(reason(&r.1, "crm-core", "drift").contains(&hand[..10]), "{:#}", r.1);
    assert!(remedy(&r.1, "crm-core", "drift").contains("dtap drift ack test --reason TEXT"));

    let out = ws.as_user(FA, &["drift", "ack", "test", "--reason", "r"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("lacks permission drift.ack"), "{}", text(&out));
    let out = ws.dtap(&["drift", "ack", "test", "--reason", " "]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert_refused(
        &promote_json(&ws, RM, &["crm-core", "--to", "test"]),
        &["drift", "drift_overwrite"],
    );

    let out = ok(ws.dtap(&["drift", "ack", "test", "--reason", "Hotfix INC-1 reviewed"]));
    assert!(
        stdout(&out).contains(&format!("Drift in test acknowledged up to {}", &ws.head()[..12])),
        "{}",
        text(&out)
    );
    let drift = drift_list(&ws, 0);
    assert_eq!(drift[0]["commits"], serde_json::json!([]));
    assert!(!stderr(&ok(ws.dtap(&["status"]))).contains("drift"));
    // Acknowledged is not licensed: 1.1.0 would replace the hand-made contact.xml.
    let r = promote_json(&ws, RM, &["crm-core", "--to", "test"]);
    assert_refused(&r, &["drift_overwrite"]);
    assert!(
        reason(&r.1, "crm-core", "drift_overwrite").contains(&hand[..10]),
        "{:#}",
        r.1
    );
    assert!(
        reason(&r.1, "crm-core", "drift_overwrite").contains("entities/contact.xml"),
        "{:#}",
        r.1
    );
    let r = promote_json(
        &ws,
        RM,
        &[
            "crm-core",
            "--to",
            "test",
            "--overwrite-drift",
            "--reason",
            "1.1.0 replaces the hotfix",
        ],
    );
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(ws.tree_of("test/crm-core"), ws.tree_of("develop/crm-core"));

    // Hand commits in develop are the normal way of working, never drift.
    ws.put_package("crm-core", "1.2.0", &[&rfc], "v1.2");
    let drift = drift_list(&ws, 0);
    assert!(
        drift
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["commits"] == serde_json::json!([]))
    );
    // A new hand commit after the acknowledgement is drift again.
    ws.commit_files("Another fix", &[("test/crm-core/notes.txt", "by hand\n")]);
    let drift = drift_list(&ws, 3);
    assert_eq!(drift[0]["commits"].as_array().unwrap().len(), 1, "{drift:#}");
    assert_eq!(drift[0]["commits"][0]["summary"], "Another fix");
}

#[test]
fn a_hand_commit_with_copied_trailers_is_still_drift() {
    let ws = TestWorkspace::init();
    crm_core_in_test(&ws);
    ws.commit_files(
        "Promote crm-core 1.0.0 to test\n\nDtap-Action: promote\nDtap-Package: crm-core\nDtap-Version: 1.0.0\nDtap-To: test\nDtap-Promoted-By: rm@example.org",
        &[("test/crm-core/entities/contact.xml", "<entity>changed by hand</entity>\n")],
    );
    let drift = drift_list(&ws, 3);
    assert_eq!(drift[0]["commits"].as_array().unwrap().len(), 1, "{drift:#}");
    assert_eq!(history(&ws, &[]).len(), 1, "only dtap's own promotion");
}

// ---------------------------------------------------------------- path safety

#[test]
fn paths_symlinks_and_submodules_are_never_promoted() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    let work = raw_clone(&ws);
    let linky = work.join("develop/linky");
    std::fs::create_dir_all(linky.join("scripts")).unwrap();
    std::fs::write(linky.join("package.yaml"), manifest("linky", "1.0.0", &[&rfc])).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", linky.join("scripts/run.sh")).unwrap();
    let subby = work.join("develop/subby");
    std::fs::create_dir_all(&subby).unwrap();
    std::fs::write(subby.join("package.yaml"), manifest("subby", "1.0.0", &[&rfc])).unwrap();
    ws.git(&work, &["add", "-A"]);
    let some_commit = ws.git(&work, &["rev-parse", "HEAD"]);
    ws.git(
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{},develop/subby/vendor", some_commit.trim()),
        ],
    );
    ws.git(&work, &["commit", "-q", "-m", "A symlink and a submodule"]);
    ws.git(&work, &["push", "-q", "origin", "HEAD:main"]);
    assert_eq!(
        ws.repo_git(&["ls-tree", "main:develop/linky/scripts"])
            .split_whitespace()
            .next(),
        Some("120000"),
        "git stored a symlink"
    );
    let before = ws.head();

    let r = promote_json(&ws, RM, &["linky", "--to", "test"]);
    assert_refused(&r, &["paths"]);
    assert_eq!(
        reason(&r.1, "linky", "paths"),
        "scripts/run.sh: symbolic links are not allowed"
    );
    assert!(remedy(&r.1, "linky", "paths").contains("plain files and folders only"));
    let r = promote_json(&ws, RM, &["subby", "--to", "test"]);
    assert_refused(&r, &["paths"]);
    assert_eq!(reason(&r.1, "subby", "paths"), "vendor: submodules are not allowed");
    let r = promote_json(&ws, RM, &["--all", "--to", "test"]);
    assert_refused(&r, &["paths", "paths"]);

    let out = ws.dtap(&["promote", "linky", "--to", "test"]);
    assert_eq!(code(&out), Some(3));
    assert!(stdout(&out).contains("FAIL paths"), "{}", text(&out));
    assert_eq!(ws.head(), before);
    assert!(ws.packages_in("test").is_empty());
}

#[test]
fn paths_dot_git_and_names_that_could_escape_are_never_promoted() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    let repo = ws.repo_path();

    // git itself refuses `.GIT` from a work tree, so build the trees with plumbing.
    let work = raw_clone(&ws);
    std::fs::create_dir_all(work.join("develop/x/.GIT")).unwrap();
    std::fs::write(work.join("develop/x/.GIT/config"), "x\n").unwrap();
    let add = ws
        .isolated_command("git")
        .current_dir(&work)
        .args(["add", "-A"])
        .output()
        .unwrap();
    assert!(!add.status.success(), "git accepted .GIT: {}", text(&add));

    let blob = |content: &str| git_stdin(&ws, &repo, &["hash-object", "-w", "--stdin"], content.as_bytes());
    let file = blob("[core]\n\thooksPath = /tmp\n");
    let folder = git_stdin(
        &ws,
        &repo,
        &["mktree"],
        format!("100644 blob {file}\tconfig\n").as_bytes(),
    );
    let listing = |name: &str, extra: &str| {
        format!(
            "100644 blob {}\tpackage.yaml\n{extra}",
            blob(&manifest(name, "1.0.0", &[&rfc]))
        )
    };
    let dotgit = git_stdin(
        &ws,
        &repo,
        &["mktree"],
        listing(
            "dotgit",
            &format!("040000 tree {folder}\t.GIT\n040000 tree {folder}\t.git~1\n"),
        )
        .as_bytes(),
    );
    let dotdot = git_stdin(
        &ws,
        &repo,
        &["mktree"],
        listing(
            "dotdot",
            &format!("040000 tree {folder}\t..\n100644 blob {file}\ta\\b\n"),
        )
        .as_bytes(),
    );
    // mktree refuses `.` and a slash in a name; a literal tree object does not.
    let hex = |id: &str| -> Vec<u8> {
        (0..id.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut raw = Vec::new();
    for (mode, name, id) in [
        ("100644", ".", file.clone()),
        ("100644", "package.yaml", blob(&manifest("odd", "1.0.0", &[&rfc]))),
        ("100644", "x/y", file.clone()),
    ] {
        raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
        raw.extend_from_slice(&hex(&id));
    }
    let odd = git_stdin(
        &ws,
        &repo,
        &["hash-object", "-t", "tree", "--literally", "-w", "--stdin"],
        &raw,
    );
    plumb_into_develop(
        &ws,
        &[("dotgit", &dotgit), ("dotdot", &dotdot), ("odd", &odd)],
        "Packages with dangerous names",
    );
    let before = ws.head();

    for (package, entries) in [
        (
            "dotgit",
            vec![
                ".GIT: a .git entry is not allowed",
                ".git~1: a .git entry is not allowed",
            ],
        ),
        (
            "dotdot",
            vec![
                "..: a name that could escape the package folder",
                "a\\b: a name that could escape the package folder",
            ],
        ),
        (
            "odd",
            vec![
                ".: a name that could escape the package folder",
                "x/y: a name that could escape the package folder",
            ],
        ),
    ] {
        let r = promote_json(&ws, RM, &[package, "--to", "test"]);
        assert_refused(&r, &["paths"]);
        let why = reason(&r.1, package, "paths");
        for e in entries {
            assert!(why.contains(e), "{package}: `{e}` not in `{why}`");
        }
    }
    assert_eq!(ws.head(), before);
    assert!(ws.packages_in("test").is_empty());
}

// ---------------------------------------------------------------- crashes

#[tokio::test]
async fn a_crash_after_the_ref_update_is_reconciled_by_the_next_command() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let before = ws.head();

    let out = ws
        .dtap_command(RM, &["promote", "crm-core", "--to", "test"])
        .env("DTAP_FAILPOINT", "after-ref-update")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(stderr(&out).contains("failpoint after-ref-update"), "{}", text(&out));

    // The commit is in the repo; the database has not heard of it.
    let commit = ws.head();
    assert_ne!(commit, before);
    assert_eq!(ws.repo_git(&["rev-parse", "main^"]), before);
    assert_eq!(ws.tree_of("test/crm-core"), ws.tree_of("develop/crm-core"));
    assert_eq!(ws.rfc_state(&rfc), "approved");
    // The intent's row: no command shows it (doctor names it only as a problem).
    assert_eq!(intents(&ws).await, [("pending".to_string(), None)]);
    // git is the source of truth: history shows the promotion already.
    assert_eq!(history(&ws, &[])[0]["commit"].as_str().unwrap(), commit);

    // A dry run changes nothing, not even this.
    ok(ws.dtap(&["promote", "--all", "--to", "test", "--dry-run"]));
    assert_eq!(ws.rfc_state(&rfc), "approved");
    // The next write settles it.
    let out = ok(ws.dtap(&["promote", "--all", "--to", "test"]));
    assert!(stdout(&out).contains("Nothing to promote"), "{}", text(&out));
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    let last = ws.rfc_json(&rfc)["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "promoted");
    assert_eq!(last["detail"], format!("promote {commit}"));
    assert_eq!(intents(&ws).await, [("done".to_string(), Some(commit.clone()))]);
    assert_eq!(ws.head(), commit, "reconciling makes no commit");
    let out = ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert!(
        stdout(&out).contains("crm-core 1.0.0 is already in test."),
        "{}",
        text(&out)
    );
    assert_eq!(history(&ws, &[]).len(), 1);
}

#[test]
fn a_crash_during_a_rollback_is_reconciled_too() {
    let ws = TestWorkspace::init();
    let first = ws.approved_rfc("Weekly sales button");
    let second = ws.approved_rfc("Birthday on contact");
    ws.put_package("crm-core", "1.0.0", &[&first], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let t1 = ws.tree_of("test/crm-core");
    ws.put_package("crm-core", "1.1.0", &[&first, &second], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));

    let out = ws
        .dtap_command(RM, &["rollback", "crm-core", "--env", "test", "--reason", "x"])
        .env("DTAP_FAILPOINT", "after-ref-update")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(ws.tree_of("test/crm-core"), t1);
    assert_eq!(ws.rfc_state(&second), "in_test");

    ok(ws.dtap(&["mail", "flush"]));
    assert_eq!(ws.rfc_state(&second), "approved");
    assert_eq!(ws.rfc_state(&first), "in_test");
}

#[tokio::test]
async fn reconcile_settles_dead_intents_and_leaves_live_ones_alone() {
    let ws = TestWorkspace::init();
    let base = ws.head();
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let me = format!("{host}:{}", std::process::id());
    let dead_here = format!("{host}:999999999");
    let cases = [
        ("live-here", me.as_str(), "2999-01-01T00:00:00Z"),
        ("dead-here", dead_here.as_str(), "2999-01-01T00:00:00Z"),
        ("live-elsewhere", "elsewhere.example.org:1", "2999-01-01T00:00:00Z"),
        ("expired-elsewhere", "elsewhere.example.org:1", "2000-01-01T00:00:00Z"),
    ];
    // Written by hand on purpose: intents as promotions on this and other
    // hosts leave them, alive or crashed (no command writes an intent without
    // promoting, and no other host is at hand).
    for (id, owner, until) in cases {
        db_execute(
            &ws,
            &[(
                "INSERT INTO promotions (id, kind, environment, packages, base_commit, state, actor, reason, emergency,
                                         lease_owner, lease_until, created_at)
                 VALUES ($1, 'promote', 'test', '[]', $2, 'pending', $3, '', 0, $4, $5, '2026-01-01T00:00:00.000000Z')",
                &[id, &base, RM, owner, until],
            )],
        )
        .await;
    }

    ok(ws.dtap(&["mail", "flush"]));

    // Read back raw: no command lists intents.
    let mut conn = crate::support::db_connect(&ws).await;
    let states: std::collections::BTreeMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT id, state FROM promotions")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let expected: std::collections::BTreeMap<String, String> = [
        ("dead-here", "failed"),
        ("expired-elsewhere", "failed"),
        ("live-elsewhere", "pending"),
        ("live-here", "pending"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(states, expected);
    assert_eq!(ws.head(), base);
}

/// Every promotion intent's state and commit, oldest first: the rows no
/// command lists (doctor only names the unfinished ones).
async fn intents(ws: &TestWorkspace) -> Vec<(String, Option<String>)> {
    let mut conn = crate::support::db_connect(ws).await;
    sqlx::query_as("SELECT state, commit_id FROM promotions ORDER BY created_at")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

// ---------------------------------------------------------------- soak vs. hand commits

#[test]
fn min_soak_counts_from_dtaps_promotion_not_from_a_backdated_hand_commit() {
    let ws = TestWorkspace::init();
    add_acceptance_gate(&ws, "min_soak: 1d");
    // About soak and drift only: no tester could sign off a tree that
    // reached test by hand (links are mailed for what dtap promoted), so
    // acceptance waits for no sign-off here.
    ws.edit(
        "environments/acceptance.yaml",
        "  - signoff: test",
        "#  - signoff: test",
    );
    ok(ws.dtap(&["check"]));
    let _ = crm_core_in_test(&ws);
    let work = raw_clone(&ws);
    std::fs::write(
        work.join("test/crm-core/entities/contact.xml"),
        "<entity>hotfix</entity>\n",
    )
    .unwrap();
    ws.git(&work, &["add", "-A"]);
    let out = ws
        .isolated_command("git")
        .current_dir(&work)
        .args(["commit", "-q", "-m", "Hotfix by hand"])
        .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    ws.git(&work, &["push", "-q", "origin", "HEAD:main"]);

    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance", "--dry-run"]);
    // The hand commit is drift in test, and its date says nothing about soaking.
    assert_refused(&r, &["drift", "min_soak"]);
    ok(ws.dtap(&["drift", "ack", "test", "--reason", "reviewed the hotfix"]));
    let r = promote_json(&ws, RM, &["crm-core", "--to", "acceptance", "--dry-run"]);
    assert_refused(&r, &["min_soak"]);
}

// ---------------------------------------------------------------- read side

#[test]
fn release_notes_list_the_rfcs_promoted_into_an_environment() {
    let ws = TestWorkspace::init();
    let shipped = ws.approved_rfc("Weekly sales button");
    let waiting = ws.approved_rfc("Birthday on contact");
    ws.put_package("crm-core", "1.0.0", &[&shipped], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let promotion = ws.head();
    ws.put_package("contacts", "1.0.0", &[&waiting], "birthday");

    let md = stdout(&ok(ws.dtap(&["release-notes", "--env", "test"])));
    assert!(md.starts_with("# Release notes: Test (test)"), "{md}");
    assert!(
        md.contains(&format!(
            "- **{shipped} Weekly sales button** (Sales, requested by {SALES}; In test)"
        )),
        "{md}"
    );
    assert!(md.contains("All my closed deals of last week"), "the summary: {md}");
    assert!(md.contains(&format!("| crm-core | 1.0.0 | {RM} | {shipped} |")), "{md}");
    assert!(!md.contains(&waiting), "{md}");

    let notes = json_of(&ws.dtap(&["release-notes", "--env", "test", "--json"]));
    assert_eq!(notes["rfcs"].as_array().unwrap().len(), 1);
    assert_eq!(notes["rfcs"][0]["id"], shipped.as_str());
    assert_eq!(notes["rfcs"][0]["title"], "Weekly sales button");
    assert_eq!(notes["promotions"][0]["commit"].as_str().unwrap(), promotion);

    let md = stdout(&ok(ws.dtap(&["release-notes", "--env", "acceptance"])));
    assert!(md.contains("No promotions."), "{md}");
    let since = promotion.clone();
    let md = stdout(&ok(ws.dtap(&[
        "release-notes",
        "--env",
        "test",
        "--since",
        &since[..12],
    ])));
    assert!(md.contains("No promotions since"), "{md}");
    let md = stdout(&ok(ws.dtap(&[
        "release-notes",
        "--env",
        "test",
        "--since",
        "2000-01-01",
    ])));
    assert!(md.contains(&shipped), "{md}");

    // HTML escapes what requesters typed.
    let tricky = ws.approved_rfc("<script>alert(1)</script>");
    ws.put_package("crm-core", "1.1.0", &[&shipped, &tricky], "v1.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let html = stdout(&ok(ws.dtap(&["release-notes", "--env", "test", "--format", "html"])));
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
}

#[test]
fn diff_shows_versions_files_and_a_unified_patch() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v2");
    ws.commit_files("A new view", &[("develop/crm-core/views/sales.xml", "<view/>\n")]);

    // What promoting develop into test would change: test's side is the old one.
    let d = json_of(&ws.dtap(&["diff", "develop", "test", "--json"]));
    assert_eq!(d.as_array().unwrap().len(), 1, "{d:#}");
    let p = &d[0];
    assert_eq!(p["package"], "crm-core");
    assert_eq!(p["old_version"], "1.0.0");
    assert_eq!(p["new_version"], "1.1.0");
    assert_eq!(
        p["modified"],
        serde_json::json!(["entities/contact.xml", "package.yaml"])
    );
    assert_eq!(p["added"], serde_json::json!(["views/sales.xml"]));
    assert_eq!(p["removed"], serde_json::json!([]));

    let d = json_of(&ws.dtap(&["diff", "test", "acceptance", "--json"]));
    assert_eq!(d[0]["old_version"], Value::Null);
    assert_eq!(d[0]["new_version"], "1.0.0");
    let mut files: Vec<&str> = ["added", "modified", "removed"]
        .iter()
        .flat_map(|k| d[0][k].as_array().unwrap().iter().map(|f| f.as_str().unwrap()))
        .collect();
    files.sort();
    assert_eq!(files, ["entities/contact.xml", "package.yaml"]);

    let out = ok(ws.dtap(&["diff", "develop", "test", "--package", "crm-core"]));
    let patch = stdout(&out);
    assert!(patch.contains("crm-core: test 1.0.0 → develop 1.1.0"), "{patch}");
    assert!(
        patch.contains("diff --git a/entities/contact.xml b/entities/contact.xml"),
        "{patch}"
    );
    assert!(patch.contains("\n-<entity name=\"contact\">v1</entity>\n"), "{patch}");
    assert!(patch.contains("\n+<entity name=\"contact\">v2</entity>\n"), "{patch}");
    assert!(patch.contains("\n-version: 1.0.0\n+version: 1.1.0\n"), "{patch}");
    assert!(patch.contains("+<view/>"), "{patch}");

    let out = ok(ws.dtap(&["diff", "develop", "develop", "--package", "crm-core"]));
    assert!(
        stdout(&out).contains("crm-core: develop 1.1.0 → develop 1.1.0, identical"),
        "{}",
        text(&out)
    );
    let out = ws.dtap(&["diff", "develop", "test", "--package", "nope"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("package `nope`"), "{}", text(&out));
}

#[test]
fn a_left_over_git_lock_points_to_doctor_which_removes_it() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    // What a process killed in the middle of a ref update leaves behind.
    std::fs::write(ws.repo_path().join("refs/heads/main.lock"), "").unwrap();

    let out = ws.dtap(&["promote", "crm-core", "--to", "test"]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("run `dtap doctor`"), "{}", text(&out));

    let out = ws.dtap(&["doctor", "--repair", "--stale-lock", "0"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("main.lock"), "{}", text(&out));
    assert!(!ws.repo_path().join("refs/heads/main.lock").exists());
    let out = ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    assert!(stdout(&out).contains("into test"), "{}", text(&out));
}

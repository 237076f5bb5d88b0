//! Hand-made changes outside develop meet the pipeline (DESIGN §4, §15 "Diff
//! and drift"), on the real Salesforce sample app's Apex classes: a hotfix
//! typed into production by hand, acknowledged, then a promotion that would
//! remove it (refused, naming the commit and files, until overwritten on
//! purpose); `drift adopt` carrying the hotfix into develop as a new patch
//! version that travels on without refusal; a clash refused naming the files;
//! `drift list` exit codes; `dtap diff` in both orders.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{
    ADMIN, FA, KIM, LEE, RM, TestApp, TestWorkspace, Verdict, code, json_of, manifest, ok, sign_off, stderr, stdout,
    text,
};

const ORDER: &str = "classes/OrderController.cls";
const PRODUCT: &str = "classes/ProductController.cls";

/// The Apex classes of Salesforce's e-bikes sample app (CC0), as copied under
/// tests/it/fixtures/ebikes.
fn ebikes_classes() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/ebikes/classes");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the e-bikes fixture {dir:?}: {e}"))
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                format!("classes/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert!(files.iter().any(|(f, _)| f == ORDER), "{dir:?} lacks {ORDER}");
    files
}

/// Commits `files` (paths relative to `<env>/ebikes/`) by hand, as a CRM developer would.
fn commit_ebikes(ws: &TestWorkspace, env: &str, message: &str, files: &[(String, String)]) {
    let full: Vec<(String, &str)> = files
        .iter()
        .map(|(f, c)| (format!("{env}/ebikes/{f}"), c.as_str()))
        .collect();
    let refs: Vec<(&str, &str)> = full.iter().map(|(f, c)| (f.as_str(), *c)).collect();
    ws.commit_files(message, &refs);
}

/// ebikes `version` in develop naming `rfcs`, with `changes` over the sample app's classes.
fn ebikes_in_develop(ws: &TestWorkspace, version: &str, rfcs: &[&str], changes: &[(&str, String)]) {
    let mut files = vec![("package.yaml".to_string(), manifest("ebikes", version, rfcs))];
    for (f, c) in ebikes_classes() {
        let content = changes
            .iter()
            .find(|(name, _)| *name == f)
            .map(|(_, c)| c.clone())
            .unwrap_or(c);
        files.push((f, content));
    }
    commit_ebikes(ws, "develop", &format!("ebikes {version}: work in develop"), &files);
}

fn class(ws: &TestWorkspace, env: &str, file: &str) -> String {
    ws.git(&ws.repo_path(), &["show", &format!("main:{env}/ebikes/{file}")])
}

fn original(file: &str) -> String {
    ebikes_classes().into_iter().find(|(f, _)| f == file).unwrap().1
}

/// The hotfix typed into OrderController by hand: at most 200 order items.
fn hotfixed_order() -> String {
    let before = original(ORDER);
    let after = before.replacen("WITH USER_MODE\n", "WITH USER_MODE\n            LIMIT 200\n", 1);
    assert_ne!(before, after);
    after
}

/// Develop's own change for 1.1.0: products sorted by name.
fn sorted_products() -> String {
    let before = original(PRODUCT);
    let after = format!("// Products come sorted by name (RFC: product filter).\n{before}");
    assert_ne!(before, after);
    after
}

/// An approved RFC with kim appointed in test and lee in acceptance.
fn rfc_with_testers(ws: &TestWorkspace, title: &str) -> String {
    let rfc = ws.approved_rfc(title);
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "acceptance", LEE);
    rfc
}

/// What is in develop now, promoted through test and acceptance with kim's
/// and lee's approvals, promoted into production by the admin (four eyes).
async fn through_to_production(ws: &TestWorkspace) -> (Option<i32>, Value) {
    ok(ws.dtap(&["promote", "ebikes", "--to", "test"]));
    sign_off(ws, KIM, Verdict::Approve).await;
    ok(ws.dtap(&["promote", "ebikes", "--to", "acceptance"]));
    sign_off(ws, LEE, Verdict::Approve).await;
    promote_json(ws, ADMIN, &["ebikes", "--to", "production"])
}

fn promote_json(ws: &TestWorkspace, user: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["promote"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = ws.as_user(user, &all);
    assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code(&out), v)
}

fn gate<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v["plan"]["packages"][0]["gates"]
        .as_array()?
        .iter()
        .find(|g| g["gate"] == name)
}

/// ebikes 1.0.0 (the sample app as is) in production, and a hotfix to
/// OrderController typed into production's folder by hand. Returns the hand
/// commit.
async fn production_with_a_hand_hotfix(ws: &TestWorkspace) -> String {
    let rfc = rfc_with_testers(ws, "Sell e-bikes online");
    ebikes_in_develop(ws, "1.0.0", &[&rfc], &[]);
    let r = through_to_production(ws).await;
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    commit_ebikes(
        ws,
        "production",
        "Hotfix INC-7: at most 200 order items",
        &[(ORDER.to_string(), hotfixed_order())],
    );
    ws.head()
}

#[tokio::test]
async fn an_acknowledged_hotfix_in_production_is_not_overwritten_unless_on_purpose() {
    let ws = TestWorkspace::init();
    let hand = production_with_a_hand_hotfix(&ws).await;

    let out = ws.dtap(&["drift", "list"]);
    assert_eq!(code(&out), Some(3), "unacknowledged drift exits 3: {}", text(&out));
    assert!(stdout(&out).contains(&hand[..12]), "{}", text(&out));
    assert!(stdout(&out).contains("Hotfix INC-7"), "{}", text(&out));
    ok(ws.dtap(&["drift", "ack", "production", "--reason", "INC-7 hotfix reviewed"]));
    let out = ws.dtap(&["drift", "list"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));

    // Develop moves on without the hotfix: 1.1.0 sorts products.
    let rfc = rfc_with_testers(&ws, "Products sorted by name");
    ebikes_in_develop(&ws, "1.1.0", &[&rfc], &[(PRODUCT, sorted_products())]);
    ok(ws.dtap(&["promote", "ebikes", "--to", "test"]));
    sign_off(&ws, KIM, Verdict::Approve).await;
    ok(ws.dtap(&["promote", "ebikes", "--to", "acceptance"]));
    sign_off(&ws, LEE, Verdict::Approve).await;
    let before = ws.head();

    // The dry run shows it the way the refusal does.
    let out = ws.as_user(ADMIN, &["promote", "ebikes", "--to", "production", "--dry-run"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    let said = stdout(&out);
    let expected = format!(
        "this removes the hand-made change in production, commit {} (\"Hotfix INC-7: at most 200 order items\"): {ORDER}",
        &hand[..10]
    );
    assert!(said.contains("FAIL drift_overwrite"), "{}", text(&out));
    assert!(said.contains(&expected), "{}", text(&out));
    assert!(said.contains("dtap drift adopt production ebikes"), "{}", text(&out));
    // Only the hotfix's file counts: 1.1.0's own change to ProductController is not drift.
    let r = promote_json(&ws, ADMIN, &["ebikes", "--to", "production", "--dry-run"]);
    let g = gate(&r.1, "drift_overwrite").unwrap();
    assert!(!g["reason"].as_str().unwrap().contains(PRODUCT), "{g:#}");

    let out = ws.as_user(ADMIN, &["promote", "ebikes", "--to", "production"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stdout(&out).contains(&expected), "{}", text(&out));
    assert!(
        stderr(&out).contains("Refused: nothing was promoted."),
        "{}",
        text(&out)
    );
    assert_eq!(ws.head(), before);
    assert_eq!(class(&ws, "production", ORDER), hotfixed_order());

    let r = promote_json(&ws, ADMIN, &["ebikes", "--to", "production", "--overwrite-drift"]);
    assert_eq!(r.0, Some(3), "{:#}", r.1);
    let g = gate(&r.1, "drift_overwrite").unwrap();
    assert_eq!(g["passed"], false);
    assert!(g["remedy"].as_str().unwrap().contains("needs --reason"), "{g:#}");
    assert_eq!(ws.head(), before);

    let why = "INC-7 is fixed properly in 1.2.0; 1.1.0 may drop the limit";
    let r = promote_json(
        &ws,
        ADMIN,
        &["ebikes", "--to", "production", "--overwrite-drift", "--reason", why],
    );
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert_eq!(gate(&r.1, "drift_overwrite").unwrap()["passed"], true);
    assert_eq!(ws.tree_of("production/ebikes"), ws.tree_of("acceptance/ebikes"));
    assert_eq!(class(&ws, "production", ORDER), original(ORDER));
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains(&format!("Dtap-Reason: {why}")), "{message}");
    let audit = json_of(&ws.dtap(&["audit", "--action", "drift.overwrite", "--json"]));
    let entry = &audit.as_array().unwrap()[0];
    assert_eq!(entry["actor"], ADMIN, "{audit:#}");
    assert_eq!(entry["object"], "production/ebikes", "{audit:#}");
    assert!(entry["detail"].to_string().contains(&hand[..10]), "{audit:#}");

    // Overwritten is settled: nothing is left to undo.
    let out = ws.dtap(&["drift", "list"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    ok(ws.dtap(&["doctor"]));
    ok(ws.dtap(&["audit", "verify"]));
}

#[tokio::test]
async fn drift_adopt_carries_a_production_hotfix_into_develop_and_onward() {
    let ws = TestWorkspace::init();
    let rfc = rfc_with_testers(&ws, "Sell e-bikes online");
    ebikes_in_develop(&ws, "1.0.0", &[&rfc], &[]);
    let r = through_to_production(&ws).await;
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    // Develop is at work on 1.1.0 when production gets a hotfix by hand.
    let next = rfc_with_testers(&ws, "Products sorted by name");
    ebikes_in_develop(&ws, "1.1.0", &[&next], &[(PRODUCT, sorted_products())]);
    commit_ebikes(
        &ws,
        "production",
        "Hotfix INC-7: at most 200 order items",
        &[(ORDER.to_string(), hotfixed_order())],
    );
    let hand = ws.head();
    assert_eq!(code(&ws.dtap(&["drift", "list"])), Some(3));

    // Adopting needs drift.ack, like acknowledging.
    let out = ws.as_user(FA, &["drift", "adopt", "production", "ebikes"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("lacks permission drift.ack"), "{}", text(&out));

    let out = ok(ws.dtap(&["drift", "adopt", "production", "ebikes", "--dry-run"]));
    assert!(
        stdout(&out).contains("would adopt into develop as ebikes 1.1.1"),
        "{}",
        text(&out)
    );
    assert_eq!(ws.head(), hand, "a dry run commits nothing");

    let out = ok(ws.dtap(&["drift", "adopt", "production", "ebikes", "--reason", "Keep INC-7"]));
    assert!(
        stdout(&out).contains("Adopted into develop as ebikes 1.1.0 → 1.1.1"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains(ORDER), "{}", text(&out));
    // Develop has both its own change and the hotfix, as a normal commit with trailers.
    assert_eq!(class(&ws, "develop", ORDER), hotfixed_order());
    assert_eq!(class(&ws, "develop", PRODUCT), sorted_products());
    assert!(class(&ws, "develop", "package.yaml").contains("version: 1.1.1\n"));
    assert!(class(&ws, "develop", "package.yaml").contains(&next));
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("Dtap-Action: adopt"), "{message}");
    assert!(message.contains(&format!("Dtap-Adopted: {hand}")), "{message}");
    assert!(message.contains("Dtap-Version: 1.1.1"), "{message}");
    // Adopting acknowledged the drift, and the hand commit is not adopted twice.
    assert_eq!(code(&ws.dtap(&["drift", "list"])), Some(0));
    let out = ws.dtap(&["drift", "adopt", "production", "ebikes"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("adopted already, into develop ebikes 1.1.1"),
        "{}",
        text(&out)
    );
    let audit = json_of(&ws.dtap(&["audit", "--action", "drift.adopt", "--json"]));
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit:#}");

    // 1.1.1 travels like any change; production takes it without refusal.
    let r = through_to_production(&ws).await;
    assert_eq!(r.0, Some(0), "{:#}", r.1);
    assert!(gate(&r.1, "drift_overwrite").is_none(), "{:#}", r.1);
    assert_eq!(ws.tree_of("production/ebikes"), ws.tree_of("develop/ebikes"));
    assert_eq!(class(&ws, "production", ORDER), hotfixed_order());
    assert_eq!(class(&ws, "production", PRODUCT), sorted_products());
    // The index, the acknowledgements and the audit chain agree with the repo.
    ok(ws.dtap(&["doctor"]));
    ok(ws.dtap(&["audit", "verify"]));
}

#[test]
fn drift_adopt_refuses_a_clash_naming_the_files_and_drift_list_exits_by_drift() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Sell e-bikes online");
    ebikes_in_develop(&ws, "1.0.0", &[&rfc], &[]);
    assert_eq!(
        code(&ws.dtap(&["drift", "list"])),
        Some(0),
        "develop is edited by hand, never drift"
    );
    ok(ws.dtap(&["promote", "ebikes", "--to", "test"]));
    let out = ws.dtap(&["drift", "list", "--json"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));

    // Test gets a hotfix by hand on the very lines develop rewrites for 1.1.0.
    commit_ebikes(
        &ws,
        "test",
        "Hotfix: at most 200 order items",
        &[(ORDER.to_string(), hotfixed_order())],
    );
    let out = ws.dtap(&["drift", "list", "--json"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["environment"], "test");
    assert_eq!(listed[0]["commits"][0]["summary"], "Hotfix: at most 200 order items");
    let clash = original(ORDER).replacen("WITH USER_MODE\n", "WITH SYSTEM_MODE\n            LIMIT 50\n", 1);
    ebikes_in_develop(&ws, "1.1.0", &[&rfc], &[(ORDER, clash.clone())]);
    let before = ws.head();

    let out = ws.dtap(&["drift", "adopt", "test", "ebikes"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("clashes with develop in {ORDER}")),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("dtap diff test develop --package ebikes"),
        "{}",
        text(&out)
    );
    assert_eq!(ws.head(), before, "nothing committed");
    assert_eq!(class(&ws, "develop", ORDER), clash);
    assert_eq!(code(&ws.dtap(&["drift", "list"])), Some(3), "still unacknowledged");

    // Nothing to adopt from develop itself, nor where nothing was changed by hand.
    let out = ws.dtap(&["drift", "adopt", "develop", "ebikes"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    let out = ws.dtap(&["drift", "adopt", "acceptance", "ebikes"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("no hand-made change"), "{}", text(&out));
}

#[tokio::test]
async fn diff_a_b_shows_what_promoting_a_into_b_would_change_in_both_orders() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Sell e-bikes online");
    ebikes_in_develop(&ws, "1.0.0", &[&rfc], &[]);
    ok(ws.dtap(&["promote", "ebikes", "--to", "test"]));
    ebikes_in_develop(&ws, "1.1.0", &[&rfc], &[(PRODUCT, sorted_products())]);
    commit_ebikes(
        &ws,
        "develop",
        "A new Apex class",
        &[(
            "classes/BikeFinder.cls".to_string(),
            "public class BikeFinder {}\n".to_string(),
        )],
    );

    // develop into test: test's 1.0.0 is the old side, develop's 1.1.0 the new one.
    let d = json_of(&ws.dtap(&["diff", "develop", "test", "--json"]));
    assert_eq!(d.as_array().unwrap().len(), 1, "{d:#}");
    let p = &d[0];
    let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["added", "modified", "new_version", "old_version", "package", "removed"],
        "{p:#}"
    );
    assert_eq!(p["package"], "ebikes");
    assert_eq!(p["old_version"], "1.0.0");
    assert_eq!(p["new_version"], "1.1.0");
    assert_eq!(p["added"], serde_json::json!(["classes/BikeFinder.cls"]));
    assert_eq!(p["modified"], serde_json::json!([PRODUCT, "package.yaml"]));
    assert_eq!(p["removed"], serde_json::json!([]));
    let out = ok(ws.dtap(&["diff", "develop", "test"]));
    assert!(
        stdout(&out).contains("ebikes: test 1.0.0 → develop 1.1.0, 1 added, 2 modified, 0 removed"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("  + classes/BikeFinder.cls"), "{}", text(&out));
    let patch = stdout(&ok(ws.dtap(&["diff", "develop", "test", "--package", "ebikes"])));
    assert!(patch.contains("+// Products come sorted by name"), "{patch}");
    assert!(patch.contains("\n-version: 1.0.0\n+version: 1.1.0\n"), "{patch}");

    // The other order: what promoting test into develop would change.
    let d = json_of(&ws.dtap(&["diff", "test", "develop", "--json"]));
    let p = &d[0];
    assert_eq!(p["old_version"], "1.1.0");
    assert_eq!(p["new_version"], "1.0.0");
    assert_eq!(p["added"], serde_json::json!([]));
    assert_eq!(p["modified"], serde_json::json!([PRODUCT, "package.yaml"]));
    assert_eq!(p["removed"], serde_json::json!(["classes/BikeFinder.cls"]));
    let patch = stdout(&ok(ws.dtap(&["diff", "test", "develop", "--package", "ebikes"])));
    assert!(patch.contains("-// Products come sorted by name"), "{patch}");
    assert!(patch.contains("\n-version: 1.1.0\n+version: 1.0.0\n"), "{patch}");

    // An environment without the package: everything is added, or removed.
    let d = json_of(&ws.dtap(&["diff", "test", "acceptance", "--json"]));
    assert_eq!(d[0]["old_version"], Value::Null);
    assert_eq!(d[0]["new_version"], "1.0.0");
    assert_eq!(d[0]["removed"], serde_json::json!([]));
    assert_eq!(
        d[0]["added"].as_array().unwrap().len(),
        ebikes_classes().len() + 1,
        "{d:#}"
    );
    let d = json_of(&ws.dtap(&["diff", "acceptance", "test", "--json"]));
    assert_eq!(d[0]["old_version"], "1.0.0");
    assert_eq!(d[0]["new_version"], Value::Null);
    assert_eq!(d[0]["added"], serde_json::json!([]));

    // The package's diff page on the web reads the same way, for signed-in users.
    let app = TestApp::start(&ws).await;
    let page = app.get("/packages/ebikes/diff?from=develop&to=test").await;
    assert_ne!(page.status, 200, "{}", page.body);
    app.stop().await;
    let app = TestApp::start_as(&ws, RM).await;
    let page = app.get("/packages/ebikes/diff?from=develop&to=test").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let old_side = page.body.find("1.0.0").unwrap();
    assert!(page.body[old_side..].contains("1.1.0"), "{}", page.body);
    // minijinja escapes `/` too.
    assert!(page.body.contains("classes&#x2f;BikeFinder.cls"), "{}", page.body);
    assert!(
        page.body
            .contains("<td class=\"text\">+&#x2f;&#x2f; Products come sorted by name"),
        "{}",
        page.body
    );
    let page = app.get("/packages/ebikes/diff?from=test&to=develop").await;
    assert!(
        page.body
            .contains("<td class=\"text\">-&#x2f;&#x2f; Products come sorted by name"),
        "{}",
        page.body
    );
    assert_eq!(app.get("/packages/nope/diff?from=develop&to=test").await.status, 404);
    app.stop().await;
}

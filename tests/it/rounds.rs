//! One change, many packages (DESIGN §13): a real Salesforce DX change (the
//! E-Bikes Apex classes and the product card Lightning component, CC0) split
//! over two packages that both name one RFC, promoted, rolled back and
//! signed off through the real binary, the real web app and mail over a real
//! SMTP server. The tester tests the change, not a folder: one live link per
//! tester per round, one mail that says why a round was replaced.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    ADMIN, CM, KIM, LEE, PAT, RM, SALES, Smtp, TestApp, TestWorkspace, code, json_of, manifest, ok, stdout, text,
};

const BASE: &str = "https://dtap.example.org";
const GONE: &str = "This link does not work";
pub(crate) const APEX: &str = "ebikes-apex";
pub(crate) const UI: &str = "ebikes-ui";

/// A file of the E-Bikes fixture copied into the test tree.
fn fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/ebikes")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const CLASSES: [&str; 6] = [
    "classes/ProductController.cls",
    "classes/ProductController.cls-meta.xml",
    "classes/PagedResult.cls",
    "classes/PagedResult.cls-meta.xml",
    "classes/TestProductController.cls",
    "classes/TestProductController.cls-meta.xml",
];
const CARD: [&str; 4] = [
    "lwc/productCard/productCard.js",
    "lwc/productCard/productCard.html",
    "lwc/productCard/productCard.css",
    "lwc/productCard/productCard.js-meta.xml",
];

/// Commits `develop/<package>/` by hand as a Salesforce developer would: the
/// manifest and the fixture files, the first of them with `edit` appended
/// (a new version's change).
pub(crate) fn put(ws: &TestWorkspace, package: &str, version: &str, rfcs: &[&str], edit: &str) {
    let files: &[&str] = if package == APEX { &CLASSES } else { &CARD };
    let mut owned: Vec<(String, String)> = vec![(
        format!("develop/{package}/package.yaml"),
        manifest(package, version, rfcs),
    )];
    for (i, f) in files.iter().enumerate() {
        let mut content = fixture(f);
        if i == 0 && !edit.is_empty() {
            content.push_str(&format!("\n// {edit}\n"));
        }
        owned.push((format!("develop/{package}/{f}"), content));
    }
    let refs: Vec<(&str, &str)> = owned.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    ws.commit_files(&format!("{package} {version}"), &refs);
}

/// A workspace mailing over SMTP with one approved RFC, KIM appointed in
/// test and LEE in acceptance, and both packages in develop naming it.
pub(crate) fn two_packages() -> (TestWorkspace, Smtp, String) {
    let ws = TestWorkspace::init();
    let smtp = Smtp::start(&ws);
    ws.use_smtp(smtp.port);
    ws.set_base_url(BASE);
    let rfc = ws.approved_rfc("Product card shows the frame material");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "acceptance", LEE);
    put(&ws, APEX, "1.0.0", &[&rfc], "");
    put(&ws, UI, "1.0.0", &[&rfc], "");
    (ws, smtp, rfc)
}

pub(crate) fn promote(ws: &TestWorkspace, user: &str, what: &[&str], env: &str) -> String {
    let mut args = vec!["promote"];
    args.extend_from_slice(what);
    args.extend(["--to", env]);
    stdout(&ok(ws.as_user(user, &args)))
}

/// Sign-off mails (invitations and their replacements) `to` got, in order.
pub(crate) fn invitations(smtp: &Smtp, to: &str) -> Vec<crate::support::Mail> {
    smtp.to(to)
        .into_iter()
        .filter(|m| !m.links("/signoff/").is_empty())
        .collect()
}

/// The gates of `package` that fail in a dry run into `env`.
pub(crate) fn failing_gates(ws: &TestWorkspace, user: &str, package: &str, env: &str) -> Vec<String> {
    let out = ws.as_user(user, &["promote", package, "--to", env, "--dry-run", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
    v["plan"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["gates"].as_array().unwrap().iter())
        .filter(|g| g["passed"] == false)
        .map(|g| g["gate"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) async fn approve(ws: &TestWorkspace, token: &str) -> crate::support::Page {
    let server = TestApp::start(ws).await;
    let page = server.approve(token).await;
    server.stop().await;
    page
}

async fn status_of(ws: &TestWorkspace, token: &str) -> (u16, String) {
    let server = TestApp::start(ws).await;
    let page = server.get(&format!("/signoff/{token}")).await;
    server.stop().await;
    (page.status, page.body)
}

/// Takes everything in develop through test, acceptance and production:
/// kim and lee approve their one link each, the admin promotes last.
pub(crate) async fn release_all(ws: &TestWorkspace, smtp: &Smtp) {
    promote(ws, RM, &["--all"], "test");
    ws.flush();
    let kim = invitations(smtp, KIM);
    assert_eq!(approve(ws, &kim.last().unwrap().token()).await.status, 200);
    promote(ws, RM, &["--all"], "acceptance");
    ws.flush();
    let lee = invitations(smtp, LEE);
    assert_eq!(approve(ws, &lee.last().unwrap().token()).await.status, 200);
    promote(ws, ADMIN, &["--all"], "production");
}

#[tokio::test]
async fn two_packages_of_one_rfc_travel_as_one_change_through_all_four_environments() {
    let (ws, smtp, rfc) = two_packages();

    let out = promote(&ws, RM, &["--all"], "test");
    assert!(out.contains("Invitations queued: 1"), "{out}");
    ws.flush();
    let mails = invitations(&smtp, KIM);
    assert_eq!(mails.len(), 1, "one mail for the change, not one per package");
    let body = &mails[0].text;
    assert!(
        body.contains("ebikes-apex 1.0.0") && body.contains("ebikes-ui 1.0.0"),
        "{body}"
    );
    assert_eq!(ws.rfc_state(&rfc), "in_test");

    // The RFC knows its packages from the manifests, and where each version is.
    let shown = ws.rfc_json(&rfc);
    assert_eq!(
        shown["packages"],
        json!([
            {"name": APEX, "versions": {"develop": "1.0.0", "test": "1.0.0"}},
            {"name": UI, "versions": {"develop": "1.0.0", "test": "1.0.0"}},
        ]),
        "{shown:#}"
    );
    let listed = json_of(&ws.dtap(&["rfc", "list", "--json"]));
    assert_eq!(listed[0]["packages"], json!([APEX, UI]), "{listed:#}");
    let human = stdout(&ok(ws.dtap(&["rfc", "show", &rfc])));
    assert!(
        human.contains("ebikes-apex (develop 1.0.0, test 1.0.0, acceptance -, production -)"),
        "{human}"
    );

    let (status, page) = status_of(&ws, &mails[0].token()).await;
    assert_eq!(status, 200);
    assert!(page.contains("packages ebikes-apex 1.0.0, ebikes-ui 1.0.0"), "{page}");
    assert_eq!(approve(&ws, &mails[0].token()).await.status, 200);
    promote(&ws, RM, &["--all"], "acceptance");
    assert_eq!(ws.rfc_state(&rfc), "in_acceptance");
    ws.flush();
    let lee = invitations(&smtp, LEE);
    assert_eq!(lee.len(), 1);
    let page = approve(&ws, &lee[0].token()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(ws.rfc_state(&rfc), "accepted");

    // Four eyes: not the one who promoted into acceptance.
    promote(&ws, ADMIN, &["--all"], "production");
    assert_eq!(ws.rfc_state(&rfc), "released");
    let shown = ws.rfc_json(&rfc);
    assert_eq!(shown["packages"][1]["versions"]["production"], "1.0.0", "{shown:#}");
    // The change board reads the RFC once, and each package's row names the RFCs it carries.
    let notes = stdout(&ok(ws.dtap(&["release-notes", "--env", "production"])));
    assert_eq!(notes.matches(&format!("**{rfc} ")).count(), 1, "{notes}");
    assert!(
        notes.contains(&format!("| {APEX} | 1.0.0 | {ADMIN} | {rfc} |")),
        "{notes}"
    );
    let history = json_of(&ws.dtap(&["history", "--env", "production", "--json"]));
    assert_eq!(history[0]["rfcs"], json!([rfc]), "{history:#}");
    // Each tester got exactly one mail per environment, for the whole change.
    ws.flush();
    assert_eq!(invitations(&smtp, KIM).len(), 1);
    assert_eq!(invitations(&smtp, LEE).len(), 1);
}

#[tokio::test]
async fn a_package_arriving_later_replaces_the_round_with_one_mail_saying_why() {
    let (ws, smtp, rfc) = two_packages();
    promote(&ws, RM, &[APEX], "test");
    ws.flush();
    let first = invitations(&smtp, KIM);
    assert_eq!(first.len(), 1);
    assert!(!first[0].text.contains("ebikes-ui"), "{}", first[0].text);
    // Approved while only the Apex classes were there: that approval covers them alone.
    assert_eq!(approve(&ws, &first[0].token()).await.status, 200);
    assert_eq!(failing_gates(&ws, RM, APEX, "acceptance"), Vec::<String>::new());

    promote(&ws, RM, &[UI], "test");
    ws.flush();
    let mails = invitations(&smtp, KIM);
    assert_eq!(mails.len(), 2, "one new mail for the grown change");
    let grew = &mails[1];
    assert!(grew.text.contains("The change grew"), "{}", grew.text);
    assert!(grew.text.contains("ebikes-apex 1.0.0") && grew.text.contains("ebikes-ui 1.0.0"));
    // The approval of the smaller set never counts for the grown change.
    assert_eq!(
        failing_gates(&ws, RM, APEX, "acceptance"),
        vec!["signoff:test".to_string()]
    );

    assert_eq!(approve(&ws, &grew.token()).await.status, 200);
    assert_eq!(failing_gates(&ws, RM, UI, "acceptance"), Vec::<String>::new());
    // One of two packages in acceptance: the RFC is not in acceptance until both are.
    promote(&ws, RM, &[APEX], "acceptance");
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    promote(&ws, RM, &[UI], "acceptance");
    assert_eq!(ws.rfc_state(&rfc), "in_acceptance");
}

#[tokio::test]
async fn rolling_back_one_of_two_packages_keeps_the_rfc_in_test_and_ends_the_round() {
    let (ws, smtp, rfc) = two_packages();
    promote(&ws, RM, &["--all"], "test");
    ws.flush();
    let link = invitations(&smtp, KIM)[0].token();
    assert_eq!(approve(&ws, &link).await.status, 200);
    assert_eq!(failing_gates(&ws, RM, APEX, "acceptance"), Vec::<String>::new());

    ok(ws.as_user(
        RM,
        &["rollback", UI, "--env", "test", "--reason", "Card breaks on phones"],
    ));
    // The Apex classes still carry the RFC in test.
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    ws.flush();
    let mails = invitations(&smtp, KIM);
    assert_eq!(mails.len(), 2);
    let shrank = &mails[1];
    assert!(shrank.text.contains("The change shrank"), "{}", shrank.text);
    assert!(!shrank.text.contains("ebikes-ui"), "{}", shrank.text);
    // The approval was given for a set that no longer stands.
    assert_eq!(
        failing_gates(&ws, RM, APEX, "acceptance"),
        vec!["signoff:test".to_string()]
    );

    ok(ws.as_user(RM, &["rollback", APEX, "--env", "test", "--reason", "Start over"]));
    assert_eq!(ws.rfc_state(&rfc), "approved");
    ws.flush();
    let told: Vec<_> = smtp
        .to(KIM)
        .into_iter()
        .filter(|m| m.subject().starts_with("No need to test"))
        .collect();
    assert_eq!(told.len(), 1, "the tester is told the version was withdrawn");
    assert!(told[0].text.contains("ebikes-apex 1.0.0"), "{}", told[0].text);
    assert_eq!(status_of(&ws, &shrank.token()).await.0, 404);
    let shown = ws.rfc_json(&rfc);
    assert!(
        shown["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["current"] == false),
        "{shown:#}"
    );
}

#[tokio::test]
async fn a_removed_tester_can_no_longer_sign_off_and_an_appointed_one_gets_the_round() {
    let (ws, smtp, rfc) = two_packages();
    ws.appoint(&rfc, "test", PAT);
    promote(&ws, RM, &["--all"], "test");
    ws.flush();
    let kim = invitations(&smtp, KIM)[0].token();
    ws.unappoint(&rfc, "test", KIM);

    let server = TestApp::start(&ws).await;
    let page = server.get(&format!("/signoff/{kim}")).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains(GONE), "{}", page.body);
    // Even a form kept open from before cannot record a verdict.
    let rejected = server
        .post(
            &format!("/signoff/{kim}"),
            &[("verdict", "reject"), ("comment", "Card breaks")],
        )
        .await;
    assert_ne!(rejected.status, 200, "{}", rejected.body);
    server.stop().await;
    assert_eq!(
        ws.rfc_state(&rfc),
        "in_test",
        "a removed tester's rejection moved nothing"
    );
    // Everybody else's link still works.
    let pat = invitations(&smtp, PAT)[0].token();
    assert_eq!(status_of(&ws, &pat).await.0, 200);

    // Appointed again mid-round: the current round's link at once.
    ws.appoint(&rfc, "test", KIM);
    ws.flush();
    let again = invitations(&smtp, KIM);
    assert_eq!(again.len(), 2);
    assert!(again[1].text.contains("ebikes-apex 1.0.0") && again[1].text.contains("ebikes-ui 1.0.0"));
    assert_eq!(status_of(&ws, &again[1].token()).await.0, 200);
}

#[tokio::test]
async fn a_released_rfc_takes_no_new_version_until_followed_up_or_reopened() {
    let (ws, smtp, rfc) = two_packages();
    release_all(&ws, &smtp).await;
    assert_eq!(ws.rfc_state(&rfc), "released");

    // A new version that still names the released RFC is refused, with the way out.
    put(&ws, APEX, "1.1.0", &[&rfc], "frame material per region");
    let out = ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("dtap rfc new --follows {rfc}")),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains(&format!("dtap rfc move {rfc} reopen")),
        "{}",
        text(&out)
    );
    let linked = ws.as_user(crate::support::FA, &["rfc", "link", &rfc, "--package", UI]);
    assert_eq!(code(&linked), Some(3), "{}", text(&linked));

    // A follow-up names the RFC it continues; the old one's timeline says so.
    let mut args = vec![
        "rfc",
        "new",
        "--template",
        "report",
        "--title",
        "Frame material per region",
    ];
    for f in &crate::support::REPORT_FIELDS {
        args.extend(["--field", f]);
    }
    args.extend(["--follows", &rfc, "--json"]);
    let follow = json_of(&ok(ws.as_user(SALES, &args)));
    assert_eq!(follow["follows"], json!(rfc), "{follow:#}");
    let old = ws.rfc_json(&rfc);
    assert!(
        old["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "followed_up"),
        "{old:#}"
    );

    // Or reopen it: a change manager, with a reason; never the requester.
    let by_requester = ws.as_user(SALES, &["rfc", "move", &rfc, "reopen", "--comment", "More"]);
    assert_eq!(code(&by_requester), Some(3), "{}", text(&by_requester));
    ok(ws.as_user(
        CM,
        &["rfc", "move", &rfc, "reopen", "--comment", "Per region after all"],
    ));
    assert_eq!(ws.rfc_state(&rfc), "in_development");
    promote(&ws, RM, &[APEX], "test");
    assert_eq!(ws.rfc_state(&rfc), "in_test");
}

#[tokio::test]
async fn a_withdrawn_request_leaves_no_link_that_works() {
    let (ws, smtp, rfc) = two_packages();
    promote(&ws, RM, &["--all"], "test");
    ws.flush();
    let link = invitations(&smtp, KIM)[0].token();
    ok(ws.as_user(
        crate::support::FA,
        &["rfc", "move", &rfc, "hold", "--comment", "Budget frozen"],
    ));
    ok(ws.as_user(
        crate::support::FA,
        &["rfc", "move", &rfc, "withdraw", "--comment", "Not this year"],
    ));
    assert_eq!(ws.rfc_state(&rfc), "withdrawn");
    assert_eq!(status_of(&ws, &link).await.0, 404);
    let shown = ws.rfc_json(&rfc);
    let rounds = shown["rounds"].as_array().unwrap();
    assert!(
        !rounds.is_empty()
            && rounds
                .iter()
                .all(|r| r["current"] == false && r["end_reason"] == "withdrawn"),
        "{shown:#}"
    );
}

//! Packages leave on purpose (DESIGN §13, §15): a Salesforce package that a
//! new one replaces is deleted from develop, then retired from test,
//! acceptance and production in order, through gates, with one commit each
//! that git and the history read back as a retirement, never as drift.

use serde_json::Value;

use crate::rounds::{APEX, UI, approve, invitations, promote, put, release_all, two_packages};
use crate::support::{ADMIN, KIM, LEE, RM, TestWorkspace, code, json_of, ok, stdout, text};

const TILE: &str = "ebikes-tile";

fn retire(ws: &TestWorkspace, user: &str, env: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["retire", UI, "--env", env, "--reason", "Replaced by the product tile"];
    args.extend_from_slice(extra);
    ws.as_user(user, &args)
}

fn failed_gates(out: &std::process::Output) -> Vec<String> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)));
    v["plan"]["gates"]
        .as_array()
        .unwrap_or_else(|| panic!("{v:#}"))
        .iter()
        .filter(|g| g["passed"] == false)
        .map(|g| g["gate"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_replaced_package_is_retired_in_order_through_the_gates_down_to_production() {
    let (ws, smtp, old) = two_packages();
    release_all(&ws, &smtp).await;
    assert_eq!(ws.rfc_state(&old), "released");

    // The product tile replaces the card: a new RFC, a new package, the old folder deleted in develop.
    let rfc = ws.approved_rfc("Product tile replaces the product card");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "acceptance", LEE);
    ws.remove_folder("ebikes-ui: replaced by ebikes-tile", &format!("develop/{UI}"));
    put(&ws, TILE, "1.0.0", &[&rfc], "tile");

    // Promoting the deleted package says how it leaves instead.
    let out = ws.as_user(RM, &["promote", UI, "--to", "test"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("dtap retire {UI} --env test")),
        "{}",
        text(&out)
    );

    // `--all` moves the new package on and retires the deleted one, which
    // needs an RFC here: develop's deletion was a hand commit naming none.
    let all = ws.as_user(RM, &["promote", "--all", "--to", "test", "--dry-run"]);
    assert_eq!(code(&all), Some(3), "{}", text(&all));
    let said = text(&all);
    assert!(said.contains(&format!("{TILE} (absent) → 1.0.0 into test")), "{said}");
    assert!(said.contains(&format!("{UI} 1.0.0 leaves test")), "{said}");
    assert!(said.contains("FAIL rfcs"), "{said}");
    assert!(
        said.contains(&format!("`dtap retire {UI} --env test --reason TEXT --rfc RFC-n`")),
        "{said}"
    );

    // In order, for an open RFC, with a reason.
    let out = retire(&ws, RM, "acceptance", &["--rfc", &rfc, "--json"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(failed_gates(&out).contains(&"order".to_string()), "{}", text(&out));
    let human = text(&retire(&ws, RM, "acceptance", &["--rfc", &rfc]));
    assert!(
        human.contains(&format!("retire it from test first (`dtap retire {UI} --env test`)")),
        "{human}"
    );
    let out = retire(&ws, RM, "test", &["--json"]);
    assert_eq!(failed_gates(&out), ["rfcs"], "every change to test traces to a request");
    let out = retire(&ws, RM, "test", &["--rfc", &old, "--json"]);
    assert_eq!(failed_gates(&out), ["rfcs"], "a released RFC is never moved");
    let dry = stdout(&ok(retire(&ws, RM, "test", &["--rfc", &rfc, "--dry-run"])));
    assert!(dry.contains("- lwc/productCard/productCard.js"), "{dry}");
    assert!(
        ws.packages_in("test").contains(&UI.to_string()),
        "a dry run changes nothing"
    );

    let done = stdout(&ok(retire(&ws, RM, "test", &["--rfc", &rfc])));
    assert!(done.contains(&format!("Retired {UI} 1.0.0 from test")), "{done}");
    assert!(!ws.packages_in("test").contains(&UI.to_string()));
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("Dtap-Action: retire") && message.contains(&format!("Dtap-Retired: {UI}")),
        "{message}"
    );
    assert_eq!(
        ws.rfc_state(&old),
        "released",
        "a retirement never moves a released RFC"
    );
    let history = json_of(&ws.dtap(&["history", "--env", "test", "--json"]));
    assert_eq!(history[0]["action"], "retire", "{history:#}");

    // The tile travels on; its test approval licenses the retirement from acceptance.
    promote(&ws, RM, &[TILE], "test");
    ws.flush();
    assert_eq!(
        approve(&ws, &invitations(&smtp, KIM).last().unwrap().token())
            .await
            .status,
        200
    );
    // `--all` carries the retirement on, with the reason and RFC it had in test.
    let said = stdout(&ok(ws.as_user(RM, &["promote", "--all", "--to", "acceptance"])));
    assert!(
        said.contains(&format!("Promoted {TILE} (new) → 1.0.0 into acceptance")),
        "{said}"
    );
    assert!(said.contains(&format!("Retired {UI} 1.0.0 from acceptance")), "{said}");
    let message = ws.repo_git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("Dtap-Reason: Replaced by the product tile"),
        "{message}"
    );
    assert!(message.contains(&format!("Dtap-RFCs: {rfc}")), "{message}");
    assert!(!ws.packages_in("acceptance").contains(&UI.to_string()));
    ws.flush();
    assert_eq!(
        approve(&ws, &invitations(&smtp, LEE).last().unwrap().token())
            .await
            .status,
        200
    );
    assert_eq!(ws.rfc_state(&rfc), "accepted");

    // Production last; nothing there depends on the card, and no retirement counts as drift.
    ok(retire(&ws, ADMIN, "production", &["--rfc", &rfc]));
    promote(&ws, ADMIN, &[TILE], "production");
    assert_eq!(ws.rfc_state(&rfc), "released");
    let mut production = ws.packages_in("production");
    production.sort();
    assert_eq!(production, [APEX.to_string(), TILE.to_string()]);
}

#[tokio::test]
async fn a_new_package_holding_an_old_ones_components_is_warned_about_everywhere() {
    let (ws, _smtp, _old) = two_packages();
    let rfc = ws.approved_rfc("Product tile replaces the product card");
    // The developer copied the card into a new package and forgot to delete the old one.
    put(&ws, TILE, "1.0.0", &[&rfc], "tile");
    promote(&ws, RM, &[UI], "test");

    let check = ws.dtap(&["check"]);
    assert_eq!(code(&check), Some(0), "a warning, not a problem: {}", text(&check));
    let said = text(&check);
    assert!(
        said.contains("warning: lwc/productCard/productCard.js is in 2 packages in develop: ebikes-tile, ebikes-ui"),
        "{said}"
    );
    assert!(said.contains("ebikes-tile (RFC-2) and ebikes-ui (RFC-1)"), "{said}");

    let dry = stdout(&ok(ws.as_user(RM, &["promote", TILE, "--to", "test", "--dry-run"])));
    assert!(
        dry.contains("warning: lwc/productCard/productCard.js is in 2 packages in test: ebikes-tile, ebikes-ui"),
        "{dry}"
    );
    let shown = ws.rfc_json(&rfc);
    let overlaps = shown["overlaps"].as_array().unwrap();
    assert!(
        overlaps
            .iter()
            .any(|w| w.as_str().unwrap().contains("ebikes-ui (RFC-1)")),
        "{shown:#}"
    );
    // The Apex package overlaps nothing, and says nothing.
    let apex = stdout(&ok(ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run"])));
    assert!(!apex.contains("warning:"), "{apex}");
}

//! Refused actions are audited with outcome `refused` (rate-limited), and
//! test plan changes are audited.

use serde_json::Value;

use crate::support::*;

/// The audit trail as `dtap audit --json` shows it.
fn audit(ws: &TestWorkspace) -> Vec<Value> {
    json_of(&ws.dtap(&["audit", "--json"])).as_array().unwrap().clone()
}

fn refused_by(ws: &TestWorkspace, actor: &str) -> Vec<Value> {
    audit(ws)
        .into_iter()
        .filter(|e| e["outcome"] == "refused" && e["actor"] == actor)
        .collect()
}

#[tokio::test]
async fn refusals_on_the_web_the_api_and_the_cli_are_audited_and_a_flood_is_capped() {
    let ws = TestWorkspace::init();
    let id = ws.file_rfc("Weekly sales button");
    ok(ws.as_user(SALES, &["rfc", "move", &id, "submit"]));
    // The CLI: a requester may not approve their own request.
    let out = ws.as_user(SALES, &["rfc", "move", &id, "approve"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    let cli = refused_by(&ws, SALES);
    assert_eq!(cli.len(), 1, "{cli:?}");
    assert_eq!(cli[0]["action"], "cli rfc");
    assert_eq!(cli[0]["origin"], "cli");
    assert!(cli[0]["detail"].as_str().unwrap().contains("reasons"), "{}", cli[0]);

    // The web: someone the proxy names who is not in access.yaml, twenty times.
    crate::hardening::routes::behind_proxy(&ws);
    let app = TestApp::start(&ws).await;
    for _ in 0..20 {
        let r = app
            .http
            .get(app.url("/"))
            .header("X-Forwarded-User", KIM)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let web = refused_by(&ws, KIM);
    assert_eq!(web.len(), 10, "at most ten refusals a minute per person are recorded");
    assert!(
        web.iter()
            .all(|e| e["action"] == "web GET" && e["object"] == "/" && e["origin"] == "web")
    );
    // The API: the requester approving through it.
    let r = app
        .http
        .post(app.url(&format!("/api/v1/rfcs/{id}/transitions")))
        .header("X-Forwarded-User", SALES)
        .json(&serde_json::json!({"transition": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the API takes no proxy header");
    app.stop().await;
    let app = TestApp::start_as(&ws, SALES).await;
    let r = app
        .http
        .post(app.url(&format!("/api/v1/rfcs/{id}/transitions")))
        .json(&serde_json::json!({"transition": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
    let api: Vec<Value> = refused_by(&ws, SALES)
        .into_iter()
        .filter(|e| e["origin"] == "api")
        .collect();
    assert_eq!(api.len(), 1, "{api:?}");
    assert_eq!(api[0]["object"], format!("/api/v1/rfcs/{id}/transitions"));
    // Every refusal row still chains.
    ok(ws.dtap(&["audit", "verify"]));
}

#[tokio::test]
async fn test_plan_changes_are_audited() {
    let ws = TestWorkspace::init();
    let id = ws.approved_rfc("Weekly sales button");
    let app = TestApp::start_as(&ws, FA).await;
    let added = app
        .submit(
            &format!("/rfcs/{id}"),
            &format!("/rfcs/{id}/cases"),
            &[
                ("op", "add"),
                ("environment", "test"),
                ("kind", "functional-test"),
                ("title", "The button shows last week's deals"),
                ("steps", "Click it"),
                ("expected", "Last week's deals"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let page = app.get(&format!("/rfcs/{id}")).await;
    let marker = "name=\"case\" value=\"";
    let at = page.body.find(marker).expect("a remove button for the case") + marker.len();
    let case = page.body[at..at + page.body[at..].find('"').unwrap()].to_string();
    let removed = app
        .submit(
            &format!("/rfcs/{id}"),
            &format!("/rfcs/{id}/cases"),
            &[("op", "remove"), ("case", &case)],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    app.stop().await;
    let actions: Vec<String> = audit(&ws)
        .iter()
        .filter(|e| e["object"] == id.as_str() && e["actor"] == FA)
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(actions.contains(&"rfc.test_case.add".to_string()), "{actions:?}");
    assert!(actions.contains(&"rfc.test_case.remove".to_string()), "{actions:?}");
}

/// A tester who promoted the round's package may not sign it off there, so
/// gets no invitation they could not use; the other tester does.
#[tokio::test]
async fn the_promoter_is_not_invited_to_sign_off_what_they_promoted() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", RM);
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();
    let invited: Vec<Vec<String>> = ws
        .mailbox()
        .iter()
        .filter(|m| !m.links("/signoff/").is_empty())
        .map(|m| m.recipients())
        .collect();
    assert!(invited.iter().any(|r| r.contains(&KIM.to_string())), "{invited:?}");
    assert!(
        !invited.iter().any(|r| r.contains(&RM.to_string())),
        "the promoter got a link: {invited:?}"
    );
}

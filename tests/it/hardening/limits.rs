//! Rate limits count per client as a trusted proxy forwards it, per link
//! token, and per address that login mails go to; `trusted_proxies` is
//! written as docs/operations.md shows it.

use crate::support::*;

/// docs/operations.md's `[web]` example, as written there.
fn documented_web_section() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md")).unwrap();
    let block = doc
        .split("```toml")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("trusted_proxies"))
        .expect("docs/operations.md shows trusted_proxies in a toml block");
    let web = block.split("[web]").nth(1).expect("the block has a [web] section");
    let lines: Vec<&str> = web.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("trusted_proxies = [")),
        "the example is a list: {web}"
    );
    format!("[web]\n{}\n", lines.join("\n"))
}

/// The workspace configured as docs/operations.md says, behind nginx on
/// this host (base_url stays the test server's, so links open here).
fn as_documented(ws: &TestWorkspace) {
    let web = documented_web_section();
    let web: String = web
        .lines()
        .filter(|l| !l.starts_with("bind") && !l.starts_with("base_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    ws.edit("dtap.toml", "[web]\n", &web);
}

async fn get_from(app: &TestApp, path: &str, client: &str) -> u16 {
    let r = app
        .http
        .get(app.url(path))
        .header("X-Forwarded-For", format!("6.6.6.6, {client}"))
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

#[test]
fn the_documented_trusted_proxies_example_passes_check() {
    let ws = TestWorkspace::init();
    as_documented(&ws);
    let out = ws.dtap(&["check"]);
    assert!(out.status.success(), "{}\n{}", text(&out), ws.read("dtap.toml"));
    let shown = ws.dtap(&["config", "get", "web.trusted_proxies"]);
    assert!(stdout(&shown).contains("127.0.0.1"), "{}", text(&shown));
    // The comma-separated string still works.
    ws.edit(
        "dtap.toml",
        "trusted_proxies = [\"127.0.0.1\"]",
        "trusted_proxies = \"127.0.0.1, 10.0.0.2\"",
    );
    assert!(ws.dtap(&["check"]).status.success());
}

#[tokio::test]
async fn one_client_behind_the_proxy_cannot_use_up_another_clients_budget() {
    let ws = TestWorkspace::init();
    as_documented(&ws);
    let app = TestApp::start(&ws).await;
    // One client spends its budget on made-up sign-off links (one token each).
    let mut last = 0;
    for i in 0..31 {
        last = get_from(&app, &format!("/signoff/made-up-{i}"), "203.0.113.1").await;
    }
    assert_eq!(last, 429, "the 31st request in a minute from one client");
    // Another client behind the same proxy still gets through.
    assert_eq!(get_from(&app, "/signoff/made-up-x", "203.0.113.2").await, 404);
    assert_eq!(get_from(&app, "/login/made-up-x", "203.0.113.2").await, 404);
    app.stop().await;
}

#[tokio::test]
async fn one_link_is_limited_from_whatever_address() {
    let ws = TestWorkspace::init();
    as_documented(&ws);
    let app = TestApp::start(&ws).await;
    let mut seen = Vec::new();
    for i in 0..11 {
        seen.push(get_from(&app, "/signoff/one-made-up-token", &format!("198.51.100.{i}")).await);
    }
    assert_eq!(seen[..10], [404; 10], "{seen:?}");
    assert_eq!(seen[10], 429, "the 11th try of one token in a minute: {seen:?}");
    app.stop().await;
}

#[tokio::test]
async fn login_mails_to_one_address_are_limited_whoever_asks() {
    let ws = TestWorkspace::init();
    as_documented(&ws);
    let app = TestApp::start(&ws).await;
    let form = app.get("/login").await;
    for i in 0..7 {
        let r = app
            .http
            .post(app.url("/login"))
            .header("X-Forwarded-For", format!("192.0.2.{i}"))
            .form(&[("csrf_token", form.csrf().as_str()), ("email", SALES)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "every asker sees the same answer");
    }
    ws.flush();
    let mails = ws
        .mailbox()
        .into_iter()
        .filter(|m| m.recipients().contains(&SALES.to_string()))
        .count();
    assert_eq!(mails, 5, "five login mails an hour to one address");
    app.stop().await;
}

//! Login links: a dead one answers 404 on a page that sends a new one.

use crate::support::*;

#[tokio::test]
async fn a_dead_login_link_answers_404_with_a_form_for_a_new_link() {
    let ws = TestWorkspace::init();
    let app = TestApp::start(&ws).await;
    let session = app.sign_in(&ws, SALES).await;
    assert_eq!(session.get("/").await.status, 200);
    let used = ws.latest_mail_with_link(SALES, "/login/").links("/login/").remove(0);
    let used = path_of(&used);
    for path in [
        used.as_str(),
        "/login/0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Send me a new link"), "{}", page.body);
        let posted = app.post_owned(path, &[("csrf_token".into(), page.csrf())]).await;
        assert_eq!(
            posted.status, 403,
            "a dead link's form posts nothing (its token is for /login)"
        );
    }
    // The page's own form mails a new link.
    let before = ws.mailbox().len();
    let page = app.get(&used).await;
    let asked = app
        .post_owned(
            "/login",
            &[("csrf_token".into(), page.csrf()), ("email".into(), SALES.into())],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    ws.flush();
    assert_eq!(ws.mailbox().len(), before + 1, "a new link was mailed");
    let fresh = path_of(&ws.latest_mail_with_link(SALES, "/login/").links("/login/").remove(0));
    assert_ne!(fresh, used);
    assert_eq!(app.get(&fresh).await.status, 200);
    app.stop().await;
}

/// Known or not, a login request does the same work (a link written in one
/// transaction, dead at birth for an unknown address), so its timing tells
/// nothing; only the known address gets mail.
#[tokio::test]
async fn a_login_request_for_an_unknown_address_does_the_same_work_and_mails_nobody() {
    let ws = TestWorkspace::init();
    let app = TestApp::start(&ws).await;
    for who in [SALES, "nobody@example.org"] {
        let asked = app.submit("/login", "/login", &[("email", who)]).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        assert!(asked.body.contains("Check your mail"));
    }
    // Read in the database: the work is what no page shows.
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM login_links").await,
        2,
        "a link per request"
    );
    ws.flush();
    let to: Vec<Vec<String>> = ws.mailbox().iter().map(|m| m.recipients()).collect();
    assert_eq!(to, vec![vec![SALES.to_string()]], "mail only to the known address");
    app.stop().await;
}

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
    for path in [used.as_str(), "/login/0000000000000000000000000000000000000000000000000000000000000000"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Send me a new link"), "{}", page.body);
        let posted = app.post_owned(path, &[("csrf_token".into(), page.csrf())]).await;
        assert_eq!(posted.status, 403, "a dead link's form posts nothing (its token is for /login)");
    }
    // The page's own form mails a new link.
    let before = ws.mailbox().len();
    let page = app.get(&used).await;
    let asked = app
        .post_owned("/login", &[("csrf_token".into(), page.csrf()), ("email".into(), SALES.into())])
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    ws.flush();
    assert_eq!(ws.mailbox().len(), before + 1, "a new link was mailed");
    let fresh = path_of(&ws.latest_mail_with_link(SALES, "/login/").links("/login/").remove(0));
    assert_ne!(fresh, used);
    assert_eq!(app.get(&fresh).await.status, 200);
    app.stop().await;
}

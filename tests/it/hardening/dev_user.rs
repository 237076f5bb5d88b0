//! `[web] dev_user`, for local trials: no DNS rebinding, and never off loopback.

use crate::support::*;

async fn status_for_host(app: &TestApp, host: &str) -> u16 {
    let r = app.http.get(app.url("/")).header("host", host).send().await.unwrap();
    r.status().as_u16()
}

#[tokio::test]
async fn with_dev_user_only_loopback_and_base_url_host_names_are_answered() {
    let ws = TestWorkspace::init();
    ws.set_base_url("http://dtap.example.org:8080");
    let app = TestApp::start_as(&ws, ADMIN).await;
    let port = app.addr.port();
    // A DNS-rebinding page's request names its own host.
    assert_eq!(status_for_host(&app, &format!("evil.example:{port}")).await, 421);
    assert_eq!(status_for_host(&app, "127.0.0.1.evil.example").await, 421);
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "dtap.example.org:8080".into(),
    ] {
        assert_eq!(status_for_host(&app, &host).await, 200, "{host}");
    }
    app.stop().await;
    // Without dev_user, nobody acts without signing in: no Host check needed.
    ws.set_dev_user(None);
    let app = TestApp::start(&ws).await;
    assert_eq!(status_for_host(&app, "evil.example").await, 401);
    app.stop().await;
}

#[test]
fn serve_refuses_dev_user_off_loopback_before_printing_a_url() {
    let ws = TestWorkspace::init();
    ws.set_dev_user(Some(ADMIN));
    let out = ws.dtap(&["serve", "--bind", "0.0.0.0:0"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("only allowed on a loopback address"),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("http://"), "no URL printed: {}", stdout(&out));
}

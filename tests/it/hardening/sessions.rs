//! Sessions: the `__Host-` cookie and HSTS under https, and form tokens
//! bound to the session (rotated at sign-in and sign-out).

use crate::support::*;

#[tokio::test]
async fn under_https_the_cookie_is_host_bound_and_browsers_are_told_to_stay_on_https() {
    let ws = TestWorkspace::init();
    ws.set_base_url("https://dtap.example.org");
    let app = TestApp::start(&ws).await;
    let session = app.sign_in(&ws, SALES).await;
    assert!(
        session.cookie().starts_with("__Host-dtap_session="),
        "{}",
        session.cookie()
    );
    assert_eq!(session.get("/").await.status, 200);
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    // The plain name is not read under https: a cookie injected over http is nobody's.
    let value = session.cookie().split_once('=').unwrap().1.to_string();
    let r = app
        .http
        .get(app.url("/"))
        .header("cookie", format!("dtap_session={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;

    ws.set_base_url("http://127.0.0.1:8080");
    let app = TestApp::start(&ws).await;
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    assert!(
        r.headers().get("strict-transport-security").is_none(),
        "no HSTS over http"
    );
    let session = app.sign_in(&ws, SALES).await;
    assert!(session.cookie().starts_with("dtap_session="), "{}", session.cookie());
    app.stop().await;
}

#[tokio::test]
async fn form_tokens_are_bound_to_the_session_and_change_at_each_sign_in() {
    let ws = TestWorkspace::init();
    let id = ws.file_rfc("Weekly sales button");
    let app = TestApp::start(&ws).await;
    let first = app.sign_in(&ws, SALES).await;
    let page = format!("/rfcs/{id}");
    let old = first.get(&page).await.csrf();
    let second = app.sign_in(&ws, SALES).await;
    let new = second.get(&page).await.csrf();
    assert_ne!(old, new, "a new sign-in, new form tokens");
    let comment = format!("/rfcs/{id}/comments");
    let stale = second
        .post(&comment, &[("csrf_token", &old), ("body", "with the old token")])
        .await;
    assert_eq!(stale.status, 403, "another session's token is refused");
    let fresh = second
        .post(&comment, &[("csrf_token", &new), ("body", "with my token")])
        .await;
    assert_eq!(fresh.status, 303, "{}", fresh.body);
    // Signing out ends the session; its cookie signs in nobody.
    let out = second.post("/logout", &[("csrf_token", &new)]).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(second.get("/").await.status, 401);
    assert_eq!(first.get("/").await.status, 200, "the other session lives on");
}

/// The feed address from the calendar page, as a path on the test app.
async fn feed_of(app: &TestApp, user: &str) -> (String, String) {
    let r = app
        .http
        .get(app.url("/calendar"))
        .header("X-Forwarded-User", user)
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    let at = body
        .find("class=\"feed-url\" readonly value=\"")
        .expect("a feed address")
        + 33;
    let url = body[at..at + body[at..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/");
    (path_of(&url), csrf_token_in(&body))
}

#[tokio::test]
async fn the_calendar_feed_address_expires_and_can_be_revoked() {
    let ws = TestWorkspace::init();
    crate::hardening::routes::behind_proxy(&ws);
    let app = TestApp::start(&ws).await;
    let (feed, token) = feed_of(&app, SALES).await;
    assert_eq!(app.get(&feed).await.status, 200, "{feed}");
    // It names its last day, 180 days on, and the token covers it.
    let until = feed.split("until=").nth(1).unwrap()[..10].to_string();
    let expected = (time::OffsetDateTime::now_utc() + time::Duration::days(180))
        .date()
        .to_string();
    assert_eq!(until, expected);
    for other in ["2099-12-31", "2020-01-01"] {
        assert_eq!(app.get(&feed.replace(&until, other)).await.status, 401, "until={other}");
    }
    // Revoking voids it; the page then offers a new one that works.
    let r = app
        .http
        .post(app.url("/calendar/feed"))
        .header("X-Forwarded-User", SALES)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&feed).await.status, 401, "a revoked address");
    let (fresh, _) = feed_of(&app, SALES).await;
    assert_ne!(fresh, feed);
    assert_eq!(app.get(&fresh).await.status, 200);
    app.stop().await;
}

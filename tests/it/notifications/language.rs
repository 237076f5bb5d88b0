//! Each person's mail in their own language: the language switch, the
//! signed settings link, and the browser's language at sign-in until the
//! person chooses.

use super::{BASE, query_value, settings_link, subjects, workspace};
use crate::support::*;

#[tokio::test]
async fn each_recipient_reads_their_mail_in_the_language_they_chose() {
    let (ws, smtp) = workspace();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "test", LEE);
    // The requester switches the pages to Dutch: their mails follow.
    let app = TestApp::start_as(&ws, SALES).await;
    assert_eq!(app.get("/?lang=nl").await.status, 200);
    app.stop().await;
    ws.set_dev_user(None);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();

    let state: Vec<Mail> = smtp
        .to(SALES)
        .into_iter()
        .filter(|m| m.subject().contains(" is nu "))
        .collect();
    assert_eq!(state.len(), 1, "{:#?}", subjects(&smtp.to(SALES)));
    assert!(
        state[0].text.contains("Kies welke mails je krijgt"),
        "{}",
        state[0].text
    );
    assert!(
        state[0].text.contains(&format!("{BASE}/settings\n")),
        "{}",
        state[0].text
    );
    assert!(state[0].html.contains("<html lang=\"nl\">"), "{}", state[0].html);

    // Kim, outside access.yaml, follows the signed link in her invitation: no sign-in.
    let invitation = smtp.latest_link_mail(KIM);
    assert!(
        invitation.subject().starts_with("Please test"),
        "{}",
        invitation.subject()
    );
    assert!(
        invitation.text.contains("Choose which mails you get"),
        "{}",
        invitation.text
    );
    let link = settings_link(&invitation);
    assert!(
        link.starts_with(&format!("{BASE}/settings/mail?address=kim%40example.org&sig=")),
        "{link}"
    );
    let server = TestApp::start(&ws).await;
    let page = server.follow(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(KIM), "{}", page.body);
    assert!(page.body.contains("type=\"radio\""), "{}", page.body);
    let sig = query_value(&link, "sig");

    // A tampered link, or Kim's signature on another address, is refused.
    let mut bad = sig.clone();
    let last = if bad.ends_with('0') { '1' } else { '0' };
    bad.pop();
    bad.push(last);
    let tampered = server
        .get(&format!("/settings/mail?address=kim%40example.org&sig={bad}"))
        .await;
    assert_eq!(tampered.status, 404);
    let other = server
        .get(&format!("/settings/mail?address=lee%40example.org&sig={sig}"))
        .await;
    assert_eq!(other.status, 404);
    let form = |sig: &str, csrf: &str| {
        vec![
            ("csrf_token".to_string(), csrf.to_string()),
            ("address".to_string(), KIM.to_string()),
            ("sig".to_string(), sig.to_string()),
            ("preference".to_string(), "every".to_string()),
            ("locale".to_string(), "nl".to_string()),
        ]
    };
    assert_eq!(
        server
            .post_owned("/settings/mail", &form(&bad, &page.csrf()))
            .await
            .status,
        404
    );
    assert_ne!(server.post_owned("/settings/mail", &form(&sig, "00")).await.status, 303);
    let mut unknown = form(&sig, &page.csrf());
    unknown[3].1 = "weekly".to_string();
    let refused = server.post_owned("/settings/mail", &unknown).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("choose which mails you want"), "{}", refused.body);
    let saved = server.post_owned("/settings/mail", &form(&sig, &page.csrf())).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.location.ends_with("&done=saved"), "{}", saved.location);
    let again = server.get(&path_of(&link)).await;
    assert!(
        again.body.contains("value=\"nl\" lang=\"nl\" checked"),
        "{}",
        again.body
    );
    server.stop().await;

    // The reminders: Kim's in Dutch, Lee's in English.
    ws.flush_with(&[], &[("DTAP_SIGNOFF_REMIND_AFTER", "0s")]);
    let kim = smtp.latest_link_mail(KIM);
    assert!(
        kim.subject().starts_with("Herinnering: graag testen"),
        "{}",
        kim.subject()
    );
    assert!(kim.text.contains("Kies welke mails je krijgt"), "{}", kim.text);
    let lee = smtp.latest_link_mail(LEE);
    assert!(lee.subject().starts_with("Reminder: please test"), "{}", lee.subject());
    assert!(lee.text.contains("Choose which mails you get"), "{}", lee.text);
}

/// Signs `email` in through the mailed link with the browser asking for
/// `accept_language` (the file transport: the link is read from `.dtap/mail`).
async fn sign_in_asking(ws: &TestWorkspace, server: &TestApp, email: &str, accept_language: &str) -> String {
    let asked = server.submit("/login", "/login", &[("email", email)]).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    ws.flush();
    let link = ws.latest_mail_with_link(email, "/login/").links("/login/").remove(0);
    let path = path_of(&link);
    let form = server.get(&path).await;
    let http = http_no_redirect();
    let confirmed = Page::of(
        http.post(server.url(&path))
            .header("accept-language", accept_language)
            .form(&[("csrf_token", form.csrf())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    confirmed.cookie.expect("a session cookie")
}

#[tokio::test]
async fn the_browser_language_at_sign_in_counts_until_the_person_chooses() {
    let ws = TestWorkspace::init();
    let server = TestApp::start(&ws).await;
    sign_in_asking(&ws, &server, CM, "nl-NL,nl;q=0.9").await;
    let rfc = ws.file_rfc("Weekly sales button");
    ok(ws.as_user(SALES, &["rfc", "move", &rfc, "submit"]));
    ws.flush();
    let asked = ws.latest_mail_with_link(CM, "/rfcs/");
    assert_eq!(asked.subject(), format!("Graag beoordelen: {rfc}: Weekly sales button"));

    // A choice on the settings page wins over any browser after it.
    let cookie = sign_in_asking(&ws, &server, CM, "nl").await;
    let page = Page::of(
        http_no_redirect()
            .get(server.url("/settings"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.body.contains("value=\"nl\" lang=\"nl\" checked"), "{}", page.body);
    let saved = Page::of(
        http_no_redirect()
            .post(server.url("/settings"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf_token", page.csrf()),
                ("preference", "every".into()),
                ("locale", "en".into()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    sign_in_asking(&ws, &server, CM, "nl").await;
    let other = ws.file_rfc("Invoice overview");
    ok(ws.as_user(SALES, &["rfc", "move", &other, "submit"]));
    ws.flush();
    let asked = ws.latest_mail_with_link(CM, &format!("/rfcs/{other}"));
    assert_eq!(asked.subject(), format!("Please assess {other}: Invoice overview"));
    server.stop().await;
}

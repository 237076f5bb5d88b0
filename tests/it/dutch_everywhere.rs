//! Every string the server writes goes through the catalogue (issue 19): a
//! Dutch page or mail holds no English sentence of the catalogue's English
//! side, and nothing marked untranslated (`⟦…⟧`). The walk covers the pages
//! people use, the refusals, validation errors and notices on them, the
//! timeline, the audit trail, and the invitation, state and rejection mails.

use crate::support::{ADMIN, FA, KIM, SALES, TestApp, TestWorkspace, csrf_token_in, html_escape, ok};

/// HTML as a reader sees its characters (the entities minijinja writes).
fn unescaped(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Fails naming `what` and every English sentence found in `text`.
#[track_caller]
fn assert_dutch(what: &str, text: &str, english: &[String]) {
    let text = unescaped(text);
    assert!(!text.contains('⟦'), "{what} has an untranslated text:\n{text}");
    let found: Vec<&String> = english.iter().filter(|e| text.contains(e.as_str())).collect();
    assert!(found.is_empty(), "{what} in Dutch holds English: {found:#?}\n{text}");
}

#[tokio::test]
async fn dutch_pages_and_mails_hold_no_english_sentence() {
    let english = dtap::locale::english_sentences(3);
    let ws = TestWorkspace::init();
    // Dutch for everyone: pages without a choice, and every mail.
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    ws.write(
        "dtap.toml",
        &toml.replace("default_locale = \"en\"", "default_locale = \"nl\""),
    );
    let id = ws.approved_rfc("Weekly sales button");
    ws.appoint(&id, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&id], "v1");
    ws.promote(ADMIN, "test");
    ws.flush();

    let app = TestApp::start_as(&ws, ADMIN).await;
    // The tester rejects through the mailed link: a sign-off page, a rejection mail, a timeline entry.
    let link = ws.latest_mail_with_link(KIM, "/signoff/").link();
    let form = app.follow(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_dutch("the sign-off page", &form.body, &english);
    // A verdict with nothing filled in: the form again, with its errors.
    let path = crate::support::path_of(&link);
    let empty = app
        .post(&path, &[("csrf_token", csrf_token_in(&form.body).as_str())])
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert_dutch("the sign-off form with errors", &empty.body, &english);
    let done = app.reject(&link, "Totals are off").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_dutch("the sign-off receipt", &done.body, &english);

    let rfc = format!("/rfcs/{id}");
    for path in [
        "/",
        "/rfcs",
        rfc.as_str(),
        "/rfcs/new",
        "/rfcs/new?template=report",
        "/access",
        "/audit",
        "/calendar",
        "/reports",
        "/reports?since=1nov",
        "/deployments",
        "/rfcs/RFC-99",
        "/login",
        "/login/not-a-token",
        "/signoff/not-a-token",
        "/no/such/page",
    ] {
        let page = app.get(path).await;
        assert!(page.status < 500, "{path}: {}", page.body);
        assert!(page.body.contains("<html lang=\"nl\""), "{path} is not Dutch");
        assert_dutch(path, &page.body, &english);
    }
    // A bad date in the reports' filter: the field's label and the reason, in Dutch.
    let bad = app.get("/reports?since=1nov").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("is geen datum"), "{}", bad.body);
    // The timeline names what happened in Dutch, states included.
    let page = app.get(&rfc).await;
    assert!(page.body.contains("in ontwikkeling"), "{}", page.body);
    assert!(
        page.body.contains("afgewezen in Test op crm-core 1.0.0"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("</strong> ingediend</li>"),
        "a move's state named once: {}",
        page.body
    );

    // A validation error on the new-request form: the field's label, in Dutch.
    let filed = app
        .submit(
            "/rfcs/new?template=report",
            "/rfcs",
            &[("template", "report"), ("title", "")],
        )
        .await;
    assert_eq!(filed.status, 422, "{}", filed.body);
    assert!(filed.body.contains("is verplicht"), "{}", filed.body);
    assert_dutch("the new-request form with an error", &filed.body, &english);

    // A refused transition on the RFC page (ADMIN did not request it; the RFC cannot be submitted now).
    let refused = app
        .submit(&rfc, &format!("{rfc}/transition"), &[("transition", "submit")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("kan niet ingediend worden"), "{}", refused.body);
    assert_dutch("a refused transition", &refused.body, &english);
    // A notice after an action.
    let commented = app
        .submit(&rfc, &format!("{rfc}/comments"), &[("body", "Looks good")])
        .await;
    assert_eq!(commented.status, 303, "{}", commented.body);
    let page = app.get(&commented.location).await;
    assert!(page.body.contains("Je opmerking is toegevoegd."), "{}", page.body);
    assert_dutch("the page after commenting", &page.body, &english);
    // The audit trail's outcome of that refusal.
    let audit = app.get("/audit").await;
    assert!(audit.body.contains("geweigerd"), "{}", audit.body);
    app.stop().await;

    // The route guard's 403 for someone outside access.yaml, with its reason in Dutch.
    let outsider = TestApp::start_as(&ws, KIM).await;
    let page = outsider.get("/").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains(&html_escape("heeft geen rol in access.yaml")),
        "{}",
        page.body
    );
    assert_dutch("the guard's refusal", &page.body, &english);
    outsider.stop().await;

    // Someone who may file but not edit: a refused edit on the error page.
    let requester = TestApp::start_as(&ws, SALES).await;
    let page = requester.get(&format!("{rfc}/edit")).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_dutch("a refused edit", &page.body, &english);
    requester.stop().await;

    // The mails: invitation, state changes, the rejection.
    ok(ws.as_user(FA, &["rfc", "move", &id, "hold", "--comment", "Waiting for budget"]));
    ws.flush();
    let mails = ws.mailbox();
    let kinds: Vec<&str> = mails.iter().map(|m| m.subject()).collect();
    assert!(kinds.iter().any(|s| s.starts_with("Graag testen")), "{kinds:?}");
    assert!(kinds.iter().any(|s| s.contains("afgekeurd")), "{kinds:?}");
    assert!(kinds.iter().any(|s| s.contains("is nu")), "{kinds:?}");
    for m in &mails {
        let what = format!("the mail {:?}", m.subject());
        assert_dutch(&what, m.subject(), &english);
        assert_dutch(&what, &m.text, &english);
        assert_dutch(&what, &m.html, &english);
    }
}

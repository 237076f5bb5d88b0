//! A workspace's own words in two languages: the default templates and
//! environment labels carry `{en, nl}`, so a Dutch page, form and invitation
//! mail show the template's questions, options, test cases and the
//! environments in Dutch, and an English one in English; a chosen option is
//! shown by its label, never by its stored value.

use crate::support::{ADMIN, KIM, RM, Smtp, TestApp, TestWorkspace};

#[tokio::test]
async fn templates_and_environments_speak_the_pages_language() {
    let ws = TestWorkspace::init();
    let rfc = ws.file_rfc("Weekly sales button");
    let server = TestApp::start_as(&ws, ADMIN).await;

    let nl = server.get(&format!("/rfcs/{rfc}?lang=nl")).await.body;
    for dutch in [
        "Rapport of dashboard",                       // the template's title
        "Wat wil je zien?",                           // a question
        "Mijn dashboard",                             // a chosen option, by its Dutch label
        "Rapport toont de juiste records en totalen", // a test case from the template
        "Laag",                                       // risk `low`, by its label
        "Ontwikkel → Test → Acceptatie → Productie",  // the footer, from the pipeline
    ] {
        assert!(nl.contains(dutch), "{dutch:?} missing from the Dutch page:\n{nl}");
    }
    for english in [
        "What do you want to see?",
        "Report shows the right records and totals",
        "<dd>low</dd>",
    ] {
        assert!(!nl.contains(english), "{english:?} on the Dutch page");
    }

    let en = server.get(&format!("/rfcs/{rfc}?lang=en")).await.body;
    for english in [
        "Report or dashboard",
        "What do you want to see?",
        "<dd>My dashboard</dd>",
        "<dd>Low</dd>",
        "Develop → Test → Acceptance → Production",
    ] {
        assert!(en.contains(english), "{english:?} missing from the English page:\n{en}");
    }

    // The form offers Dutch labels but posts the stored values.
    let form = server.get("/rfcs/new?template=report&lang=nl").await.body;
    assert!(
        form.contains(r#"<option value="My home page">Mijn startpagina</option>"#),
        "{form}"
    );
    assert!(form.contains(r#"<option value="should">Zou moeten</option>"#), "{form}");
    assert!(form.contains("Vorige week"), "{form}");

    // The dashboard's columns are the environments' labels in the page's language.
    let dash = server.get("/?lang=nl").await.body;
    assert!(dash.contains("Acceptatie") && !dash.contains(">Acceptance<"), "{dash}");
    server.stop().await;
}

#[tokio::test]
async fn a_dutch_invitation_names_the_test_cases_and_environment_in_dutch() {
    let ws = TestWorkspace::init();
    ws.edit("dtap.toml", "default_locale = \"en\"", "default_locale = \"nl\"");
    let smtp = Smtp::start(&ws);
    ws.use_smtp(smtp.port);
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    crate::support::ok(ws.promote(RM, "test"));
    ws.flush();
    let mail = smtp.to(KIM).pop().expect("an invitation");
    assert!(mail.subject().starts_with("Graag testen"), "{}", mail.subject());
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("Rapport toont de juiste records en totalen"), "{part}");
        assert!(part.contains("Kies de gevraagde periode."), "the steps too: {part}");
        assert!(!part.contains("Report shows the right records"), "{part}");
    }
}

#[tokio::test]
async fn date_filters_take_and_show_the_pages_date_format() {
    let ws = TestWorkspace::init();
    ws.file_rfc("Weekly sales button");
    let server = TestApp::start_as(&ws, ADMIN).await;
    let today = time::OffsetDateTime::now_utc().date();
    let (iso, dutch) = (
        format!("{:04}-{:02}-{:02}", today.year(), u8::from(today.month()), today.day()),
        format!("{:02}-{:02}-{:04}", today.day(), u8::from(today.month()), today.year()),
    );

    // Typed the Dutch way on a Dutch page, shown back the same way, and it filters.
    let nl = server.get(&format!("/audit?lang=nl&since={dutch}")).await;
    assert_eq!(nl.status, 200, "{}", nl.body);
    assert!(nl.body.contains("Sinds (DD-MM-JJJJ)"), "{}", nl.body);
    assert!(
        nl.body.contains(&format!(r#"name="since" value="{dutch}""#)),
        "{}",
        nl.body
    );
    assert!(nl.body.contains("rfc.file"), "today's filing is found: {}", nl.body);
    // The English way, on an English page.
    let en = server.get(&format!("/audit?lang=en&since={iso}")).await;
    assert!(
        en.body.contains(&format!(r#"name="since" value="{iso}""#)),
        "{}",
        en.body
    );
    assert!(en.body.contains("Since (YYYY-MM-DD)"), "{}", en.body);
    let later = server.get(&format!("/audit?lang=en&since={}", today.year() + 1)).await;
    assert_eq!(later.status, 422, "a year alone is no date");
    let bad = server.get("/reports?lang=nl&until=31-02-2026").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body
            .contains("31-02-2026 is geen datum: schrijf hem als DD-MM-JJJJ"),
        "{}",
        bad.body
    );
    server.stop().await;
}

//! Who gets which mail, in their language (issue 19), end to end over real
//! SMTP: each recipient's language, the preferences (every event, a daily
//! digest, only what needs them), the signed settings link in every mail,
//! comments and mentions, and the round a rejection ends.

mod language;

use crate::support::*;

pub(super) const BASE: &str = "https://dtap.example.org";

pub(super) fn workspace() -> (TestWorkspace, Smtp) {
    let ws = TestWorkspace::init();
    let smtp = Smtp::start(&ws);
    ws.use_smtp(smtp.port);
    ws.set_base_url(BASE);
    (ws, smtp)
}

/// `user` (a member) chooses on `/settings`, signed in.
pub(super) async fn choose(ws: &TestWorkspace, user: &str, preference: &str, locale: &str) {
    let app = TestApp::start_as(ws, user).await;
    let saved = app
        .submit(
            "/settings",
            "/settings",
            &[("preference", preference), ("locale", locale)],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location, "/settings?done=saved");
    app.stop().await;
    ws.set_dev_user(None);
}

pub(super) fn subjects(mails: &[Mail]) -> Vec<String> {
    mails.iter().map(|m| m.subject().to_string()).collect()
}

/// The one settings link at the end of a mail to someone outside access.yaml.
pub(super) fn settings_link(mail: &Mail) -> String {
    let links = mail.links("/settings/mail?");
    assert_eq!(links.len(), 1, "{mail:#?}");
    links[0].clone()
}

pub(super) fn query_value(link: &str, key: &str) -> String {
    link.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {link}"))
        .to_string()
}

#[tokio::test]
async fn a_digest_reader_gets_one_mail_for_the_days_events_once_the_day_is_over() {
    let (ws, smtp) = workspace();
    choose(&ws, SALES, "digest", "en").await;
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();
    assert_eq!(
        subjects(&smtp.to(SALES)),
        Vec::<String>::new(),
        "nothing before the day is over"
    );

    // The day is over; two workers (as two `serve` instances) sweep at once:
    // one digest.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| ws.flush_with(&[], &[("DTAP_CLOCK_OFFSET", "1d")]));
        }
    });
    let digest = smtp.to(SALES);
    assert_eq!(digest.len(), 1, "{:#?}", subjects(&digest));
    assert_eq!(digest[0].subject(), "Your daily dtap summary: 2 updates");
    for said in [format!("{rfc} is now Approved"), format!("{rfc} is now In test")] {
        assert!(digest[0].text.contains(&said), "{said} in {}", digest[0].text);
    }
    assert!(
        digest[0].text.contains(&format!("{BASE}/settings\n")),
        "{}",
        digest[0].text
    );
    // Once.
    ws.flush_with(&[], &[("DTAP_CLOCK_OFFSET", "1d")]);
    assert_eq!(smtp.to(SALES).len(), 1);
}

#[tokio::test]
async fn only_what_needs_me_brings_invitations_but_no_state_mails() {
    let (ws, smtp) = workspace();
    choose(&ws, SALES, "needed", "en").await;
    choose(&ws, CM, "needed", "en").await;
    let own = ws.approved_rfc("Weekly sales button");
    // An RFC of the functional admin's, which sales is to test.
    let mut args = vec![
        "rfc",
        "new",
        "--template",
        "report",
        "--title",
        "Invoice overview",
        "--json",
    ];
    for f in &REPORT_FIELDS {
        args.extend(["--field", f]);
    }
    let other = json_of(&ws.as_user(FA, &args))["id"].as_str().unwrap().to_string();
    ok(ws.as_user(FA, &["rfc", "move", &other, "submit"]));
    ok(ws.as_user(CM, &["rfc", "move", &other, "approve"]));
    ws.appoint(&other, "test", SALES);
    ws.put_package("crm-core", "1.0.0", &[&own, &other], "v1");
    ws.promote(RM, "test");
    ws.flush();

    assert_eq!(
        subjects(&smtp.to(SALES)),
        [format!("Please test {other} in Test: Invoice overview")]
    );
    let fa = subjects(&smtp.to(FA));
    assert!(
        fa.contains(&format!("{other} is now In test: Invoice overview")),
        "{fa:#?}"
    );
    // An assessment request needs the change manager: it comes whatever they chose.
    let cm = subjects(&smtp.to(CM));
    assert!(
        cm.contains(&format!("Please assess {other}: Invoice overview")),
        "{cm:#?}"
    );
    assert!(
        cm.contains(&format!("Please assess {own}: Weekly sales button")),
        "{cm:#?}"
    );
}

#[tokio::test]
async fn a_comment_mails_the_requester_the_testers_and_whom_it_mentions_never_its_author() {
    let (ws, smtp) = workspace();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "test", LEE);
    let fa = TestApp::start_as(&ws, FA).await;
    let body = "Could @cm@example.org check the totals? @fa@example.org and @stranger@example.com too.";
    let posted = fa
        .submit(
            &format!("/rfcs/{rfc}"),
            &format!("/rfcs/{rfc}/comments"),
            &[("body", body)],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let page = fa.get(&format!("/rfcs/{rfc}")).await;
    assert!(
        page.body.contains("<mark class=\"mention\">@cm@example.org</mark>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(" and @stranger@example.com too."), "{}", page.body);
    fa.stop().await;
    ws.set_dev_user(None);
    ws.flush();

    let cm: Vec<Mail> = smtp
        .to(CM)
        .into_iter()
        .filter(|m| m.subject().contains("mentioned you"))
        .collect();
    assert_eq!(cm.len(), 1, "{:#?}", subjects(&smtp.to(CM)));
    assert_eq!(
        cm[0].subject(),
        format!("{FA} mentioned you on {rfc}: Weekly sales button")
    );
    assert!(cm[0].text.contains("check the totals"), "{}", cm[0].text);
    let told = format!("New comment on {rfc}: Weekly sales button");
    for who in [SALES, KIM, LEE] {
        assert!(
            subjects(&smtp.to(who)).contains(&told),
            "{who}: {:#?}",
            subjects(&smtp.to(who))
        );
    }
    let kim = smtp.to(KIM).into_iter().find(|m| m.subject() == told).unwrap();
    assert!(kim.text.contains("@cm@example.org check the totals"), "{}", kim.text);
    settings_link(&kim);
    let author = subjects(&smtp.to(FA));
    assert!(
        !author.iter().any(|s| s.contains("comment") || s.contains("mentioned")),
        "{author:#?}"
    );
    assert!(smtp.to("stranger@example.com").is_empty());
}

#[tokio::test]
async fn when_one_tester_rejects_the_others_hear_that_the_round_ended_and_why() {
    let (ws, smtp) = workspace();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "test", LEE);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();
    let (kim, lee) = (smtp.latest_link_mail(KIM).link(), smtp.latest_link_mail(LEE).link());

    let server = TestApp::start(&ws).await;
    let done = server.reject(&kim, "The totals are off by a week").await;
    assert_eq!(done.status, 200, "{}", done.body);
    ws.flush();
    let ended: Vec<Mail> = smtp
        .to(LEE)
        .into_iter()
        .filter(|m| m.subject().starts_with("No need to test"))
        .collect();
    assert_eq!(ended.len(), 1, "{:#?}", subjects(&smtp.to(LEE)));
    assert_eq!(
        ended[0].subject(),
        format!("No need to test {rfc} now: the test round ended")
    );
    for said in [KIM, "The totals are off by a week", "no longer needed"] {
        assert!(ended[0].text.contains(said), "{said} in {}", ended[0].text);
    }
    assert!(!subjects(&smtp.to(KIM)).iter().any(|s| s.starts_with("No need to test")));

    let page = server.follow(&lee).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("This test round has ended"), "{}", page.body);
    assert!(
        page.body.contains(&format!("{KIM} rejected {rfc} in Test")),
        "{}",
        page.body
    );
    let unknown = server.get("/signoff/made-up").await;
    assert_eq!(unknown.status, 404);
    assert!(!unknown.body.contains("round has ended"), "{}", unknown.body);
    server.stop().await;
}

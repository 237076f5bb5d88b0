//! Sign-off by mailed link and the mail outbox, end to end: the real binary
//! promotes and delivers over SMTP to a real server (aiosmtpd writing a
//! maildir), the real web app answers the links over HTTP, and the tests
//! assert what testers, requesters and release managers see: the mails they
//! get (decoded from MIME), the pages, RFC states and the gates.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::Value;

use crate::support::{
    ADMIN, FA, KIM, LEE, Mail, PAT, Page, RM, ReservedPort, SALES, Serve, Smtp, TestApp, TestWorkspace, case_ids, code,
    db_count, db_dump, db_execute, html_escape, json_of, ok, stdout, text, verdict_form,
};

const TEAM: &str = "crm-team@example.org";
/// `[web] base_url` of every workspace here: the links' address.
const BASE: &str = "https://dtap.example.org";
const GONE: &str = "This link does not work";

// ---------------------------------------------------------------- workspace helpers

/// Mail over SMTP to 127.0.0.1:`port`; links under [`BASE`].
fn use_smtp(ws: &TestWorkspace, port: u16) {
    ws.use_smtp(port);
    ws.set_base_url(BASE);
}

/// Adds a test case to the RFC's test plan for `env`, as the functional
/// admin does on the RFC's page.
async fn add_case(ws: &TestWorkspace, rfc: &str, env: &str, title: &str, expected: &str) {
    let fa = TestApp::start_as(ws, FA).await;
    let added = fa
        .submit(
            &format!("/rfcs/{rfc}"),
            &format!("/rfcs/{rfc}/cases"),
            &[
                ("op", "add"),
                ("environment", env),
                ("kind", "functional-test"),
                ("title", title),
                ("steps", "Open the dashboard as a sales rep"),
                ("expected", expected),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    fa.stop().await;
    ws.set_dev_user(None);
}

/// `promote --dry-run --json`: the exit code and the gates that failed.
fn dry_run(ws: &TestWorkspace, user: &str, env: &str) -> (Option<i32>, Vec<String>) {
    let out = ws.as_user(user, &["promote", "crm-core", "--to", env, "--dry-run", "--json"]);
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
    let failed = v["plan"]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan in {v:#}"))
        .iter()
        .flat_map(|p| p["gates"].as_array().unwrap().iter())
        .filter(|g| g["passed"] == false)
        .map(|g| g["gate"].as_str().unwrap().to_string())
        .collect();
    (code(&out), failed)
}

/// How many audit events of `action` `dtap audit` lists.
fn audited(ws: &TestWorkspace, action: &str) -> usize {
    json_of(&ws.dtap(&["audit", "--action", action, "--json"]))
        .as_array()
        .unwrap()
        .len()
}

fn recipients_of(row: &Value) -> Vec<String> {
    serde_json::from_str(row["recipients"].as_str().unwrap()).unwrap()
}

/// One RFC (`RFC-1`) with three test cases in test (the report template's
/// own and two added by the functional admin) and `testers` appointed there; crm-core 1.0.0 promoted into test by the release manager and the
/// outbox delivered to a running SMTP server.
struct Setup {
    ws: TestWorkspace,
    smtp: Smtp,
    rfc: String,
}

const CASE_TOTALS: &str = "Totals match the invoices";
const CASE_PERIOD: &str = "Only last week's deals";
const CASE_ACCEPT: &str = "The Monday meeting can use it";

async fn setup(testers: &[&str]) -> Setup {
    let ws = TestWorkspace::init();
    let smtp = Smtp::start(&ws);
    use_smtp(&ws, smtp.port);
    let rfc = ws.approved_rfc("Weekly sales button");
    for t in testers {
        ws.appoint(&rfc, "test", t);
    }
    add_case(&ws, &rfc, "test", CASE_TOTALS, "The sum equals last week's invoices").await;
    add_case(&ws, &rfc, "test", CASE_PERIOD, "No deal older than seven days").await;
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    let r = ws.flush();
    assert_eq!(r["dead"], 0, "{r}");
    assert_eq!(r["retried"], 0, "{r}");
    Setup { ws, smtp, rfc }
}

// ---------------------------------------------------------------- HTTP helpers

/// A GET of a whole address with a client of the test's own.
async fn get(http: &reqwest::Client, url: &str) -> Page {
    Page::of(http.get(url).send().await.unwrap()).await
}

async fn post(http: &reqwest::Client, url: &str, form: &[(String, String)]) -> Page {
    Page::of(http.post(url).form(form).send().await.unwrap()).await
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Every row but the rate-limit counters: counting hits is how a GET is
/// limited, so those rows change by design; nothing else may.
async fn dump(ws: &TestWorkspace) -> String {
    db_dump(ws, Some("rate_limits")).await
}

// ---------------------------------------------------------------- invitations

#[tokio::test]
async fn promotion_into_acceptance_mails_each_appointed_tester_once() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    ws.edit(
        "environments/acceptance.yaml",
        "notify: []",
        &format!("notify: [{TEAM}]"),
    );
    ws.appoint(&rfc, "acceptance", LEE);
    ws.appoint(&rfc, "acceptance", PAT);
    add_case(&ws, &rfc, "acceptance", CASE_ACCEPT, "Sales can prepare the meeting").await;

    // Into test: kim's invitation, a personal link on the configured base URL.
    let kim = smtp.to(KIM);
    assert_eq!(kim.len(), 1, "{kim:#?}");
    let invitation = &kim[0];
    assert_eq!(
        invitation.subject(),
        format!("Please test {rfc} in Test: Weekly sales button")
    );
    assert!(invitation.header("From").contains("dtap@example.org"));
    assert!(invitation.header("To").contains(KIM));
    assert!(
        invitation.header("Content-Type").starts_with("multipart/alternative"),
        "{invitation:#?}"
    );
    let link = invitation.link();
    let token = invitation.token();
    assert_eq!(link, format!("{BASE}/signoff/{token}"));
    assert!(
        token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "at least 128 random bits: {token}"
    );
    for part in [&invitation.text, &invitation.html] {
        assert!(part.contains(&rfc), "{part}");
        assert!(part.contains(CASE_TOTALS), "{part}");
        assert!(part.contains("crm-core 1.0.0"), "{part}");
    }
    assert!(
        invitation.html.contains(&format!("href=\"{}\"", html_escape(&link))),
        "{}",
        invitation.html
    );
    assert!(
        invitation.html.contains("“Weekly sales button”"),
        "QP decoded: {}",
        invitation.html
    );
    assert!(invitation.text.contains(CASE_PERIOD), "{}", invitation.text);
    assert!(
        invitation.html.contains(&html_escape(CASE_PERIOD)),
        "{}",
        invitation.html
    );
    assert!(!invitation.text.contains(CASE_ACCEPT), "only the test cases of test");

    // Only the token's SHA-256 is kept with the link.
    let links = dump(&ws).await;
    let link_rows: String = links.split("== ").filter(|t| t.starts_with("signoff_links:")).collect();
    assert!(link_rows.contains(&sha256_hex(&token)), "{link_rows}");
    assert!(!link_rows.contains(&token), "{link_rows}");

    // kim approves test; the release manager promotes into acceptance.
    let server = TestApp::start(&ws).await;
    let done = server.approve(&token).await;
    assert_eq!(done.status, 200, "{}", done.body);
    server.stop().await;
    let out = ws.promote(RM, "acceptance");
    assert!(!text(&out).contains(&token));
    let r = ws.flush();
    assert_eq!((r["dead"].as_i64(), r["retried"].as_i64()), (Some(0), Some(0)), "{r}");

    for tester in [LEE, PAT] {
        let got = smtp.to(tester);
        assert_eq!(got.len(), 1, "{tester}: {got:#?}");
        let m = &got[0];
        assert_eq!(m.recipients(), vec![tester.to_string()]);
        assert_eq!(
            m.subject(),
            format!("Please test {rfc} in Acceptance: Weekly sales button")
        );
        assert!(m.text.contains(CASE_ACCEPT), "{}", m.text);
        assert!(!m.text.contains(CASE_TOTALS), "{}", m.text);
        assert!(m.link().starts_with(&format!("{BASE}/signoff/")));
    }
    assert_ne!(smtp.latest_link_mail(LEE).token(), smtp.latest_link_mail(PAT).token());
    assert_eq!(smtp.to(KIM).len(), 1, "kim is no acceptance tester");
    // The notify list hears of the promotion; the requester of each state change.
    let team = smtp.to(TEAM);
    assert_eq!(team.len(), 1, "{team:#?}");
    assert_eq!(team[0].subject(), "crm-core 1.0.0 promoted to Acceptance");
    assert!(
        team[0].text.contains(&format!("crm-core (new) → 1.0.0 ({rfc})")),
        "{}",
        team[0].text
    );
    // (One flush delivers its mails concurrently: compare without order.)
    let mut sales: Vec<String> = smtp.to(SALES).iter().map(|m| m.subject().to_string()).collect();
    sales.sort();
    let mut expected = vec![
        format!("{rfc} is now Approved for build: Weekly sales button"),
        format!("{rfc} is now In test: Weekly sales button"),
        format!("{rfc} is now In acceptance: Weekly sales button"),
    ];
    expected.sort();
    assert_eq!(sales, expected);

    // Delivering again sends nothing twice; every mail is distinct.
    let before = smtp.messages().len();
    let r = ws.flush();
    assert_eq!(r["sent"], 0, "{r}");
    assert_eq!(smtp.messages().len(), before);
    let mut ids: Vec<String> = smtp.messages().iter().map(|m| m.message_id().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), before, "one Message-ID per mail");
    assert!(ws.mail_list(false).iter().all(|r| r["state"] == "sent"));
}

#[tokio::test]
async fn a_delivered_invitation_leaves_no_token_in_the_database() {
    let Setup { ws, smtp, rfc: _ } = setup(&[KIM]).await;
    let token = smtp.latest_link_mail(KIM).token();
    assert!(ws.mail_list(false).iter().all(|r| r["state"] == "sent"));
    let dump = dump(&ws).await;
    let holding: Vec<&str> = dump
        .split("== ")
        .filter(|t| t.contains(&token))
        .map(|t| t.split(':').next().unwrap())
        .collect();
    assert!(holding.is_empty(), "the link's token is stored in {holding:?}");
}

/// A login link is as secret as a sign-off link: once its mail is delivered,
/// no row of the database holds the live token.
#[tokio::test]
async fn a_delivered_login_mail_leaves_no_live_token_in_the_database() {
    let ws = TestWorkspace::init();
    let app = TestApp::start(&ws).await;
    let asked = app.submit("/login", "/login", &[("email", RM)]).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    ws.flush();
    let link = ws.latest_mail_with_link(RM, "/login/").links("/login/").remove(0);
    let token = link.trim_end_matches('/').rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 32, "{link}");
    assert!(ws.mail_list(false).iter().all(|r| r["state"] == "sent"));
    let dump = dump(&ws).await;
    let holding: Vec<&str> = dump
        .split("== ")
        .filter(|t| t.contains(&token))
        .map(|t| t.split(':').next().unwrap())
        .collect();
    assert!(holding.is_empty(), "the login token is stored in {holding:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_scanner_opening_every_link_changes_nothing() {
    let Setup { ws, smtp, rfc } = setup(&[KIM, LEE]).await;
    let server = TestApp::start(&ws).await;
    let tokens: Vec<String> = [KIM, LEE].iter().map(|t| smtp.latest_link_mail(t).token()).collect();
    let head = ws.tree_of("");
    let before = dump(&ws).await;

    for token in &tokens {
        let url = server.url(&format!("/signoff/{token}"));
        for _ in 0..3 {
            // A fresh client each time: no cookies, nothing but the link.
            let http = reqwest::Client::new();
            let r = http.get(&url).send().await.unwrap();
            assert!(r.headers().get("set-cookie").is_none());
            assert_eq!(r.headers()["cache-control"], "no-store");
            let p = Page::of(r).await;
            assert_eq!(p.status, 200, "{}", p.body);
            assert_eq!(p.referrer_policy.as_deref(), Some("same-origin"));
            for shown in [
                rfc.as_str(),
                "Weekly sales button",
                "crm-core 1.0.0",
                CASE_TOTALS,
                &html_escape(CASE_PERIOD),
            ] {
                assert!(p.body.contains(shown), "{shown} in {}", p.body);
            }
            assert_eq!(case_ids(&p.body).len(), 3, "the template's case and two of ours");
        }
        let head_r = reqwest::Client::new().head(&url).send().await.unwrap();
        assert_eq!(head_r.status(), 200);
    }

    assert_eq!(dump(&ws).await, before, "opening links changed the database");
    assert_eq!(ws.tree_of(""), head);
    let progress = &ws.rfc_json(&rfc)["signoffs"];
    assert!(
        progress.as_array().unwrap().iter().all(|p| p["verdict"].is_null()),
        "{progress:#}"
    );
    // The links still work for the testers themselves.
    for token in &tokens {
        let done = server.approve(token).await;
        assert_eq!(done.status, 200, "{}", done.body);
    }
    server.stop().await;
}

// ---------------------------------------------------------------- verdicts

/// Form fields, the status they get and what the page says.
type Refusal = (Vec<(String, String)>, u16, &'static str);

#[tokio::test]
async fn approving_by_post_works_once_and_satisfies_the_next_gate() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    let tree = ws.tree_of("test/crm-core");
    let (code, failed) = dry_run(&ws, RM, "acceptance");
    assert_eq!((code, failed), (Some(3), vec!["signoff:test".to_string()]));

    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let url = server.url(&format!("/signoff/{}", smtp.latest_link_mail(KIM).token()));
    let form = get(&http, &url).await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    // The template's own test case for test, and the two added.
    let [a, b, c] = case_ids(&form.body)[..] else {
        panic!("three cases: {}", form.body)
    };

    // Forms the rules refuse record nothing and leave the link usable.
    let refused: Vec<Refusal> = vec![
        (
            verdict_form(&csrf, "approve", "", &[(a, "pass", "")]),
            422,
            "mark this test case as passed or failed",
        ),
        (
            verdict_form(
                &csrf,
                "approve",
                "",
                &[(a, "pass", ""), (b, "fail", "six, not seven"), (c, "pass", "")],
            ),
            422,
            "a failed test case cannot be approved",
        ),
        (
            verdict_form(
                &csrf,
                "reject",
                "",
                &[(a, "pass", ""), (b, "fail", ""), (c, "pass", "")],
            ),
            422,
            "say what went wrong",
        ),
        (
            verdict_form(&csrf, "maybe", "", &[(a, "pass", ""), (b, "pass", ""), (c, "pass", "")]),
            422,
            "choose approve or reject",
        ),
        (
            verdict_form(
                "forged",
                "approve",
                "",
                &[(a, "pass", ""), (b, "pass", ""), (c, "pass", "")],
            ),
            403,
            "This form could not be accepted",
        ),
    ];
    for (fields, status, says) in &refused {
        let p = post(&http, &url, fields).await;
        assert_eq!(p.status, *status, "{}", p.body);
        assert!(p.body.contains(says), "{says} in {}", p.body);
        assert_eq!(p.referrer_policy.as_deref(), Some("same-origin"));
    }
    // A valid form posted from another site is refused too.
    let valid = verdict_form(
        &csrf,
        "approve",
        "Looks right",
        &[(a, "pass", "7 deals, 7 invoices"), (b, "pass", ""), (c, "pass", "")],
    );
    let cross = http
        .post(&url)
        .header("Origin", "https://evil.example")
        .form(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // Raw counts below: how many verdict rows exist is no page's business.
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM signoffs").await, 0);
    assert_eq!(get(&http, &url).await.status, 200);

    // From the links' own site it counts.
    let done = Page::of(
        http.post(&url)
            .header("Origin", BASE)
            .form(&valid)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.referrer_policy.as_deref(), Some("same-origin"));
    assert!(
        done.body.contains(&format!("Your approval of {rfc} is recorded")),
        "{}",
        done.body
    );
    assert!(
        done.body
            .contains("Every appointed tester has approved this version now")
    );

    // Once: the same form again, or the link opened again, finds it gone.
    let again = post(
        &http,
        &url,
        &verdict_form(
            &csrf,
            "reject",
            "changed my mind",
            &[(a, "fail", ""), (b, "pass", ""), (c, "pass", "")],
        ),
    )
    .await;
    assert_eq!(again.status, 404);
    assert!(again.body.contains(GONE));
    assert_eq!(get(&http, &url).await.status, 404);
    server.stop().await;

    // What was stored, case by case: read raw, as no command lists verdict
    // rows; the audit trail as `dtap audit` shows it.
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM signoffs").await, 1);
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM signoff_cases WHERE result = 'pass'").await,
        3
    );
    assert_eq!(
        db_count(
            &ws,
            "SELECT COUNT(*) FROM signoff_cases WHERE note = '7 deals, 7 invoices'"
        )
        .await,
        1
    );
    assert_eq!(audited(&ws, "signoff.approve"), 1);
    let v = ws.rfc_json(&rfc);
    assert_eq!(v["state"], "in_test", "approval in test moves nothing by itself");
    let kim = v["signoffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["tester"] == KIM)
        .unwrap();
    assert_eq!(kim["verdict"], "approve", "{kim:#}");
    assert_eq!(kim["environment"], "test");
    assert!(v["comments"].to_string().contains("Looks right"), "{v:#}");

    // The approval counts for exactly this tree: the acceptance gate holds now.
    assert_eq!(ws.tree_of("test/crm-core"), tree);
    assert_eq!(dry_run(&ws, RM, "acceptance"), (Some(0), vec![]));
}

/// crm-core promoted into acceptance after kim approved it in test; lee and
/// pat appointed there with one test case; mail delivered.
async fn in_acceptance() -> Setup {
    let s = setup(&[KIM]).await;
    s.ws.appoint(&s.rfc, "acceptance", LEE);
    s.ws.appoint(&s.rfc, "acceptance", PAT);
    add_case(
        &s.ws,
        &s.rfc,
        "acceptance",
        CASE_ACCEPT,
        "Sales can prepare the meeting",
    )
    .await;
    let server = TestApp::start(&s.ws).await;
    let done = server.approve(&s.smtp.latest_link_mail(KIM).token()).await;
    assert_eq!(done.status, 200, "{}", done.body);
    server.stop().await;
    s.ws.promote(RM, "acceptance");
    s.ws.flush();
    assert_eq!(s.ws.rfc_state(&s.rfc), "in_acceptance");
    s
}

#[tokio::test]
async fn every_acceptance_tester_approving_accepts_the_rfc_and_opens_production() {
    let Setup { ws, smtp, rfc } = in_acceptance().await;
    let server = TestApp::start(&ws).await;

    let first = server.approve(&smtp.latest_link_mail(LEE).token()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("It moves on once every appointed tester approved"));
    assert_eq!(ws.rfc_state(&rfc), "in_acceptance");
    // Production (four eyes: not the one who promoted into acceptance) waits for pat.
    let (code, failed) = dry_run(&ws, ADMIN, "production");
    assert_eq!(code, Some(3));
    assert!(failed.contains(&"signoff:acceptance".to_string()), "{failed:?}");

    let last = server.approve(&smtp.latest_link_mail(PAT).token()).await;
    assert_eq!(last.status, 200, "{}", last.body);
    assert!(
        last.body
            .contains("Every appointed tester has approved this version now")
    );
    assert!(last.body.contains("Accepted"), "{}", last.body);
    server.stop().await;
    assert_eq!(ws.rfc_state(&rfc), "accepted");
    assert_eq!(dry_run(&ws, ADMIN, "production"), (Some(0), vec![]));

    // The requester hears of it.
    ws.flush();
    let sales: Vec<String> = smtp.to(SALES).iter().map(|m| m.subject().to_string()).collect();
    assert_eq!(
        sales.last().unwrap(),
        &format!("{rfc} is now Accepted: Weekly sales button"),
        "{sales:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_posts_with_one_token_record_one_verdict() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    let server = TestApp::start(&ws).await;
    let url = server.url(&format!("/signoff/{}", smtp.latest_link_mail(KIM).token()));
    let form = get(&reqwest::Client::new(), &url).await;
    let csrf = form.csrf();
    let cases: Vec<(i64, &str, &str)> = case_ids(&form.body).into_iter().map(|id| (id, "pass", "")).collect();
    let fields = verdict_form(&csrf, "approve", "", &cases);

    // Each request from its own loopback address, so the per-address rate
    // limit lets them through; the per-link limit (10 a minute) turns the
    // rest away with 429 before they reach the verdict.
    const N: u8 = 100;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(N as usize));
    let mut tasks = Vec::new();
    for i in 0..N {
        let http = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 1, i + 1)))
            .build()
            .unwrap();
        let (url, fields, barrier) = (url.clone(), fields.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            post(&http, &url, &fields).await
        }));
    }
    let mut thanked = 0;
    let mut gone_bodies = std::collections::BTreeSet::new();
    let mut other = Vec::new();
    let mut limited = 0;
    for t in tasks {
        let p = t.await.unwrap();
        match p.status {
            200 if p.body.contains("Thank you") => thanked += 1,
            404 => {
                gone_bodies.insert(p.body);
            }
            429 => limited += 1,
            s => other.push((s, p.body)),
        }
    }
    assert!(limited >= 90 - 1, "the link's own budget: {limited} turned away");
    server.stop().await;
    assert!(other.is_empty(), "neither the verdict nor the gone page: {other:#?}");
    assert_eq!(thanked, 1);
    assert_eq!(gone_bodies.len(), 1, "every loser sees the same page");
    assert!(gone_bodies.first().unwrap().contains(GONE));

    // Exactly one verdict stored: counted raw, no command lists verdict rows;
    // and audited once.
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM signoffs").await, 1);
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM signoff_cases").await, 3);
    assert_eq!(audited(&ws, "signoff.approve"), 1);
    let events = ws.rfc_json(&rfc)["timeline"].clone();
    let signoffs = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "signoff")
        .count();
    assert_eq!(signoffs, 1, "{events:#}");
}

#[tokio::test]
async fn expired_forged_used_and_revoked_links_get_one_and_the_same_page() {
    let Setup { ws, smtp, rfc } = setup(&[KIM, LEE]).await;
    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let used = smtp.latest_link_mail(KIM).token();
    let form = get(&http, &server.url(&format!("/signoff/{used}"))).await;
    let used_csrf = form.csrf();
    assert_eq!(server.approve(&used).await.status, 200);
    let revoked = smtp.latest_link_mail(LEE).token();

    // A new version arrives with links that expire at once; lee's old link is replaced.
    ws.put_package("crm-core", "1.1.0", &[&rfc], "v2");
    ok(ws.dtap_env(
        &["promote", "crm-core", "--to", "test"],
        &[("DTAP_SIGNOFF_LINK_TTL", "0s")],
    ));
    ws.flush();
    let expired = smtp.latest_link_mail(LEE).token();
    assert_ne!(expired, revoked);
    let mut forged_one = expired.clone();
    let last = forged_one.pop().unwrap();
    forged_one.push(if last == '0' { '1' } else { '0' });

    let bad: Vec<(&str, String, String)> = vec![
        ("used", used.clone(), used_csrf.clone()),
        ("revoked", revoked.clone(), used_csrf.clone()),
        ("expired", expired.clone(), used_csrf.clone()),
        ("one character changed", forged_one, used_csrf.clone()),
        ("random", "0123456789abcdef".repeat(4), used_csrf.clone()),
        ("upper case", used.to_uppercase(), used_csrf.clone()),
        ("short", "x".into(), "x".into()),
    ];
    let mut pages = Vec::new();
    for (what, token, csrf) in &bad {
        let url = server.url(&format!("/signoff/{token}"));
        let g = get(&http, &url).await;
        let p = post(&http, &url, &verdict_form(csrf, "approve", "", &[])).await;
        for (method, p) in [("GET", g), ("POST", p)] {
            assert_eq!(p.status, 404, "{what} {method}: {}", p.body);
            assert_eq!(p.referrer_policy.as_deref(), Some("same-origin"), "{what} {method}");
            assert!(p.body.contains(GONE), "{what} {method}: {}", p.body);
            pages.push((format!("{what} {method}"), p.body));
        }
    }
    for (what, body) in &pages {
        assert_eq!(body, &pages[0].1, "{what} answers a page of its own");
    }
    server.stop().await;
    // Counted raw: no command lists verdict rows.
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM signoffs").await,
        1,
        "only kim's first verdict"
    );
}

#[tokio::test]
async fn sign_off_requests_are_rate_limited_per_address() {
    let Setup { ws, smtp, rfc: _ } = setup(&[KIM]).await;
    let server = TestApp::start(&ws).await;
    let token = smtp.latest_link_mail(KIM).token();
    let from = |last: u8| {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 2, last)))
            .build()
            .unwrap()
    };
    let guesser = from(1);
    for i in 0..30 {
        let p = get(&guesser, &server.url(&format!("/signoff/{i:064x}"))).await;
        assert_eq!(p.status, 404, "request {i}");
    }
    let r = guesser
        .get(server.url(&format!("/signoff/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "the 31st request in a minute");
    assert_eq!(r.headers()["retry-after"], "60");
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    // Another address is not held up; the link itself is untouched.
    let p = get(&from(2), &server.url(&format!("/signoff/{token}"))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    server.stop().await;
}

// ---------------------------------------------------------------- new trees and rejections

#[tokio::test]
async fn a_new_tree_makes_sign_offs_stale_and_invites_again() {
    let Setup { ws, smtp, rfc } = setup(&[KIM, LEE]).await;
    let server = TestApp::start(&ws).await;
    let kim_old = smtp.latest_link_mail(KIM).token();
    let lee_old = smtp.latest_link_mail(LEE).token();
    assert_eq!(server.approve(&kim_old).await.status, 200);
    let tree1 = ws.tree_of("test/crm-core");

    ws.put_package("crm-core", "1.1.0", &[&rfc], "v2");
    ws.promote(RM, "test");
    ws.flush();
    let tree2 = ws.tree_of("test/crm-core");
    assert_ne!(tree1, tree2);

    // Both testers get a fresh invitation for the new version.
    for (tester, old) in [(KIM, &kim_old), (LEE, &lee_old)] {
        let got = smtp.to(tester);
        assert_eq!(got.len(), 2, "{tester}: {got:#?}");
        let fresh = &got[1];
        assert!(fresh.text.contains("crm-core 1.1.0"), "{}", fresh.text);
        assert_ne!(&fresh.token(), old);
    }
    // lee's unused link for the old tree no longer works.
    let p = get(&reqwest::Client::new(), &server.url(&format!("/signoff/{lee_old}"))).await;
    assert_eq!(p.status, 404);
    assert!(p.body.contains(GONE));
    // kim's approval was for the old tree: it does not count for the new one.
    assert_eq!(
        dry_run(&ws, RM, "acceptance"),
        (Some(3), vec!["signoff:test".to_string()])
    );
    let progress = ws.rfc_json(&rfc)["signoffs"].clone();
    for p in progress.as_array().unwrap() {
        assert_eq!(p["version"], "1.1.0", "{progress:#}");
        assert!(p["verdict"].is_null(), "{progress:#}");
    }

    assert_eq!(server.approve(&smtp.latest_link_mail(KIM).token()).await.status, 200);
    assert_eq!(
        dry_run(&ws, RM, "acceptance"),
        (Some(3), vec!["signoff:test".to_string()]),
        "lee has not approved the new tree yet"
    );
    assert_eq!(server.approve(&smtp.latest_link_mail(LEE).token()).await.status, 200);
    server.stop().await;
    assert_eq!(dry_run(&ws, RM, "acceptance"), (Some(0), vec![]));
}

#[tokio::test]
async fn a_rejection_sends_the_rfc_back_to_development_and_tells_the_team() {
    let Setup { ws, smtp, rfc } = in_acceptance().await;
    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let url = server.url(&format!("/signoff/{}", smtp.latest_link_mail(LEE).token()));
    let form = get(&http, &url).await;
    // The template's acceptance case passed, ours failed.
    let [template_case, case] = case_ids(&form.body)[..] else {
        panic!("two acceptance cases: {}", form.body)
    };
    let done = post(
        &http,
        &url,
        &verdict_form(
            &form.csrf(),
            "reject",
            "The totals are off by one week",
            &[
                (template_case, "pass", ""),
                (case, "fail", "Shows 6 deals, the invoices say 7"),
            ],
        ),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains(&format!("Your rejection of {rfc} is recorded")),
        "{}",
        done.body
    );
    assert!(done.body.contains("In development"), "{}", done.body);
    assert_eq!(ws.rfc_state(&rfc), "in_development");

    // pat's link went with it: a new version will come.
    let pat = get(
        &http,
        &server.url(&format!("/signoff/{}", smtp.latest_link_mail(PAT).token())),
    )
    .await;
    assert_eq!(pat.status, 404);
    server.stop().await;

    let r = ws.flush();
    assert_eq!(r["dead"], 0, "{r}");
    let rejection: Vec<Mail> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains("rejected"))
        .collect();
    assert_eq!(rejection.len(), 1, "{rejection:#?}");
    let m = &rejection[0];
    assert_eq!(m.subject(), format!("{rfc} rejected in Acceptance by {LEE}"));
    let mut to = m.recipients();
    to.sort();
    assert_eq!(to, vec![ADMIN.to_string(), FA.to_string(), SALES.to_string()]);
    for part in [&m.text, &m.html] {
        for said in [
            "The totals are off by one week",
            CASE_ACCEPT,
            "Shows 6 deals, the invoices say 7",
            "fail",
            "crm-core 1.0.0",
        ] {
            assert!(part.contains(said), "{said} in {part}");
        }
    }
    assert!(m.text.contains("back in development"), "{}", m.text);
    let sales: Vec<String> = smtp.to(SALES).iter().map(|m| m.subject().to_string()).collect();
    assert!(
        sales.contains(&format!("{rfc} is now In development: Weekly sales button")),
        "{sales:#?}"
    );
    // Nothing reaches production from here.
    let (code, failed) = dry_run(&ws, ADMIN, "production");
    assert_eq!(code, Some(3));
    assert!(failed.contains(&"signoff:acceptance".to_string()), "{failed:?}");
}

// ---------------------------------------------------------------- reminders

#[tokio::test]
async fn reminders_bring_a_fresh_link_and_escalations_reach_release_managers() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    let first = smtp.latest_link_mail(KIM).token();

    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_REMIND_AFTER", "0s")]);
    assert_eq!(
        (r["reminded"].as_i64(), r["escalated"].as_i64()),
        (Some(1), Some(0)),
        "{r}"
    );
    assert_eq!(r["sent"], 1, "{r}");
    let reminder = smtp.latest_link_mail(KIM);
    assert_eq!(
        reminder.subject(),
        format!("Reminder: please test {rfc} in Test: Weekly sales button")
    );
    let second = reminder.token();
    assert_ne!(second, first);
    // Once only.
    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_REMIND_AFTER", "0s")]);
    assert_eq!(r["reminded"], 0, "{r}");

    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_ESCALATE_AFTER", "0s")]);
    assert_eq!(r["escalated"], 1, "{r}");
    let overdue: Vec<Mail> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject().starts_with("Sign-off overdue"))
        .collect();
    assert_eq!(overdue.len(), 1, "{overdue:#?}");
    assert_eq!(overdue[0].subject(), format!("Sign-off overdue: {rfc} in Test"));
    let mut to = overdue[0].recipients();
    to.sort();
    assert_eq!(
        to,
        vec![ADMIN.to_string(), RM.to_string()],
        "who may promote into acceptance"
    );
    assert!(overdue[0].text.contains(KIM), "{}", overdue[0].text);
    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_ESCALATE_AFTER", "0s")]);
    assert_eq!(r["escalated"], 0, "{r}");

    let server = TestApp::start(&ws).await;
    let old = get(&reqwest::Client::new(), &server.url(&format!("/signoff/{first}"))).await;
    assert_eq!(old.status, 404, "the reminder revoked the first link");
    assert_eq!(server.approve(&second).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_tester_reminded_in_the_round_that_escalated_another_is_still_escalated_later() {
    let Setup { ws, smtp, rfc } = setup(&[KIM, LEE]).await;
    // kim was invited two days ago, lee just now (time moved by hand).
    let two_days_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    // By hand, not by DTAP_CLOCK_OFFSET: one promotion invites both testers at
    // the same moment, and only kim's invitation must be older.
    db_execute(
        &ws,
        &[(
            "UPDATE signoff_links SET created_at = $1, invited_at = $1 WHERE tester = $2",
            &[&two_days_ago, KIM],
        )],
    )
    .await;
    // Remind at once, escalate after a day: kim is escalated, both reminded.
    let r = ws.flush_with(
        &[],
        &[
            ("DTAP_SIGNOFF_REMIND_AFTER", "0s"),
            ("DTAP_SIGNOFF_ESCALATE_AFTER", "1d"),
        ],
    );
    assert_eq!(
        (r["reminded"].as_i64(), r["escalated"].as_i64()),
        (Some(2), Some(1)),
        "{r}"
    );
    // Once lee is overdue too, the release managers hear of lee.
    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_ESCALATE_AFTER", "0s")]);
    assert_eq!(r["escalated"], 1, "lee was never escalated: {r}");
    let overdue: Vec<Mail> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject() == format!("Sign-off overdue: {rfc} in Test"))
        .collect();
    assert!(overdue.iter().any(|m| m.text.starts_with(LEE)), "{overdue:#?}");
}

/// A process killed between claiming an escalation and queueing its mail
/// loses neither: both sit in one transaction (DESIGN §6).
#[tokio::test]
async fn a_crash_while_escalating_never_loses_the_escalation_mail() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    let overdue = [("DTAP_SIGNOFF_ESCALATE_AFTER", "0s")];
    let crashed = ws.dtap_env(
        &["mail", "flush", "--json"],
        &[overdue[0], ("DTAP_FAILPOINT", "after-escalation-claim")],
    );
    assert!(
        !crashed.status.success(),
        "the fail point kills the sweep: {}",
        text(&crashed)
    );
    assert!(
        text(&crashed).contains("failpoint after-escalation-claim"),
        "{}",
        text(&crashed)
    );
    let r = ws.flush_with(&[], &overdue);
    assert_eq!(
        r["escalated"], 1,
        "the claim died with the process, so the next sweep escalates: {r}"
    );
    let mails: Vec<Mail> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.subject() == format!("Sign-off overdue: {rfc} in Test"))
        .collect();
    assert_eq!(mails.len(), 1, "{:#?}", smtp.messages());
    assert_eq!(ws.flush_with(&[], &overdue)["escalated"], 0, "escalated once");
}

/// The same for an emergency change nobody approved in time.
#[tokio::test]
async fn a_crash_while_escalating_an_emergency_never_loses_its_mail() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    // Due at once: nobody approves it within zero seconds.
    ok(ws.dtap_env(
        &[
            "promote",
            "crm-core",
            "--to",
            "test",
            "--emergency",
            "--reason",
            "Invoices stopped",
        ],
        &[("DTAP_EMERGENCY_REVIEW_WITHIN", "0s")],
    ));
    let emergency_mails = |ws: &TestWorkspace| {
        ws.mail_list(false)
            .into_iter()
            .filter(|m| m["kind"] == "emergency")
            .count()
    };
    let crashed = ws.dtap_env(
        &["mail", "flush", "--json"],
        &[("DTAP_FAILPOINT", "after-emergency-escalation-claim")],
    );
    assert!(
        !crashed.status.success(),
        "the fail point kills the sweep: {}",
        text(&crashed)
    );
    assert_eq!(emergency_mails(&ws), 0);
    ok(ws.dtap(&["mail", "flush", "--json"]));
    assert_eq!(emergency_mails(&ws), 1, "the next sweep escalates it");
    ok(ws.dtap(&["mail", "flush", "--json"]));
    assert_eq!(emergency_mails(&ws), 1, "and only once");
}

/// Time moves through dtap's clock, not through rewritten rows: two days
/// later by the clock (`remind_after` is 2d) the tester gets one reminder;
/// a clock offset that is not a duration is refused, naming the variable.
#[tokio::test]
async fn reminders_follow_the_clock() {
    let Setup { ws, smtp, rfc } = setup(&[KIM]).await;
    assert_eq!(ws.flush()["reminded"], 0, "nothing is due yet");
    let later = [("DTAP_CLOCK_OFFSET", "50h")];
    let r = ws.flush_with(&[], &later);
    assert_eq!(r["reminded"], 1, "two days on, kim is reminded: {r}");
    let reminder = smtp.latest_link_mail(KIM);
    assert!(reminder.subject().contains(&rfc), "{}", reminder.subject());
    assert_eq!(ws.flush_with(&[], &later)["reminded"], 0, "once");
    let bad = ws.dtap_env(&["mail", "flush"], &[("DTAP_CLOCK_OFFSET", "soon")]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("DTAP_CLOCK_OFFSET"), "{}", text(&bad));
}

/// A time written into the database by hand is an error that names the
/// value, never a panic: the reminder sweep skips that one link and goes on,
/// `emergency list` says what it cannot read.
#[tokio::test]
async fn a_malformed_time_in_the_database_is_an_error_never_a_panic() {
    let Setup { ws, smtp: _smtp, rfc } = setup(&[KIM, LEE]).await;
    ws.put_package("crm-core", "1.0.1", &[&rfc], "v1.0.1");
    ok(ws.as_user(
        RM,
        &["promote", "crm-core", "--to", "test", "--emergency", "--reason", "x"],
    ));
    // Tampering on purpose: a time no dtap writes.
    db_execute(
        &ws,
        &[(
            "UPDATE signoff_links SET created_at = 'soon', invited_at = 'soon'
             WHERE tester = $1 AND used_at IS NULL AND revoked_at IS NULL",
            &[KIM],
        )],
    )
    .await;
    let r = ws.flush_with(&[], &[("DTAP_SIGNOFF_REMIND_AFTER", "0s")]);
    assert_eq!(
        r["reminded"], 1,
        "lee is reminded; kim's unreadable link is skipped: {r}"
    );
    // Tampering on purpose, again.
    db_execute(&ws, &[("UPDATE emergency_reviews SET created_at = 'soon'", &[])]).await;
    let out = ws.dtap(&["emergency", "list"]);
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("`soon` is not a time"), "{}", text(&out));
}

// ---------------------------------------------------------------- delivery

#[tokio::test]
async fn mail_survives_an_smtp_outage_during_a_promotion() {
    let ws = TestWorkspace::init();
    // The server's port, held (bound, not listening) until the server comes back.
    let port = ReservedPort::new();
    use_smtp(&ws, port.port);
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");

    // Nothing listens: the promotion still happens, its mails wait in the outbox.
    ws.promote(RM, "test");
    assert_eq!(ws.rfc_state(&rfc), "in_test");
    let r = ws.flush();
    assert_eq!((r["sent"].as_i64(), r["dead"].as_i64()), (Some(0), Some(0)), "{r}");
    assert_eq!(
        r["retried"], 4,
        "kim's invitation, the requester's two state changes, the change board's assessment request: {r}"
    );
    let rows = ws.mail_list(false);
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let now = time::OffsetDateTime::now_utc();
    for row in &rows {
        assert_eq!(row["state"], "pending", "{row:#}");
        assert_eq!(row["attempts"], 1, "{row:#}");
        assert!(!row["last_error"].as_str().unwrap_or_default().is_empty(), "{row:#}");
        let next = time::OffsetDateTime::parse(
            row["next_attempt_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(next > now, "backed off: {row:#}");
    }
    assert!(ws.mail_list(true).is_empty());
    let kinds: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["message_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // The server comes back. Waiting rows are not due yet; --retry-now sends them.
    let smtp = Smtp::start_on(&ws, port, "aiosmtpd.handlers.Mailbox");
    let r = ws.flush();
    assert_eq!((r["sent"].as_i64(), r["retried"].as_i64()), (Some(0), Some(0)), "{r}");
    assert!(smtp.messages().is_empty());
    let r = ws.flush_with(&["--retry-now"], &[]);
    assert_eq!((r["sent"].as_i64(), r["dead"].as_i64()), (Some(4), Some(0)), "{r}");
    let got = smtp.messages();
    assert_eq!(got.len(), 4, "{got:#?}");
    let kim = smtp.to(KIM);
    assert_eq!(kim.len(), 1);
    assert!(kim[0].link().starts_with(&format!("{BASE}/signoff/")));
    // The very message the outbox fixed: its Message-ID.
    let mut delivered: Vec<String> = got.iter().map(|m| m.message_id().to_string()).collect();
    let mut queued: Vec<String> = kinds.iter().map(|(_, id)| id.clone()).collect();
    delivered.sort();
    queued.sort();
    assert_eq!(delivered, queued);

    // Nothing arrives twice.
    let r = ws.flush_with(&["--retry-now"], &[]);
    assert_eq!(r["sent"], 0, "{r}");
    assert_eq!(smtp.messages().len(), 4);
    for row in ws.mail_list(false) {
        assert_eq!(row["state"], "sent", "{row:#}");
        assert_eq!(row["attempts"], 2, "{row:#}");
        assert!(row["last_error"].is_null(), "{row:#}");
    }
}

const REJECT_LEE: &str = r#"
from aiosmtpd.handlers import Mailbox


class RejectLee(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == "lee@example.org":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

#[tokio::test]
async fn a_550_is_a_dead_letter_and_the_other_mails_arrive() {
    let ws = TestWorkspace::init();
    std::fs::write(ws.tmp.path().join("reject_lee.py"), REJECT_LEE).unwrap();
    let smtp = Smtp::start_with(&ws, "reject_lee.RejectLee");
    use_smtp(&ws, smtp.port);
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "test", LEE);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");

    let r = ws.flush();
    assert_eq!(
        (r["sent"].as_i64(), r["retried"].as_i64(), r["dead"].as_i64()),
        // Kim's invitation, the requester's two state changes and the change
        // board's assessment request arrive; Lee's invitation is refused.
        (Some(4), Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(smtp.to(KIM).len(), 1);
    assert_eq!(smtp.to(SALES).len(), 2);
    assert!(smtp.to(LEE).is_empty());

    let dead = ws.mail_list(true);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(recipients_of(&dead[0]), vec![LEE.to_string()]);
    assert_eq!(dead[0]["state"], "dead");
    assert_eq!(dead[0]["kind"], "invitation");
    assert_eq!(dead[0]["attempts"], 1);
    assert!(dead[0]["last_error"].as_str().unwrap().contains("550"), "{:#}", dead[0]);
    let listed = stdout(&ok(ws.dtap(&["mail", "list", "--failed"])));
    assert!(
        listed.contains(LEE) && listed.contains("dead") && listed.contains("550"),
        "{listed}"
    );

    // A dead letter stays dead; nothing is retried.
    let r = ws.flush_with(&["--retry-now"], &[]);
    assert_eq!(
        (r["sent"].as_i64(), r["retried"].as_i64(), r["dead"].as_i64()),
        (Some(0), Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(ws.mail_list(true).len(), 1);
    assert!(smtp.to(LEE).is_empty());
}

/// Neither the token nor a piece of it (a quoted-printable line break may
/// split one) shows in `log`.
#[track_caller]
fn assert_token_not_in(log: &str, token: &str) {
    for piece in [token, &token[..16], &token[token.len() - 16..]] {
        assert!(!log.contains(piece), "`{piece}` of the token is in the log:\n{log}");
    }
}

#[tokio::test]
async fn serve_never_logs_sign_off_tokens() {
    let Setup { ws, smtp, rfc: _ } = setup(&[KIM]).await;
    let token = smtp.latest_link_mail(KIM).token();
    let serve = Serve::start(&ws);
    let http = reqwest::Client::new();
    let url = format!("{}/signoff/{token}", serve.url);
    let form = get(&http, &url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let cases: Vec<(i64, &str, &str)> = case_ids(&form.body).into_iter().map(|id| (id, "pass", "")).collect();
    let done = post(&http, &url, &verdict_form(&form.csrf(), "approve", "", &cases)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let gone = get(&http, &url).await;
    assert_eq!(gone.status, 404);
    let log = serve.stop();
    assert!(log.contains("/signoff/[token]"), "requests are logged: {log}");
    assert_token_not_in(&log, &token);
    assert!(!log.contains(&sha256_hex(&token)), "{log}");
}

#[tokio::test]
async fn serve_delivers_the_outbox_on_its_own() {
    let ws = TestWorkspace::init();
    let smtp = Smtp::start(&ws);
    use_smtp(&ws, smtp.port);
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    let serve = Serve::start(&ws);
    // Written by another process (the CLI); the worker polls every 2 s.
    ws.promote(RM, "test");
    let mut arrived = Vec::new();
    for _ in 0..150 {
        arrived = smtp.to(KIM);
        if !arrived.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = serve.stop();
    assert_eq!(arrived.len(), 1, "no invitation within 15 s; serve logged:\n{log}");
    assert_token_not_in(&log, &arrived[0].token());
    assert!(ws.mail_list(false).iter().all(|r| r["state"] == "sent"));
}

//! The whole OTAP flow in a real headless Chromium, driven over W3C
//! WebDriver by chromedriver: the real `dtap serve` (web app and mail worker)
//! delivering over SMTP to a real server (aiosmtpd), people signing in by the
//! mailed link, the release managers promoting with the real CLI.
//!
//! Elements are found by attributes that stay put when the interface is
//! translated (`name`, `id`, form `action`), never by visible text.
//!
//! Screenshots of each step go to the workspace's temp folder; with
//! `DTAP_UPDATE_SCREENSHOTS=1` they replace the user guide's in
//! `docs/guide/img/` instead.
//!
//! Without chromium and chromedriver the test says so loudly and passes,
//! unless the browser is required (`DTAP_REQUIRE_BROWSER`, which CI sets):
//! then it fails. `support::browser::browser_or_skip` decides.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::browser::{BrowserBinaries, ChromeDriver, browser_or_skip};
use crate::support::mail::decode_base64;
use crate::support::{
    CM, FA, Mail, RM, SALES as REQUESTER, Serve, Smtp, TestApp, TestWorkspace, manifest, ok, path_of, stdout, text,
};

/// Also a release manager: production is `four_eyes`, so someone other than
/// whoever promoted into acceptance promotes into production.
pub(crate) const RM2: &str = "admin@example.org";
/// A key user: no role needed, appointing is enough.
pub(crate) const TESTER: &str = "kim@example.org";
const TITLE: &str = "Weekly sales button";

mod driver;
mod phone;

pub(crate) use driver::{ARROW_DOWN, Browser, ELEMENT, ENTER, SPACE, TAB, WAIT, axe_source};
pub(crate) use phone::rfc_in_test;

// ---------------------------------------------------------------- mail

/// The SMTP server's mail, and the links the test already used.
struct Inbox {
    smtp: Smtp,
    used: HashSet<String>,
}

impl Inbox {
    /// Waits for a mail to `rcpt` with a link under `base``kind` (`/login/`,
    /// `/signoff/`) not used before; returns that link and the mail.
    fn new_link(&mut self, rcpt: &str, base: &str, kind: &str, log: &Path) -> (String, Mail) {
        self.smtp
            .wait_new_link(rcpt, &format!("{base}{kind}"), &mut self.used, WAIT)
            .unwrap_or_else(|| {
                panic!(
                    "no new {kind} link for {rcpt} within {WAIT:?}; mails: {:#?}\nserve log: {}",
                    self.smtp.to(rcpt),
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })
    }
}

// ---------------------------------------------------------------- the flow's steps

fn rfc_state(ws: &TestWorkspace, id: &str) -> String {
    ws.rfc_state(id)
}

struct Flow {
    ws: TestWorkspace,
    serve: Serve,
    inbox: Inbox,
    b: Browser,
}

impl Flow {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.serve.url)
    }

    /// Signs in as `email` by the link mailed to them, from a cookie-less
    /// browser; `shots` names the screenshots of the two login pages.
    async fn sign_in(&mut self, email: &str, shots: Option<(&str, &str)>) {
        self.b.sign_out().await;
        self.b.goto(&self.url("/login")).await;
        self.b.fill("form[action='/login'] input[name='email']", email).await;
        if let Some((first, _)) = shots {
            self.b.screenshot(first).await;
        }
        self.b.click("form[action='/login'] button[type='submit']").await;
        let base = self.url("");
        let (link, _) = self.inbox.new_link(email, &base, "/login/", &self.serve.log);
        self.b.goto(&link).await;
        let path = link.strip_prefix(&base).unwrap();
        let confirm = format!("form[action='{path}'] button[type='submit']");
        self.b.find(&confirm).await;
        if let Some((_, second)) = shots {
            self.b.screenshot(second).await;
        }
        self.b.click(&confirm).await;
        self.b.wait_url("the dashboard", |u| u == self.url("/")).await;
        assert_eq!(self.b.text("header .who").await.trim(), email, "signed in as {email}");
    }

    /// Clicks the RFC page's button for `transition` and waits for the answer.
    async fn transition(&self, id: &str, transition: &str) {
        self.b
            .click(&format!(
                "form[action='/rfcs/{id}/transition']:has(input[name='transition'][value='{transition}']) \
                 button[type='submit']"
            ))
            .await;
        self.b
            .wait_url(&format!("{id} after {transition}"), |u| {
                u.ends_with(&format!("/rfcs/{id}?done={transition}"))
            })
            .await;
    }

    /// Appoints the tester for `env` in the RFC page's form.
    async fn appoint(&self, id: &str, env: &str) {
        // From the page without `?done=`: a second appointment would
        // otherwise find the address it waits for before its form is sent,
        // and the next step would act on a page about to be replaced.
        self.b.goto(&self.url(&format!("/rfcs/{id}"))).await;
        let form = format!("form[action='/rfcs/{id}/testers']:has(input[name='op'][value='add'])");
        self.b.fill(&format!("{form} input[name='email']"), TESTER).await;
        self.b
            .click(&format!("{form} select[name='environment'] option[value='{env}']"))
            .await;
        self.b.click(&format!("{form} button[type='submit']")).await;
        self.b
            .wait_url("the tester appointed", |u| {
                u.ends_with(&format!("/rfcs/{id}?done=tester"))
            })
            .await;
    }

    /// The tester opens the newest invitation's link, passes every case and
    /// approves.
    async fn sign_off(&mut self, shots: Option<(&str, &str, &str)>) {
        self.b.sign_out().await;
        let base = self.url("");
        let (link, mail) = self.inbox.new_link(TESTER, &base, "/signoff/", &self.serve.log);
        if let Some((invitation, _, _)) = shots {
            // The mail as the tester reads it: its HTML part, in the browser.
            assert!(!mail.html.is_empty(), "an HTML part: {mail:#?}");
            let file = self.ws.tmp.path().join("invitation.html");
            std::fs::write(&file, &mail.html).unwrap();
            self.b.goto(&format!("file://{}", file.display())).await;
            self.b.screenshot(invitation).await;
        }
        self.b.goto(&link).await;
        let form = format!("form[action='{}']", link.strip_prefix(&base).unwrap());
        let cases = self
            .b
            .all(&format!("{form} input[type='radio'][name^='case-'][value='pass']"))
            .await;
        assert!(
            !cases.is_empty(),
            "test cases on the sign-off form:\n{}",
            self.b.source().await
        );
        for e in &cases {
            self.b.must(Method::POST, &format!("/element/{e}/click"), None).await;
        }
        self.b
            .fill(
                &format!("{form} textarea[name^='note-']"),
                "Matches the invoices of last week",
            )
            .await;
        self.b
            .click(&format!("{form} input[name='verdict'][value='approve']"))
            .await;
        self.b
            .fill(&format!("{form} textarea[name='comment']"), "Works as asked")
            .await;
        if let Some((_, form_shot, _)) = shots {
            self.b.scroll_to(&format!("{form} input[name='verdict']")).await;
            self.b.screenshot(form_shot).await;
        }
        self.b.click(&format!("{form} button[type='submit']")).await;
        self.b.wait_gone(&format!("{form} input[name='verdict']")).await;
        if let Some((_, _, done)) = shots {
            self.b.screenshot(done).await;
        }
    }

    fn promote(&self, user: &str, env: &str) {
        self.ws.promote(user, env);
    }
}

/// Where the screenshots go: the guide's images folder only when asked, so an
/// ordinary test run leaves the checkout clean.
fn screenshot_dir(ws: &TestWorkspace) -> PathBuf {
    match std::env::var("DTAP_UPDATE_SCREENSHOTS").as_deref() {
        Ok("1") => Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guide/img"),
        _ => ws.tmp.path().join("screenshots"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otap_flow_in_a_real_browser() {
    let Some(binaries) = browser_or_skip("browser::otap_flow_in_a_real_browser") else {
        return;
    };
    let ws = TestWorkspace::init();
    let smtp = Smtp::start(&ws);
    ws.use_smtp(smtp.port);
    assert!(
        !ws.read("dtap.toml").contains("dev_user"),
        "people sign in by mail here"
    );
    // Links in mails point at serve: its address is in [web] base_url.
    let serve = Serve::start_at_base_url(&ws);
    let shots = screenshot_dir(&ws);
    let b = Browser::start(&ws, &binaries, shots.clone()).await;
    let mut f = Flow {
        ws,
        serve,
        inbox: Inbox {
            smtp,
            used: HashSet::new(),
        },
        b,
    };

    // 1. The requester signs in by mail and files a request from a template.
    f.sign_in(REQUESTER, Some(("01-login", "02-login-confirm"))).await;
    f.b.goto(&f.url("/rfcs/new")).await;
    f.b.find("a[href='/rfcs/new?template=report']").await;
    f.b.screenshot("03-new-request").await;
    f.b.click("a[href='/rfcs/new?template=report']").await;
    let form = "form[action='/rfcs']";
    f.b.fill(&format!("{form} input[name='title']"), TITLE).await;
    f.b.fill(
        &format!("{form} textarea[name='what_to_see']"),
        "All my closed deals of last week with customer, amount and product",
    )
    .await;
    // The template's defaults answer where, which period and who sees it.
    for select in ["where_to_show", "period"] {
        f.b.find(&format!("{form} select[name='{select}'] option[selected]"))
            .await;
    }
    let only_me = format!("{form} input[name='who_sees']");
    if !f.b.selected(&only_me).await {
        f.b.click(&only_me).await;
    }
    f.b.fill(
        &format!("{form} textarea[name='why_needed']"),
        "To prepare the Monday sales meeting without copying figures into Excel",
    )
    .await;
    f.b.fill(
        &format!("{form} textarea[name='how_to_know']"),
        "The total matches the invoices of the same week",
    )
    .await;
    f.b.fill(&format!("{form} input[name='expected_total']"), "42").await;
    f.b.click(&format!("{form} select[name='priority'] option[value='should']"))
        .await;
    f.b.fill(
        &format!("{form} textarea[name='impact_individual']"),
        "Saves me an hour every Monday",
    )
    .await;
    f.b.scroll_to(&format!("{form} input[name='title']")).await;
    f.b.screenshot("04-request-form").await;
    f.b.click(&format!("{form} button[type='submit']")).await;
    let url =
        f.b.wait_url("the new RFC's page", |u| {
            u.contains("/rfcs/RFC-") && u.ends_with("?done=created")
        })
        .await;
    let id = url
        .split("/rfcs/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(rfc_state(&f.ws, &id), "draft");
    f.transition(&id, "submit").await;
    f.b.screenshot("05-request-submitted").await;
    assert_eq!(rfc_state(&f.ws, &id), "submitted");

    // 2. The change manager assesses impact and risk, then approves.
    f.sign_in(CM, None).await;
    f.b.goto(&f.url(&format!("/rfcs/{id}"))).await;
    f.b.click(&format!("a[href='/rfcs/{id}/edit']")).await;
    let form = format!("form[action='/rfcs/{id}/edit']");
    f.b.fill(
        &format!("{form} textarea[name='impact_organisation']"),
        "None outside Sales",
    )
    .await;
    f.b.fill(
        &format!("{form} textarea[name='impact_department']"),
        "Sales saves an hour a week",
    )
    .await;
    f.b.click(&format!("{form} select[name='risk'] option[value='low']"))
        .await;
    f.b.screenshot("06-assess").await;
    f.b.click(&format!("{form} button[type='submit']")).await;
    f.b.wait_url("the assessment saved", |u| {
        u.ends_with(&format!("/rfcs/{id}?done=saved"))
    })
    .await;
    // The timeline names the fields as the form does, never by their ids.
    let timeline = f.b.text("ol.timeline").await;
    assert!(
        timeline.contains("edited: Impact on the department, Impact on the organisation, Risk"),
        "{timeline}"
    );
    f.transition(&id, "approve").await;
    f.b.screenshot("07-approved").await;
    assert_eq!(rfc_state(&f.ws, &id), "approved");

    // 3. The functional admin appoints the tester and adds a test case.
    f.sign_in(FA, None).await;
    f.b.goto(&f.url(&format!("/rfcs/{id}"))).await;
    f.appoint(&id, "test").await;
    f.appoint(&id, "acceptance").await;
    let form = format!("form[action='/rfcs/{id}/cases']:has(input[name='op'][value='add'])");
    // The form sits in a closed <details>: open it as a click on its summary would.
    let add_case = f.b.find(&form).await;
    f.b.must(
        Method::POST,
        "/execute/sync",
        Some(json!({"script": "arguments[0].closest('details').open = true;", "args": [{ ELEMENT: add_case }]})),
    )
    .await;
    f.b.fill(&format!("{form} input[name='title']"), "Only last week's deals")
        .await;
    f.b.click(&format!("{form} select[name='environment'] option[value='test']"))
        .await;
    f.b.fill(
        &format!("{form} textarea[name='steps']"),
        "1. Open the dashboard as a sales rep\n2. Look at the dates of the deals",
    )
    .await;
    f.b.fill(
        &format!("{form} textarea[name='expected']"),
        "No deal older than seven days",
    )
    .await;
    f.b.click(&format!("{form} button[type='submit']")).await;
    f.b.wait_url("the test case added", |u| u.contains(&format!("/rfcs/{id}?done=plan")))
        .await;
    f.b.goto(&f.url(&format!("/rfcs/{id}"))).await;
    f.b.scroll_to(&format!(
        "form[action='/rfcs/{id}/testers']:has(input[name='op'][value='add']) input[name='email']"
    ))
    .await;
    f.b.screenshot("08-testers").await;
    let shown: Value = f.ws.rfc_json(&id);
    assert!(shown.to_string().contains(TESTER), "{shown:#}");

    // 4. A CRM developer delivers the package in develop; the functional
    //    admin links the RFC to it; the release manager promotes it into
    //    test; the tester gets the invitation over SMTP.
    f.ws.commit_files(
        "crm-core 1.0.0: weekly sales button",
        &[
            ("develop/crm-core/package.yaml", &manifest("crm-core", "1.0.0", &[])),
            (
                "develop/crm-core/dashboards/weekly-sales.xml",
                "<dashboard name=\"weekly-sales\"/>\n",
            ),
        ],
    );
    ok(f.ws.as_user(FA, &["rfc", "link", &id, "--package", "crm-core"]));
    let shown: Value = f.ws.rfc_json(&id);
    assert_eq!(shown["package"], "crm-core", "{shown:#}");
    f.promote(RM, "test");
    assert_eq!(rfc_state(&f.ws, &id), "in_test");

    // 5. The tester signs off in test from the mailed link.
    f.sign_off(Some(("09-invitation-mail", "10-signoff-form", "11-signoff-done")))
        .await;

    // 6. Acceptance: promoted, signed off again by the key user.
    f.promote(RM, "acceptance");
    assert_eq!(rfc_state(&f.ws, &id), "in_acceptance");
    f.sign_off(None).await;
    assert_eq!(rfc_state(&f.ws, &id), "accepted");

    // 7. Production is four-eyes: not whoever promoted into acceptance.
    let refused = f.ws.as_user(RM, &["promote", "crm-core", "--to", "production"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    f.promote(RM2, "production");
    assert_eq!(rfc_state(&f.ws, &id), "released");

    // 8. The release notes list the RFC; the release manager's dashboard.
    let notes = stdout(&ok(f.ws.as_user(RM2, &["release-notes", "--env", "production"])));
    assert!(notes.contains(&id) && notes.contains(TITLE), "{notes}");
    let html = stdout(&ok(f
        .ws
        .as_user(RM2, &["release-notes", "--env", "production", "--format", "html"])));
    assert!(html.contains(&id), "{html}");
    f.sign_in(RM, None).await;
    f.b.goto(&f.url("/")).await;
    f.b.screenshot("12-dashboard").await;
    f.b.goto(&f.url(&format!("/rfcs/{id}"))).await;
    f.b.find("main").await;
    f.b.screenshot("13-rfc-released").await;
    let file = f.ws.tmp.path().join("release-notes.html");
    std::fs::write(&file, &html).unwrap();
    f.b.goto(&format!("file://{}", file.display())).await;
    f.b.screenshot("14-release-notes").await;

    // 9. What the web shows beside the CLI: a package's page from its
    //    dashboard cell, the release manager's own work, their mail settings.
    f.b.goto(&f.url("/packages/crm-core")).await;
    f.b.find("main").await;
    f.b.screenshot("15-package").await;
    f.b.goto(&f.url("/me")).await;
    f.b.find("main").await;
    f.b.screenshot("16-my-work").await;
    f.b.goto(&f.url("/settings")).await;
    f.b.find("main").await;
    f.b.screenshot("17-settings").await;

    let pngs = std::fs::read_dir(&shots).unwrap().count();
    assert!(pngs >= 17, "{pngs} screenshots in {}", shots.display());
}

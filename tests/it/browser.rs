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
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(30);

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

// ---------------------------------------------------------------- WebDriver

/// One browser session on a chromedriver of its own.
pub(crate) struct Browser {
    http: reqwest::Client,
    session: String,
    driver: ChromeDriver,
    shots: PathBuf,
    /// The viewport's size, as `size_viewport` last set it.
    size: std::sync::Mutex<(i64, i64)>,
}

impl Drop for Browser {
    /// Ends the session (and so the browser) even when the test panicked: a
    /// plain HTTP request, as Drop cannot await.
    fn drop(&mut self) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.driver.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
    }
}

impl Browser {
    pub(crate) async fn start(ws: &TestWorkspace, binaries: &BrowserBinaries, shots: PathBuf) -> Browser {
        let driver = ChromeDriver::start(ws, &binaries.chromedriver);
        let port = driver.port;
        let chromium = &binaries.chromium;
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,800", "--lang=en-US", "--no-first-run"],
            },
        }}});
        let r = http
            .post(format!("http://127.0.0.1:{port}/session"))
            .json(&caps)
            .send()
            .await
            .expect("chromedriver answers");
        let v: Value = r.json().await.unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| {
                panic!(
                    "no session: {v}\n{}",
                    std::fs::read_to_string(&driver.log).unwrap_or_default()
                )
            })
            .to_string();
        std::fs::create_dir_all(&shots).unwrap();
        let b = Browser {
            http,
            session,
            driver,
            shots,
            size: std::sync::Mutex::new((1280, 800)),
        };
        b.size_viewport(1280, 800).await;
        b
    }

    /// Grows the window until the page itself (the screenshot) is `w`×`h`.
    pub(crate) async fn size_viewport(&self, w: i64, h: i64) {
        let inner = self
            .must(
                Method::POST,
                "/execute/sync",
                Some(json!({"script": "return [window.innerWidth, window.innerHeight];", "args": []})),
            )
            .await;
        let rect = self.must(Method::GET, "/window/rect", None).await;
        let grow = |outer: &Value, inner: &Value, want: i64| outer.as_i64().unwrap() + want - inner.as_i64().unwrap();
        let body = json!({"width": grow(&rect["width"], &inner[0], w), "height": grow(&rect["height"], &inner[1], h)});
        self.must(Method::POST, "/window/rect", Some(body)).await;
        *self.size.lock().unwrap() = (w, h);
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("http://127.0.0.1:{}/session/{}{path}", self.driver.port, self.session);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        } else if method == Method::POST {
            req = req.json(&json!({}));
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let ok = r.status().is_success();
        let v: Value = r.json().await.unwrap();
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].clone())
        }
    }

    async fn must(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        self.call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {what} failed: {e}"))
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.must(Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub(crate) async fn url(&self) -> String {
        self.must(Method::GET, "/url", None).await.as_str().unwrap().to_string()
    }

    async fn all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .unwrap_or_else(|e| panic!("finding `{css}`: {}", e["message"]));
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_string())
            .collect()
    }

    /// The first element matching `css`, waiting for it to appear.
    pub(crate) async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.all(css).await.into_iter().next() {
                return e;
            }
            if Instant::now() > deadline {
                panic!("no element `{css}` on {} within {WAIT:?}", self.url().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.must(Method::POST, &format!("/element/{e}/click"), None).await;
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.must(Method::POST, &format!("/element/{e}/clear"), None).await;
        self.must(
            Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn selected(&self, css: &str) -> bool {
        let e = self.find(css).await;
        self.must(Method::GET, &format!("/element/{e}/selected"), None)
            .await
            .as_bool()
            .unwrap()
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.must(Method::GET, &format!("/element/{e}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn source(&self) -> String {
        self.must(Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn scroll_to(&self, css: &str) {
        let e = self.find(css).await;
        self.must(
            Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "arguments[0].scrollIntoView({block: 'center'});",
                "args": [{ ELEMENT: e }],
            })),
        )
        .await;
    }

    /// Waits until the address satisfies `ok`; returns it.
    pub(crate) async fn wait_url(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            if Instant::now() > deadline {
                panic!(
                    "expected {what}, still at {url}:\n{}",
                    self.source().await.chars().take(300).collect::<String>()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no element matches `css` (a form was sent and answered).
    async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.all(css).await.is_empty() {
            if Instant::now() > deadline {
                panic!("`{css}` still on {}:\n{}", self.url().await, self.source().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_out(&self) {
        self.must(Method::DELETE, "/cookie", None).await;
    }

    /// A PNG of the viewport, as `NN-step.png`.
    pub(crate) async fn screenshot(&self, name: &str) {
        let b64 = self.must(Method::GET, "/screenshot", None).await;
        let png = decode_base64(b64.as_str().unwrap());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name} is a PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        let (w, h) = *self.size.lock().unwrap();
        assert_eq!(
            (i64::from(width), i64::from(height)),
            (w, h),
            "{name}: the window's size"
        );
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
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

// ---------------------------------------------------------------- a phone, a keyboard, two languages

/// WebDriver's codes for the keys a keyboard user presses here.
pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";
const ARROW_DOWN: &str = "\u{E015}";

impl Browser {
    /// Runs `script` in the page; returns what it returns.
    pub(crate) async fn js(&self, script: &str) -> Value {
        self.must(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Presses each key of `keys` (a character or a WebDriver key code) in turn, as a keyboard does.
    pub(crate) async fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.must(
            Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
        self.must(Method::DELETE, "/actions", None).await;
    }

    /// What has the focus: its tag, id, name, type, classes and `href`.
    pub(crate) async fn focused(&self) -> Value {
        self.js(
            "const e = document.activeElement; return { tag: e.tagName.toLowerCase(), id: e.id, \
             name: e.getAttribute('name') || '', type: e.getAttribute('type') || '', cls: e.className || '', \
             href: e.getAttribute('href') || '', checked: !!e.checked };",
        )
        .await
    }

    /// Presses Tab until the focused element satisfies `ok` (at most 60 times).
    pub(crate) async fn tab_to(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let mut path = Vec::new();
        for _ in 0..60 {
            self.press(TAB).await;
            let f = self.focused().await;
            if ok(&f) {
                return f;
            }
            path.push(f);
        }
        panic!("Tab never reached {what}; the focus went through {path:#?}");
    }

    /// Waits until the focused element satisfies `ok` (a page loading, autofocus).
    async fn wait_focused(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let f = self.focused().await;
            if ok(&f) {
                return f;
            }
            assert!(Instant::now() < deadline, "{what} never had the focus; {f}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// axe-core's violations on the current page (its script injected
    /// through WebDriver, which the page's CSP does not govern), one line each.
    pub(crate) async fn axe(&self, source: &str) -> Vec<String> {
        self.must(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": format!("{source}\n;return true;"), "args": []})),
        )
        .await;
        let v = self
            .must(
                Method::POST,
                "/execute/async",
                Some(json!({"script": "const done = arguments[arguments.length - 1]; \
                    axe.run(document).then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + \
                    v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)).join(' | '))), \
                    e => done(['axe failed: ' + e]));", "args": []})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    }

    /// How much wider than the window the page is (0: no horizontal scroll).
    pub(crate) async fn overflow(&self) -> i64 {
        self.js("return document.documentElement.scrollWidth - window.innerWidth;")
            .await
            .as_i64()
            .unwrap()
    }
}

/// axe-core's script (`axe.min.js`) from the file `DTAP_AXE` names, which
/// .ci/run installs from npm; without it the axe checks are skipped, loudly.
pub(crate) fn axe_source() -> Option<String> {
    match std::env::var_os("DTAP_AXE") {
        Some(path) => Some(
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("DTAP_AXE={}: {e}", Path::new(&path).display())),
        ),
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! axe-core checks SKIPPED: set DTAP_AXE to axe.min.js (npm install axe-core; .ci/run does).\n"
            );
            None
        }
    }
}

/// An approved RFC in test with kim appointed, crm-core 1.0.0 promoted
/// there and the invitation delivered (file transport); the sign-off
/// link's path.
pub(crate) fn rfc_in_test(ws: &TestWorkspace) -> (String, String) {
    let rfc = ws.approved_rfc(TITLE);
    ws.appoint(&rfc, "test", TESTER);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();
    let link = ws
        .latest_mail_with_link(TESTER, "/signoff/")
        .links("/signoff/")
        .remove(0);
    (rfc, path_of(&link))
}

fn is_submit(f: &Value) -> bool {
    f["tag"] == "button" && f["type"] == "submit"
}

/// The sign-off form on a 390 px phone, by keyboard alone: an empty send
/// brings the error summary, which takes the focus; its links move the
/// focus to the fields; radios are chosen with Space and the arrow keys;
/// the comment's hint is there before any error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_off_on_a_phone_by_keyboard_alone() {
    let Some(binaries) = browser_or_skip("browser::sign_off_on_a_phone_by_keyboard_alone") else {
        return;
    };
    let ws = TestWorkspace::init();
    let (rfc, path) = rfc_in_test(&ws);
    let server = TestApp::start(&ws).await;
    // The guide's tester page shows the phone's error summary and its done page.
    let b = Browser::start(&ws, &binaries, screenshot_dir(&ws)).await;
    b.size_viewport(390, 844).await;
    b.goto(&server.url(&path)).await;
    b.find("form.signoff-form").await;
    assert_eq!(b.js("return window.innerWidth;").await, 390);
    assert!(b.overflow().await <= 0, "the form fits the phone");

    // Radios as GOV.UK lays them out: a circle left of its label, not stretched.
    let geometry = b
        .js("return [...document.querySelectorAll('.radio')].map(r => { \
               const i = r.querySelector('input').getBoundingClientRect(); \
               const l = r.querySelector('label'); const lr = l.getBoundingClientRect(); \
               const circle = getComputedStyle(l, '::before'); \
               return { input_w: i.width, input_right: i.right, text_left: lr.left + parseFloat(getComputedStyle(l).paddingLeft), \
                        circle_w: parseFloat(circle.width), circle_border: circle.borderTopColor }; });")
        .await;
    let radios = geometry.as_array().unwrap();
    assert!(radios.len() >= 4, "{geometry:#}");
    for r in radios {
        assert!(r["input_w"].as_f64().unwrap() <= 48.0, "a radio is not stretched: {r}");
        assert!(r["circle_w"].as_f64().unwrap() >= 24.0, "a large circle: {r}");
        assert!(
            r["input_right"].as_f64().unwrap() <= r["text_left"].as_f64().unwrap() + 1.0,
            "the circle left of its label: {r}"
        );
    }
    // The hint is there up front, tied to the comment.
    let hint = b.text("#h-comment").await;
    assert!(hint.contains("Required when you reject"), "{hint}");
    let described = b
        .js("return document.getElementById('comment').getAttribute('aria-describedby');")
        .await;
    assert_eq!(described, "h-comment");

    // Sent empty: the error summary comes first and has the focus.
    let tabs_to_send = b.tab_to("the send button", is_submit).await;
    assert!(is_submit(&tabs_to_send));
    b.press(ENTER).await;
    b.find(".error-summary").await;
    let summary_focused = |f: &Value| f["cls"].as_str().unwrap_or("").contains("error-summary");
    b.wait_focused("the error summary", summary_focused).await;
    let title = b.js("return document.title;").await;
    assert!(title.as_str().unwrap().starts_with("Error:"), "{title}");
    b.screenshot("phone-01-error-summary").await;
    if let Some(source) = axe_source() {
        let found = b.axe(&source).await;
        assert!(
            found.is_empty(),
            "axe-core on the form with errors:\n{}",
            found.join("\n")
        );
    }
    // Every error tied to its field: the summary's links lead to fields that
    // exist, each invalid radio's group names its error message.
    let ties = b
        .js("const links = [...document.querySelectorAll('.error-summary a')].map(a => a.getAttribute('href')); \
             const missing = links.filter(h => !document.getElementById(h.slice(1))); \
             const invalid = [...document.querySelectorAll('[aria-invalid=true]')]; \
             const untied = invalid.filter(i => { const owner = i.closest('fieldset') && i.type === 'radio' ? i.closest('fieldset') : i; \
               const ids = (owner.getAttribute('aria-describedby') || '').split(' ').filter(Boolean); \
               return !ids.some(id => { const e = document.getElementById(id); return e && e.classList.contains('error-message'); }); }) \
               .map(i => i.id); \
             return { links, missing, invalid: invalid.length, untied };")
        .await;
    assert_eq!(ties["missing"], json!([]), "{ties:#}");
    assert_eq!(ties["untied"], json!([]), "{ties:#}");
    let links = ties["links"].as_array().unwrap().clone();
    assert!(
        links.len() >= 2 && links.iter().any(|l| l == "#verdict-approve"),
        "a link per error: {ties:#}"
    );
    assert!(ties["invalid"].as_i64().unwrap() >= 4, "{ties:#}");

    // Tab to the first link, Enter: the focus moves to that field.
    b.press(TAB).await;
    let f = b.focused().await;
    assert_eq!(f["tag"], "a", "{f}");
    let target = f["href"].as_str().unwrap().trim_start_matches('#').to_string();
    assert!(target.starts_with("case-") && target.ends_with("-pass"), "{f}");
    b.press(ENTER).await;
    let f = b.focused().await;
    assert_eq!(f["id"], target.as_str(), "the link moved the focus to its field");
    b.screenshot("phone-02-field-focused").await;

    // Space passes each test case, Tab moves on; the arrow key picks "reject".
    b.press(SPACE).await;
    assert_eq!(b.focused().await["checked"], true);
    loop {
        let f = b
            .tab_to("the next test case or the verdict", |f| {
                f["type"] == "radio" && f["checked"] == false
            })
            .await;
        if f["name"] == "verdict" {
            break;
        }
        b.press(SPACE).await;
    }
    assert_eq!(b.focused().await["id"], "verdict-approve");
    b.press(ARROW_DOWN).await;
    let f = b.focused().await;
    assert_eq!(
        (f["id"].as_str(), f["checked"].as_bool()),
        (Some("verdict-reject"), Some(true))
    );
    b.tab_to("the send button", is_submit).await;
    b.press(ENTER).await;

    // A rejection without a comment: the summary again, its link to the comment.
    let deadline = Instant::now() + WAIT;
    while b.all(".error-summary a[href='#comment']").await.is_empty() {
        assert!(Instant::now() < deadline, "{}", b.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.wait_focused("the error summary", summary_focused).await;
    let links = b.all(".error-summary a").await;
    assert_eq!(
        links.len(),
        1,
        "only the comment is left: {}",
        b.text(".error-summary").await
    );
    b.press(TAB).await;
    b.press(ENTER).await;
    assert_eq!(b.focused().await["id"], "comment");
    b.press("The total is 41, not 42").await;
    b.tab_to("the send button", is_submit).await;
    b.press(ENTER).await;
    b.wait_gone("input[name='verdict']").await;
    b.screenshot("phone-03-done").await;
    assert_eq!(ws.rfc_state(&rfc), "in_development", "the rejection was recorded");
    server.stop().await;
}

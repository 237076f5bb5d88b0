//! The web app under test. [`TestApp`]: the real app in-process, started as
//! `dtap serve` starts it (`dtap::web::launch` on a listener bound to port 0
//! and passed in), talked to over HTTP as a browser would: pages, forms with
//! their CSRF token, mailed links followed, a user signed in by the mailed
//! login link. [`Serve`]: `dtap serve` itself as a child process.

use std::io::{BufRead, BufReader, Lines};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Stdio};

use tokio::sync::oneshot;

use super::workspace::TestWorkspace;

pub struct TestApp {
    pub addr: SocketAddr,
    /// A client that shows redirects instead of following them.
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<Result<(), dtap::web::LaunchError>>,
}

/// What a response shows: status, where it redirects, its referrer policy and page.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: String,
    pub referrer_policy: Option<String>,
    /// `name=value` of the cookie it sets, if any.
    pub cookie: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Page {
    pub async fn of(r: reqwest::Response) -> Page {
        let header = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string());
        let (location, referrer_policy) = (header("location").unwrap_or_default(), header("referrer-policy"));
        let cookie = header("set-cookie").map(|c| c.split(';').next().unwrap().to_string());
        Page {
            status: r.status().as_u16(),
            location,
            referrer_policy,
            cookie,
            content_type: header("content-type"),
            body: r.text().await.unwrap(),
        }
    }

    /// The page's CSRF token, as a browser finds it in the form.
    pub fn csrf(&self) -> String {
        csrf_token_in(&self.body)
    }
}

impl TestApp {
    /// The workspace's app on a loopback port of its own.
    pub async fn start(ws: &TestWorkspace) -> TestApp {
        let app = dtap::app::App::open(&ws.dir).await.expect("open app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(dtap::web::launch(app, listener, async {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            http: http_no_redirect(),
            stop: Some(stop),
            handle,
        }
    }

    /// The app with every request acting as `user` (`[web] dev_user`, which
    /// stays set in the workspace until changed).
    pub async fn start_as(ws: &TestWorkspace, user: &str) -> TestApp {
        ws.set_dev_user(Some(user));
        TestApp::start(ws).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.handle.await.unwrap().unwrap();
    }

    pub async fn get(&self, path: &str) -> Page {
        Page::of(self.http.get(self.url(path)).send().await.unwrap()).await
    }

    /// Posts a form's fields.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Page::of(self.http.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    pub async fn post_owned(&self, path: &str, form: &[(String, String)]) -> Page {
        Page::of(self.http.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    /// Sends the form of the page at `form_page` to `action` with `fields`
    /// and the page's CSRF token, as a browser does.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(form_page).await;
        assert_eq!(page.status, 200, "{form_page}: {}", page.body);
        let mut form = vec![("csrf_token".to_string(), page.csrf())];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post_owned(action, &form).await
    }

    /// Follows a mailed link (`http://host/signoff/…`): its path on this app.
    pub async fn follow(&self, link: &str) -> Page {
        self.get(&path_of(link)).await
    }

    /// A tester's verdict through the mailed sign-off link (or its token):
    /// opens the form, marks every test case passed and approves.
    pub async fn approve(&self, link: &str) -> Page {
        self.give_verdict(link, "approve", "", "").await
    }

    /// As [`TestApp::approve`], but the first test case failed with `why`,
    /// the others passed, and the verdict is a rejection saying `why`.
    pub async fn reject(&self, link: &str, why: &str) -> Page {
        self.give_verdict(link, "reject", why, why).await
    }

    async fn give_verdict(&self, link: &str, verdict: &str, comment: &str, failed_note: &str) -> Page {
        let path = signoff_path(link);
        let form = self.get(&path).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let cases: Vec<(i64, &str, &str)> = case_ids(&form.body)
            .into_iter()
            .enumerate()
            .map(|(i, id)| match (i, verdict) {
                (0, "reject") => (id, "fail", failed_note),
                _ => (id, "pass", "as expected"),
            })
            .collect();
        self.post_owned(&path, &verdict_form(&form.csrf(), verdict, comment, &cases))
            .await
    }

    /// Signs `email` in as a person does: asks for a login link on /login,
    /// takes it from the mail the outbox delivers to `.eml` files (the file
    /// transport), opens it and confirms. The session's requests carry its cookie.
    pub async fn sign_in(&self, ws: &TestWorkspace, email: &str) -> Session<'_> {
        let asked = self.submit("/login", "/login", &[("email", email)]).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        ws.flush();
        let link = ws.latest_mail_with_link(email, "/login/").links("/login/").remove(0);
        let path = path_of(&link);
        let confirmed = self.submit(&path, &path, &[]).await;
        assert_eq!(confirmed.status, 303, "{}", confirmed.body);
        let cookie = confirmed.cookie.clone().expect("a session cookie at sign-in");
        Session { app: self, cookie }
    }
}

/// A signed-in user's browser: every request carries the session cookie.
pub struct Session<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl Session<'_> {
    /// The session cookie as sent (`name=value`).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// Posts a form's fields with the session cookie.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .app
            .http
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        Page::of(r).await
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .app
            .http
            .get(self.app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        Page::of(r).await
    }
}

/// The path of a mailed link (`http://host:port/signoff/…` → `/signoff/…`).
pub fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string())
}

/// `/signoff/<token>` for a mailed sign-off link or a bare token.
fn signoff_path(link_or_token: &str) -> String {
    if link_or_token.contains("/signoff/") {
        path_of(link_or_token)
    } else {
        format!("/signoff/{link_or_token}")
    }
}

/// Test case ids of a sign-off form, in order.
pub fn case_ids(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for piece in html.split("name=\"case-").skip(1) {
        let id: i64 = piece[..piece.find('"').unwrap()].parse().unwrap();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The sign-off form's fields a tester's browser sends.
pub fn verdict_form(csrf: &str, verdict: &str, comment: &str, cases: &[(i64, &str, &str)]) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf_token".to_string(), csrf.to_string()),
        ("verdict".to_string(), verdict.to_string()),
        ("comment".to_string(), comment.to_string()),
    ];
    for (id, result, note) in cases {
        form.push((format!("case-{id}"), result.to_string()));
        form.push((format!("note-{id}"), note.to_string()));
    }
    form
}

/// The value of the first hidden `csrf_token` input of a page.
pub fn csrf_token_in(html: &str) -> String {
    let key = "name=\"csrf_token\" value=\"";
    let start = html
        .find(key)
        .unwrap_or_else(|| panic!("no csrf_token in the page:\n{html}"))
        + key.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_string()
}

/// An HTTP client that shows redirects instead of following them.
pub fn http_no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Text as the web app's templates escape it (minijinja's HTML escaping).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- dtap serve

/// `dtap serve` as a child process (web app and mail worker), its log
/// (`DTAP_LOG=trace`) in a file; stopped with SIGTERM, killed when dropped.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// What it printed before its address.
    pub said: Vec<String>,
    pub log: PathBuf,
    /// Kept open until it stops: it prints on the way out.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl Serve {
    /// On any free port: serve binds port 0 and prints its address.
    pub fn start(ws: &TestWorkspace) -> Serve {
        Serve::spawn(ws, "127.0.0.1:0").unwrap_or_else(|log| panic!("dtap serve did not start:\n{log}"))
    }

    /// On a port named in `[web] base_url` before it starts, for mailed links
    /// a browser follows. Here serve cannot bind port 0 (the links must name
    /// the port first), so a free port is picked by binding one and letting
    /// it go; another process may take it in between. That rare race is seen
    /// as serve's own "cannot listen" exit and answered with another port.
    pub fn start_at_base_url(ws: &TestWorkspace) -> Serve {
        let mut last = String::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            ws.set_base_url(&format!("http://127.0.0.1:{port}"));
            match Serve::spawn(ws, &format!("127.0.0.1:{port}")) {
                Ok(serve) => return serve,
                Err(log) if log.contains("cannot listen on") => last = log,
                Err(log) => panic!("dtap serve did not start:\n{log}"),
            }
        }
        panic!("dtap serve found no free port in five tries:\n{last}");
    }

    /// Starts serve on `bind`; its log when it exits before printing its address.
    fn spawn(ws: &TestWorkspace, bind: &str) -> Result<Serve, String> {
        let log = ws.tmp.path().join("serve.log");
        let mut child = ws
            .dtap_command(super::RM, &["serve", "--bind", bind])
            .env("DTAP_LOG", "trace")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start dtap serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut said = Vec::new();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait().unwrap();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("exit {status}; printed {said:?}; logged:\n{log}"));
            };
            if let Some(i) = line.find("http://") {
                break line[i..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
            said.push(line);
        };
        Ok(Serve {
            child,
            url,
            said,
            log,
            _stdout: lines,
        })
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The next line it prints after its address (blocks until it does).
    pub fn next_line(&mut self) -> String {
        self._stdout.next().and_then(Result::ok).unwrap_or_default()
    }

    /// Stops it with SIGTERM (a graceful shutdown), insists it exits cleanly,
    /// and returns everything it logged.
    pub fn stop(mut self) -> String {
        let term = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let status = self.child.wait().unwrap();
        let log = self.log_text();
        assert!(status.success(), "serve exits cleanly on SIGTERM: {status:?}\n{log}");
        log
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- a tester's verdict

/// What a tester answers on the sign-off form.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    /// Every test case passed.
    Approve,
    /// The first test case failed; the comment says why.
    Reject(&'static str),
}

/// A tester's verdict the way a tester gives it: the outbox delivered to
/// `.eml` files (the file transport), the newest sign-off link mailed to
/// `tester` followed on the real web app, the form sent with its CSRF token.
/// The verdict counts for the link's RFC, environment and tree, nothing else.
pub async fn sign_off(ws: &TestWorkspace, tester: &str, verdict: Verdict) {
    ws.flush();
    let link = ws.latest_mail_with_link(tester, "/signoff/").link();
    let app = TestApp::start(ws).await;
    let done = match verdict {
        Verdict::Approve => app.approve(&link).await,
        Verdict::Reject(why) => app.reject(&link, why).await,
    };
    assert_eq!(done.status, 200, "{tester}'s {verdict:?} through {link}: {}", done.body);
    app.stop().await;
}

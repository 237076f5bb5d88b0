//! A W3C WebDriver client for chromedriver: just what the browser tests
//! use (open, find, fill, click, keys, script, screenshots, axe-core).

use super::*;

pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub(crate) const WAIT: Duration = Duration::from_secs(30);

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

    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, Value> {
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

    pub(crate) async fn must(&self, method: Method, path: &str, body: Option<Value>) -> Value {
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

    pub(crate) async fn all(&self, css: &str) -> Vec<String> {
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

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.must(Method::POST, &format!("/element/{e}/clear"), None).await;
        self.must(
            Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub(crate) async fn selected(&self, css: &str) -> bool {
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

    pub(crate) async fn source(&self) -> String {
        self.must(Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn scroll_to(&self, css: &str) {
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
    pub(crate) async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.all(css).await.is_empty() {
            if Instant::now() > deadline {
                panic!("`{css}` still on {}:\n{}", self.url().await, self.source().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn sign_out(&self) {
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

// ---------------------------------------------------------------- a phone, a keyboard, two languages

/// WebDriver's codes for the keys a keyboard user presses here.
pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";
pub(crate) const SPACE: &str = " ";
pub(crate) const ARROW_DOWN: &str = "\u{E015}";

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
    pub(crate) async fn wait_focused(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
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

//! Deploying into the CRM (DESIGN §14). A CRM org cannot run here, so the
//! steps are real programs standing in for it: a Python script that writes
//! the package's files into a real SQLite database as the org's
//! "configuration" (so the test reads back what arrived), and shell programs
//! that fail with output, print a secret, or hang with a child past their
//! timeout. The promotions are real, through the binary, with the E-Bikes
//! Apex classes.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::rounds::{APEX, put};
use crate::support::{KIM, RM, TestWorkspace, code, json_of, ok, stdout, text};

/// The stand-in CRM: replaces the package's components in `crm.db` with
/// the files of `DTAP_PACKAGE_DIR`, and says what it deployed.
const CRM: &str = r#"
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE IF NOT EXISTS components (package TEXT, path TEXT, body TEXT, PRIMARY KEY (package, path))")
pkg = os.environ["DTAP_PACKAGE"]
db.execute("DELETE FROM components WHERE package = ?", (pkg,))
root = sys.argv[1]
n = 0
for dirpath, _, files in os.walk(root):
    for f in files:
        p = os.path.join(dirpath, f)
        db.execute("INSERT INTO components VALUES (?, ?, ?)", (pkg, os.path.relpath(p, root), open(p).read()))
        n += 1
db.commit()
print("deployed %d components of %s %s into org %s" % (n, pkg, os.environ["DTAP_VERSION"], os.environ["DTAP_VAR_ORG"]))
"#;

pub(crate) struct Crm {
    pub(crate) ws: TestWorkspace,
    pub(crate) rfc: String,
    pub(crate) dir: PathBuf,
}

impl Crm {
    pub(crate) fn db(&self) -> PathBuf {
        self.dir.join("crm.db")
    }

    /// Components the stand-in org holds for `package`.
    pub(crate) fn components(&self, package: &str) -> Vec<String> {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sqlite3,sys\ntry:\n  print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT path FROM components WHERE package = ? ORDER BY path', (sys.argv[2],))))\nexcept sqlite3.OperationalError:\n  pass",
                self.db().to_str().unwrap(),
                package,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Sets test's `deploy:` to `steps` (YAML list items), with `extra` top-level keys.
    pub(crate) fn deploy_test(&self, steps: &str, extra: &str) {
        let env = self.ws.read("environments/test.yaml");
        let base: String = env
            .lines()
            .take_while(|l| !l.starts_with("deploy:") && !l.starts_with("variables:"))
            .map(|l| format!("{l}\n"))
            .collect();
        self.ws.write(
            "environments/test.yaml",
            &format!("{base}deploy:\n  timeout: 60s\n  steps:\n{steps}variables: {{ org: crm-test }}\n{extra}"),
        );
        let check = self.ws.dtap(&["check"]);
        assert!(check.status.success(), "{}", text(&check));
    }
}

pub(crate) fn crm() -> Crm {
    let ws = TestWorkspace::init();
    let dir = ws.dir.join("crm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("crm.py"), CRM).unwrap();
    let rfc = ws.approved_rfc("Product card shows the frame material");
    ws.appoint(&rfc, "test", KIM);
    put(&ws, APEX, "1.0.0", &[&rfc], "");
    let c = Crm { ws, rfc, dir };
    let script = c.dir.join("crm.py");
    c.deploy_test(
        &format!(
            "    - name: deploy to the org\n      run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n",
            script.display(),
            c.db().display()
        ),
        "",
    );
    c
}

pub(crate) fn invitations_queued(ws: &TestWorkspace) -> usize {
    ws.mail_list(false).iter().filter(|m| m["kind"] == "invitation").count()
}

pub(crate) fn show(ws: &TestWorkspace, id: i64) -> Value {
    json_of(&ws.dtap(&["deploy", "show", &id.to_string(), "--json"]))
}

/// Polls until deployment `id` exists and its first step runs (the claim
/// comes a moment before the step); false after 20 seconds.
pub(crate) fn step_running(ws: &TestWorkspace, id: i64) -> bool {
    for _ in 0..400 {
        let shown = ws.dtap(&["deploy", "show", &id.to_string(), "--json"]);
        if shown.status.success() && json_of(&shown)["steps"][0]["state"] == "running" {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[tokio::test]
async fn a_promotion_is_deployed_into_the_crm_before_the_testers_are_called() {
    let c = crm();
    let out = ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--json"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["deployments"][0]["state"], "succeeded", "{v:#}");
    let id = v["deployments"][0]["id"].as_i64().unwrap();
    // What arrived in the stand-in org is the package as promoted.
    let components = c.components(APEX);
    assert!(
        components.contains(&"classes/ProductController.cls".to_string()),
        "{components:?}"
    );
    assert!(components.contains(&"package.yaml".to_string()));
    let d = show(&c.ws, id);
    assert_eq!(d["environment"], "test");
    assert_eq!(d["steps"][0]["name"], "deploy to the org");
    assert_eq!(d["steps"][0]["exit_code"], 0);
    assert!(
        d["steps"][0]["output_tail"]
            .as_str()
            .unwrap()
            .contains("into org crm-test"),
        "{d:#}"
    );
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert_eq!(invitations_queued(&c.ws), 1);
    let list = json_of(&c.ws.dtap(&["deploy", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_deployment_calls_no_tester_blocks_the_environment_and_is_retried() {
    let c = crm();
    c.deploy_test(
        "    - name: deploy to the org\n      run: [sh, -c, \"echo 'ERROR: Frame__c: no such field on Product__c' >&2; exit 1\"]\n",
        "",
    );
    let out = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("deployment 1 (ebikes-apex): failed"),
        "{}",
        text(&out)
    );
    // Committed, not deployed: the request stays, nobody is asked to test.
    assert_eq!(c.ws.packages_in("test"), [APEX.to_string()]);
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved");
    assert_eq!(invitations_queued(&c.ws), 0);
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    assert!(log.contains("ERROR: Frame__c: no such field"), "{log}");
    // The promoter hears of it, with the failing step and its output.
    c.ws.flush();
    let failed: Vec<_> =
        c.ws.mailbox()
            .into_iter()
            .filter(|m| m.subject().starts_with("Deployment 1 into Test failed"))
            .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].recipients(), [RM.to_string()]);
    assert!(
        failed[0].text.contains("at step \"deploy to the org\""),
        "{}",
        failed[0].text
    );
    assert!(
        failed[0].text.contains("ERROR: Frame__c: no such field"),
        "{}",
        failed[0].text
    );

    // Nothing more goes into test until it is fixed.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "fix");
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    assert!(
        text(&refused).contains("deployment 1 of ebikes-apex into test failed"),
        "{}",
        text(&refused)
    );

    // The org is fixed; the same commit is deployed again.
    let script = c.dir.join("crm.py");
    c.deploy_test(
        &format!(
            "    - name: deploy to the org\n      run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n",
            script.display(),
            c.db().display()
        ),
        "",
    );
    let retry = ok(c.ws.as_user(RM, &["deploy", "retry", "1"]));
    assert!(
        stdout(&retry).contains("deployment 2 (ebikes-apex): succeeded"),
        "{}",
        text(&retry)
    );
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert_eq!(invitations_queued(&c.ws), 1);
    assert!(!c.components(APEX).is_empty());
}

#[tokio::test]
async fn a_secret_reaches_the_step_and_never_its_log() {
    let c = crm();
    c.deploy_test(
        "    - name: log in\n      run: [sh, -c, \"echo logging in with token=$CRM_TOKEN; test \\\"$CRM_TOKEN\\\" = s3cr3t-Value\"]\n",
        "secrets: [CRM_TOKEN]\n",
    );
    let out = c.ws.dtap_env(
        &["promote", APEX, "--to", "test"],
        &[("DTAP_USER", RM), ("DTAP_SECRET_CRM_TOKEN", "s3cr3t-Value")],
    );
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    assert!(log.contains("token=***"), "{log}");
    assert!(!log.contains("s3cr3t-Value"));
    let dump = crate::support::db_dump(&c.ws, None).await;
    assert!(!dump.contains("s3cr3t-Value"), "a secret in the database");

    // Without the secret a waiting promotion is refused before any commit, naming it.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "next");
    let head = c.ws.head();
    let out = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(text(&out).contains("secret CRM_TOKEN is missing"), "{}", text(&out));
    assert_eq!(c.ws.head(), head);
    // Left to a runner, the runner that lacks it fails the deployment and says so.
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    let run = ok(c.ws.dtap(&["deploy", "run"]));
    assert!(stdout(&run).contains("deployment 2: failed"), "{}", text(&run));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "2"])));
    let d = show(&c.ws, 2);
    assert!(
        d["error"].as_str().unwrap_or_default().contains("secrets"),
        "{d:#} {log}"
    );
}

#[tokio::test]
async fn a_step_past_its_timeout_is_killed_with_its_children() {
    let c = crm();
    let pid_file = c.dir.join("child.pid");
    c.deploy_test(
        &format!(
            "    - name: hang\n      run: [sh, -c, \"sleep 300 & echo $! > {}; sleep 300\"]\n      timeout: 2s\n",
            pid_file.display()
        ),
        "",
    );
    let out = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(4), "{}", text(&out));
    let d = show(&c.ws, 1);
    assert_eq!(d["state"], "timed_out", "{d:#}");
    assert_eq!(d["steps"][0]["state"], "timed_out");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    // Gone, or a zombie waiting for this container's init to reap it: not running.
    let stat = std::fs::read_to_string(Path::new(&format!("/proc/{}/stat", pid.trim()))).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("gone");
    assert!(
        matches!(state, "gone" | "Z" | "X"),
        "the step's child {pid} outlived the step: {stat}"
    );
}

#[tokio::test]
async fn a_queued_deployment_holds_the_environment_until_a_runner_runs_it() {
    let c = crm();
    let out = ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    assert!(stdout(&out).contains("Deployments queued: 1"), "{}", text(&out));
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved");
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "next");
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    assert!(
        text(&refused).contains("deployment 1 of ebikes-apex into test is queued"),
        "{}",
        text(&refused)
    );
    // Not deployed in test: it cannot move on to acceptance either.
    let on =
        c.ws.as_user(RM, &["promote", APEX, "--to", "acceptance", "--dry-run", "--json"]);
    assert!(
        text(&on).contains("ebikes-apex was not deployed in test"),
        "{}",
        text(&on)
    );

    let run = ok(c.ws.dtap(&["deploy", "run"]));
    assert!(stdout(&run).contains("deployment 1: succeeded"), "{}", text(&run));
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert!(!c.components(APEX).is_empty());
}

#[tokio::test]
async fn validation_runs_in_the_dry_run_and_refuses_before_any_commit() {
    let c = crm();
    let script = c.dir.join("crm.py");
    let env = c.ws.read("environments/test.yaml");
    let base: String = env
        .lines()
        .take_while(|l| !l.starts_with("deploy:"))
        .map(|l| format!("{l}\n"))
        .collect();
    // The check-only deployment: the org refuses a card without the frame field.
    c.ws.write(
        "environments/test.yaml",
        &format!(
            "{base}deploy:\n  validate:\n    - name: check-only deploy\n      run: [sh, -c, \"grep -q Frame__c {{package_dir}}/classes/ProductController.cls || (echo 'Frame__c: no such field on Product__c' >&2; exit 1)\"]\n  steps:\n    - run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\nvalidate_before_promote: true\nvariables: {{ org: crm-test }}\n",
            script.display(),
            c.db().display()
        ),
    );
    let check = c.ws.dtap(&["check"]);
    assert!(check.status.success(), "{}", text(&check));

    let dry = c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run"]);
    assert_eq!(code(&dry), Some(3), "{}", text(&dry));
    assert!(
        text(&dry).contains("validate step `check-only deploy` failed: Frame__c: no such field"),
        "{}",
        text(&dry)
    );
    let skipped =
        c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run", "--no-validate"]);
    assert_eq!(code(&skipped), Some(0), "{}", text(&skipped));
    let head = c.ws.head();
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    assert_eq!(c.ws.head(), head, "no commit");
    assert!(c.components(APEX).is_empty());

    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "Frame__c");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    assert!(!c.components(APEX).is_empty());
}

#[tokio::test]
async fn a_runner_killed_mid_step_leaves_an_interrupted_deployment_that_a_person_retries() {
    let c = crm();
    c.deploy_test("    - name: slow import\n      run: [sh, -c, \"sleep 20\"]\n", "");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    let lease = [("DTAP_DEPLOY_LEASE", "2s")];
    let mut runner = c.ws.dtap_command(RM, &["deploy", "run"]);
    runner
        .env("DTAP_DEPLOY_LEASE", "2s")
        .stdout(std::process::Stdio::null());
    let mut runner = runner.spawn().unwrap();
    let state = |ws: &TestWorkspace| show(ws, 1)["state"].as_str().unwrap_or_default().to_string();
    assert!(step_running(&c.ws, 1), "the step never started");
    runner.kill().unwrap(); // SIGKILL: no chance to clean up
    runner.wait().unwrap();
    // Whoever runs deployments next finds the lease expired: interrupted, never re-run by itself.
    for _ in 0..100 {
        let out = ok(c.ws.dtap_env(&["deploy", "run"], &lease));
        assert!(!stdout(&out).contains("deployment 1: succeeded"));
        if state(&c.ws) != "running" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(state(&c.ws), "interrupted");
    assert_eq!(show(&c.ws, 1)["steps"][0]["state"], "interrupted");
    assert!(stdout(&ok(c.ws.dtap(&["deploy", "run"]))).contains("Nothing queued"));
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved");

    let script = c.dir.join("crm.py");
    c.deploy_test(
        &format!(
            "    - run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n",
            script.display(),
            c.db().display()
        ),
        "",
    );
    let retry = ok(c.ws.as_user(RM, &["deploy", "retry", "1"]));
    assert!(
        stdout(&retry).contains("deployment 2 (ebikes-apex): succeeded"),
        "{}",
        text(&retry)
    );
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
}

#[tokio::test]
async fn a_failed_deployment_shows_on_the_dashboard_its_page_and_the_api() {
    let c = crm();
    c.deploy_test(
        "    - name: deploy to the org\n      run: [sh, -c, \"echo 'ERROR: <Frame__c> unknown' >&2; exit 1\"]\n",
        "",
    );
    assert_eq!(code(&c.ws.as_user(RM, &["promote", APEX, "--to", "test"])), Some(4));
    let server = crate::support::TestApp::start_as(&c.ws, RM).await;
    let dash = server.get("/").await;
    assert!(
        dash.body.contains("href=\"/deployments/1\""),
        "the cell links to its deployment"
    );
    assert!(dash.body.contains("deploy-state failed"), "{}", dash.body);
    let page = server.get("/deployments/1").await;
    assert_eq!(page.status, 200);
    // The output is shown as text, never as HTML.
    assert!(page.body.contains("ERROR: &lt;Frame__c&gt; unknown"), "{}", page.body);
    assert!(page.body.contains("dtap deploy retry 1"));
    let list = server.get("/deployments").await;
    assert!(list.body.contains("ebikes-apex"));
    server.stop().await;
    // A requester may not read deployment logs.
    let sales = crate::support::TestApp::start_as(&c.ws, crate::support::SALES).await;
    assert_eq!(sales.get("/deployments/1").await.status, 404);
    sales.stop().await;
}

#[tokio::test]
async fn two_runners_take_deployments_from_one_queue_and_run_each_once() {
    let c = crm();
    put(&c.ws, crate::rounds::UI, "1.0.0", &[&c.rfc], "");
    let ran = c.dir.join("ran.log");
    c.deploy_test(
        &format!(
            "    - run: [sh, -c, \"echo ran $DTAP_DEPLOYMENT >> {}; sleep 1\"]\n",
            ran.display()
        ),
        "",
    );
    let out = ok(c.ws.as_user(RM, &["promote", "--all", "--to", "test", "--no-wait"]));
    assert!(stdout(&out).contains("Deployments queued: 1, 2"), "{}", text(&out));
    let runners: Vec<_> = (0..2)
        .map(|_| {
            c.ws.dtap_command(RM, &["deploy", "run"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runners {
        assert!(r.wait_with_output().unwrap().status.success());
    }
    let mut lines: Vec<String> = std::fs::read_to_string(&ran)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, ["ran 1", "ran 2"], "each deployment ran exactly once");
    for id in [1, 2] {
        assert_eq!(show(&c.ws, id)["state"], "succeeded");
    }
    // Both packages deployed: the request is in test, one invitation for the change.
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert_eq!(invitations_queued(&c.ws), 1);
}

#[tokio::test]
async fn a_cancelled_deployment_stops_its_running_step() {
    let c = crm();
    c.deploy_test("    - name: slow import\n      run: [sh, -c, \"sleep 60\"]\n", "");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    let runner =
        c.ws.dtap_command(RM, &["deploy", "run"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    assert!(step_running(&c.ws, 1), "the step never started");
    let cancelled = ok(c.ws.as_user(RM, &["deploy", "cancel", "1"]));
    assert!(stdout(&cancelled).contains("cancelled"), "{}", text(&cancelled));
    let out = runner.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("deployment 1: cancelled"));
    assert_eq!(show(&c.ws, 1)["state"], "cancelled");
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved");
}

/// A real HTTP server on loopback for `http` steps: `/ok` answers 204 and
/// keeps the body, `/refuse` 500, `/moved` a redirect that must not be followed.
const HOOKS: &str = r#"
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/ok":
            open(sys.argv[1], "ab").write(body + b"\n")
            self.send_response(204); self.end_headers()
        elif self.path == "/moved":
            self.send_response(302); self.send_header("Location", "/ok"); self.end_headers()
        else:
            self.send_response(500); self.end_headers(); self.wfile.write(b"CRM is down")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
"#;

#[tokio::test]
async fn http_steps_call_allowed_hosts_follow_no_redirect_and_check_the_status() {
    use std::io::BufRead;
    let c = crm();
    let bodies = c.dir.join("hook-bodies.jsonl");
    let mut server = std::process::Command::new("python3")
        .args(["-c", HOOKS, bodies.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port = port.trim().to_string();
    ok(c.ws.dtap(&["config", "set", "deploy.allowed_hosts", "127.0.0.1"]));
    let hook = |path: &str, host: &str| {
        c.deploy_test(
            &format!("    - http: {{ url: \"http://{host}:{port}{path}\", expect: [204] }}\n"),
            "",
        );
    };
    hook("/ok", "127.0.0.1");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    let body = std::fs::read_to_string(&bodies).unwrap();
    assert!(
        body.contains("\"package\":\"ebikes-apex\"") && body.contains("\"env\":\"test\""),
        "{body}"
    );
    assert!(
        body.contains("classes/ProductController.cls"),
        "the change set travels: {body}"
    );

    hook("/refuse", "127.0.0.1");
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "next");
    assert_eq!(code(&c.ws.as_user(RM, &["promote", APEX, "--to", "test"])), Some(4));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "2"])));
    assert!(log.contains("HTTP status 500"), "{log}");

    hook("/moved", "127.0.0.1");
    assert_eq!(code(&c.ws.as_user(RM, &["deploy", "retry", "2"])), Some(4));
    assert!(stdout(&ok(c.ws.dtap(&["deploy", "log", "3"]))).contains("HTTP status 302"));

    hook("/ok", "localhost");
    assert_eq!(code(&c.ws.as_user(RM, &["deploy", "retry", "3"])), Some(4));
    let d = show(&c.ws, 4);
    assert!(
        d["steps"][0]["output_tail"]
            .as_str()
            .unwrap()
            .contains("not in [deploy] allowed_hosts"),
        "{d:#}"
    );

    hook("/ok", "127.0.0.1");
    ok(c.ws.as_user(RM, &["deploy", "retry", "4"]));
    assert_eq!(std::fs::read_to_string(&bodies).unwrap().lines().count(), 2);
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test]
async fn ctrl_c_on_a_waiting_promotion_stops_the_step_and_interrupts_the_deployment() {
    let c = crm();
    let pid_file = c.dir.join("child.pid");
    c.deploy_test(
        &format!(
            "    - name: slow import\n      run: [sh, -c, \"sleep 60 & echo $! > {}; sleep 60\"]\n",
            pid_file.display()
        ),
        "",
    );
    let promote =
        c.ws.dtap_command(RM, &["promote", APEX, "--to", "test"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    assert!(step_running(&c.ws, 1), "the step never started");
    while !pid_file.exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // What a terminal's Ctrl-C sends to the foreground command.
    let sent = std::process::Command::new("kill")
        .args(["-INT", &promote.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = promote.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(show(&c.ws, 1)["state"], "interrupted");
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("gone");
    assert!(
        matches!(state, "gone" | "Z" | "X"),
        "the step's child {pid} outlived Ctrl-C: {stat}"
    );
}

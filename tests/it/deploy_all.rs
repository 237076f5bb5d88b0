//! One commit, several packages, several deployments (DESIGN §14/§15): a
//! `promote --all` deploys its packages in dependency order, its first
//! failure cancels the rest and a retry carries the whole commit on; two
//! `dtap serve` instances share one queue; `dtap doctor` finds a deployment
//! whose runner died. The CRM is the stand-in of `deploy.rs` (a real SQLite
//! database written by a Python step), with E-Bikes' Product__c object as a
//! third package that the Apex classes depend on.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::deploy::{Crm, crm, invitations_queued, show, step_running};
use crate::rounds::APEX;
use crate::support::{RM, Serve, TestWorkspace, code, json_of, manifest, ok, stdout, text};

const DATA: &str = "ebikes-data";

fn fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/ebikes")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `ebikes-data` (the Product__c object) in develop, and `ebikes-apex`
/// 1.0.0 depending on it: by name apex comes first, by dependency data does.
fn apex_needs_data(c: &Crm) {
    let object = "objects/Product__c/Product__c.object-meta.xml";
    let fields = [
        "objects/Product__c/fields/Material__c.field-meta.xml",
        "objects/Product__c/fields/Frame_Color__c.field-meta.xml",
    ];
    let mut files: Vec<(String, String)> = vec![(
        format!("develop/{DATA}/package.yaml"),
        manifest(DATA, "1.0.0", &[&c.rfc]),
    )];
    for f in std::iter::once(object).chain(fields) {
        files.push((format!("develop/{DATA}/{f}"), fixture(f)));
    }
    let apex = format!(
        "{}depends_on:\n  {DATA}: \">=1.0.0\"\n",
        manifest(APEX, "1.0.0", &[&c.rfc])
    );
    files.push((format!("develop/{APEX}/package.yaml"), apex));
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, b)| (p.as_str(), b.as_str())).collect();
    c.ws.commit_files("Product__c as its own package; the Apex classes need it", &refs);
}

/// Test's steps: note the package in `order.log`, then `deploy` (a program).
fn steps(c: &Crm, deploy: &[String]) -> PathBuf {
    let log = c.dir.join("order.log");
    let args: Vec<String> = deploy.iter().map(|a| format!("\"{a}\"")).collect();
    c.deploy_test(
        &format!(
            "    - name: note the order\n      run: [sh, -c, \"echo $DTAP_PACKAGE >> {}\"]\n    - name: deploy to the org\n      run: [{}]\n",
            log.display(),
            args.join(", ")
        ),
        "",
    );
    log
}

fn the_crm(c: &Crm) -> Vec<String> {
    vec![
        "python3".into(),
        c.dir.join("crm.py").display().to_string(),
        "{package_dir}".into(),
        c.db().display().to_string(),
    ]
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn promote_all_deploys_what_a_package_needs_before_the_package() {
    let c = crm();
    apex_needs_data(&c);
    let log = steps(&c, &the_crm(&c));
    // The dry run already lists them in the order they will be deployed.
    let plan = json_of(
        &c.ws
            .as_user(RM, &["promote", "--all", "--to", "test", "--dry-run", "--json"]),
    );
    let planned: Vec<&str> = plan["plan"]["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("{plan:#}"))
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    assert_eq!(planned, [DATA, APEX], "{plan:#}");

    let out = ok(c.ws.as_user(RM, &["promote", "--all", "--to", "test", "--json"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let deployed: Vec<(&str, &str)> = v["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["package"].as_str().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(deployed, [(DATA, "succeeded"), (APEX, "succeeded")], "{v:#}");
    assert_eq!(
        lines(&log),
        [DATA, APEX],
        "the object reached the org before the classes"
    );
    assert!(
        c.components(DATA)
            .contains(&"objects/Product__c/fields/Material__c.field-meta.xml".to_string()),
        "{:?}",
        c.components(DATA)
    );
    assert!(
        c.components(APEX)
            .contains(&"classes/ProductController.cls".to_string())
    );
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert_eq!(invitations_queued(&c.ws), 1, "one round over both packages");
}

#[tokio::test]
async fn the_first_failure_cancels_the_rest_of_the_commit_and_a_retry_carries_it_on() {
    let c = crm();
    apex_needs_data(&c);
    // The org refuses the object until an admin enables a feature in it.
    let gate = c.dir.join("feature-enabled");
    let script = c.dir.join("org.sh");
    std::fs::write(
        &script,
        format!(
            "if [ \"$DTAP_PACKAGE\" = {DATA} ] && [ ! -e {} ]; then\n  echo 'ERROR: Product__c.Material__c: picklist value sets are not enabled in this org' >&2\n  exit 1\nfi\nexec \"$@\"\n",
            gate.display()
        ),
    )
    .unwrap();
    let mut program = vec!["sh".to_string(), script.display().to_string()];
    program.extend(the_crm(&c));
    let log = steps(&c, &program);

    let out = c.ws.as_user(RM, &["promote", "--all", "--to", "test"]);
    assert_eq!(code(&out), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("deployment 1 (ebikes-data): failed"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("deployment 2 (ebikes-apex): cancelled"),
        "{}",
        text(&out)
    );
    assert_eq!(show(&c.ws, 2)["state"], "cancelled");
    assert_eq!(
        lines(&log),
        [DATA],
        "the classes never went to an org without their object"
    );
    assert!(c.components(APEX).is_empty());
    assert_eq!(c.ws.rfc_state(&c.rfc), "approved", "a failed deployment moves nothing");
    assert_eq!(invitations_queued(&c.ws), 0);

    // The admin enables the feature; retrying the failure deploys the whole commit.
    std::fs::write(&gate, "").unwrap();
    let retry = c.ws.as_user(RM, &["deploy", "retry", "1"]);
    assert_eq!(code(&retry), Some(0), "{}", text(&retry));
    assert!(
        stdout(&retry).contains("deployment 3 queued (a retry of 1)"),
        "{}",
        text(&retry)
    );
    assert!(
        stdout(&retry).contains("deployments 4 queued after it"),
        "{}",
        text(&retry)
    );
    assert!(
        stdout(&retry).contains("deployment 3 (ebikes-data): succeeded"),
        "{}",
        text(&retry)
    );
    assert!(
        stdout(&retry).contains("deployment 4 (ebikes-apex): succeeded"),
        "{}",
        text(&retry)
    );
    assert_eq!(lines(&log), [DATA, DATA, APEX]);
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
    assert_eq!(invitations_queued(&c.ws), 1);
}

/// Polls `deploy list` until every deployment ended; false after 60 seconds.
fn all_ended(ws: &TestWorkspace, n: usize) -> bool {
    for _ in 0..600 {
        let list = json_of(&ws.dtap(&["deploy", "list", "--json"]));
        let list = list.as_array().unwrap();
        if list.len() == n && list.iter().all(|d| d["state"] != "queued" && d["state"] != "running") {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[tokio::test]
async fn two_serve_instances_share_one_queue_and_run_each_deployment_once() {
    let c = crm();
    apex_needs_data(&c);
    let ran = c.dir.join("ran.log");
    c.deploy_test(
        &format!(
            "    - run: [sh, -c, \"echo $DTAP_PACKAGE >> {}; sleep 1\"]\n",
            ran.display()
        ),
        "",
    );
    ok(c.ws.as_user(RM, &["promote", "--all", "--to", "test", "--no-wait"]));
    let (a, b) = (Serve::start(&c.ws), Serve::start(&c.ws));
    assert!(all_ended(&c.ws, 2), "the servers never ran the queue");
    drop((a, b));
    assert_eq!(lines(&ran), [DATA, APEX], "each ran once, in dependency order");
    assert_eq!(show(&c.ws, 1)["state"], "succeeded");
    assert_eq!(show(&c.ws, 2)["state"], "succeeded");
    assert_eq!(c.ws.rfc_state(&c.rfc), "in_test");
}

#[tokio::test]
async fn doctor_finds_a_deployment_whose_runner_died_and_repair_interrupts_it() {
    let c = crm();
    c.deploy_test("    - name: slow import\n      run: [sh, -c, \"sleep 20\"]\n", "");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    let mut runner = c.ws.dtap_command(RM, &["deploy", "run"]);
    runner
        .env("DTAP_DEPLOY_LEASE", "1s")
        .stdout(std::process::Stdio::null());
    let mut runner = runner.spawn().unwrap();
    assert!(step_running(&c.ws, 1), "the step never started");
    runner.kill().unwrap();
    runner.wait().unwrap();

    // Until the lease runs out the deployment may still be running somewhere.
    let finding = |out: &std::process::Output| -> Option<Value> {
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v["findings"]
            .as_array()?
            .iter()
            .find(|f| f["check"] == "deployments" && f["status"] != "info")
            .cloned()
    };
    let mut found = None;
    for _ in 0..100 {
        let out = c.ws.dtap(&["doctor", "--json"]);
        if let Some(f) = finding(&out).filter(|f| f["status"] == "problem") {
            assert_eq!(code(&out), Some(3), "a problem is exit 3");
            found = Some(f);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let found = found.expect("doctor never saw the dead runner's deployment");
    assert!(found["message"].as_str().unwrap().contains("deployment 1"), "{found:#}");
    assert_eq!(
        show(&c.ws, 1)["state"],
        "running",
        "doctor without --repair writes nothing"
    );

    let repaired = c.ws.dtap(&["doctor", "--repair", "--json"]);
    let f = finding(&repaired).expect("a deployments finding");
    assert_eq!(f["status"], "repaired", "{f:#}");
    assert_eq!(show(&c.ws, 1)["state"], "interrupted");
    // Now the environment's latest deployment did not succeed: doctor says so, with the way out.
    let after = c.ws.dtap(&["doctor", "--json"]);
    assert_eq!(code(&after), Some(3));
    let f = finding(&after).unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("ebikes-apex in test (interrupted, deployment 1)"),
        "{f:#}"
    );
    assert!(f["remedy"].as_str().unwrap().contains("dtap deploy retry"), "{f:#}");
    // The promoter hears of it, as from any runner.
    assert!(
        c.ws.mail_list(false).iter().any(|m| m["kind"] == "deploy_failed"),
        "{:?}",
        c.ws.mail_list(false)
    );
}

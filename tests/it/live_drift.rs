//! Live drift (DESIGN §14, §15): the CRM itself against its folder. A CRM
//! org cannot run here, so the stand-in CRM of `deploy.rs` (a Python step
//! writing the package's files into a real SQLite database) gets an export:
//! a Python program writing the "org's" components from that database back
//! into `{out_dir}/<package>/`. An admin's change in the org's setup screens
//! is an UPDATE of that database, as a real admin's would be invisible to git.

use serde_json::Value;

use crate::deploy::{Crm, crm};
use crate::rounds::{APEX, put};
use crate::support::{RM, Serve, code, ok, stdout, text};

/// The stand-in CRM's export: every component of every package, as files.
const EXPORT: &str = r#"
import os, sqlite3, sys
out, db = sys.argv[1], sqlite3.connect(sys.argv[2])
for pkg, path, body in db.execute("SELECT package, path, body FROM components"):
    p = os.path.join(out, pkg, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(body)
print("exported the org %s" % os.environ["DTAP_VAR_ORG"])
"#;

const CLASS: &str = "classes/ProductController.cls";

/// test deploys with the stand-in CRM and exports from it; `extra` top-level keys.
fn with_export(c: &Crm, extra: &str) {
    std::fs::write(c.dir.join("export.py"), EXPORT).unwrap();
    c.deploy_test(
        &format!(
            "    - name: deploy to the org\n      run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n  export:\n    - name: retrieve from the org\n      run: [python3, \"{}\", \"{{out_dir}}\", \"{}\"]\n",
            c.dir.join("crm.py").display(),
            c.db().display(),
            c.dir.join("export.py").display(),
            c.db().display()
        ),
        extra,
    );
}

/// An admin changes the org by hand: `sql` against the stand-in's database.
fn by_hand(c: &Crm, sql: &str) {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys\ndb=sqlite3.connect(sys.argv[1])\ndb.execute(sys.argv[2])\ndb.commit()",
            c.db().to_str().unwrap(),
            sql,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn admin_edits_the_org(c: &Crm) {
    by_hand(
        c,
        &format!(
            "UPDATE components SET body = body || '\n// INC-9: discount by hand' WHERE package = '{APEX}' AND path = '{CLASS}'"
        ),
    );
    by_hand(
        c,
        &format!("INSERT INTO components VALUES ('{APEX}', 'classes/Hotfix.cls', 'public class Hotfix {{}}')"),
    );
}

fn check(c: &Crm) -> (Option<i32>, Value) {
    let out = c.ws.dtap(&["drift", "check", "--live", "test", "--json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code(&out), v)
}

#[tokio::test]
async fn a_change_made_in_the_crm_is_found_blocks_promotions_until_acknowledged_and_is_adopted_into_develop() {
    let c = crm();
    with_export(&c, "live_drift: block\n");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    // Just deployed: the org holds what the folder says (package.yaml aside).
    let (exit, v) = check(&c);
    assert_eq!(exit, Some(0), "{v:#}");
    assert_eq!(
        v,
        serde_json::json!({"environment": "test", "packages": [{"package": APEX, "changed": [], "added": [], "missing": []}]})
    );

    admin_edits_the_org(&c);
    let (exit, v) = check(&c);
    assert_eq!(exit, Some(3), "differences are exit 3: {v:#}");
    assert_eq!(v["packages"][0]["changed"], serde_json::json!([CLASS]));
    assert_eq!(v["packages"][0]["added"], serde_json::json!(["classes/Hotfix.cls"]));
    assert_eq!(v["packages"][0]["missing"], serde_json::json!([]));
    let table = c.ws.dtap(&["drift", "check", "--live", "test", "--package", APEX]);
    assert_eq!(code(&table), Some(3));
    assert!(
        stdout(&table).contains(&format!("{APEX}  changed  {CLASS}")),
        "{}",
        text(&table)
    );

    // live_drift: block refuses the next promotion, naming the package and the ways out.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "next change");
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    for wanted in [
        APEX,
        "live drift",
        "dtap drift adopt --live test",
        "dtap drift ack --live test",
    ] {
        assert!(text(&refused).contains(wanted), "{wanted}: {}", text(&refused));
    }
    // Adopting would undo develop's own change to the same class: refused, naming it.
    let clash = c.ws.as_user(RM, &["drift", "adopt", "--live", "test", APEX]);
    assert_eq!(code(&clash), Some(3), "{}", text(&clash));
    assert!(text(&clash).contains(CLASS), "{}", text(&clash));

    // Acknowledged, the block is lifted; but 1.0.1 would undo the org's change
    // to the class, and an acknowledgement never licenses that (DESIGN §15).
    ok(c.ws.as_user(RM, &["drift", "ack", "--live", "test", "--reason", "INC-9 reviewed"]));
    let dry = c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run"]);
    assert_eq!(code(&dry), Some(3), "{}", text(&dry));
    let said = text(&dry);
    assert!(!said.contains("FAIL live_drift"), "the block is lifted: {said}");
    assert!(said.contains("FAIL live overwrite"), "{said}");
    assert!(
        said.contains(&format!(
            "would undo what was changed by hand in test's CRM in {APEX}: {CLASS}"
        )),
        "{said}"
    );
    assert!(said.contains("--overwrite-drift"), "{said}");
    let on_purpose = c.ws.as_user(
        RM,
        &[
            "promote",
            APEX,
            "--to",
            "test",
            "--dry-run",
            "--overwrite-drift",
            "--reason",
            "INC-9 is superseded by 1.0.1",
        ],
    );
    assert_eq!(code(&on_purpose), Some(0), "{}", text(&on_purpose));

    // Develop back at test's files: the org's change is adopted as a commit in develop.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "");
    let adopted = ok(c.ws.as_user(RM, &["drift", "adopt", "--live", "test", APEX, "--json"]));
    let a: Value = serde_json::from_slice(&adopted.stdout).unwrap();
    assert_eq!(a["version"], "1.0.2", "{a:#}");
    let class = c.ws.repo_git(&["show", &format!("HEAD:develop/{APEX}/{CLASS}")]);
    assert!(class.contains("INC-9: discount by hand"), "{class}");
    let hotfix =
        c.ws.repo_git(&["show", &format!("HEAD:develop/{APEX}/classes/Hotfix.cls")]);
    assert_eq!(hotfix.trim(), "public class Hotfix {}");
    let manifest = c.ws.repo_git(&["show", &format!("HEAD:develop/{APEX}/package.yaml")]);
    assert!(manifest.contains("1.0.2"), "{manifest}");
    // It travels forward like any change: promoted and deployed, the org matches again.
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    let (exit, v) = check(&c);
    assert_eq!(exit, Some(0), "{v:#}");
}

#[tokio::test]
async fn an_export_that_fails_is_exit_4_without_export_steps_is_a_usage_error_and_never_beside_a_deployment() {
    let c = crm();
    let none = c.ws.dtap(&["drift", "check", "--live", "test"]);
    assert_eq!(code(&none), Some(2), "{}", text(&none));
    assert!(text(&none).contains("add `export:` under `deploy:`"), "{}", text(&none));

    c.deploy_test(
        &format!(
            "    - run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n  export:\n    - name: retrieve\n      run: [sh, -c, \"echo 'INVALID_SESSION_ID: session expired' >&2; exit 1\"]\n",
            c.dir.join("crm.py").display(),
            c.db().display()
        ),
        "",
    );
    let failed = c.ws.dtap(&["drift", "check", "--live", "test"]);
    assert_eq!(code(&failed), Some(4), "{}", text(&failed));
    assert!(
        text(&failed).contains("INVALID_SESSION_ID: session expired"),
        "{}",
        text(&failed)
    );

    with_export(&c, "");
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--no-wait"]));
    let busy = c.ws.dtap(&["drift", "check", "--live", "test"]);
    assert_eq!(code(&busy), Some(3), "{}", text(&busy));
    assert!(text(&busy).contains("deployment 1"), "{}", text(&busy));
}

#[tokio::test]
async fn serve_checks_on_a_schedule_mails_the_notify_list_once_and_shows_a_badge() {
    let c = crm();
    with_export(&c, "notify: [ops@example.org]\n");
    ok(c.ws.dtap(&["config", "set", "deploy.live_drift_every", "1s"]));
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    admin_edits_the_org(&c);
    // The dashboard needs a signed-in user: the release manager, on loopback.
    c.ws.set_dev_user(Some(RM));
    let serve = Serve::start(&c.ws);
    let mails = || -> Vec<_> {
        c.ws.mailbox()
            .into_iter()
            .filter(|m| m.subject().starts_with("Live drift in"))
            .collect()
    };
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = mails();
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(seen.len(), 1, "no live drift mail: {}", serve.log_text());
    assert_eq!(seen[0].recipients(), ["ops@example.org".to_string()]);
    assert!(
        seen[0].text.contains(CLASS) && seen[0].text.contains("classes/Hotfix.cls"),
        "{}",
        seen[0].text
    );
    assert!(
        seen[0].text.contains(&format!("dtap drift adopt --live test {APEX}")),
        "{}",
        seen[0].text
    );
    let page = reqwest::get(format!("{}/", serve.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("live drift"), "no badge on the dashboard: {page}");
    // Further rounds find the same drift: no second mail.
    let rounds = |log: &str| log.matches("live drift checked").count();
    let at = rounds(&serve.log_text());
    for _ in 0..300 {
        if rounds(&serve.log_text()) >= at + 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(rounds(&serve.log_text()) >= at + 2, "serve stopped checking");
    c.ws.flush();
    assert_eq!(mails().len(), 1, "one mail per drift");
    serve.stop();
}

//! What a real deployment needs besides the files (DESIGN §14, issue 17):
//! per-environment values, secrets that never leave the step in any shape,
//! and deletions that are shown before they reach the CRM. The CRM is the
//! stand-in of `deploy.rs` (a real SQLite database written by a Python
//! step); the steps that leak are real shell programs doing what careless
//! tools do: print the token, wrap it across lines, send it as Basic auth.

use serde_json::Value;

use crate::deploy::{crm, show};
use crate::rounds::{APEX, put};
use crate::support::{CM, RM, Serve, TestApp, code, db_dump, ok, stdout, text};

/// A Salesforce-style access token.
const TOKEN: &str = "00Dxx0000001gPL!AQ4AQFk2xN8vQeR7";

fn base64(bytes: &[u8]) -> String {
    let out = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Every shape of the token a leak could take: itself, the 12-character
/// pieces a wrapped log shows, its Basic-auth encoding.
fn shapes() -> Vec<String> {
    let mut v = vec![TOKEN.to_string(), base64(format!("ci:{TOKEN}").as_bytes())];
    v.extend(
        TOKEN
            .as_bytes()
            .chunks(12)
            .filter(|c| c.len() >= 8)
            .map(|c| String::from_utf8(c.to_vec()).unwrap()),
    );
    v
}

#[track_caller]
fn assert_hidden(what: &str, text: &str) {
    for s in shapes() {
        assert!(!text.contains(&s), "{what} holds `{s}`:\n{text}");
    }
}

#[tokio::test]
async fn a_secret_never_leaves_the_step_in_any_shape() {
    let c = crm();
    let leak = c.dir.join("leak.sh");
    std::fs::write(
        &leak,
        "echo \"token=$CRM_TOKEN\"\nprintf '%s' \"$CRM_TOKEN\" | fold -w 12; echo\necho \"Authorization: Basic $(printf 'ci:%s' \"$CRM_TOKEN\" | base64 -w0)\"\necho 'ERROR: INVALID_SESSION_ID' >&2\nexit 1\n",
    )
    .unwrap();
    c.deploy_test(
        &format!(
            "    - name: deploy to the org\n      run: [sh, \"{}\"]\n",
            leak.display()
        ),
        &format!("secrets: [CRM_TOKEN]\nnotify: [{CM}]\n"),
    );
    // The secrets file, as an operator first writes it: readable by others.
    let file = c.dir.join("secrets.toml");
    std::fs::write(&file, format!("CRM_TOKEN = \"{TOKEN}\"\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(c.ws.dtap(&["config", "set", "deploy.secrets_file", file.to_str().unwrap()]));
    let head = c.ws.head();
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    assert!(
        text(&refused).contains(&format!("chmod 600 {}", file.display())),
        "{}",
        text(&refused)
    );
    assert_eq!(c.ws.head(), head, "refused before any commit");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(4), "{}", text(&out));
    assert_hidden("promote's output", &text(&out));
    let log = stdout(&ok(c.ws.dtap(&["deploy", "log", "1"])));
    assert!(log.contains("token=***"), "{log}");
    assert!(log.contains("Authorization: Basic "), "{log}");
    assert!(
        log.contains("INVALID_SESSION_ID"),
        "the rest of the output stays: {log}"
    );
    assert_hidden("the deployment log", &log);

    // The failure mail to the promoter and the notify list carries the tail, masked.
    c.ws.flush();
    let mails = c.ws.mailbox();
    assert!(
        mails.iter().any(|m| m.recipients().contains(&CM.to_string())),
        "the notify list hears of it"
    );
    for m in &mails {
        assert_hidden(&format!("mail `{}`", m.subject()), &format!("{}\n{}", m.text, m.html));
    }
    // The pages and the API.
    let server = TestApp::start_as(&c.ws, RM).await;
    for page in [
        "/",
        "/deployments",
        "/deployments/1",
        "/api/v1/deployments",
        "/api/v1/deployments/1",
    ] {
        let p = server.get(page).await;
        assert_eq!(p.status, 200, "{page}");
        assert_hidden(page, &p.body);
    }
    server.stop().await;

    // A runner that is a server: its log says nothing of it either.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "next");
    std::fs::write(&leak, "echo \"token=$CRM_TOKEN\"\n").unwrap();
    ok(c.ws.as_user(RM, &["deploy", "retry", "1", "--no-wait"]));
    let serve = Serve::start(&c.ws);
    for _ in 0..300 {
        if show(&c.ws, 2)["state"] != "queued" && show(&c.ws, 2)["state"] != "running" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(show(&c.ws, 2)["state"], "succeeded");
    assert_hidden("the server's log", &serve.stop());
    // And the database, every table of it.
    assert_hidden("the database", &db_dump(&c.ws, None).await);
}

#[tokio::test]
async fn variables_reach_the_step_as_arguments_environment_and_one_settings_file() {
    let c = crm();
    let copy = c.dir.join("settings-copy.json");
    let env_copy = c.dir.join("env.txt");
    c.deploy_test(
        &format!(
            "    - name: import with settings\n      run: [cp, \"{{settings}}\", \"{}\"]\n    - name: show the org\n      run: [sh, -c, \"echo $DTAP_VAR_ORG {{var.org}} > {}; test -f $DTAP_SETTINGS_FILE\"]\n",
            copy.display(),
            env_copy.display()
        ),
        "",
    );
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(&copy).unwrap()).unwrap();
    assert_eq!(settings, serde_json::json!({ "org": "crm-test" }));
    assert_eq!(std::fs::read_to_string(&env_copy).unwrap().trim(), "crm-test crm-test");
    // A placeholder naming a variable the environment lacks is found by `dtap check`, with its line.
    let env = c.ws.read("environments/test.yaml");
    c.ws.write(
        "environments/test.yaml",
        &env.replace("{var.org}", "{var.instance_url}"),
    );
    let check = c.ws.dtap(&["check"]);
    assert_ne!(code(&check), Some(0));
    assert!(text(&check).contains("environments/test.yaml:"), "{}", text(&check));
    assert!(
        text(&check).contains("{var.instance_url} names no variable of this environment; known: org"),
        "{}",
        text(&check)
    );
}

#[tokio::test]
async fn deletions_are_shown_before_they_reach_the_crm_and_confirmed_where_asked() {
    let c = crm();
    let script = c.dir.join("crm.py");
    c.deploy_test(
        &format!(
            "    - name: deploy to the org\n      run: [python3, \"{}\", \"{{package_dir}}\", \"{}\"]\n",
            script.display(),
            c.db().display()
        ),
        &format!("notify: [{CM}]\nconfirm_deletions: true\n"),
    );
    ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test"]));
    // The developers drop the test class; version 1.0.1 no longer has it.
    put(&c.ws, APEX, "1.0.1", &[&c.rfc], "without the test class");
    c.ws.remove_paths(
        "Drop TestProductController",
        &[
            "develop/ebikes-apex/classes/TestProductController.cls",
            "develop/ebikes-apex/classes/TestProductController.cls-meta.xml",
        ],
    );
    let dry = c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--dry-run"]);
    assert_eq!(code(&dry), Some(3), "the dry run shows the refusal to come");
    let said = stdout(&dry);
    assert!(said.contains("REMOVES 2 file(s) from test"), "{said}");
    assert!(said.contains("- classes/TestProductController.cls"), "{said}");
    assert!(said.contains("FAIL deletions"), "{said}");

    let head = c.ws.head();
    let refused = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&refused), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("--confirm-deletions"), "{}", text(&refused));
    assert_eq!(c.ws.head(), head);

    let done =
        ok(c.ws.as_user(RM, &["promote", APEX, "--to", "test", "--confirm-deletions", "--json"]));
    let v: Value = serde_json::from_slice(&done.stdout).unwrap();
    let id = v["deployments"][0]["id"].as_i64().unwrap();
    assert_eq!(v["deployments"][0]["state"], "succeeded");
    // The stand-in org no longer holds the class.
    assert!(
        !c.components(APEX)
            .contains(&"classes/TestProductController.cls".to_string())
    );
    // The deployment says what it removed, in the CLI, the API and the page.
    let d = show(&c.ws, id);
    assert_eq!(
        d["removed"],
        serde_json::json!([
            "classes/TestProductController.cls",
            "classes/TestProductController.cls-meta.xml"
        ]),
        "{d:#}"
    );
    let server = TestApp::start_as(&c.ws, RM).await;
    let page = server.get(&format!("/deployments/{id}")).await;
    assert!(page.body.contains("Removes 2 file(s) from the CRM"), "{}", page.body);
    let nl = server.get(&format!("/deployments/{id}?lang=nl")).await;
    assert!(nl.body.contains("Verwijdert 2 bestand(en) uit het CRM"), "{}", nl.body);
    server.stop().await;
    // The notify list reads it in the promotion mail, apart from the rest.
    c.ws.flush();
    let mail =
        c.ws.mailbox()
            .into_iter()
            .find(|m| m.recipients().contains(&CM.to_string()) && m.text.contains("REMOVES"))
            .expect("a promotion mail to the notify list naming the removals");
    assert!(mail.text.contains("REMOVES 2 file(s) from Test"), "{}", mail.text);
    assert!(
        mail.text.contains("- ebikes-apex/classes/TestProductController.cls\n"),
        "{}",
        mail.text
    );
}

//! The first hour with dtap (issue 15's trial): the README tour pasted line
//! by line, `dtap config set/get`, mailed links while `serve` listens on
//! another port, an `init` that fails leaving nothing behind, a second
//! workspace on a config repo in use (`--adopt`), and `status` right after a
//! push to the remote.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{KIM, RM, Serve, TestWorkspace, code, json_of, ok, stderr, stdout, text};

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A loopback port nobody listens on: connections to it are refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------- the README tour

/// The commands of README.md's "A short tour" (the block marked
/// `sh runnable=tour`), one shell line each.
fn tour_lines() -> Vec<String> {
    crate::support::docs::named_block("README.md", "tour")
        .script
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_tour_works_pasted_line_by_line() {
    let ws = TestWorkspace::empty();
    let bin = ws.tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_dtap"), bin.join("dtap")).unwrap();
    let crm = ws.tmp.path().join("crm");
    let lines = tour_lines();
    assert!(
        lines[0].starts_with("cargo build"),
        "the tour starts by building: {lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains(">> dtap.toml")), "{lines:?}");
    let (serve, rest) = lines[1..].split_last().unwrap();
    assert!(serve.starts_with("dtap serve"), "the tour ends serving: {serve}");
    // Everything but the build (the binary under test stands in) and serve,
    // in one shell as a paste would run it, stopping at the first failure.
    let script = format!(
        "set -e\nexport PATH={}:$PATH\n{}\n",
        bin.display(),
        rest.join("\n").replace("/tmp/crm", crm.to_str().unwrap())
    );
    let out = ws
        .isolated_command("bash")
        .current_dir(ws.tmp.path())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "the tour failed:\n{}", text(&out));
    let toml = std::fs::read_to_string(crm.join("dtap.toml")).unwrap();
    let web = toml.split("[web]").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(
        web.contains("dev_user = \"cm@example.org\""),
        "dev_user lands in [web]:\n{toml}"
    );
    assert!(
        stdout(&out).contains("pending  invitation"),
        "invitations wait in the outbox:\n{}",
        text(&out)
    );
    // The last line, on a free port: the server starts on the tour's workspace.
    let tour_ws = TestWorkspace {
        tmp: tempfile::tempdir().unwrap(),
        dir: crm.clone(),
    };
    std::fs::create_dir_all(tour_ws.home()).unwrap();
    std::fs::copy(ws.gitconfig(), tour_ws.gitconfig()).unwrap();
    let serve = Serve::start(&tour_ws);
    let page = http_status(&serve.url);
    serve.stop();
    assert_eq!(page, 200, "the dashboard answers as cm");
}

/// The status of a GET, from a thread of its own (these tests are sync).
fn http_status(url: &str) -> u16 {
    let url = url.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { reqwest::get(&url).await.unwrap().status().as_u16() })
    })
    .join()
    .unwrap()
}

// ---------------------------------------------------------------- dtap config

#[test]
fn config_set_changes_one_setting_and_keeps_the_rest_of_the_file() {
    let ws = TestWorkspace::init();
    let before = ws.read("dtap.toml");
    let owner_only = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions(ws.dir.join("dtap.toml"), owner_only).unwrap();
    ok(ws.dtap(&["config", "set", "web.dev_user", "fa@example.org"]));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(ws.dir.join("dtap.toml")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "a file readable by its owner only stays so");
    let after = ws.read("dtap.toml");
    let web = after.split("[web]").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(web.contains("dev_user = \"fa@example.org\""), "under [web]:\n{after}");
    // Only that line was added: every comment and line of the file is kept.
    let added: Vec<&str> = after.lines().filter(|l| !before.lines().any(|b| b == *l)).collect();
    assert_eq!(added, ["dev_user = \"fa@example.org\""]);
    assert_eq!(
        stdout(&ok(ws.dtap(&["config", "get", "web.dev_user"]))).trim(),
        "fa@example.org"
    );
    ok(ws.dtap(&["check"]));

    // A value in place: the comment after it stays.
    ok(ws.dtap(&["config", "set", "signoff.link_ttl", "3d"]));
    ok(ws.dtap(&["config", "set", "web.base_url", "https://crm.example.org"]));
    let text_now = ws.read("dtap.toml");
    assert!(
        text_now.contains("base_url = \"https://crm.example.org\"    # the address put in mailed links"),
        "{text_now}"
    );
    let got = json_of(&ws.dtap(&["config", "get", "signoff.link_ttl", "--json"]));
    assert_eq!(
        (got["value"].as_str(), got["source"].as_str()),
        (Some("3d"), Some("dtap.toml"))
    );
    let got = json_of(&ws.dtap(&["config", "get", "repo.fresh_for", "--json"]));
    assert_eq!(
        (got["value"].as_str(), got["source"].as_str()),
        (Some("30s"), Some("default"))
    );
    let got = json_of(&ws.dtap_env(
        &["config", "get", "web.bind", "--json"],
        &[("DTAP_WEB_BIND", "127.0.0.1:9")],
    ));
    assert_eq!(got["source"], "DTAP_WEB_BIND");
}

#[test]
fn config_set_refuses_unknown_keys_and_bad_values_writing_nothing() {
    let ws = TestWorkspace::init();
    let before = ws.read("dtap.toml");
    let unknown = ws.dtap(&["config", "set", "web.dev_usr", "fa@example.org"]);
    assert_eq!(code(&unknown), Some(1), "{}", text(&unknown));
    assert!(
        stderr(&unknown).contains("unknown key `web.dev_usr`"),
        "{}",
        text(&unknown)
    );
    assert!(
        stderr(&unknown).contains("web.dev_user"),
        "lists the keys of [web]: {}",
        text(&unknown)
    );
    let section = ws.dtap(&["config", "set", "webb.bind", "x"]);
    assert!(stderr(&section).contains("webb.bind"), "{}", text(&section));
    let no_dot = ws.dtap(&["config", "set", "dev_user", "x"]);
    assert!(stderr(&no_dot).contains("SECTION.KEY"), "{}", text(&no_dot));
    for (key, value) in [
        ("web.bind", "not-an-address"),
        ("signoff.link_ttl", "soon"),
        ("web.dev_user", "not an email"),
    ] {
        let out = ws.dtap(&["config", "set", key, value]);
        assert_eq!(code(&out), Some(1), "{}", text(&out));
        assert!(stderr(&out).contains(key), "names {key}: {}", text(&out));
        assert!(stderr(&out).contains("dtap.toml:"), "says where: {}", text(&out));
    }
    assert_eq!(ws.read("dtap.toml"), before, "nothing was written");
    let unset = ws.dtap(&["config", "get", "web.proxy_header"]);
    assert_eq!(code(&unset), Some(1));
    assert!(stderr(&unset).contains("not set"), "{}", text(&unset));
    let leftovers: Vec<_> = std::fs::read_dir(&ws.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left: {leftovers:?}");
}

// ---------------------------------------------------------------- serve --bind

#[test]
fn mailed_links_point_at_the_port_serve_is_bound_to() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "a");
    let mut serve = Serve::start(&ws);
    let said = serve.next_line();
    assert!(
        said.contains(&format!("Mailed links point at {}/", serve.url)),
        "start-up says where links point: {said}"
    );
    // A promotion on the command line while serve runs: its invitation is
    // delivered by serve's worker and links to serve's port.
    ws.promote(RM, "test");
    let deadline = Instant::now() + Duration::from_secs(20);
    let link = loop {
        let links: Vec<String> = ws
            .mailbox()
            .into_iter()
            .filter(|m| m.recipients().iter().any(|r| r == KIM))
            .flat_map(|m| m.links("/signoff/"))
            .collect();
        if let Some(l) = links.into_iter().next() {
            break l;
        }
        assert!(
            Instant::now() < deadline,
            "serve delivered no invitation:\n{}",
            serve.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        link.starts_with(&format!("{}/signoff/", serve.url)),
        "{link} names {}",
        serve.url
    );
    assert_eq!(http_status(&link), 200, "the mailed link opens the sign-off form");
    serve.stop();
}

#[test]
fn a_base_url_set_by_hand_is_kept_with_a_warning_when_bind_names_another_port() {
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["config", "set", "web.base_url", "http://127.0.0.1:1234"]));
    let mut serve = Serve::start(&ws);
    let said = serve.next_line();
    assert!(said.contains("Mailed links point at http://127.0.0.1:1234"), "{said}");
    // Answering, it has its SIGTERM handler in place.
    assert_eq!(http_status(&format!("{}/healthz", serve.url)), 200);
    let log = serve.stop();
    assert!(
        log.contains("warning: mailed links point at http://127.0.0.1:1234 ([web] base_url, port 1234)"),
        "{log}"
    );
}

// ---------------------------------------------------------------- init

#[test]
fn an_init_that_cannot_reach_its_remote_leaves_nothing_behind() {
    let ws = TestWorkspace::empty();
    let dir = ws.dir.to_str().unwrap();
    let refused = format!("git://127.0.0.1:{}/config.git", closed_port());
    let env = [
        ("DTAP_REPO_URL", refused.as_str()),
        ("DTAP_REPO_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let out = ws.dtap_env(&["init", dir], &env);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("could not be reached"), "{}", text(&out));
    assert!(!ws.dir.exists(), "no folder left behind");
    // A folder that existed stays as it was; what an init killed on the way
    // left there (its build folder) is cleared by the next.
    std::fs::create_dir_all(ws.dir.join(".dtap-init-4194304/.dtap")).unwrap();
    let out = ws.dtap_env(&["init", dir], &env);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert_eq!(
        std::fs::read_dir(&ws.dir).unwrap().count(),
        0,
        "the folder is as it was"
    );
    // A second init, on a reachable (empty) remote, just works; the url given
    // by the environment is in dtap.toml, so later commands need no variable.
    let server = ws.tmp.path().join("server/config.git");
    ws.git(ws.tmp.path(), &["init", "-q", "--bare", server.to_str().unwrap()]);
    let url = file_url(&server);
    let out = ok(ws.dtap_env(&["init", dir], &[("DTAP_REPO_URL", url.as_str())]));
    assert!(
        stdout(&out).contains("Wrote repo.url from DTAP_REPO_URL"),
        "{}",
        text(&out)
    );
    assert!(ws.read("dtap.toml").contains(&format!("url = \"{url}\"")));
    ok(ws.dtap(&["check"]));
    assert_eq!(json_of(&ws.dtap(&["status", "--json"]))["fetched_seconds_ago"], 0);
    let names: Vec<String> = std::fs::read_dir(&ws.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".dtap-init")), "{names:?}");
}

/// A commit by hand into `env/crm-core` of the server repo.
fn hand_commit(ws: &TestWorkspace, server: &Path, env: &str, version: &str) {
    let work = ws.tmp.path().join("hand");
    if work.exists() {
        ws.git(&work, &["pull", "-q", "--ff-only"]);
    } else {
        ws.git(
            ws.tmp.path(),
            &["clone", "-q", server.to_str().unwrap(), work.to_str().unwrap()],
        );
    }
    let file = work.join(format!("{env}/crm-core/package.yaml"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, crate::support::manifest("crm-core", version, &[])).unwrap();
    ws.git(&work, &["add", "-A"]);
    ws.git(
        &work,
        &["commit", "-q", "-m", &format!("crm-core {version} by hand in {env}")],
    );
    ws.git(&work, &["push", "-q", "origin", "HEAD:main"]);
}

#[test]
fn a_second_workspace_on_a_repo_in_use_is_refused_unless_it_adopts_the_history() {
    let first = TestWorkspace::init();
    let server = first.move_repo_to_server();
    let url = file_url(&server);
    first.use_remote(&url, "");
    hand_commit(&first, &server, "test", "1.0.0");

    let second = TestWorkspace::empty();
    let dir = second.dir.to_str().unwrap();
    let out = second.dtap_env(&["init", dir], &[("DTAP_REPO_URL", url.as_str())]);
    assert_eq!(code(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("--adopt"), "says how: {}", text(&out));
    assert!(!second.dir.exists(), "nothing left behind");

    let out = ok(second.dtap_env(&["init", "--adopt", dir], &[("DTAP_REPO_URL", url.as_str())]));
    assert!(stdout(&out).contains("Adopted the config repo"), "{}", text(&out));
    let status = json_of(&second.dtap(&["status", "--json"]));
    assert_eq!(
        status["drift"],
        serde_json::json!([]),
        "the adopted history is no drift: {status}"
    );
    assert_eq!(status["packages"][0]["cells"]["test"]["version"], "1.0.0", "{status}");
    // What happens by hand after the adoption is drift, as always.
    hand_commit(&first, &server, "test", "1.0.1");
    let status = json_of(&second.dtap(&["status", "--json"]));
    assert_eq!(status["drift"][0]["environment"], "test", "{status}");
}

// ---------------------------------------------------------------- status after a push

#[test]
fn status_right_after_a_push_shows_it_and_says_when_it_fetched() {
    let ws = TestWorkspace::init();
    let server = ws.move_repo_to_server();
    ws.use_remote(&file_url(&server), "fresh_for = \"1h\"\n");
    hand_commit(&ws, &server, "develop", "1.0.0");
    let first = ok(ws.dtap(&["status"]));
    assert!(stdout(&first).contains("1.0.0"), "{}", text(&first));
    assert!(stdout(&first).contains("fetched 0 s ago"), "{}", text(&first));
    // Pushed by a colleague a moment later: well within fresh_for.
    hand_commit(&ws, &server, "develop", "1.1.0");
    let status = json_of(&ws.dtap(&["status", "--json"]));
    assert_eq!(
        status["packages"][0]["cells"]["develop"]["version"], "1.1.0",
        "{status}"
    );
    assert!(status["fetched_seconds_ago"].as_u64().unwrap() <= 1, "{status}");
    // A local config repo is never fetched.
    let local = TestWorkspace::init();
    assert_eq!(
        json_of(&local.dtap(&["status", "--json"]))["fetched_seconds_ago"],
        serde_json::Value::Null
    );
}

//! The real app on port 0 with its own workspace, talked to over HTTP.

use dtap::app::App;

use crate::support::{
    ADMIN, RM, SALES, Serve, TestApp, TestWorkspace, code, csrf_token_in, db_connect, db_dump, html_escape,
    http_no_redirect, manifest, ok, on_postgres, stdout, text,
};

#[tokio::test]
async fn health_ready_and_dashboard() {
    let ws = TestWorkspace::init();
    ws.commit_files(
        "Add crm-core",
        &[
            (
                "develop/crm-core/package.yaml",
                &manifest("crm-core", "2.1.0", &["RFC-4"]),
            ),
            ("test/crm-core/package.yaml", &manifest("crm-core", "2.0.0", &["RFC-4"])),
            ("develop/<script>x/package.yaml", "name: x\n"),
            ("test/crm-web/package.yaml", "name: crm-web\nversion: x\n"),
        ],
    );
    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();

    let r = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let r = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // The dashboard is for signed-in users in access.yaml.
    let r = http.get(server.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(!r.text().await.unwrap().contains("crm-core"));
    let session = server.sign_in(&ws, RM).await;
    let r = session.get("/").await;
    assert_eq!(r.status, 200);
    let page = r.body;
    assert!(page.contains("crm-core"), "{page}");
    assert!(page.contains("2.1.0") && page.contains("2.0.0"));
    assert!(page.contains("Acceptance") && page.contains("Production"));
    assert!(page.contains("/static/style.css"));
    assert!(!page.contains("<script>x"), "folder names are escaped");
    assert!(page.contains("&lt;script&gt;x"), "{page}");
    // A broken package is named, linked, with where it is and what is wrong.
    let attention = &page[page.find("Packages that need attention").expect("the problems section")..];
    assert!(
        attention.contains("crm-web</a></strong> in Test: not a valid package"),
        "{attention}"
    );
    assert!(attention.contains("crm-web&#x2f;package.yaml"), "{attention}");
    let dutch = session.get("/?lang=nl").await.body;
    let attention = &dutch[dutch.find("Pakketten die aandacht nodig hebben").expect("in Dutch")..];
    assert!(
        attention.contains("in Ontwikkel: geen geldig pakket; `dtap check` meldt:"),
        "{attention}"
    );

    let css = http.get(server.url("/static/style.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));

    let missing = http.get(server.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    server.stop().await;
}

#[tokio::test]
async fn readyz_fails_when_the_repo_is_gone() {
    let ws = TestWorkspace::init();
    let server = TestApp::start(&ws).await;
    std::fs::rename(ws.repo_path(), ws.dir.join(".dtap/moved.git")).unwrap();
    let r = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("repo"));
    server.stop().await;
}

#[tokio::test]
async fn dev_user_is_refused_off_loopback() {
    let ws = TestWorkspace::init();
    ws.set_dev_user(Some(ADMIN));
    let app = App::open(&ws.dir).await.unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let err = dtap::web::launch(app, listener, async {}).await.unwrap_err();
    assert!(err.to_string().contains("only allowed on a loopback address"), "{err}");
}

#[test]
fn serve_creates_missing_state_and_prints_the_url() {
    let ws = TestWorkspace::init();
    std::fs::remove_dir_all(ws.dir.join(".dtap")).unwrap();
    let serve = Serve::start(&ws);
    // The SQLite file went with .dtap/; a PostgreSQL database stays where it is.
    assert_eq!(
        serve.said.iter().any(|l| l.starts_with("Created database")),
        !on_postgres(),
        "{:?}",
        serve.said
    );
    assert!(
        serve.said.iter().any(|l| l.starts_with("Created config repo")),
        "{:?}",
        serve.said
    );
    let body = blocking_get(&format!("{}/healthz", serve.url));
    // SIGTERM: graceful shutdown.
    serve.stop();
    assert_eq!(body, "ok");
}

/// A GET from sync code, through a small runtime of its own.
fn blocking_get(url: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}

#[tokio::test]
async fn api_tokens_authenticate_scripts_and_can_be_revoked() {
    let ws = TestWorkspace::init();
    let out = ok(ws.as_user(
        SALES,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scope",
            "read",
            "--scope",
            "rfc.write",
        ],
    ));
    let printed = stdout(&out);
    let token = printed
        .lines()
        .find(|l| l.starts_with("dtap_"))
        .expect("the token is printed once")
        .to_string();
    assert!(
        !db_dump(&ws, None).await.contains(&token),
        "only the token's hash is stored"
    );
    if !on_postgres() {
        let db = std::fs::read(ws.dir.join(".dtap/dtap.db")).unwrap();
        assert!(
            !String::from_utf8_lossy(&db).contains(&token),
            "not even in a free page"
        );
    }

    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let body = serde_json::json!({ "template": "report", "title": "Weekly sales button" });
    let r = http
        .post(server.url("/api/v1/rfcs"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let rfc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rfc["requester"], "sales@example.org", "the token acts as its owner");

    let r = http
        .get(server.url("/api/v1/rfcs"))
        .bearer_auth("dtap_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(server.url("/api/v1/rfcs")).send().await.unwrap();
    assert_eq!(r.status(), 401, "no dev_user and no token: no access");

    ok(ws.as_user(SALES, &["token", "revoke", "1"]));
    let r = http
        .get(server.url("/api/v1/rfcs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a revoked token no longer works");
    let audit = ws.dtap(&["audit", "--action", "token", "--json"]);
    let events: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn audit_rows_are_append_only_and_verify_names_a_changed_row() {
    use sqlx::Connection;
    let ws = TestWorkspace::init();
    ok(ws.as_user(
        SALES,
        &["rfc", "new", "--template", "report", "--title", "Weekly sales"],
    ));
    let out = ok(ws.dtap(&["audit", "verify"]));
    assert!(stdout(&out).contains("intact: 2 events"));

    // Tampering on purpose: the database refuses to change audit rows.
    let mut db = db_connect(&ws).await;
    let update = sqlx::query("UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 2")
        .execute(&mut db)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_events WHERE seq = 1")
        .execute(&mut db)
        .await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    // Someone with the database file can drop the guard; the chain still tells.
    let drop = if on_postgres() {
        "DROP TRIGGER audit_events_no_update ON audit_events"
    } else {
        "DROP TRIGGER audit_events_no_update"
    };
    sqlx::query(drop).execute(&mut db).await.unwrap();
    sqlx::query("UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let out = ws.dtap(&["audit", "verify"]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(text(&out).contains("broken at event 2"), "{}", text(&out));
}

#[tokio::test]
async fn login_by_mailed_link_gives_a_fresh_session_that_logout_ends() {
    let ws = TestWorkspace::init();
    let server = TestApp::start(&ws).await;
    let http = http_no_redirect();
    assert_eq!(http.get(server.url("/rfcs")).send().await.unwrap().status(), 401);

    let page = http
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token_in(&page);
    // Unknown addresses get the same answer, and no mail.
    let r = http
        .post(server.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("email", "nobody@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let same = r.text().await.unwrap();
    assert!(same.contains("Check your mail"));
    let r = http
        .post(server.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("email", "Sales@Example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), same, "known and unknown addresses look alike");
    let r = http
        .post(server.url("/login"))
        .form(&[("csrf_token", "forged"), ("email", "sales@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    ws.flush();
    let mail = ws.latest_mail_with_link(SALES, "/login/");
    let link = mail.links("/login/").remove(0).rsplit('/').next().unwrap().to_string();
    assert_eq!(link.len(), 64);

    // Opening the link (a mail scanner) signs nobody in.
    let confirm = http.get(server.url(&format!("/login/{link}"))).send().await.unwrap();
    assert_eq!(confirm.headers()["referrer-policy"], "same-origin");
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Sign in as sales@example.org"), "{confirm}");
    let r = http
        .post(server.url(&format!("/login/{link}")))
        .header("cookie", "dtap_session=chosen-by-an-attacker")
        .form(&[("csrf_token", csrf_token_in(&confirm).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    assert!(!session.contains("chosen-by-an-attacker"), "a new session id at login");

    let page = http
        .get(server.url("/rfcs"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("sales@example.org"));

    // The link worked once.
    let again = http
        .post(server.url(&format!("/login/{link}")))
        .form(&[("csrf_token", csrf_token_in(&confirm).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    let dash = http
        .get(server.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = http
        .post(server.url("/logout"))
        .header("cookie", &session)
        .form(&[("csrf_token", csrf_token_in(&dash).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        http.get(server.url("/rfcs"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    server.stop().await;
}

#[tokio::test]
async fn a_proxy_header_counts_only_from_a_trusted_proxy() {
    let ws = TestWorkspace::init();
    let toml = ws.read("dtap.toml");
    ws.write(
        "dtap.toml",
        &toml.replace(
            "[web]\n",
            "[web]\nproxy_header = \"X-Forwarded-User\"\ntrusted_proxies = \"127.0.0.1\"\n",
        ),
    );
    let server = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let r = http
        .get(server.url("/rfcs"))
        .header("X-Forwarded-User", "cm@example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "from 127.0.0.1, a trusted proxy");
    assert!(r.text().await.unwrap().contains("cm@example.org"));
    server.stop().await;

    ws.write(
        "dtap.toml",
        &toml.replace(
            "[web]\n",
            "[web]\nproxy_header = \"X-Forwarded-User\"\ntrusted_proxies = \"10.9.9.9\"\n",
        ),
    );
    let server = TestApp::start(&ws).await;
    let r = http
        .get(server.url("/rfcs"))
        .header("X-Forwarded-User", "cm@example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "the same header from an untrusted address counts for nothing"
    );
    server.stop().await;
}

/// Every page route × every role: the status each identity gets. Identities
/// are given by the trusted proxy header, as a company's single sign-on would.
#[tokio::test]
async fn every_route_authorizes_its_caller() {
    let ws = TestWorkspace::init();
    ws.edit(
        "dtap.toml",
        "[web]\n",
        "[web]\nproxy_header = \"X-User\"\ntrusted_proxies = \"127.0.0.1\"\n",
    );
    let fields = [
        "what_to_see=All my closed deals",
        "where_to_show=My dashboard",
        "period=Last week",
        "who_sees=Only me",
        "why_needed=Monday call",
        "how_to_know=Matches finance",
        "impact_organisation=Better forecasts",
        "impact_department=No more Excel",
        "impact_individual=An hour a week",
        "risk=low",
    ];
    let mut args = vec!["rfc", "new", "--template", "report", "--title", "Weekly sales button"];
    for f in &fields {
        args.extend(["--field", f]);
    }
    ok(ws.as_user(SALES, &args));

    let server = TestApp::start(&ws).await;
    let http = http_no_redirect();
    const ANON: &str = "";
    let users = [
        ANON,
        "sales@example.org",
        "fa@example.org",
        "cm@example.org",
        "rm@example.org",
    ];
    // Expected status per user, in the order of `users`.
    let pages: &[(&str, [u16; 5])] = &[
        ("/", [401, 200, 200, 200, 200]),
        ("/rfcs", [401, 200, 200, 200, 200]),
        ("/rfcs?q=sales&state=draft", [401, 200, 200, 200, 200]),
        ("/rfcs/new", [401, 200, 200, 200, 200]),
        ("/rfcs/RFC-1", [401, 200, 200, 200, 200]),
        ("/rfcs/RFC-1/edit", [401, 200, 200, 403, 403]),
        ("/access", [401, 403, 403, 200, 403]),
        ("/audit", [401, 403, 403, 200, 200]),
        ("/audit.csv", [401, 403, 403, 200, 200]),
        ("/healthz", [200, 200, 200, 200, 200]),
        ("/static/style.css", [200, 200, 200, 200, 200]),
        ("/nothing-here", [404, 404, 404, 404, 404]),
    ];
    let get = |path: &str, user: &str| {
        let mut req = http.get(server.url(path));
        if !user.is_empty() {
            req = req.header("X-User", user);
        }
        req.send()
    };
    for (path, expected) in pages {
        for (user, want) in users.iter().zip(expected) {
            let status = get(path, user).await.unwrap().status().as_u16();
            assert_eq!(status, *want, "GET {path} as {user:?}");
        }
    }
    // The form tokens are per user: take each user's from their own page.
    let mut tokens = std::collections::HashMap::new();
    for user in users.iter().filter(|u| !u.is_empty()) {
        let page = get("/rfcs/RFC-1", user).await.unwrap().text().await.unwrap();
        tokens.insert(*user, csrf_token_in(&page));
    }
    let post = |path: String, user: &'static str, form: Vec<(&'static str, String)>| {
        let mut form = form;
        if let Some(t) = tokens.get(user) {
            form.push(("csrf_token", t.clone()));
        }
        let mut req = http.post(server.url(&path)).form(&form);
        if !user.is_empty() {
            req = req.header("X-User", user);
        }
        req.send()
    };
    // Filing needs rfc.file.
    let new = |u| {
        post(
            "/rfcs".into(),
            u,
            vec![("template", "report".into()), ("title", "Another".into())],
        )
    };
    for (user, want) in users.iter().zip([401, 303, 303, 303, 403]) {
        assert_eq!(
            new(user).await.unwrap().status().as_u16(),
            want,
            "POST /rfcs as {user:?}"
        );
    }
    // Submitting is for the requester (or rfc.edit); approving needs rfc.assess and is never the requester's.
    let approve = |u| {
        post(
            "/rfcs/RFC-1/transition".into(),
            u,
            vec![("transition", "approve".into())],
        )
    };
    assert_eq!(
        approve("cm@example.org").await.unwrap().status(),
        403,
        "a draft cannot be approved yet"
    );
    let submit = |u| {
        post(
            "/rfcs/RFC-1/transition".into(),
            u,
            vec![("transition", "submit".into())],
        )
    };
    assert_eq!(submit("rm@example.org").await.unwrap().status(), 403);
    assert_eq!(submit("sales@example.org").await.unwrap().status(), 303);
    for user in ["sales@example.org", "fa@example.org", "rm@example.org"] {
        assert_eq!(approve(user).await.unwrap().status(), 403, "approve as {user}");
    }
    assert_eq!(approve("cm@example.org").await.unwrap().status(), 303);
    // Appointing testers and editing the test plan need rfc.edit.
    for (user, want) in [
        ("sales@example.org", 403),
        ("cm@example.org", 403),
        ("fa@example.org", 303),
    ] {
        let r = post(
            "/rfcs/RFC-1/testers".into(),
            user,
            vec![
                ("op", "add".into()),
                ("environment", "test".into()),
                ("email", "kim@example.org".into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), want, "appoint as {user}");
    }
    // The requester may never be appointed as a tester of their own RFC.
    let r = post(
        "/rfcs/RFC-1/testers".into(),
        "fa@example.org",
        vec![
            ("op", "add".into()),
            ("environment", "test".into()),
            ("email", "sales@example.org".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    server.stop().await;
}

/// The menu's links on a page: the `href`s inside the header's `<nav>`.
fn menu_of(page: &str) -> Vec<String> {
    let header = &page[page.find("<header").expect("a header")..page.find("</header>").unwrap()];
    let nav = &header[header.find("<nav").expect("a menu")..header.find("</nav>").unwrap()];
    nav.split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

/// The menu offers each user the pages they may open and no other; a
/// signed-in user is never asked to sign in, not on an error page either.
#[tokio::test]
async fn the_menu_offers_only_the_pages_each_role_may_open() {
    let ws = TestWorkspace::init();
    ws.edit(
        "dtap.toml",
        "[web]\n",
        "[web]\nproxy_header = \"X-User\"\ntrusted_proxies = \"127.0.0.1\"\n",
    );
    let server = TestApp::start(&ws).await;
    let http = http_no_redirect();
    let everything = [
        "/",
        "/me",
        "/rfcs",
        "/rfcs/new",
        "/reports",
        "/calendar",
        "/access",
        "/audit",
    ];
    let menus: &[(&str, &[&str])] = &[
        // Nobody, and a tester without a role: every page needs a role.
        ("", &[]),
        ("sales@example.org", &["/", "/me", "/rfcs", "/rfcs/new", "/calendar"]),
        (
            "fa@example.org",
            &["/", "/me", "/rfcs", "/rfcs/new", "/reports", "/calendar"],
        ),
        (
            "cm@example.org",
            &[
                "/",
                "/me",
                "/rfcs",
                "/rfcs/new",
                "/reports",
                "/calendar",
                "/access",
                "/audit",
            ],
        ),
        (
            "rm@example.org",
            &["/", "/me", "/rfcs", "/reports", "/calendar", "/audit"],
        ),
        // A tester without a role: signed in, but no pages (sign-off links need none).
        ("kim@example.org", &[]),
    ];
    for (user, want) in menus {
        for path in ["/", "/nothing-here", "/access"] {
            let mut req = http.get(server.url(path));
            if !user.is_empty() {
                req = req.header("X-User", *user);
            }
            let page = req.send().await.unwrap().text().await.unwrap();
            assert_eq!(menu_of(&page), *want, "the menu of {user:?} on {path}");
            let signed_in = !user.is_empty();
            assert_eq!(
                page.contains("class=\"who\" href="),
                !signed_in,
                "{user:?} on {path}: {page}"
            );
            if signed_in {
                assert!(page.contains(&format!("<span class=\"who\">{user}</span>")), "{page}");
            }
        }
        // Each page the menu offers opens for that user.
        for href in *want {
            let mut req = http.get(server.url(href));
            if !user.is_empty() {
                req = req.header("X-User", *user);
            }
            assert_eq!(req.send().await.unwrap().status(), 200, "{user:?} opens {href}");
        }
        for href in everything.iter().filter(|h| !want.contains(h)) {
            let mut req = http.get(server.url(href));
            if !user.is_empty() {
                req = req.header("X-User", *user);
            }
            let status = req.send().await.unwrap().status().as_u16();
            // /rfcs/new shows its page to anyone in the matrix; filing is refused.
            if *href != "/rfcs/new" {
                assert!(status == 401 || status == 403, "{user:?} may not open {href}: {status}");
            }
        }
    }
    // The icon in the browser's tab: named by every page, served at both addresses.
    let page = http.get(server.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("<link rel=\"icon\" href=\"/static/favicon.svg\""),
        "{page}"
    );
    for (path, kind, magic) in [
        ("/static/favicon.svg", "image/svg+xml", &b"<svg"[..]),
        ("/favicon.ico", "image/png", &b"\x89PNG"[..]),
    ] {
        let r = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], kind, "{path}");
        assert!(r.bytes().await.unwrap().starts_with(magic), "{path}");
    }
    server.stop().await;
}

/// The login form's hidden `next` field, unescaped as a browser posts it.
fn next_in(form: &str) -> String {
    form.split("name=\"next\" value=\"").nth(1).map_or(String::new(), |v| {
        v[..v.find('"').unwrap()].replace("&#x2f;", "/").replace("&amp;", "&")
    })
}

/// A page asked for while signed out answers 401 with a way to sign in that
/// comes back to it: the login form carries the page, the mailed link's
/// confirmation returns there. Only this site's pages are returned to.
#[tokio::test]
async fn signing_in_from_a_401_comes_back_to_the_page_asked_for() {
    let ws = TestWorkspace::init();
    let server = TestApp::start(&ws).await;
    let http = http_no_redirect();
    let r = http.get(server.url("/audit?actor=rm&lang=nl")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let page = r.text().await.unwrap();
    let back = "/login?next=%2Faudit%3Factor%3Drm%26lang%3Dnl";
    assert!(page.contains(&format!("href=\"{}\"", html_escape(back))), "{page}");
    assert!(!page.contains("/login with"), "no address to type: {page}");

    let sign_in = |next: &'static str| {
        let http = http.clone();
        let server_url = server.url("");
        async move {
            let form = http
                .get(format!("{server_url}/login?next={next}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let r = http
                .post(format!("{server_url}/login"))
                .form(&[
                    ("csrf_token", csrf_token_in(&form).as_str()),
                    ("email", "cm@example.org"),
                    ("next", next_in(&form).as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let next_cookie = r
                .headers()
                .get("set-cookie")
                .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string());
            (form, next_cookie)
        }
    };
    let confirm = |cookie: Option<String>| {
        let http = http.clone();
        let ws = &ws;
        let server = &server;
        async move {
            ws.flush();
            let link = ws
                .latest_mail_with_link("cm@example.org", "/login/")
                .links("/login/")
                .remove(0);
            let path = crate::support::path_of(&link);
            let page = http.get(server.url(&path)).send().await.unwrap().text().await.unwrap();
            let mut req = http
                .post(server.url(&path))
                .form(&[("csrf_token", csrf_token_in(&page))]);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 303);
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };

    let (form, cookie) = sign_in("%2Faudit%3Factor%3Drm%26lang%3Dnl").await;
    assert_eq!(next_in(&form), "/audit?actor=rm&lang=nl", "{form}");
    assert!(
        cookie.as_deref().is_some_and(|c| c.starts_with("dtap_next=")),
        "{cookie:?}"
    );
    assert_eq!(confirm(cookie).await, "/audit?actor=rm&lang=nl");

    // Another site, or no page asked for: the dashboard.
    for evil in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        let (form, cookie) = sign_in(evil).await;
        assert!(!form.contains("name=\"next\""), "{evil}: {form}");
        assert_eq!(cookie, None, "{evil}");
        assert_eq!(confirm(None).await, "/");
    }
    // A forged cookie naming another site is ignored too.
    let (_, _) = sign_in("").await;
    let forged = format!("dtap_next={}", hex::encode("//evil.example/"));
    assert_eq!(confirm(Some(forged)).await, "/");
    server.stop().await;
}

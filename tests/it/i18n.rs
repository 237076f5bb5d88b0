//! The interface in English and Dutch: every page in both languages without
//! an untranslated text (shown as ⟦…⟧), the language switch on every page,
//! the cookie that remembers it, Accept-Language and `[web] default_locale`.

use crate::support::{ADMIN, KIM, TestApp, TestWorkspace, ok, text};

/// The `href` of the page's language switch.
fn switch_link(page: &str) -> String {
    let key = "class=\"lang-switch\" href=\"";
    let start = page.find(key).unwrap_or_else(|| panic!("no language switch:\n{page}")) + key.len();
    let len = page[start..].find('"').unwrap();
    page[start..start + len].replace("&amp;", "&").replace("&#x2f;", "/")
}

fn lang_of(page: &str) -> &str {
    let start = page.find("<html lang=\"").expect("html lang") + 12;
    &page[start..start + 2]
}

#[tokio::test]
async fn every_page_in_both_languages_with_a_working_switch() {
    let ws = TestWorkspace::init();
    let out = ws.dtap_env(
        &[
            "rfc",
            "new",
            "--template",
            "report",
            "--title",
            "Weekly sales button",
            "--field",
            "what_to_see=Deals",
            "--json",
        ],
        &[("DTAP_USER", ADMIN)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let server = TestApp::start_as(&ws, ADMIN).await;
    let http = crate::support::http_no_redirect();
    let pages = [
        "/",
        "/rfcs",
        "/rfcs?state=draft",
        "/rfcs/new",
        "/rfcs/new?template=report",
        "/rfcs/RFC-1",
        "/rfcs/RFC-1/edit",
        "/access",
        "/audit",
        "/reports",
        "/calendar",
        "/settings",
        "/login",
        "/signoff/not-a-token",
        "/login/not-a-token",
        "/no/such/page",
    ];
    for path in pages {
        let en = http.get(server.url(path)).send().await.unwrap();
        let status = en.status();
        assert_eq!(en.headers()["content-language"], "en", "{path}");
        let en = en.text().await.unwrap();
        assert_eq!(lang_of(&en), "en", "{path}");
        assert!(!en.contains('⟦'), "{path} in English has an untranslated text:\n{en}");

        // The switch: a plain link to the same page in Dutch, which also sets the cookie.
        // Only a query, resolved against the page's own path.
        let link = switch_link(&en);
        assert!(link.starts_with('?') && link.ends_with("lang=nl"), "{path}: {link}");
        if let Some((_, query)) = path.split_once('?') {
            assert!(link.contains(query), "{path} keeps its parameters: {link}");
        }
        let link = format!("{}{link}", path.split('?').next().unwrap());
        let r = http.get(server.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path} in Dutch");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.starts_with("dtap_lang=nl;") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let nl = r.text().await.unwrap();
        assert_eq!(lang_of(&nl), "nl", "{path}");
        assert!(
            !nl.contains('⟦'),
            "{path} in Dutch has an untranslated text: {:?}",
            marked(&nl)
        );
        assert_ne!(en, nl, "{path} looks the same in Dutch");
        // Back to English from the Dutch page.
        assert!(switch_link(&nl).ends_with("lang=en"), "{path}");

        // The cookie alone keeps Dutch; Accept-Language asks for it without one.
        let again = http
            .get(server.url(path))
            .header("cookie", "dtap_lang=nl")
            .send()
            .await
            .unwrap();
        assert_eq!(lang_of(&again.text().await.unwrap()), "nl", "{path}");
        let asked = http
            .get(server.url(path))
            .header("accept-language", "nl-NL,nl;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap();
        assert_eq!(lang_of(&asked.text().await.unwrap()), "nl", "{path}");
    }
    // Dutch dates on the request: 23-11-2026, not 2026-11-23.
    let nl = http
        .get(server.url("/rfcs?lang=nl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let dutch = format!("{:02}-{:02}-{}", today.day(), u8::from(today.month()), today.year());
    assert!(nl.contains(&dutch), "{nl}");
    server.stop().await;

    // [web] default_locale applies when the browser states nothing we have.
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    ws.write(
        "dtap.toml",
        &toml.replace("default_locale = \"en\"", "default_locale = \"nl\""),
    );
    let server = TestApp::start(&ws).await;
    let page = http
        .get(server.url("/rfcs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(lang_of(&page), "nl");
    let page = http
        .get(server.url("/rfcs"))
        .header("accept-language", "fr, en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(lang_of(&page), "en");
    server.stop().await;
}

/// The marked texts of a page, for the failure message.
fn marked(page: &str) -> Vec<String> {
    page.split('⟦')
        .skip(1)
        .map(|s| s.split('⟧').next().unwrap_or("").to_string())
        .collect()
}

/// The tester's page of a real mailed sign-off link, in both languages.
#[tokio::test]
async fn signoff_page_in_both_languages() {
    let ws = TestWorkspace::init();
    crate::reports::known_data_set(&ws).await;
    ok(ws.dtap(&["mail", "flush"]));
    let link = ws.latest_mail_with_link(KIM, "/signoff/").link();
    let path = &crate::support::path_of(&link);
    let server = TestApp::start(&ws).await;
    let http = crate::support::http_no_redirect();
    let en = server.follow(&link).await.body;
    assert!(en.contains("Send my verdict") && !en.contains('⟦'), "{en}");
    // The token is not repeated in the page: the switch is a query alone.
    assert_eq!(switch_link(&en), "?lang=nl");
    let nl = http
        .get(server.url(&format!("{path}?lang=nl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(lang_of(&nl), "nl");
    assert!(
        nl.contains("Mijn oordeel versturen") && !nl.contains('⟦'),
        "{:?}",
        marked(&nl)
    );
    server.stop().await;
}

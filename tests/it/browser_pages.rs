//! Every page in a real Chromium at 390 and 320 px, in English and Dutch:
//! no horizontal scroll (WCAG 1.4.10 reflow), no axe-core violation, the
//! menu a button on a phone and a bar on a wide window. The results per page
//! are written to stderr as a table (run with `--nocapture` to read them).

use crate::browser::{Browser, ENTER, RM2, TAB, TESTER, axe_source, rfc_in_test};
use crate::support::browser::browser_or_skip;
use crate::support::{TestApp, TestWorkspace, path_of};

/// One page's result at one width and language.
struct Row {
    page: String,
    lang: &'static str,
    width: i64,
    overflow: i64,
    violations: Vec<String>,
}

/// Pages every signed-in user of this test reaches, with what they need set up.
fn pages(rfc: &str, signoff: &str, mail_settings: &str) -> Vec<String> {
    [
        "/",
        "/rfcs",
        "/rfcs?state=approved&sort=oldest",
        &format!("/rfcs/{rfc}"),
        &format!("/rfcs/{rfc}/edit"),
        "/rfcs/new",
        "/rfcs/new?template=report",
        "/rfcs/new?template=data-model",
        signoff,
        "/signoff/no-such-token",
        "/reports",
        "/reports?since=2026-01-01&department=Sales",
        "/audit",
        "/calendar",
        "/calendar?month=2028-02",
        "/me",
        "/settings",
        mail_settings,
        "/rfcs?tester=kim%40example.org&state=in_test",
        "/packages/crm-core",
        "/access",
        "/deployments",
        "/packages/crm-core/diff?from=develop&to=test",
        "/login",
        "/login/no-such-token",
        "/no-such-page",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

/// Every main page fits a 390 px and a 320 px wide window in English and
/// Dutch (no horizontal scroll, WCAG 1.4.10), axe-core finds nothing at
/// 390 px, the menu collapses to a button that opens without script, and
/// on a wide window it is a bar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reflows_on_a_phone_in_both_languages() {
    let Some(binaries) = browser_or_skip("browser_pages::every_page_reflows_on_a_phone_in_both_languages") else {
        return;
    };
    let ws = TestWorkspace::init();
    let (rfc, signoff) = rfc_in_test(&ws);
    // The settings link at the foot of the tester's invitation.
    let mail_settings = path_of(
        &ws.latest_mail_with_link(TESTER, "/settings")
            .links("/settings")
            .remove(0),
    );
    // A newer version in develop, so the diff page has a patch to lay out.
    ws.put_package(
        "crm-core",
        "1.1.0",
        &[&rfc],
        "v2 with a line long enough to scroll in its box on a phone, not the page",
    );
    // A file on the RFC, so its page shows the list and the remove form.
    crate::attachments::attach_as(
        &ws,
        crate::support::SALES,
        &rfc,
        "screen.png",
        &crate::attachments::png(2, 2),
    )
    .await;
    // Someone allowed every page, so the menu is at its longest.
    let server = TestApp::start_as(&ws, RM2).await;
    // Screenshots for a failure's diagnosis only: the guide's images are the flow's.
    let b = Browser::start(&ws, &binaries, ws.tmp.path().join("screenshots")).await;
    let axe = axe_source();
    let mut rows = Vec::new();
    for (w, h) in [(390, 844), (320, 640)] {
        b.size_viewport(w, h).await;
        for lang in ["en", "nl"] {
            for page in pages(&rfc, &signoff, &mail_settings) {
                let sep = if page.contains('?') { '&' } else { '?' };
                b.goto(&server.url(&format!("{page}{sep}lang={lang}"))).await;
                b.find("main").await;
                assert_eq!(b.js("return window.innerWidth;").await, w);
                let shown = if page.starts_with("/signoff/") && page != "/signoff/no-such-token" {
                    "/signoff/(token)".to_string()
                } else if page.starts_with("/settings/mail?") {
                    "/settings/mail?address=(tester)&sig=(signature)".to_string()
                } else {
                    page.clone()
                };
                if w == 390 {
                    let name = shown
                        .trim_start_matches('/')
                        .replace(['/', '?', '=', '&', '(', ')'], "-");
                    let name = if name.is_empty() { "dashboard".to_string() } else { name };
                    b.screenshot(&format!("phone-{lang}-{name}")).await;
                }
                let violations = match axe.as_deref() {
                    Some(source) if w == 390 => b.axe(source).await,
                    _ => Vec::new(),
                };
                let mut overflow = b.overflow().await;
                if overflow > 0 {
                    let culprits = b
                        .js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));")
                        .await;
                    eprintln!("{shown} ({lang}, {w} px): {overflow} px too wide; {culprits}");
                }
                overflow = overflow.max(0);
                rows.push(Row {
                    page: shown,
                    lang,
                    width: w,
                    overflow,
                    violations,
                });
            }
        }
    }
    eprintln!("{}", table(&rows, axe.is_some()));
    let wide: Vec<String> = rows
        .iter()
        .filter(|r| r.overflow > 0)
        .map(|r| format!("{} ({}, {} px): {} px too wide", r.page, r.lang, r.width, r.overflow))
        .collect();
    assert!(wide.is_empty(), "pages wider than the window:\n{}", wide.join("\n"));
    let found: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.violations
                .iter()
                .map(move |v| format!("{} ({}): {v}", r.page, r.lang))
        })
        .collect();
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));

    // The menu on a phone: one button; the links appear when it opens (Enter
    // on the summary, no script) and fit the window.
    b.size_viewport(390, 844).await;
    b.goto(&server.url("/rfcs?lang=nl")).await;
    let shown =
        "return [...document.querySelectorAll('header nav a')].filter(a => a.getClientRects().length > 0).length;";
    assert_eq!(b.js(shown).await, 0, "the menu starts closed on a phone");
    let summary = b.tab_to("the menu button", |f| f["tag"] == "summary").await;
    assert_eq!(summary["tag"], "summary");
    b.press(ENTER).await;
    assert_eq!(b.js(shown).await, 8, "every page this user may open");
    let fits = b
        .js("return [...document.querySelectorAll('header nav a, header .account > *')].every(e => e.getBoundingClientRect().right <= window.innerWidth);")
        .await;
    assert_eq!(fits, true);
    b.press(TAB).await;
    assert_eq!(b.focused().await["href"], "/");
    b.screenshot("phone-menu-open").await;

    // On a wide window: a bar, no button.
    b.size_viewport(1280, 800).await;
    b.goto(&server.url("/rfcs")).await;
    b.find("main").await;
    assert_eq!(b.js(shown).await, 8, "the bar shows every link");
    let button = b
        .js("return document.querySelector('header summary').getClientRects().length;")
        .await;
    assert_eq!(button, 0, "no menu button on a wide window");
    b.screenshot("wide-header").await;

    // The month grid (hidden on a phone) and the package pages on a wide window.
    for page in [
        "/calendar?month=2028-02",
        "/packages/crm-core",
        "/packages/crm-core/diff?from=develop&to=test",
    ] {
        b.goto(&server.url(page)).await;
        b.find("main").await;
        let over = b.overflow().await;
        assert!(over <= 0, "{page} is {over} px wider than a wide window");
        b.screenshot(&format!(
            "wide-{}",
            page.trim_start_matches('/').replace(['/', '?', '=', '&'], "-")
        ))
        .await;
        if let Some(source) = axe.as_deref() {
            let found = b.axe(source).await;
            assert!(found.is_empty(), "axe-core found on {page} (wide): {found:#?}");
        }
    }
    server.stop().await;
}

/// The results as a table: per page and language, the widest overflow at
/// 390 and 320 px and axe-core's violations at 390 px.
fn table(rows: &[Row], axe: bool) -> String {
    let mut out = String::from("| page | lang | 390 px | 320 px | axe-core (390 px) |\n|---|---|---|---|---|\n");
    let mut seen = std::collections::BTreeSet::new();
    for r in rows.iter().filter(|r| r.width == 390) {
        if !seen.insert((r.page.clone(), r.lang)) {
            continue;
        }
        let at = |w: i64| {
            rows.iter()
                .find(|o| o.page == r.page && o.lang == r.lang && o.width == w)
                .map_or("–".to_string(), |o| {
                    if o.overflow > 0 {
                        format!("{} px too wide", o.overflow)
                    } else {
                        "fits".into()
                    }
                })
        };
        let axe = if !axe {
            "skipped".to_string()
        } else if r.violations.is_empty() {
            "0 violations".to_string()
        } else {
            format!("{} violations", r.violations.len())
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {axe} |\n",
            r.page,
            r.lang,
            at(390),
            at(320)
        ));
    }
    out
}

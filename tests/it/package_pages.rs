//! The package page (`/packages/<name>`), reached from the dashboard's cell,
//! and its diff page, on the e-bikes sample app's Apex classes: versions per
//! environment, the promotion and who made it, the RFC the package carries,
//! its release notes, and per file what promoting develop into test would
//! change, with line numbers; a binary file is named, never dumped.

use std::path::PathBuf;

use crate::support::{RM, TestApp, TestWorkspace, manifest, ok};

const PRODUCT: &str = "classes/ProductController.cls";
/// Bytes git takes for binary (a NUL among them); never shown on a page.
const LOGO_V1: &str = "\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR-logo-one";
const LOGO_V2: &str = "\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR-logo-two";

/// The e-bikes sample app's classes (tests/it/fixtures/ebikes/classes).
fn ebikes_classes() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/ebikes/classes");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                format!("classes/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// ebikes in develop: its manifest and `files` (paths in the package), committed by hand.
fn ebikes_in_develop(ws: &TestWorkspace, version: &str, rfc: &str, files: &[(String, String)]) {
    let mut all: Vec<(String, String)> = vec![(
        "develop/ebikes/package.yaml".into(),
        manifest("ebikes", version, &[rfc]),
    )];
    all.extend(files.iter().map(|(f, c)| (format!("develop/ebikes/{f}"), c.clone())));
    let refs: Vec<(&str, &str)> = all.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect();
    ws.commit_files(&format!("ebikes {version}: work in develop"), &refs);
}

/// An attribute's value as the browser reads it (minijinja escapes `/` and `&`).
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&amp;", "&").replace("&#x27;", "'")
}

/// The first `href` that starts with `prefix`, unescaped.
fn href(body: &str, prefix: &str) -> String {
    let plain = unescape(body);
    let key = format!("href=\"{prefix}");
    let at = plain
        .find(&key)
        .unwrap_or_else(|| panic!("no link to {prefix}:\n{body}"))
        + 6;
    let end = plain[at..].find('"').unwrap();
    plain[at..at + end].to_string()
}

#[tokio::test]
async fn package_page_from_the_dashboard_with_history_rfcs_notes_and_the_diff_per_file() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Sell e-bikes online");
    let mut v1 = ebikes_classes();
    v1.push(("staticresources/retired.txt".into(), "to be deleted\n".into()));
    v1.push(("staticresources/logo.png".into(), LOGO_V1.into()));
    ebikes_in_develop(&ws, "1.0.0", &rfc, &v1);
    ok(ws.dtap(&["promote", "ebikes", "--to", "test"]));

    // 1.1.0 in develop: one line of ProductController changed, a class
    // added, a file deleted and the binary logo replaced.
    let mut v2: Vec<(String, String)> = ebikes_classes()
        .into_iter()
        .map(|(f, c)| match f == PRODUCT {
            true => (f, c.replacen("PAGE_SIZE = 9;", "PAGE_SIZE = 12; // sorted by name", 1)),
            false => (f, c),
        })
        .collect();
    assert_ne!(v2, ebikes_classes(), "ProductController changed");
    v2.push(("classes/BikeFinder.cls".into(), "public class BikeFinder {}\n".into()));
    v2.push(("staticresources/logo.png".into(), LOGO_V2.into()));
    ebikes_in_develop(&ws, "1.1.0", &rfc, &v2);
    ws.remove_paths("retired.txt is gone", &["develop/ebikes/staticresources/retired.txt"]);

    let app = TestApp::start_as(&ws, RM).await;
    let dashboard = app.get("/").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    let cell = href(&dashboard.body, "/packages/ebikes#env-test");
    let page = app.get(cell.split('#').next().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = unescape(&page.body);

    // Versions per environment, in pipeline order.
    let row = |env: &str| {
        let at = body
            .find(&format!("id=\"env-{env}\""))
            .unwrap_or_else(|| panic!("no row {env}:\n{body}"));
        body[at..at + body[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("develop").contains("1.1.0"), "{}", row("develop"));
    assert!(row("test").contains("1.0.0"), "{}", row("test"));
    assert!(row("test").contains("differs from the environment before"));
    assert!(row("acceptance").contains("waiting"), "{}", row("acceptance"));
    assert!(row("production").contains("not present"), "{}", row("production"));
    assert!(
        !row("develop").contains("/diff?"),
        "develop has no environment before it"
    );

    // The promotion, by whom, carrying the RFC; the RFC and its release notes.
    let history = &body[body.find("id=\"history-h\"").unwrap()..body.find("id=\"notes-h\"").unwrap()];
    assert!(history.contains(RM), "{history}");
    assert!(history.contains(&format!("href=\"/rfcs/{rfc}\"")), "{history}");
    assert!(history.contains("<td>1.0.0</td>"), "{history}");
    let carried = &body[body.find("id=\"rfcs-h\"").unwrap()..body.find("id=\"history-h\"").unwrap()];
    assert!(carried.contains(&format!("href=\"/rfcs/{rfc}\"")), "{carried}");
    assert!(carried.contains("Sell e-bikes online"), "{carried}");
    let notes = &body[body.find("id=\"notes-h\"").unwrap()..];
    assert!(
        notes.contains("Test") && notes.contains("Sell e-bikes online"),
        "{notes}"
    );
    assert!(
        notes.contains("All my closed deals of last week"),
        "the summary in business words: {notes}"
    );

    // The diff against the environment before: develop into test.
    let diff_link = href(&row("test"), "/packages/ebikes/diff?");
    assert_eq!(diff_link, "/packages/ebikes/diff?from=develop&to=test");
    let diff = app.get(&diff_link).await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    let d = unescape(&diff.body);
    let section = |path: &str| {
        let at = d
            .find(&format!("<code>{path}</code> <span class=\"badge change-"))
            .unwrap_or_else(|| panic!("no section for {path}:\n{d}"));
        d[at..at + d[at..].find("</section>").unwrap()].to_string()
    };
    let product = section(PRODUCT);
    assert!(product.contains("change-changed"), "{product}");
    // The changed line with its number on each side, and a context line with both.
    let line = product
        .lines()
        .map(str::trim_start)
        .find(|l| l.contains("// sorted by name"))
        .expect("the added line");
    assert!(
        line.starts_with("<tr class=\"add\"><td class=\"ln\"></td><td class=\"ln\">"),
        "{line}"
    );
    let old = product
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with("<tr class=\"del\">"))
        .expect("the deleted line");
    assert!(old.contains("PAGE_SIZE = 9;"), "{old}");
    let number =
        |l: &str, nth: usize| -> Option<u32> { l.split("<td class=\"ln\">").nth(nth)?.split('<').next()?.parse().ok() };
    assert_eq!((number(old, 1), number(line, 2)), (Some(2), Some(2)), "{old} / {line}");
    assert!(
        product.contains("<tr class=\"context\"><td class=\"ln\">1</td><td class=\"ln\">1</td>"),
        "{product}"
    );
    assert!(section("classes/BikeFinder.cls").contains("change-added"));
    assert!(section("classes/BikeFinder.cls").contains("+public class BikeFinder {}"));
    let retired = section("staticresources/retired.txt");
    assert!(
        retired.contains("change-deleted") && retired.contains("-to be deleted"),
        "{retired}"
    );
    let logo = section("staticresources/logo.png");
    assert!(logo.contains("binary") && logo.contains("not shown"), "{logo}");
    assert!(!d.contains("IHDR-logo"), "a binary file's bytes never reach the page");

    // In Dutch too, and an unknown package is a 404 page.
    let nl = app.get("/packages/ebikes?lang=nl").await;
    assert!(
        nl.body.contains("Versies per omgeving") && !nl.body.contains('⟦'),
        "{}",
        nl.body
    );
    let nl = app.get(&format!("{diff_link}&lang=nl")).await;
    assert!(!nl.body.contains('⟦'), "{}", nl.body);
    let missing = app.get("/packages/no-such-package").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert!(
        missing.body.contains("<main"),
        "a page, not a bare status: {}",
        missing.body
    );
    app.stop().await;
}

/// Where test deploys, the package page shows each deployment's state
/// beside the promotion and the environment, linked to the deployment;
/// the dashboard cell links to the package page and keeps its badge.
#[tokio::test]
async fn package_page_links_each_promotion_to_its_deployment() {
    let ws = TestWorkspace::init();
    let test = ws.read("environments/test.yaml");
    ws.write(
        "environments/test.yaml",
        &format!("{test}deploy:\n  timeout: 60s\n  steps:\n    - name: deploy to the org\n      run: [\"true\"]\n"),
    );
    ok(ws.dtap(&["check"]));
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");

    let app = TestApp::start_as(&ws, RM).await;
    let dashboard = unescape(&app.get("/").await.body);
    assert!(
        dashboard.contains("href=\"/packages/crm-core#env-test\""),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("href=\"/deployments/1\""),
        "the badge stays: {dashboard}"
    );
    let body = unescape(&app.get("/packages/crm-core").await.body);
    let test_row = &body[body.find("id=\"env-test\"").unwrap()..];
    let test_row = &test_row[..test_row.find("</tr>").unwrap()];
    assert!(
        test_row.contains("<a class=\"deploy-state succeeded\" href=\"/deployments/1\">succeeded"),
        "{test_row}"
    );
    let history = &body[body.find("id=\"history-h\"").unwrap()..body.find("id=\"notes-h\"").unwrap()];
    assert!(history.contains("href=\"/deployments/1\""), "{history}");
    app.stop().await;
}

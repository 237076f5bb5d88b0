//! "My work" (`/me`): a requester's RFCs (open ones first), a tester's
//! waiting round, a change manager's assessments, a release manager's
//! promotions. The RFC list's filters as a bookmarkable address that
//! round-trips, and the calendar's month grid on a known month.

use crate::support::{CM, FA, RM, SALES, TestApp, TestWorkspace, ids, json_of, ok};

/// An attribute's value as the browser reads it (minijinja escapes `/` and `&`).
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&amp;", "&").replace("&#x27;", "'")
}

/// The part of `body` from the element with `id` up to the next `<section` or the end.
fn section(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}:\n{body}"));
    let end = body[at..].find("<section").map_or(body.len(), |e| at + e);
    body[at..end].to_string()
}

/// The RFC ids the list page links to in its table, in order (each row
/// links its id and its title).
fn listed(body: &str) -> Vec<String> {
    let mut ids: Vec<String> = body
        .split("<td><a href=\"/rfcs/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    ids.dedup();
    ids
}

async fn page_as(ws: &TestWorkspace, user: &str, path: &str) -> String {
    let app = TestApp::start_as(ws, user).await;
    let page = app.get(path).await;
    app.stop().await;
    assert_eq!(page.status, 200, "{path} as {user}: {}", page.body);
    assert!(!page.body.contains('⟦'), "{}", page.body);
    unescape(&page.body)
}

#[tokio::test]
async fn my_work_shows_requests_sign_offs_assessments_and_promotions() {
    let ws = TestWorkspace::init();
    let withdrawn = ws.file_rfc("An idea dropped");
    ok(ws.as_user(
        SALES,
        &["rfc", "move", &withdrawn, "withdraw", "--comment", "Not needed"],
    ));
    let tested = ws.approved_rfc("Weekly sales button");
    let submitted = ws.file_rfc("Monthly churn report");
    ok(ws.as_user(SALES, &["rfc", "move", &submitted, "submit"]));
    ws.appoint(&tested, "test", FA);
    ws.put_package("crm-core", "1.0.0", &[&tested], "v1");
    ws.promote(RM, "test");

    // The requester: every request, the open ones before the withdrawn one.
    let me = page_as(&ws, SALES, "/me").await;
    assert!(me.contains("href=\"/me\" aria-current=\"page\""), "the menu item: {me}");
    let mine = section(&me, "requested-h");
    let order: Vec<usize> = [&submitted, &tested, &withdrawn]
        .iter()
        .map(|id| {
            mine.find(&format!("href=\"/rfcs/{id}\""))
                .unwrap_or_else(|| panic!("{id}: {mine}"))
        })
        .collect();
    assert!(order[2] > order[0] && order[2] > order[1], "open ones first: {mine}");
    assert!(mine.contains("Weekly sales button"));
    assert!(section(&me, "signoff-h").contains("No round is waiting"), "{me}");
    assert!(!me.contains("id=\"assess-h\""), "a requester assesses nothing");

    // The appointed tester: the round in test, pointing to the RFC (the
    // link itself is only in the mail: tokens are stored hashed).
    let me = page_as(&ws, FA, "/me").await;
    let waiting = section(&me, "signoff-h");
    assert!(waiting.contains(&format!("href=\"/rfcs/{tested}\"")), "{waiting}");
    assert!(
        waiting.contains("Test") && waiting.contains("crm-core 1.0.0"),
        "{waiting}"
    );
    assert!(!waiting.contains("/signoff/"), "{waiting}");

    // The change manager: what waits for assessment (not what is approved).
    let me = page_as(&ws, CM, "/me").await;
    let assess = section(&me, "assess-h");
    assert!(assess.contains(&format!("href=\"/rfcs/{submitted}\"")), "{assess}");
    assert!(!assess.contains(&format!("href=\"/rfcs/{tested}\"")), "{assess}");

    // The release manager: their promotion.
    let me = page_as(&ws, RM, "/me").await;
    let promotions = section(&me, "promotions-h");
    assert!(promotions.contains("href=\"/packages/crm-core\""), "{promotions}");
    assert!(
        promotions.contains("1.0.0") && promotions.contains("→ Test"),
        "{promotions}"
    );
    let nl = page_as(&ws, RM, "/me?lang=nl").await;
    assert!(nl.contains("Mijn werk"), "{nl}");
}

#[tokio::test]
async fn the_rfc_list_filter_is_an_address_that_round_trips() {
    let ws = TestWorkspace::init();
    let tested = ws.approved_rfc("Weekly sales button");
    let other = ws.approved_rfc("Monthly churn report");
    ws.appoint(&tested, "test", FA);
    ws.put_package("crm-core", "1.0.0", &[&tested], "v1");

    let app = TestApp::start_as(&ws, FA).await;
    let all = unescape(&app.get("/rfcs").await.body);
    assert_eq!(listed(&all), [other.clone(), tested.clone()]);
    assert!(!all.contains("Filtered by"), "no filter, nothing to show");

    let page = app
        .get("/rfcs?tester=FA%40example.org&package=crm-core&sort=oldest")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = unescape(&page.body);
    assert_eq!(listed(&body), [tested.as_str()], "{body}");
    let active = section(&body, "active-h");
    assert!(active.contains("Tester: <strong>fa@example.org</strong>"), "{active}");
    assert!(active.contains("Package: <strong>crm-core</strong>"), "{active}");
    assert!(active.contains("href=\"/rfcs\">Clear all filters"), "{active}");
    assert!(body.contains("id=\"tester\" name=\"tester\" type=\"email\" value=\"fa@example.org\""));

    // The saved filter's address gives the same list, and so does its bookmark.
    let saved = active
        .split("class=\"saved-filter\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no saved-filter link: {active}"))
        .to_string();
    assert_eq!(saved, "/rfcs?package=crm-core&sort=oldest&tester=fa%40example.org");
    let again = unescape(&app.get(&saved).await.body);
    assert_eq!(listed(&again), [tested.as_str()]);
    assert_eq!(section(&again, "active-h"), active);

    // Dropping one filter keeps the others.
    let without_tester = active
        .split("<a href=\"")
        .find(|s| s.contains("(Tester)"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(without_tester, "/rfcs?package=crm-core&sort=oldest");
    let by_other_tester = unescape(&app.get("/rfcs?tester=kim%40example.org").await.body);
    assert!(listed(&by_other_tester).is_empty(), "{by_other_tester}");
    let nl = app.get(&format!("{saved}&lang=nl")).await.body;
    assert!(nl.contains("Gefilterd op") && !nl.contains('⟦'), "{nl}");
    app.stop().await;

    // The same filters on the command line.
    let cli = json_of(&ws.dtap(&[
        "rfc",
        "list",
        "--tester",
        "FA@example.org",
        "--package",
        "crm-core",
        "--json",
    ]));
    assert_eq!(ids(&cli), [tested.as_str()]);
}

#[tokio::test]
async fn the_calendar_grid_of_a_known_month() {
    let ws = TestWorkspace::init();
    let prod = ws.read("environments/production.yaml");
    ws.write(
        "environments/production.yaml",
        &format!("{prod}freeze:\n  - {{ from: 2028-02-14, to: 2028-02-15, reason: \"carnival\" }}\n"),
    );
    ok(ws.dtap(&["check"]));
    let app = TestApp::start_as(&ws, RM).await;
    let page = app.get("/calendar?month=2028-02").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = unescape(&page.body);
    let days: Vec<&str> = body
        .split("data-date=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    // Leap February 2028 starts on a Tuesday: five weeks from Monday 31 January.
    assert_eq!(days.len(), 35, "{days:?}");
    assert_eq!(
        (days[0], days[1], days[29], days[34]),
        ("2028-01-31", "2028-02-01", "2028-02-29", "2028-03-05")
    );
    let cell = |day: &str| {
        let at = body.find(&format!("data-date=\"{day}\"")).unwrap();
        body[at..at + body[at..].find("</td>").unwrap()].to_string()
    };
    assert!(cell("2028-02-14").contains("carnival") && cell("2028-02-15").contains("carnival"));
    assert!(!cell("2028-02-13").contains("carnival") && !cell("2028-02-16").contains("carnival"));
    assert!(cell("2028-01-31").contains("other-month") || body.contains("other-month\" data-date=\"2028-01-31\""));
    assert!(body.contains("href=\"/calendar?month=2028-01\""), "{body}");
    assert!(body.contains("href=\"/calendar?month=2028-03\""), "{body}");
    assert!(body.contains("Everything in February 2028"), "{body}");
    assert!(!body.contains("aria-current=\"date\""), "today is not in February 2028");

    // This month marks today; the Dutch page names the month in Dutch.
    let now = unescape(&app.get("/calendar").await.body);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(
        now.contains(&format!("aria-current=\"date\" data-date=\"{today}\"")),
        "{now}"
    );
    let nl = app.get("/calendar?month=2028-02&lang=nl").await.body;
    assert!(nl.contains("februari 2028") && !nl.contains('⟦'), "{nl}");
    app.stop().await;
}

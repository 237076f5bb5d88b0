//! Reports, the release calendar and the Dutch interface, end to end: RFCs
//! filed, moved, promoted and signed off through the real binary, figures read
//! back through `dtap report` and the web app, the iCalendar feed parsed by a
//! real parser (Python's `icalendar`), and every page visited in both languages.

use serde_json::Value;

use crate::support::{
    ADMIN, CM, KIM, LEE, SALES, TestApp, TestWorkspace, Verdict, json_of, manifest, ok, sign_off, stdout, text,
};

fn report(ws: &TestWorkspace, args: &[&str]) -> Value {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.push("--json");
    json_of(&ws.dtap(&all))
}

/// Rows as `[[cell, …], …]` with every cell as text (numbers as JSON writes them).
fn cells(v: &Value) -> Vec<Vec<String>> {
    let columns: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match &r[*c] {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn month() -> String {
    time::OffsetDateTime::now_utc().date().to_string()[..7].to_string()
}

/// The known data set, every step as the people involved take it: RFC-1
/// goes all the way to production (crm-core 1.0.0 into test, where kim
/// rejects it through her mailed link; the fixed 1.0.1 into test, kim
/// approves; into acceptance, lee approves, which accepts the RFC; into
/// production), then the change board reopens it and the next version
/// 1.1.0 waits in test for kim, whose
/// invitation is still open; RFC-2 is rejected by the change board; RFC-3
/// stays a draft. Departments test CSV escaping.
pub async fn known_data_set(ws: &TestWorkspace) -> String {
    let rfc = ws.file_rfc_in("Weekly sales button", Some("Sales"));
    ws.approve_rfc(&rfc);
    ws.appoint(&rfc, "test", KIM);
    ws.appoint(&rfc, "acceptance", LEE);
    let version = |v: &str| {
        ws.commit_files(
            "crm-core: work in develop",
            &[
                ("develop/crm-core/package.yaml", &manifest("crm-core", v, &[&rfc])),
                (
                    "develop/crm-core/entities/contact.xml",
                    &format!("<entity name=\"contact\">{v}</entity>\n"),
                ),
            ],
        );
    };
    version("1.0.0");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    sign_off(ws, KIM, Verdict::Reject("The totals miss last Friday")).await;
    version("1.0.1");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    sign_off(ws, KIM, Verdict::Approve).await;
    ok(ws.dtap(&["promote", "crm-core", "--to", "acceptance"]));
    sign_off(ws, LEE, Verdict::Approve).await;
    ok(ws.as_user(ADMIN, &["promote", "crm-core", "--to", "production"]));
    // A released RFC takes no new version until it is reopened (DESIGN §13).
    ok(ws.as_user(
        CM,
        &["rfc", "move", &rfc, "reopen", "--comment", "Friday is still missing"],
    ));
    version("1.1.0");
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    ws.flush();

    let second = ws.file_rfc_in("Service dashboard", Some("Service, North \"B\"\nsecond line"));
    ok(ws.as_user(SALES, &["rfc", "move", &second, "submit"]));
    ok(ws.as_user(CM, &["rfc", "move", &second, "reject", "--comment", "Not now"]));
    ws.file_rfc_in("Formula", Some("=HYPERLINK(\"http://evil\")"));
    rfc
}

#[tokio::test]
async fn reports_count_what_happened() {
    let ws = TestWorkspace::init();
    let rfc = known_data_set(&ws).await;
    let m = month();
    let v = ws.dtap(&["rfc", "show", &rfc, "--json"]);
    // Released, then reopened for 1.1.0, which is in test now.
    assert_eq!(json_of(&v)["state"], "in_test");

    let states = cells(&report(&ws, &["states"]));
    let count = |s: &str| states.iter().find(|r| r[0] == s).unwrap()[1].clone();
    assert_eq!(
        (count("in_test"), count("rejected"), count("draft"), count("submitted")),
        ("1".into(), "1".into(), "1".into(), "0".into())
    );
    assert_eq!(
        cells(&report(&ws, &["departments"])),
        vec![
            vec!["=HYPERLINK(\"http://evil\")".to_string(), "1".into(), "1".into()],
            // Reopened: open again.
            vec!["Sales".into(), "1".into(), "1".into()],
            vec!["Service, North \"B\"\nsecond line".into(), "1".into(), "0".into()],
        ]
    );
    // Filed, moved and released within the test: a lead time of (almost) zero days.
    assert_eq!(
        cells(&report(&ws, &["lead-time"])),
        vec![vec![m.clone(), "1".into(), "0.0".into(), "0.0".into()]]
    );
    assert_eq!(
        cells(&report(&ws, &["throughput"])),
        vec![vec![m.clone(), "2".into(), "1".into()]]
    );
    assert_eq!(
        cells(&report(&ws, &["throughput", "--department", "Sales"])),
        vec![vec![m.clone(), "1".into(), "1".into()]]
    );
    assert_eq!(
        cells(&report(&ws, &["rejections"])),
        vec![
            vec!["acceptance".to_string(), "1".into(), "0".into(), "0.0".into()],
            vec!["test".into(), "2".into(), "1".into(), "50.0".into()],
        ]
    );
    assert_eq!(
        cells(&report(&ws, &["promotions"])),
        vec![
            vec![m.clone(), "acceptance".into(), "1".into(), "0".into()],
            vec![m.clone(), "production".into(), "1".into(), "0".into()],
            // 1.0.0, the fixed 1.0.1 and the next 1.1.0.
            vec![m.clone(), "test".into(), "3".into(), "0".into()],
        ]
    );
    // Every verdict came through a mailed link, each given (almost) at once
    // after its invitation; no emergencies happened.
    let wait = cells(&report(&ws, &["signoff-wait"]));
    assert_eq!(
        wait.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        [("acceptance", "1"), ("test", "2")],
        "{wait:?}"
    );
    for row in &wait {
        let hours: f64 = row[2].parse().unwrap();
        assert!(
            (0.0..0.5).contains(&hours),
            "invited and answered within the test: {row:?}"
        );
    }
    assert!(cells(&report(&ws, &["emergencies"])).is_empty());
    // A period after today holds nothing.
    assert!(cells(&report(&ws, &["promotions", "--since", "2999-01-01"])).is_empty());

    // CSV: RFC 4180 quoting, CRLF, formula cells neutralised.
    let csv = stdout(&ok(ws.dtap(&["report", "departments", "--csv"])));
    assert_eq!(
        csv,
        "department,rfcs,open\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",1,1\r\nSales,1,1\r\n\"Service, North \"\"B\"\"\nsecond line\",1,0\r\n"
    );
    // The table for humans, and clear errors.
    let table = stdout(&ok(ws.dtap(&["report", "rejections"])));
    assert!(
        table.starts_with("ENVIRONMENT  VERDICTS  REJECTIONS  REJECTION_RATE_PCT\n"),
        "{table}"
    );
    let out = ws.dtap(&["report", "velocity"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no report `velocity`: choose one of lead-time"));
    let out = ws.dtap(&["report", "states", "--since", "1 nov"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("since `1 nov` is not a date"));

    // The web page: charts as inline SVG with titles, the same figures in
    // tables, CSV links; for a signed-in release manager.
    let server = TestApp::start(&ws).await;
    let admin = server.sign_in(&ws, ADMIN).await;
    let page = admin.get("/reports").await.body;
    assert!(page.matches("<svg class=\"chart\"").count() >= 6, "{page}");
    assert!(
        page.contains("<title>Test: Rejection rate (%) = 50.0</title>"),
        "{page}"
    );
    assert!(!page.contains("<script"), "readable without script");
    assert!(page.contains("href=\"&#x2f;reports&#x2f;departments.csv\""), "{page}");
    assert!(
        !page.contains("HYPERLINK(\"") && page.contains("HYPERLINK(&quot;"),
        "labels are escaped"
    );
    let nl = admin.get("/reports?lang=nl").await.body;
    assert!(nl.contains("<title>Test: Afkeurpercentage (%) = 50,0</title>"), "{nl}");
    let r = admin.get("/reports/departments.csv?department=Sales").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(r.body, "department,rfcs,open\r\nSales,1,1\r\n");
    let r = admin.get("/reports/nothing.csv").await;
    assert_eq!(r.status, 404);
    let r = admin.get("/reports?since=last+week").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("last week is not a date: write it as YYYY-MM-DD"));

    // Without reports.view, no reports.
    let sales = server.sign_in(&ws, SALES).await;
    assert_eq!(sales.get("/reports").await.status, 403);
    assert_eq!(sales.get("/reports/states.csv").await.status, 403);
    server.stop().await;
}

/// The value of the calendar page's feed address field, as a path on `server`.
fn feed_path(page: &str) -> String {
    let key = "class=\"feed-url\" readonly value=\"";
    let start = page.find(key).unwrap_or_else(|| panic!("no feed address:\n{page}")) + key.len();
    let len = page[start..].find('"').unwrap();
    let url = page[start..start + len].replace("&amp;", "&").replace("&#x2f;", "/");
    let path_at = url.find("/calendar.ics").unwrap();
    url[path_at..].to_string()
}

#[tokio::test]
async fn release_calendar_page_and_feed() {
    let ws = TestWorkspace::init();
    let today = time::OffsetDateTime::now_utc().date();
    let from = today + time::Duration::days(30);
    let to = today + time::Duration::days(40);
    let prod = std::fs::read_to_string(ws.dir.join("environments/production.yaml")).unwrap();
    ws.write(
        "environments/production.yaml",
        &format!(
            "{prod}freeze:\n  - {{ from: {from}, to: {to}, reason: \"year-end closing, all teams; no exceptions\" }}\n"
        ),
    );
    ok(ws.dtap(&["check"]));
    let rfc = known_data_set(&ws).await;
    let server = TestApp::start_as(&ws, ADMIN).await;
    let page = server.get("/calendar").await.body;
    assert!(page.contains("year-end closing, all teams; no exceptions"), "{page}");
    assert!(page.contains("Production · crm-core 1.0.1"), "{page}");
    assert!(
        page.contains(&format!("{rfc} · Test (1)")),
        "kim's open invitation has a deadline: {page}"
    );
    let only_test = server.get("/calendar?env=test").await.body;
    assert!(!only_test.contains("year-end closing") && only_test.contains("Test · crm-core 1.0.0"));

    // The feed needs no session, only its token; a wrong token gets nothing.
    let feed = feed_path(&page);
    assert!(feed.contains("user=admin%40example.org&until="), "{feed}");
    let anonymous = reqwest::Client::new();
    let r = anonymous.get(server.url(&feed)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = r.text().await.unwrap();
    let forged = feed.replace("token=", "token=00");
    assert_eq!(anonymous.get(server.url(&forged)).send().await.unwrap().status(), 401);
    let other = feed.replace("admin%40example.org", "rm%40example.org");
    assert_eq!(anonymous.get(server.url(&other)).send().await.unwrap().status(), 401);

    // RFC 5545 by hand: CRLF only, lines at most 75 octets, escaped text.
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert!(
        ics.replace("\r\n ", "")
            .contains("year-end closing\\, all teams\\; no exceptions")
    );

    // And by a real parser.
    let file = ws.tmp.path().join("feed.ics");
    std::fs::write(&file, &ics).unwrap();
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
out = []
for e in cal.walk('VEVENT'):
    start = e.decoded('DTSTART')
    out.append({'uid': str(e['UID']), 'summary': str(e['SUMMARY']), 'start': start.isoformat(),
                'end': e.decoded('DTEND').isoformat(), 'stamp': e.decoded('DTSTAMP').isoformat()})
print(json.dumps(out))
"#;
    let out = ws
        .isolated_command("python3")
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let find = |s: &str| {
        events
            .iter()
            .find(|e| e["summary"].as_str().unwrap().contains(s))
            .unwrap_or_else(|| panic!("no event with {s}: {events:#?}"))
    };
    let freeze = find("year-end closing");
    assert_eq!(
        freeze["summary"],
        "Freeze: Production · year-end closing, all teams; no exceptions"
    );
    assert_eq!(freeze["start"], from.to_string());
    assert_eq!(
        freeze["end"],
        (to + time::Duration::days(1)).to_string(),
        "DTEND is exclusive"
    );
    assert_eq!(freeze["uid"], format!("freeze-production-{from}-{to}@127.0.0.1"));
    assert!(
        find("Promotion: Production · crm-core 1.0.1")["start"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    assert!(find("Sign-off due").is_object());
    assert_eq!(
        events
            .iter()
            .filter(|e| e["summary"].as_str().unwrap().starts_with("Promotion:"))
            .count(),
        5,
        "three into test, one into acceptance, one into production"
    );

    // Stable UIDs: the same entries again, in Dutch with ?lang=nl.
    let nl = anonymous
        .get(server.url(&feed.replace("lang=en", "lang=nl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let uids = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(&ics), uids(&nl));
    assert!(nl.contains("SUMMARY:Bevriezing: Productie"), "{nl}");
    server.stop().await;
}

/// A verdict given through the mailed link counts its wait from the invitation.
#[tokio::test]
async fn signoff_wait_runs_from_invitation_to_verdict() {
    let ws = TestWorkspace::init();
    known_data_set(&ws).await;
    // kim's open invitation (1.1.0 in test): every test case of the plan passed.
    let link = ws.latest_mail_with_link(KIM, "/signoff/").link();
    let server = TestApp::start(&ws).await;
    let r = server.approve(&link).await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.stop().await;
    let wait = cells(&report(&ws, &["signoff-wait"]));
    assert_eq!(
        wait.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        [("acceptance", "1"), ("test", "3")],
        "{wait:?}"
    );
    let hours: f64 = wait[1][2].parse().unwrap();
    assert!(
        (0.0..0.5).contains(&hours),
        "invited and answered within the test: {hours}"
    );
    let rejections = cells(&report(&ws, &["rejections"]));
    assert_eq!(
        rejections[1],
        vec!["test".to_string(), "3".into(), "1".into(), "33.3".into()]
    );
}

//! Reports, the release calendar and the Dutch interface, end to end: RFCs
//! filed, moved, promoted and signed off through the real binary, figures read
//! back through `dtap report` and the web app, the iCalendar feed parsed by a
//! real parser (Python's `icalendar`), and every page visited in both languages.

use std::process::Output;

use serde_json::Value;

use crate::support::{TestWorkspace, manifest, set_dev_user, stdout, text};
use crate::web::Server;

const ADMIN: &str = "admin@example.org";
const FA: &str = "fa@example.org";
const CM: &str = "cm@example.org";
const SALES: &str = "sales@example.org";
const KIM: &str = "kim@example.org";
const LEE: &str = "lee@example.org";

fn as_user(ws: &TestWorkspace, user: &str, args: &[&str]) -> Output {
    ws.dtap_env(args, &[("DTAP_USER", user)])
}

#[track_caller]
fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", text(&out));
    out
}

#[track_caller]
fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// A report RFC filed by the requester (a draft) in `department`.
fn file_rfc(ws: &TestWorkspace, title: &str, department: &str) -> String {
    let mut args = vec![
        "rfc",
        "new",
        "--template",
        "report",
        "--title",
        title,
        "--department",
        department,
    ];
    for f in [
        "what_to_see=All my closed deals of last week",
        "where_to_show=My dashboard",
        "period=Last week",
        "who_sees=Only me",
        "why_needed=To prepare the Monday sales meeting",
        "how_to_know=The total matches the invoices",
        "impact_organisation=none",
        "impact_department=Sales saves an hour a week",
        "impact_individual=none",
        "risk=low",
    ] {
        args.extend(["--field", f]);
    }
    args.push("--json");
    json_of(&as_user(ws, SALES, &args))["id"].as_str().unwrap().to_string()
}

fn tree_of(ws: &TestWorkspace, path: &str) -> String {
    ws.git(&ws.repo_path(), &["rev-parse", &format!("main:{path}")])
        .trim()
        .to_string()
}

async fn sign_off(ws: &TestWorkspace, rfc: &str, env: &str, tester: &str, tree: &str, verdict: &str) {
    let app = dtap::app::App::open(&ws.dir).await.unwrap();
    let n: i64 = rfc.trim_start_matches("RFC-").parse().unwrap();
    app.store
        .record_signoff(n, env, tester, tree, verdict, "tested")
        .await
        .unwrap();
    app.store.close().await;
}

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

/// The known data set: RFC-1 goes all the way to production (kim rejects once
/// in test, then approves; lee approves in acceptance); RFC-2 is rejected by
/// the change board; RFC-3 stays a draft. Departments test CSV escaping.
pub async fn known_data_set(ws: &TestWorkspace) -> String {
    let rfc = file_rfc(ws, "Weekly sales button", "Sales");
    ok(as_user(ws, SALES, &["rfc", "move", &rfc, "submit"]));
    ok(as_user(ws, CM, &["rfc", "move", &rfc, "approve"]));
    ok(as_user(
        ws,
        FA,
        &["rfc", "testers", &rfc, "--env", "test", "--add", KIM],
    ));
    ws.commit_files(
        "crm-core: work in develop",
        &[
            ("develop/crm-core/package.yaml", &manifest("crm-core", "1.0.0", &[&rfc])),
            (
                "develop/crm-core/entities/contact.xml",
                "<entity name=\"contact\">v1</entity>\n",
            ),
        ],
    );
    ok(ws.dtap(&["promote", "crm-core", "--to", "test"]));
    let tree = tree_of(ws, "test/crm-core");
    sign_off(ws, &rfc, "test", KIM, &tree, "reject").await;
    sign_off(ws, &rfc, "test", KIM, &tree, "approve").await;
    ok(ws.dtap(&["promote", "crm-core", "--to", "acceptance"]));
    ok(as_user(
        ws,
        FA,
        &["rfc", "testers", &rfc, "--env", "acceptance", "--add", LEE],
    ));
    sign_off(ws, &rfc, "acceptance", LEE, &tree, "approve").await;
    let app = dtap::app::App::open(&ws.dir).await.unwrap();
    app.system_move(
        rfc.parse().unwrap(),
        dtap::domain::rfc::lifecycle::SystemMove::AcceptedInAcceptance,
        &LEE.parse().unwrap(),
        "every acceptance tester approved",
    )
    .await
    .unwrap();
    app.store.close().await;
    ok(as_user(ws, ADMIN, &["promote", "crm-core", "--to", "production"]));

    let second = file_rfc(ws, "Service dashboard", "Service, North \"B\"\nsecond line");
    ok(as_user(ws, SALES, &["rfc", "move", &second, "submit"]));
    ok(as_user(
        ws,
        CM,
        &["rfc", "move", &second, "reject", "--comment", "Not now"],
    ));
    file_rfc(ws, "Formula", "=HYPERLINK(\"http://evil\")");
    rfc
}

#[tokio::test]
async fn reports_count_what_happened() {
    let ws = TestWorkspace::init();
    let rfc = known_data_set(&ws).await;
    let m = month();
    let v = ws.dtap(&["rfc", "show", &rfc, "--json"]);
    assert_eq!(json_of(&v)["state"], "released");

    let states = cells(&report(&ws, &["states"]));
    let count = |s: &str| states.iter().find(|r| r[0] == s).unwrap()[1].clone();
    assert_eq!(
        (count("released"), count("rejected"), count("draft"), count("submitted")),
        ("1".into(), "1".into(), "1".into(), "0".into())
    );
    assert_eq!(
        cells(&report(&ws, &["departments"])),
        vec![
            vec!["=HYPERLINK(\"http://evil\")".to_string(), "1".into(), "1".into()],
            vec!["Sales".into(), "1".into(), "0".into()],
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
            vec![m.clone(), "test".into(), "1".into(), "0".into()],
        ]
    );
    // Verdicts recorded without a mailed invitation have no waiting time; no emergencies happened.
    assert!(cells(&report(&ws, &["signoff-wait"])).is_empty());
    assert!(cells(&report(&ws, &["emergencies"])).is_empty());
    // A period after today holds nothing.
    assert!(cells(&report(&ws, &["promotions", "--since", "2999-01-01"])).is_empty());

    // CSV: RFC 4180 quoting, CRLF, formula cells neutralised.
    let csv = stdout(&ok(ws.dtap(&["report", "departments", "--csv"])));
    assert_eq!(
        csv,
        "department,rfcs,open\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",1,1\r\nSales,1,0\r\n\"Service, North \"\"B\"\"\nsecond line\",1,0\r\n"
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

    // The web page: charts as inline SVG with titles, the same figures in tables, CSV links.
    set_dev_user(&ws, ADMIN);
    let server = Server::start(&ws).await;
    let http = reqwest::Client::new();
    let page = http
        .get(server.url("/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let nl = http
        .get(server.url("/reports?lang=nl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nl.contains("<title>Test: Afkeurpercentage (%) = 50,0</title>"), "{nl}");
    let r = http
        .get(server.url("/reports/departments.csv?department=Sales"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(r.text().await.unwrap(), "department,rfcs,open\r\nSales,1,0\r\n");
    let r = http.get(server.url("/reports/nothing.csv")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http.get(server.url("/reports?since=last+week")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("since `last week` is not a date: write it as YYYY-MM-DD")
    );
    server.stop().await;

    // Without reports.view, no reports.
    set_dev_user(&ws, SALES);
    let server = Server::start(&ws).await;
    let r = http.get(server.url("/reports")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = http.get(server.url("/reports/states.csv")).send().await.unwrap();
    assert_eq!(r.status(), 403);
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
    set_dev_user(&ws, ADMIN);
    let server = Server::start(&ws).await;
    let http = reqwest::Client::new();

    let page = http
        .get(server.url("/calendar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("year-end closing, all teams; no exceptions"), "{page}");
    assert!(page.contains("Productie · crm-core 1.0.0"), "{page}");
    assert!(
        page.contains(&format!("{rfc} · Test (1)")),
        "kim's open invitation has a deadline: {page}"
    );
    let only_test = http
        .get(server.url("/calendar?env=test"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!only_test.contains("year-end closing") && only_test.contains("Test · crm-core 1.0.0"));

    // The feed needs no session, only its token; a wrong token gets nothing.
    let feed = feed_path(&page);
    assert!(feed.contains("user=admin%40example.org&token="), "{feed}");
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
        "Freeze: Productie · year-end closing, all teams; no exceptions"
    );
    assert_eq!(freeze["start"], from.to_string());
    assert_eq!(
        freeze["end"],
        (to + time::Duration::days(1)).to_string(),
        "DTEND is exclusive"
    );
    assert_eq!(freeze["uid"], format!("freeze-production-{from}-{to}@127.0.0.1"));
    assert!(
        find("Promotion: Productie · crm-core 1.0.0")["start"]
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
        3
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

/// The sign-off link in the newest plain-text mail to `tester`, decoded from
/// the `.eml` files of the file transport by Python's email package.
pub fn mailed_link(ws: &TestWorkspace, tester: &str) -> String {
    let script = r#"
import email, pathlib, sys
links = []
for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.eml'), key=lambda p: p.stat().st_mtime):
    m = email.message_from_bytes(p.read_bytes())
    if sys.argv[2] not in str(m['To']):
        continue
    for part in m.walk():
        if part.get_content_type() == 'text/plain':
            links += [w for w in part.get_payload(decode=True).decode().split() if '/signoff/' in w]
print(links[-1] if links else '')
"#;
    let out = ws
        .isolated_command("python3")
        .args(["-c", script, ws.dir.join(".dtap/mail").to_str().unwrap(), tester])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let link = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(link.contains("/signoff/"), "no sign-off link mailed to {tester}");
    link
}

/// A verdict given through the mailed link counts its wait from the invitation.
#[tokio::test]
async fn signoff_wait_runs_from_invitation_to_verdict() {
    let ws = TestWorkspace::init();
    known_data_set(&ws).await;
    ok(ws.dtap(&["mail", "flush"]));
    let link = mailed_link(&ws, KIM);
    let path = link[link.find("/signoff/").unwrap()..].to_string();
    let server = Server::start(&ws).await;
    let http = crate::support::http_no_redirect();
    let page = http.get(server.url(&path)).send().await.unwrap().text().await.unwrap();
    let csrf = crate::support::csrf_token_in(&page);
    // Every test case of the plan passed.
    let mut form = vec![
        ("csrf_token".to_string(), csrf),
        ("verdict".to_string(), "approve".to_string()),
    ];
    for part in page.split("name=\"case-").skip(1) {
        let id = part.split('"').next().unwrap();
        if !form.iter().any(|(k, _)| k == &format!("case-{id}")) {
            form.push((format!("case-{id}"), "pass".into()));
        }
    }
    let r = http.post(server.url(&path)).form(&form).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    server.stop().await;
    let wait = cells(&report(&ws, &["signoff-wait"]));
    assert_eq!(wait.len(), 1, "{wait:?}");
    assert_eq!((wait[0][0].as_str(), wait[0][1].as_str()), ("test", "1"));
    let hours: f64 = wait[0][2].parse().unwrap();
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

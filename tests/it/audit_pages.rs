//! The audit trail page pages (issue 19): a change board looking back
//! through a busy quarter reaches every event, newest first, a hundred a
//! page, with the filters kept from page to page; the CSV still has all.

use crate::support::{CM, TestApp, TestWorkspace, json_of};

/// The `#` column of the page: the events' sequence numbers, in order.
fn seqs(html: &str) -> Vec<i64> {
    html.split("<tr><td>")
        .skip(1)
        .filter_map(|row| row.split("</td>").next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn the_audit_trail_pages_through_every_event_newest_first_keeping_the_filters() {
    let ws = TestWorkspace::init();
    for i in 0..130 {
        ws.file_rfc(&format!("Request {i}"));
    }
    let all = json_of(&ws.dtap(&["audit", "--json"]));
    let total = all.as_array().unwrap().len() as i64;
    assert!(total > 100, "{total} events: more than one page");
    let server = TestApp::start_as(&ws, CM).await;

    let first = server.get("/audit").await;
    assert_eq!(first.status, 200);
    assert_eq!(
        seqs(&first.body),
        (total - 99..=total).rev().collect::<Vec<_>>(),
        "the newest hundred"
    );
    assert!(first.body.contains("shown: 1–100"), "{}", first.body);
    assert!(
        first
            .body
            .contains("rel=\"next\" href=\"/audit?since=&amp;actor=&amp;action=&amp;page=2\""),
        "{}",
        first.body
    );
    assert!(!first.body.contains("rel=\"prev\""));

    // Every event is on exactly one page, and the last page has no "older" link.
    let pages = (total as usize).div_ceil(100);
    let mut seen = Vec::new();
    for page in 1..=pages {
        let p = server.get(&format!("/audit?page={page}")).await;
        assert!(p.body.contains(&format!("page {page} of {pages}")), "{}", p.body);
        assert_eq!(p.body.contains("rel=\"next\""), page < pages, "page {page}");
        seen.extend(seqs(&p.body));
    }
    assert_eq!(seen, (1..=total).rev().collect::<Vec<_>>());
    // Past the end is the last page, not an empty one.
    assert_eq!(seqs(&server.get("/audit?page=999").await.body).last(), Some(&1));

    // A filter stays on the next page's link; in Dutch too.
    let filtered = server.get("/audit?action=rfc.&lang=nl").await;
    assert!(
        filtered.body.contains("nieuwste eerst; getoond: 1–100"),
        "{}",
        filtered.body
    );
    assert!(filtered.body.contains("action=rfc.&amp;page=2"), "{}", filtered.body);
    assert!(filtered.body.contains("Oudere gebeurtenissen →"), "{}", filtered.body);
    server.stop().await;
}

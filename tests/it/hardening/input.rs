//! What people type: an RFC title is one line (a line break would cut the
//! mail subject that quotes it and put the rest into other people's mails).

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_title_with_a_line_break_is_refused_everywhere_with_a_clear_error() {
    let ws = TestWorkspace::init();
    let app = TestApp::start_as(&ws, SALES).await;
    for title in [
        "Weekly sales\r\nBcc: everyone@example.org",
        "Weekly sales\nPlease also wire money",
    ] {
        let r = app
            .http
            .post(app.url("/api/v1/rfcs"))
            .json(&json!({"template": "report", "title": title, "fields": {}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        let errors = body["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == "title" && e["message"].as_str().unwrap().contains("one line")),
            "{body}"
        );
    }
    let id = ws.file_rfc("Weekly sales button");
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/rfcs/{id}")))
        .json(&json!({"title": "Weekly\nsales"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "an edit too");
    app.stop().await;
    let out = ws.as_user(SALES, &["rfc", "new", "--template", "report", "--title", "Two\nlines"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("one line"), "{}", text(&out));
    assert_eq!(ws.rfc_json(&id)["title"], "Weekly sales button");
}

#[test]
fn release_notes_in_markdown_show_requesters_html_as_text() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Weekly <img src=x onerror=alert(1)> sales | button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    let notes = stdout(&ok(ws.as_user(RM, &["release-notes", "--env", "test"])));
    assert!(notes.contains(&rfc), "{notes}");
    assert!(!notes.contains("<img"), "raw HTML in the Markdown notes:\n{notes}");
    assert!(
        notes.contains("Weekly &lt;img src=x onerror=alert(1)&gt; sales \\| button"),
        "{notes}"
    );
}

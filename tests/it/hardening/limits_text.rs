//! Every free-text input has a length limit; a no-op edit by someone
//! without the right is refused, not "saved".

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn an_oversized_emergency_comment_or_test_case_is_refused_and_nothing_stored() {
    let ws = TestWorkspace::init();
    let id = ws.approved_rfc("Weekly sales button");
    let huge = "x".repeat(900 * 1024);
    let app = TestApp::start_as(&ws, FA).await;
    let r = app
        .submit(
            &format!("/rfcs/{id}"),
            &format!("/rfcs/{id}/cases"),
            &[
                ("op", "add"),
                ("environment", "test"),
                ("kind", "functional-test"),
                ("title", "A case"),
                ("steps", &huge),
                ("expected", "ok"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", &r.body[..200.min(r.body.len())]);
    assert!(r.body.contains("is longer than 10,000 characters"));
    app.stop().await;
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM rfc_test_cases WHERE title = 'A case'").await,
        0,
        "nothing stored"
    );
    // An emergency approval's comment, on the page and on the command line.
    let out = ws.as_user(CM, &["emergency", "approve", "1", "--comment", &"y".repeat(10_001)]);
    assert!(!out.status.success());
    assert!(text(&out).contains("longer than 10,000 characters"), "{}", text(&out));
}

#[tokio::test]
async fn a_no_op_edit_by_someone_without_the_right_is_refused() {
    let ws = TestWorkspace::init();
    let id = ws.file_rfc("Weekly sales button");
    // The release manager may see requests but not change them.
    let app = TestApp::start_as(&ws, RM).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/rfcs/{id}")))
        .json(&json!({"title": "Weekly sales button"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    app.stop().await;
    // Its requester, who may, saves a no-op.
    let app = TestApp::start_as(&ws, SALES).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/rfcs/{id}")))
        .json(&json!({"title": "Weekly sales button"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

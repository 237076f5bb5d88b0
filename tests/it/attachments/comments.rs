//! A file with a comment (issue 19): the comment and its file appear
//! together or not at all, and a refused comment comes back as written.

use super::{audit_of, download, linked, png, post_multipart};
use crate::support::{FA, SALES, TestApp, TestWorkspace, db_count};

/// Posts the RFC page's comment form, as a browser sends it (token first).
async fn comment_with(
    app: &TestApp,
    rfc: &str,
    lang: &str,
    body: &str,
    file: Option<(&str, &[u8])>,
) -> crate::support::Page {
    let csrf = app.get(&format!("/rfcs/{rfc}")).await.csrf();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> =
        vec![("csrf_token", None, csrf.as_bytes()), ("body", None, body.as_bytes())];
    if let Some((name, bytes)) = file {
        parts.push(("attachment", Some(name), bytes));
    } else {
        // An empty file input, as browsers send it.
        parts.push(("attachment", Some(""), b""));
    }
    post_multipart(app, &format!("/rfcs/{rfc}/comments{lang}"), &parts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_carries_its_screenshot_and_a_refused_one_comes_back_as_written() {
    let ws = TestWorkspace::init();
    let rfc = ws.file_rfc("Sales results button");
    let app = TestApp::start_as(&ws, SALES).await;
    // Over the 1 MiB any other form may send: a comment's file has its own limit.
    let shot = png(600, 600);
    assert!(shot.len() > 1024 * 1024, "{}", shot.len());

    let done = comment_with(
        &app,
        &rfc,
        "",
        "The button sits here, see the screenshot",
        Some(("where.png", &shot)),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location, format!("/rfcs/{rfc}?done=commented"));
    let page = app.get(&format!("/rfcs/{rfc}")).await;
    // The file is listed inside its comment, not only under Attachments.
    let comment = page
        .body
        .split("<article class=\"comment\">")
        .nth(1)
        .expect("a comment on the page");
    let comment = &comment[..comment.find("</article>").unwrap()];
    assert!(
        comment.contains("The button sits here, see the screenshot"),
        "{comment}"
    );
    let prefix = format!("/rfcs/{rfc}/attachments/");
    let ids = linked(comment, &prefix);
    assert_eq!(ids.len(), 1, "{comment}");
    let (status, _, bytes) = download(&app, &format!("{prefix}{}", ids[0])).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, shot, "the download is the file as sent");
    let added = audit_of(&ws, "attachment.add");
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(
        serde_json::from_str::<serde_json::Value>(added[0]["detail"].as_str().unwrap()).unwrap()["comment"].is_i64(),
        "audited with its comment: {added:?}"
    );

    // A plain comment without a file still works (an empty file input).
    let plain = comment_with(&app, &rfc, "", "And nothing else", None).await;
    assert_eq!(plain.status, 303, "{}", plain.body);

    // No text: refused, the file must be chosen again, nothing is kept.
    let empty = comment_with(&app, &rfc, "", "  ", Some(("second.png", &shot))).await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(empty.body.contains("write something to comment"), "{}", empty.body);
    assert!(
        empty
            .body
            .contains("Choose the file again: it is kept only with your comment"),
        "{}",
        empty.body
    );
    assert!(
        empty.body.contains("aria-invalid=\"true\""),
        "the field is marked: {}",
        empty.body
    );

    // A refused file: the comment comes back as written, in Dutch on a Dutch page.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"9\"/></svg>";
    let refused = comment_with(&app, &rfc, "?lang=nl", "Zie de tekening", Some(("tekening.png", svg))).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("tekening.png is een SVG-tekening"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(">Zie de tekening</textarea>"),
        "kept as written: {}",
        refused.body
    );
    app.stop().await;

    // Someone else's comment with a file: the requester's mail names the file.
    let fa = TestApp::start_as(&ws, FA).await;
    let done = comment_with(&fa, &rfc, "", "Seen, mine is attached", Some(("fa.png", &png(2, 2)))).await;
    assert_eq!(done.status, 303, "{}", done.body);
    fa.stop().await;
    ws.flush();
    let mail = ws
        .mailbox()
        .into_iter()
        .rev()
        .find(|m| m.recipients().iter().any(|r| r == SALES) && m.text.contains("Seen, mine is attached"))
        .expect("the requester is mailed the comment");
    // In Dutch: the requester chose Dutch on the page above (`?lang=nl`).
    assert!(mail.text.contains("Bijgevoegd: fa.png"), "{}", mail.text);

    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM rfc_comments").await, 3);
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachments").await, 2);
    let chunks = shot.len().div_ceil(256 * 1024) as i64 + 1;
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await, chunks);
}

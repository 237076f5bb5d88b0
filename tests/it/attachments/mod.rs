//! Attachments (issue 19): a requester attaches a screenshot and a PDF to an
//! RFC, a tester attaches a screenshot to a rejection through the mailed
//! sign-off link; files are checked by content and size, stored in chunks,
//! served as downloads with identical bytes, visible only to who may view
//! the RFC, and audited.

use serde_json::Value;
use sha2::{Digest, Sha256};

mod api;
mod comments;
mod files;
mod remove;

pub use files::{PDF, multipart, png};

use crate::support::{
    FA, KIM, Page, RM, SALES, TestApp, TestWorkspace, case_ids, db_count, json_of, ok, path_of, verdict_form,
};

/// Posts a multipart form to `path`.
pub async fn post_multipart(app: &TestApp, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Page {
    let (content_type, body) = multipart(parts);
    let r = app
        .http
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    Page::of(r).await
}

/// Attaches a file on the RFC page, as its form sends it (token first).
pub async fn attach(app: &TestApp, rfc: &str, name: &str, bytes: &[u8]) -> Page {
    let csrf = app.get(&format!("/rfcs/{rfc}")).await.csrf();
    post_multipart(
        app,
        &format!("/rfcs/{rfc}/attachments"),
        &[("csrf_token", None, csrf.as_bytes()), ("attachment", Some(name), bytes)],
    )
    .await
}

/// `user` attaches a file to `rfc` through the web app (for other tests' histories).
pub async fn attach_as(ws: &TestWorkspace, user: &str, rfc: &str, name: &str, bytes: &[u8]) {
    let app = TestApp::start_as(ws, user).await;
    let done = attach(&app, rfc, name, bytes).await;
    assert_eq!(done.status, 303, "{}", done.body);
    app.stop().await;
}

/// The attachment ids a page links to under `prefix` (`/rfcs/RFC-1/attachments/`), in order.
fn linked(body: &str, prefix: &str) -> Vec<i64> {
    // Minijinja escapes `/` in values (`&#x2f;`); a browser reads them back.
    body.replace("&#x2f;", "/")
        .split(&format!("href=\"{prefix}"))
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

/// Downloads `path`: status, headers by name, bytes.
async fn download(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn audit_of(ws: &TestWorkspace, action: &str) -> Vec<Value> {
    json_of(&ok(ws.dtap(&["audit", "--action", action, "--json"])))
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_attaches_a_screenshot_and_a_pdf_and_downloads_them_byte_for_byte() {
    let ws = TestWorkspace::init();
    let rfc = ws.file_rfc("Sales results button");
    let app = TestApp::start_as(&ws, SALES).await;
    let shot = png(2, 2);
    // Larger than one chunk of 256 KiB: it spans two.
    let big = png(300, 300);
    assert!(big.len() > 256 * 1024 && big.len() < 2 * 256 * 1024, "{}", big.len());
    for (name, bytes) in [
        ("crm-screen.png", &shot[..]),
        ("Offerte über 2026.pdf", PDF),
        ("big.png", &big[..]),
    ] {
        let done = attach(&app, &rfc, name, bytes).await;
        assert_eq!(done.status, 303, "{name}: {}", done.body);
        assert_eq!(done.location, format!("/rfcs/{rfc}?done=attached#attachments"));
    }
    let page = app.get(&format!("/rfcs/{rfc}?done=attached")).await;
    assert!(page.body.contains("The file was attached."), "{}", page.body);
    for shown in [
        "crm-screen.png",
        "Offerte über 2026.pdf",
        "big.png",
        SALES,
        "enctype=\"multipart/form-data\"",
    ] {
        assert!(page.body.contains(shown), "{shown} is not on the page:\n{}", page.body);
    }
    let prefix = format!("/rfcs/{rfc}/attachments/");
    let ids = linked(&page.body, &prefix);
    assert_eq!(ids.len(), 3, "{}", page.body);
    let expected = [
        (
            &shot[..],
            "image/png",
            "attachment; filename=\"crm-screen.png\"; filename*=UTF-8''crm-screen.png",
        ),
        (
            PDF,
            "application/pdf",
            "attachment; filename=\"Offerte _ber 2026.pdf\"; filename*=UTF-8''Offerte%20%C3%BCber%202026.pdf",
        ),
        (
            &big[..],
            "image/png",
            "attachment; filename=\"big.png\"; filename*=UTF-8''big.png",
        ),
    ];
    for (id, (bytes, content_type, disposition)) in ids.iter().zip(expected) {
        let (status, h, got) = download(&app, &format!("{prefix}{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "content-type"), content_type);
        assert_eq!(header(&h, "content-disposition"), disposition);
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert_eq!(header(&h, "content-security-policy"), "sandbox; default-src 'none'");
        assert_eq!(header(&h, "content-length"), bytes.len().to_string());
        assert_eq!(sha256(&got), sha256(bytes));
    }
    // Stored in chunks of at most 256 KiB: the big one in two (read raw: no page shows chunks).
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await, 4);
    assert_eq!(
        db_count(&ws, "SELECT CAST(MAX(LENGTH(bytes)) AS BIGINT) FROM attachment_chunks").await,
        256 * 1024
    );
    // Another RFC's path does not open it.
    let other = ws.file_rfc("Another request");
    let (status, _, _) = download(&app, &format!("/rfcs/{other}/attachments/{}", ids[0])).await;
    assert_eq!(status, 404);
    app.stop().await;

    // The audit trail and the timeline show each upload.
    let added = audit_of(&ws, "attachment.add");
    assert_eq!(added.len(), 3, "{added:?}");
    assert!(
        added
            .iter()
            .all(|e| e["actor"] == SALES && e["object"] == rfc.as_str() && e["outcome"] == "ok")
    );
    let detail = added.iter().map(|e| e["detail"].to_string()).collect::<String>();
    assert!(detail.contains(&sha256(&big)), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_pages_svg_and_files_over_the_limit_are_refused_and_nothing_is_kept() {
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["config", "set", "web.max_attachment", "300 KB"]));
    let rfc = ws.file_rfc("Sales results button");
    let app = TestApp::start_as(&ws, SALES).await;
    let page = attach(
        &app,
        &rfc,
        "page.html",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains(
            "page.html is a web page (HTML), which is not accepted. Accepted are images (PNG, JPEG, GIF, WebP), PDF"
        ),
        "{}",
        page.body
    );
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"9\"/></svg>";
    let page = attach(&app, &rfc, "screenshot.png", svg).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("screenshot.png is an SVG drawing, which is not accepted."),
        "{}",
        page.body
    );
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00";
    assert_eq!(attach(&app, &rfc, "invoice.pdf", exe).await.status, 422);
    // 300 KB is the limit; this PNG is 352 KB.
    let page = attach(&app, &rfc, "big.png", &png(300, 300)).await;
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(
        page.body
            .contains("big.png is larger than 300 KB, the most an attachment may be"),
        "{}",
        page.body
    );
    // In Dutch too.
    let page = post_multipart(
        &app,
        &format!("/rfcs/{rfc}/attachments?lang=nl"),
        &[
            (
                "csrf_token",
                None,
                app.get(&format!("/rfcs/{rfc}")).await.csrf().as_bytes(),
            ),
            ("attachment", Some("big.png"), &png(300, 300)),
        ],
    )
    .await;
    assert_eq!(page.status, 413);
    assert!(page.body.contains("big.png is groter dan 300 KB"), "{}", page.body);
    // No token, no file: refused before anything is stored.
    let forged = post_multipart(
        &app,
        &format!("/rfcs/{rfc}/attachments"),
        &[("attachment", Some("shot.png"), &png(1, 1))],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let page = app.get(&format!("/rfcs/{rfc}")).await;
    assert!(page.body.contains("No attachments yet."), "{}", page.body);
    app.stop().await;
    // Nothing half-stored is left (read raw: refused uploads show nowhere).
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachments").await, 0);
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await, 0);
    // Each refusal is audited, with its reason.
    let refused = audit_of(&ws, "attachment.add");
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert!(refused.iter().all(|e| e["outcome"] == "refused"), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_who_may_view_the_rfc_sees_or_adds_its_attachments() {
    let ws = TestWorkspace::init();
    let rfc = ws.file_rfc("Sales results button");
    attach_as(&ws, SALES, &rfc, "shot.png", &png(2, 2)).await;
    let member = TestApp::start_as(&ws, FA).await;
    let page = member.get(&format!("/rfcs/{rfc}")).await;
    let prefix = format!("/rfcs/{rfc}/attachments/");
    let id = linked(&page.body, &prefix)[0];
    assert_eq!(download(&member, &format!("{prefix}{id}")).await.0, 200);
    member.stop().await;
    // Kim has no role in access.yaml: a tester by link only.
    let outsider = TestApp::start_as(&ws, KIM).await;
    assert_eq!(download(&outsider, &format!("{prefix}{id}")).await.0, 403);
    let tried = post_multipart(
        &outsider,
        &format!("/rfcs/{rfc}/attachments"),
        &[("attachment", Some("x.png"), &png(1, 1))],
    )
    .await;
    assert_eq!(tried.status, 403);
    outsider.stop().await;
    // Nobody signed in: sign in first.
    ws.set_dev_user(None);
    let anonymous = TestApp::start(&ws).await;
    assert_eq!(download(&anonymous, &format!("{prefix}{id}")).await.0, 401);
    anonymous.stop().await;
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachments").await, 1);
}

/// The sign-off form sent with a file after its fields, as a browser sends it.
async fn reject_with(app: &TestApp, link: &str, pairs: &[(String, String)], name: &str, bytes: &[u8]) -> Page {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> =
        pairs.iter().map(|(k, v)| (k.as_str(), None, v.as_bytes())).collect();
    parts.push(("attachment", Some(name), bytes));
    post_multipart(app, link, &parts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tester_attaches_a_screenshot_to_a_rejection_through_the_mailed_link() {
    let ws = TestWorkspace::init();
    let rfc = ws.approved_rfc("Sales results button");
    ws.appoint(&rfc, "test", KIM);
    ws.put_package("sales", "1.0.0", &[&rfc], "v1");
    ok(ws.as_user(RM, &["promote", "sales", "--to", "test"]));
    attach_as(&ws, SALES, &rfc, "what-i-want.png", &png(3, 3)).await;
    ws.flush();
    let link = path_of(&ws.latest_mail_with_link(KIM, "/signoff/").link());
    ws.set_dev_user(None);
    let app = TestApp::start(&ws).await;

    // The form offers a file input and shows the requester's attachment, openable through the link.
    let form = app.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("enctype=\"multipart/form-data\""), "{}", form.body);
    assert!(form.body.contains("type=\"file\""), "{}", form.body);
    assert!(form.body.contains("at most 10 MB"), "{}", form.body);
    let theirs = linked(&form.body, &format!("{link}/attachments/"));
    assert_eq!(theirs.len(), 1, "{}", form.body);
    let (status, h, _) = download(&app, &format!("{link}/attachments/{}", theirs[0])).await;
    assert_eq!((status, header(&h, "content-type")), (200, "image/png"));

    // An SVG is refused on the form, which keeps what was filled in; nothing is recorded.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let cases: Vec<(i64, &str, &str)> = case_ids(&form.body)
        .into_iter()
        .map(|id| (id, "fail", "total is 0"))
        .collect();
    let pairs = verdict_form(&form.csrf(), "reject", "The total shows 0", &cases);
    let refused = reject_with(&app, &link, &pairs, "failed.png", svg).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("href=\"#attachment\""), "{}", refused.body);
    assert!(
        refused
            .body
            .contains("failed.png is an SVG drawing, which is not accepted."),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(">The total shows 0</textarea>"),
        "{}",
        refused.body
    );
    assert_eq!(app.get(&link).await.status, 200, "the link is still open");

    // A rejection without a comment is refused; the file is not kept.
    let shot = png(40, 30);
    assert!(!cases.is_empty(), "{}", form.body);
    let send = |comment: &str| verdict_form(&form.csrf(), "reject", comment, &cases);
    let refused = reject_with(&app, &link, &send(""), "failed-total.png", &shot).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Choose the file again"), "{}", refused.body);
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachments").await, 1);

    // With the comment it is recorded, the screenshot with it.
    let done = reject_with(&app, &link, &send("The total shows 0"), "failed-total.png", &shot).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(ws.rfc_state(&rfc), "in_development");
    // The link is used: its attachments close with it.
    let (status, _, _) = download(&app, &format!("{link}/attachments/{}", theirs[0])).await;
    assert_eq!(status, 404);
    app.stop().await;

    let member = TestApp::start_as(&ws, SALES).await;
    let page = member.get(&format!("/rfcs/{rfc}")).await;
    assert!(page.body.contains("failed-total.png"), "{}", page.body);
    assert!(page.body.contains("with a rejection in Test"), "{}", page.body);
    // Listed under Attachments, and under the tester's comment it came with.
    let comment = &page.body[page.body.find("The total shows 0").unwrap()..];
    let comment = &comment[..comment.find("</article>").unwrap()];
    assert!(comment.contains("failed-total.png"), "{comment}");
    let ids = linked(&page.body, &format!("/rfcs/{rfc}/attachments/"));
    let (status, h, got) = download(&member, &format!("/rfcs/{rfc}/attachments/{}", ids[1])).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"failed-total.png\"; filename*=UTF-8''failed-total.png"
    );
    assert_eq!(sha256(&got), sha256(&shot));
    member.stop().await;
    let added = audit_of(&ws, "attachment.add");
    let by_kim: Vec<_> = added.iter().filter(|e| e["actor"] == KIM).collect();
    let outcomes: Vec<_> = by_kim.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["refused", "ok"], "{added:?}");
    assert!(
        by_kim[1]["detail"].as_str().unwrap().contains("\"signoff\":1"),
        "{added:?}"
    );
}

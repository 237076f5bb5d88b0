//! Removing an attachment (a screenshot with a customer's personal data):
//! whoever attached it or a functional admin, with a reason; the bytes go at
//! once, the facts stay on the timeline and in the audit.

use super::{attach, audit_of, linked, png};
use crate::support::{FA, Page, SALES, TestApp, TestWorkspace, db_count};

async fn remove(app: &TestApp, rfc: &str, n: i64, reason: &str) -> Page {
    let csrf = app.get(&format!("/rfcs/{rfc}")).await.csrf();
    app.post(
        &format!("/rfcs/{rfc}/attachments/{n}/remove"),
        &[("csrf_token", csrf.as_str()), ("reason", reason)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_attached_a_file_or_a_functional_admin_removes_it_with_a_reason() {
    let ws = TestWorkspace::init();
    let rfc = ws.file_rfc("Sales results button");
    let sales = TestApp::start_as(&ws, SALES).await;
    assert_eq!(attach(&sales, &rfc, "customer.png", &png(300, 300)).await.status, 303);
    assert_eq!(attach(&sales, &rfc, "screen.png", &png(2, 2)).await.status, 303);
    let prefix = format!("/rfcs/{rfc}/attachments/");
    let page = sales.get(&format!("/rfcs/{rfc}")).await;
    let ids = linked(&page.body, &prefix);
    assert_eq!(ids.len(), 2, "{}", page.body);
    let form = format!("action=\"/rfcs/{rfc}/attachments/{}/remove\"", ids[0]);
    assert!(
        page.body.contains(&form),
        "the uploader is offered removal: {}",
        page.body
    );

    // No reason: refused, nothing removed.
    let refused = remove(&sales, &rfc, ids[0], "  ").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("say why the file is removed"), "{}", refused.body);
    assert!(db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await > 1);

    let done = remove(&sales, &rfc, ids[0], "shows a customer's address").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location, format!("/rfcs/{rfc}?done=removed#attachments"));
    let page = sales.get(&format!("/rfcs/{rfc}?done=removed")).await;
    assert!(page.body.contains("The file was removed"), "{}", page.body);
    assert_eq!(linked(&page.body, &prefix), [ids[1]], "only the other file is listed");
    assert!(
        page.body
            .contains("attachment removed: customer.png: shows a customer&#x27;s address"),
        "the timeline says what and why: {}",
        page.body
    );
    let gone = sales.get(&format!("{prefix}{}", ids[0])).await;
    assert_eq!(gone.status, 404);
    // Twice is not found.
    assert_eq!(remove(&sales, &rfc, ids[0], "again").await.status, 404);
    sales.stop().await;
    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await,
        1,
        "its bytes are gone"
    );

    // A member without rfc.edit may not remove someone else's file; a functional admin may.
    let rm = TestApp::start_as(&ws, crate::support::RM).await;
    let page = rm.get(&format!("/rfcs/{rfc}")).await;
    assert!(
        !page.body.contains("remove-attachment"),
        "no remove offered: {}",
        page.body
    );
    let refused = remove(&rm, &rfc, ids[1], "tidy").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("only who attached screen.png"),
        "{}",
        refused.body
    );
    rm.stop().await;
    let fa = TestApp::start_as(&ws, FA).await;
    let page = fa.get(&format!("/rfcs/{rfc}?lang=nl")).await;
    assert!(page.body.contains("Bestand verwijderen"), "{}", page.body);
    assert!(
        page.body.contains("bijlage verwijderd"),
        "the timeline in Dutch: {}",
        page.body
    );
    assert_eq!(remove(&fa, &rfc, ids[1], "duplicate").await.status, 303);
    fa.stop().await;

    let removed = audit_of(&ws, "attachment.remove");
    let ok: Vec<_> = removed.iter().filter(|e| e["outcome"] == "ok").collect();
    assert_eq!(ok.len(), 2, "{removed:?}");
    let detail: serde_json::Value = serde_json::from_str(ok[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["file"], "customer.png");
    assert_eq!(detail["reason"], "shows a customer's address");
    assert_eq!(detail["uploaded_by"], SALES);
    assert_eq!(db_count(&ws, "SELECT COUNT(*) FROM attachment_chunks").await, 0);
}

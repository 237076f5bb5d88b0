//! The access page explains itself (issue 19): next to each permission code
//! a sentence says what it allows, for this pipeline's environments, in the
//! reader's language.

use crate::support::{CM, TestApp, TestWorkspace};

#[tokio::test]
async fn every_permission_on_the_access_page_says_what_it_allows() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, CM).await;
    let en = server.get("/access").await;
    assert_eq!(en.status, 200);
    let rows = en.body.matches("<th scope=\"row\">").count();
    assert!(rows >= 16, "{rows} rows");
    assert_eq!(
        en.body.matches("class=\"meaning\">").count(),
        rows,
        "every row explained"
    );
    assert!(en.body.contains("<code>promote.acceptance</code><span class=\"meaning\">Promote packages into acceptance, and retire them from it</span>"), "{}", en.body);
    assert!(en.body.contains("Read the audit trail and the deployment logs"));
    let nl = server.get("/access?lang=nl").await;
    assert!(
        nl.body
            .contains("Pakketten naar production promoveren, en ze daar uitfaseren"),
        "{}",
        nl.body
    );
    assert!(!nl.body.contains('⟦'), "a meaning without Dutch: {}", nl.body);
    server.stop().await;
}

//! A failed deployment as a release manager meets it in a real browser
//! (DESIGN §14): the dashboard cell says `failed` and links to the
//! deployment, whose page shows the failing step's output as text, on a
//! wide window and on a phone, with no axe-core violation. The CRM is the
//! stand-in of `deploy.rs`: the failing step is a real program.

use crate::browser::{Browser, axe_source};
use crate::deploy::crm;
use crate::rounds::APEX;
use crate::support::browser::browser_or_skip;
use crate::support::{RM, TestApp, code, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_deployment_leads_from_the_dashboard_to_its_log() {
    let Some(binaries) = browser_or_skip("browser_deploy::a_failed_deployment_leads_from_the_dashboard_to_its_log")
    else {
        return;
    };
    let c = crm();
    // What `sf project deploy start` prints when a field is missing, with
    // markup in it that must stay text.
    c.deploy_test(
        "    - name: deploy to the org\n      run: [sh, -c, \"echo 'ProductController.cls: Invalid field <Frame__c> for Product__c' >&2; exit 1\"]\n",
        "",
    );
    let out = c.ws.as_user(RM, &["promote", APEX, "--to", "test"]);
    assert_eq!(code(&out), Some(4), "{}", text(&out));

    let server = TestApp::start_as(&c.ws, RM).await;
    let b = Browser::start(&c.ws, &binaries, c.ws.tmp.path().join("screenshots")).await;
    let axe = axe_source();
    for (w, h) in [(1280, 800), (390, 844)] {
        b.size_viewport(w, h).await;
        b.goto(&server.url("/")).await;
        let badge = "a.deploy-state.failed[href='/deployments/1']";
        b.find(badge).await;
        b.click(badge).await;
        b.wait_url("the deployment's page", |u| u.ends_with("/deployments/1"))
            .await;
        let log = b.text("pre.log").await;
        assert!(
            log.contains("Invalid field <Frame__c> for Product__c"),
            "the log shows the step's output as written: {log}"
        );
        assert_eq!(
            b.js("return document.querySelector('main frame__c') === null;").await,
            true,
            "nothing of the output became markup"
        );
        assert!(
            b.text("[role=alert]").await.contains("dtap deploy retry 1"),
            "the page names the way out"
        );
        assert_eq!(
            b.overflow().await,
            0,
            "the page fits a {w} px window; the log scrolls in its box"
        );
        b.screenshot(&format!("deployment-failed-{w}")).await;
        if let Some(source) = axe.as_deref() {
            let found = b.axe(source).await;
            assert!(found.is_empty(), "axe-core at {w} px: {found:#?}");
        }
    }
    server.stop().await;
}

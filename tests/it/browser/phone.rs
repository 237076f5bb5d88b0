//! The sign-off form on a phone, by keyboard alone, in two languages.

use super::*;

/// An approved RFC in test with kim appointed, crm-core 1.0.0 promoted
/// there and the invitation delivered (file transport); the sign-off
/// link's path.
pub(crate) fn rfc_in_test(ws: &TestWorkspace) -> (String, String) {
    let rfc = ws.approved_rfc(TITLE);
    ws.appoint(&rfc, "test", TESTER);
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    ws.flush();
    let link = ws
        .latest_mail_with_link(TESTER, "/signoff/")
        .links("/signoff/")
        .remove(0);
    (rfc, path_of(&link))
}

fn is_submit(f: &Value) -> bool {
    f["tag"] == "button" && f["type"] == "submit"
}

/// The sign-off form on a 390 px phone, by keyboard alone: an empty send
/// brings the error summary, which takes the focus; its links move the
/// focus to the fields; radios are chosen with Space and the arrow keys;
/// the comment's hint is there before any error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_off_on_a_phone_by_keyboard_alone() {
    let Some(binaries) = browser_or_skip("browser::sign_off_on_a_phone_by_keyboard_alone") else {
        return;
    };
    let ws = TestWorkspace::init();
    let (rfc, path) = rfc_in_test(&ws);
    let server = TestApp::start(&ws).await;
    // The guide's tester page shows the phone's error summary and its done page.
    let b = Browser::start(&ws, &binaries, screenshot_dir(&ws)).await;
    b.size_viewport(390, 844).await;
    b.goto(&server.url(&path)).await;
    b.find("form.signoff-form").await;
    assert_eq!(b.js("return window.innerWidth;").await, 390);
    assert!(b.overflow().await <= 0, "the form fits the phone");

    // Radios as GOV.UK lays them out: a circle left of its label, not stretched.
    let geometry = b
        .js("return [...document.querySelectorAll('.radio')].map(r => { \
               const i = r.querySelector('input').getBoundingClientRect(); \
               const l = r.querySelector('label'); const lr = l.getBoundingClientRect(); \
               const circle = getComputedStyle(l, '::before'); \
               return { input_w: i.width, input_right: i.right, text_left: lr.left + parseFloat(getComputedStyle(l).paddingLeft), \
                        circle_w: parseFloat(circle.width), circle_border: circle.borderTopColor }; });")
        .await;
    let radios = geometry.as_array().unwrap();
    assert!(radios.len() >= 4, "{geometry:#}");
    for r in radios {
        assert!(r["input_w"].as_f64().unwrap() <= 48.0, "a radio is not stretched: {r}");
        assert!(r["circle_w"].as_f64().unwrap() >= 24.0, "a large circle: {r}");
        assert!(
            r["input_right"].as_f64().unwrap() <= r["text_left"].as_f64().unwrap() + 1.0,
            "the circle left of its label: {r}"
        );
    }
    // The hint is there up front, tied to the comment.
    let hint = b.text("#h-comment").await;
    assert!(hint.contains("Required when you reject"), "{hint}");
    let described = b
        .js("return document.getElementById('comment').getAttribute('aria-describedby');")
        .await;
    assert_eq!(described, "h-comment");

    // Sent empty: the error summary comes first and has the focus.
    let tabs_to_send = b.tab_to("the send button", is_submit).await;
    assert!(is_submit(&tabs_to_send));
    b.press(ENTER).await;
    b.find(".error-summary").await;
    let summary_focused = |f: &Value| f["cls"].as_str().unwrap_or("").contains("error-summary");
    b.wait_focused("the error summary", summary_focused).await;
    let title = b.js("return document.title;").await;
    assert!(title.as_str().unwrap().starts_with("Error:"), "{title}");
    b.screenshot("phone-01-error-summary").await;
    if let Some(source) = axe_source() {
        let found = b.axe(&source).await;
        assert!(
            found.is_empty(),
            "axe-core on the form with errors:\n{}",
            found.join("\n")
        );
    }
    // Every error tied to its field: the summary's links lead to fields that
    // exist, each invalid radio's group names its error message.
    let ties = b
        .js("const links = [...document.querySelectorAll('.error-summary a')].map(a => a.getAttribute('href')); \
             const missing = links.filter(h => !document.getElementById(h.slice(1))); \
             const invalid = [...document.querySelectorAll('[aria-invalid=true]')]; \
             const untied = invalid.filter(i => { const owner = i.closest('fieldset') && i.type === 'radio' ? i.closest('fieldset') : i; \
               const ids = (owner.getAttribute('aria-describedby') || '').split(' ').filter(Boolean); \
               return !ids.some(id => { const e = document.getElementById(id); return e && e.classList.contains('error-message'); }); }) \
               .map(i => i.id); \
             return { links, missing, invalid: invalid.length, untied };")
        .await;
    assert_eq!(ties["missing"], json!([]), "{ties:#}");
    assert_eq!(ties["untied"], json!([]), "{ties:#}");
    let links = ties["links"].as_array().unwrap().clone();
    assert!(
        links.len() >= 2 && links.iter().any(|l| l == "#verdict-approve"),
        "a link per error: {ties:#}"
    );
    assert!(ties["invalid"].as_i64().unwrap() >= 4, "{ties:#}");

    // Tab to the first link, Enter: the focus moves to that field.
    b.press(TAB).await;
    let f = b.focused().await;
    assert_eq!(f["tag"], "a", "{f}");
    let target = f["href"].as_str().unwrap().trim_start_matches('#').to_string();
    assert!(target.starts_with("case-") && target.ends_with("-pass"), "{f}");
    b.press(ENTER).await;
    let f = b.focused().await;
    assert_eq!(f["id"], target.as_str(), "the link moved the focus to its field");
    b.screenshot("phone-02-field-focused").await;

    // Space passes each test case, Tab moves on; the arrow key picks "reject".
    b.press(SPACE).await;
    assert_eq!(b.focused().await["checked"], true);
    loop {
        let f = b
            .tab_to("the next test case or the verdict", |f| {
                f["type"] == "radio" && f["checked"] == false
            })
            .await;
        if f["name"] == "verdict" {
            break;
        }
        b.press(SPACE).await;
    }
    assert_eq!(b.focused().await["id"], "verdict-approve");
    b.press(ARROW_DOWN).await;
    let f = b.focused().await;
    assert_eq!(
        (f["id"].as_str(), f["checked"].as_bool()),
        (Some("verdict-reject"), Some(true))
    );
    b.tab_to("the send button", is_submit).await;
    b.press(ENTER).await;

    // A rejection without a comment: the summary again, its link to the comment.
    let deadline = Instant::now() + WAIT;
    while b.all(".error-summary a[href='#comment']").await.is_empty() {
        assert!(Instant::now() < deadline, "{}", b.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.wait_focused("the error summary", summary_focused).await;
    let links = b.all(".error-summary a").await;
    assert_eq!(
        links.len(),
        1,
        "only the comment is left: {}",
        b.text(".error-summary").await
    );
    b.press(TAB).await;
    b.press(ENTER).await;
    assert_eq!(b.focused().await["id"], "comment");
    b.press("The total is 41, not 42").await;
    b.tab_to("the send button", is_submit).await;
    b.press(ENTER).await;
    b.wait_gone("input[name='verdict']").await;
    b.screenshot("phone-03-done").await;
    assert_eq!(ws.rfc_state(&rfc), "in_development", "the rejection was recorded");
    server.stop().await;
}

//! RFC pages over HTTP against the real app: filing through the form,
//! validation, escaping, CSRF defences, the lifecycle buttons and paging.

use serde_json::{Value, json};

use crate::support::{Page, TestApp, TestWorkspace, csrf_token_in, html_escape};

/// A report RFC with every required answer in.
const REPORT_ANSWERS: &[(&str, &str)] = &[
    ("what_to_see", "All my closed deals of last week"),
    ("where_to_show", "My dashboard"),
    ("period", "Last week"),
    ("who_sees", "Only me"),
    ("why_needed", "To prepare the Monday sales meeting"),
    ("how_to_know", "The total matches the invoices"),
];

/// The page's CSRF token, as a browser would find it in the form.
async fn token_of(server: &TestApp, path: &str) -> String {
    let page = server.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.csrf()
}

/// Files an RFC through the new-request form; returns its id.
async fn file_via_form(server: &TestApp, template: &str, answers: &[(&str, &str)]) -> String {
    let token = token_of(server, &format!("/rfcs/new?template={template}")).await;
    let mut form = vec![("csrf_token", token.as_str()), ("template", template)];
    form.extend_from_slice(answers);
    let r = server.post("/rfcs", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.ends_with("?done=created"), "{}", r.location);
    r.location
        .strip_prefix("/rfcs/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

/// Presses a transition button on the RFC page.
async fn press(server: &TestApp, id: &str, transition: &str, comment: Option<&str>) -> Page {
    let token = token_of(server, &format!("/rfcs/{id}")).await;
    let mut form = vec![("csrf_token", token.as_str()), ("transition", transition)];
    if let Some(c) = comment {
        form.push(("comment", c));
    }
    server.post(&format!("/rfcs/{id}/transition"), &form).await
}

/// Posts a comment on RFC-1 with extra request headers.
async fn comment_with(server: &TestApp, token: &str, body: &str, headers: &[(&str, String)]) -> Page {
    let mut req = server
        .http
        .post(server.url("/rfcs/RFC-1/comments"))
        .form(&[("csrf_token", token), ("body", body)]);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    Page::of(req.send().await.unwrap()).await
}

/// Files an RFC through the API; returns its JSON.
async fn api_create(server: &TestApp, body: Value) -> Value {
    let r = server
        .http
        .post(server.url("/api/v1/rfcs"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// The RFC ids listed in the table of the list page, top to bottom.
fn listed(page: &str) -> Vec<String> {
    // Each row links its id and its title to the RFC.
    let key = "<td><a href=\"/rfcs/";
    let mut ids: Vec<String> = page
        .match_indices(key)
        .map(|(i, _)| {
            let rest = &page[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    ids.dedup();
    ids
}

/// The transition buttons the RFC page offers.
fn buttons(page: &str) -> Vec<String> {
    let key = "name=\"transition\" value=\"";
    page.match_indices(key)
        .map(|(i, _)| {
            let rest = &page[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

fn state_badge(state: &str, label: &str) -> String {
    format!("<span class=\"state state-{state}\">{label}</span>")
}

#[tokio::test]
async fn file_through_the_form_then_find_search_and_filter() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;

    let choose = server.get("/rfcs/new").await;
    assert_eq!(choose.status, 200);
    assert!(choose.body.contains("/rfcs/new?template=report"), "{}", choose.body);
    assert!(choose.body.contains("Report or dashboard"));

    let form = server.get("/rfcs/new?template=report").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("What do you want to see?"), "{}", form.body);
    assert!(
        form.body.contains("<option value=\"My dashboard\" selected>"),
        "the template's default is chosen"
    );
    assert!(
        form.body
            .contains("id=\"f-department\" name=\"department\" value=\"Sales\""),
        "the template's department is filled in"
    );

    let mut answers = vec![("title", "Weekly sales button"), ("department", "Sales")];
    answers.extend_from_slice(REPORT_ANSWERS);
    answers.push(("who_sees", "My team"));
    answers.push(("priority", "should"));
    let id = file_via_form(&server, "report", &answers).await;
    assert_eq!(id, "RFC-1");

    let page = server.get("/rfcs/RFC-1?done=created").await;
    assert_eq!(page.status, 200);
    let p = &page.body;
    assert!(
        p.contains("<span class=\"rfc-id\">RFC-1</span> Weekly sales button"),
        "{p}"
    );
    assert!(p.contains(&state_badge("draft", "Draft")), "{p}");
    assert!(p.contains("saved as a draft"), "the notice says what happened");
    assert!(p.contains("<dd>All my closed deals of last week</dd>"), "{p}");
    assert!(p.contains("<dd>To prepare the Monday sales meeting</dd>"));
    assert!(
        p.contains("<dd>Only me, My team</dd>"),
        "both choices of the multiselect"
    );
    assert!(
        p.contains("<dd>Should have</dd>"),
        "the priority, by its label, not the stored `should`"
    );
    assert!(p.contains("<dd>sales@example.org</dd>"), "the requester");
    assert!(
        p.contains("Report shows the right records and totals"),
        "the template's test plan"
    );

    // A second RFC from another template, submitted.
    let other = file_via_form(
        &server,
        "data-model",
        &[
            ("title", "Preferred language on contact"),
            ("record_type", "Contact"),
            ("field_label", "Preferred language"),
            ("kind_of_answer", "Free text"),
            ("why_needed", "Marketing mails customers in their own language"),
            ("always_filled", "false"),
        ],
    )
    .await;
    assert_eq!(other, "RFC-2");
    let r = press(&server, "RFC-2", "submit", None).await;
    assert_eq!(r.status, 303, "{}", r.body);

    let all = server.get("/rfcs").await;
    assert_eq!(all.status, 200);
    assert_eq!(listed(&all.body), ["RFC-2", "RFC-1"], "newest first");
    assert!(all.body.contains("2 requests"), "{}", all.body);
    assert!(all.body.contains("Weekly sales button"));

    let cases: &[(&str, &[&str])] = &[
        ("q=deals", &["RFC-1"]),
        ("q=DEAL", &["RFC-1"]),
        ("q=marketing+language", &["RFC-2"]),
        ("q=Weekly", &["RFC-1"]),
        ("q=nothing-like-this", &[]),
        ("state=submitted", &["RFC-2"]),
        ("state=draft", &["RFC-1"]),
        ("state=approved", &[]),
        ("template=report", &["RFC-1"]),
        ("template=data-model", &["RFC-2"]),
        ("department=Sales", &["RFC-1"]),
        ("requester=SALES%40example.org", &["RFC-2", "RFC-1"]),
        ("requester=cm%40example.org", &[]),
        ("state=draft&template=data-model", &[]),
        ("state=&template=&q=", &["RFC-2", "RFC-1"]),
        ("sort=oldest", &["RFC-1", "RFC-2"]),
        ("sort=title", &["RFC-2", "RFC-1"]),
    ];
    for (query, want) in cases {
        let r = server.get(&format!("/rfcs?{query}")).await;
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(listed(&r.body), *want, "{query}");
        if want.is_empty() {
            assert!(r.body.contains("No requests match"), "{query}");
        }
    }
    let r = server.get("/rfcs?state=submitted&template=data-model").await;
    assert!(
        r.body.contains("<option value=\"submitted\" selected>"),
        "the chosen filter stays chosen"
    );
    assert!(r.body.contains("<option value=\"data-model\" selected>"));
    server.stop().await;
}

#[tokio::test]
async fn form_validation_marks_fields_and_keeps_what_was_typed() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let token = token_of(&server, "/rfcs/new?template=data-model").await;
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("template", "data-model"),
        ("title", "   "),
        ("department", "Marketing"),
        ("record_type", "Account"),
        ("field_label", "Preferred language"),
        ("technical_name", "Preferred Language"),
        ("kind_of_answer", "Free text"),
        ("why_needed", "Marketing wants to mail in the customer's language"),
        ("always_filled", "false"),
        ("always_filled", "true"),
        ("example_phone", "0612345678"),
        ("priority", "could"),
    ];
    let r = server.post("/rfcs", &form).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let p = &r.body;
    assert!(p.contains("Please check the fields marked below"), "{p}");
    assert!(
        p.contains("<p class=\"error\" id=\"e-title\">is required: give the request a short title</p>"),
        "{p}"
    );
    assert!(
        p.contains("<p class=\"error\" id=\"e-example_phone\">Write the number as +31 followed by 9 digits"),
        "{p}"
    );
    assert!(
        p.contains("<p class=\"error\" id=\"e-technical_name\">Use only lower-case letters"),
        "{p}"
    );
    for field in ["title", "example_phone", "technical_name"] {
        // The message sits inside the field's own block, after its input.
        let input = p.find(&format!("id=\"f-{field}\"")).unwrap();
        let error = p.find(&format!("id=\"e-{field}\"")).unwrap();
        assert!(input < error, "{field}");
        assert!(
            !p[input..error].contains("class=\"field"),
            "{field}: error is next to its field"
        );
        assert!(p.contains(&format!("aria-describedby=\"e-{field}\"")) || p.contains(&format!(" e-{field}\"")));
    }
    assert_eq!(
        p.matches("class=\"error\"").count(),
        3,
        "only the wrong fields are marked"
    );

    // Everything typed is still there.
    assert!(p.contains("value=\"0612345678\""), "{p}");
    assert!(p.contains("value=\"Preferred Language\""));
    assert!(p.contains("value=\"Preferred language\""));
    assert!(p.contains("value=\"Marketing\""), "the department");
    assert!(p.contains("<option value=\"Account\" selected>"));
    assert!(p.contains("<option value=\"Free text\" selected>"));
    assert!(p.contains("<option value=\"could\" selected>"));
    assert!(p.contains(&html_escape("Marketing wants to mail in the customer's language")));
    assert!(p.contains("id=\"f-always_filled\" name=\"always_filled\" value=\"true\" checked"));

    let list = server.get("/rfcs").await;
    assert!(listed(&list.body).is_empty(), "nothing was filed");

    // Fixed, the same form goes through.
    form[2] = ("title", "Preferred language on accounts");
    form[6] = ("technical_name", "preferred_language");
    form[11] = ("example_phone", "+31612345678");
    let r = server.post("/rfcs", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, "/rfcs/RFC-1?done=created");
    let show = server.get("/rfcs/RFC-1").await;
    assert!(show.body.contains("<dd>+31612345678</dd>"));
    assert!(show.body.contains("<dd>preferred_language</dd>"));
    server.stop().await;
}

#[tokio::test]
async fn scripts_in_titles_answers_and_comments_are_shown_as_text() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "\"><img src=x onerror=alert(1)>";
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    let title = format!("Sales {SCRIPT} report {IMG}");
    let answer = format!("Show {IMG} and {SCRIPT}");
    let mut answers = vec![
        ("title", title.as_str()),
        ("department", IMG),
        ("what_to_see", answer.as_str()),
    ];
    answers.extend_from_slice(&REPORT_ANSWERS[1..]);
    let id = file_via_form(&server, "report", &answers).await;

    let token = token_of(&server, &format!("/rfcs/{id}")).await;
    let comment = format!("Comment {SCRIPT} {IMG}");
    let r = server
        .post(
            &format!("/rfcs/{id}/comments"),
            &[("csrf_token", &token), ("body", &comment)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    let safe = |what: &str, page: &str| {
        assert!(!page.contains(SCRIPT), "{what} shows a raw script tag:\n{page}");
        assert!(!page.contains("<img src=x"), "{what} shows a raw img tag:\n{page}");
        assert!(!page.contains("<script"), "{what}: no script at all:\n{page}");
    };
    let escaped_script = html_escape(SCRIPT);
    let escaped_img = html_escape(IMG);
    assert!(escaped_script.starts_with("&lt;script&gt;"));

    let show = server.get(&format!("/rfcs/{id}")).await;
    safe("the RFC page", &show.body);
    assert!(show.body.contains(&html_escape(&title)), "title as text");
    assert!(show.body.contains(&html_escape(&answer)), "answer as text");
    assert!(show.body.contains(&html_escape(&comment)), "comment as text");
    assert!(show.body.contains(&escaped_img), "department as text");
    let csp = http.get(server.url(&format!("/rfcs/{id}"))).send().await.unwrap();
    let csp = csp.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");

    let echoed = server
        .get(&format!("/rfcs/{id}?done=%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
        .await;
    assert_eq!(echoed.status, 200);
    safe("the RFC page with a hostile notice", &echoed.body);
    assert!(
        !echoed.body.contains("class=\"notice\""),
        "unknown notices show nothing"
    );

    let list = server.get("/rfcs").await;
    safe("the list", &list.body);
    assert!(list.body.contains(&html_escape(&title)));
    assert!(
        list.body.contains(&escaped_img),
        "department in the filter and the table"
    );

    let search = server
        .get("/rfcs?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&requester=%22%3E%3Cscript%3E")
        .await;
    assert_eq!(search.status, 200);
    safe("the list with a hostile search", &search.body);
    assert!(
        search.body.contains(&format!("value=\"{escaped_img}\"")),
        "{}",
        search.body
    );

    let edit = server.get(&format!("/rfcs/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    safe("the edit form", &edit.body);
    assert!(edit.body.contains(&format!("value=\"{}\"", html_escape(&title))));
    assert!(edit.body.contains(&format!(">{}</textarea>", html_escape(&answer))));

    // The form re-rendered with errors.
    let token = token_of(&server, "/rfcs/new?template=report").await;
    let r = server
        .post(
            "/rfcs",
            &[
                ("csrf_token", &token),
                ("template", "report"),
                ("title", &title),
                ("why_needed", SCRIPT),
                ("expected_total", IMG),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    safe("the form with errors", &r.body);
    assert!(r.body.contains(&format!("value=\"{}\"", html_escape(&title))));
    assert!(r.body.contains(&format!("value=\"{escaped_img}\"")));

    // A withdrawal reason lands in the comments and the timeline.
    let r = press(&server, &id, "withdraw", Some(&comment)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let show = server.get(&format!("/rfcs/{id}")).await;
    safe("the RFC page after withdrawal", &show.body);
    assert!(show.body.matches(&escaped_script).count() >= 4, "{}", show.body);

    // An error page naming what was sent.
    let token = token_of(&server, &format!("/rfcs/{id}")).await;
    let r = server
        .post("/rfcs", &[("csrf_token", &token), ("template", SCRIPT), ("title", IMG)])
        .await;
    assert_eq!(r.status, 422);
    safe("the error page", &r.body);
    assert!(r.body.contains(&escaped_script), "{}", r.body);

    // The API gives the text back exactly, as JSON.
    let api = http
        .get(server.url(&format!("/api/v1/rfcs/{id}")))
        .send()
        .await
        .unwrap();
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: Value = api.json().await.unwrap();
    assert_eq!(v["title"], title.as_str());
    assert_eq!(v["fields"]["what_to_see"], answer.as_str());
    server.stop().await;
}

#[tokio::test]
async fn forms_need_their_token_and_a_same_site_origin() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    let mut answers = vec![("title", "Weekly sales button")];
    answers.extend_from_slice(REPORT_ANSWERS);
    let id = file_via_form(&server, "report", &answers).await;
    let sales_token = token_of(&server, "/rfcs/RFC-1").await;

    let refused = |r: &Page, what: &str| {
        assert_eq!(r.status, 403, "{what}: {}", r.body);
        assert!(r.body.contains("This form could not be accepted"), "{what}: {}", r.body);
    };
    // No token, an empty one, a wrong one, one that is not hex.
    for token in [None, Some(""), Some("00"), Some("zz"), Some(&"ab".repeat(32)[..])] {
        let with = |mut form: Vec<(&'static str, String)>| {
            if let Some(t) = token {
                form.push(("csrf_token", t.to_string()));
            }
            form
        };
        let cases = [
            (
                "/rfcs".to_string(),
                with(vec![("template", "report".into()), ("title", "Sneaky".into())]),
            ),
            (
                format!("/rfcs/{id}/transition"),
                with(vec![("transition", "withdraw".into()), ("comment", "sneaky".into())]),
            ),
            (
                format!("/rfcs/{id}/comments"),
                with(vec![("body", "sneaky comment".into())]),
            ),
            (format!("/rfcs/{id}/edit"), with(vec![("title", "Sneaky title".into())])),
        ];
        for (path, form) in cases {
            let r = Page::of(http.post(server.url(&path)).form(&form).send().await.unwrap()).await;
            refused(&r, &format!("{path} with token {token:?}"));
        }
    }

    // The token of one user does not work for another, also across restarts.
    server.stop().await;
    let server = TestApp::start_as(&ws, "fa@example.org").await;
    let fa_token = token_of(&server, "/rfcs/RFC-1").await;
    assert_ne!(fa_token, sales_token);
    let r = server
        .post(
            "/rfcs/RFC-1/comments",
            &[("csrf_token", &sales_token), ("body", "sneaky comment")],
        )
        .await;
    refused(&r, "sales's token used by fa");
    server.stop().await;
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let r = server
        .post(
            "/rfcs/RFC-1/comments",
            &[("csrf_token", &fa_token), ("body", "sneaky comment")],
        )
        .await;
    refused(&r, "fa's token used by sales");

    let here = format!("http://{}", server.addr);
    let other_port = format!("http://127.0.0.1:{}", server.addr.port().wrapping_add(1).max(1));
    for headers in [
        vec![("origin", "http://evil.example".to_string())],
        vec![("origin", "null".to_string())],
        vec![("origin", other_port.clone())],
        vec![("origin", format!("{here}.evil.example"))],
        vec![("referer", "http://evil.example/rfcs/RFC-1".to_string())],
        vec![
            ("origin", "http://evil.example".to_string()),
            ("referer", format!("{here}/rfcs/RFC-1")),
        ],
    ] {
        let r = comment_with(&server, &sales_token, "sneaky comment", &headers).await;
        refused(&r, &format!("{headers:?}"));
    }
    // The Origin check guards the JSON API too.
    let r = http
        .post(server.url("/api/v1/rfcs"))
        .header("origin", "http://evil.example")
        .json(&json!({"template": "report", "title": "Sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The token survived the restarts: the server secret is kept.
    let ok = [
        (vec![("origin", here.clone())], "from this site"),
        (vec![("referer", format!("{here}/rfcs/RFC-1"))], "referred by this site"),
        (vec![], "without origin or referer"),
    ];
    for (headers, body) in ok {
        let r = comment_with(&server, &sales_token, body, &headers).await;
        assert_eq!(r.status, 303, "{headers:?}: {}", r.body);
        assert_eq!(r.location, "/rfcs/RFC-1?done=commented");
    }
    let show = server.get("/rfcs/RFC-1").await;
    for body in ["from this site", "referred by this site", "without origin or referer"] {
        assert!(show.body.contains(body), "{body}");
    }
    assert!(!show.body.contains("sneaky"), "no refused request left a trace");
    assert!(!show.body.contains("Sneaky"));
    assert!(show.body.contains(&state_badge("draft", "Draft")));
    let list = server.get("/rfcs").await;
    assert_eq!(listed(&list.body), ["RFC-1"], "no refused request filed an RFC");
    server.stop().await;
}

#[tokio::test]
async fn lifecycle_through_the_buttons() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let id = file_via_form(&server, "report", &[("title", "Weekly sales button")]).await;
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert_eq!(buttons(&show.body), ["submit", "withdraw"], "the requester's buttons");

    // Submitting is refused until every required answer is in.
    let r = press(&server, &id, "submit", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("That was not done"), "{}", r.body);
    // Each missing answer named by its question's label, never its id.
    for label in [
        "What do you want to see?",
        "Why do you need it, and what will you do with it?",
        "How will you know it works?",
    ] {
        let reason = format!("<li>{}</li>", html_escape(&format!("\"{label}\" is required")));
        assert!(r.body.contains(&reason), "{label} named:\n{}", r.body);
    }
    for filled_by_default in ["where_to_show", "period", "who_sees", "what_to_see"] {
        assert!(!r.body.contains(&format!("<li>{filled_by_default}: ")));
    }
    assert!(r.body.contains(&state_badge("draft", "Draft")), "still a draft");

    let token = token_of(&server, &format!("/rfcs/{id}/edit")).await;
    let mut form = vec![("csrf_token", token.as_str()), ("title", "Weekly sales button")];
    form.extend_from_slice(&REPORT_ANSWERS[..2]);
    let r = server.post(&format!("/rfcs/{id}/edit"), &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/rfcs/{id}?done=saved"));
    let r = press(&server, &id, "submit", None).await;
    assert_eq!(r.status, 403, "half filled in: still refused");
    assert!(
        !r.body
            .contains(&html_escape("\"What do you want to see?\" is required")),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(&html_escape("\"How will you know it works?\" is required"))
    );

    let mut form = vec![("csrf_token", token.as_str()), ("title", "Weekly sales button")];
    form.extend_from_slice(REPORT_ANSWERS);
    let r = server.post(&format!("/rfcs/{id}/edit"), &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = press(&server, &id, "submit", None).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/rfcs/{id}?done=submit"));
    let show = server.get(&r.location).await;
    assert!(
        show.body.contains(&state_badge("submitted", "Submitted")),
        "{}",
        show.body
    );
    assert!(show.body.contains("Submitted for assessment."));

    // The requester cannot assess: no button, and a forged press is refused.
    assert!(
        !buttons(&show.body).contains(&"approve".to_string()),
        "{:?}",
        buttons(&show.body)
    );
    assert!(!buttons(&show.body).contains(&"reject".to_string()));
    assert!(
        !show.body.contains(&format!("/rfcs/{id}/edit")),
        "no Edit once submitted"
    );
    let r = press(&server, &id, "approve", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("segregation of duties"), "{}", r.body);
    assert!(r.body.contains(&state_badge("submitted", "Submitted")));
    server.stop().await;

    // The change manager.
    let server = TestApp::start_as(&ws, "cm@example.org").await;
    let show = server.get(&format!("/rfcs/{id}")).await;
    let offered = buttons(&show.body);
    assert!(
        offered.contains(&"approve".to_string()) && offered.contains(&"reject".to_string()),
        "{offered:?}"
    );
    let r = press(&server, &id, "approve", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Each field named by its label on the form, not its id.
    for label in [
        "Impact on the organisation",
        "Impact on the department",
        "Impact on the individual (what's in it for me?)",
        "Risk",
    ] {
        let reason = format!("<li>{}: fill this in", html_escape(label));
        assert!(r.body.contains(&reason), "{label} named:\n{}", r.body);
    }
    let r = press(&server, &id, "reject", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("<li>Comment: "), "{}", r.body);
    let r = press(&server, &id, "reject", Some("   ")).await;
    assert_eq!(r.status, 403, "a blank reason is no reason");
    assert!(r.body.contains(&state_badge("submitted", "Submitted")));

    // While assessing, the edit form offers impact and risk only.
    let edit = server.get(&format!("/rfcs/{id}/edit")).await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    assert!(edit.body.contains("name=\"risk\""));
    assert!(edit.body.contains("name=\"impact_department\""));
    assert!(!edit.body.contains("name=\"title\""), "{}", edit.body);
    assert!(!edit.body.contains("name=\"what_to_see\""));
    let token = csrf_token_in(&edit.body);
    let r = server
        .post(
            &format!("/rfcs/{id}/edit"),
            &[
                ("csrf_token", token.as_str()),
                ("title", "Renamed by the change manager"),
                ("what_to_see", "Something else"),
                ("impact_organisation", "Fewer spreadsheets"),
                ("impact_department", "Sales saves an hour a week"),
                ("impact_individual", "No more copying figures"),
                ("risk", "medium"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert!(show.body.contains("<dd>Sales saves an hour a week</dd>"));
    assert!(show.body.contains("<dd>Medium</dd>"));
    assert!(
        show.body.contains("Weekly sales button"),
        "the title is not the assessor's to change"
    );
    assert!(!show.body.contains("Renamed by the change manager"));
    assert!(!show.body.contains("Something else"));

    let r = press(&server, &id, "approve", Some("Go")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let show = server.get(&r.location).await;
    assert!(
        show.body.contains(&state_badge("approved", "Approved for build")),
        "{}",
        show.body
    );
    assert!(show.body.contains("Approved for build."), "the notice");
    assert!(
        show.body.contains("<strong>cm@example.org</strong> approve → approved"),
        "{}",
        show.body
    );
    assert!(show.body.contains("<p>Go</p>"), "the approval comment");
    assert!(!buttons(&show.body).contains(&"approve".to_string()));
    server.stop().await;
}

#[tokio::test]
async fn who_may_file_and_see() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "rm@example.org").await;
    let list = server.get("/rfcs").await;
    assert_eq!(list.status, 200);
    assert!(
        !list.body.contains("class=\"button\" href=\"/rfcs/new\""),
        "no New button without rfc.file"
    );
    let token = csrf_token_in(&server.get("/rfcs/new?template=report").await.body);
    let r = server
        .post(
            "/rfcs",
            &[("csrf_token", &token), ("template", "report"), ("title", "Mine")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("rfc.file"), "{}", r.body);
    server.stop().await;

    let server = TestApp::start_as(&ws, "stranger@example.org").await;
    let r = server.get("/rfcs").await;
    assert_eq!(r.status, 403, "no role, no list");
    assert!(r.body.contains("access.yaml"), "{}", r.body);
    server.stop().await;

    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    let kept: Vec<&str> = toml.lines().filter(|l| !l.starts_with("dev_user")).collect();
    ws.write("dtap.toml", &format!("{}\n", kept.join("\n")));
    let server = TestApp::start(&ws).await;
    let r = server.get("/rfcs").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Sign in"));
    let r = server.get("/rfcs/RFC-1").await;
    assert_eq!(r.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn pages_of_the_list() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    for n in 1..=27 {
        let rfc = api_create(
            &server,
            json!({"template": "report", "title": format!("Request {n:02}")}),
        )
        .await;
        assert_eq!(rfc["id"], format!("RFC-{n}"));
    }
    let next_link = |page: &str| -> Option<String> {
        let i = page.find("<a rel=\"next\" href=\"")? + "<a rel=\"next\" href=\"".len();
        Some(page[i..i + page[i..].find('"').unwrap()].replace("&amp;", "&"))
    };

    let first = server.get("/rfcs?per_page=25").await;
    assert_eq!(first.status, 200);
    let rows = listed(&first.body);
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0], "RFC-27");
    assert_eq!(rows[24], "RFC-3");
    assert!(first.body.contains("27 requests, page 1 of 2"), "{}", first.body);
    assert!(!first.body.contains("rel=\"prev\""));
    let next = next_link(&first.body).expect("a Next link");
    assert!(next.contains("page=2") && next.contains("per_page=25"), "{next}");

    let second = server.get(&next).await;
    assert_eq!(second.status, 200);
    assert_eq!(listed(&second.body), ["RFC-2", "RFC-1"]);
    assert!(second.body.contains("rel=\"prev\""));
    assert!(next_link(&second.body).is_none(), "no Next on the last page");

    let far = server.get("/rfcs?page=999").await;
    assert_eq!(far.status, 200);
    assert!(listed(&far.body).is_empty());
    assert!(next_link(&far.body).is_none());

    for (query, rows) in [
        ("page=0", 25),
        ("page=-3", 25),
        ("page=abc", 25),
        ("per_page=abc", 25),
        ("per_page=0", 1),
        ("per_page=-1", 1),
        ("per_page=1000", 27),
        ("per_page=99999999999999999999", 25),
        ("page=9223372036854775807&per_page=100", 0),
        ("page=9223372036854775807", 0),
    ] {
        let r = server.get(&format!("/rfcs?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert_eq!(listed(&r.body).len(), rows, "{query}");
    }
    let r = server.get("/rfcs?per_page=-1").await;
    assert_eq!(listed(&r.body), ["RFC-27"]);
    let r = server.get(&next_link(&r.body).expect("a Next link")).await;
    assert_eq!(r.status, 200);
    assert_eq!(listed(&r.body), ["RFC-26"], "paging on works");

    // Filters and sort stay on when paging.
    let r = server.get("/rfcs?q=request&sort=oldest&per_page=10").await;
    assert_eq!(listed(&r.body)[0], "RFC-1");
    let next = next_link(&r.body).unwrap();
    assert!(next.contains("q=request") && next.contains("sort=oldest"), "{next}");
    let r = server.get(&next).await;
    assert_eq!(listed(&r.body)[0], "RFC-11");

    // The API pages the same way.
    let r = http
        .get(server.url("/api/v1/rfcs?per_page=25&page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-total-count"], "27");
    assert_eq!(r.headers()["x-pages"], "2");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn the_api_and_the_form_report_the_same_errors() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    let bad = [
        ("record_type", "Spaceship"),
        ("field_label", "Preferred language"),
        ("technical_name", "Preferred Language"),
        ("example_phone", "0612345678"),
        ("example_initials", "jp"),
        ("priority", "urgent"),
        ("risk", "extreme"),
    ];

    let token = token_of(&server, "/rfcs/new?template=data-model").await;
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("template", "data-model"),
        ("title", ""),
    ];
    form.extend_from_slice(&bad);
    let page = server.post("/rfcs", &form).await;
    assert_eq!(page.status, 422, "{}", page.body);

    let fields: serde_json::Map<String, Value> = bad.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let r = http
        .post(server.url("/api/v1/rfcs"))
        .json(&json!({"template": "data-model", "title": "", "fields": fields}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    let api: Vec<(String, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut api_fields: Vec<&str> = api.iter().map(|(f, _)| f.as_str()).collect();
    api_fields.sort();
    assert_eq!(
        api_fields,
        [
            "example_initials",
            "example_phone",
            "priority",
            "record_type",
            "risk",
            "technical_name",
            "title"
        ]
    );

    let key = "<p class=\"error\" id=\"e-";
    let mut form_fields: Vec<&str> = page
        .body
        .match_indices(key)
        .map(|(i, _)| {
            let rest = &page.body[i + key.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    form_fields.sort();
    assert_eq!(form_fields, api_fields, "the same fields are wrong");
    for (field, message) in &api {
        let shown = format!("{key}{field}\">{}</p>", html_escape(message));
        assert!(page.body.contains(&shown), "{shown}\n{}", page.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_rebound_host_name_is_not_this_site() {
    // A page on evil.example whose name the attacker re-points to 127.0.0.1
    // talks to the app "same-origin": the browser sends Host and Origin naming
    // evil.example. With dev_user on loopback there is no other credential, so
    // the app must not take such a request as coming from itself.
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    let mut answers = vec![("title", "Weekly sales button")];
    answers.extend_from_slice(REPORT_ANSWERS);
    file_via_form(&server, "report", &answers).await;
    let token = token_of(&server, "/rfcs/RFC-1").await;
    let evil = format!("evil.example:{}", server.addr.port());
    let r = Page::of(
        http.post(server.url("/rfcs/RFC-1/transition"))
            .header("host", evil.as_str())
            .header("origin", format!("http://{evil}"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("transition", "withdraw"),
                ("comment", "rebound"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Refused: under dev_user a Host naming another site is not answered at
    // all (421, DNS rebinding), before the same-origin check (403) is reached.
    assert!(matches!(r.status, 403 | 421), "{} {} {}", r.status, r.location, r.body);
    let show = server.get("/rfcs/RFC-1").await;
    assert!(show.body.contains(&state_badge("draft", "Draft")), "not withdrawn");
    server.stop().await;
}

#[tokio::test]
async fn appoint_and_remove_testers_on_the_page() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = server.http.clone();
    let id = file_via_form(&server, "report", &[("title", "Weekly sales button")]).await;
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert!(
        !show.body.contains("action=\"/rfcs/RFC-1/testers\""),
        "no appoint form without rfc.edit"
    );
    let token = csrf_token_in(&show.body);
    let path = format!("/rfcs/{id}/testers");
    let r = server
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("op", "add"),
                ("environment", "test"),
                ("email", "cm@example.org"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    server.stop().await;

    let server = TestApp::start_as(&ws, "fa@example.org").await;
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert!(show.body.contains("action=\"/rfcs/RFC-1/testers\""));
    assert!(show.body.contains("No testers appointed."));
    let token = csrf_token_in(&show.body);
    let appoint = |env: &'static str, email: &'static str, op: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("op", op.to_string()),
            ("environment", env.to_string()),
            ("email", email.to_string()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let req = http.post(server.url(&path)).form(&form);
        async move { Page::of(req.send().await.unwrap()).await }
    };
    let r = send(appoint("acceptance", "SALES@example.org", "add")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("segregation of duties"), "{}", r.body);
    let r = send(appoint("acceptance", "not-an-address", "add")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("is not an e-mail address"), "{}", r.body);
    let r = send(appoint("staging", "key.user@example.org", "add")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("unknown environment"), "{}", r.body);
    let r = send(appoint("acceptance", "Key.User@example.org", "add")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/rfcs/{id}?done=tester"));
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert!(
        show.body
            .contains("key.user@example.org <span class=\"tag\">Acceptance</span>"),
        "{}",
        show.body
    );
    assert!(
        show.body.contains("tester added: key.user@example.org in Acceptance"),
        "on the timeline"
    );
    let r = send(appoint("acceptance", "key.user@example.org", "remove")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let show = server.get(&format!("/rfcs/{id}")).await;
    assert!(show.body.contains("No testers appointed."));
    server.stop().await;
}

#[tokio::test]
async fn an_empty_comment_is_refused_next_to_the_box() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "cm@example.org").await;
    let id = file_via_form(&server, "report", &[("title", "Weekly sales button")]).await;
    let token = token_of(&server, &format!("/rfcs/{id}")).await;
    let r = server
        .post(
            &format!("/rfcs/{id}/comments"),
            &[("csrf_token", &token), ("body", "  \n ")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("<p class=\"error\" id=\"e-body\">write something to comment</p>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("No comments yet."));
    let long = "x".repeat(10_001);
    let r = server
        .post(
            &format!("/rfcs/{id}/comments"),
            &[("csrf_token", &token), ("body", &long)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("longer than 10,000 characters"));
    let r = server
        .post(
            &format!("/rfcs/{id}/comments"),
            &[("csrf_token", &token), ("body", &long[1..])],
        )
        .await;
    assert_eq!(r.status, 303, "10,000 characters fit");
    server.stop().await;
}

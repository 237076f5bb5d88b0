//! The JSON API under /api/v1 against the real app: what a script or an
//! integration sees.

use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::support::{TestApp, TestWorkspace, http_no_redirect, ids};

/// Status, headers and JSON body of an API call.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// The fields named by an error answer, in order.
    fn error_fields(&self) -> Vec<Option<String>> {
        self.json["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.json))
            .iter()
            .map(|e| e["field"].as_str().map(str::to_string))
            .collect()
    }

    fn error_text(&self) -> String {
        self.json["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.json))
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"));
    Answer { status, headers, json }
}

async fn call(http: &Client, server: &TestApp, method: Method, path: &str, body: Option<Value>) -> Answer {
    let mut req = http.request(method, server.url(path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    answer(req.send().await.unwrap()).await
}

async fn get(http: &Client, server: &TestApp, path: &str) -> Answer {
    call(http, server, Method::GET, path, None).await
}

async fn post(http: &Client, server: &TestApp, path: &str, body: Value) -> Answer {
    call(http, server, Method::POST, path, Some(body)).await
}

async fn patch(http: &Client, server: &TestApp, path: &str, body: Value) -> Answer {
    call(http, server, Method::PATCH, path, Some(body)).await
}

fn names(fields: &[Option<String>]) -> Vec<&str> {
    fields.iter().map(|f| f.as_deref().unwrap_or("-")).collect()
}

#[tokio::test]
async fn create_read_list_edit_and_move() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "Sales@Example.org").await;
    let http = http_no_redirect();

    let created = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({
            "template": "report",
            "title": "  Weekly sales button  ",
            "fields": {
                "what_to_see": "All my closed deals of last week",
                "who_sees": ["Only me", "My team", "Only me"],
                "expected_total": "12,5",
                "priority": "should"
            }
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    assert_eq!(created.header("location"), "/api/v1/rfcs/RFC-1");
    let rfc = &created.json;
    assert_eq!(rfc["id"], "RFC-1");
    assert_eq!(rfc["state"], "draft");
    assert_eq!(rfc["title"], "Weekly sales button", "trimmed");
    assert_eq!(rfc["requester"], "sales@example.org", "lower-cased");
    assert_eq!(rfc["department"], "Sales", "the template's department");
    assert_eq!(rfc["template"], "report");
    assert_eq!(rfc["fields"]["where_to_show"], "My dashboard", "defaults applied");
    assert_eq!(
        rfc["fields"]["who_sees"],
        json!(["Only me", "My team"]),
        "duplicates dropped"
    );
    assert_eq!(rfc["fields"]["expected_total"], "12.5", "a decimal comma is read");
    assert_eq!(rfc["fields"]["priority"], "should");
    assert_eq!(rfc["revision"], 1);

    let one = get(&http, &server, "/api/v1/rfcs/RFC-1").await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json["id"], "RFC-1");
    assert_eq!(one.json["title"], "Weekly sales button");
    assert_eq!(one.json["template_title"], "Report or dashboard");
    assert_eq!(one.json["test_cases"].as_array().unwrap().len(), 2);
    assert_eq!(one.json["timeline"][0]["kind"], "created");
    assert_eq!(one.json["comments"], json!([]));
    for alias in ["/api/v1/rfcs/1", "/api/v1/rfcs/rfc-1"] {
        assert_eq!(get(&http, &server, alias).await.json["id"], "RFC-1", "{alias}");
    }

    let second = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({
            "template": "data-model",
            "title": "Preferred language on contact",
            "department": "Marketing",
            "fields": {"field_label": "Preferred language", "why_needed": "Mailings in the customer's language"}
        }),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.json);
    assert_eq!(second.json["id"], "RFC-2");
    assert_eq!(second.header("location"), "/api/v1/rfcs/RFC-2");

    let cases: &[(&str, &[&str])] = &[
        ("", &["RFC-2", "RFC-1"]),
        ("?sort=oldest", &["RFC-1", "RFC-2"]),
        ("?template=report", &["RFC-1"]),
        ("?template=data-model", &["RFC-2"]),
        ("?department=Marketing", &["RFC-2"]),
        ("?state=draft", &["RFC-2", "RFC-1"]),
        ("?state=submitted", &[]),
        ("?q=mailings", &["RFC-2"]),
        ("?q=closed+deals", &["RFC-1"]),
        ("?requester=SALES%40example.org", &["RFC-2", "RFC-1"]),
        ("?template=report&department=Marketing", &[]),
    ];
    for (query, want) in cases {
        let list = get(&http, &server, &format!("/api/v1/rfcs{query}")).await;
        assert_eq!(list.status, 200, "{query}");
        assert_eq!(ids(&list.json), *want, "{query}");
        assert_eq!(list.header("x-total-count"), want.len().to_string(), "{query}");
    }
    let page = get(&http, &server, "/api/v1/rfcs?per_page=1&page=2").await;
    assert_eq!(ids(&page.json), ["RFC-1"]);
    assert_eq!(page.header("x-total-count"), "2");
    assert_eq!(page.header("x-page"), "2");
    assert_eq!(page.header("x-pages"), "2");
    let summary = &get(&http, &server, "/api/v1/rfcs?template=report").await.json[0];
    assert_eq!(summary["priority"], "should");
    assert_eq!(summary["state"], "draft");
    assert_eq!(summary["package"], Value::Null);

    // Edit: change the title, add answers, clear one.
    let edited = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"title": "Weekly sales overview", "fields": {"why_needed": "Monday meeting", "expected_total": ""}}),
    )
    .await;
    assert_eq!(edited.status, 200, "{}", edited.json);
    assert_eq!(edited.json["title"], "Weekly sales overview");
    assert_eq!(edited.json["fields"]["why_needed"], "Monday meeting");
    assert!(edited.json["fields"].get("expected_total").is_none(), "cleared");
    assert_eq!(
        edited.json["fields"]["what_to_see"], "All my closed deals of last week",
        "kept"
    );
    assert_eq!(edited.json["revision"], 2);
    for (query, want) in [
        ("overview", vec!["RFC-1"]),
        ("button", vec![]),
        ("monday", vec!["RFC-1"]),
    ] {
        let found = get(&http, &server, &format!("/api/v1/rfcs?q={query}")).await;
        assert_eq!(ids(&found.json), want, "search follows the edit: {query}");
    }
    let unchanged = patch(&http, &server, "/api/v1/rfcs/RFC-1", json!({})).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json["revision"], 2, "nothing changed, nothing saved");
    let invalid = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"title": "", "fields": {"period": "Next century"}}),
    )
    .await;
    assert_eq!(invalid.status, 422);
    assert_eq!(names(&invalid.error_fields()), ["title", "period"]);
    assert_eq!(
        get(&http, &server, "/api/v1/rfcs/RFC-1").await.json["title"],
        "Weekly sales overview",
        "an invalid edit changes nothing"
    );

    // Submit: refused with the missing answers named, then allowed.
    let refused = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "submit"}),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.json);
    assert_eq!(names(&refused.error_fields()), ["how_to_know"]);
    assert!(
        refused
            .error_text()
            .contains("\"How will you know it works?\" is required")
    );
    let r = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"fields": {"how_to_know": "The total matches the invoices"}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let moved = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "submit"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.json);
    assert_eq!(moved.json["state"], "submitted");

    let r = patch(&http, &server, "/api/v1/rfcs/RFC-1", json!({"title": "Too late"})).await;
    assert_eq!(r.status, 403, "the requester edits drafts only: {}", r.json);
    assert!(r.error_text().contains("while it is a draft"), "{}", r.error_text());
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "approve"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.error_text().contains("segregation of duties"), "{}", r.error_text());
    server.stop().await;

    // The change manager assesses.
    let server = TestApp::start_as(&ws, "cm@example.org").await;
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "approve"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        names(&r.error_fields()),
        ["impact_organisation", "impact_department", "impact_individual", "risk"]
    );
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "reject"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(names(&r.error_fields()), ["comment"]);
    let r = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"title": "Renamed", "fields": {"risk": "low"}}),
    )
    .await;
    assert_eq!(r.status, 403, "an assessor sets impact and risk only");
    assert_eq!(names(&r.error_fields()), ["title"]);
    let r = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"fields": {
            "impact_organisation": "Fewer spreadsheets",
            "impact_department": "Sales saves an hour a week",
            "impact_individual": "No copying",
            "risk": "low"
        }}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["title"], "Weekly sales overview");
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "approve", "comment": "Go"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["state"], "approved");
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "submit"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.error_text()
            .contains("cannot be submitted; from approved it can: start, hold, withdraw"),
        "{}",
        r.error_text()
    );
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "teleport"}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(names(&r.error_fields()), ["transition"]);
    assert!(r.error_text().contains("submit, approve, reject"), "{}", r.error_text());

    let view = get(&http, &server, "/api/v1/rfcs/RFC-1").await.json;
    let kinds: Vec<&str> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "edited", "edited", "submit", "edited", "approve"]);
    assert_eq!(view["comments"][0]["body"], "Go");
    assert_eq!(view["comments"][0]["author"], "cm@example.org");
    let listed = get(&http, &server, "/api/v1/rfcs?state=approved").await;
    assert_eq!(ids(&listed.json), ["RFC-1"]);
    assert_eq!(listed.json[0]["risk"], "low");
    server.stop().await;
}

#[tokio::test]
async fn template_rules_apply_on_submit() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "fa@example.org").await;
    let http = http_no_redirect();
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "data-model", "title": "Initials on contact", "fields": {
            "record_type": "Contact",
            "field_label": "Initials",
            "kind_of_answer": "Choice from a list",
            "why_needed": "Letters",
            "example_initials": "J.P."
        }}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "submit"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(names(&r.error_fields()), ["list_values", "example_last_name"]);
    let text = r.error_text();
    assert!(
        text.contains("because \"What kind of information goes into the field?\" is \"Choice from a list\""),
        "{text}"
    );
    assert!(
        text.contains("together with \"Example of how initials are written\""),
        "{text}"
    );
    let r = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"fields": {"list_values": "Mr\nMrs", "example_last_name": "van der Berg"}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"transition": "submit"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    server.stop().await;
}

#[tokio::test]
async fn errors_say_what_is_wrong() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = http_no_redirect();

    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "roadmap", "title": "x"}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(names(&r.error_fields()), ["template"]);
    assert!(
        r.error_text().contains("`roadmap`") && r.error_text().contains("report"),
        "{}",
        r.error_text()
    );

    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "x", "fields": {"colour": "red", "what_to_see": "ok"}}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(names(&r.error_fields()), ["colour"]);
    assert!(r.error_text().contains("has no field `colour`"), "{}", r.error_text());

    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "x".repeat(201)}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(names(&r.error_fields()), ["title"]);

    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "x", "fields": {"where_to_show": ["My dashboard", "Contact screen"]}}),
    )
    .await;
    assert_eq!(r.status, 422, "a select takes one value");
    assert_eq!(names(&r.error_fields()), ["where_to_show"]);

    // Malformed requests.
    let bad_json = answer(
        http.post(server.url("/api/v1/rfcs"))
            .header("content-type", "application/json")
            .body("{\"template\": \"report\", ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad_json.status, 400);
    assert_eq!(bad_json.error_fields(), [None]);
    for body in [
        json!({"template": "report"}),
        json!({"template": "report", "title": 7}),
        json!({"template": "report", "title": "x", "priority": "must"}),
        json!(["report"]),
    ] {
        let r = post(&http, &server, "/api/v1/rfcs", body.clone()).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(!r.error_text().is_empty());
    }
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "x", "priority": "must"}),
    )
    .await;
    assert!(
        r.error_text().contains("priority"),
        "names the unknown key: {}",
        r.error_text()
    );
    let no_type = answer(
        http.post(server.url("/api/v1/rfcs"))
            .body("{\"template\": \"report\", \"title\": \"x\"}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_type.status, 400, "{}", no_type.json);
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1/transitions",
        json!({"to": "submit"}),
    )
    .await;
    assert_eq!(r.status, 400);

    // Nothing was filed by any of that.
    let list = get(&http, &server, "/api/v1/rfcs").await;
    assert_eq!(list.json, json!([]));
    assert_eq!(list.header("x-total-count"), "0");

    // Unknown RFCs and paths.
    for (method, path, body) in [
        (Method::GET, "/api/v1/rfcs/RFC-999", None),
        (Method::GET, "/api/v1/rfcs/banana", None),
        (Method::GET, "/api/v1/rfcs/RFC-0", None),
        (Method::PATCH, "/api/v1/rfcs/RFC-999", Some(json!({"title": "x"}))),
        (
            Method::POST,
            "/api/v1/rfcs/RFC-999/transitions",
            Some(json!({"transition": "submit"})),
        ),
        (Method::GET, "/api/v1/nothing/here", None),
        (Method::GET, "/api/v1/rfcs/RFC-1/comments", None),
    ] {
        let r = call(&http, &server, method.clone(), path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.json);
        assert_eq!(r.error_text(), "not found", "{method} {path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn who_may_use_the_api() {
    let ws = TestWorkspace::init();
    let http = http_no_redirect();

    // No user at all.
    let server = TestApp::start(&ws).await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/rfcs", None),
        (
            Method::POST,
            "/api/v1/rfcs",
            Some(json!({"template": "report", "title": "x"})),
        ),
        (Method::GET, "/api/v1/rfcs/RFC-1", None),
        (Method::PATCH, "/api/v1/rfcs/RFC-1", Some(json!({"title": "x"}))),
        (
            Method::POST,
            "/api/v1/rfcs/RFC-1/transitions",
            Some(json!({"transition": "submit"})),
        ),
    ] {
        let r = call(&http, &server, method.clone(), path, body).await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.error_fields(), [None]);
    }
    let doc = http.get(server.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(doc.status(), 200, "the description is public");
    server.stop().await;

    // In the matrix but without rfc.file.
    let server = TestApp::start_as(&ws, "rm@example.org").await;
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "x"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.error_text().contains("rfc.file"), "{}", r.error_text());
    let r = get(&http, &server, "/api/v1/rfcs").await;
    assert_eq!(r.status, 200, "anyone in the matrix may read");
    server.stop().await;

    // Not in the matrix.
    let server = TestApp::start_as(&ws, "stranger@example.org").await;
    let r = get(&http, &server, "/api/v1/rfcs").await;
    assert_eq!(r.status, 403);
    assert!(r.error_text().contains("access.yaml"), "{}", r.error_text());
    server.stop().await;

    // Someone with every role still does not assess their own request.
    let server = TestApp::start_as(&ws, "admin@example.org").await;
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "Admin's own", "fields": {
            "what_to_see": "a", "why_needed": "b", "how_to_know": "c",
            "impact_organisation": "d", "impact_department": "e", "impact_individual": "f", "risk": "low"
        }}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/rfcs/{id}/transitions");
    let r = post(&http, &server, &path, json!({"transition": "submit"})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = post(&http, &server, &path, json!({"transition": "approve"})).await;
    assert_eq!(r.status, 403);
    assert!(r.error_text().contains("segregation of duties"), "{}", r.error_text());
    let r = post(&http, &server, &path, json!({"transition": "reject", "comment": "no"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        get(&http, &server, &format!("/api/v1/rfcs/{id}")).await.json["state"],
        "submitted"
    );
    server.stop().await;
}

/// The API routes the router serves, read from its source: path → methods.
fn routed() -> Vec<(String, Vec<String>)> {
    let src = include_str!("../../src/web/mod.rs");
    let start = src.find("let mut api = Routes::new()").expect("the API router");
    let block = &src[start..start + src[start..].find(".fallback(").expect("its fallback")];
    let mut out = Vec::new();
    for part in block.split(".at(").skip(1) {
        // `.at("/path", …)`, or with the path on the next line when long.
        let part = part.trim_start().strip_prefix('"').expect("a route's path");
        let path = &part[..part.find('"').unwrap()];
        let mut methods: Vec<String> = ["get", "post", "put", "patch", "delete"]
            .iter()
            .filter(|m| {
                part.match_indices(&format!("{m}(")).any(|(i, _)| {
                    i == 0 || !part.as_bytes()[i - 1].is_ascii_alphanumeric() && part.as_bytes()[i - 1] != b'_'
                })
            })
            .map(|m| m.to_string())
            .collect();
        methods.sort();
        out.push((format!("/api/v1{path}"), methods));
    }
    out.sort();
    out
}

#[tokio::test]
async fn openapi_documents_exactly_what_is_served() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = http_no_redirect();
    let r = http.get(server.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let paths = doc["paths"].as_object().expect("paths");
    let mut documented: Vec<(String, Vec<String>)> = paths
        .iter()
        .map(|(p, ops)| {
            let mut methods: Vec<String> = ops.as_object().unwrap().keys().cloned().collect();
            methods.sort();
            (p.clone(), methods)
        })
        .collect();
    documented.sort();
    let want: Vec<(String, Vec<String>)> = [
        ("/api/v1/deployments", vec!["get"]),
        ("/api/v1/deployments/{id}", vec!["get"]),
        ("/api/v1/openapi.json", vec!["get"]),
        ("/api/v1/rfcs", vec!["get", "post"]),
        ("/api/v1/rfcs/{id}", vec!["get", "patch"]),
        ("/api/v1/rfcs/{id}/attachments", vec!["get", "post"]),
        ("/api/v1/rfcs/{id}/attachments/{n}", vec!["get"]),
        ("/api/v1/rfcs/{id}/transitions", vec!["post"]),
    ]
    .iter()
    .map(|(p, m)| (p.to_string(), m.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(documented, want);
    assert_eq!(documented, routed(), "the document and the router agree");

    // Every schema a document points to exists.
    let text = doc.to_string();
    for (i, _) in text.match_indices("#/components/schemas/") {
        let rest = &text[i + "#/components/schemas/".len()..];
        let name = &rest[..rest.find('"').unwrap()];
        assert!(doc["components"]["schemas"].get(name).is_some(), "schema {name}");
    }
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path}");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }

    // Every documented operation answers on the live server; every other
    // method on those paths does not exist.
    let created = http
        .post(server.url("/api/v1/rfcs"))
        .json(&json!({"template": "report", "title": "Probe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body_for = |path: &str, method: &str| match (path, method) {
        ("/api/v1/rfcs", "post") => Some(json!({"template": "report", "title": "Probe 2"})),
        ("/api/v1/rfcs/{id}", "patch") => Some(json!({"title": "Probe renamed"})),
        ("/api/v1/rfcs/{id}/transitions", "post") => Some(json!({"transition": "submit"})),
        _ => None,
    };
    for (path, methods) in &documented {
        // No deployment exists here: its 404 is a documented answer.
        let (url, may_be_missing) = match path.as_str() {
            "/api/v1/deployments/{id}" => (path.replace("{id}", "1"), true),
            // Nor an attachment.
            "/api/v1/rfcs/{id}/attachments/{n}" => (path.replace("{id}", "RFC-1").replace("{n}", "1"), true),
            _ => (path.replace("{id}", "RFC-1"), false),
        };
        for method in ["get", "post", "put", "patch", "delete"] {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut req = http.request(m, server.url(&url));
            if let Some(b) = body_for(path, method) {
                req = req.json(&b);
            }
            let status = req.send().await.unwrap().status().as_u16();
            if methods.iter().any(|x| x == method) {
                assert!(
                    (status != 404 || may_be_missing) && status != 405 && status < 500,
                    "{method} {url} is documented but answers {status}"
                );
                let responses = &paths[path][method]["responses"];
                assert!(
                    responses.get(status.to_string()).is_some(),
                    "{method} {url} answered {status}, which the document does not list"
                );
            } else {
                assert_eq!(status, 405, "{method} {url} is not documented but answers {status}");
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn hold_and_resume_return_to_where_it_was() {
    let ws = TestWorkspace::init();
    let http = http_no_redirect();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let r = post(
        &http,
        &server,
        "/api/v1/rfcs",
        json!({"template": "report", "title": "Weekly sales button", "fields": {
            "what_to_see": "a", "why_needed": "b", "how_to_know": "c"
        }}),
    )
    .await;
    assert_eq!(r.status, 201);
    let path = "/api/v1/rfcs/RFC-1/transitions";
    assert_eq!(
        post(&http, &server, path, json!({"transition": "submit"})).await.status,
        200
    );
    server.stop().await;

    let server = TestApp::start_as(&ws, "cm@example.org").await;
    let r = patch(
        &http,
        &server,
        "/api/v1/rfcs/RFC-1",
        json!({"fields": {"impact_organisation": "d", "impact_department": "e", "impact_individual": "f", "risk": "high"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        post(&http, &server, path, json!({"transition": "approve"}))
            .await
            .status,
        200
    );
    let r = post(&http, &server, path, json!({"transition": "hold", "comment": "Budget"})).await;
    assert_eq!(r.status, 403, "holding needs rfc.edit");
    server.stop().await;

    let server = TestApp::start_as(&ws, "fa@example.org").await;
    for (from, via) in [("approved", None), ("in_development", Some("start"))] {
        if let Some(t) = via {
            let r = post(&http, &server, path, json!({"transition": t})).await;
            assert_eq!(r.json["state"], from, "{}", r.json);
        }
        let r = post(&http, &server, path, json!({"transition": "hold"})).await;
        assert_eq!(r.status, 403);
        assert_eq!(names(&r.error_fields()), ["comment"]);
        let r = post(
            &http,
            &server,
            path,
            json!({"transition": "hold", "comment": "Budget freeze"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["state"], "on_hold");
        let held = get(&http, &server, "/api/v1/rfcs?state=on_hold").await;
        assert_eq!(ids(&held.json), ["RFC-1"]);
        let r = post(&http, &server, path, json!({"transition": "resume"})).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["state"], from, "back to where it was");
    }
    server.stop().await;
}

#[tokio::test]
async fn api_refusals_are_always_json() {
    let ws = TestWorkspace::init();
    let server = TestApp::start_as(&ws, "sales@example.org").await;
    let http = http_no_redirect();
    let r = http
        .post(server.url("/api/v1/rfcs"))
        .header("origin", "http://evil.example")
        .json(&json!({"template": "report", "title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).expect("JSON");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    server.stop().await;
}

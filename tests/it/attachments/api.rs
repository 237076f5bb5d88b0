//! Attachments in the JSON API: a script adds a screenshot with a bearer
//! token, lists and downloads it; the same checks as the pages (type by
//! content, `[web] max_attachment`), JSON errors, and token scopes.

use serde_json::Value;

use super::{PDF, audit_of, png, sha256};
use crate::support::{SALES, TestApp, TestWorkspace, db_count, ok, stdout};

fn token(ws: &TestWorkspace, scopes: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", "script"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let printed = stdout(&ok(ws.as_user(SALES, &args)));
    printed
        .lines()
        .find(|l| l.starts_with("dtap_"))
        .expect("the token is printed once")
        .to_string()
}

async fn send(app: &TestApp, token: &str, path: &str, bytes: &[u8]) -> (u16, String, Value) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map_or(String::new(), |v| v.to_str().unwrap().to_string());
    (status, location, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_attaches_lists_and_downloads_files_through_the_api() {
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["config", "set", "web.max_attachment", "300 KB"]));
    let rfc = ws.file_rfc("Sales results button");
    let write = token(&ws, &["read", "rfc.write"]);
    let app = TestApp::start(&ws).await;
    let http = reqwest::Client::new();
    let shot = png(4, 3);

    let path = format!("/api/v1/rfcs/{rfc}/attachments");
    let (status, location, body) = send(&app, &write, &format!("{path}?name=crm%20screen.png"), &shot).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "crm screen.png");
    assert_eq!(body["content_type"], "image/png");
    assert_eq!(body["size"], shot.len());
    assert_eq!(body["sha256"], sha256(&shot));
    assert_eq!(body["uploaded_by"], SALES);
    assert_eq!(location, format!("{path}/{}", body["id"]));
    let (status, _, _) = send(&app, &write, &format!("{path}?name=offer.pdf"), PDF).await;
    assert_eq!(status, 201);

    let list: Value = http
        .get(app.url(&path))
        .bearer_auth(&write)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["crm screen.png", "offer.pdf"]);
    let r = http.get(app.url(&location)).bearer_auth(&write).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), shot, "byte for byte");

    // Refused as on the pages: a drawing, a file over the limit, no name.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"9\"/></svg>";
    let (status, _, body) = send(&app, &write, &format!("{path}?name=shot.png"), svg).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "file");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("shot.png is an SVG drawing"),
        "{body}"
    );
    let (status, _, body) = send(&app, &write, &format!("{path}?name=big.png"), &png(300, 300)).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 300 KB"),
        "{body}"
    );
    let (status, _, body) = send(&app, &write, &path, &shot).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "name");
    let (status, _, _) = send(&app, &write, "/api/v1/rfcs/RFC-99/attachments?name=a.png", &shot).await;
    assert_eq!(status, 404);

    // A read-only token reads but does not add; no token, nothing.
    let read = token(&ws, &["read"]);
    let (status, _, body) = send(&app, &read, &format!("{path}?name=x.png"), &shot).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("rfc.write"), "{body}");
    let r = http.get(app.url(&location)).bearer_auth(&read).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;

    assert_eq!(
        db_count(&ws, "SELECT COUNT(*) FROM attachments").await,
        2,
        "refused files are not kept"
    );
    let added: Vec<Value> = audit_of(&ws, "attachment.add")
        .into_iter()
        .filter(|e| e["outcome"] == "ok")
        .collect();
    assert_eq!(added.len(), 2, "{added:?}");
    assert!(added.iter().all(|e| e["origin"] == "api"), "{added:?}");
}

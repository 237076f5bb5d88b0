//! `/metrics` and API token scopes: Prometheus text, open to loopback
//! clients, otherwise only with a bearer token of scope `metrics`.

use crate::support::*;

/// Test deploys with one step that succeeds.
fn deploying_test_env(ws: &TestWorkspace) {
    let env = ws.read("environments/test.yaml");
    ws.write(
        "environments/test.yaml",
        &format!("{env}deploy:\n  timeout: 60s\n  steps:\n    - name: deploy\n      run: [\"true\"]\n"),
    );
    let check = ws.dtap(&["check"]);
    assert!(check.status.success(), "{}", text(&check));
}

fn token(ws: &TestWorkspace, user: &str, scopes: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", "monitoring"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let out = ok(ws.as_user(user, &args));
    stdout(&out)
        .lines()
        .find(|l| l.starts_with("dtap_"))
        .unwrap()
        .to_string()
}

async fn metrics(app: &TestApp, from: &str, bearer: Option<&str>) -> (u16, String) {
    let mut req = app.http.get(app.url("/metrics")).header("X-Forwarded-For", from);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_show_requests_the_outbox_and_deployments_to_loopback_or_a_metrics_token() {
    let ws = TestWorkspace::init();
    deploying_test_env(&ws);
    let rfc = ws.approved_rfc("Weekly sales button");
    ws.put_package("crm-core", "1.0.0", &[&rfc], "v1");
    ws.promote(RM, "test");
    crate::hardening::routes::behind_proxy(&ws);
    let read = token(&ws, SALES, &[]);
    let metrics_token = token(&ws, RM, &["metrics"]);
    let app = TestApp::start(&ws).await;
    assert_eq!(app.get("/healthz").await.status, 200);
    // From the proxy's own host (loopback): open.
    let (status, text) = metrics(&app, "127.0.0.1", None).await;
    assert_eq!(status, 200, "{text}");
    for series in [
        "# TYPE dtap_http_requests_total counter",
        "dtap_http_requests_total{method=\"GET\",status=\"200\"}",
        "# TYPE dtap_outbox_depth gauge",
        "dtap_deployments_total{environment=\"test\",state=\"succeeded\"} 1",
        "# TYPE dtap_deployment_duration_seconds histogram",
        "dtap_deployment_duration_seconds_bucket{environment=\"test\",le=\"+Inf\"} 1",
        "dtap_deployment_duration_seconds_count{environment=\"test\"} 1",
        "dtap_deployment_duration_seconds_sum{environment=\"test\"} ",
    ] {
        assert!(text.contains(series), "{series} missing in:\n{text}");
    }
    // From elsewhere: only with a token of scope metrics.
    assert_eq!(metrics(&app, "203.0.113.9", None).await.0, 401);
    assert_eq!(metrics(&app, "203.0.113.9", Some(&read)).await.0, 403);
    assert_eq!(metrics(&app, "203.0.113.9", Some("dtap_made_up")).await.0, 401);
    assert_eq!(metrics(&app, "203.0.113.9", Some(&metrics_token)).await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn api_tokens_have_scopes_and_expire_after_90_days_unless_told() {
    let ws = TestWorkspace::init();
    let read = token(&ws, SALES, &[]);
    let write = token(&ws, SALES, &["read", "rfc.write"]);
    let bad = ws.as_user(SALES, &["token", "create", "--name", "x", "--scope", "admin"]);
    assert_eq!(code(&bad), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("unknown scope `admin`"), "{}", text(&bad));
    let listed = json_of(&ws.as_user(SALES, &["token", "list", "--json"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed[0]["scopes"], "read");
    assert_eq!(listed[1]["scopes"], "read rfc.write");
    let created = listed[0]["created_at"].as_str().unwrap()[..10].to_string();
    let expires = listed[0]["expires_at"].as_str().expect("an expiry by default");
    let days = (time::Date::parse(
        &expires[..10],
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
        - time::Date::parse(&created, time::macros::format_description!("[year]-[month]-[day]")).unwrap())
    .whole_days();
    assert_eq!(days, 90);
    // A token made before scopes (its scopes NULL, as the migration leaves them) keeps every one.
    let old = token(&ws, SALES, &["read"]);
    db_execute(&ws, &[("UPDATE api_tokens SET scopes = NULL WHERE id = 3", &[])]).await;
    let app = TestApp::start(&ws).await;
    let body = serde_json::json!({"template": "report", "title": "From a script", "fields": {}});
    for (t, want) in [(&read, 403), (&write, 201), (&old, 201)] {
        let r = app
            .http
            .post(app.url("/api/v1/rfcs"))
            .bearer_auth(t)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want, "{}", r.text().await.unwrap());
    }
    let r = app
        .http
        .get(app.url("/api/v1/rfcs"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(metrics(&app, "127.0.0.1", Some(&old)).await.0, 200);
    app.stop().await;
}

//! Every route × every kind of visitor: nobody, somebody the proxy names who
//! is not in access.yaml, and each role. The routes come from the router
//! itself, so a new route without a row here fails the test.

use std::collections::BTreeSet;

use crate::support::*;

/// What a route asks of its visitor, as this test expects it.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Anybody (probes, static files, the sign-in pages).
    Open,
    /// The token in the address is the credential: nobody with a made-up
    /// one gets this status.
    Link(u16),
    /// A bearer token: nobody gets 401.
    Bearer,
    /// A signed-in user with a role in access.yaml; for a GET, with this
    /// permission too when one is named.
    Member(Option<&'static str>),
    /// As `Member`, but only these people get in on a GET (the requester
    /// of the RFC and those who may edit any).
    MemberOnly(&'static [&'static str]),
}

/// (method, route as the router spells it, the address tried, what it wants).
const TABLE: &[(&str, &str, &str, Want)] = &[
    ("GET", "/", "/", Want::Member(None)),
    ("GET", "/rfcs", "/rfcs", Want::Member(None)),
    ("POST", "/rfcs", "/rfcs", Want::Member(None)),
    ("GET", "/rfcs/new", "/rfcs/new", Want::Member(None)),
    ("GET", "/rfcs/{id}", "/rfcs/RFC-1", Want::Member(None)),
    (
        "GET",
        "/rfcs/{id}/edit",
        "/rfcs/RFC-1/edit",
        Want::MemberOnly(&[SALES, FA]),
    ),
    ("POST", "/rfcs/{id}/edit", "/rfcs/RFC-1/edit", Want::Member(None)),
    (
        "POST",
        "/rfcs/{id}/transition",
        "/rfcs/RFC-1/transition",
        Want::Member(None),
    ),
    (
        "POST",
        "/rfcs/{id}/comments",
        "/rfcs/RFC-1/comments",
        Want::Member(None),
    ),
    ("POST", "/rfcs/{id}/testers", "/rfcs/RFC-1/testers", Want::Member(None)),
    ("POST", "/rfcs/{id}/cases", "/rfcs/RFC-1/cases", Want::Member(None)),
    (
        "POST",
        "/rfcs/{id}/attachments",
        "/rfcs/RFC-1/attachments",
        Want::Member(None),
    ),
    (
        "GET",
        "/rfcs/{id}/attachments/{n}",
        "/rfcs/RFC-1/attachments/1",
        Want::Member(None),
    ),
    (
        "POST",
        "/rfcs/{id}/attachments/{n}/remove",
        "/rfcs/RFC-1/attachments/1/remove",
        Want::Member(None),
    ),
    ("GET", "/signoff/{token}", "/signoff/made-up", Want::Link(404)),
    (
        "GET",
        "/signoff/{token}/attachments/{n}",
        "/signoff/made-up/attachments/1",
        Want::Link(404),
    ),
    ("GET", "/login", "/login", Want::Open),
    ("GET", "/login/{token}", "/login/made-up", Want::Link(404)),
    ("POST", "/logout", "/logout", Want::Open),
    ("GET", "/settings", "/settings", Want::Member(None)),
    (
        "GET",
        "/settings/mail",
        "/settings/mail?address=kim@example.org&sig=00",
        Want::Link(404),
    ),
    ("GET", "/access", "/access", Want::Member(Some("access.view"))),
    (
        "POST",
        "/emergency/{id}/approve",
        "/emergency/1/approve",
        Want::Member(None),
    ),
    ("GET", "/audit", "/audit", Want::Member(Some("audit.view"))),
    ("GET", "/audit.csv", "/audit.csv", Want::Member(Some("audit.view"))),
    ("GET", "/reports", "/reports", Want::Member(Some("reports.view"))),
    (
        "GET",
        "/reports/{file}",
        "/reports/states.csv",
        Want::Member(Some("reports.view")),
    ),
    ("GET", "/calendar", "/calendar", Want::Member(None)),
    ("POST", "/calendar/feed", "/calendar/feed", Want::Member(None)),
    (
        "GET",
        "/calendar.ics",
        "/calendar.ics?user=kim@example.org&token=00",
        Want::Link(401),
    ),
    ("GET", "/me", "/me", Want::Member(None)),
    ("GET", "/packages/{name}", "/packages/accounts", Want::Member(None)),
    (
        "GET",
        "/packages/{name}/diff",
        "/packages/accounts/diff?from=develop&to=test",
        Want::Member(None),
    ),
    ("GET", "/deployments", "/deployments", Want::Member(None)),
    ("GET", "/deployments/{id}", "/deployments/1", Want::Member(None)),
    ("GET", "/api/v1/rfcs", "/api/v1/rfcs", Want::Bearer),
    ("GET", "/api/v1/rfcs/{id}", "/api/v1/rfcs/RFC-1", Want::Bearer),
    (
        "GET",
        "/api/v1/rfcs/{id}/attachments",
        "/api/v1/rfcs/RFC-1/attachments",
        Want::Bearer,
    ),
    (
        "GET",
        "/api/v1/rfcs/{id}/attachments/{n}",
        "/api/v1/rfcs/RFC-1/attachments/1",
        Want::Bearer,
    ),
    (
        "POST",
        "/api/v1/rfcs/{id}/transitions",
        "/api/v1/rfcs/RFC-1/transitions",
        Want::Bearer,
    ),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", Want::Open),
    ("GET", "/api/v1/deployments", "/api/v1/deployments", Want::Bearer),
    ("GET", "/api/v1/deployments/{id}", "/api/v1/deployments/1", Want::Bearer),
    ("GET", "/healthz", "/healthz", Want::Open),
    // From loopback, as every visitor here is (hardening::metrics tries the rest).
    ("GET", "/metrics", "/metrics", Want::Open),
    ("GET", "/readyz", "/readyz", Want::Open),
    ("GET", "/static/style.css", "/static/style.css", Want::Open),
    ("GET", "/static/favicon.svg", "/static/favicon.svg", Want::Open),
    ("GET", "/favicon.ico", "/favicon.ico", Want::Open),
];

/// The people of the default access.yaml, one per role, and their permissions.
const ROLES: &[(&str, &[&str])] = &[
    (SALES, &["rfc.file"]),
    (FA, &["rfc.file", "rfc.edit", "reports.view"]),
    (
        CM,
        &["rfc.file", "rfc.assess", "reports.view", "audit.view", "access.view"],
    ),
    (RM, &["reports.view", "audit.view"]),
];

/// Behind a trusted proxy that names the user (the quickest way to be
/// anybody, including someone who is not in access.yaml).
pub fn behind_proxy(ws: &TestWorkspace) {
    ws.edit(
        "dtap.toml",
        "[web]\n",
        "[web]\nproxy_header = \"X-Forwarded-User\"\ntrusted_proxies = \"127.0.0.1\"\n",
    );
}

async fn status(app: &TestApp, method: &str, path: &str, user: Option<&str>) -> u16 {
    let mut req = match method {
        "GET" => app.http.get(app.url(path)),
        _ => app.http.post(app.url(path)).form(&[("x", "y")]),
    };
    if let Some(u) = user {
        req = req.header("X-Forwarded-User", u);
    }
    req.send().await.unwrap().status().as_u16()
}

#[test]
fn every_route_of_the_router_has_a_row_in_the_table() {
    let routed: BTreeSet<String> = dtap::web::route_paths().into_iter().collect();
    let tabled: BTreeSet<String> = TABLE.iter().map(|(_, r, _, _)| r.to_string()).collect();
    let missing: Vec<_> = routed.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in this test's table: {missing:?}"
    );
    let stale: Vec<_> = tabled.difference(&routed).collect();
    assert!(stale.is_empty(), "rows for routes the router no longer has: {stale:?}");
    for r in &routed {
        assert!(
            dtap::web::route_rule(r).is_some(),
            "route {r} has no rule in web::guard::RULES"
        );
    }
}

#[tokio::test]
async fn every_route_answers_each_visitor_as_its_rule_says() {
    let ws = TestWorkspace::init();
    ws.file_rfc("A request to look at");
    behind_proxy(&ws);
    let app = TestApp::start(&ws).await;
    let mut wrong = Vec::new();
    for &(method, route, path, want) in TABLE {
        let nobody = status(&app, method, path, None).await;
        let outsider = status(&app, method, path, Some(KIM)).await;
        match want {
            Want::Open => {
                if matches!(nobody, 401 | 403) && method == "GET" {
                    wrong.push(format!("{method} {route}: nobody got {nobody}, wants it open"));
                }
            }
            Want::Link(code) => {
                if nobody != code {
                    wrong.push(format!(
                        "{method} {route}: nobody with a made-up token got {nobody}, wants {code}"
                    ));
                }
            }
            Want::Bearer => {
                if nobody != 401 {
                    wrong.push(format!("{method} {route}: nobody got {nobody}, wants 401"));
                }
            }
            Want::Member(_) | Want::MemberOnly(_) => {
                if nobody != 401 {
                    wrong.push(format!("{method} {route}: nobody got {nobody}, wants 401"));
                }
                if outsider != 403 {
                    wrong.push(format!(
                        "{method} {route}: {KIM} (not in access.yaml) got {outsider}, wants 403"
                    ));
                }
                if method != "GET" {
                    continue;
                }
                for (user, perms) in ROLES {
                    let got = status(&app, method, path, Some(user)).await;
                    let may = match want {
                        Want::MemberOnly(only) => only.contains(user),
                        Want::Member(permission) => permission.is_none_or(|p| perms.contains(&p)),
                        _ => unreachable!(),
                    };
                    let ok = if may {
                        !matches!(got, 401 | 403 | 500)
                    } else {
                        got == 403
                    };
                    if !ok {
                        wrong.push(format!(
                            "{method} {route}: {user} got {got}, wants {}",
                            if may { "in" } else { "403" }
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_and_the_calendar_need_a_user_in_access_yaml() {
    let ws = TestWorkspace::init();
    behind_proxy(&ws);
    let app = TestApp::start(&ws).await;
    let page = app.get("/").await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(
        !page.body.contains("@example.org"),
        "the sign-in page shows nobody's address"
    );
    for path in ["/", "/calendar"] {
        assert_eq!(
            status(&app, "GET", path, Some(KIM)).await,
            403,
            "{path} for someone not in access.yaml"
        );
        assert_eq!(
            status(&app, "GET", path, Some(SALES)).await,
            200,
            "{path} for a requester"
        );
    }
    // The probes stay open and say nothing.
    assert_eq!(app.get("/healthz").await.body, "ok");
    assert_eq!(app.get("/readyz").await.body, "ready");
    app.stop().await;
}

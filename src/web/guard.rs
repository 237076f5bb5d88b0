//! Who may open a route at all, decided once for every route of the router
//! before its handler runs: a table of rules by route path. A route without
//! a rule is refused (and the route × role test fails), so a new page cannot
//! be forgotten. Finer rules (a permission, segregation of duties) stay in
//! the app; this is the floor under them.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{self, Resolved};
use super::{AppState, WebError};
use crate::app::rfcs::Caller;
use crate::domain::origin::Origin;

/// What a route asks of whoever opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anybody: probes, static files, the sign-in pages. They reveal nothing.
    Open,
    /// The link or feed token in the address is the credential
    /// (`/signoff/<token>`, `/login/<token>`, `/calendar.ics?token=`,
    /// `/settings/mail?address=…&sig=…`).
    Link,
    /// A bearer API token, checked by the API's extractor.
    Bearer,
    /// Loopback peers, or a bearer token of scope `metrics`.
    Metrics,
    /// A signed-in user with a role in access.yaml.
    Member,
}

/// Every route of the router and its rule. `router()` records the routes it
/// adds; a test insists each has a rule here.
pub const RULES: &[(&str, Rule)] = &[
    ("/", Rule::Member),
    ("/rfcs", Rule::Member),
    ("/rfcs/new", Rule::Member),
    ("/rfcs/{id}", Rule::Member),
    ("/rfcs/{id}/edit", Rule::Member),
    ("/rfcs/{id}/transition", Rule::Member),
    ("/rfcs/{id}/comments", Rule::Member),
    ("/rfcs/{id}/testers", Rule::Member),
    ("/rfcs/{id}/cases", Rule::Member),
    ("/rfcs/{id}/attachments", Rule::Member),
    ("/rfcs/{id}/attachments/{n}", Rule::Member),
    ("/rfcs/{id}/attachments/{n}/remove", Rule::Member),
    ("/signoff/{token}", Rule::Link),
    ("/signoff/{token}/attachments/{n}", Rule::Link),
    ("/login", Rule::Open),
    ("/login/{token}", Rule::Link),
    ("/logout", Rule::Open),
    ("/settings", Rule::Member),
    // The signed per-address link of every mail (app::notify::settings).
    ("/settings/mail", Rule::Link),
    ("/access", Rule::Member),
    ("/emergency/{id}/approve", Rule::Member),
    ("/audit", Rule::Member),
    ("/audit.csv", Rule::Member),
    ("/reports", Rule::Member),
    ("/reports/{file}", Rule::Member),
    ("/calendar", Rule::Member),
    ("/calendar.ics", Rule::Link),
    ("/calendar/feed", Rule::Member),
    ("/me", Rule::Member),
    ("/packages/{name}", Rule::Member),
    ("/packages/{name}/diff", Rule::Member),
    ("/deployments", Rule::Member),
    ("/deployments/{id}", Rule::Member),
    ("/api/v1/rfcs", Rule::Bearer),
    ("/api/v1/rfcs/{id}", Rule::Bearer),
    ("/api/v1/rfcs/{id}/transitions", Rule::Bearer),
    ("/api/v1/rfcs/{id}/attachments", Rule::Bearer),
    ("/api/v1/rfcs/{id}/attachments/{n}", Rule::Bearer),
    ("/api/v1/openapi.json", Rule::Open),
    ("/api/v1/deployments", Rule::Bearer),
    ("/api/v1/deployments/{id}", Rule::Bearer),
    ("/metrics", Rule::Metrics),
    ("/healthz", Rule::Open),
    ("/readyz", Rule::Open),
    ("/static/style.css", Rule::Open),
    ("/static/favicon.svg", Rule::Open),
    ("/favicon.ico", Rule::Open),
];

/// The rule of a route path as the router spells it (`/rfcs/{id}`).
pub fn rule(route: &str) -> Option<Rule> {
    RULES.iter().find(|(p, _)| *p == route).map(|(_, r)| *r)
}

/// Route middleware: applies the route's rule. `Member` routes need a
/// signed-in user with a role; the others carry their own credential,
/// checked by their handler or extractor.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    match rule(&route) {
        Some(Rule::Member) => {}
        Some(_) => return next.run(req).await,
        // A route nobody gave a rule: closed until somebody does.
        None => return WebError::internal(format!("route {route} has no access rule")).into_response(),
    }
    let resolved = match req.extensions().get::<Resolved>() {
        Some(r) => r.clone(),
        None => match auth::resolve(req.headers(), req.extensions(), &state).await {
            Ok(r) => r,
            Err(e) => return WebError::from(e).into_response(),
        },
    };
    let Some((email, _)) = resolved.0 else {
        return WebError::Unauthorized.into_response();
    };
    if let Err(e) = state.app.may_view(&Caller::new(email, Origin::Web)) {
        return WebError::from(e).into_response();
    }
    next.run(req).await
}

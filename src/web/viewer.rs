//! Who is looking at the page, and what the header offers them: the pages
//! they may open (a role-aware menu), their address, "Sign out" or "Sign in".
//! The middleware works this out once per page request, before the handler
//! runs, so every page (error pages included) shows the same header; the
//! `CurrentUser` extractor reuses the answer instead of asking again.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::AppState;
use super::auth;
use crate::app::rfcs::Caller;
use crate::domain::origin::Origin;

/// What the page header needs to know about the person looking at it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Viewer {
    /// The signed-in user's address, if any.
    pub email: Option<String>,
    /// The page asked for (path and query), for "Sign in" to come back to.
    pub here: String,
    /// "Sign in": `/login`, with the page to come back to when there is one.
    pub sign_in: String,
    /// The CSRF token of the sign-out form: only for a session cookie, the
    /// one sign-in that signing out ends.
    pub sign_out: Option<String>,
    pub may: Menu,
}

/// The menu's pages the viewer may open; every page needs a role in access.yaml.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Menu {
    pub dashboard: bool,
    /// "My work" (`/me`).
    pub me: bool,
    pub rfcs: bool,
    pub file: bool,
    pub reports: bool,
    pub calendar: bool,
    pub access: bool,
    pub audit: bool,
    pub deployments: bool,
}

tokio::task_local! {
    static VIEWER: Viewer;
}

/// The current request's viewer (nobody outside a request).
pub fn current() -> Viewer {
    VIEWER.try_with(Clone::clone).unwrap_or_default()
}

/// Paths that render no page: no header to fill, no session to look up.
fn renders_no_page(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/static/")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/calendar.ics"
        )
}

/// Middleware: resolves the user once, hands it to `CurrentUser` through
/// the request's extensions and renders the response inside the viewer.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if renders_no_page(&path) {
        return next.run(req).await;
    }
    let here = req
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_string());
    let mut session = None;
    let mut viewer = Viewer {
        sign_in: sign_in_link(&here),
        here,
        ..Viewer::default()
    };
    // A failed look-up (the database away) leaves the extractor to ask again
    // and report it; the header then shows a signed-out visitor.
    if let Ok(resolved) = auth::resolve(req.headers(), req.extensions(), &state).await {
        if let Some((email, by_session)) = &resolved.0 {
            let caller = Caller::new(email.clone(), Origin::Web);
            let app = &state.app;
            let member = app.may_view(&caller).is_ok();
            viewer.may = Menu {
                dashboard: member,
                me: member,
                rfcs: member,
                file: app.may_file(&caller),
                reports: app.may_read(&caller, "reports.view").is_ok(),
                calendar: member,
                access: app.may_read(&caller, "access.view").is_ok(),
                audit: app.may_read(&caller, "audit.view").is_ok(),
                // Only where some environment deploys, and the user may see it.
                deployments: app
                    .workspace()
                    .pipeline
                    .environments()
                    .iter()
                    .any(|e| e.deploy.is_some() && app.may_see_deployments(&caller, &e.name)),
            };
            if *by_session {
                session = auth::session::session_cookie(req.headers(), &app.workspace().config.web.base_url);
                viewer.sign_out = Some(auth::csrf::form_token_in(&state.secret, email, session.as_deref()));
            }
            viewer.email = Some(email.to_string());
            super::settings::remember_switch(&state, email, req.uri().query(), req.headers()).await;
        }
        req.extensions_mut().insert(resolved);
    }
    auth::csrf::with_session(session, VIEWER.scope(viewer, next.run(req))).await
}

/// `/login?next=<here>`, or plain `/login` for a page not worth coming back
/// to (a sign-off or login link: its token stays out of other addresses).
pub fn sign_in_link(here: &str) -> String {
    match local_return(here) {
        Some(p) if p != "/" && !p.starts_with("/signoff/") => {
            format!("/login?next={}", super::reports::urlencode(p))
        }
        _ => "/login".to_string(),
    }
}

/// Where "Sign in" and a 401 send the visitor back to after signing in:
/// only a path on this site (never `//host` or `/\host`, which browsers
/// read as another site), and never the sign-in pages themselves.
pub fn local_return(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 1024
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && !next.starts_with("/login")
        && !next.starts_with("/logout");
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_return("/rfcs/RFC-1?lang=nl"), Some("/rfcs/RFC-1?lang=nl"));
        assert_eq!(local_return("/"), Some("/"));
        for bad in [
            "",
            "rfcs",
            "//evil.example",
            "/\\evil.example",
            "/a\\b",
            "https://evil.example/",
            "/login",
            "/login/abc",
            "/logout",
            "/x\ny",
        ] {
            assert_eq!(local_return(bad), None, "{bad:?}");
        }
        assert_eq!(local_return(&format!("/{}", "a".repeat(2000))), None);
        assert_eq!(sign_in_link("/rfcs?q=a b"), "/login?next=%2Frfcs%3Fq%3Da%20b");
        assert_eq!(sign_in_link("/signoff/abc"), "/login");
        assert_eq!(sign_in_link("/"), "/login");
    }
}

//! `AppState`: what every handler and the auth extractors get through axum's
//! `State`. Its own module so that `auth` needs nothing from the router.

use std::sync::Arc;

use crate::app::App;

/// Shared by every handler through axum's `State`.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The server secret shared by every instance (CSRF tokens).
    pub secret: Arc<Vec<u8>>,
    /// The `host:port`s a same-site Origin or Referer may name.
    pub origins: Arc<Vec<String>>,
    /// Requests counted for `/metrics`.
    pub metrics: Arc<super::metrics::Counters>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("app", &self.app)
            .field("secret", &"[redacted]")
            .finish()
    }
}

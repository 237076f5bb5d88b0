//! Where mailed links point. `[web] base_url` says so when it is set; left
//! at its default, the links go where `dtap serve` listens: serve records its
//! address in the database's metadata while it runs, and every process that
//! renders a mail (a promotion on the command line too) reads it when it
//! opens the workspace.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{App, Result};
use crate::store::Store;
use crate::workspace::Workspace;

/// The metadata key holding the address of the running `dtap serve`.
const SERVING_URL: &str = "serving_url";

/// Where the links of mails will point while this server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkBase {
    /// `base_url` is the default: links follow the bound address.
    Bound { url: String, unspecified: bool },
    /// `base_url` is set and names the port the server listens on, or no
    /// other port was asked for with `--bind`.
    Configured { base_url: String },
    /// `base_url` is set, `--bind` asked for another port than it names.
    Mismatch { base_url: String, port: u16 },
}

/// With the default `base_url`, takes the running server's address as the
/// base of links. Returns whether the links follow `serve`.
pub(super) async fn follow_serve(workspace: &mut Workspace, store: &Store) -> bool {
    if !workspace.config.web.base_url_is_default() {
        return false;
    }
    // A database that is not migrated yet has no metadata: `doctor` and
    // `migrate` open it anyway, and links are then the default.
    if let Ok(Some(url)) = store.meta(SERVING_URL).await {
        workspace.config.web.base_url = url;
    }
    true
}

impl App {
    /// Tells this app, and every process opening the workspace from now on,
    /// that the server listens on `addr`. `bind_asked`: the address came
    /// from `--bind`, so a `base_url` naming another port is worth a warning.
    pub async fn serve_at(self, addr: SocketAddr, bind_asked: bool) -> Result<(App, LinkBase)> {
        let base_url = self.workspace.config.web.base_url.clone();
        if !self.links_follow_serve {
            let base = match port_of(&base_url) {
                Some(port) if bind_asked && port != addr.port() => LinkBase::Mismatch { base_url, port },
                _ => LinkBase::Configured { base_url },
            };
            return Ok((self, base));
        }
        let unspecified = addr.ip().is_unspecified();
        let shown = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port()),
            IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port()),
            _ => addr,
        };
        let url = format!("http://{shown}");
        self.store.set_meta(SERVING_URL, &url).await?;
        let mut workspace = (*self.workspace).clone();
        workspace.config.web.base_url = url.clone();
        let app = App {
            workspace: std::sync::Arc::new(workspace),
            ..self
        };
        Ok((app, LinkBase::Bound { url, unspecified }))
    }

    /// The server stops: links go back to the default, unless another
    /// server has recorded its address since.
    pub async fn stop_serving(&self) -> Result<()> {
        if self.links_follow_serve {
            let url = &self.workspace.config.web.base_url;
            self.store.clear_meta(SERVING_URL, url).await?;
        }
        Ok(())
    }
}

/// The port a URL names, or its scheme's default.
fn port_of(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let after_host = match host_port.rfind(']') {
        Some(end) => &host_port[end + 1..],
        None => host_port,
    };
    match after_host.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn ports_of_urls() {
        assert_eq!(port_of("http://127.0.0.1:8080"), Some(8080));
        assert_eq!(port_of("https://crm.example.org/dtap"), Some(443));
        assert_eq!(port_of("http://[::1]:9000/"), Some(9000));
        assert_eq!(port_of("http://[::1]/"), Some(80));
        assert_eq!(port_of("http://u@host:81"), Some(81));
    }
}

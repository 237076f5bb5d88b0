//! The client's address for rate limits: the TCP peer, or, when the peer is
//! one of `[web] trusted_proxies`, the right-most X-Forwarded-For hop that
//! is not a trusted proxy (hops further left are whatever the client wrote).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::web::error::WebError;
use crate::web::state::AppState;

/// The address a request's rate limits count against.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| WebError::internal("no peer address on the request"))?;
        let trusted = &state.app.workspace().config.web.trusted_proxies;
        Ok(ClientIp(client_ip(peer, &parts.headers, trusted)))
    }
}

/// One hop of X-Forwarded-For: an address, perhaps with a port (`[::1]:80`).
fn hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The client's address: `peer` itself unless it is a trusted proxy; then
/// the right-most forwarded hop that is not a trusted proxy (every header
/// line read in order, as one list). A hop that is no address ends the walk
/// at the last trusted hop.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for text in hops.iter().rev() {
        let Some(ip) = hop(text) else { break };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        // Straight from a client: the header is the client's to forge, and ignored.
        assert_eq!(
            client_ip(ip("192.0.2.9"), &xff(&["1.1.1.1"]), &trusted),
            ip("192.0.2.9")
        );
        // Through the proxy: its hop; the client's own writing further left is ignored.
        let h = xff(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"));
        // Two proxies, the header on two lines.
        let h = xff(&["6.6.6.6, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&["[2001:db8::1]:443"]), &trusted),
            ip("2001:db8::1")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(client_ip(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&["1.1.1.1, junk"]), &trusted),
            ip("127.0.0.1")
        );
    }
}

//! Requests per client address and minute, counted in the database so that
//! every instance behind a load balancer enforces one shared limit.

use std::net::IpAddr;

use super::{App, Result};

/// Enough for a person clicking through sign-off and login pages; far too
/// few to guess a 256-bit token or to mail-bomb someone with login links.
pub const PER_MINUTE: i64 = 30;

impl App {
    /// False once `ip` has made more than `PER_MINUTE` rate-limited requests
    /// in the current minute.
    pub async fn allow_request(&self, ip: IpAddr) -> Result<bool> {
        let window = self.now().minute();
        let window = window.as_str();
        Ok(self.store.rate_hit(&ip.to_string(), window).await? <= PER_MINUTE)
    }
}

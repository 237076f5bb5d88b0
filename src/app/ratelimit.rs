//! Request counters, kept in the database so that every instance behind a
//! load balancer enforces one shared limit. Three budgets: per client
//! address (as a trusted proxy forwards it), per link token, and per
//! address that login mails go to.

use std::net::IpAddr;

use super::{App, Result};
use crate::domain::stamp::Stamp;

/// Enough for a person clicking through sign-off and login pages; far too
/// few to guess a 256-bit token.
pub const PER_MINUTE: i64 = 30;
/// One sign-off or login link, opened and posted from anywhere: a person
/// needs a handful; scanners and guessers get no more.
pub const PER_LINK_PER_MINUTE: i64 = 10;
/// Login mails to one address per hour, whoever asks: nobody can mail-bomb
/// a colleague with login links.
pub const LOGIN_MAILS_PER_HOUR: i64 = 5;

/// The minute a hit counts in (`2026-11-23 21:50`).
fn minute(now: Stamp) -> String {
    now.minute()
}

/// The hour a hit counts in (`2026-11-23 21:00`): sorts among the minutes.
fn hour(now: Stamp) -> String {
    let m = now.minute();
    format!("{}00", &m[..m.len().saturating_sub(2)])
}

/// Windows that started before this are dropped (the longest is an hour).
fn stale_before(now: Stamp) -> String {
    Stamp::from_datetime(now.datetime() - time::Duration::hours(1)).minute()
}

impl App {
    /// False once the client at `ip` made more than [`PER_MINUTE`]
    /// rate-limited requests in the current minute.
    pub async fn allow_request(&self, ip: IpAddr) -> Result<bool> {
        let now = self.now();
        let hits = self
            .store
            .rate_hit(&ip.to_string(), &minute(now), &stale_before(now))
            .await?;
        Ok(hits <= PER_MINUTE)
    }

    /// False once the link `token` was used more than
    /// [`PER_LINK_PER_MINUTE`] times this minute, from whatever address.
    /// Counted under the token's hash, never the token.
    pub async fn allow_link(&self, token: &str) -> Result<bool> {
        let now = self.now();
        let key = format!("link:{}", &super::signoff::token_hash(token)[..32]);
        let hits = self.store.rate_hit(&key, &minute(now), &stale_before(now)).await?;
        Ok(hits <= PER_LINK_PER_MINUTE)
    }

    /// Counts a login mail asked for `email` (known or not): false once
    /// more than [`LOGIN_MAILS_PER_HOUR`] were asked this hour.
    pub(super) async fn allow_login_mail(&self, email: &str) -> Result<bool> {
        let now = self.now();
        let key = format!("mail:{email}");
        let hits = self.store.rate_hit(&key, &hour(now), &stale_before(now)).await?;
        Ok(hits <= LOGIN_MAILS_PER_HOUR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_window_sorts_among_the_minutes() {
        let now = Stamp::parse("2026-11-23T21:50:07Z").unwrap();
        assert_eq!(minute(now), "2026-11-23 21:50");
        assert_eq!(hour(now), "2026-11-23 21:00");
        assert_eq!(stale_before(now), "2026-11-23 20:50");
        assert!(hour(now) > stale_before(now), "the current hour is kept");
    }
}

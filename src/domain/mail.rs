//! Mail as values, shared by the layers that render, queue and deliver it
//! without knowing each other: a use case renders a `NewMail` (mail), queues
//! it (store), claims it back as a `ClaimedMail` (store) and hands its
//! `Outgoing` to the mailer (mail).

use super::stamp::Stamp;

/// A mail rendered from its templates, not yet queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub kind: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A queued mail as every delivery attempt sends it: the Message-ID was
/// fixed when it was queued, so a retry is the very same message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub message_id: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An outbox row a worker holds the claim on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    pub id: i64,
    /// Delivery attempts before this one.
    pub attempts: i64,
    /// `None` when the stored time is unreadable: such a row is retried,
    /// never given up for its age, rather than stopping the whole outbox.
    pub created_at: Option<Stamp>,
    pub mail: Outgoing,
}

/// The wait before the next attempt after `attempts` failed ones: 30 s,
/// 1 min, 2 min ... capped at an hour, each ±50 % so that mails which failed
/// together do not all retry together. `jitter` is a random draw; 0 gives the
/// shortest wait, `u16::MAX` the longest.
pub fn backoff(attempts: i64, jitter: u16) -> time::Duration {
    let base = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7)).min(3_600);
    let jitter = (jitter as f64 / u16::MAX as f64) + 0.5;
    time::Duration::seconds(((base as f64) * jitter) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for jitter in [0, 1, u16::MAX / 2, u16::MAX - 1, u16::MAX] {
            let first = backoff(0, jitter).whole_seconds();
            assert!((15..=45).contains(&first), "{first}");
            let late = backoff(20, jitter).whole_seconds();
            assert!((1_800..=5_400).contains(&late), "{late}");
        }
        assert_eq!(backoff(0, 0).whole_seconds(), 15);
        assert_eq!(backoff(1, u16::MAX).whole_seconds(), 90);
    }
}

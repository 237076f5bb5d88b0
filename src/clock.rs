//! The one clock. `App` and `Store` hold a `Clock` and every timestamp dtap
//! writes or compares comes from it, so a test moves time by giving the
//! process a shifted clock instead of rewriting rows, and the domain takes
//! `now` as an argument.

use crate::domain::stamp::Stamp;

/// The system clock, optionally shifted by a fixed offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    offset: time::Duration,
}

/// The variable that shifts a process's clock: a test aid, like
/// `DTAP_FAILPOINT`. `3d` is three days ahead, `-2h` two hours back.
pub const OFFSET_VAR: &str = "DTAP_CLOCK_OFFSET";

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The system clock moved by `offset`.
    pub fn shifted(offset: time::Duration) -> Clock {
        Clock { offset }
    }

    /// The system clock, shifted when `DTAP_CLOCK_OFFSET` says so. A value
    /// that is not a duration is an error naming the variable, never ignored.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var(OFFSET_VAR) {
            Ok(v) if !v.trim().is_empty() => parse_offset(&v)
                .map(Clock::shifted)
                .map_err(|e| format!("{OFFSET_VAR}: {e}")),
            _ => Ok(Clock::system()),
        }
    }

    pub fn now(&self) -> Stamp {
        Stamp::from_datetime(self.now_utc())
    }

    pub fn now_utc(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc() + self.offset
    }
}

/// `3d`, `+3d` or `-2h`: a duration as dtap.toml writes them, with a sign.
fn parse_offset(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let d = crate::domain::duration::parse(rest).map_err(|e| e.to_string())?;
    let d = time::Duration::try_from(d).map_err(|e| e.to_string())?;
    Ok(if negative { -d } else { d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_move_the_clock_both_ways() {
        assert_eq!(parse_offset("3d"), Ok(time::Duration::days(3)));
        assert_eq!(parse_offset("+2h"), Ok(time::Duration::hours(2)));
        assert_eq!(parse_offset("-90m"), Ok(-time::Duration::minutes(90)));
        assert!(parse_offset("soon").is_err());
        let ahead = Clock::shifted(time::Duration::days(2));
        let gap = ahead.now() - Clock::system().now();
        assert!(gap > time::Duration::days(2) - time::Duration::minutes(1), "{gap}");
    }
}

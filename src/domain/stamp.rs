//! Timestamps. Stored as RFC 3339 in UTC with exactly six fractional digits,
//! so that comparing them as text (as SQL does) orders them in time; used in
//! code as `Stamp`, parsed once where they are read, so nothing slices a
//! string by byte offsets and a malformed value is an error, never a panic.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// A moment in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(OffsetDateTime);

/// A text that is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time such as 2026-11-23T10:00:05.000000Z (RFC 3339)")]
pub struct BadStamp(pub String);

impl Stamp {
    pub fn from_datetime(t: OffsetDateTime) -> Stamp {
        Stamp(t.to_offset(time::UtcOffset::UTC))
    }

    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// The calendar day (UTC).
    pub fn date(self) -> time::Date {
        self.0.date()
    }

    /// `YYYY-MM-DD`.
    pub fn day(self) -> String {
        self.date().to_string()
    }

    /// `YYYY-MM-DD HH:MM` (UTC), for tables.
    pub fn minute(self) -> String {
        self.0
            .format(format_description!("[year]-[month]-[day] [hour]:[minute]"))
            .unwrap_or_default()
    }

    /// `YYYY-MM-DDTHH:MM:SS` (UTC), for timelines.
    pub fn second(self) -> String {
        self.0
            .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
            .unwrap_or_default()
    }

    pub fn parse(s: &str) -> Result<Stamp, BadStamp> {
        OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map(Stamp::from_datetime)
            .map_err(|_| BadStamp(s.chars().take(64).collect()))
    }
}

impl std::ops::Add<time::Duration> for Stamp {
    type Output = Stamp;
    fn add(self, d: time::Duration) -> Stamp {
        Stamp(self.0.saturating_add(d))
    }
}

impl std::ops::Sub<time::Duration> for Stamp {
    type Output = Stamp;
    fn sub(self, d: time::Duration) -> Stamp {
        Stamp(self.0.saturating_sub(d))
    }
}

impl std::ops::Sub for Stamp {
    type Output = time::Duration;
    fn sub(self, other: Stamp) -> time::Duration {
        self.0 - other.0
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&stamp(self.0))
    }
}

impl std::str::FromStr for Stamp {
    type Err = BadStamp;
    fn from_str(s: &str) -> Result<Stamp, BadStamp> {
        Stamp::parse(s)
    }
}

impl serde::Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Stamp, D::Error> {
        let s = String::deserialize(d)?;
        Stamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The stored form of a moment.
pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_width_sorts_in_time() {
        let a = stamp(datetime!(2026-11-23 10:00:05 UTC));
        let b = stamp(datetime!(2026-11-23 10:00:05.5 UTC));
        let c = stamp(datetime!(2026-11-23 10:00:06 UTC));
        assert_eq!(a, "2026-11-23T10:00:05.000000Z");
        assert!(a < b && b < c);
        assert!(time::OffsetDateTime::parse(&b, &time::format_description::well_known::Rfc3339).is_ok());
    }

    #[test]
    fn a_stamp_round_trips_through_its_stored_form_and_json() {
        let s = Stamp::from_datetime(datetime!(2026-11-23 11:00:05.25 +01:00));
        assert_eq!(s.to_string(), "2026-11-23T10:00:05.250000Z");
        assert_eq!(Stamp::parse(&s.to_string()), Ok(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"2026-11-23T10:00:05.250000Z\"");
        assert_eq!(serde_json::from_str::<Stamp>("\"2026-11-23T10:00:05.25Z\"").unwrap(), s);
        assert_eq!(s.day(), "2026-11-23");
        assert_eq!(s.minute(), "2026-11-23 10:00");
        assert_eq!((s + time::Duration::days(1)).day(), "2026-11-24");
        assert_eq!((s + time::Duration::hours(2)) - s, time::Duration::hours(2));
    }

    #[test]
    fn malformed_times_are_errors_never_panics() {
        for bad in [
            "",
            "soon",
            "2026-11",
            "2026-13-40T99:00:00Z",
            "ééééééééééé",
            "2026-11-23",
        ] {
            let e = Stamp::parse(bad).unwrap_err();
            assert!(e.to_string().contains("is not a time"), "{bad}: {e}");
        }
        assert!(serde_json::from_str::<Stamp>("\"next week\"").is_err());
    }
}

//! Timestamps as stored: RFC 3339 in UTC with exactly six fractional digits,
//! so that comparing them as text (as SQL does) orders them in time.

use time::OffsetDateTime;
use time::macros::format_description;

pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_default()
}

pub fn now() -> String {
    stamp(OffsetDateTime::now_utc())
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
}

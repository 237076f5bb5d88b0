//! The release calendar: freeze windows, promotions done and sign-off
//! deadlines per environment, and its iCalendar form (RFC 5545). Pure.

pub mod grid;

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

/// What a calendar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Freeze,
    Promotion,
    Rollback,
    SignoffDue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Freeze => "freeze",
            Kind::Promotion => "promotion",
            Kind::Rollback => "rollback",
            Kind::SignoffDue => "signoff_due",
        }
    }
}

/// When: whole days (a freeze, `end` inclusive) or a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum When {
    Days { from: Date, to: Date },
    At { at: crate::domain::stamp::Stamp },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Stable across feeds: a calendar client updates the entry instead of adding another.
    pub uid: String,
    pub kind: Kind,
    pub environment: String,
    pub when: When,
    /// The sort key: the first day (YYYY-MM-DD) or the moment.
    pub start: String,
    /// Words for people, without the kind (the page and feed add it).
    pub summary: String,
    pub detail: String,
}

/// Entries sorted by start, then environment order as given.
pub fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.uid.cmp(&b.uid)));
}

/// Text for an iCalendar TEXT value: backslash, comma, semicolon and
/// newlines escaped (RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line exceeds 75 octets, never
/// splitting a UTF-8 character, each ended by CRLF (RFC 5545 §3.1).
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

fn ics_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

fn ics_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}{:02}{:02}Z",
        ics_date(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The feed: a VCALENDAR with one VEVENT per entry. `kind_words` names
/// each kind in the reader's language; `now` is the DTSTAMP.
pub fn to_ics(name: &str, entries: &[Entry], kind_words: impl Fn(Kind) -> String, now: OffsetDateTime) -> String {
    let mut out = String::new();
    let mut line = |l: String| out.push_str(&fold(&l));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//dtap//release calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    let stamp = ics_time(now);
    for e in entries {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{stamp}"));
        match &e.when {
            When::Days { from, to } => {
                line(format!("DTSTART;VALUE=DATE:{}", ics_date(*from)));
                let end = to.checked_add(Duration::days(1)).unwrap_or(*to);
                line(format!("DTEND;VALUE=DATE:{}", ics_date(end)));
                line("TRANSP:TRANSPARENT".into());
            }
            When::At { at } => {
                let t = at.datetime();
                line(format!("DTSTART:{}", ics_time(t)));
                line(format!("DTEND:{}", ics_time(t + Duration::minutes(15))));
            }
        }
        line(format!(
            "SUMMARY:{}",
            escape(&format!("{}: {}", kind_words(e.kind), e.summary))
        ));
        if !e.detail.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.detail)));
        }
        line(format!("CATEGORIES:{}", escape(e.kind.as_str())));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        for l in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn feed_has_all_day_freezes_and_timed_promotions() {
        let entries = vec![
            Entry {
                uid: "freeze-production-2026-12-18@dtap".into(),
                kind: Kind::Freeze,
                environment: "production".into(),
                when: When::Days {
                    from: date!(2026 - 12 - 18),
                    to: date!(2027 - 01 - 04),
                },
                start: "2026-12-18".into(),
                summary: "Productie, year-end closing".into(),
                detail: String::new(),
            },
            Entry {
                uid: "promotion-abc@dtap".into(),
                kind: Kind::Promotion,
                environment: "test".into(),
                when: When::At {
                    at: "2026-11-23T10:00:05.000000Z".parse().unwrap(),
                },
                start: "2026-11-23T10:00:05.000000Z".into(),
                summary: "crm-core 1.0.0 → Test".into(),
                detail: "RFC-1".into(),
            },
        ];
        let ics = to_ics("dtap", &entries, |k| k.as_str().into(), datetime!(2026-11-23 12:00 UTC));
        assert!(ics.contains("DTSTART;VALUE=DATE:20261218\r\nDTEND;VALUE=DATE:20270105\r\n"));
        assert!(ics.contains("DTSTART:20261123T100005Z\r\n"));
        assert!(ics.contains("SUMMARY:freeze: Productie\\, year-end closing\r\n"));
        assert!(ics.contains("DTSTAMP:20261123T120000Z\r\n"));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    }
}

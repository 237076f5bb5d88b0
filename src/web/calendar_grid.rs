//! The release calendar's month grid (`/calendar?month=2026-12`): weeks of
//! Monday to Sunday with each day's entries, today marked, and the months
//! before and after. The grid is `domain::calendar::grid`; this names the
//! days and months in the page's language.

use minijinja::context;
use minijinja::value::Value;
use time::{Date, Duration, OffsetDateTime};

use super::i18n::{self, Locale};
use super::reports::kind_words;
use crate::domain::calendar::Entry;
use crate::domain::calendar::grid::{self, WEEKDAYS, YearMonth};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Each weekday's name and its short form, in English (the catalogue has the Dutch).
pub const WEEKDAY_WORDS: [(&str, &str); 7] = [
    ("Monday", "Mon"),
    ("Tuesday", "Tue"),
    ("Wednesday", "Wed"),
    ("Thursday", "Thu"),
    ("Friday", "Fri"),
    ("Saturday", "Sat"),
    ("Sunday", "Sun"),
];

/// The month a page asks for (`?month=YYYY-MM`), else the current one.
pub fn month_of(asked: Option<&str>, now: OffsetDateTime) -> (YearMonth, bool) {
    match asked.and_then(YearMonth::parse) {
        Some(m) => (m, true),
        None => (YearMonth::of(now.date()), false),
    }
}

/// "February 2028" in `locale`.
pub fn month_name(month: YearMonth, locale: Locale) -> String {
    format!(
        "{} {}",
        i18n::t(locale, MONTHS[usize::from(month.number()) - 1]),
        month.year
    )
}

/// The first day of the grid's first week and the day after its last.
pub fn span(month: YearMonth) -> (Date, Date) {
    let weeks = grid::weeks(month);
    let first = weeks.first().map_or(month.first(), |w| w[0]);
    let last = weeks.last().map_or(month.last(), |w| w[6]);
    (first, last + Duration::days(1))
}

/// The grid's context: `weekdays`, `weeks` (of days: `date`, `day`,
/// `in_month`, `today`, `entries`), the month's name and its neighbours.
pub fn context(month: YearMonth, entries: &[Entry], today: Date, env: Option<&str>, locale: Locale) -> Value {
    let weekdays: Vec<Value> = WEEKDAYS
        .iter()
        .zip(WEEKDAY_WORDS)
        .map(|(_, (long, short))| context! { long => i18n::t(locale, long), short => i18n::t(locale, short) })
        .collect();
    let weeks: Vec<Vec<Value>> = grid::grid(month, entries)
        .into_iter()
        .map(|week| {
            week.into_iter()
                .map(|d| {
                    let on_day: Vec<Value> = d
                        .entries
                        .iter()
                        .map(|i| {
                            let e = &entries[*i];
                            context! { kind => e.kind.as_str(), kind_words => kind_words(e.kind, locale),
                            summary => e.summary.clone(), detail => e.detail.clone() }
                        })
                        .collect();
                    context! {
                        date => d.date.to_string(),
                        day => d.date.day(),
                        in_month => d.in_month,
                        today => d.date == today,
                        entries => on_day,
                    }
                })
                .collect()
        })
        .collect();
    let link = |m: YearMonth| match env {
        Some(e) => format!("/calendar?month={m}&env={}", super::reports::urlencode(e)),
        None => format!("/calendar?month={m}"),
    };
    context! {
        name => month_name(month, locale),
        value => month.to_string(),
        weekdays,
        weeks,
        previous => link(month.previous()),
        previous_name => month_name(month.previous(), locale),
        next => link(month.next()),
        next_name => month_name(month.next(), locale),
        this_month => link(YearMonth::of(today)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_month_and_weekday_has_dutch() {
        let words = MONTHS.iter().chain(WEEKDAY_WORDS.iter().flat_map(|(l, s)| [l, s]));
        let missing: Vec<_> = words.filter(|w| !i18n::catalogue().contains_key(**w)).collect();
        assert!(missing.is_empty(), "without Dutch: {missing:?}");
    }

    #[test]
    fn the_month_asked_for_or_this_one() {
        let now = datetime!(2026-12-02 16:00 UTC);
        assert_eq!(
            month_of(Some("2028-02"), now),
            (YearMonth::parse("2028-02").unwrap(), true)
        );
        assert_eq!(
            month_of(Some("bad"), now),
            (YearMonth::parse("2026-12").unwrap(), false)
        );
        assert_eq!(
            month_name(YearMonth::parse("2028-02").unwrap(), Locale::Nl),
            "februari 2028"
        );
        let (first, after) = span(YearMonth::parse("2028-02").unwrap());
        assert_eq!(
            (first.to_string(), after.to_string()),
            ("2028-01-31".into(), "2028-03-06".into())
        );
    }
}

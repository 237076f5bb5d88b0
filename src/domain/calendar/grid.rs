//! The calendar as a month grid: the weeks (Monday to Sunday) that cover a
//! month, and which entries fall on each of their days. Pure.

use std::fmt;

use time::{Date, Duration, Month, Weekday};

use super::{Entry, When};

/// A month of a year (`2026-12`), the grid's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: i32,
    pub month: Month,
}

impl YearMonth {
    /// The month `day` is in.
    pub fn of(day: Date) -> YearMonth {
        YearMonth {
            year: day.year(),
            month: day.month(),
        }
    }

    /// `YYYY-MM` (years 1000 to 9998, so the months around it exist too).
    pub fn parse(s: &str) -> Option<YearMonth> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
        (1000..=9998).contains(&year).then_some(YearMonth { year, month })
    }

    pub fn first(self) -> Date {
        Date::from_calendar_date(self.year, self.month, 1).expect("the first of a month in range")
    }

    pub fn last(self) -> Date {
        self.next().first() - Duration::days(1)
    }

    pub fn previous(self) -> YearMonth {
        match self.month {
            Month::January => YearMonth {
                year: self.year - 1,
                month: Month::December,
            },
            m => YearMonth {
                year: self.year,
                month: m.previous(),
            },
        }
    }

    pub fn next(self) -> YearMonth {
        match self.month {
            Month::December => YearMonth {
                year: self.year + 1,
                month: Month::January,
            },
            m => YearMonth {
                year: self.year,
                month: m.next(),
            },
        }
    }

    /// 1 for January to 12 for December.
    pub fn number(self) -> u8 {
        u8::from(self.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.number())
    }
}

/// One day of the grid: its date, whether it belongs to the month shown
/// (the first and last weeks hold days of the months around it), and the
/// indexes of the entries on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridDay {
    pub date: Date,
    pub in_month: bool,
    pub entries: Vec<usize>,
}

/// The weeks that cover `month`, each from Monday to Sunday: four to six.
pub fn weeks(month: YearMonth) -> Vec<[Date; 7]> {
    let first = month.first();
    let back = i64::from(first.weekday().number_days_from_monday());
    let mut monday = first - Duration::days(back);
    let last = month.last();
    let mut out = Vec::new();
    while monday <= last {
        out.push(std::array::from_fn(|i| monday + Duration::days(i as i64)));
        monday += Duration::days(7);
    }
    out
}

/// The first and the last day an entry covers (a moment: its UTC day).
pub fn days_of(entry: &Entry) -> (Date, Date) {
    match &entry.when {
        When::Days { from, to } => (*from, (*to).max(*from)),
        When::At { at } => (at.date(), at.date()),
    }
}

/// The grid of `month`: its weeks, each day with the entries (indexes
/// into `entries`, in their order) that fall on it.
pub fn grid(month: YearMonth, entries: &[Entry]) -> Vec<Vec<GridDay>> {
    let spans: Vec<(Date, Date)> = entries.iter().map(days_of).collect();
    weeks(month)
        .into_iter()
        .map(|week| {
            week.into_iter()
                .map(|date| GridDay {
                    date,
                    in_month: date.month() == month.month && date.year() == month.year,
                    entries: spans
                        .iter()
                        .enumerate()
                        .filter(|(_, (from, to))| *from <= date && date <= *to)
                        .map(|(i, _)| i)
                        .collect(),
                })
                .collect()
        })
        .collect()
}

/// Monday to Sunday, for the grid's heading.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Kind;
    use time::macros::date;

    fn ym(s: &str) -> YearMonth {
        YearMonth::parse(s).unwrap()
    }

    #[test]
    fn parses_and_steps_months() {
        assert_eq!(ym("2026-12").to_string(), "2026-12");
        assert_eq!(ym("2026-12").next().to_string(), "2027-01");
        assert_eq!(ym("2027-01").previous().to_string(), "2026-12");
        assert_eq!(ym("2028-03").previous().to_string(), "2028-02");
        for bad in [
            "",
            "2026",
            "2026-13",
            "2026-00",
            "26-12",
            "2026-1",
            "abcd-ef",
            "9999-01",
            "2026-12-01",
        ] {
            assert_eq!(YearMonth::parse(bad), None, "{bad:?}");
        }
        assert_eq!(YearMonth::of(date!(2026 - 12 - 02)), ym("2026-12"));
    }

    #[test]
    fn a_month_starting_on_sunday_begins_its_grid_six_days_before() {
        // 1 March 2026 is a Sunday: the first row runs from Monday 23 February.
        let w = weeks(ym("2026-03"));
        assert_eq!(w[0][0], date!(2026 - 02 - 23));
        assert_eq!(w[0][6], date!(2026 - 03 - 01));
        assert_eq!(w.len(), 6, "31 days from a Sunday need six rows");
        assert_eq!(w[5][1], date!(2026 - 03 - 31));
        assert_eq!(w[5][6], date!(2026 - 04 - 05));
    }

    #[test]
    fn leap_february_has_its_29th() {
        // February 2028: a leap year, the 1st a Tuesday, the 29th a Tuesday.
        let w = weeks(ym("2028-02"));
        assert_eq!(w.len(), 5);
        assert_eq!(w[0][0], date!(2028 - 01 - 31));
        assert_eq!(w[0][1], date!(2028 - 02 - 01));
        assert_eq!(w[4][1], date!(2028 - 02 - 29));
        assert_eq!(w[4][2], date!(2028 - 03 - 01));
        assert_eq!(ym("2028-02").last(), date!(2028 - 02 - 29));
        assert_eq!(ym("2027-02").last(), date!(2027 - 02 - 28));
        // February 2027 starts on a Monday and fills exactly four rows.
        assert_eq!(weeks(ym("2027-02")).len(), 4);
    }

    #[test]
    fn every_row_runs_monday_to_sunday_and_covers_the_month() {
        let mut m = ym("2026-01");
        for _ in 0..36 {
            let w = weeks(m);
            assert!((4..=6).contains(&w.len()), "{m}: {} rows", w.len());
            for row in &w {
                assert_eq!(row[0].weekday(), Weekday::Monday);
                assert_eq!(row[6].weekday(), Weekday::Sunday);
            }
            assert!(w[0][0] <= m.first() && m.first() <= w[0][6]);
            let end = w.last().unwrap();
            assert!(end[0] <= m.last() && m.last() <= end[6]);
            m = m.next();
        }
    }

    #[test]
    fn entries_fall_on_their_days() {
        let entry = |when: When| Entry {
            uid: "u".into(),
            kind: Kind::Freeze,
            environment: "production".into(),
            when,
            start: String::new(),
            summary: String::new(),
            detail: String::new(),
        };
        let entries = vec![
            entry(When::Days {
                from: date!(2028 - 01 - 30),
                to: date!(2028 - 02 - 02),
            }),
            entry(When::At {
                at: "2028-02-14T23:59:00.000000Z".parse().unwrap(),
            }),
        ];
        let g = grid(ym("2028-02"), &entries);
        let day = |d: Date| g.iter().flatten().find(|x| x.date == d).unwrap().clone();
        assert!(!day(date!(2028 - 01 - 31)).in_month);
        assert_eq!(day(date!(2028 - 01 - 31)).entries, [0]);
        assert_eq!(day(date!(2028 - 02 - 02)).entries, [0]);
        assert!(day(date!(2028 - 02 - 03)).entries.is_empty());
        assert_eq!(day(date!(2028 - 02 - 14)).entries, [1]);
        assert!(day(date!(2028 - 02 - 15)).entries.is_empty());
        assert!(day(date!(2028 - 02 - 29)).in_month);
    }
}

//! Reports and KPIs: figures computed from plain rows the store reads. Pure:
//! no clock, no IO; every report is a [`Table`] that the web draws as a chart
//! and a table, the CLI prints, and both export as CSV or JSON.
//!
//! Over 400 lines on purpose: the eight reports share their definitions
//! (below) and helpers, and read best side by side; the tests are in `report/tests.rs`.
//!
//! Definitions (also in `dtap report --help`):
//! - lead time: from an RFC's first move to `submitted` to its first move to
//!   `released`, in days, grouped by the month (UTC) it was released;
//! - median: the mean of the two middle values for an even count;
//!   85th percentile: nearest rank (the smallest value with ≥ 85 % at or below);
//! - waiting for sign-off: from a tester's invitation to their verdict, in hours.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::rfc::State;

/// One RFC as the reports need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfcRow {
    pub id: i64,
    pub template: String,
    pub department: String,
    pub state: String,
    pub created_at: String,
}

/// A state change of an RFC: `to_state` is set for moves only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub rfc_id: i64,
    pub at: String,
    pub to_state: Option<String>,
}

/// A tester's verdict, with when they were invited (if by a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictRow {
    pub rfc_id: i64,
    pub environment: String,
    pub verdict: String,
    pub at: String,
    pub invited_at: Option<String>,
}

/// A completed promotion or rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionRow {
    pub kind: String,
    pub environment: String,
    pub at: String,
    pub emergency: bool,
}

/// An emergency change and its review afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyRow {
    pub environment: String,
    pub created_at: String,
    pub due_at: String,
    pub approved_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Data {
    pub rfcs: Vec<RfcRow>,
    pub events: Vec<EventRow>,
    pub verdicts: Vec<VerdictRow>,
    pub promotions: Vec<PromotionRow>,
    pub emergencies: Vec<EmergencyRow>,
}

/// Which figures count. Period bounds are dates (`YYYY-MM-DD`), inclusive;
/// department and template narrow the RFC-based reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub since: Option<String>,
    pub until: Option<String>,
    pub department: Option<String>,
    pub template: Option<String>,
}

impl Filter {
    fn in_period(&self, at: &str) -> bool {
        let day = at.get(..10).unwrap_or(at);
        self.since.as_deref().is_none_or(|s| day >= s) && self.until.as_deref().is_none_or(|u| day <= u)
    }

    fn takes(&self, rfc: &RfcRow) -> bool {
        self.department.as_deref().is_none_or(|d| rfc.department == d)
            && self.template.as_deref().is_none_or(|t| rfc.template == t)
    }

    /// Checks the dates: `Err((field, message))` for the first bad one.
    pub fn validate(&self) -> Result<(), (&'static str, crate::domain::Msg)> {
        for (name, v) in [("since", &self.since), ("until", &self.until)] {
            if let Some(v) = v
                && time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).is_err()
            {
                return Err((
                    name,
                    crate::msg!(
                        "{name} `{value}` is not a date: write it as YYYY-MM-DD, e.g. 2026-11-01",
                        name = word(name),
                        value = v
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A cell of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Empty,
}

impl Cell {
    /// The value as a number for a chart, if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// Machine form: decimal point, no grouping (CSV, tables for scripts).
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(n) => format!("{n:.1}"),
            Cell::Empty => String::new(),
        }
    }
}

/// Every report: its name on the command line and in URLs.
pub const NAMES: &[&str] = &[
    "lead-time",
    "states",
    "departments",
    "throughput",
    "rejections",
    "signoff-wait",
    "promotions",
    "emergencies",
];

/// A computed report: named columns, rows of cells. The first `labels`
/// columns name a row; the others are numbers a chart can draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub labels: usize,
    pub rows: Vec<Vec<Cell>>,
}

/// Computes the report `name`; `None` for an unknown name.
pub fn compute(name: &str, data: &Data, f: &Filter) -> Option<Table> {
    let rfcs: BTreeMap<i64, &RfcRow> = data.rfcs.iter().filter(|r| f.takes(r)).map(|r| (r.id, r)).collect();
    let table = |columns: &[&str], labels: usize, rows: Vec<Vec<Cell>>| Table {
        name: name.to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        labels,
        rows,
    };
    Some(match name {
        "lead-time" => {
            let firsts = first_moves(data, &rfcs);
            let mut by_month: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for (submitted, released) in firsts
                .values()
                .filter_map(|m| Some((m.get("submitted")?, m.get("released")?)))
            {
                if f.in_period(released)
                    && let Some(days) = hours_between(submitted, released).map(|h| h / 24.0)
                {
                    by_month.entry(month(released)).or_default().push(days);
                }
            }
            let rows = by_month
                .into_iter()
                .map(|(m, mut v)| {
                    v.sort_by(f64::total_cmp);
                    vec![Cell::Text(m), Cell::Int(v.len() as i64), num(median(&v)), num(p85(&v))]
                })
                .collect();
            table(&["month", "released", "median_days", "p85_days"], 1, rows)
        }
        "states" => {
            let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
            for r in rfcs.values().filter(|r| f.in_period(&r.created_at)) {
                *counts.entry(r.state.as_str()).or_default() += 1;
            }
            let rows = State::ALL
                .iter()
                .map(|s| {
                    vec![
                        Cell::Text(s.as_str().into()),
                        Cell::Int(*counts.get(s.as_str()).unwrap_or(&0)),
                    ]
                })
                .collect();
            table(&["state", "rfcs"], 1, rows)
        }
        "departments" => {
            let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
            for r in rfcs.values().filter(|r| f.in_period(&r.created_at)) {
                let c = counts.entry(r.department.as_str()).or_default();
                c.0 += 1;
                if !matches!(r.state.as_str(), "closed" | "withdrawn" | "released" | "rejected") {
                    c.1 += 1;
                }
            }
            let rows = counts
                .into_iter()
                .map(|(d, (all, open))| vec![Cell::Text(d.into()), Cell::Int(all), Cell::Int(open)])
                .collect();
            table(&["department", "rfcs", "open"], 1, rows)
        }
        "throughput" => {
            let mut by_month: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            for m in first_moves(data, &rfcs).values() {
                if let Some(at) = m.get("submitted").filter(|a| f.in_period(a)) {
                    by_month.entry(month(at)).or_default().0 += 1;
                }
                if let Some(at) = m.get("released").filter(|a| f.in_period(a)) {
                    by_month.entry(month(at)).or_default().1 += 1;
                }
            }
            let rows = by_month
                .into_iter()
                .map(|(m, (s, r))| vec![Cell::Text(m), Cell::Int(s), Cell::Int(r)])
                .collect();
            table(&["month", "submitted", "released"], 1, rows)
        }
        "rejections" => {
            let mut by_env: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
            for v in verdicts(data, &rfcs, f) {
                let c = by_env.entry(v.environment.as_str()).or_default();
                c.0 += 1;
                if v.verdict == "reject" {
                    c.1 += 1;
                }
            }
            let rows = by_env
                .into_iter()
                .map(|(e, (all, rej))| {
                    vec![
                        Cell::Text(e.into()),
                        Cell::Int(all),
                        Cell::Int(rej),
                        num(Some(100.0 * rej as f64 / all as f64)),
                    ]
                })
                .collect();
            table(
                &["environment", "verdicts", "rejections", "rejection_rate_pct"],
                1,
                rows,
            )
        }
        "signoff-wait" => {
            let mut by_env: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for v in verdicts(data, &rfcs, f) {
                if let Some(h) = v.invited_at.as_deref().and_then(|i| hours_between(i, &v.at)) {
                    by_env.entry(v.environment.as_str()).or_default().push(h);
                }
            }
            let rows = by_env
                .into_iter()
                .map(|(e, mut v)| {
                    v.sort_by(f64::total_cmp);
                    vec![
                        Cell::Text(e.into()),
                        Cell::Int(v.len() as i64),
                        num(median(&v)),
                        num(p85(&v)),
                        num(v.last().copied()),
                    ]
                })
                .collect();
            table(
                &["environment", "verdicts", "median_hours", "p85_hours", "max_hours"],
                1,
                rows,
            )
        }
        "promotions" => {
            let mut by: BTreeMap<(String, &str), (i64, i64)> = BTreeMap::new();
            for p in data.promotions.iter().filter(|p| f.in_period(&p.at)) {
                let c = by.entry((month(&p.at), p.environment.as_str())).or_default();
                if p.kind == "rollback" {
                    c.1 += 1;
                } else {
                    c.0 += 1;
                }
            }
            let rows = by
                .into_iter()
                .map(|((m, e), (p, r))| vec![Cell::Text(m), Cell::Text(e.into()), Cell::Int(p), Cell::Int(r)])
                .collect();
            table(&["month", "environment", "promotions", "rollbacks"], 2, rows)
        }
        "emergencies" => {
            let mut by: BTreeMap<(String, &str), (i64, i64, i64)> = BTreeMap::new();
            for p in data.promotions.iter().filter(|p| p.emergency && f.in_period(&p.at)) {
                by.entry((month(&p.at), p.environment.as_str())).or_default().0 += 1;
            }
            for e in data.emergencies.iter().filter(|e| f.in_period(&e.created_at)) {
                let c = by.entry((month(&e.created_at), e.environment.as_str())).or_default();
                match &e.approved_at {
                    Some(a) if a.as_str() > e.due_at.as_str() => c.2 += 1,
                    Some(_) => {}
                    None => c.1 += 1,
                }
            }
            let rows = by
                .into_iter()
                .map(|((m, e), (n, open, late))| {
                    vec![
                        Cell::Text(m),
                        Cell::Text(e.into()),
                        Cell::Int(n),
                        Cell::Int(open),
                        Cell::Int(late),
                    ]
                })
                .collect();
            table(
                &[
                    "month",
                    "environment",
                    "emergency_changes",
                    "unreviewed",
                    "reviewed_late",
                ],
                2,
                rows,
            )
        }
        _ => return None,
    })
}

/// Per RFC (of those kept): the first time it moved into each state.
fn first_moves<'a>(data: &'a Data, rfcs: &BTreeMap<i64, &RfcRow>) -> BTreeMap<i64, BTreeMap<&'a str, &'a str>> {
    let mut out: BTreeMap<i64, BTreeMap<&str, &str>> = BTreeMap::new();
    for e in &data.events {
        if let Some(to) = &e.to_state
            && rfcs.contains_key(&e.rfc_id)
        {
            let m = out
                .entry(e.rfc_id)
                .or_default()
                .entry(to.as_str())
                .or_insert(e.at.as_str());
            if e.at.as_str() < *m {
                *m = e.at.as_str();
            }
        }
    }
    out
}

fn verdicts<'a>(data: &'a Data, rfcs: &BTreeMap<i64, &RfcRow>, f: &Filter) -> impl Iterator<Item = &'a VerdictRow> {
    let keep: std::collections::BTreeSet<i64> = rfcs.keys().copied().collect();
    data.verdicts
        .iter()
        .filter(move |v| keep.contains(&v.rfc_id) && f.in_period(&v.at))
}

fn month(at: &str) -> String {
    at.get(..7).unwrap_or(at).to_string()
}

fn hours_between(from: &str, to: &str) -> Option<f64> {
    let a = OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let b = OffsetDateTime::parse(to, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64() / 3600.0)
}

/// A figure rounded to one decimal, as every report gives them.
fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, |n| Cell::Num((n * 10.0).round() / 10.0))
}

/// The median of sorted values.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The 85th percentile of sorted values, nearest rank.
pub fn p85(sorted: &[f64]) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (0.85 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// RFC 4180 CSV with CRLF line ends. A cell a spreadsheet would run as a
/// formula (starting with `= + - @`, or a tab or carriage return) gets a
/// leading apostrophe; numbers are written plainly, so negative figures stay numbers.
pub fn to_csv(t: &Table) -> String {
    let cell = |c: &Cell| {
        let s = c.plain();
        let s = match c {
            Cell::Text(_) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            _ => s,
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = t
        .columns
        .iter()
        .map(|c| cell(&Cell::Text(c.clone())))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in &t.rows {
        out.push_str(&row.iter().map(cell).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests;

//! `/reports` (KPIs as SVG charts with their tables and CSV), `/calendar`
//! and `/calendar.ics` (the release calendar as a page and a feed).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;

use super::auth::{CurrentUser, csrf};
use super::i18n::{self, Locale};
use super::{AppState, WebError, chart, templates};
use crate::domain::calendar::{self, Kind};
use crate::domain::report::{self, Filter, Table};

/// Each report's heading, in English (the Dutch is in the catalogue).
pub const TITLES: &[(&str, &str)] = &[
    (
        "lead-time",
        "Lead time from submitted to released (days, per month of release)",
    ),
    ("states", "Requests per state"),
    ("departments", "Requests per department"),
    ("throughput", "Throughput per month"),
    ("rejections", "Tester rejection rate per environment"),
    (
        "signoff-wait",
        "Waiting for sign-off (hours from invitation to verdict)",
    ),
    ("promotions", "Promotions and rollbacks per environment per month"),
    ("emergencies", "Emergency changes"),
];

/// Column names as people read them.
pub const COLUMNS: &[(&str, &str)] = &[
    ("month", "Month"),
    ("released", "Released"),
    ("median_days", "Median (days)"),
    ("p85_days", "85th percentile (days)"),
    ("state", "State"),
    ("rfcs", "Requests"),
    ("department", "Department"),
    ("open", "Open"),
    ("submitted", "Submitted"),
    ("environment", "Environment"),
    ("verdicts", "Verdicts"),
    ("rejections", "Rejections"),
    ("rejection_rate_pct", "Rejection rate (%)"),
    ("median_hours", "Median (hours)"),
    ("p85_hours", "85th percentile (hours)"),
    ("max_hours", "Longest (hours)"),
    ("promotions", "Promotions"),
    ("rollbacks", "Rollbacks"),
    ("emergency_changes", "Emergency changes"),
    ("unreviewed", "Not yet reviewed"),
    ("reviewed_late", "Reviewed late"),
];

fn words(table: &[(&str, &'static str)], key: &str, locale: Locale) -> String {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| key.to_string(), |(_, w)| i18n::t(locale, w))
}

/// The columns a report's chart draws: figures on one scale (days apart
/// from counts; a rate apart from the counts it comes from).
fn charted(t: &Table) -> Vec<usize> {
    let only: &[&str] = match t.name.as_str() {
        "lead-time" => &["median_days", "p85_days"],
        "signoff-wait" => &["median_hours", "p85_hours"],
        "rejections" => &["rejection_rate_pct"],
        _ => &[],
    };
    (t.labels..t.columns.len())
        .filter(|&i| only.is_empty() || only.contains(&t.columns[i].as_str()))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    since: Option<String>,
    until: Option<String>,
    department: Option<String>,
    template: Option<String>,
}

impl ReportQuery {
    fn filter(&self) -> Result<Filter, WebError> {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(Filter {
            since: i18n::typed_date("since", self.since.as_deref())?,
            until: i18n::typed_date("until", self.until.as_deref())?,
            department: clean(&self.department),
            template: clean(&self.template),
        })
    }
}

/// A label cell as people read it: states and environments by their names.
fn label(state: &AppState, column: &str, value: String, locale: Locale) -> String {
    match column {
        "state" => value
            .parse::<crate::domain::rfc::State>()
            .map_or(value, |s| i18n::tr(locale, s.label())),
        "environment" => state.app.workspace().env_label(&value, locale),
        "department" if value.is_empty() => i18n::t(locale, "(none)"),
        _ => value,
    }
}

/// The table as shown: people's labels and numbers in the locale's format.
fn shown(state: &AppState, t: &Table, locale: Locale) -> (Vec<String>, Vec<Vec<String>>, Table) {
    let columns: Vec<String> = t.columns.iter().map(|c| words(COLUMNS, c, locale)).collect();
    let mut labelled = t.clone();
    for row in &mut labelled.rows {
        for (i, cell) in row.iter_mut().enumerate().take(t.labels) {
            *cell = report::Cell::Text(label(state, &t.columns[i], cell.plain(), locale));
        }
    }
    let rows = labelled
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    report::Cell::Int(i) => i18n::number(locale, *i as f64, 0),
                    report::Cell::Num(n) => i18n::number(locale, *n, 1),
                    report::Cell::Empty => "–".into(),
                    report::Cell::Text(s) => s.clone(),
                })
                .collect()
        })
        .collect();
    (columns, rows, labelled)
}

pub async fn page(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<ReportQuery>,
) -> Result<Html<String>, WebError> {
    let locale = i18n::current().locale;
    let filter = q.filter()?;
    let tables = state.app.reports(&caller, &filter).await?;
    let (departments, template_ids) = state.app.report_choices(&caller).await?;
    let query = serde_urlencoded_pairs(&filter);
    let reports: Vec<_> = tables
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let title = words(TITLES, &t.name, locale);
            let (columns, rows, labelled) = shown(&state, t, locale);
            let drawn = charted(t);
            let series: Vec<String> = drawn.iter().map(|&i| columns[i].clone()).collect();
            let svg = chart::bars(&labelled, &drawn, &title, &series, locale, &format!("chart-{n}"));
            context! {
                name => t.name.clone(), title, columns, rows,
                chart => Value::from_safe_string(svg),
                csv => format!("/reports/{}.csv{query}", t.name),
            }
        })
        .collect();
    Ok(Html(templates::render(
        "reports.html",
        context! {
            title => "Reports", nav => "reports", user => caller.email.as_str(),
            reports, f => Serde(&filter), departments,
            templates => template_ids.iter().map(|id| context! {
                id, title => state.app.workspace().template(id).map_or(id.as_str(), |t| t.title.as_str()),
            }).collect::<Vec<_>>(),
        },
    )?))
}

/// `?since=…&…` for the CSV links, empty without a filter.
fn serde_urlencoded_pairs(f: &Filter) -> String {
    let parts: Vec<String> = [
        ("since", &f.since),
        ("until", &f.until),
        ("department", &f.department),
        ("template", &f.template),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v))))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub(super) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/reports/<name>.csv`: one report as CSV (machine format: decimal point, machine column names).
pub async fn csv(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(file): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    state.app.may_read(&caller, "reports.view")?;
    let name = file.strip_suffix(".csv").ok_or(WebError::NotFound)?;
    if !report::NAMES.contains(&name) {
        return Err(WebError::NotFound);
    }
    let t = state.app.report(&caller, name, &q.filter()?).await?;
    let disposition = format!("attachment; filename=\"dtap-{name}.csv\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|e| WebError::internal(e.to_string()))?,
            ),
        ],
        report::to_csv(&t),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    pub(super) env: Option<String>,
    pub(super) user: Option<String>,
    pub(super) until: Option<String>,
    pub(super) token: Option<String>,
    done: Option<String>,
    /// The month the grid shows (`2026-12`); its entries are the list's too.
    month: Option<String>,
}

pub(super) fn kind_words(kind: Kind, locale: Locale) -> String {
    i18n::t(
        locale,
        match kind {
            Kind::Freeze => "Freeze",
            Kind::Promotion => "Promotion",
            Kind::Rollback => "Rollback",
            Kind::SignoffDue => "Sign-off due",
        },
    )
}

pub async fn calendar_page(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<CalendarQuery>,
) -> Result<Html<String>, WebError> {
    let locale = i18n::current().locale;
    let env = q.env.as_deref().filter(|e| !e.is_empty());
    let now = state.app.now_utc();
    let (month, asked) = super::calendar_grid::month_of(q.month.as_deref(), now);
    let (first, after) = super::calendar_grid::span(month);
    let midnight = |d: time::Date| d.midnight().assume_utc();
    let in_grid = state
        .app
        .calendar_between(env, midnight(first), midnight(after), locale)
        .await?;
    let overlaps = |e: &calendar::Entry, from: time::Date, to: time::Date| {
        let (first, last) = calendar::grid::days_of(e);
        first <= to && last >= from
    };
    let in_grid: Vec<_> = in_grid
        .into_iter()
        .filter(|e| overlaps(e, first, after.previous_day().unwrap_or(after)))
        .collect();
    // The list: the month asked for, or (by default) from `PAST_DAYS` ago on.
    let entries = match asked {
        true => in_grid
            .iter()
            .filter(|e| overlaps(e, month.first(), month.last()))
            .cloned()
            .collect(),
        false => state.app.calendar(env, now, locale).await?,
    };
    let grid = super::calendar_grid::context(month, &in_grid, now.date(), env, locale);
    let (feed, feed_until) = super::feed::url(&state, &caller.email, locale).await?;
    let revoked = q.done.as_deref() == Some("revoked");
    let revoke_token = csrf::form_token(&state.secret, &caller.email);
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            let (when, day) = match &e.when {
                calendar::When::Days { from, to } => (
                    format!(
                        "{} – {}",
                        i18n::date(locale, &from.to_string()),
                        i18n::date(locale, &to.to_string())
                    ),
                    from.to_string(),
                ),
                calendar::When::At { at } => (i18n::datetime(locale, &at.to_string()), at.day()),
            };
            context! { kind => e.kind.as_str(), kind_words => kind_words(e.kind, locale), when, day,
            environment => e.environment.clone(), summary => e.summary.clone(), detail => e.detail.clone() }
        })
        .collect();
    let environments: Vec<_> = state
        .app
        .workspace()
        .pipeline
        .environments()
        .iter()
        .map(|e| context! { name => e.name.clone(), label => e.label.clone() })
        .collect();
    Ok(Html(templates::render(
        "calendar.html",
        context! {
            title => "Release calendar", nav => "calendar", user => caller.email.as_str(),
            rows, environments, env, feed, feed_until, revoked, csrf_token => revoke_token,
            past_days => crate::app::calendar::PAST_DAYS, grid, asked,
        },
    )?))
}

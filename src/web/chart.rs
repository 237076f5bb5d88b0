//! Bar charts as inline SVG, drawn on the server: no script, no CDN. Every
//! bar carries a `<title>` with its label and value, and the page shows the
//! same figures as a table next to it.

use std::fmt::Write;

use super::i18n::{self, Locale};
use crate::domain::report::Table;

const WIDTH: f64 = 640.0;
const LABEL_W: f64 = 170.0;
const BAR_H: f64 = 14.0;
const GAP: f64 = 10.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// A horizontal bar chart of `t`: one band per row, one bar per column in
/// `numeric` (`series` names them for people). `id` makes element ids unique.
pub fn bars(t: &Table, numeric: &[usize], title: &str, series: &[String], locale: Locale, id: &str) -> String {
    let numeric = numeric.to_vec();
    let max = t
        .rows
        .iter()
        .flat_map(|r| numeric.iter().filter_map(|&i| r.get(i).and_then(|c| c.number())))
        .fold(0.0_f64, f64::max);
    let band = numeric.len() as f64 * BAR_H + GAP;
    let legend_h = 22.0;
    let height = legend_h + (t.rows.len().max(1) as f64) * band + GAP;
    let scale = if max > 0.0 { (WIDTH - LABEL_W - 60.0) / max } else { 0.0 };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        esc(title)
    );
    for (k, name) in series.iter().enumerate() {
        let x = LABEL_W + k as f64 * 150.0;
        let _ = write!(
            svg,
            r#"<rect class="s{k}" x="{x}" y="4" width="12" height="12"/><text x="{}" y="14" font-size="12">{}</text>"#,
            x + 16.0,
            esc(name)
        );
    }
    for (j, row) in t.rows.iter().enumerate() {
        let y0 = legend_h + j as f64 * band;
        let label: Vec<String> = row[..t.labels].iter().map(|c| c.plain()).collect();
        let label = label.join(" · ");
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"#,
            LABEL_W - 6.0,
            y0 + band / 2.0,
            esc(&label)
        );
        for (k, &i) in numeric.iter().enumerate() {
            let Some(v) = row.get(i).and_then(|c| c.number()) else {
                continue;
            };
            let y = y0 + k as f64 * BAR_H;
            let w = (v * scale).max(if v > 0.0 { 1.0 } else { 0.0 });
            let decimals = if matches!(row.get(i), Some(crate::domain::report::Cell::Num(_))) {
                1
            } else {
                0
            };
            let shown = i18n::number(locale, v, decimals);
            let name = series.get(k).map(String::as_str).unwrap_or("");
            let _ = write!(
                svg,
                r#"<rect class="s{k}" x="{LABEL_W}" y="{y}" width="{w:.1}" height="{}"><title>{}: {} = {}</title></rect><text x="{:.1}" y="{}" font-size="11">{}</text>"#,
                BAR_H - 2.0,
                esc(&label),
                esc(name),
                esc(&shown),
                LABEL_W + w + 4.0,
                y + BAR_H - 4.0,
                esc(&shown)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::Cell;

    #[test]
    fn bars_have_titles_and_escape_labels() {
        let t = Table {
            name: "departments".into(),
            columns: vec!["department".into(), "rfcs".into()],
            labels: 1,
            rows: vec![
                vec![Cell::Text("<Sales & co>".into()), Cell::Num(2.5)],
                vec![Cell::Text("Service".into()), Cell::Int(1200)],
            ],
        };
        let svg = bars(&t, &[1], "Per department", &["RFCs".into()], Locale::Nl, "c1");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c1-title\">Per department</title>"));
        assert!(
            svg.contains("<title>&lt;Sales &amp; co&gt;: RFCs = 2,5</title>"),
            "{svg}"
        );
        assert!(svg.contains("Service: RFCs = 1.200"), "{svg}");
        assert!(!svg.contains("<Sales"));
    }
}

//! Plain text tables for humans.

/// Renders rows under headers, columns padded to their widest cell.
pub fn render(headers: &[String], rows: &[Vec<String>]) -> String {
    let cols = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate().take(cols) {
            out.push_str(cell);
            if i + 1 < cols {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(headers);
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_columns() {
        let t = super::render(
            &["PACKAGE".into(), "develop".into()],
            &[
                vec!["crm-core".into(), "1.0.0".into()],
                vec!["x".into(), "10.0.0".into()],
            ],
        );
        assert_eq!(t, "PACKAGE   develop\ncrm-core  1.0.0\nx         10.0.0\n");
    }
}

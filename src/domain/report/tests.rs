//! Each report against a known data set with a known timestamp spread.

use super::*;

fn rfc(id: i64, template: &str, department: &str, state: &str, created: &str) -> RfcRow {
    RfcRow {
        id,
        template: template.into(),
        department: department.into(),
        state: state.into(),
        created_at: format!("{created}T09:00:00.000000Z"),
    }
}

fn mv(rfc_id: i64, at: &str, to: &str) -> EventRow {
    EventRow {
        rfc_id,
        at: at.into(),
        to_state: Some(to.into()),
    }
}

fn verdict(rfc_id: i64, env: &str, verdict: &str, invited: Option<&str>, at: &str) -> VerdictRow {
    VerdictRow {
        rfc_id,
        environment: env.into(),
        verdict: verdict.into(),
        at: at.into(),
        invited_at: invited.map(str::to_string),
    }
}

fn promo(kind: &str, env: &str, at: &str, emergency: bool) -> PromotionRow {
    PromotionRow {
        kind: kind.into(),
        environment: env.into(),
        at: at.into(),
        emergency,
    }
}

/// Five RFCs: 1–4 released (lead times 2, 4, 10 and 30 days), 5 still in test.
fn data() -> Data {
    let t = |d: &str| format!("{d}T10:00:00.000000Z");
    let mut events = Vec::new();
    for (id, submitted, released) in [
        (1, "2026-10-01", "2026-10-03"),
        (2, "2026-10-01", "2026-10-05"),
        (3, "2026-10-20", "2026-10-30"),
        (4, "2026-10-02", "2026-11-01"),
    ] {
        events.push(mv(id, &t(submitted), "submitted"));
        events.push(mv(id, &t(released), "released"));
    }
    // Released again later (after a rollback and a re-promotion): the first release counts.
    events.push(mv(1, &t("2026-11-20"), "released"));
    events.push(mv(5, &t("2026-11-02"), "submitted"));
    events.push(EventRow {
        rfc_id: 5,
        at: t("2026-11-03"),
        to_state: None,
    });
    Data {
        rfcs: vec![
            rfc(1, "report", "Sales", "released", "2026-09-30"),
            rfc(2, "report", "Sales", "closed", "2026-09-30"),
            rfc(3, "workflow", "Service", "released", "2026-10-19"),
            rfc(4, "report", "", "released", "2026-10-01"),
            rfc(5, "workflow", "Service", "in_test", "2026-11-01"),
        ],
        events,
        verdicts: vec![
            verdict(
                1,
                "test",
                "approve",
                Some("2026-10-02T10:00:00.000000Z"),
                "2026-10-02T12:00:00.000000Z",
            ),
            verdict(
                2,
                "test",
                "reject",
                Some("2026-10-02T10:00:00.000000Z"),
                "2026-10-03T10:00:00.000000Z",
            ),
            verdict(2, "test", "approve", None, "2026-10-04T10:00:00.000000Z"),
            verdict(
                3,
                "acceptance",
                "approve",
                Some("2026-10-25T10:00:00.000000Z"),
                "2026-10-25T16:30:00.000000Z",
            ),
            verdict(
                5,
                "test",
                "reject",
                Some("2026-11-02T10:00:00.000000Z"),
                "2026-11-02T11:00:00.000000Z",
            ),
        ],
        promotions: vec![
            promo("promote", "test", &t("2026-10-02"), false),
            promo("promote", "test", &t("2026-10-20"), false),
            promo("promote", "production", &t("2026-10-30"), true),
            promo("rollback", "production", &t("2026-10-31"), false),
            promo("promote", "production", &t("2026-11-01"), false),
        ],
        emergencies: vec![
            EmergencyRow {
                environment: "production".into(),
                created_at: t("2026-10-30"),
                due_at: t("2026-11-01"),
                approved_at: Some(t("2026-11-04")),
            },
            EmergencyRow {
                environment: "production".into(),
                created_at: t("2026-11-10"),
                due_at: t("2026-11-12"),
                approved_at: None,
            },
        ],
    }
}

fn rows(name: &str, f: &Filter) -> Vec<Vec<String>> {
    compute(name, &data(), f)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.iter().map(Cell::plain).collect())
        .collect()
}

fn strs(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
}

#[test]
fn lead_time_median_and_p85_per_month() {
    // October releases: 2, 4 and 10 days: median 4, p85 (rank ceil(2.55) = 3) 10.
    // November: 30 days for RFC-4; RFC-1's second release is not a new lead time.
    assert_eq!(
        rows("lead-time", &Filter::default()),
        strs(&[&["2026-10", "3", "4.0", "10.0"], &["2026-11", "1", "30.0", "30.0"]])
    );
    let sales = Filter {
        department: Some("Sales".into()),
        ..Filter::default()
    };
    // Two values: the median is their mean.
    assert_eq!(rows("lead-time", &sales), strs(&[&["2026-10", "2", "3.0", "4.0"]]));
}

#[test]
fn percentiles() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[1.0, 2.0, 9.0]), Some(2.0));
    assert_eq!(p85(&[5.0]), Some(5.0));
    let v: Vec<f64> = (1..=20).map(f64::from).collect();
    assert_eq!(p85(&v), Some(17.0));
    assert_eq!(median(&v), Some(10.5));
}

#[test]
fn states_departments_and_filters() {
    let all = rows("states", &Filter::default());
    assert_eq!(all.len(), State::ALL.len(), "every state, zeros included");
    let count = |s: &str| all.iter().find(|r| r[0] == s).unwrap()[1].clone();
    assert_eq!(
        (count("released"), count("closed"), count("in_test"), count("draft")),
        ("3".into(), "1".into(), "1".into(), "0".into())
    );
    assert_eq!(
        rows("departments", &Filter::default()),
        strs(&[&["", "1", "0"], &["Sales", "2", "0"], &["Service", "2", "1"]])
    );
    let workflow_in_nov = Filter {
        since: Some("2026-11-01".into()),
        template: Some("workflow".into()),
        ..Filter::default()
    };
    assert_eq!(rows("departments", &workflow_in_nov), strs(&[&["Service", "1", "1"]]));
}

#[test]
fn throughput_per_month() {
    assert_eq!(
        rows("throughput", &Filter::default()),
        strs(&[&["2026-10", "4", "3"], &["2026-11", "1", "1"]])
    );
    let october = Filter {
        until: Some("2026-10-31".into()),
        ..Filter::default()
    };
    assert_eq!(rows("throughput", &october), strs(&[&["2026-10", "4", "3"]]));
}

#[test]
fn rejection_rate_and_signoff_wait_per_environment() {
    assert_eq!(
        rows("rejections", &Filter::default()),
        strs(&[&["acceptance", "1", "0", "0.0"], &["test", "4", "2", "50.0"]])
    );
    // test: 2 h, 24 h, 1 h (the verdict without an invitation has no wait): median 2, p85 24.
    assert_eq!(
        rows("signoff-wait", &Filter::default()),
        strs(&[
            &["acceptance", "1", "6.5", "6.5", "6.5"],
            &["test", "3", "2.0", "24.0", "24.0"]
        ])
    );
}

#[test]
fn promotions_rollbacks_and_emergencies() {
    assert_eq!(
        rows("promotions", &Filter::default()),
        strs(&[
            &["2026-10", "production", "1", "1"],
            &["2026-10", "test", "2", "0"],
            &["2026-11", "production", "1", "0"],
        ])
    );
    // October: one emergency promotion, reviewed after its due time; November: a review still open.
    assert_eq!(
        rows("emergencies", &Filter::default()),
        strs(&[
            &["2026-10", "production", "1", "0", "1"],
            &["2026-11", "production", "0", "1", "0"]
        ])
    );
}

#[test]
fn unknown_report_and_bad_dates() {
    assert!(compute("velocity", &data(), &Filter::default()).is_none());
    for n in NAMES {
        assert!(compute(n, &data(), &Filter::default()).is_some(), "{n}");
    }
    let bad = Filter {
        since: Some("1 nov".into()),
        ..Filter::default()
    };
    assert!(bad.validate().unwrap_err().1.to_string().contains("since `1 nov`"));
}

#[test]
fn csv_quotes_and_neutralises_formulas() {
    let t = Table {
        name: "x".into(),
        columns: vec!["department".into(), "rfcs".into()],
        labels: 1,
        rows: vec![
            vec![Cell::Text("Sales, North".into()), Cell::Int(2)],
            vec![Cell::Text("say \"hi\"\nthere".into()), Cell::Num(-1.5)],
            vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Int(1)],
            vec![Cell::Text("+1".into()), Cell::Empty],
            vec![Cell::Text("-2".into()), Cell::Int(0)],
            vec![Cell::Text("@SUM(A1)".into()), Cell::Int(0)],
        ],
    };
    assert_eq!(
        to_csv(&t),
        "department,rfcs\r\n\"Sales, North\",2\r\n\"say \"\"hi\"\"\nthere\",-1.5\r\n\"'=HYPERLINK(\"\"x\"\")\",1\r\n'+1,\r\n'-2,0\r\n'@SUM(A1),0\r\n"
    );
}

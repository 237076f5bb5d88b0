//! Tests of `pipeline`.

use super::*;
use crate::domain::Pos;

fn at<T>(v: T, line: u32) -> Located<T> {
    Located::new(v, Pos::new(line, 1))
}

pub(crate) fn spec(name: &str, order: i64) -> EnvironmentSpec {
    EnvironmentSpec {
        name: at(name.to_string(), 1),
        label: at(name.to_uppercase().into(), 2),
        order: at(order, 3),
        path: None,
        platform_version: None,
        require_rfc: None,
        gates: vec![],
        freeze: vec![],
        four_eyes: false,
        notify: vec![],
        deploy: None,
        validate_before_promote: false,
        confirm_deletions: false,
        variables: Default::default(),
        secrets: vec![],
        live_drift: None,
    }
}

fn gate(kind: &str, arg: &str, line: u32) -> Located<OrderedMap<Located<String>, Located<String>>> {
    at(
        OrderedMap(vec![(at(kind.to_string(), line), at(arg.to_string(), line))]),
        line,
    )
}

fn file(name: &str) -> String {
    format!("environments/{name}.yaml")
}

fn default_specs() -> Vec<(String, EnvironmentSpec)> {
    ["develop", "test", "acceptance", "production"]
        .iter()
        .enumerate()
        .map(|(i, n)| (file(n), spec(n, i as i64 + 1)))
        .collect()
}

#[test]
fn orders_environments_and_finds_neighbours() {
    let mut specs = default_specs();
    specs.reverse();
    let (p, problems) = Pipeline::build(specs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        p.names().collect::<Vec<_>>(),
        ["develop", "test", "acceptance", "production"]
    );
    assert_eq!(p.previous("acceptance").unwrap().name, "test");
    assert!(p.previous("develop").is_none());
    assert_eq!(p.next("acceptance").unwrap().name, "production");
    assert!(p.next("production").is_none());
    assert!(p.previous("nowhere").is_none());
    assert_eq!(p.get("test").unwrap().path, "test");
    assert!(p.get("test").unwrap().require_rfc, "require_rfc defaults to true");
}

#[test]
fn empty_pipeline_is_a_problem() {
    let (_, problems) = Pipeline::build(vec![]);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("no environments"));
}

#[test]
fn duplicate_order_is_reported_at_the_order() {
    let mut specs = default_specs();
    specs[3].1.order = at(3, 7);
    let (_, problems) = Pipeline::build(specs);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("duplicate environment order 3"));
    assert_eq!(problems[0].line, Some(7));
}

#[test]
fn duplicate_name_is_reported() {
    let mut specs = default_specs();
    specs.push(("environments/test.yml".into(), spec("test", 9)));
    let (p, problems) = Pipeline::build(specs);
    assert!(
        problems
            .iter()
            .any(|x| x.message.contains("duplicate environment name `test`")),
        "{problems:?}"
    );
    assert_eq!(p.environments().len(), 4);
}

#[test]
fn file_name_must_match() {
    let mut specs = default_specs();
    specs[1].0 = "environments/tst.yaml".into();
    let (_, problems) = Pipeline::build(specs);
    assert!(problems[0].message.contains("file named `tst`"), "{problems:?}");
}

#[test]
fn invalid_names_and_paths() {
    let mut specs = vec![(file("Dev"), spec("Dev", 1))];
    specs[0].1.label = at("  ".into(), 2);
    let mut second = spec("test", 2);
    second.path = Some(at("Dev/../x".into(), 4));
    specs.push((file("test"), second));
    let (_, problems) = Pipeline::build(specs);
    let text = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(text.contains("environment name `Dev` is invalid"), "{text}");
    assert!(text.contains("label is empty"), "{text}");
    assert!(text.contains("path `Dev/../x` is invalid"), "{text}");
}

#[test]
fn gates_are_parsed_and_checked() {
    let mut specs = default_specs();
    specs[2].1.gates = vec![gate("signoff", "test", 10), gate("min_soak", "1d", 11)];
    let (p, problems) = Pipeline::build(specs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        p.get("acceptance").unwrap().gates,
        vec![
            Gate::Signoff {
                environment: "test".into()
            },
            Gate::MinSoak {
                duration: Duration::from_secs(86_400)
            }
        ]
    );
}

#[test]
fn unknown_gate_kind() {
    let mut specs = default_specs();
    specs[2].1.gates = vec![gate("sign_off", "test", 12)];
    let (_, problems) = Pipeline::build(specs);
    assert_eq!(problems[0].line, Some(12));
    assert!(problems[0].message.contains("unknown gate kind `sign_off`"));
    assert!(problems[0].message.contains("signoff, min_soak"));
}

#[test]
fn signoff_must_name_an_earlier_known_environment() {
    let mut specs = default_specs();
    specs[1].1.gates = vec![gate("signoff", "production", 5), gate("signoff", "staging", 6)];
    let (_, problems) = Pipeline::build(specs);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].message.contains("does not come before"));
    assert!(problems[1].message.contains("unknown environment `staging`"));
}

#[test]
fn bad_soak_duration_and_multi_key_gate() {
    let mut specs = default_specs();
    let two = OrderedMap(vec![
        (at("signoff".into(), 3), at("test".into(), 3)),
        (at("min_soak".into(), 3), at("1d".into(), 3)),
    ]);
    specs[2].1.gates = vec![gate("min_soak", "a day", 4), at(two, 5)];
    let (_, problems) = Pipeline::build(specs);
    assert!(problems[0].message.contains("min_soak: invalid duration"));
    assert!(problems[1].message.contains("one `kind: value` pair"));
}

#[test]
fn freeze_windows() {
    let mut specs = default_specs();
    let w = |from: &str, to: &str, line| {
        at(
            FreezeSpec {
                from: at(from.into(), line),
                to: at(to.into(), line),
                reason: "closing".into(),
            },
            line,
        )
    };
    specs[3].1.freeze = vec![
        w("2026-12-18", "2027-01-04", 20),
        w("2027-02-10", "2027-02-01", 21),
        w("18-12-2026", "2027-01-01", 22),
    ];
    let (p, problems) = Pipeline::build(specs);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("ends (2027-02-01) before it starts (2027-02-10)")
    );
    assert_eq!(problems[0].line, Some(21));
    assert!(problems[1].message.contains("not a date"));
    let prod = p.get("production").unwrap();
    assert_eq!(prod.freeze.len(), 1);
    assert!(prod.freeze[0].covers(time::macros::date!(2026 - 12 - 31)));
    assert!(prod.freeze[0].covers(time::macros::date!(2027 - 01 - 04)));
    assert!(!prod.freeze[0].covers(time::macros::date!(2027 - 01 - 05)));
}

#[test]
fn notify_must_be_emails() {
    let mut specs = default_specs();
    specs[3].1.notify = vec![at("CRM-Team@Example.org".into(), 30), at("crm team".into(), 31)];
    let (p, problems) = Pipeline::build(specs);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, Some(31));
    assert_eq!(p.get("production").unwrap().notify, vec!["crm-team@example.org"]);
}

#[test]
fn empty_platform_version() {
    let mut specs = default_specs();
    specs[0].1.platform_version = Some(at(" ".into(), 8));
    let (_, problems) = Pipeline::build(specs);
    assert!(problems[0].message.contains("platform_version is empty"));
}

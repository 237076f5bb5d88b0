use std::collections::BTreeMap;

use semver::Version;
use time::macros::datetime;

use super::*;
use crate::domain::located::OrderedMap;
use crate::domain::manifest::ManifestSpec;
use crate::domain::pipeline::{EnvironmentSpec, FreezeSpec};
use crate::domain::{Located, Pos};

fn at<T>(v: T) -> Located<T> {
    Located::new(v, Pos::new(1, 1))
}

fn gate(kind: &str, arg: &str) -> Located<OrderedMap<Located<String>, Located<String>>> {
    at(OrderedMap(vec![(at(kind.to_string()), at(arg.to_string()))]))
}

fn pipeline() -> Pipeline {
    let spec = |name: &str, order: i64| EnvironmentSpec {
        name: at(name.into()),
        label: at(name.into()),
        order: at(order),
        path: None,
        platform_version: Some(at("2026.2".into())),
        require_rfc: Some(order > 1),
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
    };
    let mut acc = spec("acceptance", 3);
    acc.gates = vec![gate("signoff", "test"), gate("min_soak", "1d")];
    acc.freeze = vec![at(FreezeSpec {
        from: at("2026-12-18".into()),
        to: at("2027-01-04".into()),
        reason: "year-end".into(),
    })];
    let mut prod = spec("production", 4);
    prod.four_eyes = true;
    let specs = vec![
        ("environments/develop.yaml".to_string(), spec("develop", 1)),
        ("environments/test.yaml".to_string(), spec("test", 2)),
        ("environments/acceptance.yaml".to_string(), acc),
        ("environments/production.yaml".to_string(), prod),
    ];
    let (p, problems) = Pipeline::build(specs);
    assert!(problems.is_empty(), "{problems:?}");
    p
}

fn manifest(version: &str) -> Manifest {
    Manifest::from_spec(
        "crm-core",
        ManifestSpec {
            name: "crm-core".into(),
            version: version.into(),
            rfcs: vec!["RFC-1".into()],
            description: None,
            requires_platform: Some("2026.2".into()),
            depends_on: BTreeMap::new(),
        },
    )
    .unwrap()
}

fn approved_everywhere(state: State) -> RfcFacts {
    let ok = SignoffFacts {
        testers: vec!["kim@example.org".into()],
        approved: vec!["kim@example.org".into()],
    };
    RfcFacts {
        id: "RFC-1".into(),
        state: Some(state),
        signoffs: [("test".to_string(), ok.clone()), ("acceptance".to_string(), ok)].into(),
    }
}

pub(super) struct Case {
    pub(super) p: Pipeline,
    m: Manifest,
    old: Version,
}

impl Case {
    pub(super) fn new() -> Case {
        Case {
            p: pipeline(),
            m: manifest("1.3.0"),
            old: Version::new(1, 2, 0),
        }
    }

    pub(super) fn facts(&self, to: &str) -> Facts<'_> {
        let to_env = self.p.get(to).unwrap();
        let from = self.p.previous(to).unwrap();
        let state = match to {
            "test" => State::Approved,
            "acceptance" => State::InTest,
            _ => State::Accepted,
        };
        Facts {
            package: "crm-core",
            pipeline: &self.p,
            from,
            to: to_env,
            source: &self.m,
            source_tree: "aaaaaaaaaaaa",
            target: Some((Some(&self.old), "bbbbbbbbbbbb")),
            rfcs: vec![approved_everywhere(state)],
            target_versions: BTreeMap::new(),
            arrived: Some(datetime!(2026-11-01 10:00 UTC)),
            previous_promoter: Some("rik@example.org".into()),
            promoter: "anna@example.org",
            may_promote: true,
            may_emergency: false,
            emergency: None,
            now: datetime!(2026-11-23 10:00 UTC),
            drift: vec![],
            source_drift: vec![],
            deployments: Default::default(),
            removed: &[],
            deletions_confirmed: false,
        }
    }
}

fn failed(v: &[GateVerdict]) -> Vec<String> {
    v.iter().filter(|x| !x.passed).map(|x| x.gate.clone()).collect()
}

#[test]
fn roles_follow_the_pipeline() {
    let p = pipeline();
    assert_eq!(role(&p, "develop"), Role::Develop);
    assert_eq!(role(&p, "test"), Role::Test);
    assert_eq!(role(&p, "acceptance"), Role::Acceptance);
    assert_eq!(role(&p, "production"), Role::Production);
    assert_eq!(role(&p, "nowhere"), Role::Other);
}

#[test]
fn everything_in_order_passes() {
    let c = Case::new();
    for env in ["test", "acceptance", "production"] {
        let v = evaluate(&c.facts(env));
        assert!(failed(&v).is_empty(), "{env}: {v:#?}");
        assert!(v.iter().all(|x| x.passed && x.remedy.is_none()));
    }
}

#[test]
fn permission() {
    let c = Case::new();
    let mut f = c.facts("test");
    f.may_promote = false;
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["permission"]);
    assert!(v[0].remedy.as_ref().unwrap().contains("promote.test"));
}

#[test]
fn only_from_the_directly_previous_environment() {
    let c = Case::new();
    let mut f = c.facts("acceptance");
    f.from = c.p.get("develop").unwrap();
    let v = evaluate(&f);
    assert!(failed(&v).contains(&"order".to_string()));
    let order = v.iter().find(|x| x.gate == "order").unwrap();
    assert!(order.reason.contains("from test only"), "{}", order.reason);
}

#[test]
fn versions_never_go_back_and_equal_versions_need_a_bump() {
    let mut c = Case::new();
    c.old = Version::new(1, 3, 0);
    let v = evaluate(&c.facts("test"));
    let g = v.iter().find(|x| x.gate == "version").unwrap();
    assert!(!g.passed);
    assert!(g.remedy.as_ref().unwrap().contains("bump the version"), "{g:?}");
    assert!(g.remedy.as_ref().unwrap().contains("1.3.1"));
    c.old = Version::new(2, 0, 0);
    let v = evaluate(&c.facts("test"));
    let g = v.iter().find(|x| x.gate == "version").unwrap();
    assert!(g.reason.contains("never goes backwards"));
    assert!(g.remedy.as_ref().unwrap().contains("dtap rollback"));
}

#[test]
fn already_there_is_detected_by_tree() {
    let c = Case::new();
    let mut f = c.facts("test");
    assert!(!already_there(&f));
    f.target = Some((Some(&c.old), "aaaaaaaaaaaa"));
    assert!(already_there(&f));
}

#[test]
fn every_change_traces_to_a_request() {
    let c = Case::new();
    let mut f = c.facts("test");
    f.rfcs.clear();
    assert_eq!(failed(&evaluate(&f)), ["rfcs"]);
    let mut p = pipeline();
    let mut envs: Vec<_> = p.environments().to_vec();
    envs[1].require_rfc = false;
    p = rebuild(envs);
    let mut f = c.facts("test");
    f.pipeline = &p;
    f.to = p.get("test").unwrap();
    f.from = p.get("develop").unwrap();
    f.rfcs.clear();
    assert!(failed(&evaluate(&f)).is_empty());
}

pub(super) fn rebuild(envs: Vec<Environment>) -> Pipeline {
    let mut p = pipeline();
    p.replace_environments(envs);
    p
}

#[test]
fn rfc_states_each_environment_accepts() {
    let c = Case::new();
    let cases = [
        ("test", State::Draft, false),
        ("test", State::Submitted, false),
        ("test", State::Approved, true),
        ("test", State::InDevelopment, true),
        ("test", State::OnHold, false),
        ("test", State::Rejected, false),
        ("test", State::Withdrawn, false),
        ("acceptance", State::InDevelopment, false),
        ("acceptance", State::InTest, true),
        ("acceptance", State::InAcceptance, true),
        ("production", State::InAcceptance, false),
        ("production", State::Accepted, true),
        // A released or closed RFC takes no new version anywhere.
        ("production", State::Released, false),
        ("test", State::Released, false),
        ("acceptance", State::Closed, false),
    ];
    for (env, state, ok) in cases {
        let mut f = c.facts(env);
        f.rfcs = vec![approved_everywhere(state)];
        let v = evaluate(&f);
        let g = v.iter().find(|x| x.gate == "rfcs").unwrap();
        assert_eq!(g.passed, ok, "{env} with {state}: {g:?}");
    }
    let mut f = c.facts("test");
    f.rfcs = vec![approved_everywhere(State::Released)];
    let g = evaluate(&f).into_iter().find(|x| x.gate == "rfcs").unwrap();
    let remedy = g.remedy.unwrap_or_default();
    assert!(
        remedy.contains("dtap rfc new --follows RFC-1") && remedy.contains("dtap rfc move RFC-1 reopen"),
        "{remedy}"
    );
    let mut f = c.facts("test");
    f.rfcs[0].state = None;
    let g = evaluate(&f).into_iter().find(|x| x.gate == "rfcs").unwrap();
    assert!(g.reason.contains("RFC-1 does not exist"));
}

#[test]
fn dependencies_must_be_there_at_a_matching_version() {
    let mut c = Case::new();
    c.m.depends_on
        .insert("crm-base".into(), semver::VersionReq::parse(">=1.2").unwrap());
    let mut f = c.facts("test");
    assert_eq!(failed(&evaluate(&f)), ["dependencies"]);
    f.target_versions.insert("crm-base".into(), Version::new(1, 1, 0));
    let g = evaluate(&f).into_iter().find(|x| x.gate == "dependencies").unwrap();
    assert!(g.reason.contains("has 1.1.0"));
    f.target_versions.insert("crm-base".into(), Version::new(1, 4, 0));
    assert!(failed(&evaluate(&f)).is_empty());
}

#[test]
fn platform_must_be_new_enough() {
    let mut c = Case::new();
    c.m.requires_platform = Some("2027.1".into());
    let v = evaluate(&c.facts("test"));
    assert_eq!(failed(&v), ["platform"]);
}

#[test]
fn drift_blocks_until_acknowledged() {
    let c = Case::new();
    let mut f = c.facts("production");
    f.drift = vec!["0123456789abcdef".into()];
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["drift"]);
    assert!(
        v.iter()
            .find(|x| x.gate == "drift")
            .unwrap()
            .remedy
            .as_ref()
            .unwrap()
            .contains("dtap drift ack production")
    );
}

#[test]
fn hand_changes_in_the_source_block_too() {
    let c = Case::new();
    let mut f = c.facts("acceptance");
    f.source_drift = vec!["abcdef0123".into()];
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["drift"]);
    assert!(
        v.iter()
            .any(|x| x.remedy.as_deref().is_some_and(|r| r.contains("dtap drift ack test")))
    );
}

#[test]
fn signoff_needs_every_appointed_tester_and_at_least_one() {
    let c = Case::new();
    let mut f = c.facts("acceptance");
    f.rfcs[0].signoffs.insert(
        "test".into(),
        SignoffFacts {
            testers: vec!["kim@example.org".into(), "lou@example.org".into()],
            approved: vec!["kim@example.org".into()],
        },
    );
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["signoff:test"]);
    assert!(
        v.iter()
            .find(|x| x.gate == "signoff:test")
            .unwrap()
            .reason
            .contains("lou@example.org")
    );
    f.rfcs[0].signoffs.insert("test".into(), SignoffFacts::default());
    let g = evaluate(&f).into_iter().find(|x| x.gate == "signoff:test").unwrap();
    assert!(g.reason.contains("no tester appointed"));
}

#[test]
fn production_always_needs_acceptance_signoff() {
    let c = Case::new();
    let mut f = c.facts("production");
    f.rfcs[0].signoffs.remove("acceptance");
    assert_eq!(failed(&evaluate(&f)), ["signoff:acceptance"]);
}

#[test]
fn soak_and_freeze_and_their_emergency_bypass() {
    let c = Case::new();
    let mut f = c.facts("acceptance");
    f.arrived = Some(datetime!(2026-11-23 02:00 UTC));
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["min_soak"]);
    assert!(
        v.iter()
            .find(|x| x.gate == "min_soak")
            .unwrap()
            .remedy
            .as_ref()
            .unwrap()
            .contains("2026-11-24T02:00:00Z")
    );
    f.now = datetime!(2026-12-20 10:00 UTC);
    f.arrived = Some(datetime!(2026-12-01 10:00 UTC));
    let v = evaluate(&f);
    assert_eq!(failed(&v), ["freeze"]);
    assert!(
        v.iter()
            .find(|x| x.gate == "freeze")
            .unwrap()
            .remedy
            .as_ref()
            .unwrap()
            .contains("2027-01-05")
    );
    // Emergency without permission, without reason, and with both.
    f.arrived = Some(datetime!(2026-12-20 09:00 UTC));
    f.emergency = Some("outage fix");
    assert_eq!(failed(&evaluate(&f)), ["emergency", "min_soak", "freeze"]);
    f.may_emergency = true;
    f.emergency = Some(" ");
    assert_eq!(failed(&evaluate(&f)), ["emergency", "min_soak", "freeze"]);
    f.emergency = Some("outage fix");
    assert!(failed(&evaluate(&f)).is_empty());
}

#[test]
fn emergency_never_bypasses_signoff_order_or_permission() {
    let c = Case::new();
    let mut f = c.facts("acceptance");
    f.may_emergency = true;
    f.emergency = Some("outage");
    f.may_promote = false;
    f.rfcs[0].signoffs.clear();
    f.from = c.p.get("develop").unwrap();
    let v = failed(&evaluate(&f));
    for g in ["permission", "order", "signoff:test"] {
        assert!(v.contains(&g.to_string()), "{g} in {v:?}");
    }
}

#[test]
fn four_eyes() {
    let c = Case::new();
    let mut f = c.facts("production");
    f.previous_promoter = Some("Anna@Example.org".into());
    assert_eq!(failed(&evaluate(&f)), ["four_eyes"]);
}

#[test]
fn a_withdrawn_package_moves_its_rfc_back_only_as_far_as_what_remains_requires() {
    use State::*;
    // Test: another package still there keeps the RFC in test.
    assert_eq!(state_after_withdrawal(Role::Test, InTest, Some(Approved), true), None);
    assert_eq!(
        state_after_withdrawal(Role::Test, InTest, Some(Approved), false),
        Some(Approved)
    );
    // Acceptance: the RFC is no longer wholly there, so back to test.
    assert_eq!(
        state_after_withdrawal(Role::Acceptance, Accepted, None, true),
        Some(InTest)
    );
    assert_eq!(
        state_after_withdrawal(Role::Acceptance, Accepted, Some(InTest), false),
        Some(InTest)
    );
    assert_eq!(
        state_after_withdrawal(Role::Production, Released, None, false),
        Some(Accepted)
    );
    // Never forwards, never an RFC someone put on hold or sent back meanwhile.
    assert_eq!(
        state_after_withdrawal(Role::Acceptance, InDevelopment, Some(InTest), false),
        None
    );
    assert_eq!(
        state_after_withdrawal(Role::Acceptance, OnHold, Some(InTest), false),
        None
    );
    assert_eq!(
        state_after_withdrawal(Role::Acceptance, InTest, Some(InTest), false),
        None
    );
}

//! Tests of `template`.

use super::*;
use crate::domain::Pos;

const ENVS: &[&str] = &["develop", "test", "acceptance", "production"];

fn at<T>(v: T, line: u32) -> Located<T> {
    Located::new(v, Pos::new(line, 5))
}

fn field(id: &str, kind: &str, line: u32) -> FieldSpec {
    FieldSpec {
        id: at(id.into(), line),
        label: at(format!("Label of {id}").into(), line),
        help: None,
        kind: at(kind.into(), line + 1),
        required: false,
        required_if: None,
        required_with: vec![],
        pattern: None,
        pattern_message: None,
        options: vec![],
        default: None,
    }
}

fn template(fields: Vec<FieldSpec>) -> TemplateSpec {
    TemplateSpec {
        id: at("report".into(), 1),
        title: at("Report or dashboard".into(), 2),
        description: Default::default(),
        department: None,
        fields: fields.into_iter().map(|f| at(f, 3)).collect(),
        test_cases: vec![],
    }
}

fn problems(spec: &TemplateSpec) -> Vec<String> {
    build("rfc-templates/report.yaml", spec, ENVS)
        .1
        .into_iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn every_field_type_is_accepted() {
    let fields = FieldType::ALL
        .iter()
        .enumerate()
        .map(|(i, (name, t))| {
            let mut f = field(&format!("f_{name}"), name, i as u32 * 2 + 4);
            if t.has_options() {
                f.options = vec![at("a".into(), 1), at("b".into(), 1)];
            }
            f
        })
        .collect();
    let (t, problems) = build("t.yaml", &template(fields), ENVS);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(t.unwrap().fields.len(), FieldType::ALL.len());
}

#[test]
fn unknown_type_names_the_field_and_line() {
    let text = problems(&template(vec![field("colour", "color-picker", 10)]));
    assert_eq!(
        text,
        [
            "rfc-templates/report.yaml:11:5: field `colour` has unknown type `color-picker`: expected one of text, textarea, select, multiselect, date, email, phone, number, checkbox, user"
        ]
    );
}

#[test]
fn required_if_and_with_must_name_existing_fields() {
    let mut initials = field("initials", "text", 4);
    initials.required_with = vec![at("last_name".into(), 6)];
    let mut reason = field("reason", "textarea", 7);
    reason.required_if = Some(at(
        RequiredIfSpec::Equals {
            field: "kind".into(),
            equals: "other".into(),
        },
        9,
    ));
    let mut me = field("me", "text", 10);
    me.required_if = Some(at(RequiredIfSpec::Filled("me".into()), 12));
    let text = problems(&template(vec![initials, reason, me]));
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(text[0].contains(":6:5: field `initials`: required_with names missing field `last_name`"));
    assert!(text[1].contains(":9:5: field `reason`: required_if names missing field `kind`"));
    assert!(text[2].contains("required_if itself"));
}

#[test]
fn valid_required_rules_are_kept() {
    let mut initials = field("initials", "text", 4);
    initials.required_with = vec![at("last_name".into(), 6)];
    let mut reason = field("reason", "textarea", 7);
    reason.required_if = Some(at(
        RequiredIfSpec::Equals {
            field: "kind".into(),
            equals: "other".into(),
        },
        9,
    ));
    let mut kind = field("kind", "select", 10);
    kind.options = vec![at("new".into(), 11), at("other".into(), 11)];
    let (t, problems) = build(
        "t.yaml",
        &template(vec![initials, field("last_name", "text", 5), reason, kind]),
        ENVS,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let t = t.unwrap();
    assert_eq!(t.field("initials").unwrap().required_with, ["last_name"]);
    assert_eq!(
        t.field("reason").unwrap().required_if,
        Some(RequiredIf::Equals {
            field: "kind".into(),
            equals: "other".into()
        })
    );
}

#[test]
fn invalid_regex_is_reported() {
    let mut phone = field("phone", "phone", 4);
    phone.pattern = Some(at(r"\+31[0-9{9}".into(), 8));
    let text = problems(&template(vec![phone]));
    assert_eq!(text.len(), 1);
    assert!(
        text[0].contains(":8:5: field `phone` has an invalid pattern"),
        "{text:?}"
    );
}

#[test]
fn pattern_is_anchored() {
    let mut phone = field("phone", "phone", 4);
    phone.pattern = Some(at(r"\+31[0-9]{9}".into(), 8));
    let (t, _) = build("t.yaml", &template(vec![phone]), ENVS);
    let re = t.unwrap().fields[0].pattern.clone().unwrap();
    assert!(re.is_match("+31612345678"));
    assert!(!re.is_match("tel +31612345678"));
}

#[test]
fn pattern_on_a_checkbox_is_refused() {
    let mut agree = field("agree", "checkbox", 4);
    agree.pattern = Some(at("yes".into(), 8));
    assert!(problems(&template(vec![agree]))[0].contains("cannot have a pattern"));
}

#[test]
fn options_rules() {
    let select = field("screen", "select", 4);
    let mut text = field("name", "text", 6);
    text.options = vec![at("a".into(), 8)];
    let mut dup = field("region", "multiselect", 9);
    dup.options = vec![at("north".into(), 10), at("north".into(), 11)];
    dup.default = Some(at("south".into(), 12));
    let out = problems(&template(vec![select, text, dup]));
    assert_eq!(out.len(), 4, "{out:?}");
    assert!(out[0].contains("is a select but has no `options`"));
    assert!(out[1].contains("does not use them"));
    assert!(out[2].contains("lists option `north` twice"));
    assert!(out[3].contains("default `south`, which is not one of its options"));
}

#[test]
fn ids_and_duplicates() {
    let out = problems(&template(vec![
        field("Screen", "text", 4),
        field("risk", "text", 6),
        field("a", "text", 8),
        field("a", "text", 10),
    ]));
    assert!(out.iter().any(|t| t.contains("field id `Screen` is invalid")));
    assert!(out.iter().any(|t| t.contains("`risk` is a core field")));
    assert!(out.iter().any(|t| t.contains("duplicate field id `a`")));
    let mut no_fields = template(vec![]);
    no_fields.id = at("Bad Id".into(), 1);
    let out = problems(&no_fields);
    assert!(out.iter().any(|t| t.contains("has no fields")));
    assert!(out.iter().any(|t| t.contains("template id `Bad Id` is invalid")));
}

#[test]
fn test_cases_need_known_environment_and_kind() {
    let mut t = template(vec![field("screen", "text", 4)]);
    let tc = |env: &str, kind: &str, line| {
        at(
            TestCaseSpec {
                title: at("Report shows last week".into(), line),
                steps: "Open the report".into(),
                expected: "Totals per rep".into(),
                environment: at(env.into(), line + 1),
                kind: at(kind.into(), line + 2),
            },
            line,
        )
    };
    t.test_cases = vec![tc("test", "functional-test", 20), tc("staging", "smoke-test", 30)];
    let out = problems(&t);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].contains(":31:5: test case names unknown environment `staging`"));
    assert!(out[1].contains(":32:5: unknown test kind `smoke-test`"));
}

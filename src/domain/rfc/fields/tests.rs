//! Tests of `fields`.

use super::*;
use crate::domain::template::{self, FieldSpec, RequiredIfSpec, TemplateSpec};
use crate::domain::{Located, Pos};

fn at<T>(v: T) -> Located<T> {
    Located::new(v, Pos::new(1, 1))
}

fn field(id: &str, kind: &str) -> FieldSpec {
    FieldSpec {
        id: at(id.into()),
        label: at(format!("The {id}").into()),
        help: None,
        kind: at(kind.into()),
        required: false,
        required_if: None,
        required_with: vec![],
        pattern: None,
        pattern_message: None,
        options: vec![],
        default: None,
    }
}

fn template() -> Template {
    let mut screen = field("screen", "select");
    screen.options = vec![at("Home".into()), at("Other".into())];
    screen.required = true;
    let mut other = field("other_screen", "text");
    other.required_if = Some(at(RequiredIfSpec::Equals {
        field: "screen".into(),
        equals: "Other".into(),
    }));
    let mut regions = field("regions", "multiselect");
    regions.options = vec![at("North".into()), at("South, East".into())];
    let mut initials = field("initials", "text");
    initials.pattern = Some(at(r"([A-Z]\.)+".into()));
    initials.pattern_message = Some("Write initials as J.P.".into());
    initials.required_with = vec![at("last_name".into())];
    let mut phone = field("phone", "phone");
    phone.pattern = Some(at(r"\+31[0-9]{9}".into()));
    let mut notes = field("notes", "textarea");
    notes.required_if = Some(at(RequiredIfSpec::Filled("agree".into())));
    let spec = TemplateSpec {
        id: at("t".into()),
        title: at("T".into()),
        description: Default::default(),
        department: None,
        fields: [
            screen,
            other,
            regions,
            initials,
            field("last_name", "text"),
            phone,
            field("due", "date"),
            field("mail", "email"),
            field("owner", "user"),
            field("amount", "number"),
            field("agree", "checkbox"),
            notes,
        ]
        .into_iter()
        .map(at)
        .collect(),
        test_cases: vec![],
    };
    let (t, problems) = template::build("t.yaml", &spec, &["test"]);
    assert!(problems.is_empty(), "{problems:?}");
    t.unwrap()
}

fn text(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), FieldValue::Text(v.to_string())))
        .collect()
}

#[test]
fn valid_values_are_normalised() {
    let t = template();
    let mut input = text(&[
        ("screen", "Home"),
        ("initials", "J.P."),
        ("phone", "+31612345678"),
        ("due", "2026-12-31"),
        ("mail", "Anna@Example.org"),
        ("owner", "Rik@example.org"),
        ("amount", "12,5"),
        ("agree", "on"),
        ("priority", "must"),
        ("risk", "low"),
        ("impact_individual", "  Saves me an hour a week "),
        ("last_name", ""),
    ]);
    input.insert(
        "regions".into(),
        FieldValue::List(vec!["South, East".into(), "North".into(), "North".into()]),
    );
    let out = normalise(&t, &input).unwrap();
    assert_eq!(out["mail"], FieldValue::Text("anna@example.org".into()));
    assert_eq!(out["amount"], FieldValue::Text("12.5".into()));
    assert_eq!(out["agree"], FieldValue::Text("true".into()));
    assert_eq!(
        out["impact_individual"],
        FieldValue::Text("Saves me an hour a week".into())
    );
    assert_eq!(
        out["regions"],
        FieldValue::List(vec!["South, East".into(), "North".into()])
    );
    assert!(!out.contains_key("last_name"), "empty answers are not stored");
}

#[test]
fn each_type_refuses_what_it_is_not() {
    let t = template();
    let cases = [
        ("screen", "Elsewhere", "not one of the options"),
        ("initials", "jp", "Write initials as J.P."),
        ("phone", "0612345678", "does not match the pattern"),
        ("phone", "call me", "not a phone number"),
        ("due", "31-12-2026", "not a date"),
        ("mail", "anna", "not an e-mail address"),
        ("owner", "rik", "not an e-mail address"),
        ("amount", "twelve", "not a number"),
        ("agree", "maybe", "not yes or no"),
        ("priority", "urgent", "not one of must, should, could, wont"),
        ("risk", "extreme", "not one of low, medium, high"),
        ("colour", "red", "has no field `colour`"),
    ];
    for (id, value, needle) in cases {
        let errors = normalise(&t, &text(&[(id, value)])).unwrap_err();
        assert_eq!(errors.len(), 1, "{id}");
        assert_eq!(errors[0].field, id);
        assert!(
            errors[0].message.to_string().contains(needle),
            "{id}: {}",
            errors[0].message
        );
    }
    let mut input = Fields::new();
    input.insert("regions".into(), FieldValue::List(vec!["West".into()]));
    assert!(
        normalise(&t, &input).unwrap_err()[0]
            .message
            .to_string()
            .contains("not one of the options")
    );
    let mut input = Fields::new();
    input.insert("screen".into(), FieldValue::List(vec!["Home".into(), "Other".into()]));
    assert!(
        normalise(&t, &input).unwrap_err()[0]
            .message
            .to_string()
            .contains("one value")
    );
}

#[test]
fn pairs_become_answers() {
    let t = template();
    let pairs: Vec<(String, String)> = [
        ("csrf_token", "x"),
        ("regions", "North"),
        ("regions", "South, East"),
        ("agree", "false"),
        ("agree", "true"),
        ("screen", "Home"),
        ("risk", "low"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let f = from_pairs(&t, &pairs, true);
    assert!(!f.contains_key("csrf_token"));
    assert_eq!(
        f["regions"],
        FieldValue::List(vec!["North".into(), "South, East".into()])
    );
    assert_eq!(f["agree"], FieldValue::Text("true".into()));
    assert_eq!(f["risk"], FieldValue::Text("low".into()));
    let f = from_pairs(&t, &[("colour".into(), "red".into())], false);
    assert!(
        f.contains_key("colour"),
        "the CLI passes unknown names on, to be refused by name"
    );
}

#[test]
fn submit_needs_required_fields() {
    let t = template();
    let errors = submit_problems(&t, " ", &Fields::new());
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "screen"]);
    assert!(submit_problems(&t, "Sales button", &text(&[("screen", "Home")])).is_empty());
}

#[test]
fn required_if_equals() {
    let t = template();
    let errors = submit_problems(&t, "x", &text(&[("screen", "Other")]));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "other_screen");
    assert!(
        errors[0]
            .message
            .to_string()
            .contains("because \"The screen\" is \"Other\""),
        "{}",
        errors[0].message
    );
}

#[test]
fn required_if_filled_treats_an_unticked_box_as_empty() {
    let t = template();
    assert!(submit_problems(&t, "x", &text(&[("screen", "Home"), ("agree", "false")])).is_empty());
    let errors = submit_problems(&t, "x", &text(&[("screen", "Home"), ("agree", "true")]));
    assert_eq!(errors[0].field, "notes");
    assert!(errors[0].message.to_string().contains("is filled in"));
}

#[test]
fn required_with() {
    let t = template();
    let errors = submit_problems(&t, "x", &text(&[("screen", "Home"), ("initials", "J.")]));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "last_name");
    assert!(errors[0].message.to_string().contains("together with \"The initials\""));
    assert!(submit_problems(&t, "x", &text(&[("screen", "Home"), ("last_name", "Jansen")])).is_empty());
}

#[test]
fn approval_needs_impact_and_risk() {
    assert_eq!(
        missing_for_approval(&Fields::new()),
        ["impact_organisation", "impact_department", "impact_individual", "risk"]
    );
    let all = text(&[
        ("impact_organisation", "a"),
        ("impact_department", "b"),
        ("impact_individual", "c"),
        ("risk", "low"),
    ]);
    assert!(missing_for_approval(&all).is_empty());
}

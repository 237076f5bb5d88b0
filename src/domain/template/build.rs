//! Checks an RFC template as written against the rules and the pipeline,
//! and builds the template the app uses, with every problem found (file,
//! line, field).

use std::collections::{BTreeSet, HashSet};

use super::*;
use crate::domain::problem::Problems;
use crate::domain::{Problem, names};

/// Checks one template against the rules and the pipeline's environment names.
/// Returns the template when it is usable, and every problem found.
pub fn build(file: &str, spec: &TemplateSpec, environments: &[&str]) -> (Option<Template>, Vec<Problem>) {
    let mut p = Problems::new(file);
    if !names::is_slug(&spec.id.value) {
        p.add(
            spec.id.pos,
            format!(
                "template id `{}` is invalid: use lower-case letters, digits and `-`",
                spec.id.value
            ),
        );
    }
    if spec.title.value.is_blank() {
        p.add(
            spec.title.pos,
            "title is empty: say in business words what this template is for",
        );
    }
    if spec.fields.is_empty() {
        p.add(
            spec.id.pos,
            "template has no fields: add at least one question under `fields:`",
        );
    }
    let ids: BTreeSet<&str> = spec.fields.iter().map(|f| f.value.id.value.as_str()).collect();
    let mut seen = HashSet::new();
    let mut fields = Vec::new();
    for f in &spec.fields {
        let f = &f.value;
        let id = f.id.value.as_str();
        if !names::is_field_id(id) {
            p.add(
                f.id.pos,
                format!("field id `{id}` is invalid: use lower-case letters, digits and `_`, starting with a letter"),
            );
        }
        if CORE_FIELDS.contains(&id) {
            p.add(
                f.id.pos,
                format!("field id `{id}` is a core field every RFC already has: choose another id"),
            );
        }
        if !seen.insert(id) {
            p.add(f.id.pos, format!("duplicate field id `{id}`"));
        }
        if f.label.value.is_blank() {
            p.add(f.label.pos, format!("field `{id}` has an empty label"));
        }
        let Some(kind) = FieldType::parse(&f.kind.value) else {
            let all: Vec<&str> = FieldType::ALL.iter().map(|(n, _)| *n).collect();
            p.add(
                f.kind.pos,
                format!(
                    "field `{id}` has unknown type `{}`: expected one of {}",
                    f.kind.value,
                    all.join(", ")
                ),
            );
            continue;
        };
        if kind.has_options() {
            if f.options.is_empty() {
                p.add(
                    f.kind.pos,
                    format!("field `{id}` is a {} but has no `options`", f.kind.value),
                );
            }
            let mut opts = HashSet::new();
            for o in &f.options {
                if !opts.insert(o.value.value.as_str()) {
                    p.add(o.pos, format!("field `{id}` lists option `{}` twice", o.value.value));
                }
            }
        } else if let Some(o) = f.options.first() {
            p.add(
                o.pos,
                format!(
                    "field `{id}` has `options` but its type `{}` does not use them: use select or multiselect",
                    f.kind.value
                ),
            );
        }
        let required_if = f.required_if.as_ref().and_then(|r| {
            let (field, rule) = match &r.value {
                RequiredIfSpec::Filled(field) => (field.clone(), RequiredIf::Filled { field: field.clone() }),
                RequiredIfSpec::Equals { field, equals } => (
                    field.clone(),
                    RequiredIf::Equals {
                        field: field.clone(),
                        equals: equals.clone(),
                    },
                ),
            };
            if field == id {
                p.add(r.pos, format!("field `{id}` is required_if itself"));
                None
            } else if !ids.contains(field.as_str()) {
                p.add(
                    r.pos,
                    format!("field `{id}`: required_if names missing field `{field}`"),
                );
                None
            } else {
                Some(rule)
            }
        });
        let mut required_with = Vec::new();
        for w in &f.required_with {
            if w.value == id {
                p.add(w.pos, format!("field `{id}` is required_with itself"));
            } else if !ids.contains(w.value.as_str()) {
                p.add(
                    w.pos,
                    format!("field `{id}`: required_with names missing field `{}`", w.value),
                );
            } else {
                required_with.push(w.value.clone());
            }
        }
        let pattern = f.pattern.as_ref().and_then(|pat| {
            if !kind.takes_pattern() {
                p.add(
                    pat.pos,
                    format!("field `{id}` of type `{}` cannot have a pattern", f.kind.value),
                );
                return None;
            }
            // Anchored so a pattern describes the whole answer, not a part of it.
            match regex::Regex::new(&format!("^(?:{})$", pat.value)) {
                Ok(r) => Some(r),
                Err(e) => {
                    let detail = e.to_string();
                    let last = detail.lines().last().unwrap_or("").trim().to_string();
                    p.add(
                        pat.pos,
                        format!("field `{id}` has an invalid pattern `{}`: {last}", pat.value),
                    );
                    None
                }
            }
        });
        if let Some(d) = &f.default
            && kind.has_options()
            && !d
                .value
                .split(',')
                .map(str::trim)
                .all(|v| f.options.iter().any(|o| o.value.value == v))
        {
            p.add(
                d.pos,
                format!(
                    "field `{id}` has default `{}`, which is not one of its options",
                    d.value
                ),
            );
        }
        fields.push(Field {
            id: id.to_string(),
            label: f.label.value.en.clone(),
            help: f.help.as_ref().map(|h| h.en.clone()),
            kind,
            required: f.required,
            required_if,
            required_with,
            pattern,
            pattern_message: f.pattern_message.as_ref().map(|m| m.en.clone()),
            options: f.options.iter().map(|o| o.value.value.clone()).collect(),
            option_labels: f.options.iter().map(|o| o.value.label.en.clone()).collect(),
            default: f.default.as_ref().map(|d| d.value.clone()),
        });
    }
    let mut test_cases = Vec::new();
    for tc in &spec.test_cases {
        let tc = &tc.value;
        if tc.title.value.is_blank() {
            p.add(tc.title.pos, "test case has an empty title");
        }
        if !environments.contains(&tc.environment.value.as_str()) {
            p.add(
                tc.environment.pos,
                format!(
                    "test case names unknown environment `{}`; known: {}",
                    tc.environment.value,
                    environments.join(", ")
                ),
            );
        }
        let kind = TestKind::parse(&tc.kind.value);
        if kind.is_none() {
            p.add(
                tc.kind.pos,
                format!(
                    "unknown test kind `{}`: expected functional-test, acceptance-test or regression-test",
                    tc.kind.value
                ),
            );
        }
        if let Some(kind) = kind {
            test_cases.push(TestCaseTemplate {
                title: tc.title.value.en.clone(),
                steps: tc.steps.en.clone(),
                expected: tc.expected.en.clone(),
                environment: tc.environment.value.clone(),
                kind,
            });
        }
    }
    let ok = p.list.is_empty();
    let template = Template {
        id: spec.id.value.clone(),
        title: spec.title.value.en.clone(),
        description: spec.description.en.clone(),
        department: spec.department.clone(),
        fields,
        test_cases,
        texts: translations(spec),
    };
    (ok.then_some(template), p.list)
}

/// English → Dutch for every text of `spec` written in both languages.
fn translations(spec: &TemplateSpec) -> Vec<(String, String)> {
    let mut texts: Vec<&Text> = vec![&spec.title.value, &spec.description];
    for f in &spec.fields {
        let f = &f.value;
        texts.push(&f.label.value);
        texts.extend(f.help.iter().chain(f.pattern_message.iter()));
        texts.extend(f.options.iter().map(|o| &o.value.label));
    }
    for tc in &spec.test_cases {
        texts.extend([&tc.value.title.value, &tc.value.steps, &tc.value.expected]);
    }
    texts.into_iter().filter_map(Text::translation).collect()
}

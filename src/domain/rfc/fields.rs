//! Answers to an RFC's questions: the template's fields plus the core fields
//! every RFC has. Checked the same way for the web form, the API and the CLI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use super::{IMPACT_FIELDS, Priority, Risk};
use crate::domain::template::{Field, FieldType, RequiredIf, Template};
use crate::domain::{Msg, names};
use crate::msg;

/// One answer: text, or a list for multiselect fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    List(Vec<String>),
}

impl FieldValue {
    pub fn is_filled(&self) -> bool {
        match self {
            FieldValue::Text(t) => !t.trim().is_empty() && t != "false",
            FieldValue::List(l) => l.iter().any(|v| !v.trim().is_empty()),
        }
    }

    pub fn contains(&self, value: &str) -> bool {
        match self {
            FieldValue::Text(t) => t == value,
            FieldValue::List(l) => l.iter().any(|v| v == value),
        }
    }

    /// For search and plain display.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Text(t) => t.clone(),
            FieldValue::List(l) => l.join(", "),
        }
    }
}

/// Field id → answer.
pub type Fields = BTreeMap<String, FieldValue>;

/// One problem with one field, the same shape for HTML forms and the API.
/// `field` is the field's id (the API's); `label` what a page calls it, when
/// the one who found the problem knew (a template question's label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: Msg,
    #[serde(skip)]
    pub label: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, message: Msg) -> FieldError {
        FieldError {
            field: field.to_string(),
            message,
            label: None,
        }
    }

    /// The same problem, with the label a page shows for the field.
    pub fn labelled(mut self, label: &str) -> FieldError {
        self.label = Some(label.to_string());
        self
    }
}

/// Core fields and the values they take. `None` means free text.
pub const CORE: &[(&str, &str, Option<&[&str]>)] = &[
    (
        "priority",
        "Priority (MoSCoW)",
        Some(&["must", "should", "could", "wont"]),
    ),
    ("impact_organisation", "Impact on the organisation", None),
    ("impact_department", "Impact on the department", None),
    (
        "impact_individual",
        "Impact on the individual (what's in it for me?)",
        None,
    ),
    ("risk", "Risk", Some(&["low", "medium", "high"])),
];

pub fn is_core(id: &str) -> bool {
    CORE.iter().any(|(c, _, _)| *c == id)
}

/// What people read for a core field's option value (`should` is stored,
/// "Should have" is shown); any other value is shown as it is.
pub fn core_option_label(value: &str) -> &str {
    match value {
        "must" => "Must have",
        "should" => "Should have",
        "could" => "Could have",
        "wont" => "Won't have this time",
        "low" => "Low",
        "medium" => "Medium",
        "high" => "High",
        other => other,
    }
}

/// Groups `name=value` pairs (a form post, repeated `--field` options) into
/// answers: repeated names of a multiselect field become one list. With
/// `only_known`, names that are neither template nor core fields are skipped
/// (a form carries other inputs, such as its CSRF token).
pub fn from_pairs(template: &Template, pairs: &[(String, String)], only_known: bool) -> Fields {
    let mut out = Fields::new();
    for (k, v) in pairs {
        let field = template.field(k);
        if only_known && field.is_none() && !is_core(k) {
            continue;
        }
        if field.is_some_and(|f| f.kind == FieldType::Multiselect) {
            match out.entry(k.clone()).or_insert_with(|| FieldValue::List(Vec::new())) {
                FieldValue::List(l) => {
                    if !v.trim().is_empty() {
                        l.push(v.clone())
                    }
                }
                FieldValue::Text(_) => {}
            }
        } else if field.is_some_and(|f| f.kind == FieldType::Checkbox) {
            // An unticked box sends nothing, a ticked one its value; a hidden
            // "false" before it makes unticking count.
            let ticked = !matches!(v.as_str(), "" | "false");
            let prev = matches!(out.get(k), Some(FieldValue::Text(t)) if t == "true");
            out.insert(
                k.clone(),
                FieldValue::Text(if ticked || prev { "true" } else { "false" }.into()),
            );
        } else {
            out.insert(k.clone(), FieldValue::Text(v.clone()));
        }
    }
    out
}

/// Normalises and checks answers for their format. Values that do not follow
/// their field's type or pattern are refused whenever they are saved, draft
/// or not. Unknown field ids are refused too. Returns the normalised fields.
pub fn normalise(template: &Template, input: &Fields) -> Result<Fields, Vec<FieldError>> {
    let mut out = Fields::new();
    let mut errors = Vec::new();
    for (id, value) in input {
        if let Some(field) = template.field(id) {
            match normalise_value(field, value) {
                Ok(Some(v)) => {
                    out.insert(id.clone(), v);
                }
                Ok(None) => {}
                Err(m) => errors.push(FieldError::new(id, m).labelled(&field.label)),
            }
        } else if let Some((_, _, options)) = CORE.iter().find(|(c, _, _)| c == id) {
            let FieldValue::Text(t) = value else {
                errors.push(FieldError::new(id, msg!("give one value")));
                continue;
            };
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            if let Some(options) = options {
                let ok = match id.as_str() {
                    "priority" => t.parse::<Priority>().is_ok(),
                    "risk" => t.parse::<Risk>().is_ok(),
                    _ => options.contains(&t),
                };
                if !ok {
                    errors.push(FieldError::new(
                        id,
                        msg!("`{t}` is not one of {options}", t, options = options.join(", ")),
                    ));
                    continue;
                }
            }
            out.insert(id.clone(), FieldValue::Text(t.to_string()));
        } else {
            let known: Vec<&str> = template
                .fields
                .iter()
                .map(|f| f.id.as_str())
                .chain(CORE.iter().map(|c| c.0))
                .collect();
            errors.push(FieldError::new(
                id,
                msg!(
                    "template `{template}` has no field `{id}`; its fields are: {known}",
                    template = &template.id,
                    id,
                    known = known.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn normalise_value(field: &Field, value: &FieldValue) -> Result<Option<FieldValue>, Msg> {
    if field.kind == FieldType::Multiselect {
        let items: Vec<String> = match value {
            FieldValue::List(l) => l
                .iter()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect(),
            FieldValue::Text(t) if t.trim().is_empty() => vec![],
            FieldValue::Text(t) => vec![t.trim().to_string()],
        };
        for item in &items {
            if !field.options.contains(item) {
                return Err(msg!(
                    "`{item}` is not one of the options: {options}",
                    item,
                    options = field.options.join(", ")
                ));
            }
        }
        let mut unique = Vec::new();
        for i in items {
            if !unique.contains(&i) {
                unique.push(i);
            }
        }
        return Ok((!unique.is_empty()).then_some(FieldValue::List(unique)));
    }
    let text = match value {
        FieldValue::Text(t) => t.trim().to_string(),
        FieldValue::List(l) if l.len() <= 1 => l.first().map(|s| s.trim().to_string()).unwrap_or_default(),
        FieldValue::List(_) => return Err(msg!("give one value")),
    };
    if field.kind == FieldType::Checkbox {
        return match text.to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "off" | "0" => Ok(Some(FieldValue::Text("false".into()))),
            "true" | "yes" | "on" | "1" => Ok(Some(FieldValue::Text("true".into()))),
            _ => Err(msg!("`{text}` is not yes or no", text)),
        };
    }
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > 20_000 {
        return Err(msg!("is longer than 20,000 characters"));
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match field.kind {
        FieldType::Select if !field.options.contains(&text) => {
            return Err(msg!(
                "`{item}` is not one of the options: {options}",
                item = &text,
                options = field.options.join(", ")
            ));
        }
        FieldType::Date if Date::parse(&text, &fmt).is_err() => {
            return Err(msg!(
                "`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2026-12-31",
                text
            ));
        }
        FieldType::Email | FieldType::User if !names::is_email(&text) => {
            return Err(msg!("`{text}` is not an e-mail address", text));
        }
        FieldType::Phone if !is_phone(&text) => {
            return Err(msg!(
                "`{text}` is not a phone number: use digits, spaces and an optional leading +",
                text
            ));
        }
        FieldType::Number
            if text
                .replace(',', ".")
                .parse::<f64>()
                .map(|n| !n.is_finite())
                .unwrap_or(true) =>
        {
            return Err(msg!("`{text}` is not a number", text));
        }
        _ => {}
    }
    let text = match field.kind {
        FieldType::Email | FieldType::User => names::normalise_email(&text),
        FieldType::Number => text.replace(',', "."),
        _ => text,
    };
    if let Some(re) = &field.pattern
        && !re.is_match(&text)
    {
        return Err(match &field.pattern_message {
            Some(m) => Msg::verbatim(m),
            None => msg!("does not match the pattern {pattern}", pattern = re.as_str()),
        });
    }
    Ok(Some(FieldValue::Text(text)))
}

fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
}

/// Everything that stops an RFC from being submitted: required fields
/// (including `required_if` and `required_with`) that are empty.
pub fn submit_problems(template: &Template, title: &str, fields: &Fields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if title.trim().is_empty() {
        errors.push(FieldError::new(
            "title",
            msg!("is required: give the request a short title"),
        ));
    }
    let filled = |id: &str| fields.get(id).is_some_and(FieldValue::is_filled);
    for f in &template.fields {
        if filled(&f.id) {
            continue;
        }
        if f.required {
            errors.push(FieldError::new(&f.id, msg!("\"{label}\" is required", label = &f.label)).labelled(&f.label));
            continue;
        }
        if let Some(rule) = &f.required_if {
            let other = template
                .field(rule.field())
                .map(|o| o.label.as_str())
                .unwrap_or(rule.field());
            let applies = match rule {
                RequiredIf::Filled { field } => filled(field),
                RequiredIf::Equals { field, equals } => fields.get(field).is_some_and(|v| v.contains(equals)),
            };
            if applies {
                let label = &f.label;
                let m = match rule {
                    RequiredIf::Filled { .. } => {
                        msg!("\"{label}\" is required because \"{other}\" is filled in", label, other)
                    }
                    RequiredIf::Equals { equals, .. } => {
                        msg!(
                            "\"{label}\" is required because \"{other}\" is \"{equals}\"",
                            label,
                            other,
                            equals
                        )
                    }
                };
                errors.push(FieldError::new(&f.id, m).labelled(label));
                continue;
            }
        }
        if let Some(other) = template
            .fields
            .iter()
            .find(|o| o.required_with.contains(&f.id) && filled(&o.id))
        {
            errors.push(
                FieldError::new(
                    &f.id,
                    msg!(
                        "\"{label}\" is required together with \"{other}\"",
                        label = &f.label,
                        other = &other.label
                    ),
                )
                .labelled(&f.label),
            );
        }
    }
    errors
}

/// The core fields approval needs that are still empty.
pub fn missing_for_approval(fields: &Fields) -> Vec<&'static str> {
    IMPACT_FIELDS
        .iter()
        .chain(["risk"].iter())
        .copied()
        .filter(|f| !fields.get(*f).is_some_and(FieldValue::is_filled))
        .collect()
}

#[cfg(test)]
mod tests;

//! RFC templates: the questions a request asks, in business words, and the
//! conventions its answers must follow.
//!
//! The format here, its validation in `template/build.rs` (one contract
//! with template authors); tests in `template/tests.rs`.

use serde::{Deserialize, Serialize};

use super::Located;
use super::text::{Choice, Text};

/// `rfc-templates/<id>.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    pub id: Located<String>,
    pub title: Located<Text>,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub department: Option<String>,
    pub fields: Vec<Located<FieldSpec>>,
    #[serde(default)]
    pub test_cases: Vec<Located<TestCaseSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub id: Located<String>,
    pub label: Located<Text>,
    #[serde(default)]
    pub help: Option<Text>,
    #[serde(rename = "type")]
    pub kind: Located<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub required_if: Option<Located<RequiredIfSpec>>,
    #[serde(default)]
    pub required_with: Vec<Located<String>>,
    #[serde(default)]
    pub pattern: Option<Located<String>>,
    #[serde(default)]
    pub pattern_message: Option<Text>,
    #[serde(default)]
    pub options: Vec<Located<Choice>>,
    #[serde(default)]
    pub default: Option<Located<String>>,
}

/// `required_if: other_field` (required when that field has a value) or
/// `required_if: {field: other_field, equals: value}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RequiredIfSpec {
    Filled(String),
    Equals { field: String, equals: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCaseSpec {
    pub title: Located<Text>,
    #[serde(default)]
    pub steps: Text,
    #[serde(default)]
    pub expected: Text,
    pub environment: Located<String>,
    pub kind: Located<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Textarea,
    Select,
    Multiselect,
    Date,
    Email,
    Phone,
    Number,
    Checkbox,
    User,
}

impl FieldType {
    pub const ALL: &[(&str, FieldType)] = &[
        ("text", FieldType::Text),
        ("textarea", FieldType::Textarea),
        ("select", FieldType::Select),
        ("multiselect", FieldType::Multiselect),
        ("date", FieldType::Date),
        ("email", FieldType::Email),
        ("phone", FieldType::Phone),
        ("number", FieldType::Number),
        ("checkbox", FieldType::Checkbox),
        ("user", FieldType::User),
    ];

    pub fn parse(s: &str) -> Option<FieldType> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }

    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::Multiselect)
    }

    /// Types whose free text a `pattern` can constrain.
    pub fn takes_pattern(self) -> bool {
        matches!(
            self,
            FieldType::Text | FieldType::Textarea | FieldType::Email | FieldType::Phone
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestKind {
    FunctionalTest,
    AcceptanceTest,
    RegressionTest,
}

impl TestKind {
    pub const ALL: &[(&str, TestKind)] = &[
        ("functional-test", TestKind::FunctionalTest),
        ("acceptance-test", TestKind::AcceptanceTest),
        ("regression-test", TestKind::RegressionTest),
    ];

    pub fn parse(s: &str) -> Option<TestKind> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RequiredIf {
    Filled { field: String },
    Equals { field: String, equals: String },
}

impl RequiredIf {
    pub fn field(&self) -> &str {
        match self {
            RequiredIf::Filled { field } | RequiredIf::Equals { field, .. } => field,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    pub required_if: Option<RequiredIf>,
    pub required_with: Vec<String>,
    #[serde(serialize_with = "ser_regex")]
    pub pattern: Option<regex::Regex>,
    pub pattern_message: Option<String>,
    /// The values an answer may take.
    pub options: Vec<String>,
    /// Each option's label (English; the workspace's catalogue has the Dutch), as `options`.
    pub option_labels: Vec<String>,
    pub default: Option<String>,
}

impl Field {
    /// What people see for an answer `value`: its option's label, else the value.
    pub fn option_label<'a>(&'a self, value: &'a str) -> &'a str {
        self.options
            .iter()
            .position(|o| o == value)
            .and_then(|i| self.option_labels.get(i))
            .map_or(value, String::as_str)
    }
}

fn ser_regex<S: serde::Serializer>(r: &Option<regex::Regex>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_some(r.as_str()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestCaseTemplate {
    pub title: String,
    pub steps: String,
    pub expected: String,
    pub environment: String,
    pub kind: TestKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub id: String,
    pub title: String,
    pub description: String,
    pub department: Option<String>,
    pub fields: Vec<Field>,
    pub test_cases: Vec<TestCaseTemplate>,
    /// English → Dutch for the texts the author gave in both languages.
    #[serde(skip)]
    pub texts: Vec<(String, String)>,
}

impl Template {
    /// The answers a new RFC starts with: each field's `default`, a
    /// multiselect's as its comma-separated options.
    pub fn defaults(&self) -> crate::domain::rfc::Fields {
        let mut values = crate::domain::rfc::Fields::new();
        for f in &self.fields {
            if let Some(d) = &f.default {
                let v = if f.kind == FieldType::Multiselect {
                    crate::domain::rfc::FieldValue::List(d.split(',').map(|s| s.trim().to_string()).collect())
                } else {
                    crate::domain::rfc::FieldValue::Text(d.clone())
                };
                values.insert(f.id.clone(), v);
            }
        }
        values
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }
}

/// Fields every RFC has besides its template's own; a template may not reuse these ids.
pub const CORE_FIELDS: &[&str] = &[
    "title",
    "department",
    "priority",
    "impact_organisation",
    "impact_department",
    "impact_individual",
    "risk",
];

mod build;
pub use build::build;

#[cfg(test)]
mod tests;

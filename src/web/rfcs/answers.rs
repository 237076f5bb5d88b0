//! An RFC's answers as people read them: each question's label, and for a
//! chosen option its label (`Should have`, in the page's language), never
//! the stored value (`should`).

use minijinja::Value;
use minijinja::context;

use crate::domain::rfc::fields::{CORE, core_option_label};
use crate::domain::rfc::{FieldValue, Rfc};
use crate::domain::template::Template;
use crate::web::i18n;

/// `text` in the page's language, from either catalogue.
fn shown(text: &str) -> String {
    let here = i18n::current();
    crate::locale::tr_with(here.locale, text, &here.texts)
}

/// The labels of the options chosen in `value`, joined.
fn chosen(value: &FieldValue, label: impl Fn(&str) -> String) -> String {
    match value {
        FieldValue::List(l) => l.iter().map(|v| shown(&label(v))).collect::<Vec<_>>().join(", "),
        FieldValue::Text(t) => shown(&label(t)),
    }
}

/// The template's questions with their answers; unanswered ones too unless `answered_only`.
pub fn template_answers(template: Option<&Template>, rfc: &Rfc, answered_only: bool) -> Vec<Value> {
    let Some(t) = template else { return Vec::new() };
    t.fields
        .iter()
        .filter_map(|f| {
            let value = rfc.fields.get(&f.id).filter(|v| v.is_filled()).map(|v| {
                if f.kind.has_options() {
                    chosen(v, |o| f.option_label(o).to_string())
                } else {
                    v.display()
                }
            });
            (value.is_some() || !answered_only).then(|| context! { label => f.label.clone(), value })
        })
        .collect()
}

/// The questions every RFC has (priority, impact, risk) with their answers.
pub fn core_answers(rfc: &Rfc) -> Vec<Value> {
    CORE.iter()
        .map(|(id, label, options)| {
            let value = rfc.fields.get(*id).filter(|v| v.is_filled()).map(|v| match options {
                Some(_) => chosen(v, |o| core_option_label(o).to_string()),
                None => v.display(),
            });
            context! { label => *label, value }
        })
        .collect()
}

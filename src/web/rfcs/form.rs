//! The RFC form shared by filing and editing: the template's fields, the core
//! fields and each field's error.

use minijinja::context;

use super::csrf_token;
use crate::app::rfcs::Caller;
use crate::domain::rfc::fields::{CORE, FieldError, core_option_label};
use crate::domain::rfc::{FieldValue, Fields, Rfc};
use crate::domain::template::{FieldType, Template};
use crate::web::{AppState, WebError, messages, templates};

pub(super) struct FormPage<'a> {
    pub(super) template: &'a Template,
    pub(super) caller: &'a Caller,
    pub(super) title: &'a str,
    pub(super) department: &'a str,
    pub(super) values: &'a Fields,
    pub(super) errors: &'a [FieldError],
    pub(super) action: String,
    pub(super) heading: String,
    pub(super) submit: &'a str,
    pub(super) rfc: Option<&'a Rfc>,
    /// Only impact and risk may be changed (assessing a submitted RFC).
    pub(super) assess_only: bool,
}

pub(super) fn render_form(state: &AppState, p: FormPage<'_>) -> Result<String, WebError> {
    let locale = crate::web::i18n::current().locale;
    let error_of = |id: &str| -> Option<String> {
        let msgs: Vec<String> = p
            .errors
            .iter()
            .filter(|e| e.field == id)
            .map(|e| messages::say(locale, &e.message))
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    };
    let text_of = |id: &str| p.values.get(id).map(FieldValue::display).unwrap_or_default();
    let list_of = |id: &str| match p.values.get(id) {
        Some(FieldValue::List(l)) => l.clone(),
        Some(FieldValue::Text(t)) if !t.is_empty() => vec![t.clone()],
        _ => vec![],
    };
    let kind_name = |k: FieldType| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let fields: Vec<_> = p
        .template
        .fields
        .iter()
        .map(|f| {
            context! {
                id => f.id.clone(),
                label => f.label.clone(),
                help => f.help.clone(),
                kind => kind_name(f.kind),
                required => f.required,
                conditional => f.required_if.is_some() || p.template.fields.iter().any(|o| o.required_with.contains(&f.id)),
                options => f.options.iter().zip(&f.option_labels).map(|(value, label)| context! { value, label }).collect::<Vec<_>>(),
                value => text_of(&f.id),
                values => list_of(&f.id),
                checked => matches!(p.values.get(&f.id), Some(FieldValue::Text(t)) if t == "true"),
                hint => f.pattern_message.clone(),
                error => error_of(&f.id),
            }
        })
        .collect();
    let core: Vec<_> = CORE
        .iter()
        .map(|(id, label, options)| {
            context! {
                id => *id,
                label => *label,
                options => options.map(|o| o.iter().map(|v| context! { value => *v, label => core_option_label(v) }).collect::<Vec<_>>()),
                value => text_of(id),
                error => error_of(id),
            }
        })
        .collect();
    let general: Vec<String> = p
        .errors
        .iter()
        .filter(|e| {
            e.field != "title"
                && e.field != "department"
                && p.template.field(&e.field).is_none()
                && !CORE.iter().any(|c| c.0 == e.field)
        })
        .map(|e| messages::field_error(locale, e))
        .collect();
    Ok(templates::render(
        "rfc_form.html",
        context! {
            title => p.heading.clone(),
            heading => p.heading,
            nav => if p.rfc.is_some() { "rfcs" } else { "new" },
            user => p.caller.email.as_str(),
            template_id => p.template.id.clone(),
            template_title => p.template.title.clone(),
            description => p.template.description.clone(),
            rfc_title => p.title,
            department => p.department,
            title_error => error_of("title"),
            department_error => error_of("department"),
            fields,
            core,
            general,
            has_errors => !p.errors.is_empty(),
            action => p.action,
            submit => p.submit,
            csrf_token => csrf_token(state, p.caller),
            rfc_id => p.rfc.map(|r| r.id.to_string()),
            assess_only => p.assess_only,
        },
    )?)
}

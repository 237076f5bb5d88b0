//! The app's messages (refusals, field errors, conflicts) on a page, in the
//! request's language (DESIGN §15). A field is named by what the page calls
//! it, never by its id: the id is the API's. The audit keeps the English.

use crate::domain::Msg;
use crate::domain::rfc::fields::{CORE, FieldError};
use crate::domain::rfc::lifecycle::Refusal;
use crate::locale::{self, Locale};

/// Fields the app names that are not a template's question: id → the
/// English word the catalogue translates.
const BUILT_IN: &[(&str, &str)] = &[
    ("title", "Title"),
    ("department", "Department"),
    ("comment", "Comment"),
    ("body", "Comment"),
    ("verdict", "Your verdict"),
    ("environment", "Environment"),
    ("env", "Environment"),
    ("to", "Environment"),
    ("kind", "Kind"),
    ("steps", "Steps"),
    ("expected", "Expected result"),
    ("template", "Form"),
    ("form", "Form"),
    ("follows", "Follows"),
    ("transition", "Action"),
    ("email", "Tester's e-mail"),
    ("package", "Package"),
    ("reason", "Reason"),
    ("since", "From"),
    ("until", "Up to"),
];

/// `message` in `locale`.
pub fn say(locale: Locale, message: &Msg) -> String {
    locale::render(locale, message)
}

/// What a page calls field `id`: the label the app gave, else a built-in
/// field's word or a core field's label, in `locale`; else the id itself.
pub fn field_name(locale: Locale, id: &str, label: Option<&str>) -> String {
    if let Some(label) = label {
        return locale::tr(locale, label);
    }
    BUILT_IN
        .iter()
        .map(|(i, w)| (*i, *w))
        .chain(CORE.iter().map(|(i, l, _)| (*i, *l)))
        .find(|(i, _)| *i == id)
        .map_or_else(|| id.to_string(), |(_, w)| locale::t(locale, w))
}

/// A refusal as a page shows it: `Field: why`, or just why.
pub fn refusal(locale: Locale, r: &Refusal) -> String {
    let text = say(locale, &r.message);
    match &r.field {
        Some(f) => named(&field_name(locale, f, r.label.as_deref()), text),
        None => text,
    }
}

/// A field error as a page shows it away from its field: `Field: what is wrong`.
pub fn field_error(locale: Locale, e: &FieldError) -> String {
    let text = say(locale, &e.message);
    named(&field_name(locale, &e.field, e.label.as_deref()), text)
}

/// `Field: text`, unless the text names the field itself (`"Field" is required`).
fn named(field: &str, text: String) -> String {
    if text.contains(&format!("\"{field}\"")) {
        text
    } else {
        format!("{field}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg;

    #[test]
    fn a_field_is_named_by_its_label_not_its_id() {
        let e = FieldError::new("title", msg!("is required: give the request a short title"));
        assert_eq!(
            field_error(Locale::En, &e),
            "Title: is required: give the request a short title"
        );
        assert!(
            field_error(Locale::Nl, &e).starts_with("Titel: "),
            "{}",
            field_error(Locale::Nl, &e)
        );
        let core = field_name(Locale::Nl, "risk", None);
        assert_eq!(core, "Risico");
        let labelled = FieldError::new("what_to_see", msg!("give one value")).labelled("What do you want to see?");
        assert!(field_error(Locale::En, &labelled).starts_with("What do you want to see?: "));
        assert_eq!(field_name(Locale::Nl, "no_such_field", None), "no_such_field");
        // A message that names its field is not prefixed with it again.
        let required =
            FieldError::new("screen", msg!("\"{label}\" is required", label = "The screen")).labelled("The screen");
        assert_eq!(field_error(Locale::En, &required), "\"The screen\" is required");
        assert_eq!(field_error(Locale::Nl, &required), "\"The screen\" is verplicht");
    }

    #[test]
    fn every_built_in_field_has_dutch() {
        for (id, word) in BUILT_IN {
            assert!(locale::catalogue().contains_key(*word), "{id}: no Dutch for {word:?}");
        }
    }

    #[test]
    fn a_refused_move_reads_as_dutch_with_its_words_translated() {
        use crate::domain::rfc::State;
        use crate::domain::rfc::lifecycle::{Action, Actor, GuardInput, check};
        let guard = GuardInput {
            submit_problems: &[],
            missing_for_approval: &[],
            comment: None,
        };
        let actor = Actor {
            may_edit: true,
            ..Actor::default()
        };
        let r = check(Action::Submit, State::InDevelopment, None, actor, &guard).unwrap_err();
        assert_eq!(
            refusal(Locale::En, &r[0]),
            "an RFC that is in development cannot be submitted; from in_development it can: hold, withdraw"
        );
        assert_eq!(
            refusal(Locale::Nl, &r[0]),
            "een RFC die in ontwikkeling is, kan niet ingediend worden; vanuit in_development kan: hold, withdraw"
        );
        let r = check(Action::Close, State::Withdrawn, None, actor, &guard).unwrap_err();
        assert!(
            refusal(Locale::Nl, &r[0]).ends_with("kan: niets (de status is definitief)"),
            "{r:?}"
        );
    }

    #[test]
    fn a_refusal_without_a_field_is_its_message() {
        let r = Refusal::new(msg!("give one value"));
        assert_eq!(refusal(Locale::En, &r), "give one value");
        let r = Refusal::field("comment", msg!("give one value"));
        assert_eq!(refusal(Locale::En, &r), "Comment: give one value");
    }
}

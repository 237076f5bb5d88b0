//! The RFC page's timeline in the request's language: what happened (the
//! kind of event, and the state it moved to), and its detail. Details dtap
//! wrote itself (a verdict, a follow-up, a commit) are read back into a
//! message; a person's words (a comment, an address, a title) stay as they are.

use serde::Serialize;

use crate::domain::Msg;
use crate::domain::rfc::Event;
use crate::locale::{self, Locale};
use crate::msg;

#[derive(Debug, Serialize)]
pub(super) struct Entry {
    at: String,
    actor: String,
    what: String,
    detail: String,
}

/// What the page calls an environment and a field, in its language (a
/// detail stores their names, as the audit does).
pub(super) struct Names<'a> {
    pub env: &'a dyn Fn(&str) -> String,
    pub field: &'a dyn Fn(&str) -> String,
}

pub(super) fn entries(locale: Locale, events: &[Event], names: &Names<'_>) -> Vec<Entry> {
    events
        .iter()
        .map(|e| Entry {
            at: e.at.to_string(),
            actor: e.actor.clone(),
            what: what(locale, &e.kind, e.to_state.as_deref()),
            detail: detail(&e.kind, &e.detail, names).map_or_else(|| e.detail.clone(), |m| locale::render(locale, &m)),
        })
        .collect()
}

/// `submit → submitted`; in Dutch, where the action's word is the state's,
/// the word once.
fn what(locale: Locale, kind: &str, to_state: Option<&str>) -> String {
    let word = |w: &str| locale::tr(locale, &w.replace('_', " "));
    let kind = word(kind);
    match to_state.map(word) {
        Some(state) if state != kind => format!("{kind} → {state}"),
        _ => kind,
    }
}

/// The detail dtap wrote, as a message; `None` for a person's words.
fn detail(kind: &str, detail: &str, names: &Names<'_>) -> Option<Msg> {
    match kind {
        "edited" => {
            let fields: Vec<String> = detail.split(", ").map(|id| (names.field)(id)).collect();
            Some(Msg::verbatim(fields.join(", ")))
        }
        "tester_added" | "tester_removed" => {
            let (email, env) = detail.rsplit_once(" in ")?;
            let env = (names.env)(env);
            Some(msg!("{email} in {env}", email, env))
        }
        "followed_up" => {
            let id = detail.strip_prefix("follow-up ")?.strip_suffix(" filed")?;
            Some(msg!("follow-up {id} filed", id))
        }
        "signoff" | "signed_off" => {
            let (verdict, rest) = detail.split_once(" in ")?;
            let (env, rest) = rest.split_once(" on ")?;
            let env = (names.env)(env);
            let (package, version) = rest.rsplit_once(' ')?;
            Some(msg!(
                "{verdict} in {env} on {package} {version}",
                verdict = word(verdict),
                env,
                package,
                version
            ))
        }
        "promoted" | "rolled_back" | "retired" => {
            let (action, commit) = detail.split_once(' ')?;
            (!commit.contains(' ')).then(|| msg!("{action} {commit}", action = word(action), commit))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: Names<'static> = Names {
        env: &|e| {
            if e == "acceptance" {
                "Acceptatie".into()
            } else {
                e.into()
            }
        },
        field: &|f| if f == "risk" { "Risico".into() } else { f.into() },
    };

    fn nl(kind: &str, d: &str) -> String {
        detail(kind, d, &NAMES).map_or_else(|| d.to_string(), |m| locale::render(Locale::Nl, &m))
    }

    #[test]
    fn a_move_names_its_state_once_where_the_words_are_the_same() {
        assert_eq!(what(Locale::En, "submit", Some("submitted")), "submit → submitted");
        assert_eq!(what(Locale::Nl, "submit", Some("submitted")), "ingediend");
        assert_eq!(what(Locale::Nl, "promoted", Some("in_test")), "gepromoveerd → in test");
        assert_eq!(what(Locale::Nl, "tester_added", None), "tester toegevoegd");
    }

    #[test]
    fn what_dtap_wrote_reads_as_dutch_and_a_persons_words_stay() {
        assert_eq!(
            nl("signoff", "approve in test on crm-core 1.2.0"),
            "goedgekeurd in test op crm-core 1.2.0"
        );
        assert_eq!(nl("followed_up", "follow-up RFC-9 filed"), "vervolg RFC-9 ingediend");
        assert_eq!(nl("promoted", "promote 1a2b3c"), "promotie 1a2b3c");
        assert_eq!(
            nl("signed_off", "reject in test on crm-core 1.2.0"),
            "afgewezen in test op crm-core 1.2.0"
        );
        assert_eq!(nl("hold", "waiting for the budget"), "waiting for the budget");
        assert_eq!(nl("signoff", "something else"), "something else");
        let en = detail("signoff", "reject in test on crm-core 1.2.0", &NAMES).unwrap();
        assert_eq!(en.to_string(), "reject in test on crm-core 1.2.0");
    }

    #[test]
    fn fields_and_environments_are_named_as_the_page_names_them() {
        assert_eq!(nl("edited", "risk, title_x"), "Risico, title_x");
        assert_eq!(
            nl("tester_added", "kim@example.org in acceptance"),
            "kim@example.org in Acceptatie"
        );
        assert_eq!(
            nl("signoff", "approve in acceptance on crm-core 1.2.0"),
            "goedgekeurd in Acceptatie op crm-core 1.2.0"
        );
        assert_eq!(nl("tester_removed", "no environment"), "no environment");
    }
}

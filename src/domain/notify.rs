//! Who gets which mail (issue 19): a person's preference and what a mail is
//! about decide whether it goes at once, waits for the daily digest, or is
//! not sent; and the `@address` mentions in a comment.

use serde::Serialize;

/// What a person chose to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preference {
    /// Every event, each as it happens (the default).
    #[default]
    Every,
    /// Events collected into one mail a day.
    Digest,
    /// Only what needs them: invitations, reminders, requests, failures.
    Needed,
}

impl Preference {
    pub const ALL: [Preference; 3] = [Preference::Every, Preference::Digest, Preference::Needed];

    pub fn code(self) -> &'static str {
        match self {
            Preference::Every => "every",
            Preference::Digest => "digest",
            Preference::Needed => "needed",
        }
    }

    pub fn parse(s: &str) -> Option<Preference> {
        Preference::ALL.into_iter().find(|p| p.code() == s.trim())
    }
}

/// What happens to one mail for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Now,
    Digest,
    Skip,
}

/// The kinds of mail that tell of an event and ask nothing of the
/// recipient: the ones a preference may hold back or collect. Every other
/// kind (an invitation, a reminder, an escalation, a sign-in link, a
/// failure, a mention, a request to review) always goes at once, and so does
/// a kind this list does not know yet.
pub const EVENT_KINDS: &[&str] = &["state", "promotion", "comment"];

pub fn is_event(kind: &str) -> bool {
    EVENT_KINDS.contains(&kind)
}

/// Where mail `kind` goes for someone who chose `preference`.
pub fn route(preference: Preference, kind: &str) -> Route {
    if !is_event(kind) {
        return Route::Now;
    }
    match preference {
        Preference::Every => Route::Now,
        Preference::Digest => Route::Digest,
        Preference::Needed => Route::Skip,
    }
}

/// A piece of a comment: plain text, or a mention of a known address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    pub text: String,
    /// The address mentioned (lower case), when this part is a mention.
    pub mention: Option<String>,
}

/// Characters an address in a mention may hold.
fn address_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@')
}

/// The mentions in `body`: `@` followed by an address, where the `@` starts
/// a word. Each as (byte range of the whole mention, address in lower case).
pub fn mentions(body: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = body[from..].find('@').map(|i| i + from) {
        from = i + 1;
        let starts_word = body[..i].chars().next_back().is_none_or(|c| !address_char(c));
        if !starts_word {
            continue;
        }
        let rest = &body[i + 1..];
        let len = rest.find(|c: char| !address_char(c)).unwrap_or(rest.len());
        // A sentence's full stop or a comma after the address is not part of it.
        let address = rest[..len].trim_end_matches(['.', '-', '_', '%', '+', '@']);
        if crate::domain::names::is_email(address) {
            let end = i + 1 + address.len();
            out.push((i..end, crate::domain::names::normalise_email(address)));
            from = end;
        }
    }
    out
}

/// `body` cut into plain text and mentions of addresses `known` accepts;
/// a mention of anyone else stays plain text.
pub fn parts(body: &str, known: impl Fn(&str) -> bool) -> Vec<Part> {
    let mut out = Vec::new();
    let mut at = 0;
    for (range, address) in mentions(body) {
        if !known(&address) {
            continue;
        }
        if range.start > at {
            out.push(Part {
                text: body[at..range.start].to_string(),
                mention: None,
            });
        }
        out.push(Part {
            text: body[range.clone()].to_string(),
            mention: Some(address),
        });
        at = range.end;
    }
    if at < body.len() {
        out.push(Part {
            text: body[at..].to_string(),
            mention: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_route_only_events() {
        for p in Preference::ALL {
            assert_eq!(Preference::parse(p.code()), Some(p));
            for kind in [
                "invitation",
                "reminder",
                "escalation",
                "login",
                "deploy_failed",
                "mention",
                "new",
            ] {
                assert_eq!(route(p, kind), Route::Now, "{kind}");
            }
        }
        assert_eq!(route(Preference::Every, "state"), Route::Now);
        assert_eq!(route(Preference::Digest, "state"), Route::Digest);
        assert_eq!(route(Preference::Needed, "comment"), Route::Skip);
        assert_eq!(Preference::parse("weekly"), None);
    }

    #[test]
    fn mentions_are_addresses_after_an_at_that_starts_a_word() {
        let body = "Ask @Kim@Example.org, and @lee@example.org. Not mail@example.org or @nobody.";
        let found: Vec<String> = mentions(body).into_iter().map(|(_, a)| a).collect();
        assert_eq!(found, ["kim@example.org", "lee@example.org"]);
        let (range, _) = &mentions(body)[0];
        assert_eq!(&body[range.clone()], "@Kim@Example.org");
    }

    #[test]
    fn only_known_addresses_become_mentions() {
        let p = parts("hi @kim@example.org and @x@y.org!", |a| a == "kim@example.org");
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[1].mention.as_deref(), Some("kim@example.org"));
        assert_eq!(p[2].text, " and @x@y.org!");
        assert_eq!(parts("", |_| true), vec![]);
    }
}

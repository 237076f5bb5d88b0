//! English and Dutch: the catalogue (English text → Dutch text, in
//! `nl.toml`) and how dates and numbers are written in each. Pure; the web
//! app (`crate::web::i18n`) and the mails use it.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Nl,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nl => "nl",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "nl" => Some(Locale::Nl),
            _ => None,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Locale {
        match self {
            Locale::En => Locale::Nl,
            Locale::Nl => Locale::En,
        }
    }
}

/// The Dutch catalogue's parts: the pages' own words in `nl.toml`, and one
/// file per area in `nl/` (so work on one area does not touch another's file).
/// A key in two parts is a mistake the unit tests catch.
pub const NL_PARTS: &[(&str, &str)] = &[
    ("nl.toml", include_str!("nl.toml")),
    ("nl/messages.toml", include_str!("nl/messages.toml")),
    ("nl/attachments.toml", include_str!("nl/attachments.toml")),
    ("nl/notifications.toml", include_str!("nl/notifications.toml")),
    ("nl/packages.toml", include_str!("nl/packages.toml")),
    ("nl/pages.toml", include_str!("nl/pages.toml")),
];

static NL: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut all = HashMap::new();
    for (name, text) in NL_PARTS {
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name} parses: {e}"));
        all.extend(
            table
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))),
        );
    }
    all
});

/// The Dutch catalogue: English text → Dutch text.
pub fn catalogue() -> &'static HashMap<String, String> {
    &NL
}

/// `text` in `locale`; a text the Dutch catalogue lacks is marked `⟦text⟧`.
pub fn t(locale: Locale, text: &str) -> String {
    match locale {
        Locale::En => text.to_string(),
        Locale::Nl => NL.get(text).cloned().unwrap_or_else(|| format!("⟦{text}⟧")),
    }
}

/// As [`t`], but a text that is not in the catalogue (a name, a user's own
/// words) is shown as it is.
pub fn tr(locale: Locale, text: &str) -> String {
    match locale {
        Locale::En => text.to_string(),
        Locale::Nl => NL.get(text).cloned().unwrap_or_else(|| text.to_string()),
    }
}

/// A message ([`Msg`]) in `locale`: the catalogue's text for its key, filled
/// in, with vocabulary words translated too. A key the catalogue lacks is
/// shown in English (a unit test makes sure none does).
pub fn render(locale: Locale, message: &Msg) -> String {
    match locale {
        Locale::En => message.to_string(),
        Locale::Nl => {
            let template = NL.get(message.key).map(String::as_str).unwrap_or(message.key);
            message.render_with(template, |w| tr(Locale::Nl, w))
        }
    }
}

/// As [`tr`], with a workspace's own catalogue (its templates' and
/// environments' Dutch) consulted after the built-in one.
pub fn tr_with(locale: Locale, text: &str, own: &HashMap<String, String>) -> String {
    match locale {
        Locale::En => text.to_string(),
        Locale::Nl => NL
            .get(text)
            .or_else(|| own.get(text))
            .cloned()
            .unwrap_or_else(|| text.to_string()),
    }
}

/// The English sentences a Dutch text must not hold: the text of each
/// catalogue key between its `{holes}`, where that text has more than
/// `words` words and the key's Dutch differs from it. A test that finds one
/// in a Dutch page or mail found a string that skipped the catalogue.
pub fn english_sentences(words: usize) -> Vec<String> {
    let mut out: Vec<String> = NL
        .iter()
        .filter(|(en, nl)| en != nl)
        .flat_map(|(en, _)| between_holes(en))
        .filter(|p| p.split_whitespace().count() > words)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The literal text of a template between its `{holes}`, trimmed.
fn between_holes(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push(rest[..open].trim().to_string());
        rest = rest[open..].find('}').map_or("", |close| &rest[open + close + 1..]);
    }
    out.push(rest.trim().to_string());
    out
}

/// A date (`YYYY-MM-DD…`) as people in `locale` write it: `2026-11-23` or `23-11-2026`.
pub fn date(locale: Locale, stamp: &str) -> String {
    let Some(d) = stamp.get(..10) else {
        return stamp.to_string();
    };
    match (locale, d.split('-').collect::<Vec<_>>().as_slice()) {
        (Locale::Nl, [y, m, day]) if y.len() == 4 => format!("{day}-{m}-{y}"),
        _ => d.to_string(),
    }
}

/// A date as typed in either language's way, `2026-11-23` or `23-11-2026`
/// (also with `/` or `.`, and one-digit days and months), as `YYYY-MM-DD`;
/// `None` when it is no date of the calendar.
pub fn parse_date(input: &str) -> Option<String> {
    let parts: Vec<&str> = input.trim().split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let (y, m, d): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1000..=9999).contains(&y) {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

/// How a date is typed in `locale`, for a field's label.
pub fn date_format(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "YYYY-MM-DD",
        Locale::Nl => "DD-MM-JJJJ",
    }
}

/// A stamp as date and minutes (UTC): `2026-11-23 10:05` or `23-11-2026 10:05`.
pub fn datetime(locale: Locale, stamp: &str) -> String {
    match stamp.get(11..16) {
        Some(hm) => format!("{} {hm}", date(locale, stamp)),
        None => date(locale, stamp),
    }
}

/// A number with `decimals` digits after the separator and grouped thousands:
/// `1,234.5` in English, `1.234,5` in Dutch.
pub fn number(locale: Locale, n: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, n.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match locale {
        Locale::En => (',', '.'),
        Locale::Nl => ('.', ','),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if n < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{frac}")
    }
}

/// The supported language with the highest weight in an `Accept-Language` header.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(f32, Locale)> = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let tag = bits.next().unwrap_or("").trim();
        let q = bits
            .find_map(|b| b.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = Locale::parse(primary)
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_part_parses_and_no_key_is_in_two_parts() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (name, text) in NL_PARTS {
            let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            for key in table.keys() {
                if let Some(first) = seen.insert(key.clone(), name) {
                    panic!("{key:?} is in both {first} and {name}");
                }
            }
        }
        assert!(seen.len() > 300, "the catalogue lost its parts: {} keys", seen.len());
    }

    /// Every `msg!` key literal in `dir`, with the file it is in.
    fn message_keys(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                message_keys(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("domain/message.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices(concat!("msg", "!(")) {
                    let rest = text[i + 5..].trim_start();
                    if let Some(key) = rest.strip_prefix('"').and_then(string_literal) {
                        out.push((key, path.display().to_string()));
                    }
                }
            }
        }
    }

    /// The value of a Rust string literal whose opening quote is already read.
    fn string_literal(s: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '\n' => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    #[test]
    fn every_message_in_the_source_has_dutch_with_the_same_holes() {
        let mut keys = Vec::new();
        message_keys(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut keys);
        let mut problems = Vec::new();
        for (key, file) in &keys {
            match NL.get(key) {
                None => problems.push(format!("{file}: no Dutch for {key:?}")),
                Some(nl) => {
                    let (mut a, mut b) = (Msg::holes(key), Msg::holes(nl));
                    a.sort();
                    b.sort();
                    if a != b {
                        problems.push(format!("{file}: {key:?} has holes {a:?}, its Dutch {b:?}"));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn a_date_is_read_in_either_languages_way() {
        for (typed, iso) in [
            ("2026-11-23", Some("2026-11-23")),
            ("23-11-2026", Some("2026-11-23")),
            ("3-1-2027", Some("2027-01-03")),
            (" 23/11/2026 ", Some("2026-11-23")),
            ("23.11.2026", Some("2026-11-23")),
            ("29-02-2028", Some("2028-02-29")),
            ("29-02-2027", None),
            ("2026-13-01", None),
            ("23-11-26", None),
            ("yesterday", None),
            ("", None),
        ] {
            assert_eq!(parse_date(typed).as_deref(), iso, "{typed:?}");
        }
        assert_eq!(
            date(Locale::Nl, &parse_date("23-11-2026").unwrap()),
            "23-11-2026",
            "round trip"
        );
    }

    #[test]
    fn english_sentences_are_the_keys_cut_at_their_holes() {
        assert_eq!(
            between_holes("{id} was changed by someone else: reload it"),
            vec!["", "was changed by someone else: reload it"]
        );
        assert_eq!(between_holes("a {b} c {d"), vec!["a", "c", ""]);
        let all = english_sentences(3);
        assert!(
            all.iter()
                .any(|s| s == "was changed by someone else meanwhile: reload it and try again")
        );
        assert!(all.iter().all(|s| s.split_whitespace().count() > 3));
        // A key whose Dutch is the same text is no sign of English.
        assert!(!all.iter().any(|s| s == "ok"));
    }

    #[test]
    fn a_message_renders_in_dutch_with_its_words_translated() {
        let m = crate::msg!("Drift in {env}:", env = word("yes"));
        assert_eq!(render(Locale::Nl, &m), "Afwijking in ja:");
        assert_eq!(render(Locale::En, &m), "Drift in yes:");
    }
}

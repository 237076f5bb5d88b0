//! English and Dutch: the catalogue (English text → Dutch text, in
//! `nl.toml`) and how dates and numbers are written in each. Pure; the web
//! app (`crate::web::i18n`) and the mails use it.

use std::collections::HashMap;
use std::sync::LazyLock;

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

static NL: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let table: toml::Table = include_str!("nl.toml").parse().expect("nl.toml parses");
    table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect()
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

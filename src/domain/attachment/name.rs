//! Safe file names: what is stored and offered when downloading, and the
//! `Content-Disposition` header that offers it.

use super::Kind;
use super::detect::extension;

/// The longest stored name, in characters.
const MAX_NAME: usize = 120;

/// `given` (as a browser sent it) made safe to store, show and save: its last
/// path segment, without control characters or characters file systems
/// refuse, at most 120 characters, never starting with a dot, with an ending
/// that fits `kind` (`page.html` of plain text becomes `page.html.txt`).
pub fn safe_name(given: &str, kind: Kind) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or(given);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|' | '%' | ';') {
                '_'
            } else if c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c == ' ' || c == '_');
    let mut name = if trimmed.is_empty() {
        "attachment".to_string()
    } else {
        trimmed.to_string()
    };
    let ext = extension(&name);
    let fits = kind.extensions().contains(&ext.as_str());
    let suffix = if fits {
        String::new()
    } else {
        format!(".{}", kind.extensions()[0])
    };
    // Room for the suffix (and, when it fits, for the ending it keeps).
    let keep = MAX_NAME.saturating_sub(suffix.chars().count());
    if name.chars().count() > keep {
        name = if fits {
            let stem_len = keep.saturating_sub(ext.chars().count() + 1);
            let stem: String = name.chars().take(stem_len).collect();
            format!("{}.{ext}", stem.trim_end_matches(['.', ' ']))
        } else {
            name.chars().take(keep).collect::<String>().trim_end().to_string()
        };
    }
    name + &suffix
}

/// `attachment; filename="…"; filename*=UTF-8''…` for a stored (safe) name:
/// an ASCII fallback for old clients, the UTF-8 name for the rest. Never
/// `inline`: the browser saves the file, it does not show it.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

//! `dtap config set`: one setting of dtap.toml changed in its text, so that
//! comments, order and layout stay as the user wrote them. The text is only
//! located with the real parser's spans, never re-written from a tree; the
//! result is parsed again by `Config::parse` before anyone writes it.

use serde::Serialize;
use toml::de::{DeTable, DeValue};

use super::Config;

/// Why a setting could not be written into the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("`{0}` is not a setting: write SECTION.KEY, e.g. web.dev_user")]
    NotAKey(String),
    #[error("unknown key `{key}`: {known}")]
    Unknown { key: String, known: String },
    #[error("dtap.toml does not parse ({0}): fix it by hand first (`dtap check` shows where)")]
    Unparsable(String),
    #[error("dtap.toml writes `{0}` other than as a `[{0}]` table: change it by hand")]
    NotATable(String),
}

/// `web.dev_user` → (`web`, `dev_user`), when dtap knows that setting.
pub fn split_key(key: &str) -> Result<(&str, &str), EditError> {
    let Some((section, name)) = key.split_once('.') else {
        return Err(EditError::NotAKey(key.to_string()));
    };
    let defaults = defaults();
    let Some(table) = defaults.get(section).and_then(|t| t.as_object()) else {
        let sections: Vec<&str> = defaults
            .as_object()
            .into_iter()
            .flatten()
            .map(|(s, _)| s.as_str())
            .collect();
        return Err(EditError::Unknown {
            key: key.to_string(),
            known: format!("dtap.toml has the sections {}", sections.join(", ")),
        });
    };
    if !table.contains_key(name) {
        let keys: Vec<String> = table.keys().map(|k| format!("{section}.{k}")).collect();
        return Err(EditError::Unknown {
            key: key.to_string(),
            known: format!("[{section}] has {}", keys.join(", ")),
        });
    }
    Ok((section, name))
}

/// Every setting with its default, as `config get` shows it.
fn defaults() -> serde_json::Value {
    Config::default().shown()
}

impl Config {
    /// The settings as JSON, `{section: {key: value}}`: durations as written
    /// (`7d`), URLs without their password, unset options as null.
    pub fn shown(&self) -> serde_json::Value {
        self.serialize(serde_json::value::Serializer).unwrap_or_default()
    }
}

/// `text` with `[section] key` set to the string `value`: its value replaced
/// where it is written (a comment after it stays), else the line added after
/// the table's last setting, else the table added at the end.
pub fn set_in(text: &str, section: &str, key: &str, value: &str) -> Result<String, EditError> {
    let root = DeTable::parse(text).map_err(|e| EditError::Unparsable(e.message().trim().to_string()))?;
    let new_line = format!("{} = {}", bare_or_quoted(key), quote(value));
    let Some((_, table)) = root.get_ref().iter().find(|(k, _)| k.get_ref().as_ref() == section) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("[{section}]\n{new_line}\n"));
        return Ok(out);
    };
    let header = table.span();
    let DeValue::Table(settings) = table.get_ref() else {
        return Err(EditError::NotATable(section.to_string()));
    };
    if !text[header.clone()].trim_start().starts_with('[') {
        return Err(EditError::NotATable(section.to_string()));
    }
    if let Some((_, v)) = settings.iter().find(|(k, _)| k.get_ref().as_ref() == key) {
        let span = v.span();
        return Ok(format!("{}{}{}", &text[..span.start], quote(value), &text[span.end..]));
    }
    let last = settings
        .iter()
        .map(|(_, v)| v.span().end)
        .max()
        .unwrap_or(header.end)
        .max(header.end);
    let at = text[last..].find('\n').map_or(text.len(), |i| last + i + 1);
    let lead = if at == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Ok(format!("{}{lead}{new_line}\n{}", &text[..at], &text[at..]))
}

/// A TOML basic string.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn bare_or_quoted(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        key.to_string()
    } else {
        quote(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# top\n\n[web]\nbind = \"127.0.0.1:8080\"   # where\nbase_url = \"http://x\"\n\n[signoff]\nlink_ttl = \"7d\"\n";

    #[test]
    fn replaces_a_value_and_keeps_its_comment() {
        let out = set_in(TEXT, "web", "bind", "127.0.0.1:9000").unwrap();
        assert_eq!(out, TEXT.replace("127.0.0.1:8080", "127.0.0.1:9000"));
    }

    #[test]
    fn adds_a_key_to_its_own_table_not_the_last() {
        let out = set_in(TEXT, "web", "dev_user", "fa@example.org").unwrap();
        assert!(
            out.contains("base_url = \"http://x\"\ndev_user = \"fa@example.org\"\n\n[signoff]"),
            "{out}"
        );
    }

    #[test]
    fn adds_a_missing_table_at_the_end() {
        let out = set_in("[web]\nbind = \"a\"", "emergency", "review_within", "1d").unwrap();
        assert_eq!(out, "[web]\nbind = \"a\"\n\n[emergency]\nreview_within = \"1d\"\n");
    }

    #[test]
    fn adds_to_an_empty_table_and_a_table_at_the_end_without_newline() {
        assert_eq!(set_in("[web]", "web", "bind", "b").unwrap(), "[web]\nbind = \"b\"\n");
        assert_eq!(
            set_in("[web]\n[mail]\n", "web", "bind", "b").unwrap(),
            "[web]\nbind = \"b\"\n[mail]\n"
        );
    }

    #[test]
    fn quotes_what_toml_needs_quoted() {
        let out = set_in("", "mail", "from", "a \"b\" \\ c\n").unwrap();
        let doc: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(doc["mail"]["from"].as_str(), Some("a \"b\" \\ c\n"));
    }

    #[test]
    fn refuses_an_inline_table_and_unknown_keys() {
        assert!(matches!(
            set_in("web = { bind = \"a\" }\n", "web", "x", "y"),
            Err(EditError::NotATable(_))
        ));
        assert!(matches!(split_key("web.nope"), Err(EditError::Unknown { .. })));
        assert!(matches!(split_key("nope.bind"), Err(EditError::Unknown { .. })));
        assert!(matches!(split_key("bind"), Err(EditError::NotAKey(_))));
        assert_eq!(split_key("web.dev_user").unwrap(), ("web", "dev_user"));
    }
}

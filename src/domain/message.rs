//! A message for a person, as a key and arguments (DESIGN §15): the key is
//! the English text with `{name}` holes, the arguments fill them. English is
//! the key filled in; Dutch is the catalogue's text for the key, filled in
//! (`crate::locale::render`). A `format!`ed sentence could not be translated.
//!
//! Write messages with [`msg!`](crate::msg):
//!
//! ```
//! use dtap::msg;
//! let id = "RFC-7";
//! let m = msg!("{id} is {state}; it cannot be edited", id, state = word("released"));
//! assert_eq!(m.to_string(), "RFC-7 is released; it cannot be edited");
//! ```
//!
//! `name` alone takes the variable of that name, `name = expr` any value that
//! is `Display`, `name = word(expr)` a word of the vocabulary (a state, a
//! role) that the catalogue translates too. The key must be a literal: a unit
//! test reads every `msg!` in the source and checks the Dutch catalogue has
//! it, with the same holes.

use std::fmt;

use serde::{Serialize, Serializer};

/// One argument: shown as it is (a name, a number, a path), or a word of
/// the vocabulary that is translated with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Word(String),
}

impl Arg {
    pub fn as_str(&self) -> &str {
        match self {
            Arg::Text(s) | Arg::Word(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Msg {
        Msg { key, args: Vec::new() }
    }

    /// Text that is not the app's to translate, shown as it is in every
    /// language: a workspace author's own words (a template's pattern
    /// message), or an error from a library.
    pub fn verbatim(text: impl fmt::Display) -> Msg {
        let mut m = Msg::new("{text}");
        m.arg("text", text);
        m
    }

    pub fn arg(&mut self, name: &'static str, value: impl fmt::Display) {
        self.args.push((name, Arg::Text(value.to_string())));
    }

    pub fn word(&mut self, name: &'static str, value: impl fmt::Display) {
        self.args.push((name, Arg::Word(value.to_string())));
    }

    /// `template` with each `{name}` replaced by `value(name)`; `{{` and `}}`
    /// are literal braces, an unknown hole stays as it is.
    pub fn fill(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                out.push_str(&tail[..1]);
                rest = &tail[2..];
                continue;
            }
            if let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) {
                let name = &tail[1..end];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&tail[..=end]),
                }
                rest = &tail[end + 1..];
            } else {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }

    /// The names of the holes in a template, in order.
    pub fn holes(template: &str) -> Vec<String> {
        let mut names = Vec::new();
        Msg::fill(template, |n| {
            names.push(n.to_string());
            Some(String::new())
        });
        names
    }

    /// The message filled in with `word` applied to vocabulary arguments.
    pub fn render_with(&self, template: &str, word: impl Fn(&str) -> String) -> String {
        Msg::fill(template, |name| {
            self.args.iter().find(|(n, _)| *n == name).map(|(_, a)| match a {
                Arg::Text(s) => s.clone(),
                Arg::Word(s) => word(s),
            })
        })
    }
}

/// English: the key filled in.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_with(self.key, str::to_string))
    }
}

impl From<Msg> for String {
    fn from(m: Msg) -> String {
        m.to_string()
    }
}

/// In JSON (the API, audit details) a message is its English text.
impl Serialize for Msg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A [`Msg`]: `msg!("key with {a} and {b}", a, b = expr, c = word(expr))`.
#[macro_export]
macro_rules! msg {
    (@args $m:ident;) => {};
    (@args $m:ident; $name:ident = word($val:expr) $(, $($rest:tt)*)?) => {
        $m.word(stringify!($name), $val);
        $crate::msg!(@args $m; $($($rest)*)?);
    };
    (@args $m:ident; $name:ident = $val:expr $(, $($rest:tt)*)?) => {
        $m.arg(stringify!($name), $val);
        $crate::msg!(@args $m; $($($rest)*)?);
    };
    (@args $m:ident; $name:ident $(, $($rest:tt)*)?) => {
        $m.arg(stringify!($name), &$name);
        $crate::msg!(@args $m; $($($rest)*)?);
    };
    ($key:literal $(,)?) => {
        $crate::domain::message::Msg::new($key)
    };
    ($key:literal, $($rest:tt)+) => {{
        #[allow(unused_mut)]
        let mut m = $crate::domain::message::Msg::new($key);
        $crate::msg!(@args m; $($rest)+);
        m
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_the_key_filled_in() {
        let id = 7;
        let m = crate::msg!(
            "RFC-{id} is {state} since {when}",
            id,
            state = word("released"),
            when = "today"
        );
        assert_eq!(m.to_string(), "RFC-7 is released since today");
        assert_eq!(m.args[1], ("state", Arg::Word("released".into())));
    }

    #[test]
    fn a_message_without_holes_is_its_key() {
        assert_eq!(crate::msg!("Sign in first").to_string(), "Sign in first");
    }

    #[test]
    fn braces_doubled_are_literal_and_unknown_holes_stay() {
        let m = crate::msg!("use {{x}} not {y} or {z}", y = 1);
        assert_eq!(m.to_string(), "use {x} not 1 or {z}");
    }

    #[test]
    fn holes_are_named_in_order() {
        assert_eq!(Msg::holes("{a} then {b}, {{not}}"), vec!["a", "b"]);
    }

    #[test]
    fn a_message_in_json_is_its_english_text() {
        let v = serde_json::to_value(crate::msg!("{n} files", n = 3)).unwrap();
        assert_eq!(v, serde_json::json!("3 files"));
    }

    #[test]
    fn verbatim_text_is_shown_as_it_is() {
        let m = Msg::verbatim("Use {braces} as they are");
        assert_eq!(m.to_string(), "Use {braces} as they are");
        assert_eq!(m.key, "{text}");
    }

    #[test]
    fn an_unclosed_brace_is_kept() {
        assert_eq!(Msg::fill("a { b", |_| None), "a { b");
    }
}

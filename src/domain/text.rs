//! Text a workspace author writes for people (a template's questions, an
//! environment's label) in one language or two: `label: Impact` or
//! `label: {en: Impact, nl: Gevolgen}`. The English text is the text's
//! identity (as in the built-in catalogue); the Dutch goes into the
//! workspace's own catalogue (`Workspace::texts`), which pages and mails
//! consult after the built-in one.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// English, or the only text given.
    pub en: String,
    /// Dutch, when the author gave it.
    pub nl: Option<String>,
}

impl Text {
    pub fn plain(s: impl Into<String>) -> Text {
        Text { en: s.into(), nl: None }
    }

    pub fn is_blank(&self) -> bool {
        self.en.trim().is_empty()
    }

    /// English → Dutch, for the workspace's catalogue, when there is Dutch
    /// that differs.
    pub fn translation(&self) -> Option<(String, String)> {
        self.nl
            .as_ref()
            .filter(|nl| **nl != self.en && !self.en.is_empty())
            .map(|nl| (self.en.clone(), nl.clone()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::plain(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::plain(s)
    }
}

impl From<&str> for Choice {
    fn from(s: &str) -> Choice {
        Choice {
            value: s.to_string(),
            label: Text::plain(s),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text, or `{en: English text, nl: Dutch text}`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::plain(s))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Text, E> {
                Ok(Text::plain(s))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Text, E> {
                Ok(Text::plain(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Text, E> {
                Ok(Text::plain(n.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let (mut en, mut nl) = (None::<String>, None::<String>);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "en" => en = Some(map.next_value()?),
                        "nl" => nl = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown language `{other}`: write `en` (English) and `nl` (Dutch)"
                            )));
                        }
                    }
                }
                match (en, nl) {
                    (Some(en), nl) => Ok(Text { en, nl }),
                    // Dutch only: it is the text in both languages.
                    (None, Some(nl)) => Ok(Text::plain(nl)),
                    (None, None) => Err(de::Error::custom("no text: write `en` and `nl`")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A select option: `- must` (the value is its label too) or
/// `- {value: must, label: {en: Must have, nl: Moet}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

impl<'de> Deserialize<'de> for Choice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Choice, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Choice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an option value, `{en: ..., nl: ...}`, or `{value: ..., label: ...}`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Choice, E> {
                Ok(Choice::from(s))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Choice, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Choice, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choice, A::Error> {
                let (mut value, mut label, mut en, mut nl) = (None::<String>, None::<Text>, None::<String>, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "value" => value = Some(map.next_value()?),
                        "label" => label = Some(map.next_value()?),
                        "en" => en = Some(map.next_value()?),
                        "nl" => nl = Some(map.next_value()?),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown key `{other}` in an option: write `{{en: ..., nl: ...}}` or `{{value: ..., label: ...}}`"
                            )));
                        }
                    }
                }
                match (value, en) {
                    // `{en, nl}`: the English text is the stored value.
                    (None, Some(en)) if label.is_none() => Ok(Choice {
                        value: en.clone(),
                        label: Text { en, nl },
                    }),
                    (Some(value), None) if nl.is_none() => Ok(Choice {
                        label: label.unwrap_or_else(|| Text::plain(value.clone())),
                        value,
                    }),
                    _ => Err(de::Error::custom(
                        "an option is `{en: ..., nl: ...}` or `{value: ..., label: ...}`, not a mix",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        crate::workspace::yaml::from_str("t.yaml", text).map_err(|e| e.to_string())
    }

    fn text(s: &str) -> Result<Text, String> {
        yaml(s)
    }

    #[test]
    fn a_plain_text_is_english_without_dutch() {
        assert_eq!(text("Impact").unwrap(), Text::plain("Impact"));
        assert_eq!(text("Impact").unwrap().translation(), None);
    }

    #[test]
    fn two_languages_give_a_translation() {
        let t = text("{en: Impact, nl: Gevolgen}").unwrap();
        assert_eq!(t.en, "Impact");
        assert_eq!(t.translation(), Some(("Impact".into(), "Gevolgen".into())));
    }

    #[test]
    fn dutch_alone_is_the_text_in_both_languages() {
        assert_eq!(text("{nl: Gevolgen}").unwrap(), Text::plain("Gevolgen"));
    }

    #[test]
    fn an_unknown_language_is_named() {
        let e = text("{en: Impact, de: Auswirkung}").unwrap_err();
        assert!(e.contains("unknown language `de`"), "{e}");
        assert!(text("{}").unwrap_err().contains("no text"));
    }

    #[test]
    fn the_same_text_twice_is_no_translation() {
        assert_eq!(text("{en: OK, nl: OK}").unwrap().translation(), None);
    }

    #[test]
    fn an_option_is_a_value_or_a_value_with_a_label() {
        let c: Vec<Choice> =
            yaml("[must, {value: should, label: {en: Should have, nl: Zou moeten}}, {value: x}]").unwrap();
        assert_eq!(c[0].value, "must");
        assert_eq!(c[0].label.en, "must");
        assert_eq!(c[1].label.en, "Should have");
        assert_eq!(c[1].label.nl.as_deref(), Some("Zou moeten"));
        assert_eq!(c[2].label.en, "x");
        let e = yaml::<Choice>("{value: a, colour: red}").unwrap_err();
        assert!(e.contains("colour"), "{e}");
        let both: Choice = yaml("{en: Last week, nl: Vorige week}").unwrap();
        assert_eq!(both.value, "Last week");
        assert_eq!(
            both.label.translation(),
            Some(("Last week".into(), "Vorige week".into()))
        );
        assert!(yaml::<Choice>("{value: a, en: b}").unwrap_err().contains("not a mix"));
    }
}

//! An e-mail address, normalised once when it is parsed: trimmed and
//! lower-cased, so two spellings of one address are equal everywhere after.
//!
//! Still plain `String`s (normalised by hand with `names::normalise_email`):
//! RFC requesters and testers, store rows (`promoted_by`, `actor`, tokens,
//! sessions), `pipeline` notify lists, RFC fields of type `email`/`user`, and
//! the web's calendar feed and CSRF keys.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::names;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(String);

/// What was given where an e-mail address was expected (trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnEmail(pub String);

impl fmt::Display for NotAnEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an e-mail address", self.0)
    }
}

impl std::error::Error for NotAnEmail {}

impl Email {
    pub fn parse(text: &str) -> Result<Email, NotAnEmail> {
        let normal = names::normalise_email(text);
        if names::is_email(&normal) {
            Ok(Email(normal))
        } else {
            Err(NotAnEmail(text.trim().to_string()))
        }
    }

    /// Nobody in particular: who reads on the command line without saying
    /// who they are (reading there needs no identity, DESIGN §8).
    pub fn nobody() -> Email {
        Email("nobody@localhost.invalid".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for Email {
    type Err = NotAnEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Lets `&email` go wherever a `&str` is asked for, and maps keyed by `Email`
// be looked up with a `&str` (the normalised form is the whole value, so
// hashing and ordering agree with `str`'s).
impl Deref for Email {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Email {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

// Comparisons with strings compare with the normalised form as it is: the
// other side is expected to be normalised already (stored values are).
impl PartialEq<str> for Email {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
impl PartialEq<&str> for Email {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
impl PartialEq<String> for Email {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}
impl PartialEq<Email> for String {
    fn eq(&self, other: &Email) -> bool {
        *self == other.0
    }
}
impl PartialEq<Email> for &str {
    fn eq(&self, other: &Email) -> bool {
        *self == other.0
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_normalises() {
        let e = Email::parse(" Anna@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "anna@example.org");
        assert_eq!(e, Email::parse("anna@example.org").unwrap());
        assert_eq!(e, "anna@example.org");
        assert_eq!("anna@example.org".to_string(), e);
    }

    #[test]
    fn what_is_email_decides() {
        for bad in [
            "",
            "anna",
            "@example.org",
            "anna@",
            "anna@org",
            "an na@example.org",
            "a@b@c.org",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.to_string(), format!("`{}` is not an e-mail address", bad.trim()));
        }
    }

    #[test]
    fn serde_is_the_string() {
        let e: Email = serde_json::from_str("\"Bob@Example.org\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"bob@example.org\"");
        let err = serde_json::from_str::<Email>("\"bob\"").unwrap_err();
        assert!(err.to_string().contains("`bob` is not an e-mail address"), "{err}");
    }

    #[test]
    fn maps_keyed_by_email_are_read_with_str() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(Email::parse("bob@example.org").unwrap(), 1);
        assert_eq!(m.get("bob@example.org"), Some(&1));
    }
}

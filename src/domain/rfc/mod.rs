//! Requests for change: their states, who may move them, and what their
//! answers must look like.

pub mod fields;
pub mod lifecycle;
pub mod query;

use crate::domain::stamp::Stamp;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use fields::{FieldError, FieldValue, Fields};
pub use lifecycle::{Action, Actor, Refusal};

/// `RFC-<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RfcId(pub i64);

impl fmt::Display for RfcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RFC-{}", self.0)
    }
}

impl FromStr for RfcId {
    type Err = String;
    /// Accepts `RFC-12`, `rfc-12` and plain `12`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let digits = t.strip_prefix("RFC-").or_else(|| t.strip_prefix("rfc-")).unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && !digits.starts_with('0') && !digits.starts_with('+') => Ok(RfcId(n)),
            _ => Err(format!("`{s}` is not an RFC id such as RFC-12")),
        }
    }
}

impl Serialize for RfcId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("`{s}` is not one of {}", all.join(", "))
                })
            }
        }
    };
}

string_enum! {
    /// Where an RFC is in its life (DESIGN §5).
    State {
        Draft = "draft",
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
        InDevelopment = "in_development",
        InTest = "in_test",
        InAcceptance = "in_acceptance",
        Accepted = "accepted",
        Released = "released",
        Closed = "closed",
        Withdrawn = "withdrawn",
        OnHold = "on_hold",
    }
}

impl State {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "Draft",
            State::Submitted => "Submitted",
            State::Approved => "Approved for build",
            State::Rejected => "Rejected",
            State::InDevelopment => "In development",
            State::InTest => "In test",
            State::InAcceptance => "In acceptance",
            State::Accepted => "Accepted",
            State::Released => "Released",
            State::Closed => "Closed",
            State::Withdrawn => "Withdrawn",
            State::OnHold => "On hold",
        }
    }

    /// No way out but reading.
    pub fn is_final(self) -> bool {
        matches!(self, State::Closed | State::Withdrawn)
    }

    /// Position on the main line, for "approved or later" rules.
    pub fn rank(self) -> Option<u8> {
        Some(match self {
            State::Draft => 0,
            State::Submitted => 1,
            State::Approved => 2,
            State::InDevelopment => 3,
            State::InTest => 4,
            State::InAcceptance => 5,
            State::Accepted => 6,
            State::Released => 7,
            State::Closed => 8,
            State::Rejected | State::Withdrawn | State::OnHold => return None,
        })
    }
}

string_enum! {
    Priority { Must = "must", Should = "should", Could = "could", Wont = "wont" }
}

string_enum! {
    Risk { Low = "low", Medium = "medium", High = "high" }
}

/// Core fields every RFC has besides its template's.
pub const IMPACT_FIELDS: &[&str] = &["impact_organisation", "impact_department", "impact_individual"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_ids() {
        assert_eq!("RFC-12".parse::<RfcId>().unwrap(), RfcId(12));
        assert_eq!("rfc-3".parse::<RfcId>().unwrap(), RfcId(3));
        assert_eq!("7".parse::<RfcId>().unwrap(), RfcId(7));
        for bad in ["RFC-0", "RFC-", "x", "RFC-01", "-1", "RFC-+1"] {
            assert!(bad.parse::<RfcId>().is_err(), "{bad}");
        }
        assert_eq!(RfcId(12).to_string(), "RFC-12");
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>().unwrap(), *s);
            assert!(!s.label().is_empty());
        }
        assert!("done".parse::<State>().unwrap_err().contains("in_development"));
        assert_eq!("wont".parse::<Priority>().unwrap(), Priority::Wont);
        assert!("urgent".parse::<Priority>().is_err());
        assert_eq!("high".parse::<Risk>().unwrap(), Risk::High);
    }
}

/// An RFC as the rules see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rfc {
    pub id: RfcId,
    pub template: String,
    pub title: String,
    pub requester: String,
    pub department: String,
    pub state: State,
    pub held_from: Option<State>,
    pub fields: Fields,
    pub package: Option<String>,
    /// The released RFC this one follows up (`rfc new --follows`).
    pub follows: Option<RfcId>,
    pub created_at: Stamp,
    pub updated_at: Stamp,
    pub revision: i64,
}

impl Rfc {
    pub fn field_text(&self, id: &str) -> Option<String> {
        self.fields.get(id).filter(|v| v.is_filled()).map(FieldValue::display)
    }
}

/// A test case of an RFC's test plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestCase {
    pub id: i64,
    pub environment: String,
    pub kind: String,
    pub title: String,
    pub steps: String,
    pub expected: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tester {
    pub environment: String,
    pub email: String,
    pub added_by: String,
    pub added_at: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: Stamp,
}

/// One entry of an RFC's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub at: Stamp,
    pub actor: String,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: String,
}

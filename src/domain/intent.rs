//! What a promotion or rollback intent is about to move, typed: written
//! before the commit, read back by the completion and by a reconcile after
//! a crash.

use serde::{Deserialize, Serialize};

/// One package an intent moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentPackage {
    pub package: String,
    /// The version that arrives (a rollback: the one restored).
    pub version: Option<String>,
    /// The version it replaces (a rollback: the one withdrawn).
    pub from_version: Option<String>,
    /// The tree that arrives; `None` when a rollback removes the package.
    pub tree: Option<String>,
    pub rfcs: Vec<String>,
}

/// An RFC a rollback returns to the state it had before the withdrawn
/// version arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfcReturn {
    pub rfc: String,
    pub from: String,
    pub to: String,
}

/// The payload of an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentPayload {
    Promote(Vec<IntentPackage>),
    /// A rollback, or (`retire`) a retirement: the package's folder goes back
    /// to an earlier tree or away, and RFCs may return.
    Rollback {
        package: IntentPackage,
        returns: Vec<RfcReturn>,
        retire: bool,
    },
}

impl IntentPayload {
    pub fn kind(&self) -> &'static str {
        match self {
            IntentPayload::Promote(_) => "promote",
            IntentPayload::Rollback { retire: true, .. } => "retire",
            IntentPayload::Rollback { .. } => "rollback",
        }
    }

    pub fn packages(&self) -> &[IntentPackage] {
        match self {
            IntentPayload::Promote(p) => p,
            IntentPayload::Rollback { package, .. } => std::slice::from_ref(package),
        }
    }

    pub fn returns(&self) -> &[RfcReturn] {
        match self {
            IntentPayload::Promote(_) => &[],
            IntentPayload::Rollback { returns, .. } => returns,
        }
    }
}

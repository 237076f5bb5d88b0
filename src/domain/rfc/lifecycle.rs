//! The RFC state machine (DESIGN §5): which transitions exist, who may make
//! each, and what must hold first.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::State;
use crate::domain::Msg;
use crate::msg;

/// A transition a person makes. Promotions and sign-offs move RFCs too; those
/// moves are in [`system_move`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Approve,
    Reject,
    Start,
    Hold,
    Resume,
    Withdraw,
    Close,
    /// A released or closed RFC back to development (DESIGN §15).
    Reopen,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::Start,
        Action::Hold,
        Action::Resume,
        Action::Withdraw,
        Action::Close,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Start => "start",
            Action::Hold => "hold",
            Action::Resume => "resume",
            Action::Withdraw => "withdraw",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "Submit for assessment",
            Action::Approve => "Approve for build",
            Action::Reject => "Reject",
            Action::Start => "Start development",
            Action::Hold => "Put on hold",
            Action::Resume => "Resume",
            Action::Withdraw => "Withdraw",
            Action::Close => "Close",
            Action::Reopen => "Reopen",
        }
    }

    /// Actions that need a reason in the comment.
    pub fn needs_comment(self) -> bool {
        matches!(self, Action::Reject | Action::Hold | Action::Withdraw | Action::Reopen)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Action::parse(s).map_err(|m| m.to_string())
    }
}

impl Action {
    /// The action named `s`, or a message naming those there are.
    pub fn parse(s: &str) -> Result<Action, Msg> {
        Action::ALL.iter().copied().find(|a| a.as_str() == s).ok_or_else(|| {
            let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
            msg!(
                "unknown transition `{name}`: expected one of {all}",
                name = s,
                all = all.join(", ")
            )
        })
    }
}

/// What the acting person is, relative to this RFC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    pub is_requester: bool,
    pub may_file: bool,
    pub may_edit: bool,
    pub may_assess: bool,
}

/// Why a transition or edit is not allowed, with what would allow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The field at fault, when one is (its id, as the API names it).
    pub field: Option<String>,
    pub message: Msg,
    /// What a page calls the field, when the one who refused knew.
    #[serde(skip)]
    pub label: Option<String>,
}

impl Refusal {
    pub fn new(message: Msg) -> Refusal {
        Refusal {
            field: None,
            message,
            label: None,
        }
    }
    pub fn field(field: &str, message: Msg) -> Refusal {
        Refusal {
            field: Some(field.to_string()),
            message,
            label: None,
        }
    }
}

impl From<super::fields::FieldError> for Refusal {
    fn from(e: super::fields::FieldError) -> Refusal {
        Refusal {
            field: Some(e.field),
            message: e.message,
            label: e.label,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// The state an action leads to from `from`, if the diagram has that edge.
/// `held_from` is the state an on-hold RFC was in before.
pub fn target(action: Action, from: State, held_from: Option<State>) -> Option<State> {
    use State::*;
    Some(match (action, from) {
        (Action::Submit, Draft) => Submitted,
        (Action::Approve, Submitted) => Approved,
        (Action::Reject, Submitted) => Rejected,
        (Action::Start, Approved) => InDevelopment,
        (Action::Hold, Submitted | Approved | InDevelopment | InTest | InAcceptance | Accepted) => OnHold,
        (Action::Resume, OnHold) => held_from.filter(|s| *s != OnHold && !s.is_final()).unwrap_or(Submitted),
        (Action::Withdraw, Draft | Submitted | Approved | InDevelopment | OnHold) => Withdrawn,
        (Action::Close, Released | Rejected) => Closed,
        (Action::Reopen, Released | Closed) => InDevelopment,
        _ => return None,
    })
}

/// Who may make `action` (DESIGN §5, §7). Segregation of duties holds whatever
/// the matrix says: a requester never assesses their own RFC.
pub fn permitted(action: Action, actor: Actor) -> Result<(), Refusal> {
    match action {
        Action::Submit | Action::Withdraw => {
            if actor.may_edit || (actor.is_requester && actor.may_file) {
                Ok(())
            } else {
                Err(Refusal::new(msg!(
                    "only the requester or someone with permission rfc.edit may {action} this RFC",
                    action = action.as_str()
                )))
            }
        }
        Action::Approve | Action::Reject | Action::Reopen => {
            if actor.is_requester {
                Err(Refusal::new(msg!(
                    "you requested this RFC, so you may not {action} it (segregation of duties): ask another change manager",
                    action = action.as_str()
                )))
            } else if actor.may_assess {
                Ok(())
            } else {
                Err(Refusal::new(msg!(
                    "{action} needs permission rfc.assess: ask a change manager",
                    action = action.as_str()
                )))
            }
        }
        Action::Start | Action::Hold | Action::Resume | Action::Close => {
            if actor.may_edit {
                Ok(())
            } else {
                Err(Refusal::new(msg!(
                    "{action} needs permission rfc.edit: ask a functional admin",
                    action = action.as_str()
                )))
            }
        }
    }
}

/// What an RFC looks like to the guards.
pub struct GuardInput<'a> {
    /// Problems that would block submission (every required field filled, formats right).
    pub submit_problems: &'a [Refusal],
    /// Core fields that approval needs and that are empty.
    pub missing_for_approval: &'a [&'a str],
    pub comment: Option<&'a str>,
}

/// Checks everything about a transition; on refusal returns every reason.
pub fn check(
    action: Action,
    from: State,
    held_from: Option<State>,
    actor: Actor,
    guard: &GuardInput<'_>,
) -> Result<State, Vec<Refusal>> {
    let mut reasons = Vec::new();
    let to = target(action, from, held_from);
    if to.is_none() {
        let options: Vec<&str> = Action::ALL
            .iter()
            .filter(|a| target(**a, from, held_from).is_some())
            .map(|a| a.as_str())
            .collect();
        let mut m = msg!(
            "an RFC that is {state} cannot be {done}; from {from} it can: {options}",
            state = word(from.label().to_lowercase()),
            done = word(past(action)),
            from = from.as_str()
        );
        match options.is_empty() {
            true => m.word("options", "nothing (it is final)"),
            false => m.arg("options", options.join(", ")),
        }
        reasons.push(Refusal::new(m));
    }
    if let Err(r) = permitted(action, actor) {
        reasons.push(r);
    }
    if to.is_some() {
        match action {
            Action::Submit => reasons.extend(guard.submit_problems.iter().cloned()),
            Action::Approve => {
                for f in guard.missing_for_approval {
                    reasons.push(Refusal::field(
                        f,
                        msg!("fill this in before approving: impact and risk must be explicit"),
                    ));
                }
            }
            _ => {}
        }
        if action.needs_comment() && guard.comment.is_none_or(|c| c.trim().is_empty()) {
            reasons.push(Refusal::field(
                "comment",
                msg!("say why in a comment when you {action}", action = action.as_str()),
            ));
        }
    }
    match (to, reasons.is_empty()) {
        (Some(to), true) => Ok(to),
        _ => Err(reasons),
    }
}

fn past(action: Action) -> &'static str {
    match action {
        Action::Submit => "submitted",
        Action::Approve => "approved",
        Action::Reject => "rejected",
        Action::Start => "started",
        Action::Hold => "put on hold",
        Action::Resume => "resumed",
        Action::Withdraw => "withdrawn",
        Action::Close => "closed",
        Action::Reopen => "reopened",
    }
}

/// Moves made by the system, not by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemMove {
    /// The RFC's package reached test.
    ReachedTest,
    /// The package reached acceptance.
    ReachedAcceptance,
    /// Every appointed acceptance tester approved.
    AcceptedInAcceptance,
    /// The package reached production.
    ReachedProduction,
    /// A tester rejected: back to development.
    TesterRejected,
}

/// The state a system move leads to, if the RFC is in a state it applies to.
pub fn system_move(m: SystemMove, from: State) -> Option<State> {
    use State::*;
    match m {
        SystemMove::ReachedTest => from.rank().filter(|r| (2..=4).contains(r)).map(|_| InTest),
        SystemMove::ReachedAcceptance => (from == InTest || from == InAcceptance).then_some(InAcceptance),
        SystemMove::AcceptedInAcceptance => (from == InAcceptance).then_some(Accepted),
        SystemMove::ReachedProduction => (from == Accepted || from == Released).then_some(Released),
        SystemMove::TesterRejected => matches!(from, InTest | InAcceptance | Accepted).then_some(InDevelopment),
    }
}

/// Every edge of the diagram, people's and the system's: `(from, to)`.
pub fn diagram() -> Vec<(State, State)> {
    use State::*;
    let mut edges = vec![
        (Draft, Submitted),
        (Submitted, Approved),
        (Submitted, Rejected),
        (Approved, InDevelopment),
        (Approved, InTest),
        (InDevelopment, InTest),
        (InTest, InAcceptance),
        (InAcceptance, Accepted),
        (Accepted, Released),
        (Released, Closed),
        (Rejected, Closed),
        (InTest, InDevelopment),
        (InAcceptance, InDevelopment),
        (Accepted, InDevelopment),
        (Released, InDevelopment),
        (Closed, InDevelopment),
    ];
    for s in [Submitted, Approved, InDevelopment, InTest, InAcceptance, Accepted] {
        edges.push((s, OnHold));
        edges.push((OnHold, s));
    }
    for s in [Draft, Submitted, Approved, InDevelopment, OnHold] {
        edges.push((s, Withdrawn));
    }
    edges
}

/// May `actor` change `changed` fields of an RFC in `state`? A requester edits
/// their own draft; `rfc.edit` edits any RFC that is not final; whoever may
/// assess may set impact and risk while the RFC is submitted.
pub fn edit_permitted(state: State, actor: Actor, changed: &[&str]) -> Result<(), Refusal> {
    if state.is_final() {
        return Err(Refusal::new(msg!(
            "a {state} RFC cannot be changed any more",
            state = word(state.label().to_lowercase())
        )));
    }
    if actor.may_edit {
        return Ok(());
    }
    if actor.is_requester && actor.may_file {
        if state == State::Draft {
            return Ok(());
        }
        return Err(Refusal::new(msg!(
            "you can change your RFC while it is a draft; now add a comment instead, or ask a functional admin"
        )));
    }
    if actor.may_assess && !actor.is_requester && state == State::Submitted {
        let assessable = |f: &&str| super::IMPACT_FIELDS.contains(f) || *f == "risk";
        if let Some(other) = changed.iter().find(|f| !assessable(f)) {
            return Err(Refusal::field(
                other,
                msg!("while assessing you may set the impact fields and risk only"),
            ));
        }
        return Ok(());
    }
    Err(Refusal::new(msg!(
        "changing this RFC needs permission rfc.edit, or being its requester while it is a draft"
    )))
}

#[cfg(test)]
mod tests;

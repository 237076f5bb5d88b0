//! Playing a sample RFC to its state: the transitions a person makes, and the
//! package events that move it onwards, each by the demo person whose job it is.

use super::{ADMIN, ASSESSOR, REQUESTER, person};
use crate::app::{App, Result};
use crate::domain::rfc::lifecycle::SystemMove;
use crate::domain::rfc::{Action, RfcId, State};

fn path_to(target: State) -> Vec<Step> {
    use Step::*;
    let build = vec![Person(Action::Submit), Person(Action::Approve), Person(Action::Start)];
    let mut steps = match target {
        State::Draft => vec![],
        State::Submitted => vec![Person(Action::Submit)],
        State::Approved => vec![Person(Action::Submit), Person(Action::Approve)],
        State::Rejected => vec![Person(Action::Submit), Person(Action::Reject)],
        State::Withdrawn => vec![Person(Action::Withdraw)],
        State::OnHold => [build.clone(), vec![Person(Action::Hold)]].concat(),
        _ => build.clone(),
    };
    let system = [
        (State::InTest, SystemMove::ReachedTest),
        (State::InAcceptance, SystemMove::ReachedAcceptance),
        (State::Accepted, SystemMove::AcceptedInAcceptance),
        (State::Released, SystemMove::ReachedProduction),
    ];
    let rank = target.rank().unwrap_or(0);
    if rank >= State::InTest.rank().unwrap_or(0) && target != State::OnHold {
        for (s, m) in system {
            if s.rank() <= Some(rank) {
                steps.push(System(m));
            }
        }
    }
    if target == State::Closed {
        steps.push(Person(Action::Close));
    }
    steps
}

#[derive(Clone, Copy)]
enum Step {
    Person(Action),
    System(SystemMove),
}

impl App {
    pub(super) async fn play(&self, id: RfcId, target: State) -> Result<()> {
        for step in path_to(target) {
            match step {
                Step::Person(a) => {
                    let who = match a {
                        Action::Submit | Action::Withdraw => REQUESTER,
                        Action::Approve | Action::Reject => ASSESSOR,
                        _ => ADMIN,
                    };
                    let comment = match a {
                        Action::Reject => {
                            Some("The standard forecast report already shows this; see the sales handbook")
                        }
                        Action::Withdraw => Some("Nobody uses fax any more; the field stays hidden instead"),
                        Action::Hold => Some("Waiting for the marketing automation licence"),
                        Action::Approve => Some("Go: small change, clear benefit"),
                        _ => None,
                    };
                    self.move_rfc(&person(who)?, id, a, comment).await?;
                }
                Step::System(m) => {
                    // The demo's commits are the functional admin's, so its package events are too.
                    self.system_move(id, m, &person(ADMIN)?.email, "demo").await?;
                }
            }
        }
        Ok(())
    }
}

//! Tests of `lifecycle`.

use super::*;
use State::*;

const NOBODY: Actor = Actor {
    is_requester: false,
    may_file: false,
    may_edit: false,
    may_assess: false,
};
const REQUESTER: Actor = Actor {
    is_requester: true,
    may_file: true,
    may_edit: false,
    may_assess: false,
};
const ADMIN: Actor = Actor {
    is_requester: false,
    may_file: true,
    may_edit: true,
    may_assess: false,
};
const ASSESSOR: Actor = Actor {
    is_requester: false,
    may_file: true,
    may_edit: false,
    may_assess: true,
};
const ASSESSING_REQUESTER: Actor = Actor {
    is_requester: true,
    may_file: true,
    may_edit: true,
    may_assess: true,
};

fn ok_guard() -> GuardInput<'static> {
    GuardInput {
        submit_problems: &[],
        missing_for_approval: &[],
        comment: Some("because"),
    }
}

fn actor_for(action: Action) -> Actor {
    match action {
        Action::Approve | Action::Reject | Action::Reopen => ASSESSOR,
        _ => ADMIN,
    }
}

#[test]
fn every_allowed_transition() {
    let cases = [
        (Action::Submit, Draft, Submitted),
        (Action::Approve, Submitted, Approved),
        (Action::Reject, Submitted, Rejected),
        (Action::Start, Approved, InDevelopment),
        (Action::Hold, InTest, OnHold),
        (Action::Withdraw, Draft, Withdrawn),
        (Action::Withdraw, OnHold, Withdrawn),
        (Action::Close, Released, Closed),
        (Action::Close, Rejected, Closed),
        (Action::Reopen, Released, InDevelopment),
        (Action::Reopen, Closed, InDevelopment),
    ];
    for (action, from, to) in cases {
        assert_eq!(
            check(action, from, None, actor_for(action), &ok_guard()),
            Ok(to),
            "{action} from {from}"
        );
    }
    assert_eq!(
        check(Action::Resume, OnHold, Some(InAcceptance), ADMIN, &ok_guard()),
        Ok(InAcceptance)
    );
}

#[test]
fn every_refused_transition_says_what_is_possible() {
    for from in State::ALL {
        for action in Action::ALL {
            let allowed = target(*action, *from, Some(Submitted)).is_some();
            let result = check(*action, *from, Some(Submitted), actor_for(*action), &ok_guard());
            assert_eq!(result.is_ok(), allowed, "{action} from {from}");
            if !allowed {
                let reasons = result.unwrap_err();
                assert!(reasons[0].message.to_string().contains("cannot be"), "{reasons:?}");
                assert!(reasons[0].message.to_string().contains("it can:"), "{reasons:?}");
            }
        }
    }
}

#[test]
fn final_states_offer_nothing_but_a_closed_rfc_may_be_reopened() {
    for action in Action::ALL {
        assert!(target(*action, Withdrawn, None).is_none());
        assert_eq!(
            target(*action, Closed, None).is_some(),
            *action == Action::Reopen,
            "{action}"
        );
    }
    let r = check(Action::Submit, Withdrawn, None, ADMIN, &ok_guard()).unwrap_err();
    assert!(r[0].message.to_string().contains("nothing (it is final)"), "{r:?}");
    let r = check(Action::Submit, Closed, None, ADMIN, &ok_guard()).unwrap_err();
    assert!(r[0].message.to_string().contains("it can: reopen"), "{r:?}");
}

#[test]
fn only_an_assessor_who_did_not_request_it_reopens_with_a_reason() {
    assert!(permitted(Action::Reopen, ASSESSOR).is_ok());
    assert!(permitted(Action::Reopen, ADMIN).is_err());
    let mut requester = ASSESSOR;
    requester.is_requester = true;
    assert!(permitted(Action::Reopen, requester).is_err());
    assert!(Action::Reopen.needs_comment());
}

#[test]
fn who_may() {
    assert!(permitted(Action::Submit, REQUESTER).is_ok());
    assert!(permitted(Action::Withdraw, REQUESTER).is_ok());
    assert!(permitted(Action::Submit, ADMIN).is_ok());
    assert!(permitted(Action::Submit, NOBODY).is_err());
    assert!(permitted(Action::Submit, ASSESSOR).is_err(), "assessing is not editing");
    assert!(permitted(Action::Approve, ASSESSOR).is_ok());
    assert!(permitted(Action::Approve, ADMIN).is_err());
    for a in [Action::Start, Action::Hold, Action::Resume, Action::Close] {
        assert!(permitted(a, ADMIN).is_ok());
        assert!(permitted(a, REQUESTER).is_err());
        assert!(permitted(a, ASSESSOR).is_err());
    }
}

#[test]
fn a_requester_never_assesses_their_own_rfc() {
    for a in [Action::Approve, Action::Reject] {
        let r = permitted(a, ASSESSING_REQUESTER).unwrap_err();
        assert!(r.message.to_string().contains("segregation of duties"));
    }
}

#[test]
fn who_may_edit() {
    assert!(edit_permitted(Draft, REQUESTER, &["screen"]).is_ok());
    assert!(
        edit_permitted(Submitted, REQUESTER, &["screen"])
            .unwrap_err()
            .message
            .to_string()
            .contains("while it is a draft")
    );
    assert!(edit_permitted(InTest, ADMIN, &["screen"]).is_ok());
    assert!(edit_permitted(Closed, ADMIN, &["screen"]).is_err());
    assert!(edit_permitted(Withdrawn, ADMIN, &["screen"]).is_err());
    assert!(edit_permitted(Submitted, ASSESSOR, &["risk", "impact_department"]).is_ok());
    assert_eq!(
        edit_permitted(Submitted, ASSESSOR, &["risk", "title"])
            .unwrap_err()
            .field
            .as_deref(),
        Some("title")
    );
    assert!(edit_permitted(Approved, ASSESSOR, &["risk"]).is_err());
    assert!(edit_permitted(Draft, NOBODY, &["screen"]).is_err());
    let own = Actor {
        is_requester: true,
        may_file: true,
        may_edit: false,
        may_assess: true,
    };
    assert!(
        edit_permitted(Submitted, own, &["risk"]).is_err(),
        "a requester does not assess their own RFC"
    );
}

#[test]
fn submit_needs_required_fields() {
    let problems = [Refusal::field("screen", crate::msg!("is required"))];
    let guard = GuardInput {
        submit_problems: &problems,
        missing_for_approval: &[],
        comment: None,
    };
    let r = check(Action::Submit, Draft, None, REQUESTER, &guard).unwrap_err();
    assert_eq!(r, problems);
}

#[test]
fn approve_needs_impact_and_risk() {
    let missing = ["impact_individual", "risk"];
    let guard = GuardInput {
        submit_problems: &[],
        missing_for_approval: &missing,
        comment: None,
    };
    let r = check(Action::Approve, Submitted, None, ASSESSOR, &guard).unwrap_err();
    assert_eq!(
        r.iter().map(|x| x.field.clone().unwrap()).collect::<Vec<_>>(),
        ["impact_individual", "risk"]
    );
}

#[test]
fn reject_hold_and_withdraw_need_a_reason() {
    let guard = GuardInput {
        submit_problems: &[],
        missing_for_approval: &[],
        comment: Some("  "),
    };
    for (a, from, who) in [
        (Action::Reject, Submitted, ASSESSOR),
        (Action::Hold, Approved, ADMIN),
        (Action::Withdraw, Draft, REQUESTER),
    ] {
        let r = check(a, from, None, who, &guard).unwrap_err();
        assert_eq!(r[0].field.as_deref(), Some("comment"), "{a}");
    }
}

#[test]
fn all_reasons_at_once() {
    let guard = GuardInput {
        submit_problems: &[],
        missing_for_approval: &["risk"],
        comment: None,
    };
    let r = check(Action::Approve, Submitted, None, REQUESTER, &guard).unwrap_err();
    assert_eq!(r.len(), 2, "{r:?}");
}

#[test]
fn resume_returns_to_the_state_before_hold() {
    for s in [Submitted, Approved, InDevelopment, InTest, InAcceptance, Accepted] {
        assert_eq!(target(Action::Hold, s, None), Some(OnHold));
        assert_eq!(target(Action::Resume, OnHold, Some(s)), Some(s));
    }
    assert_eq!(target(Action::Resume, OnHold, None), Some(Submitted));
    assert_eq!(target(Action::Resume, OnHold, Some(Closed)), Some(Submitted));
}

#[test]
fn system_moves() {
    for s in [Approved, InDevelopment, InTest] {
        assert_eq!(system_move(SystemMove::ReachedTest, s), Some(InTest));
    }
    for s in [
        Draft,
        Submitted,
        Rejected,
        OnHold,
        Withdrawn,
        InAcceptance,
        Accepted,
        Released,
        Closed,
    ] {
        assert_eq!(system_move(SystemMove::ReachedTest, s), None, "{s}");
    }
    assert_eq!(system_move(SystemMove::ReachedAcceptance, InTest), Some(InAcceptance));
    assert_eq!(system_move(SystemMove::ReachedAcceptance, InDevelopment), None);
    assert_eq!(
        system_move(SystemMove::AcceptedInAcceptance, InAcceptance),
        Some(Accepted)
    );
    assert_eq!(system_move(SystemMove::ReachedProduction, Accepted), Some(Released));
    assert_eq!(system_move(SystemMove::ReachedProduction, InAcceptance), None);
    assert_eq!(
        system_move(SystemMove::TesterRejected, InAcceptance),
        Some(InDevelopment)
    );
    assert_eq!(system_move(SystemMove::TesterRejected, Released), None);
}

/// Property: whatever sequence of actions and system moves anyone tries,
/// every state change follows an edge of the diagram. Exhaustive over all
/// sequences up to length 9 from a draft.
#[test]
fn no_sequence_leaves_the_diagram() {
    let edges = diagram();
    #[derive(Clone, Copy)]
    enum Step {
        Person(Action),
        System(SystemMove),
    }
    let mut steps: Vec<Step> = Action::ALL.iter().map(|a| Step::Person(*a)).collect();
    for m in [
        SystemMove::ReachedTest,
        SystemMove::ReachedAcceptance,
        SystemMove::AcceptedInAcceptance,
        SystemMove::ReachedProduction,
        SystemMove::TesterRejected,
    ] {
        steps.push(Step::System(m));
    }
    let actors = [NOBODY, REQUESTER, ADMIN, ASSESSOR, ASSESSING_REQUESTER];
    let mut seen = std::collections::HashSet::new();
    fn walk(
        state: State,
        held: Option<State>,
        depth: usize,
        steps: &[Step],
        actors: &[Actor],
        edges: &[(State, State)],
        seen: &mut std::collections::HashSet<State>,
    ) {
        seen.insert(state);
        if depth == 0 {
            return;
        }
        for step in steps {
            let mut nexts: Vec<State> = match step {
                Step::Person(a) => actors
                    .iter()
                    .filter_map(|actor| check(*a, state, held, *actor, &ok_guard()).ok())
                    .collect(),
                Step::System(m) => system_move(*m, state).into_iter().collect(),
            };
            nexts.sort();
            nexts.dedup();
            for next in nexts {
                if next != state {
                    assert!(
                        edges.contains(&(state, next)),
                        "{state} -> {next} is not in the diagram"
                    );
                }
                let held_next = if next == OnHold { Some(state) } else { held };
                walk(next, held_next, depth - 1, steps, actors, edges, seen);
            }
        }
    }
    walk(Draft, None, 9, &steps, &actors, &edges, &mut seen);
    // Every state is reachable from a draft.
    for s in State::ALL {
        assert!(seen.contains(s), "{s} was never reached");
    }
}

//! Moving an RFC's state. Every path (a person's transition, a promotion, a
//! sign-off, a rollback) goes through `App::move_state`, which does the
//! whole move inside the caller's transaction: the update with its revision
//! check, the timeline event, the comment, the requester's mail and the audit
//! entry. A second copy of any of these is how a path forgets one.

use crate::msg;
use minijinja::context;
use minijinja::value::Serde;
use serde_json::json;

use super::{Caller, MAX_COMMENT};
use crate::app::{App, AppError, Result};
use crate::domain::Email;
use crate::domain::rfc::fields;
use crate::domain::rfc::lifecycle::{self, Action, GuardInput, Refusal, SystemMove};
use crate::domain::rfc::{Rfc, RfcId, State};
use crate::store::WriteTx;
use crate::store::audit::{self, NewAuditEvent};
use crate::store::rfcs::{self as rfc_store, NewEvent};

/// One move of one RFC, as the caller decided it.
#[derive(Debug, Clone)]
pub(crate) struct StateMove<'a> {
    /// The timeline's kind of event: the action (`submit`, `approve` ...) or
    /// what happened (`promoted`, `signed_off`, `rolled_back`).
    pub kind: &'a str,
    pub to: State,
    /// Where `resume` returns to; set only by `hold`.
    pub held_from: Option<State>,
    /// The timeline's detail, e.g. "promote 1a2b3c" or the comment.
    pub detail: &'a str,
    /// A person's words with the move: kept as a comment and quoted in the
    /// requester's mail.
    pub comment: Option<&'a str>,
    /// Extra facts for the audit entry (`from`, `to` and `detail` are added).
    pub audit: serde_json::Value,
}

impl App {
    /// Moves `rfc`, as read by the caller (its `revision` is the check), in
    /// the caller's transaction. Returns the RFC as saved. `Conflict` when
    /// someone changed the RFC since it was read: the caller's transaction
    /// must then be rolled back, which dropping it does.
    pub(crate) async fn move_state(
        &self,
        conn: &mut WriteTx,
        caller: &Caller,
        rfc: &Rfc,
        mv: StateMove<'_>,
    ) -> Result<Rfc> {
        let from = rfc.state;
        let mut moved = rfc.clone();
        moved.state = mv.to;
        moved.held_from = mv.held_from;
        if !rfc_store::update(conn, &moved).await? {
            return Err(AppError::Conflict(msg!(
                "{id} was changed by someone else meanwhile: reload it and try again",
                id = rfc.id
            )));
        }
        rfc_store::add_event(
            conn,
            &NewEvent {
                rfc: rfc.id,
                actor: &caller.email,
                kind: mv.kind,
                from_state: Some(from),
                to_state: Some(mv.to),
                detail: mv.detail,
            },
        )
        .await?;
        if let Some(c) = mv.comment {
            rfc_store::add_comment(conn, rfc.id, &caller.email, c).await?;
        }
        // Withdrawn, closed or back in development: its sign-off rounds end
        // (their links answer no more; a new version starts new ones).
        if matches!(mv.to, State::Withdrawn | State::Closed | State::InDevelopment) {
            crate::store::rounds::end_rounds_of(conn, rfc.id.0, mv.to.as_str()).await?;
            crate::store::signoff::revoke_links(conn, rfc.id.0).await?;
        }
        let saved = rfc_store::get_in(conn, rfc.id)
            .await?
            .ok_or_else(|| AppError::NotFound(rfc.id.to_string()))?;
        self.notify_state(conn, &saved, &caller.email, mv.comment).await?;
        self.request_assessment(conn, &saved, &caller.email).await?;
        let mut detail = json!({ "from": from, "to": mv.to, "detail": mv.detail });
        if let (Some(extra), Some(d)) = (mv.audit.as_object(), detail.as_object_mut()) {
            d.extend(extra.clone());
        }
        audit::append(
            conn,
            &NewAuditEvent {
                actor: caller.email.to_string(),
                action: format!("rfc.{}", mv.kind),
                object: rfc.id.to_string(),
                outcome: "ok".into(),
                origin: caller.origin,
                detail,
            },
        )
        .await?;
        Ok(saved)
    }

    /// Tells the requester their RFC changed state, unless they moved it.
    pub(crate) async fn notify_state(
        &self,
        conn: &mut WriteTx,
        rfc: &Rfc,
        by: &str,
        comment: Option<&str>,
    ) -> Result<()> {
        if rfc.requester == by {
            return Ok(());
        }
        let ctx = context! {
            rfc => Serde(rfc), state_label => rfc.state.label(), by, comment,
            rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
        };
        self.queue(conn, "state", vec![rfc.requester.clone()], ctx).await
    }

    /// A person's transition (`submit`, `approve`, `hold` ...), judged by the
    /// lifecycle's guards.
    pub async fn move_rfc(&self, caller: &Caller, id: RfcId, action: Action, comment: Option<&str>) -> Result<Rfc> {
        let rfc = self.rfc(caller, id).await?;
        let template = self.template_of(&rfc.template)?;
        let submit: Vec<Refusal> = fields::submit_problems(template, &rfc.title, &rfc.fields)
            .into_iter()
            .map(Refusal::from)
            .collect();
        let missing = fields::missing_for_approval(&rfc.fields);
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment
            && c.chars().count() > MAX_COMMENT
        {
            return Err(AppError::invalid("comment", msg!("is longer than 10,000 characters")));
        }
        let guard = GuardInput {
            submit_problems: &submit,
            missing_for_approval: &missing,
            comment,
        };
        let from = rfc.state;
        let to = lifecycle::check(action, from, rfc.held_from, self.actor(caller, Some(&rfc)), &guard)
            .map_err(AppError::Refused)?;
        let kind = action.as_str();
        let mut tx = self.store.write_tx().await?;
        let saved = self
            .move_state(
                &mut tx,
                caller,
                &rfc,
                StateMove {
                    kind,
                    to,
                    held_from: (action == Action::Hold).then_some(from),
                    detail: comment.unwrap_or(""),
                    comment,
                    audit: json!({ "comment": comment }),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The move a package event (a promotion, the last acceptance sign-off)
    /// asks of an RFC in the caller's transaction: the RFC as saved, or
    /// `None` when the event does not move an RFC in its state.
    pub(crate) async fn system_move_in(
        &self,
        conn: &mut WriteTx,
        caller: &Caller,
        id: RfcId,
        m: SystemMove,
        kind: &str,
        detail: &str,
    ) -> Result<Option<Rfc>> {
        let Some(rfc) = rfc_store::get_in(conn, id).await? else {
            return Ok(None);
        };
        let Some(to) = lifecycle::system_move(m, rfc.state) else {
            return Ok(None);
        };
        if to == rfc.state {
            return Ok(None);
        }
        let mv = StateMove {
            kind,
            to,
            held_from: None,
            detail,
            comment: None,
            audit: json!({}),
        };
        Ok(Some(self.move_state(conn, caller, &rfc, mv).await?))
    }

    /// `system_move_in` in a transaction of its own (the demo uses it).
    pub async fn system_move(&self, id: RfcId, m: SystemMove, by: &Email, detail: &str) -> Result<Option<State>> {
        let caller = Caller::new(by.clone(), crate::store::audit::Origin::Cli);
        let kind = serde_json::to_value(m)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let current = self
            .store
            .rfc(id)
            .await?
            .ok_or_else(|| AppError::NotFound(id.to_string()))?;
        let mut tx = self.store.write_tx().await?;
        let moved = self.system_move_in(&mut tx, &caller, id, m, &kind, detail).await?;
        tx.commit().await?;
        Ok(match moved {
            Some(rfc) => Some(rfc.state),
            None => lifecycle::system_move(m, current.state),
        })
    }
}

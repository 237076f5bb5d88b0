//! Appointing and removing testers.

use crate::msg;
use serde_json::json;

use super::{Caller, audit_event};
use crate::app::signoff::renew::RoundMail;
use crate::app::{App, AppError, Result};
use crate::domain::names;
use crate::domain::rfc::{RfcId, State};
use crate::store::audit;
use crate::store::rfcs::{self as rfc_store, NewEvent};
use crate::store::rounds;

impl App {
    /// Appoints (`add`) or removes a tester for an environment. Returns false
    /// when nothing changed.
    pub async fn set_tester(
        &self,
        caller: &Caller,
        id: RfcId,
        environment: &str,
        email: &str,
        add: bool,
    ) -> Result<bool> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(msg!(
                "appointing testers needs permission rfc.edit: ask a functional admin"
            )));
        }
        if self.workspace.pipeline.get(environment).is_none() {
            return Err(self.unknown_env("environment", environment));
        }
        if !names::is_email(email) {
            return Err(AppError::invalid(
                "email",
                msg!("`{text}` is not an e-mail address", text = email),
            ));
        }
        let email = names::normalise_email(email);
        if add && email == rfc.requester {
            return Err(AppError::refused(msg!(
                "{email} requested {id}, so may not test it (segregation of duties): appoint another key user",
                email,
                id
            )));
        }
        if add && rfc.state.is_final() {
            return Err(AppError::refused(msg!(
                "{id} is {state}: no more testing",
                id,
                state = word(rfc.state.label().to_lowercase())
            )));
        }
        let mut tx = self.store.write_tx().await?;
        let changed = if add {
            rfc_store::add_tester(&mut tx, id, environment, &email, &caller.email).await?
        } else {
            rfc_store::remove_tester(&mut tx, id, environment, &email).await?
        };
        if changed && add && rfc.state != State::Released {
            // Appointed mid-round: the current round's link, at once.
            if let Some(round) = rounds::current_round(&mut tx, id.0, environment).await? {
                let packages = round.carriers();
                let mail = RoundMail {
                    id: round.id,
                    packages: &packages,
                    reason: "appointed",
                };
                let ttl = self.workspace.config.signoff.link_ttl;
                let expires = self.now() + time::Duration::seconds(ttl.as_secs() as i64);
                self.invite_testers(&mut tx, &rfc, environment, &mail, expires, Some(&email))
                    .await?;
            }
        }
        if changed && !add {
            // A tester no longer appointed records no verdict: their links end now.
            rounds::revoke_tester_links(&mut tx, id.0, environment, &email).await?;
        }
        if changed {
            let kind = if add { "tester_added" } else { "tester_removed" };
            let detail = format!("{email} in {environment}");
            rfc_store::add_event(
                &mut tx,
                &NewEvent {
                    rfc: id,
                    actor: &caller.email,
                    kind,
                    from_state: None,
                    to_state: None,
                    detail: &detail,
                },
            )
            .await?;
            audit::append(
                &mut tx,
                &audit_event(
                    caller,
                    &format!("rfc.{kind}"),
                    id,
                    json!({ "tester": email, "environment": environment }),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

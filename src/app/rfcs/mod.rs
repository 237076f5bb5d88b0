//! Filing, reading, editing and commenting on RFCs. State moves live in
//! `moves` (the one function every path uses), testers in `testers`, package
//! links in `link`.

mod link;
pub(crate) mod moves;
mod testers;
mod view;

pub use super::caller::Caller;
pub use crate::domain::rfc::query::{RfcFilter, Sort};
pub use link::LinkOutcome;
pub use view::{RfcListItem, RfcPage, RfcView, SignoffProgress};

use crate::msg;
use serde_json::json;

use super::attachments::{Pending, attach_to_comment};
use super::{App, AppError, Result};
use crate::domain::rfc::fields::{self, FieldError};
use crate::domain::rfc::lifecycle::{self, Action, Actor};
use crate::domain::rfc::{Fields, Rfc, RfcId, State};
use crate::domain::template::Template;
use crate::store::audit::{self, NewAuditEvent, Origin};
use crate::store::rfcs::{self as rfc_store, NewEvent, NewRfcRecord};

#[derive(Debug, Clone, Default)]
pub struct NewRfc {
    pub template: String,
    pub title: String,
    pub department: Option<String>,
    pub fields: Fields,
    /// A follow-up of this (released or closed) RFC.
    pub follows: Option<RfcId>,
}

#[derive(Debug, Clone, Default)]
pub struct RfcChanges {
    pub title: Option<String>,
    pub department: Option<String>,
    /// Answers to set; an empty answer clears the field.
    pub fields: Fields,
}

pub const MAX_PER_PAGE: i64 = 100;
const MAX_TITLE: usize = 200;
pub(super) const MAX_COMMENT: usize = 10_000;

impl App {
    fn actor(&self, caller: &Caller, rfc: Option<&Rfc>) -> Actor {
        let access = &self.workspace.access;
        Actor {
            is_requester: rfc.is_some_and(|r| r.requester == caller.email),
            may_file: access.can(&caller.email, "rfc.file"),
            may_edit: access.can(&caller.email, "rfc.edit"),
            may_assess: access.can(&caller.email, "rfc.assess"),
        }
    }

    /// Anyone in the authorization matrix may read RFCs. The CLI reads with
    /// the file-system rights of whoever runs it, like git (DESIGN §8).
    pub fn may_view(&self, caller: &Caller) -> Result<()> {
        if caller.origin != Origin::Cli && self.workspace.access.roles_of(&caller.email).is_empty() {
            return Err(AppError::refused(msg!(
                "{who} has no role in access.yaml: ask a change manager to add you to the authorization matrix",
                who = &caller.email
            )));
        }
        Ok(())
    }

    fn template_of(&self, id: &str) -> Result<&Template> {
        self.workspace.template(id).ok_or_else(|| {
            let known: Vec<&str> = self.workspace.templates.iter().map(|t| t.id.as_str()).collect();
            AppError::invalid(
                "template",
                msg!(
                    "unknown template `{id}`; choose one of: {known}",
                    id,
                    known = known.join(", ")
                ),
            )
        })
    }

    /// Whether the caller may file RFCs (the button on the list).
    pub fn may_file(&self, caller: &Caller) -> bool {
        let actor = self.actor(caller, None);
        actor.may_file || actor.may_edit
    }

    pub async fn file_rfc(&self, caller: &Caller, new: NewRfc) -> Result<Rfc> {
        if !self.may_file(caller) {
            return Err(AppError::refused(msg!(
                "filing an RFC needs permission rfc.file: ask a change manager for the requester role"
            )));
        }
        let template = self.template_of(&new.template)?;
        let mut errors = Vec::new();
        let title = new.title.trim().to_string();
        check_title(&title, &mut errors);
        let mut input = template.defaults();
        input.extend(new.fields.clone());
        let normalised = match fields::normalise(template, &input) {
            Ok(f) => f,
            Err(e) => {
                errors.extend(e);
                Fields::new()
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let department = new
            .department
            .or_else(|| template.department.clone())
            .unwrap_or_default()
            .trim()
            .to_string();
        if let Some(f) = new.follows {
            match self.store.rfc(f).await? {
                None => {
                    return Err(AppError::invalid(
                        "follows",
                        msg!("{f} does not exist: name the released RFC this one follows up", f),
                    ));
                }
                Some(old) if !matches!(old.state, State::Released | State::Closed) => {
                    return Err(AppError::invalid(
                        "follows",
                        msg!(
                            "{f} is {state}, not released: add the work to {f} itself instead of a follow-up",
                            f,
                            state = word(old.state.label().to_lowercase())
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let mut tx = self.store.write_tx().await?;
        let id = rfc_store::insert(
            &mut tx,
            &NewRfcRecord {
                template: &template.id,
                title: &title,
                requester: &caller.email,
                department: &department,
                fields: &normalised,
                test_cases: &template.test_cases,
                follows: new.follows,
            },
        )
        .await?;
        if let Some(f) = new.follows {
            let detail = format!("follow-up {id} filed");
            rfc_store::add_event(
                &mut tx,
                &NewEvent {
                    rfc: f,
                    actor: &caller.email,
                    kind: "followed_up",
                    from_state: None,
                    to_state: None,
                    detail: &detail,
                },
            )
            .await?;
        }
        rfc_store::add_event(
            &mut tx,
            &NewEvent {
                rfc: id,
                actor: &caller.email,
                kind: "created",
                from_state: None,
                to_state: Some(State::Draft),
                detail: "",
            },
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_event(
                caller,
                "rfc.file",
                id,
                json!({ "template": template.id, "title": title, "follows": new.follows.map(|f| f.to_string()) }),
            ),
        )
        .await?;
        let rfc = rfc_store::get_in(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(id.to_string()))?;
        tx.commit().await?;
        Ok(rfc)
    }

    pub async fn rfc(&self, caller: &Caller, id: RfcId) -> Result<Rfc> {
        self.may_view(caller)?;
        self.store
            .rfc(id)
            .await?
            .ok_or_else(|| AppError::NotFound(id.to_string()))
    }

    /// The transitions this caller may try on this RFC, for buttons.
    pub fn actions_for(&self, caller: &Caller, rfc: &Rfc) -> Vec<Action> {
        let actor = self.actor(caller, Some(rfc));
        Action::ALL
            .iter()
            .copied()
            .filter(|a| {
                lifecycle::target(*a, rfc.state, rfc.held_from).is_some() && lifecycle::permitted(*a, actor).is_ok()
            })
            .collect()
    }

    pub fn may_edit(&self, caller: &Caller, rfc: &Rfc) -> bool {
        lifecycle::edit_permitted(rfc.state, self.actor(caller, Some(rfc)), &["title"]).is_ok()
    }

    pub fn may_assess_fields(&self, caller: &Caller, rfc: &Rfc) -> bool {
        lifecycle::edit_permitted(rfc.state, self.actor(caller, Some(rfc)), &["risk"]).is_ok()
    }

    /// Departments that have filed RFCs, for the list's filter.
    pub async fn rfc_departments(&self) -> Result<Vec<String>> {
        Ok(self.store.rfc_departments().await?)
    }

    pub fn may_appoint(&self, caller: &Caller) -> bool {
        self.workspace.access.can(&caller.email, "rfc.edit")
    }

    pub async fn edit_rfc(&self, caller: &Caller, id: RfcId, changes: RfcChanges) -> Result<Rfc> {
        let mut rfc = self.rfc(caller, id).await?;
        let template = self.template_of(&rfc.template)?.clone();
        let mut changed: Vec<String> = Vec::new();
        let mut errors = Vec::new();
        if let Some(t) = &changes.title {
            let t = t.trim().to_string();
            check_title(&t, &mut errors);
            if t != rfc.title {
                changed.push("title".into());
                rfc.title = t;
            }
        }
        if let Some(d) = &changes.department {
            let d = d.trim().to_string();
            if d != rfc.department {
                changed.push("department".into());
                rfc.department = d;
            }
        }
        let normalised = fields::normalise(&template, &changes.fields).unwrap_or_else(|e| {
            errors.extend(e);
            Fields::new()
        });
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        for id in changes.fields.keys() {
            let new = normalised.get(id);
            if new != rfc.fields.get(id) {
                changed.push(id.clone());
                match new {
                    Some(v) => rfc.fields.insert(id.clone(), v.clone()),
                    None => rfc.fields.remove(id),
                };
            }
        }
        let names: Vec<&str> = changed.iter().map(String::as_str).collect();
        // Checked even when nothing changes: a no-op edit by someone without
        // the right is refused, never "saved".
        lifecycle::edit_permitted(rfc.state, self.actor(caller, Some(&rfc)), &names).map_err(|mut r| {
            // A page names a template's question by its label.
            r.label = r
                .field
                .as_deref()
                .and_then(|f| template.field(f))
                .map(|f| f.label.clone());
            AppError::Refused(vec![r])
        })?;
        if changed.is_empty() {
            return Ok(rfc);
        }
        self.save_edit(
            caller,
            &rfc,
            "edited",
            &names.join(", "),
            "rfc.edit",
            json!({ "fields": names }),
        )
        .await
    }

    /// Saves a change that leaves the state alone (answers, title, the
    /// package link), with its event and audit entry. State moves go through
    /// `move_state`.
    pub(super) async fn save_edit(
        &self,
        caller: &Caller,
        rfc: &Rfc,
        kind: &str,
        detail: &str,
        audit_action: &str,
        audit_detail: serde_json::Value,
    ) -> Result<Rfc> {
        let mut tx = self.store.write_tx().await?;
        if !rfc_store::update(&mut tx, rfc).await? {
            return Err(AppError::Conflict(msg!(
                "{id} was changed by someone else meanwhile: reload it and try again",
                id = rfc.id
            )));
        }
        rfc_store::add_event(
            &mut tx,
            &NewEvent {
                rfc: rfc.id,
                actor: &caller.email,
                kind,
                from_state: None,
                to_state: None,
                detail,
            },
        )
        .await?;
        audit::append(&mut tx, &audit_event(caller, audit_action, rfc.id, audit_detail)).await?;
        let saved = rfc_store::get_in(&mut tx, rfc.id)
            .await?
            .ok_or_else(|| AppError::NotFound(rfc.id.to_string()))?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Adds a comment, with the files sent with it (checked and stored, not
    /// yet visible): the comment and its files appear together or not at all.
    pub async fn comment_rfc(&self, caller: &Caller, id: RfcId, body: &str, files: &[Pending]) -> Result<()> {
        let rfc = self.rfc(caller, id).await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(AppError::invalid("body", msg!("write something to comment")));
        }
        if body.chars().count() > MAX_COMMENT {
            return Err(AppError::invalid("body", msg!("is longer than 10,000 characters")));
        }
        let mut tx = self.store.write_tx().await?;
        rfc_store::add_comment(&mut tx, rfc.id, &caller.email, body).await?;
        attach_to_comment(&mut tx, files, rfc.id, &caller.email, caller.origin, None).await?;
        let names: Vec<&str> = files.iter().map(|f| f.checked.name.as_str()).collect();
        self.notify_comment(&mut tx, &rfc, &caller.email, body, &names).await?;
        rfc_store::add_event(
            &mut tx,
            &NewEvent {
                rfc: rfc.id,
                actor: &caller.email,
                kind: "commented",
                from_state: None,
                to_state: None,
                detail: "",
            },
        )
        .await?;
        audit::append(&mut tx, &audit_event(caller, "rfc.comment", rfc.id, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn check_title(title: &str, errors: &mut Vec<FieldError>) {
    if title.is_empty() {
        errors.push(FieldError::new(
            "title",
            msg!("is required: give the request a short title"),
        ));
    } else if title.chars().any(char::is_control) {
        // A line break would cut the mail subject that quotes the title and
        // put the rest, of the requester's choosing, into other people's mails.
        errors.push(FieldError::new(
            "title",
            msg!("must be one line: remove the line breaks (and tabs) and put details in the fields"),
        ));
    } else if title.chars().count() > MAX_TITLE {
        errors.push(FieldError::new(
            "title",
            msg!("is longer than 200 characters: keep the title short and put details in the fields"),
        ));
    }
}

pub(crate) fn audit_event(caller: &Caller, action: &str, id: RfcId, detail: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        actor: caller.email.to_string(),
        action: action.to_string(),
        object: id.to_string(),
        outcome: "ok".into(),
        origin: caller.origin,
        detail,
    }
}

//! `dtap demo`: a living system for newcomers — RFCs in every state and
//! packages in every environment, made through the same use cases as real work.
//!
//! samples.rs holds the RFCs, play.rs walks each to its state, packages.rs
//! places the packages; this module checks the workspace is empty and runs them.

mod packages;
mod play;
mod samples;

use crate::msg;
use serde::Serialize;

use self::samples::{IMPACT, SAMPLES, value};
use super::rfcs::{Caller, NewRfc};
use super::{App, AppError, Result};
use crate::domain::Email;
use crate::domain::origin::Origin;
use crate::domain::rfc::{FieldValue, Fields, State};

const REQUESTER: &str = "sales@example.org";
const ADMIN: &str = "fa@example.org";
const ASSESSOR: &str = "cm@example.org";
const KEY_USER: &str = "key.user@example.org";

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub rfcs: Vec<(String, String, String)>,
    pub packages: Vec<String>,
    pub commit: String,
}

impl App {
    pub async fn demo(&self) -> Result<DemoReport> {
        if self.store.rfc_count().await? > 0 {
            return Err(AppError::Conflict(msg!(
                "this workspace already has RFCs; dtap demo only fills an empty one. Try it in a fresh `dtap init` folder"
            )));
        }
        let status = self.status().await?;
        if !status.packages.is_empty() {
            return Err(AppError::Conflict(msg!(
                "the config repo already holds packages; dtap demo only fills an empty one"
            )));
        }
        for who in [REQUESTER, ADMIN, ASSESSOR] {
            if self.workspace.access.roles_of(who).is_empty() {
                return Err(AppError::Conflict(msg!(
                    "dtap demo acts as the users of the default access.yaml, and {who} is not in this one",
                    who
                )));
            }
        }
        let mut made = Vec::new();
        for s in SAMPLES {
            let mut fields: Fields = s
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), value(s.template, k, v)))
                .collect();
            if s.target != State::Draft && s.target != State::Withdrawn {
                fields.extend(
                    IMPACT
                        .iter()
                        .map(|(k, v)| (k.to_string(), FieldValue::Text(v.to_string()))),
                );
            }
            let requester = person(REQUESTER)?;
            let rfc = self
                .file_rfc(
                    &requester,
                    NewRfc {
                        template: s.template.into(),
                        title: s.title.into(),
                        department: Some(s.department.into()),
                        fields,
                        follows: None,
                    },
                )
                .await?;
            if s.package.is_some() {
                self.set_tester(&person(ADMIN)?, rfc.id, "test", ADMIN, true).await?;
                self.set_tester(&person(ADMIN)?, rfc.id, "acceptance", KEY_USER, true)
                    .await?;
            }
            self.play(rfc.id, s.target).await?;
            made.push((rfc.id, s));
        }
        let (packages, commit) = self.place_packages(&made).await?;
        Ok(DemoReport {
            rfcs: made
                .iter()
                .map(|(id, s)| (id.to_string(), s.target.as_str().to_string(), s.title.to_string()))
                .collect(),
            packages,
            commit,
        })
    }
}

/// One of the demo's people, acting from the command line.
fn person(email: &str) -> Result<Caller> {
    let email = Email::parse(email).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Caller::new(email, Origin::Cli))
}

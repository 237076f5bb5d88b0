//! Linking an RFC to a package: a commit to the manifest in develop.

use crate::msg;
use serde::Serialize;
use serde_json::json;

use super::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::names;
use crate::domain::rfc::RfcId;
use crate::gitrepo::Identity;
use crate::gitrepo::write::{self, CasOutcome, Entry};

impl App {
    /// Adds the RFC to the manifest of `package` in the first environment
    /// (develop) with a commit, and remembers the link on the RFC.
    pub async fn link_package(&self, caller: &Caller, id: RfcId, package: &str, dry_run: bool) -> Result<LinkOutcome> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(msg!(
                "linking a package needs permission rfc.edit: ask a functional admin"
            )));
        }
        if rfc.state.is_final() || rfc.state == crate::domain::rfc::State::Released {
            return Err(AppError::refused(msg!(
                "{id} is {state}: a released or closed RFC takes no new version; file a follow-up with \
                 `dtap rfc new --follows {id}`, or reopen it with `dtap rfc move {id} reopen`",
                id,
                state = word(rfc.state.label().to_lowercase())
            )));
        }
        if !names::is_package_name(package) {
            return Err(AppError::invalid(
                "package",
                msg!("`{package}` is not a package name", package),
            ));
        }
        let env = self
            .workspace
            .pipeline
            .first()
            .ok_or_else(|| AppError::Internal("no environments".into()))?
            .clone();
        let repo = self.repo.clone();
        let (rfc_id, pkg, who, user) = (
            id.to_string(),
            package.to_string(),
            Identity::from_email(&caller.email),
            caller.email.clone(),
        );
        let anchor = self.store.audit_head().await?;
        let outcome = tokio::task::spawn_blocking(move || -> Result<LinkOutcome> {
            for _ in 0..5 {
                let path = format!("{}/{}/package.yaml", env.path, pkg);
                let (head, content) = repo.file_at_head(&path)?;
                let Some(content) = content else {
                    return Err(AppError::invalid(
                        "package",
                        msg!(
                            "there is no package `{pkg}` in {env} ({path} is missing): commit the package there first",
                            pkg,
                            env = &env.name,
                            path
                        ),
                    ));
                };
                let text = String::from_utf8_lossy(&content).into_owned();
                let spec: crate::domain::manifest::ManifestSpec = crate::workspace::yaml::from_str(&path, &text)
                    .map_err(|p| AppError::Conflict(msg!("{problem}: fix the manifest first", problem = p)))?;
                if spec.rfcs.contains(&rfc_id) {
                    return Ok(LinkOutcome {
                        commit: None,
                        already: true,
                        manifest: path,
                    });
                }
                let mut rfcs = spec.rfcs.clone();
                rfcs.push(rfc_id.clone());
                let new_text = crate::domain::manifest::set_rfcs(&text, &rfcs);
                let check: crate::domain::manifest::ManifestSpec = crate::workspace::yaml::from_str(&path, &new_text)
                    .map_err(|p| {
                    AppError::Conflict(msg!(
                        "{problem}: cannot update the manifest safely; add {id} to its rfcs by hand",
                        problem = p,
                        id = &rfc_id
                    ))
                })?;
                crate::domain::manifest::Manifest::from_spec(&pkg, check)
                    .map_err(|e| AppError::Conflict(msg!("{path}: {problems}", path, problems = e.join("; "))))?;
                if dry_run {
                    return Ok(LinkOutcome {
                        commit: None,
                        already: false,
                        manifest: path,
                    });
                }
                let message = write::message(
                    &format!("Link {rfc_id} to {pkg}"),
                    None,
                    &[
                        ("Dtap-Action", "link".into()),
                        ("Dtap-Package", pkg.clone()),
                        ("Dtap-RFCs", rfc_id.clone()),
                        ("Dtap-By", user.to_string()),
                    ],
                );
                let made = repo.commit_replacing(
                    &head,
                    &[(path.clone(), Entry::Blob(new_text.into_bytes()))],
                    &message,
                    &who,
                    &anchor,
                )?;
                match repo.publish(&head, &made, &message)? {
                    CasOutcome::Committed(c) => {
                        return Ok(LinkOutcome {
                            commit: Some(c.to_string()),
                            already: false,
                            manifest: path,
                        });
                    }
                    CasOutcome::Moved => continue,
                }
            }
            Err(AppError::Conflict(msg!(
                "the config repo kept changing while linking; try again"
            )))
        })
        .await??;
        if dry_run {
            return Ok(outcome);
        }
        if let Some(c) = &outcome.commit {
            self.store.record_dtap_commit(c, "link").await?;
        }
        let mut rfc = rfc;
        if rfc.package.as_deref() != Some(package) {
            rfc.package = Some(package.to_string());
            self.save_edit(
                caller,
                &rfc,
                "linked",
                package,
                "rfc.link",
                json!({ "package": package, "commit": outcome.commit }),
            )
            .await?;
        }
        Ok(outcome)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkOutcome {
    pub commit: Option<String>,
    pub already: bool,
    pub manifest: String,
}

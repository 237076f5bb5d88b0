//! Sign-off by mailed link: the verdict form and what a verdict moves.
//! Invitations and other mails live in `notify`, reminders and escalations
//! in `reminders`, the test plan in `test_plan`.

mod notify;
mod reminders;
pub(crate) mod renew;
mod test_plan;

use crate::msg;
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::promotion::{self, Role};
use crate::domain::rfc::lifecycle::SystemMove;
use crate::domain::rfc::{Rfc, RfcId, State, TestCase};
use crate::domain::round;
use crate::domain::signoff::{self, SignoffInput, Verdict};
use crate::store::audit::{self, NewAuditEvent, Origin};
use crate::store::rfcs::{self as rfc_store, NewEvent};
use crate::store::rounds;
use crate::store::signoff::{self as links, SignoffLink};

/// A package version that reached an environment, for invitations.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Moved {
    pub package: String,
    pub version: String,
    pub from_version: Option<String>,
    pub tree: String,
    pub rfcs: Vec<String>,
}

impl From<&crate::domain::intent::IntentPackage> for Moved {
    fn from(p: &crate::domain::intent::IntentPackage) -> Moved {
        Moved {
            package: p.package.clone(),
            version: p.version.clone().unwrap_or_default(),
            from_version: p.from_version.clone(),
            tree: p.tree.clone().unwrap_or_default(),
            rfcs: p.rfcs.clone(),
        }
    }
}

/// What the sign-off page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SignoffView {
    pub link: SignoffLink,
    pub rfc: Rfc,
    pub template_title: String,
    pub summary: Option<String>,
    pub environment_label: String,
    pub cases: Vec<TestCase>,
    /// The package versions of the link's round: what to test, together.
    pub packages: Vec<crate::domain::round::Carrier>,
    /// The RFC's attachments, which the tester may open through the link.
    pub attachments: Vec<crate::app::attachments::AttachmentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignoffOutcome {
    pub verdict: String,
    pub rfc: String,
    pub state: State,
    pub all_approved: bool,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    pub(crate) fn base_url(&self) -> String {
        self.workspace.config.web.base_url.trim_end_matches('/').to_string()
    }

    pub(crate) fn mail_domain(&self) -> String {
        let from = &self.workspace.config.mail.from;
        from.rsplit('@')
            .next()
            .unwrap_or("localhost")
            .trim_end_matches('>')
            .to_string()
    }

    pub(crate) fn env_label(&self, env: &str) -> String {
        self.workspace
            .pipeline
            .get(env)
            .map(|e| e.label.clone())
            .unwrap_or_else(|| env.to_string())
    }

    /// The first required long answer: what the RFC should do, in business words.
    fn summary_of(&self, rfc: &Rfc) -> Option<String> {
        self.workspace
            .template(&rfc.template)
            .and_then(|t| {
                t.fields
                    .iter()
                    .find(|f| f.required && f.kind == crate::domain::template::FieldType::Textarea)
            })
            .and_then(|f| rfc.field_text(&f.id))
    }

    /// The link behind a token, if it may still be used. Anything else is
    /// "not found", always the same, so a link's state cannot be probed.
    pub(crate) async fn open_link(&self, token: &str) -> Result<SignoffLink> {
        let link = self
            .store
            .link_by_hash(&token_hash(token))
            .await?
            .ok_or_else(|| AppError::NotFound("link".into()))?;
        let expired = link.expires_at <= self.now();
        if link.used_at.is_some() || link.revoked_at.is_some() || expired {
            return Err(AppError::NotFound("link".into()));
        }
        Ok(link)
    }

    /// What the sign-off form shows. Changes nothing: mail scanners open links.
    pub async fn signoff_view(&self, token: &str) -> Result<SignoffView> {
        let link = self.open_link(token).await?;
        let rfc = self
            .store
            .rfc(RfcId(link.rfc_id))
            .await?
            .ok_or_else(|| AppError::NotFound("link".into()))?;
        let cases = self
            .store
            .rfc_test_cases(rfc.id)
            .await?
            .into_iter()
            .filter(|c| c.environment == link.environment)
            .collect();
        let packages = self.round_of(&link).await?.map(|r| r.carriers()).unwrap_or_default();
        Ok(SignoffView {
            attachments: self.attachments_of(rfc.id).await?,
            packages,
            template_title: self
                .workspace
                .template(&rfc.template)
                .map(|t| t.title.clone())
                .unwrap_or_default(),
            summary: self.summary_of(&rfc),
            environment_label: self.env_label(&link.environment),
            cases,
            rfc,
            link,
        })
    }

    /// Records a verdict, once per link.
    pub async fn submit_signoff(&self, token: &str, input: &SignoffInput) -> Result<SignoffOutcome> {
        self.submit_signoff_with(token, input, &[]).await
    }

    /// Records a verdict with the files the tester attached to it
    /// (uploaded through the same link): all in one transaction.
    pub async fn submit_signoff_with(
        &self,
        token: &str,
        input: &SignoffInput,
        attachments: &[crate::app::attachments::Pending],
    ) -> Result<SignoffOutcome> {
        let view = self.signoff_view(token).await?;
        let (link, rfc) = (&view.link, &view.rfc);
        let case_ids: Vec<i64> = view.cases.iter().map(|c| c.id).collect();
        let verdict = signoff::validate(input, &case_ids).map_err(AppError::Invalid)?;
        // Segregation of duties, whatever access.yaml says.
        let tester = crate::domain::names::normalise_email(&link.tester);
        if tester == rfc.requester {
            return Err(AppError::refused(msg!(
                "{tester} requested {id}, so may not sign it off",
                tester,
                id = rfc.id
            )));
        }
        // The link's round must still be the current one, and the tester
        // still appointed: a removed tester records nothing.
        let round = match link.round_id {
            Some(id) => self.store.round(id).await?,
            None => None,
        }
        .filter(|r| r.ended_at.is_none())
        .ok_or_else(|| AppError::NotFound("link".into()))?;
        let testers = self.store.testers_in(rfc.id.0, &link.environment).await?;
        if !testers.contains(&tester) {
            return Err(AppError::NotFound("link".into()));
        }
        let carried = self.carriers(&link.environment, &[rfc.id].into()).await?;
        let env_path = self
            .workspace
            .pipeline
            .get(&link.environment)
            .map(|e| e.path.clone())
            .unwrap_or_default();
        let trees = round.trees();
        // Whoever promoted any package of the set may not sign off that round.
        let promoted = self
            .store
            .indexed_packages_in(&[env_path.as_str()])
            .await?
            .into_iter()
            .find(|p| {
                round::covers(&trees, &p.package, &p.tree) && crate::domain::names::normalise_email(&p.by) == tester
            });
        if let Some(p) = promoted {
            return Err(AppError::refused(msg!(
                "{tester} promoted {package} into {env}, so may not sign it off there",
                tester,
                package = &p.package,
                env = &link.environment
            )));
        }
        let mut tx = self.store.write_tx().await?;
        if !links::consume_link(&mut tx, link.id).await? {
            return Err(AppError::NotFound("link".into()));
        }
        let signoff_id = links::record_verdict(
            &mut tx,
            &links::NewVerdict {
                link_id: link.id,
                rfc_id: rfc.id.0,
                environment: &link.environment,
                tester: &tester,
                tree: &round.trees,
                verdict: verdict.as_str(),
                comment: &input.comment,
                cases: &input.cases,
                round_id: round.id,
            },
        )
        .await?;
        let mut current = rfc_store::get_in(&mut tx, rfc.id)
            .await?
            .ok_or_else(|| AppError::NotFound(rfc.id.to_string()))?;
        let detail = format!(
            "{} in {} on {} {}",
            verdict.as_str(),
            link.environment,
            link.package,
            link.version
        );
        rfc_store::add_event(
            &mut tx,
            &NewEvent {
                rfc: rfc.id,
                actor: &tester,
                kind: "signoff",
                from_state: None,
                to_state: None,
                detail: &detail,
            },
        )
        .await?;
        if !input.comment.is_empty() {
            rfc_store::add_comment(&mut tx, rfc.id, &tester, &input.comment).await?;
        }
        // The files go with the verdict, and with its comment when it has one.
        crate::app::attachments::attach_to_verdict(
            &mut tx,
            attachments,
            rfc.id,
            &tester,
            signoff_id,
            !input.comment.is_empty(),
        )
        .await?;
        let mut all_approved = false;
        let role = promotion::role(&self.workspace.pipeline, &link.environment);
        if verdict == Verdict::Reject {
            // Before the move ends the rounds: whose links are still open.
            self.notify_round_rejected(&mut tx, &current, &tester, &link.environment, &input.comment)
                .await?;
        }
        let movement = match verdict {
            Verdict::Reject => Some(SystemMove::TesterRejected),
            Verdict::Approve => {
                let testers = links::testers_in(&mut tx, rfc.id.0, &link.environment).await?;
                let approved = rounds::round_approvals(&mut tx, round.id).await?;
                all_approved = round::approved(&testers, &approved);
                // Accepted only when the round covers every package that carries the RFC.
                let whole = carried
                    .carrying
                    .get(&rfc.id)
                    .is_none_or(|c| round::all_arrived(c, &trees));
                (all_approved && whole && role == Role::Acceptance).then_some(SystemMove::AcceptedInAcceptance)
            }
        };
        if let Some(m) = movement {
            let by = Caller::stored(&tester, Origin::Web)?;
            if let Some(moved) = self
                .system_move_in(&mut tx, &by, rfc.id, m, "signed_off", &detail)
                .await?
            {
                current = moved;
            }
        }
        if verdict == Verdict::Reject {
            // Back to development: every round of the RFC ends, so none of
            // their approvals counts for the new version.
            rounds::end_rounds_of(&mut tx, rfc.id.0, "rejected").await?;
            links::revoke_links(&mut tx, rfc.id.0).await?;
            let mut to: Vec<String> = self
                .workspace
                .access
                .users
                .keys()
                .filter(|u| self.workspace.access.can(u, "rfc.edit"))
                .map(|u| u.to_string())
                .collect();
            to.push(rfc.requester.clone());
            let titles: std::collections::HashMap<i64, String> =
                view.cases.iter().map(|c| (c.id, c.title.clone())).collect();
            let cases: Vec<_> = input
                .cases
                .iter()
                .map(|(id, result, note)| context! { title => titles.get(id).cloned().unwrap_or_default(), result, note })
                .collect();
            let ctx = context! {
                rfc => Serde(&current), tester => tester.clone(), environment_label => view.environment_label.clone(),
                package => link.package.clone(), version => link.version.clone(), comment => input.comment.clone(), cases,
                rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
            };
            self.queue(&mut tx, "rejection", to, ctx).await?;
        }
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: tester.clone(),
                action: format!("signoff.{}", verdict.as_str()),
                object: rfc.id.to_string(),
                outcome: "ok".into(),
                origin: Origin::Web,
                detail: json!({ "environment": link.environment, "packages": round.versions(), "trees": trees, "round": round.id, "cases": input.cases.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(SignoffOutcome {
            verdict: verdict.as_str().into(),
            rfc: rfc.id.to_string(),
            state: current.state,
            all_approved,
        })
    }
}

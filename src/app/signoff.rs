//! Sign-off by mailed link: invitations when a package reaches an
//! environment, the verdict form, reminders and escalations, and the mails
//! that keep everyone informed.

use crate::store::Conn;
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::rfcs::Caller;
use super::{App, AppError, Result};
use crate::domain::promotion::{self, Role};
use crate::domain::rfc::lifecycle::SystemMove;
use crate::domain::rfc::{FieldError, Rfc, RfcId, State, TestCase};
use crate::domain::signoff::{self, SignoffInput, Verdict};
use crate::mail::templates;
use crate::store::audit::{self, NewAuditEvent, Origin};
use crate::store::outbox::{self, NewMail};
use crate::store::rfcs::{self as rfc_store, NewEvent};
use crate::store::signoff::{self as links, NewLink, SignoffLink};

/// A package version that reached an environment, for invitations.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Moved {
    pub package: String,
    pub version: String,
    pub from_version: Option<String>,
    pub tree: String,
    pub rfcs: Vec<String>,
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

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    crate::domain::stamp::stamp(t)
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

impl App {
    pub(crate) fn base_url(&self) -> String {
        self.workspace.config.web.base_url.trim_end_matches('/').to_string()
    }

    fn mail_domain(&self) -> String {
        let from = &self.workspace.config.mail.from;
        from.rsplit('@')
            .next()
            .unwrap_or("localhost")
            .trim_end_matches('>')
            .to_string()
    }

    fn env_label(&self, env: &str) -> String {
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

    pub(crate) async fn queue(
        &self,
        conn: &mut Conn,
        kind: &str,
        to: Vec<String>,
        ctx: minijinja::Value,
    ) -> Result<()> {
        let mut to: Vec<String> = to.into_iter().filter(|t| crate::domain::names::is_email(t)).collect();
        to.sort();
        to.dedup();
        if to.is_empty() {
            return Ok(());
        }
        let mail: NewMail = templates::render(
            &self.workspace.dir,
            &self.workspace.config.web.default_locale,
            kind,
            to,
            ctx,
        )
        .map_err(|e| AppError::Internal(format!("mail template {kind}: {e:#}")))?;
        outbox::enqueue(conn, &mail, &self.mail_domain()).await?;
        Ok(())
    }

    /// Invites every tester appointed in `env` for the RFCs of the packages
    /// that just reached it, each with a personal link for that exact tree.
    /// Earlier open links of theirs are revoked: a newer tree makes them stale.
    pub(crate) async fn invite(&self, conn: &mut Conn, env: &str, moved: &[Moved]) -> Result<usize> {
        let ttl = self.workspace.config.link_ttl();
        let expires = now() + time::Duration::seconds(ttl.as_secs() as i64);
        let mut sent = 0;
        for m in moved {
            for r in &m.rfcs {
                let Ok(id) = r.parse::<RfcId>() else { continue };
                let Some(rfc) = rfc_store::get_in(conn, id).await? else {
                    continue;
                };
                if rfc.state.is_final() {
                    continue;
                }
                for tester in links::testers_in(conn, id.0, env).await? {
                    self.send_link(conn, &rfc, env, &tester, m, expires, None, "invitation")
                        .await?;
                    sent += 1;
                }
            }
        }
        Ok(sent)
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_link(
        &self,
        conn: &mut Conn,
        rfc: &Rfc,
        env: &str,
        tester: &str,
        m: &Moved,
        expires: time::OffsetDateTime,
        previous: Option<&SignoffLink>,
        kind: &str,
    ) -> Result<()> {
        let token = crate::random::hex::<32>()?;
        let now_s = rfc3339(now());
        links::create_link(
            conn,
            &NewLink {
                token_hash: &token_hash(&token),
                rfc_id: rfc.id.0,
                environment: env,
                tester,
                package: &m.package,
                version: &m.version,
                tree: &m.tree,
                expires_at: &rfc3339(expires),
                invited_at: previous.map(|p| p.invited_at.as_str()).unwrap_or(&now_s),
                reminded_at: previous.map(|_| now_s.as_str()),
                escalated_at: previous.and_then(|p| p.escalated_at.as_deref()),
            },
        )
        .await?;
        let cases: Vec<_> = links::test_cases_in(conn, rfc.id.0, env)
            .await?
            .into_iter()
            .map(|(_, title, steps, expected)| context! { title, steps, expected })
            .collect();
        let ctx = context! {
            rfc => Serde(rfc),
            summary => self.summary_of(rfc),
            environment => env,
            environment_label => self.env_label(env),
            package => m.package.clone(),
            version => m.version.clone(),
            cases,
            deadline => expires.date().to_string(),
            link => format!("{}/signoff/{token}", self.base_url()),
        };
        self.queue(conn, kind, vec![tester.to_string()], ctx).await
    }

    /// Tells an environment's `notify` list about a promotion into it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn notify_promotion(
        &self,
        conn: &mut Conn,
        env: &str,
        moved: &[Moved],
        by: &str,
        commit: &str,
        reason: &str,
        emergency: bool,
    ) -> Result<()> {
        let Some(e) = self.workspace.pipeline.get(env) else {
            return Ok(());
        };
        if e.notify.is_empty() || moved.is_empty() {
            return Ok(());
        }
        let summary = match moved {
            [one] => format!("{} {} promoted to {}", one.package, one.version, e.label),
            many => format!("{} packages promoted to {}", many.len(), e.label),
        };
        let ctx = context! {
            summary, by, environment => env, environment_label => e.label.clone(), packages => Serde(moved),
            commit => commit.chars().take(12).collect::<String>(), reason, emergency,
        };
        self.queue(conn, "promotion", e.notify.clone(), ctx).await
    }

    /// The link behind a token, if it may still be used. Anything else is
    /// "not found", always the same, so a link's state cannot be probed.
    async fn open_link(&self, token: &str) -> Result<SignoffLink> {
        let link = self
            .store
            .link_by_hash(&token_hash(token))
            .await?
            .ok_or_else(|| AppError::NotFound("link".into()))?;
        let expired = parse_time(&link.expires_at).is_none_or(|t| t <= now());
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
        Ok(SignoffView {
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
        let view = self.signoff_view(token).await?;
        let (link, rfc) = (&view.link, &view.rfc);
        let case_ids: Vec<i64> = view.cases.iter().map(|c| c.id).collect();
        let verdict = signoff::validate(input, &case_ids).map_err(AppError::Invalid)?;
        // Segregation of duties, whatever access.yaml says.
        let tester = crate::domain::names::normalise_email(&link.tester);
        if tester == rfc.requester {
            return Err(AppError::refused(format!(
                "{tester} requested {}, so may not sign it off",
                rfc.id
            )));
        }
        let env_path = self
            .workspace
            .pipeline
            .get(&link.environment)
            .map(|e| e.path.clone())
            .unwrap_or_default();
        self.refresh_index().await?;
        let promoted_by = self
            .store
            .indexed_packages_in(&[env_path.as_str()])
            .await?
            .into_iter()
            .find(|p| p.package == link.package && p.tree == link.tree)
            .map(|p| crate::domain::names::normalise_email(&p.by));
        if promoted_by.as_deref() == Some(tester.as_str()) {
            return Err(AppError::refused(format!(
                "{tester} promoted {} into {}, so may not sign it off there",
                link.package, link.environment
            )));
        }
        let mut tx = self.store.write_tx().await?;
        if !links::consume_link(&mut tx, link.id).await? {
            return Err(AppError::NotFound("link".into()));
        }
        links::record_verdict(
            &mut tx,
            &links::Verdict {
                link_id: link.id,
                rfc_id: rfc.id.0,
                environment: &link.environment,
                tester: &tester,
                tree: &link.tree,
                verdict: verdict.as_str(),
                comment: &input.comment,
                cases: &input.cases,
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
        let mut all_approved = false;
        let role = promotion::role(&self.workspace.pipeline, &link.environment);
        let movement = match verdict {
            Verdict::Reject => Some(SystemMove::TesterRejected),
            Verdict::Approve => {
                let testers = links::testers_in(&mut tx, rfc.id.0, &link.environment).await?;
                let approved = links::approvals_in(&mut tx, rfc.id.0, &link.environment, &link.tree).await?;
                all_approved = !testers.is_empty() && testers.iter().all(|t| approved.contains(t));
                (all_approved && role == Role::Acceptance).then_some(SystemMove::AcceptedInAcceptance)
            }
        };
        if let Some(m) = movement {
            let by = Caller::new(&tester, Origin::Web);
            if let Some(moved) = self
                .system_move_in(&mut tx, &by, rfc.id, m, "signed_off", &detail)
                .await?
            {
                current = moved;
            }
        }
        if verdict == Verdict::Reject {
            links::revoke_links(&mut tx, rfc.id.0).await?;
            let mut to: Vec<String> = self
                .workspace
                .access
                .users
                .keys()
                .filter(|u| self.workspace.access.can(u, "rfc.edit"))
                .cloned()
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
                detail: json!({ "environment": link.environment, "package": link.package, "version": link.version, "tree": link.tree, "cases": input.cases.len() }),
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

    /// Reminds testers who have not answered after `[signoff] remind_after`
    /// (with a fresh link; the old one stops working) and tells the release
    /// managers after `escalate_after`. Returns (reminded, escalated).
    pub async fn remind(&self) -> Result<(usize, usize)> {
        let cfg = &self.workspace.config.signoff;
        let remind_after = crate::domain::duration::parse(&cfg.remind_after).unwrap_or_default();
        let escalate_after = crate::domain::duration::parse(&cfg.escalate_after).unwrap_or_default();
        let (mut reminded, mut escalated) = (0, 0);
        for link in self.store.open_links().await? {
            let (Some(created), Some(invited), Some(expires)) = (
                parse_time(&link.created_at),
                parse_time(&link.invited_at),
                parse_time(&link.expires_at),
            ) else {
                continue;
            };
            if expires <= now() {
                continue;
            }
            let Some(rfc) = self.store.rfc(RfcId(link.rfc_id)).await? else {
                continue;
            };
            let mut escalated_now = false;
            if link.escalated_at.is_none()
                && now() - invited >= time::Duration::seconds(escalate_after.as_secs() as i64)
                && self.store.mark_escalated(link.id).await?
            {
                let next = self
                    .workspace
                    .pipeline
                    .next(&link.environment)
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                let managers: Vec<String> = self
                    .workspace
                    .access
                    .users
                    .keys()
                    .filter(|u| self.workspace.access.can(u, &format!("promote.{next}")))
                    .cloned()
                    .collect();
                let ctx = context! {
                    rfc => Serde(&rfc), tester => link.tester.clone(), invited => link.invited_at[..10].to_string(),
                    environment_label => self.env_label(&link.environment), package => link.package.clone(),
                    version => link.version.clone(), rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
                };
                let mut tx = self.store.write_tx().await?;
                self.queue(&mut tx, "escalation", managers, ctx).await?;
                tx.commit().await?;
                escalated += 1;
                escalated_now = true;
            }
            if link.reminded_at.is_none() && now() - created >= time::Duration::seconds(remind_after.as_secs() as i64) {
                let moved = Moved {
                    package: link.package.clone(),
                    version: link.version.clone(),
                    from_version: None,
                    tree: link.tree.clone(),
                    rfcs: vec![rfc.id.to_string()],
                };
                let mut link = link.clone();
                if escalated_now {
                    link.escalated_at = Some(rfc3339(now()));
                }
                let mut tx = self.store.write_tx().await?;
                if !links::claim_reminder(&mut tx, link.id).await? {
                    tx.rollback().await?;
                    continue; // another instance reminded this tester meanwhile
                }
                self.send_link(
                    &mut tx,
                    &rfc,
                    &link.environment,
                    &link.tester,
                    &moved,
                    expires,
                    Some(&link),
                    "reminder",
                )
                .await?;
                tx.commit().await?;
                reminded += 1;
            }
        }
        Ok((reminded, escalated))
    }

    /// Pending sign-offs per environment: (environment, count, oldest invitation).
    pub async fn pending_signoffs(&self) -> Result<Vec<(String, usize, String)>> {
        let mut by_env: std::collections::BTreeMap<String, (usize, String)> = Default::default();
        for l in self.store.open_links().await? {
            if parse_time(&l.expires_at).is_some_and(|t| t > now()) {
                let e = by_env.entry(l.environment.clone()).or_insert((0, l.invited_at.clone()));
                e.0 += 1;
                if l.invited_at < e.1 {
                    e.1 = l.invited_at.clone();
                }
            }
        }
        Ok(by_env.into_iter().map(|(env, (n, oldest))| (env, n, oldest)).collect())
    }

    /// Adds a test case to an RFC's test plan (permission rfc.edit).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_test_case(
        &self,
        caller: &Caller,
        id: RfcId,
        env: &str,
        kind: &str,
        title: &str,
        steps: &str,
        expected: &str,
    ) -> Result<()> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(
                "editing the test plan needs permission rfc.edit: ask a functional admin",
            ));
        }
        let mut errors = Vec::new();
        if self.workspace.pipeline.get(env).is_none() {
            errors.push(FieldError::new("environment", format!("unknown environment `{env}`")));
        }
        if crate::domain::template::TestKind::parse(kind).is_none() {
            errors.push(FieldError::new(
                "kind",
                "choose functional-test, acceptance-test or regression-test",
            ));
        }
        if title.trim().is_empty() {
            errors.push(FieldError::new("title", "give the test case a title"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        self.store
            .add_test_case(
                rfc.id.0,
                env,
                kind,
                title.trim(),
                steps.trim(),
                expected.trim(),
                &caller.email,
            )
            .await?;
        Ok(())
    }

    pub async fn remove_test_case(&self, caller: &Caller, id: RfcId, case: i64) -> Result<bool> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(
                "editing the test plan needs permission rfc.edit: ask a functional admin",
            ));
        }
        Ok(self.store.remove_test_case(rfc.id.0, case, &caller.email).await?)
    }
}

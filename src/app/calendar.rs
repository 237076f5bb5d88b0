//! The release calendar: freeze windows from the environment files,
//! promotions done from the store, and when open sign-offs escalate.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::{App, Result};
use crate::domain::calendar::{self, Entry, Kind, When};
use crate::domain::stamp::{self, Stamp};

/// Days of history the calendar shows; the future is unbounded for freezes.
pub const PAST_DAYS: i64 = 90;

impl App {
    /// Calendar entries from `PAST_DAYS` ago on, optionally for one environment.
    /// Environments are named by their labels in `locale`.
    pub async fn calendar(
        &self,
        environment: Option<&str>,
        now: OffsetDateTime,
        locale: crate::locale::Locale,
    ) -> Result<Vec<Entry>> {
        self.calendar_between(
            environment,
            now - Duration::days(PAST_DAYS),
            now + Duration::days(1),
            locale,
        )
        .await
    }

    /// Calendar entries that end on or after `from`; promotions done before
    /// `until` (freezes and open sign-offs whenever they are).
    pub async fn calendar_between(
        &self,
        environment: Option<&str>,
        from: OffsetDateTime,
        until: OffsetDateTime,
        locale: crate::locale::Locale,
    ) -> Result<Vec<Entry>> {
        let ws = &self.workspace;
        let label = |env: &str| ws.env_label(env, locale);
        let host = host_of(&ws.config.web.base_url);
        let wanted = |env: &str| environment.is_none_or(|e| e == env);
        let mut out = Vec::new();
        for env in ws.pipeline.environments().iter().filter(|e| wanted(&e.name)) {
            for w in env.freeze.iter().filter(|w| w.to >= from.date()) {
                out.push(Entry {
                    uid: format!("freeze-{}-{}-{}@{host}", env.name, w.from, w.to),
                    kind: Kind::Freeze,
                    environment: env.name.clone(),
                    when: When::Days { from: w.from, to: w.to },
                    start: w.from.to_string(),
                    summary: if w.reason.is_empty() {
                        label(&env.name)
                    } else {
                        format!("{} · {}", label(&env.name), w.reason)
                    },
                    detail: String::new(),
                });
            }
        }
        let until = stamp::stamp(until);
        for p in self.store.done_promotions(&stamp::stamp(from), &until).await? {
            if !wanted(&p.environment) {
                continue;
            }
            let names: Vec<String> = p
                .packages
                .iter()
                .map(|v| match &v.version {
                    Some(version) => format!("{} {version}", v.package),
                    None => v.package.clone(),
                })
                .collect();
            let rfcs: Vec<&str> = p
                .packages
                .iter()
                .flat_map(|v| v.rfcs.iter().map(String::as_str))
                .collect();
            out.push(Entry {
                uid: format!("{}-{}@{host}", p.kind, p.id),
                kind: if p.kind == "rollback" {
                    Kind::Rollback
                } else {
                    Kind::Promotion
                },
                environment: p.environment.clone(),
                when: When::At { at: p.at },
                start: p.at.to_string(),
                summary: format!(
                    "{} · {}{}",
                    label(&p.environment),
                    names.join(", "),
                    if p.emergency != 0 { " (!)" } else { "" }
                ),
                detail: rfcs.join(", "),
            });
        }
        // One deadline per RFC and environment: the earliest open invitation escalates first.
        let escalate = ws.config.signoff.escalate_after;
        let mut due: BTreeMap<(i64, String), (Stamp, usize)> = BTreeMap::new();
        for l in self.store.open_links().await? {
            if !wanted(&l.environment) {
                continue;
            }
            let at = l.invited_at + time::Duration::seconds(escalate.as_secs() as i64);
            let e = due.entry((l.rfc_id, l.environment.clone())).or_insert((at, 0));
            if at < e.0 {
                e.0 = at;
            }
            e.1 += 1;
        }
        for ((rfc, env), (at, open)) in due {
            out.push(Entry {
                uid: format!("signoff-RFC-{rfc}-{env}@{host}"),
                kind: Kind::SignoffDue,
                environment: env.clone(),
                when: When::At { at },
                start: at.to_string(),
                summary: format!("RFC-{rfc} · {} ({open})", label(&env)),
                detail: format!("RFC-{rfc}"),
            });
        }
        calendar::sort(&mut out);
        Ok(out)
    }
}

/// The host of the base URL, for UIDs unique to this instance.
fn host_of(base_url: &str) -> String {
    let rest = base_url.split("://").nth(1).unwrap_or(base_url);
    rest.split(['/', ':']).next().unwrap_or("dtap").to_string()
}

impl super::App {
    /// The user's calendar feed generation: feed addresses name it, and
    /// revoking moves it on.
    pub async fn feed_generation(&self, email: &str) -> super::Result<String> {
        Ok(self
            .store
            .meta(&format!("feed_generation:{email}"))
            .await?
            .unwrap_or_else(|| "0".into()))
    }

    /// Voids every calendar feed address given to the caller (audited).
    pub async fn revoke_feed(&self, caller: &super::caller::Caller) -> super::Result<()> {
        let next = crate::random::hex::<8>()?;
        self.store
            .set_meta(&format!("feed_generation:{}", caller.email), &next)
            .await?;
        self.store
            .record(&crate::store::NewAuditEvent {
                actor: caller.email.to_string(),
                action: "calendar.feed.revoke".into(),
                object: caller.email.to_string(),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: serde_json::json!({}),
            })
            .await?;
        Ok(())
    }
}

//! The demo's packages: three of them in every environment, each version
//! carrying the sample RFCs that reached it, committed in one demo commit.

use super::ADMIN;
use super::samples::Sample;
use crate::app::{App, AppError, Result};
use crate::domain::rfc::{RfcId, State};
use crate::gitrepo::Identity;
use crate::gitrepo::write::{self, Entry};

impl App {
    /// Links each sample RFC to its package and commits the packages in every
    /// environment; returns the package names and the commit.
    pub(super) async fn place_packages(&self, made: &[(RfcId, &Sample)]) -> Result<(Vec<String>, String)> {
        // Packages in every environment, carrying the RFCs that reached each.
        // A version newer than production's names no released or closed RFC
        // (DESIGN §15: `rfcs:` lists what a version delivers that is not yet released).
        let ids = |pkg: &str, min: State, released_version: bool| -> Vec<String> {
            made.iter()
                .filter(|(_, s)| s.package == Some(pkg) && s.target.rank() >= min.rank() && s.target.rank().is_some())
                .filter(|(_, s)| released_version || !matches!(s.target, State::Released | State::Closed))
                .map(|(id, _)| id.to_string())
                .collect()
        };
        type Placement = (&'static str, &'static str, State);
        let packages: [(&str, [Placement; 4]); 3] = [
            (
                "crm-core",
                [
                    ("develop", "2.4.0", State::Approved),
                    ("test", "2.3.0", State::InTest),
                    ("acceptance", "2.3.0", State::InAcceptance),
                    ("production", "2.2.0", State::Released),
                ],
            ),
            (
                "sales-dashboard",
                [
                    ("develop", "1.3.0", State::InDevelopment),
                    ("test", "1.2.0", State::InTest),
                    ("acceptance", "1.2.0", State::InAcceptance),
                    ("production", "1.2.0", State::Released),
                ],
            ),
            (
                "service-workflows",
                [
                    ("develop", "0.9.0", State::InTest),
                    ("test", "0.9.0", State::InTest),
                    ("acceptance", "0.8.0", State::InAcceptance),
                    ("production", "0.7.0", State::Released),
                ],
            ),
        ];
        let mut changes = Vec::new();
        for (pkg, envs) in &packages {
            for (env, version, min) in envs {
                let Some(e) = self.workspace.pipeline.get(env) else {
                    continue;
                };
                let released_version = envs.last().is_some_and(|(_, v, _)| v == version);
                let rfcs = ids(pkg, *min, released_version);
                let manifest = format!(
                    "name: {pkg}\nversion: {version}\nrfcs: [{}]\ndescription: Demo package {pkg}\nrequires_platform: \"2026.2\"\n",
                    rfcs.join(", ")
                );
                for (file, content) in package_files(pkg, version) {
                    changes.push((format!("{}/{pkg}/{file}", e.path), Entry::Blob(content.into_bytes())));
                }
                changes.push((
                    format!("{}/{pkg}/package.yaml", e.path),
                    Entry::Blob(manifest.into_bytes()),
                ));
            }
        }
        for (id, s) in made {
            if let Some(p) = s.package {
                let mut rfc = self
                    .store
                    .rfc(*id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(id.to_string()))?;
                rfc.package = Some(p.to_string());
                let mut tx = self.store.write_tx().await?;
                crate::store::rfcs::update(&mut tx, &rfc).await?;
                tx.commit().await?;
            }
        }
        let repo = self.repo.clone();
        let message = write::message(
            "Demo packages in every environment",
            Some("Sample data made by `dtap demo` for a first look around."),
            &[("Dtap-Action", "demo".into()), ("Dtap-By", ADMIN.into())],
        );
        let anchor = self.store.audit_head().await?;
        let commit = tokio::task::spawn_blocking(move || {
            repo.commit_changes(&changes, &message, &Identity::from_email(ADMIN), &anchor)
        })
        .await??;
        self.store.record_dtap_commit(&commit.to_string(), "demo").await?;
        Ok((
            packages.iter().map(|(p, _)| p.to_string()).collect(),
            commit.to_string(),
        ))
    }
}

fn package_files(pkg: &str, version: &str) -> Vec<(String, String)> {
    match pkg {
        "crm-core" => vec![
            (
                "entities/contact.xml".into(),
                format!(
                    "<entity name=\"contact\" version=\"{version}\">\n  <field name=\"birthday\" type=\"date\"/>\n  <field name=\"initials\" type=\"text\" pattern=\"([A-Z]\\.)+\"/>\n</entity>\n"
                ),
            ),
            (
                "entities/account.xml".into(),
                "<entity name=\"account\">\n  <field name=\"segment\" type=\"picklist\"/>\n</entity>\n".into(),
            ),
        ],
        "sales-dashboard" => vec![
            (
                "dashboards/my-week.json".into(),
                format!(
                    "{{\"name\": \"My week\", \"version\": \"{version}\", \"widgets\": [\"closed-deals-last-week\"]}}\n"
                ),
            ),
            (
                "reports/closed-deals.sql".into(),
                "SELECT owner, customer, amount, product FROM deals WHERE closed_at >= :week_start;\n".into(),
            ),
        ],
        _ => vec![
            (
                "workflows/welcome-mail.json".into(),
                format!(
                    "{{\"trigger\": \"account.created\", \"version\": \"{version}\", \"action\": \"mail:welcome\"}}\n"
                ),
            ),
            (
                "security/service-agent.xml".into(),
                "<role name=\"service-agent\">\n  <privilege entity=\"contract\" level=\"read\"/>\n</role>\n".into(),
            ),
        ],
    }
}

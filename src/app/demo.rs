//! `dtap demo`: a living system for newcomers — RFCs in every state and
//! packages in every environment, made through the same use cases as real work.

use serde::Serialize;

use super::rfcs::{Caller, NewRfc};
use super::{App, AppError, Result};
use crate::domain::Email;
use crate::domain::origin::Origin;
use crate::domain::rfc::lifecycle::SystemMove;
use crate::domain::rfc::{Action, FieldValue, Fields, RfcId, State};
use crate::gitrepo::Identity;
use crate::gitrepo::write::{self, Entry};

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

struct Sample {
    template: &'static str,
    title: &'static str,
    department: &'static str,
    fields: &'static [(&'static str, &'static str)],
    target: State,
    package: Option<&'static str>,
}

const IMPACT: &[(&str, &str)] = &[
    ("priority", "should"),
    ("impact_organisation", "Better forecasts for the quarterly sales review"),
    (
        "impact_department",
        "Sales managers stop building the overview in Excel every Monday",
    ),
    (
        "impact_individual",
        "Each rep sees their own results at a glance: saves about an hour a week",
    ),
    ("risk", "low"),
];

const SAMPLES: &[Sample] = &[
    Sample {
        template: "report",
        title: "Button with my sales results of last week",
        department: "Sales",
        fields: &[
            (
                "what_to_see",
                "All my closed deals of last week with customer, amount and product",
            ),
            ("where_to_show", "My dashboard"),
            ("period", "Last week"),
            ("who_sees", "Only me"),
            ("why_needed", "I prepare my Monday call with my manager from this"),
            (
                "how_to_know",
                "The total matches the invoice list of finance for the same week",
            ),
        ],
        target: State::Released,
        package: Some("sales-dashboard"),
    },
    Sample {
        template: "data-model",
        title: "Birthday on the contact card",
        department: "Marketing",
        fields: &[
            ("record_type", "Contact"),
            ("field_label", "Birthday"),
            ("technical_name", "birthday"),
            ("kind_of_answer", "Date"),
            ("why_needed", "We send a card and a discount code on birthdays"),
        ],
        target: State::Accepted,
        package: Some("crm-core"),
    },
    Sample {
        template: "workflow",
        title: "Welcome mail for new customers",
        department: "Marketing",
        fields: &[
            ("trigger", "When a record is created"),
            ("record_type", "Account"),
            ("actions", "Send the welcome mail template to the primary contact"),
        ],
        target: State::InAcceptance,
        package: Some("service-workflows"),
    },
    Sample {
        template: "authorization",
        title: "Service desk may read contracts",
        department: "Service",
        fields: &[
            ("who_needs_access", "service.desk@example.org"),
            ("role", "Service agent"),
            ("change_kind", "Give access"),
            (
                "records_and_screens",
                "Contracts, read only, to answer questions about terms",
            ),
            ("access_level", "See"),
            (
                "why_needed",
                "Customers call about their contract and we have to call them back",
            ),
            ("duration", "Permanently"),
            ("approver", "service.manager@example.org"),
        ],
        target: State::InTest,
        package: Some("service-workflows"),
    },
    Sample {
        template: "report",
        title: "Open cases per team",
        department: "Service",
        fields: &[
            ("what_to_see", "Number of open cases per team, oldest first"),
            ("where_to_show", "My dashboard"),
            ("period", "Today"),
            ("who_sees", "My department"),
            ("why_needed", "To spread the work at the morning stand-up"),
            ("how_to_know", "The numbers match the case queue views"),
        ],
        target: State::InDevelopment,
        package: Some("sales-dashboard"),
    },
    Sample {
        template: "data-model",
        title: "Titles and initials as our convention says",
        department: "Sales",
        fields: &[
            ("record_type", "Contact"),
            ("field_label", "Initials"),
            ("technical_name", "initials"),
            ("kind_of_answer", "Free text"),
            (
                "why_needed",
                "Letters are addressed wrongly when initials are written as a first name",
            ),
            ("example_initials", "J.P."),
            ("example_last_name", "Jansen"),
        ],
        target: State::Approved,
        package: Some("crm-core"),
    },
    Sample {
        template: "workflow",
        title: "Escalate cases after three days",
        department: "Service",
        fields: &[
            ("trigger", "When a date is reached"),
            ("record_type", "Case"),
            ("conditions", "Case is still open three working days after creation"),
            ("actions", "Assign to the team lead and mail the customer an update"),
        ],
        target: State::Submitted,
        package: None,
    },
    Sample {
        template: "authorization",
        title: "Temporary access for the auditors",
        department: "Finance",
        fields: &[
            ("role", "Sales manager"),
            ("change_kind", "Give access"),
            ("duration", "Until a certain date"),
        ],
        target: State::Draft,
        package: None,
    },
    Sample {
        template: "report",
        title: "Pipeline forecast per region",
        department: "Sales",
        fields: &[
            ("what_to_see", "Weighted pipeline per region for the next two quarters"),
            ("where_to_show", "My dashboard"),
            ("period", "This quarter"),
            ("who_sees", "Management"),
            ("why_needed", "Board asks for it every month"),
            ("how_to_know", "Matches the finance forecast"),
        ],
        target: State::Rejected,
        package: None,
    },
    Sample {
        template: "data-model",
        title: "Remove the fax number",
        department: "Sales",
        fields: &[("record_type", "Account"), ("field_label", "Fax")],
        target: State::Withdrawn,
        package: None,
    },
    Sample {
        template: "workflow",
        title: "Update lead scoring every night",
        department: "Marketing",
        fields: &[
            ("trigger", "Every day or every week (on a schedule)"),
            ("record_type", "Lead"),
            ("actions", "Recalculate the score from website visits and mail clicks"),
        ],
        target: State::OnHold,
        package: None,
    },
    Sample {
        template: "report",
        title: "Churn dashboard",
        department: "Service",
        fields: &[
            ("what_to_see", "Customers that cancelled, per month and reason"),
            ("where_to_show", "My dashboard"),
            ("period", "Last month"),
            ("who_sees", "Management"),
            ("why_needed", "To see why customers leave"),
            ("how_to_know", "Matches the cancellations in the billing system"),
        ],
        target: State::Closed,
        package: Some("sales-dashboard"),
    },
];

fn path_to(target: State) -> Vec<Step> {
    use Step::*;
    let build = vec![Person(Action::Submit), Person(Action::Approve), Person(Action::Start)];
    let mut steps = match target {
        State::Draft => vec![],
        State::Submitted => vec![Person(Action::Submit)],
        State::Approved => vec![Person(Action::Submit), Person(Action::Approve)],
        State::Rejected => vec![Person(Action::Submit), Person(Action::Reject)],
        State::Withdrawn => vec![Person(Action::Withdraw)],
        State::OnHold => [build.clone(), vec![Person(Action::Hold)]].concat(),
        _ => build.clone(),
    };
    let system = [
        (State::InTest, SystemMove::ReachedTest),
        (State::InAcceptance, SystemMove::ReachedAcceptance),
        (State::Accepted, SystemMove::AcceptedInAcceptance),
        (State::Released, SystemMove::ReachedProduction),
    ];
    let rank = target.rank().unwrap_or(0);
    if rank >= State::InTest.rank().unwrap_or(0) && target != State::OnHold {
        for (s, m) in system {
            if s.rank() <= Some(rank) {
                steps.push(System(m));
            }
        }
    }
    if target == State::Closed {
        steps.push(Person(Action::Close));
    }
    steps
}

#[derive(Clone, Copy)]
enum Step {
    Person(Action),
    System(SystemMove),
}

impl App {
    pub async fn demo(&self) -> Result<DemoReport> {
        if self.store.rfc_count().await? > 0 {
            return Err(AppError::Conflict("this workspace already has RFCs; dtap demo only fills an empty one. Try it in a fresh `dtap init` folder".into()));
        }
        let status = self.status().await?;
        if !status.packages.is_empty() {
            return Err(AppError::Conflict(
                "the config repo already holds packages; dtap demo only fills an empty one".into(),
            ));
        }
        for who in [REQUESTER, ADMIN, ASSESSOR] {
            if self.workspace.access.roles_of(who).is_empty() {
                return Err(AppError::Conflict(format!(
                    "dtap demo acts as the users of the default access.yaml, and {who} is not in this one"
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
        // Packages in every environment, carrying the RFCs that reached each.
        let ids = |pkg: &str, min: State| -> Vec<String> {
            made.iter()
                .filter(|(_, s)| s.package == Some(pkg) && s.target.rank() >= min.rank() && s.target.rank().is_some())
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
                let rfcs = ids(pkg, *min);
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
        for (id, s) in &made {
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
        let commit =
            tokio::task::spawn_blocking(move || repo.commit_changes(&changes, &message, &Identity::from_email(ADMIN)))
                .await??;
        self.store.record_dtap_commit(&commit.to_string(), "demo").await?;
        Ok(DemoReport {
            rfcs: made
                .iter()
                .map(|(id, s)| (id.to_string(), s.target.as_str().to_string(), s.title.to_string()))
                .collect(),
            packages: packages.iter().map(|(p, _)| p.to_string()).collect(),
            commit: commit.to_string(),
        })
    }

    async fn play(&self, id: RfcId, target: State) -> Result<()> {
        for step in path_to(target) {
            match step {
                Step::Person(a) => {
                    let who = match a {
                        Action::Submit | Action::Withdraw => REQUESTER,
                        Action::Approve | Action::Reject => ASSESSOR,
                        _ => ADMIN,
                    };
                    let comment = match a {
                        Action::Reject => {
                            Some("The standard forecast report already shows this; see the sales handbook")
                        }
                        Action::Withdraw => Some("Nobody uses fax any more; the field stays hidden instead"),
                        Action::Hold => Some("Waiting for the marketing automation licence"),
                        Action::Approve => Some("Go: small change, clear benefit"),
                        _ => None,
                    };
                    self.move_rfc(&person(who)?, id, a, comment).await?;
                }
                Step::System(m) => {
                    // The demo's commits are the functional admin's, so its package events are too.
                    self.system_move(id, m, &person(ADMIN)?.email, "demo").await?;
                }
            }
        }
        Ok(())
    }
}

fn value(template: &str, key: &str, v: &str) -> FieldValue {
    let multi = matches!(
        (template, key),
        ("report", "who_sees") | ("authorization", "access_level")
    );
    if multi {
        FieldValue::List(vec![v.to_string()])
    } else {
        FieldValue::Text(v.to_string())
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

/// One of the demo's people, acting from the command line.
fn person(email: &str) -> Result<Caller> {
    let email = Email::parse(email).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Caller::new(email, Origin::Cli))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_every_state_and_template() {
        for s in State::ALL {
            assert!(SAMPLES.iter().any(|x| x.target == *s), "no sample ends {s}");
        }
        for t in ["report", "data-model", "workflow", "authorization"] {
            assert!(SAMPLES.iter().any(|x| x.template == t), "no sample of {t}");
        }
    }
}

//! The demo's sample RFCs: one ending in every state, of every template, with
//! answers a newcomer recognises.

use crate::domain::rfc::{FieldValue, State};

pub(super) struct Sample {
    pub(super) template: &'static str,
    pub(super) title: &'static str,
    pub(super) department: &'static str,
    pub(super) fields: &'static [(&'static str, &'static str)],
    pub(super) target: State,
    pub(super) package: Option<&'static str>,
}

pub(super) const IMPACT: &[(&str, &str)] = &[
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

pub(super) const SAMPLES: &[Sample] = &[
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

pub(super) fn value(template: &str, key: &str, v: &str) -> FieldValue {
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

//! Mail texts, rendered with minijinja from templates embedded in the binary;
//! a workspace may override each in `mail-templates/<name>.txt` and `.html`
//! (for example to word them in Dutch). The first line of the text template
//! is the subject.

use std::path::Path;

use minijinja::{AutoEscape, Environment, Value};

use crate::store::outbox::NewMail;

const BUILTIN: &[(&str, &str)] = &[
    ("invitation.txt", include_str!("templates/invitation.txt")),
    ("invitation.html", include_str!("templates/invitation.html")),
    ("reminder.txt", include_str!("templates/reminder.txt")),
    ("reminder.html", include_str!("templates/reminder.html")),
    ("escalation.txt", include_str!("templates/escalation.txt")),
    ("escalation.html", include_str!("templates/escalation.html")),
    ("rejection.txt", include_str!("templates/rejection.txt")),
    ("rejection.html", include_str!("templates/rejection.html")),
    ("state.txt", include_str!("templates/state.txt")),
    ("state.html", include_str!("templates/state.html")),
    ("login.txt", include_str!("templates/login.txt")),
    ("login.html", include_str!("templates/login.html")),
    ("emergency.txt", include_str!("templates/emergency.txt")),
    ("emergency.html", include_str!("templates/emergency.html")),
    ("promotion.txt", include_str!("templates/promotion.txt")),
    ("promotion.html", include_str!("templates/promotion.html")),
];

fn source(workspace: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(workspace.join("mail-templates").join(name))
        .ok()
        .or_else(|| BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| s.to_string()))
}

/// Renders mail `kind` (e.g. `invitation`) for `recipients`.
pub fn render(workspace: &Path, kind: &str, recipients: Vec<String>, ctx: Value) -> Result<NewMail, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    let text_name = format!("{kind}.txt");
    let html_name = format!("{kind}.html");
    for name in [&text_name, &html_name] {
        let src = source(workspace, name).ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::TemplateNotFound,
                format!("no mail template {name}"),
            )
        })?;
        env.add_template_owned(name.clone(), src)?;
    }
    let text = env.get_template(&text_name)?.render(&ctx)?;
    let html = env.get_template(&html_name)?.render(&ctx)?;
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject: String = subject
        .trim()
        .trim_start_matches("Subject:")
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    Ok(NewMail {
        kind: kind.to_string(),
        recipients,
        subject,
        text: body.trim_start_matches('\n').to_string(),
        html,
    })
}

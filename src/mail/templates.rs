//! Mail texts, rendered with minijinja from templates embedded in the binary;
//! a workspace may override each in `mail-templates/<name>.txt` and `.html`
//! (for example to word them in Dutch). The first line of the text template
//! is the subject. Each exists in English and Dutch (`templates/nl/`, or one
//! template whose words go through `t()`); every mail is rendered in each
//! language and goes out in its recipient's (`app::notify`), and a workspace
//! may override one language only in `mail-templates/<locale>/<name>`.

use std::path::Path;

use minijinja::{AutoEscape, Environment, Value, context};

use crate::domain::mail::NewMail;
use crate::locale::Locale;

/// Mails that are one template for both languages: their words go through
/// `t()` and the catalogue (src/locale/nl/notifications.toml).
const BUILTIN_BOTH: &[(&str, &str)] = &[
    ("comment.txt", include_str!("templates/comment.txt")),
    ("comment.html", include_str!("templates/comment.html")),
    ("mention.txt", include_str!("templates/mention.txt")),
    ("mention.html", include_str!("templates/mention.html")),
    ("round_ended.txt", include_str!("templates/round_ended.txt")),
    ("round_ended.html", include_str!("templates/round_ended.html")),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
    ("assessment.txt", include_str!("templates/assessment.txt")),
    ("assessment.html", include_str!("templates/assessment.html")),
];

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
    ("withdrawn.txt", include_str!("templates/withdrawn.txt")),
    ("withdrawn.html", include_str!("templates/withdrawn.html")),
    ("deploy_failed.txt", include_str!("templates/deploy_failed.txt")),
    ("deploy_failed.html", include_str!("templates/deploy_failed.html")),
    ("live_drift.txt", include_str!("templates/live_drift.txt")),
    ("live_drift.html", include_str!("templates/live_drift.html")),
];

const BUILTIN_NL: &[(&str, &str)] = &[
    ("invitation.txt", include_str!("templates/nl/invitation.txt")),
    ("invitation.html", include_str!("templates/nl/invitation.html")),
    ("reminder.txt", include_str!("templates/nl/reminder.txt")),
    ("reminder.html", include_str!("templates/nl/reminder.html")),
    ("escalation.txt", include_str!("templates/nl/escalation.txt")),
    ("escalation.html", include_str!("templates/nl/escalation.html")),
    ("rejection.txt", include_str!("templates/nl/rejection.txt")),
    ("rejection.html", include_str!("templates/nl/rejection.html")),
    ("state.txt", include_str!("templates/nl/state.txt")),
    ("state.html", include_str!("templates/nl/state.html")),
    ("login.txt", include_str!("templates/nl/login.txt")),
    ("login.html", include_str!("templates/nl/login.html")),
    ("emergency.txt", include_str!("templates/nl/emergency.txt")),
    ("emergency.html", include_str!("templates/nl/emergency.html")),
    ("promotion.txt", include_str!("templates/nl/promotion.txt")),
    ("promotion.html", include_str!("templates/nl/promotion.html")),
    ("withdrawn.txt", include_str!("templates/nl/withdrawn.txt")),
    ("withdrawn.html", include_str!("templates/nl/withdrawn.html")),
    ("deploy_failed.txt", include_str!("templates/nl/deploy_failed.txt")),
    ("deploy_failed.html", include_str!("templates/nl/deploy_failed.html")),
    ("live_drift.txt", include_str!("templates/nl/live_drift.txt")),
    ("live_drift.html", include_str!("templates/nl/live_drift.html")),
];

/// The mail templates of one workspace, read from disk once when the app
/// opens, so that rendering (which may happen inside a write transaction,
/// which on PostgreSQL holds every instance's write lock) never touches the
/// disk. A broken override is reported when a mail of its kind is rendered,
/// as before, and `dtap check` finds it earlier.
#[derive(Debug, Default)]
pub struct MailTemplates {
    /// (language, file name) → source: the workspace's own template for
    /// this language, then its own for any language, then the built-in one.
    sources: std::collections::HashMap<(Locale, String), String>,
    /// (language, file name) → the override file it came from, if any.
    overrides: std::collections::HashMap<(Locale, String), std::path::PathBuf>,
    /// The workspace's own catalogue (`Workspace::texts`), for `tr`.
    texts: std::sync::Arc<std::collections::HashMap<String, String>>,
}

impl MailTemplates {
    pub fn load(workspace: &Path) -> MailTemplates {
        let dir = workspace.join("mail-templates");
        let mut sources = std::collections::HashMap::new();
        let mut overrides = std::collections::HashMap::new();
        for (locale, builtin) in [(Locale::En, BUILTIN), (Locale::Nl, BUILTIN_NL)] {
            for (name, text) in builtin.iter().chain(BUILTIN_BOTH) {
                let own = [dir.join(locale.code()).join(name), dir.join(name)]
                    .into_iter()
                    .find_map(|path| std::fs::read_to_string(&path).ok().map(|src| (path, src)));
                let src = match own {
                    Some((path, src)) => {
                        overrides.insert((locale, name.to_string()), path);
                        src
                    }
                    None => text.to_string(),
                };
                sources.insert((locale, name.to_string()), src);
            }
        }
        MailTemplates {
            sources,
            overrides,
            texts: Default::default(),
        }
    }

    /// With the workspace's own catalogue, so `tr` translates its templates' and environments' texts.
    pub fn with_texts(mut self, texts: std::sync::Arc<std::collections::HashMap<String, String>>) -> MailTemplates {
        self.texts = texts;
        self
    }

    /// The workspace's own templates that do not parse, as `dtap check`
    /// reports them (file and message), so a broken override is found before
    /// a mail of its kind is due.
    pub fn problems(&self, workspace: &Path) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .overrides
            .iter()
            .filter_map(|(key, path)| {
                let mut env = Environment::new();
                let src = self.sources.get(key)?.clone();
                let shown = path.strip_prefix(workspace).unwrap_or(path).display().to_string();
                if let Err(e) = env.add_template_owned(key.1.clone(), src) {
                    return Some((shown, format!("the mail template does not parse: {e}")));
                }
                // Rendered with every key a mail of any kind has, so a filter or
                // a call that fails shows now, not when the mail is due.
                let kind = key.1.rsplit_once('.').map(|(k, _)| k).unwrap_or(&key.1);
                self.render(key.0.code(), kind, vec![], sample_context())
                    .err()
                    .map(|e| (shown, format!("the mail template does not render: {e}")))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Renders mail `kind` (e.g. `invitation`) for `recipients` in `locale`
    /// (`en` or `nl`; anything else is English).
    pub fn render(
        &self,
        locale: &str,
        kind: &str,
        recipients: Vec<String>,
        ctx: Value,
    ) -> Result<NewMail, minijinja::Error> {
        let locale = Locale::parse(locale).unwrap_or_default();
        let mut env = Environment::new();
        env.add_filter("date", move |s: &str| crate::locale::date(locale, s));
        let texts = self.texts.clone();
        env.add_function("tr", move |s: &str| crate::locale::tr_with(locale, s, &texts));
        env.add_function("t", move |s: &str, kwargs: Option<minijinja::value::Kwargs>| {
            catalogue_text(locale, s, kwargs)
        });
        env.add_global("lang", locale.code());
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
            let src = self.sources.get(&(locale, name.clone())).cloned().ok_or_else(|| {
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
}

/// `t("text {hole}", hole=value)` in a mail: the catalogue's text in
/// `locale`, its holes filled with the arguments given.
fn catalogue_text(
    locale: Locale,
    text: &str,
    kwargs: Option<minijinja::value::Kwargs>,
) -> Result<String, minijinja::Error> {
    let template = crate::locale::t(locale, text);
    let Some(kwargs) = kwargs else {
        return Ok(template);
    };
    let mut values = std::collections::HashMap::new();
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        values.insert(key.to_string(), v.to_string());
    }
    Ok(crate::domain::Msg::fill(&template, |name| values.get(name).cloned()))
}

/// A context with every key any built-in mail uses, with plausible values:
/// what `dtap check` renders a workspace's own templates with.
pub fn sample_context() -> Value {
    context! {
        rfc => context! { id => "RFC-7", title => "Weekly sales button" },
        environment => "acceptance", environment_label => "Acceptatie",
        package => "crm-core", version => "1.2.0", deadline => "2026-11-30",
        link => "https://dtap.example.org/signoff/x", rfc_url => "https://dtap.example.org/rfcs/RFC-7",
        url => "https://dtap.example.org/", minutes => 15, tester => "kim@example.org",
        invited => "2026-11-20", comment => "Totals are off", by => "rm@example.org",
        state_label => "In development", summary => "Shows the deals", commit => "abc123",
        cases => vec![context! { title => "Open the dashboard", result => "fail", note => "" }],
        packages => vec![context! { package => "crm-core", version => "1.2.0", tree => "4b825dc6", rfcs => vec!["RFC-7"] }],
        round_change => "grew",
        removals => vec![context! { package => "crm-core", files => vec!["objects/Deal__c/fields/Old__c.field-meta.xml"] }],
        removed_total => 1,
        changed => vec!["classes/ProductController.cls"], added => vec!["classes/Hotfix.cls"], missing => Vec::<String>::new(),
        id => 12, state => "failed", step => "deploy to the org", output => "ERROR: field Frame__c does not exist",
        body => "Could @kim@example.org check the totals?", files => vec!["where.png"], count => 1, requester => "sales@example.org",
        items => vec![context! { subject => "RFC-7 is now In test: Weekly sales button", text => "Your request RFC-7 is now: In test.", at => "2026-11-30T10:00:00.000000Z" }],
        review => context! { id => 3, promoted_by => "rm@example.org", environment => "production",
            reason => "Outage", created_at => "2026-11-21T10:00:00.000000Z", due_at => "2026-11-23T10:00:00.000000Z" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_in_english_and_dutch() {
        let t = MailTemplates::load(Path::new("/nonexistent"));
        for (name, _) in BUILTIN.iter().chain(BUILTIN_BOTH).filter(|(n, _)| n.ends_with(".txt")) {
            let kind = name.trim_end_matches(".txt");
            let en = t.render("en", kind, vec![], sample_context()).unwrap();
            let nl = t.render("nl", kind, vec![], sample_context()).unwrap();
            assert!(
                !nl.subject.is_empty() && nl.subject != en.subject,
                "{kind}: {} / {}",
                en.subject,
                nl.subject
            );
            assert_ne!(en.text, nl.text, "{kind}");
            assert!(nl.html.contains("<html lang=\"nl\">"), "{kind}");
            assert!(!nl.text.contains("2026-11-30"), "{kind}: Dutch dates: {}", nl.text);
        }
        let nl = t.render("nl", "invitation", vec![], sample_context()).unwrap();
        assert_eq!(nl.subject, "Graag testen: RFC-7 in Acceptatie: Weekly sales button");
        assert!(nl.text.contains("vóór 30-11-2026"), "{}", nl.text);
        let nl = t.render("nl", "state", vec![], sample_context()).unwrap();
        assert!(nl.text.contains("is nu: In ontwikkeling."), "{}", nl.text);
        for kind in ["comment", "mention", "round_ended", "digest", "assessment"] {
            let nl = t.render("nl", kind, vec![], sample_context()).unwrap();
            for part in [&nl.subject, &nl.text, &nl.html] {
                assert!(!part.contains('⟦'), "{kind}: Dutch missing in {part}");
            }
        }
        let en = t.render("en", "comment", vec![], sample_context()).unwrap();
        assert!(en.text.contains("Attached: where.png"), "{}", en.text);
        let nl = t.render("nl", "mention", vec![], sample_context()).unwrap();
        assert!(nl.html.contains("Bijgevoegd: where.png"), "{}", nl.html);
        let nl = t.render("nl", "round_ended", vec![], sample_context()).unwrap();
        assert!(nl.text.contains("rm@example.org heeft RFC-7"), "{}", nl.text);
        let nl = t.render("nl", "rejection", vec![], sample_context()).unwrap();
        assert!(nl.text.contains("Open the dashboard: mislukt"), "{}", nl.text);
    }

    #[test]
    fn no_dutch_mail_holds_an_english_sentence_of_the_catalogue() {
        let t = MailTemplates::load(Path::new("/nonexistent"));
        let english = crate::locale::english_sentences(3);
        for (name, _) in BUILTIN_NL
            .iter()
            .chain(BUILTIN_BOTH)
            .filter(|(n, _)| n.ends_with(".txt"))
        {
            let kind = name.trim_end_matches(".txt");
            let nl = t.render("nl", kind, vec![], sample_context()).unwrap();
            let html = nl
                .html
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            for text in [&nl.subject, &nl.text, &html] {
                let found: Vec<&String> = english.iter().filter(|e| text.contains(e.as_str())).collect();
                assert!(found.is_empty(), "{kind} in Dutch holds English: {found:?}\n{text}");
                assert!(!text.contains('⟦'), "{kind}: {text}");
            }
        }
    }
}

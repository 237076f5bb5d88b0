//! HTML templates, embedded in the binary, rendered with autoescaping on.

use std::sync::LazyLock;

use minijinja::{Environment, Value};

/// Every page template: its name and source, embedded in the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    ("error.html", include_str!("templates/error.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("rfcs.html", include_str!("templates/rfcs.html")),
    ("rfc_new.html", include_str!("templates/rfc_new.html")),
    ("rfc_form.html", include_str!("templates/rfc_form.html")),
    ("rfc.html", include_str!("templates/rfc.html")),
    ("signoff.html", include_str!("templates/signoff.html")),
    ("access.html", include_str!("templates/access.html")),
    ("login.html", include_str!("templates/login.html")),
    ("login_confirm.html", include_str!("templates/login_confirm.html")),
    ("login_gone.html", include_str!("templates/login_gone.html")),
    ("audit.html", include_str!("templates/audit.html")),
    ("signoff_done.html", include_str!("templates/signoff_done.html")),
    ("signoff_gone.html", include_str!("templates/signoff_gone.html")),
    ("reports.html", include_str!("templates/reports.html")),
    ("calendar.html", include_str!("templates/calendar.html")),
    ("package_diff.html", include_str!("templates/package_diff.html")),
    ("package.html", include_str!("templates/package.html")),
    ("my_work.html", include_str!("templates/my_work.html")),
    ("deployments.html", include_str!("templates/deployments.html")),
    ("deployment.html", include_str!("templates/deployment.html")),
    ("settings.html", include_str!("templates/settings.html")),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` templates autoescape by default; say so explicitly anyway.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    super::i18n::register(&mut env);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).expect("embedded template parses");
    }
    env
});

/// Renders a page in the current request's language: every page gets
/// `lang` (its code) and `switch_url` (the same page in the other language).
pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let current = super::i18n::current();
    let ctx = minijinja::context! {
        lang => current.locale.code(),
        other_lang => current.locale.other().code(),
        switch_url => current.switch_url,
        pipeline => current.environments.iter().map(|(_, label)| label.clone()).collect::<Vec<_>>(),
        date_format => crate::locale::date_format(current.locale),
        viewer => minijinja::value::Serde(super::viewer::current()),
        ..ctx
    };
    ENV.get_template(name)?.render(ctx)
}

/// Every page template's name and source, for the catalogue test.
#[cfg(test)]
pub fn sources() -> Vec<(&'static str, &'static str)> {
    TEMPLATES.to_vec()
}

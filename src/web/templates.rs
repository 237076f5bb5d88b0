//! HTML templates, embedded in the binary, rendered with autoescaping on.

use std::sync::LazyLock;

use minijinja::{Environment, Value};

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // `.html` templates autoescape by default; say so explicitly anyway.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in [
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
        ("audit.html", include_str!("templates/audit.html")),
        ("signoff_done.html", include_str!("templates/signoff_done.html")),
        ("signoff_gone.html", include_str!("templates/signoff_gone.html")),
    ] {
        env.add_template(name, source).expect("embedded template parses");
    }
    env
});

pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?.render(ctx)
}

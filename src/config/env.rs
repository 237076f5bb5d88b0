//! `DTAP_<SECTION>_<KEY>` overrides: each replaces one setting of dtap.toml,
//! is parsed like one written there, and is reported under its own name.

use super::source::Document;

/// The tables of dtap.toml. `DTAP_*` variables naming none of them (`DTAP_USER`,
/// `DTAP_WORKSPACE`, `DTAP_FAILPOINT` ...) are not configuration.
pub(super) const SECTIONS: &[&str] = &["database", "repo", "mail", "web", "signoff", "emergency", "deploy"];

struct Override {
    var: String,
    section: String,
    key: String,
    value: String,
}

pub(super) fn apply(doc: &mut Document<'_>, vars: impl IntoIterator<Item = (String, String)>) {
    let overrides: Vec<Override> = vars
        .into_iter()
        .filter_map(|(var, value)| {
            let rest = var.strip_prefix("DTAP_")?.to_ascii_lowercase();
            let (section, key) = rest.split_once('_')?;
            SECTIONS.contains(&section).then(|| Override {
                section: section.to_string(),
                key: key.to_string(),
                var,
                value,
            })
        })
        .collect();
    // The variable `[repo] token_env` names holds a token, not a setting, and
    // the name dtap suggests for it (DTAP_REPO_TOKEN) looks like an override.
    let token_env = overrides
        .iter()
        .find(|o| o.section == "repo" && o.key == "token_env")
        .map(|o| o.value.clone())
        .or_else(|| doc.text("repo", "token_env").map(str::to_string));
    for o in overrides {
        if token_env.as_deref() != Some(o.var.as_str()) {
            doc.set(&o.section, &o.key, o.value, o.var);
        }
    }
}

//! The RFC list: its query parameters (shared with the JSON API) and the page.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Html;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use crate::domain::rfc::State as RfcState;
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::web::auth::CurrentUser;
use crate::web::{AppState, WebError, templates};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tester: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing)]
    pub page: Option<String>,
    #[serde(default, skip_serializing)]
    pub per_page: Option<String>,
}

impl ListQuery {
    /// Empty parameters (an untouched filter in the form) mean "any".
    pub fn filter(&self) -> RfcFilter {
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        RfcFilter {
            state: clean(&self.state),
            template: clean(&self.template),
            department: clean(&self.department),
            requester: clean(&self.requester).map(|r| crate::domain::names::normalise_email(&r)),
            package: clean(&self.package),
            tester: clean(&self.tester).map(|r| crate::domain::names::normalise_email(&r)),
            q: clean(&self.q),
        }
    }

    pub fn sort(&self) -> Sort {
        let wanted = self.sort.as_deref().unwrap_or("newest");
        Sort::ALL
            .iter()
            .find(|(_, n)| *n == wanted)
            .map(|(s, _)| *s)
            .unwrap_or_default()
    }

    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    pub fn per_page(&self) -> i64 {
        self.per_page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(25)
    }

    /// The query without empty values and without the page, for links.
    fn link_params(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        let f = self.filter();
        for (k, v) in [
            ("state", f.state),
            ("template", f.template),
            ("department", f.department),
            ("requester", f.requester),
            ("package", f.package),
            ("tester", f.tester),
            ("q", f.q),
            ("sort", self.sort.clone().filter(|s| !s.is_empty())),
        ] {
            if let Some(v) = v {
                m.insert(k, v);
            }
        }
        if self.per_page.is_some() {
            m.insert("per_page", self.per_page().to_string());
        }
        m
    }
}

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let app = &state.app;
    let page = app
        .rfc_list(&caller, &query.filter(), query.sort(), query.page(), query.per_page())
        .await?;
    let departments = app.rfc_departments().await?;
    let states: Vec<_> = RfcState::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), label => s.label() })
        .collect();
    let templates_list: Vec<_> = app
        .workspace()
        .templates
        .iter()
        .map(|t| context! { value => t.id.clone(), label => t.title.clone() })
        .collect();
    let sorts: Vec<&str> = Sort::ALL.iter().map(|(_, n)| *n).collect();
    let body = templates::render(
        "rfcs.html",
        context! {
            title => "Requests for change",
            nav => "rfcs",
            user => caller.email.as_str(),
            rfcs => Serde(&page.rfcs),
            total => page.total,
            page => page.page,
            pages => page.pages,
            params => Serde(query.link_params()),
            active => Serde(active_filters(&query)),
            f => Serde(query.filter()),
            states,
            templates => templates_list,
            template_titles => app.workspace().templates.iter().map(|t| (t.id.clone(), t.title.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            departments,
            sorts,
            sort => query.sort.clone().unwrap_or_else(|| "newest".into()),
            state_labels => Serde(state_labels()),
            may_file => app.may_file(&caller),
        },
    )?;
    Ok(Html(body))
}

fn state_labels() -> BTreeMap<&'static str, &'static str> {
    RfcState::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

/// The filters in force, each with its words and the list's address
/// without it (the "×" that drops one filter). Sorting is no filter.
fn active_filters(query: &ListQuery) -> Vec<ActiveFilter> {
    let params = query.link_params();
    let words = [
        ("q", "Search"),
        ("state", "State"),
        ("template", "Template"),
        ("department", "Department"),
        ("requester", "Requester"),
        ("tester", "Tester"),
        ("package", "Package"),
    ];
    words
        .iter()
        .filter_map(|(key, label)| {
            let value = params.get(key)?;
            let rest: Vec<String> = params
                .iter()
                .filter(|(k, _)| *k != key)
                .map(|(k, v)| format!("{k}={}", crate::web::reports::urlencode(v)))
                .collect();
            Some(ActiveFilter {
                key,
                label,
                value: value.clone(),
                without: if rest.is_empty() {
                    "/rfcs".to_string()
                } else {
                    format!("/rfcs?{}", rest.join("&"))
                },
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct ActiveFilter {
    key: &'static str,
    label: &'static str,
    value: String,
    without: String,
}

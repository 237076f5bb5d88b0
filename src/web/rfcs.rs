//! RFC pages: list, new, show, edit, transitions, comments, testers.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::{AppState, WebError, csrf, templates};
use crate::app::AppError;
use crate::app::rfcs::{Caller, NewRfc, RfcChanges};
use crate::domain::rfc::fields::{CORE, FieldError, from_pairs};
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::domain::rfc::{Action, FieldValue, Fields, Rfc, RfcId, State as RfcState};
use crate::domain::template::{FieldType, Template};

const FORM: &str = "form";

type Pairs = Vec<(String, String)>;

fn parse_id(id: &str) -> Result<RfcId, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

fn value_of<'a>(pairs: &'a Pairs, key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn csrf_token(state: &AppState, caller: &Caller) -> String {
    csrf::token(&state.secret, FORM, &caller.email)
}

fn check_csrf(state: &AppState, caller: &Caller, pairs: &Pairs) -> Result<(), WebError> {
    csrf::verify(&state.secret, FORM, &caller.email, pairs)
}

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
            f => Serde(query.filter()),
            states,
            templates => templates_list,
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

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    template: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let app = &state.app;
    let Some(template) = q.template.as_deref().and_then(|t| app.workspace().template(t)) else {
        let list: Vec<_> = app
            .workspace()
            .templates
            .iter()
            .map(|t| context! { id => t.id.clone(), title => t.title.clone(), description => t.description.clone() })
            .collect();
        let body = templates::render(
            "rfc_new.html",
            context! { title => "New request", nav => "new", user => caller.email.as_str(), templates => list },
        )?;
        return Ok(Html(body).into_response());
    };
    let values = template.defaults();
    let ctx = FormPage {
        template,
        caller: &caller,
        title: "",
        department: template.department.as_deref().unwrap_or(""),
        values: &values,
        errors: &[],
        action: "/rfcs".into(),
        heading: format!("New request: {}", template.title),
        submit: "Save draft",
        rfc: None,
        assess_only: false,
    };
    Ok(Html(render_form(&state, ctx)?).into_response())
}

struct FormPage<'a> {
    template: &'a Template,
    caller: &'a Caller,
    title: &'a str,
    department: &'a str,
    values: &'a Fields,
    errors: &'a [FieldError],
    action: String,
    heading: String,
    submit: &'a str,
    rfc: Option<&'a Rfc>,
    /// Only impact and risk may be changed (assessing a submitted RFC).
    assess_only: bool,
}

fn render_form(state: &AppState, p: FormPage<'_>) -> Result<String, WebError> {
    let error_of = |id: &str| -> Option<String> {
        let msgs: Vec<&str> = p
            .errors
            .iter()
            .filter(|e| e.field == id)
            .map(|e| e.message.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    };
    let text_of = |id: &str| p.values.get(id).map(FieldValue::display).unwrap_or_default();
    let list_of = |id: &str| match p.values.get(id) {
        Some(FieldValue::List(l)) => l.clone(),
        Some(FieldValue::Text(t)) if !t.is_empty() => vec![t.clone()],
        _ => vec![],
    };
    let kind_name = |k: FieldType| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let fields: Vec<_> = p
        .template
        .fields
        .iter()
        .map(|f| {
            context! {
                id => f.id.clone(),
                label => f.label.clone(),
                help => f.help.clone(),
                kind => kind_name(f.kind),
                required => f.required,
                conditional => f.required_if.is_some() || p.template.fields.iter().any(|o| o.required_with.contains(&f.id)),
                options => f.options.clone(),
                value => text_of(&f.id),
                values => list_of(&f.id),
                checked => matches!(p.values.get(&f.id), Some(FieldValue::Text(t)) if t == "true"),
                hint => f.pattern_message.clone(),
                error => error_of(&f.id),
            }
        })
        .collect();
    let core: Vec<_> = CORE
        .iter()
        .map(|(id, label, options)| {
            context! {
                id => *id,
                label => *label,
                options => options.map(|o| o.to_vec()),
                value => text_of(id),
                error => error_of(id),
            }
        })
        .collect();
    let general: Vec<String> = p
        .errors
        .iter()
        .filter(|e| {
            e.field != "title"
                && e.field != "department"
                && p.template.field(&e.field).is_none()
                && !CORE.iter().any(|c| c.0 == e.field)
        })
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    Ok(templates::render(
        "rfc_form.html",
        context! {
            title => p.heading.clone(),
            heading => p.heading,
            nav => if p.rfc.is_some() { "rfcs" } else { "new" },
            user => p.caller.email.as_str(),
            template_id => p.template.id.clone(),
            template_title => p.template.title.clone(),
            description => p.template.description.clone(),
            rfc_title => p.title,
            department => p.department,
            title_error => error_of("title"),
            department_error => error_of("department"),
            fields,
            core,
            general,
            has_errors => !p.errors.is_empty(),
            action => p.action,
            submit => p.submit,
            csrf_token => csrf_token(state, p.caller),
            rfc_id => p.rfc.map(|r| r.id.to_string()),
            assess_only => p.assess_only,
        },
    )?)
}

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let app = &state.app;
    let template_id = value_of(&pairs, "template").unwrap_or("").to_string();
    let Some(template) = app.workspace().template(&template_id) else {
        return Err(AppError::Invalid(vec![FieldError::new(
            "template",
            format!("unknown template `{template_id}`"),
        )])
        .into());
    };
    let fields = from_pairs(template, &pairs, true);
    let title = value_of(&pairs, "title").unwrap_or("").to_string();
    let department = value_of(&pairs, "department").map(str::to_string);
    let new = NewRfc {
        template: template_id.clone(),
        title: title.clone(),
        department: department.clone(),
        fields: fields.clone(),
    };
    match app.file_rfc(&caller, new).await {
        Ok(rfc) => Ok(Redirect::to(&format!("/rfcs/{}?done=created", rfc.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let ctx = FormPage {
                template,
                caller: &caller,
                title: &title,
                department: department.as_deref().unwrap_or(""),
                values: &fields,
                errors: &errors,
                action: "/rfcs".into(),
                heading: format!("New request: {}", template.title),
                submit: "Save draft",
                rfc: None,
                assess_only: false,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render_form(&state, ctx)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let notice = q.done.as_deref().and_then(notice_text);
    Ok(Html(render_show(&state, &caller, id, notice, &[], None).await?).into_response())
}

/// Fixed texts only: nothing from the query string is echoed.
fn notice_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "Your request was saved as a draft. Submit it when every required answer is in.",
        "saved" => "Your changes were saved.",
        "commented" => "Your comment was added.",
        "tester" => "The testers were updated.",
        "plan" => "The test plan was updated.",
        "submit" => "Submitted for assessment.",
        "approve" => "Approved for build.",
        "reject" => "Rejected.",
        "start" => "Development started.",
        "hold" => "Put on hold.",
        "resume" => "Resumed.",
        "withdraw" => "Withdrawn.",
        "close" => "Closed.",
        _ => return None,
    })
}

async fn render_show(
    state: &AppState,
    caller: &Caller,
    id: RfcId,
    notice: Option<&str>,
    refusals: &[String],
    comment_error: Option<String>,
) -> Result<String, WebError> {
    let app = &state.app;
    let view = app.rfc_view(caller, id).await?;
    let rfc = &view.rfc;
    let template = app.workspace().template(&rfc.template);
    let answers: Vec<_> = template
        .map(|t| {
            t.fields
                .iter()
                .map(|f| context! { label => f.label.clone(), value => rfc.field_text(&f.id) })
                .collect()
        })
        .unwrap_or_default();
    let core: Vec<_> = CORE
        .iter()
        .map(|(id, label, _)| context! { label => *label, value => rfc.field_text(id) })
        .collect();
    let actions: Vec<_> = app
        .actions_for(caller, rfc)
        .into_iter()
        .map(|a| context! { name => a.as_str(), label => a.label(), needs_comment => a.needs_comment() })
        .collect();
    let envs: Vec<_> = app
        .workspace()
        .pipeline
        .environments()
        .iter()
        .map(|e| context! { name => e.name.clone(), label => e.label.clone() })
        .collect();
    let pipeline: Vec<_> = view
        .pipeline
        .iter()
        .map(|(env, cell)| {
            let label = app.workspace().pipeline.get(env).map(|e| e.label.clone()).unwrap_or_default();
            context! { env => env.clone(), label, version => cell.as_ref().and_then(|c| c.version.clone()), present => cell.is_some() }
        })
        .collect();
    Ok(templates::render(
        "rfc.html",
        context! {
            title => format!("{} {}", rfc.id, rfc.title),
            nav => "rfcs",
            user => caller.email.as_str(),
            rfc => Serde(rfc),
            id => rfc.id.to_string(),
            state_label => rfc.state.label(),
            template_title => view.template_title.clone(),
            answers,
            core,
            actions,
            may_edit => app.may_edit(caller, rfc) || app.may_assess_fields(caller, rfc),
            may_appoint => app.may_appoint(caller) && !rfc.state.is_final(),
            test_cases => Serde(&view.test_cases),
            testers => Serde(&view.testers),
            comments => Serde(&view.comments),
            timeline => Serde(&view.timeline),
            signoffs => Serde(&view.signoffs),
            pipeline,
            environments => envs,
            notice,
            refusals => refusals.to_vec(),
            comment_error,
            csrf_token => csrf_token(state, caller),
        },
    )?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let rfc = state.app.rfc(&caller, id).await?;
    let template = state
        .app
        .workspace()
        .template(&rfc.template)
        .ok_or(WebError::NotFound)?;
    let assess_only = !state.app.may_edit(&caller, &rfc);
    if assess_only && !state.app.may_assess_fields(&caller, &rfc) {
        return Err(AppError::refused("you may not change this RFC now: add a comment instead").into());
    }
    let ctx = FormPage {
        template,
        caller: &caller,
        title: &rfc.title,
        department: &rfc.department,
        values: &rfc.fields,
        errors: &[],
        action: format!("/rfcs/{id}/edit"),
        heading: format!("Edit {id}"),
        submit: "Save changes",
        rfc: Some(&rfc),
        assess_only,
    };
    Ok(Html(render_form(&state, ctx)?).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let id = parse_id(&id)?;
    let rfc = state.app.rfc(&caller, id).await?;
    let template = state
        .app
        .workspace()
        .template(&rfc.template)
        .ok_or(WebError::NotFound)?;
    let assess_only = !state.app.may_edit(&caller, &rfc);
    let mut fields = from_pairs(template, &pairs, true);
    if assess_only {
        fields.retain(|k, _| crate::domain::rfc::IMPACT_FIELDS.contains(&k.as_str()) || k == "risk");
    } else {
        // A form sends every field: one left empty clears it.
        for f in &template.fields {
            fields
                .entry(f.id.clone())
                .or_insert_with(|| FieldValue::Text(String::new()));
        }
    }
    let changes = RfcChanges {
        title: (!assess_only).then(|| value_of(&pairs, "title").unwrap_or("").to_string()),
        department: (!assess_only).then(|| value_of(&pairs, "department").unwrap_or("").to_string()),
        fields: fields.clone(),
    };
    match state.app.edit_rfc(&caller, id, changes).await {
        Ok(_) => Ok(Redirect::to(&format!("/rfcs/{id}?done=saved")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let title = value_of(&pairs, "title").unwrap_or(&rfc.title).to_string();
            let department = value_of(&pairs, "department").unwrap_or(&rfc.department).to_string();
            let mut shown = rfc.fields.clone();
            shown.extend(fields);
            let ctx = FormPage {
                template,
                caller: &caller,
                title: &title,
                department: &department,
                values: &shown,
                errors: &errors,
                action: format!("/rfcs/{id}/edit"),
                heading: format!("Edit {id}"),
                submit: "Save changes",
                rfc: Some(&rfc),
                assess_only,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render_form(&state, ctx)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn transition(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let id = parse_id(&id)?;
    let action: Action = match value_of(&pairs, "transition").unwrap_or("").parse() {
        Ok(a) => a,
        Err(e) => return Err(AppError::Invalid(vec![FieldError::new("transition", e)]).into()),
    };
    match state
        .app
        .move_rfc(&caller, id, action, value_of(&pairs, "comment"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rfcs/{id}?done={action}")).into_response()),
        Err(AppError::Refused(reasons)) => {
            let texts: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
            let page = render_show(&state, &caller, id, None, &texts, None).await?;
            Ok((StatusCode::FORBIDDEN, Html(page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn comment(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let id = parse_id(&id)?;
    match state
        .app
        .comment_rfc(&caller, id, value_of(&pairs, "body").unwrap_or(""))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=commented")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = render_show(
                &state,
                &caller,
                id,
                None,
                &[],
                errors.first().map(|e| e.message.clone()),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn testers(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let id = parse_id(&id)?;
    let env = value_of(&pairs, "environment").unwrap_or("");
    let email = value_of(&pairs, "email").unwrap_or("");
    let add = value_of(&pairs, "op") != Some("remove");
    match state.app.set_tester(&caller, id, env, email, add).await {
        Ok(_) => Ok(Redirect::to(&format!("/rfcs/{id}?done=tester")).into_response()),
        Err(e) => refused_on_page(&state, &caller, id, e).await,
    }
}

/// Adds or removes a test case of the test plan (permission rfc.edit).
pub async fn cases(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let id = parse_id(&id)?;
    let v = |k: &str| value_of(&pairs, k).unwrap_or("").to_string();
    let result = if v("op") == "remove" {
        let case: i64 = v("case").parse().map_err(|_| WebError::NotFound)?;
        state.app.remove_test_case(&caller, id, case).await.map(|_| ())
    } else {
        state
            .app
            .add_test_case(
                &caller,
                id,
                &v("environment"),
                &v("kind"),
                &v("title"),
                &v("steps"),
                &v("expected"),
            )
            .await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/rfcs/{id}?done=plan#plan")).into_response()),
        Err(e) => refused_on_page(&state, &caller, id, e).await,
    }
}

/// Shows the RFC page again with why the action was not taken, or passes
/// any other error on.
async fn refused_on_page(state: &AppState, caller: &Caller, id: RfcId, e: AppError) -> Result<Response, WebError> {
    let (status, texts): (StatusCode, Vec<String>) = match e {
        AppError::Refused(reasons) => (StatusCode::FORBIDDEN, reasons.iter().map(|r| r.to_string()).collect()),
        AppError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect(),
        ),
        other => return Err(other.into()),
    };
    Ok((status, Html(render_show(state, caller, id, None, &texts, None).await?)).into_response())
}

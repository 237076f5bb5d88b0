//! Filing a new RFC: choosing a template, the empty form, and saving the draft.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::form::{FormPage, render_form};
use super::{Pairs, check_csrf, value_of};
use crate::app::AppError;
use crate::app::rfcs::NewRfc;
use crate::domain::rfc::fields::from_pairs;
use crate::web::auth::CurrentUser;
use crate::web::{AppState, WebError, templates};

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

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    check_csrf(&state, &caller, &pairs)?;
    let app = &state.app;
    let template_id = value_of(&pairs, "template").unwrap_or("").to_string();
    let Some(template) = app.workspace().template(&template_id) else {
        return Err(AppError::invalid("template", crate::msg!("unknown template `{template_id}`", template_id)).into());
    };
    let fields = from_pairs(template, &pairs, true);
    let title = value_of(&pairs, "title").unwrap_or("").to_string();
    let department = value_of(&pairs, "department").map(str::to_string);
    let new = NewRfc {
        template: template_id.clone(),
        title: title.clone(),
        department: department.clone(),
        fields: fields.clone(),
        follows: None,
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

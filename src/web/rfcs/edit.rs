//! Editing an RFC: the whole form for who may edit, impact and risk only for
//! who may assess.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::form::{FormPage, render_form};
use super::{RfcPost, parse_id, value_of};
use crate::app::AppError;
use crate::app::rfcs::RfcChanges;
use crate::domain::rfc::FieldValue;
use crate::domain::rfc::fields::from_pairs;
use crate::web::auth::CurrentUser;
use crate::web::{AppState, WebError};

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
        return Err(AppError::refused(crate::msg!("you may not change this RFC now: add a comment instead")).into());
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
    RfcPost { caller, id, pairs }: RfcPost,
) -> Result<Response, WebError> {
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

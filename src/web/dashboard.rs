use axum::extract::State;
use axum::response::Html;
use minijinja::context;

use super::{AppState, WebError, templates};

/// `/`: which version of each package is in which environment.
pub async fn show(
    State(state): State<AppState>,
    super::auth::CurrentUser(caller): super::auth::CurrentUser,
) -> Result<Html<String>, WebError> {
    let matrix = state.app.status().await?;
    let deployed = state.app.latest_deployments().await?;
    let live = state.app.live_drift_cells().await?;
    let rows: Vec<_> = matrix
        .packages
        .iter()
        .map(|row| {
            let cells: Vec<_> = row
                .cells
                .iter()
                .enumerate()
                .map(|(i, (env, cell))| {
                    // The newest deployment of this package here: its state, linked.
                    let deploy = deployed.get(&(env.clone(), row.name.clone())).map(|d| {
                        let current = cell
                            .as_ref()
                            .is_some_and(|c| d.tree.as_deref() == Some(c.tree.as_str()));
                        context! { id => d.id, state => d.state.clone(), current }
                    });
                    // The CRM differs from the folder here (live drift): acknowledged or not.
                    let live_drift = live
                        .get(&(env.clone(), row.name.clone()))
                        .map(|acknowledged| context! { acknowledged => *acknowledged });
                    context! {
                        deploy,
                        live_drift,
                        environment => env,
                        version => cell.as_ref().and_then(|c| c.version.clone()),
                        present => cell.is_some(),
                        tree => cell.as_ref().map(|c| c.tree[..12.min(c.tree.len())].to_string()),
                        differs => cell.as_ref().is_some_and(|c| c.differs_from_previous),
                        waiting => matrix.waiting(row, i),
                        problem => cell.as_ref().and_then(|c| c.problem.clone()),
                        changed => cell.as_ref().and_then(|c| c.last_commit.as_ref().map(|l| l.time.clone())),
                    }
                })
                .collect();
            context! { name => row.name.clone(), cells }
        })
        .collect();
    // Only signed-in users in access.yaml get here (web::guard).
    let user = Some(caller.email.clone());
    let pending: Vec<_> = state
        .app
        .pending_signoffs()
        .await?
        .into_iter()
        .map(|(env, count, oldest)| {
            let days = (state.app.now_utc() - oldest.datetime()).whole_days();
            let label = state
                .app
                .workspace()
                .pipeline
                .get(&env)
                .map(|e| e.label.clone())
                .unwrap_or_default();
            context! { env, label, count, days }
        })
        .collect();
    let emergencies = state.app.emergency_reviews(true).await?;
    let may_assess = user
        .as_deref()
        .is_some_and(|u| state.app.workspace().access.can(u, "rfc.assess"));
    let csrf_token = user.as_deref().map(|u| super::auth::csrf::form_token(&state.secret, u));
    let user = user.map(String::from);
    let pipeline = &state.app.workspace().pipeline;
    let recent: Vec<_> = state
        .app
        .recent_history(5)
        .await?
        .into_iter()
        .map(|(name, entries)| {
            let label = pipeline.get(&name).map(|e| e.label.clone()).unwrap_or_default();
            context! { name, label, entries => minijinja::value::Serde(entries) }
        })
        .collect();
    let body = templates::render(
        "dashboard.html",
        context! {
            title => "Dashboard",
            nav => "dashboard",
            user,
            environments => minijinja::value::Serde(&matrix.environments),
            rows,
            problems => matrix.problems.iter().map(|p| context! {
                package => p.package.clone(),
                label => pipeline.get(&p.environment).map(|e| e.label.clone()).unwrap_or_else(|| p.environment.clone()),
                message => p.message.clone(),
            }).collect::<Vec<_>>(),
            drift => minijinja::value::Serde(&matrix.drift),
            pending,
            emergencies => minijinja::value::Serde(&emergencies),
            may_assess,
            csrf_token,
            recent,
        },
    )
    .map_err(|e| WebError::App(crate::app::AppError::Internal(format!("rendering the dashboard: {e}"))))?;
    Ok(Html(body))
}

//! Reports and KPIs (`crate::domain::report` has the definitions).

use super::caller::Caller;
use super::{App, AppError, Result};
use crate::domain::report::{self, Filter, Table};

/// A bad period date is input to correct, named by its field.
fn checked(filter: &Filter) -> Result<()> {
    filter
        .validate()
        .map_err(|(field, message)| AppError::invalid(field, message))
}

impl App {
    /// One report's figures, or an error naming the reports there are.
    pub async fn report(&self, caller: &Caller, name: &str, filter: &Filter) -> Result<Table> {
        self.may_read(caller, "reports.view")?;
        checked(filter)?;
        if !report::NAMES.contains(&name) {
            return Err(AppError::NotFound(format!(
                "report `{name}` (there are: {})",
                report::NAMES.join(", ")
            )));
        }
        let data = self.store.report_data(filter.since.as_deref()).await?;
        report::compute(name, &data, filter).ok_or_else(|| AppError::NotFound(format!("report `{name}`")))
    }

    /// Every report, in [`report::NAMES`] order, from one read of the data.
    pub async fn reports(&self, caller: &Caller, filter: &Filter) -> Result<Vec<Table>> {
        self.may_read(caller, "reports.view")?;
        checked(filter)?;
        let data = self.store.report_data(filter.since.as_deref()).await?;
        Ok(report::NAMES
            .iter()
            .filter_map(|n| report::compute(n, &data, filter))
            .collect())
    }

    /// The departments and templates a report can be narrowed to.
    pub async fn report_choices(&self, caller: &Caller) -> Result<(Vec<String>, Vec<String>)> {
        self.may_read(caller, "reports.view")?;
        let departments = self.store.rfc_departments().await?;
        let templates = self.workspace.templates.iter().map(|t| t.id.clone()).collect();
        Ok((departments, templates))
    }
}

//! The test plan: test cases per environment and kind.

use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::rfc::{FieldError, RfcId};
use crate::msg;

impl App {
    /// Adds a test case to an RFC's test plan (permission rfc.edit).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_test_case(
        &self,
        caller: &Caller,
        id: RfcId,
        env: &str,
        kind: &str,
        title: &str,
        steps: &str,
        expected: &str,
    ) -> Result<()> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(msg!(
                "editing the test plan needs permission rfc.edit: ask a functional admin"
            )));
        }
        let mut errors = Vec::new();
        if self.workspace.pipeline.get(env).is_none() {
            errors.push(FieldError::new("environment", msg!("unknown environment `{env}`", env)));
        }
        if crate::domain::template::TestKind::parse(kind).is_none() {
            errors.push(FieldError::new(
                "kind",
                msg!("choose functional-test, acceptance-test or regression-test"),
            ));
        }
        if title.trim().is_empty() {
            errors.push(FieldError::new("title", msg!("give the test case a title")));
        }
        use crate::domain::limits::{LINE, TEXT, too_long};
        errors.extend(
            [
                ("title", title, LINE),
                ("steps", steps, TEXT),
                ("expected", expected, TEXT),
            ]
            .into_iter()
            .filter_map(|(f, v, max)| too_long(f, v.trim(), max)),
        );
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        self.store
            .add_test_case(
                rfc.id.0,
                env,
                kind,
                title.trim(),
                steps.trim(),
                expected.trim(),
                &caller.email,
                caller.origin,
            )
            .await?;
        Ok(())
    }

    pub async fn remove_test_case(&self, caller: &Caller, id: RfcId, case: i64) -> Result<bool> {
        let rfc = self.rfc(caller, id).await?;
        if !self.may_appoint(caller) {
            return Err(AppError::refused(msg!(
                "editing the test plan needs permission rfc.edit: ask a functional admin"
            )));
        }
        Ok(self
            .store
            .remove_test_case(rfc.id.0, case, &caller.email, caller.origin)
            .await?)
    }
}

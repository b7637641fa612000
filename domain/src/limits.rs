//! How much one sheet may hold. A district's table has at most a few dozen risk points per post;
//! the limits keep one account from growing a sheet (and every reviewer's offline copy of it)
//! without bound. The commission may raise them (`lianfang serve --max-…`).

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub risk_points_per_sheet: usize,
    pub suggestions_per_sheet: usize,
    pub objections_per_sheet: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            risk_points_per_sheet: 200,
            suggestions_per_sheet: 100,
            objections_per_sheet: 200,
        }
    }
}

/// `Ok` while `held` is under `max`, else the refusal with `code`, `field` and `message`.
fn below(
    held: usize,
    max: usize,
    code: &str,
    field: &str,
    message: impl FnOnce() -> String,
) -> Result<(), FieldError> {
    if held >= max {
        return Err(FieldError::new(code, field, message()));
    }
    Ok(())
}

impl Limits {
    /// Whether a sheet holding `held` risk points may take one more.
    pub fn check_new_risk_point(&self, held: usize) -> Result<(), FieldError> {
        let max = self.risk_points_per_sheet;
        below(held, max, "too_many_risk_points", "risk_point", || {
            format!(
                "每张排查表最多 {max} 个风险点，本表已满；请合并相近的风险点，或请区纪委调整上限"
            )
        })
    }

    /// Whether a sheet with `held` suggestions may take one more.
    pub fn check_new_suggestion(&self, held: usize) -> Result<(), FieldError> {
        let max = self.suggestions_per_sheet;
        below(held, max, "too_many_suggestions", "suggestion", || {
            format!("每张排查表最多收到 {max} 条建议风险点，本表已满")
        })
    }

    /// Whether a sheet with `held` objections may take one more.
    pub fn check_new_objection(&self, held: usize) -> Result<(), FieldError> {
        let max = self.objections_per_sheet;
        below(held, max, "too_many_objections", "objection", || {
            format!("该岗位已收到 {max} 条异议，达到上限；请直接联系区纪委")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_hundred_and_first_risk_point_is_refused() {
        let limits = Limits::default();
        assert!(limits.check_new_risk_point(199).is_ok());
        let error = limits.check_new_risk_point(200).unwrap_err();
        assert_eq!(error.code, "too_many_risk_points");
        assert!(error.message.contains("200"));
        assert!(limits.check_new_suggestion(100).is_err());
        assert!(limits.check_new_objection(199).is_ok());
    }
}

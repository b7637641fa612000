//! What a roster or organisation import reports: counts, refusals, the slice applied, and the
//! new accounts' temporary passwords.

use app::api::{
    district::{NewAccountSlip, OrgTable, RosterReportView},
    OmittedRefusalsView, RejectedRowView,
};
use domain::FieldError;

use crate::exchange::{bounded, ImportMode, RejectedRow};

/// What an import created (or would create), for the report.
pub use app::api::district::RosterCounts as Counts;

/// Why an import could not be done at all.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// The file as a whole (unreadable, no header, a missing column), or the importer's rights.
    #[error("{0}")]
    Refused(#[from] crate::error::Error),
}

impl From<FieldError> for RosterError {
    fn from(e: FieldError) -> Self {
        Self::Refused(e.into())
    }
}

impl From<anyhow::Error> for RosterError {
    fn from(e: anyhow::Error) -> Self {
        Self::Refused(e.into())
    }
}

impl From<sqlx::Error> for RosterError {
    fn from(e: sqlx::Error) -> Self {
        Self::Refused(e.into())
    }
}

/// Rows and refusals of a planned import, and what applying a slice did.
pub(crate) struct Outcome {
    pub(crate) total_rows: usize,
    pub(crate) accepted: usize,
    pub(crate) rejected: Vec<RejectedRow>,
    pub(crate) offset: usize,
    pub(crate) applied: usize,
    pub(crate) counts: Counts,
    pub(crate) accounts: Vec<NewAccountSlip>,
}

pub(super) fn report(table: OrgTable, dry_run: bool, o: Outcome) -> RosterReportView {
    let rejected_rows = {
        let mut rows: Vec<usize> = o.rejected.iter().map(|r| r.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    };
    let (shown, omitted) = bounded(&o.rejected);
    let end = o.offset + o.applied;
    RosterReportView {
        table,
        dry_run,
        total_rows: o.total_rows,
        accepted_rows: o.accepted,
        rejected_rows,
        rejected: shown
            .into_iter()
            .map(|r| RejectedRowView {
                row: r.row,
                field: r.field,
                code: r.code,
                message: r.message,
            })
            .collect(),
        rejected_omitted: omitted
            .into_iter()
            .map(|o| OmittedRefusalsView {
                code: o.code,
                count: o.count,
            })
            .collect(),
        offset: o.offset,
        applied_rows: o.applied,
        next_offset: (!dry_run && end < o.accepted).then_some(end),
        counts: o.counts,
        accounts: o.accounts,
    }
}

/// The slice `offset..offset + limit` of `accepted` rows, clamped.
pub(crate) fn slice(accepted: usize, mode: ImportMode) -> (usize, usize) {
    match mode {
        ImportMode::DryRun => (0, accepted),
        ImportMode::Apply { offset, limit } => {
            let start = offset.min(accepted);
            let end = limit.map_or(accepted, |l| start.saturating_add(l).min(accepted));
            (start, end)
        }
    }
}

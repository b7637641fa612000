//! An import as a request does it: a dry run that reports, or a slice of rows applied.

use anyhow::Context as _;
use domain::FieldError;
use serde::Serialize;

use super::{
    plan::{ImportCounts, ImportScope, Plan},
    rows::{parse_table, RejectedRow},
    snapshot::{RoundChoice, Snapshot},
    write::Writer,
};
use crate::{actor::Actor, db::Db};
use serde_json::json;

/// Whether an import only reports or also writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Check every row and count what applying would create; write nothing.
    DryRun,
    /// Write the accepted rows `offset..offset + limit` (all from `offset` when `limit` is
    /// `None`), so a client can apply a large file in slices and show progress. The accepted
    /// rows are those of a plan made afresh on each call; applied rows stay accepted (they
    /// count as existing), so the slices of one file line up from call to call.
    Apply { offset: usize, limit: Option<usize> },
}

impl ImportMode {
    /// Apply every accepted row at once.
    pub const APPLY_ALL: Self = Self::Apply {
        offset: 0,
        limit: None,
    };

    /// The mode an upload's query string asks for: a dry run, or the slice to apply.
    pub fn asked(dry_run: bool, offset: usize, limit: Option<usize>) -> Self {
        if dry_run {
            Self::DryRun
        } else {
            Self::Apply { offset, limit }
        }
    }
}

/// The answer to an import, the same for a dry run and for applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Rows with data after the header.
    pub total_rows: usize,
    pub accepted_rows: usize,
    pub rejected_rows: usize,
    /// The problems of refused rows, in row order; a row may appear more than once. Each rule's
    /// first [`REFUSALS_SHOWN_PER_RULE`] problems are listed; the rest are counted in
    /// `rejected_omitted`, so a hostile file cannot make the report grow without bound.
    pub rejected: Vec<RejectedRow>,
    /// Per rule, how many further problems were counted but not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected_omitted: Vec<OmittedRefusals>,
    /// The accepted rows the counts cover: `offset..offset + applied_rows` (all of them in a
    /// dry run).
    pub offset: usize,
    pub applied_rows: usize,
    /// Where the next slice starts, or `None` when the last accepted row has been covered.
    pub next_offset: Option<usize>,
    /// Created (or, in a dry run, to be created) by the rows covered.
    #[serde(flatten)]
    pub counts: ImportCounts,
}

/// How many problems each rule shows in full in a report.
pub const REFUSALS_SHOWN_PER_RULE: usize = 20;

/// Problems of one rule counted but not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OmittedRefusals {
    pub code: String,
    pub count: usize,
}

/// The first problems of each rule, and counts of the rest.
pub(crate) fn bounded(rejected: &[RejectedRow]) -> (Vec<RejectedRow>, Vec<OmittedRefusals>) {
    let mut shown = Vec::new();
    let mut per_rule: Vec<(String, usize)> = Vec::new();
    for problem in rejected {
        let seen = match per_rule.iter_mut().find(|(code, _)| *code == problem.code) {
            Some((_, n)) => n,
            None => {
                per_rule.push((problem.code.clone(), 0));
                &mut per_rule.last_mut().expect("just pushed").1
            }
        };
        *seen += 1;
        if *seen <= REFUSALS_SHOWN_PER_RULE {
            shown.push(problem.clone());
        }
    }
    let omitted = per_rule
        .into_iter()
        .filter(|(_, n)| *n > REFUSALS_SHOWN_PER_RULE)
        .map(|(code, n)| OmittedRefusals {
            code,
            count: n - REFUSALS_SHOWN_PER_RULE,
        })
        .collect();
    (shown, omitted)
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The user's file as a whole: unreadable, empty, too large, or missing a column. A client
    /// error (400/422), with a stable code and a Chinese message.
    #[error("{0}")]
    File(FieldError),
    /// A server fault.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// Imports a risk table: checks every row, and in [`ImportMode::Apply`] writes the accepted rows
/// of the slice in one write transaction. Rows go into the current round under the district root;
/// while either is missing, every row is refused saying what to set up first. Users are never
/// created.
pub async fn import(
    db: &Db,
    bytes: &[u8],
    scope: &ImportScope,
    mode: ImportMode,
) -> Result<ImportReport, ImportError> {
    import_by(db, None, bytes, scope, mode).await
}

/// [`import`] as an accountable act of `actor`: an applied slice is recorded in the audit log
/// with the file's SHA-256, so the file imported can later be told from any other. (The demo
/// seed imports without an actor and logs nothing.)
pub async fn import_as(
    db: &Db,
    actor: Actor<'_>,
    bytes: &[u8],
    scope: &ImportScope,
    mode: ImportMode,
) -> Result<ImportReport, ImportError> {
    import_by(db, Some(actor), bytes, scope, mode).await
}

async fn import_by(
    db: &Db,
    actor: Option<Actor<'_>>,
    bytes: &[u8],
    scope: &ImportScope,
    mode: ImportMode,
) -> Result<ImportReport, ImportError> {
    let file_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    let owned = bytes.to_vec();
    // Parsing a large workbook takes a while: keep it off the async workers.
    let table = tokio::task::spawn_blocking(move || parse_table(&owned))
        .await
        .context("Failed to join the parsing task")?
        .map_err(ImportError::File)?;
    match mode {
        ImportMode::DryRun => {
            let mut read = db.pool().begin().await?;
            let snapshot = Snapshot::load(&mut read, RoundChoice::Current).await?;
            read.commit().await?;
            let plan = Plan::new(&snapshot, scope, table, db.limits());
            let counts = plan.predicted();
            Ok(report(&plan, true, 0, plan.accepted.len(), counts))
        }
        ImportMode::Apply { offset, limit } => {
            let mut tx = db.begin_write().await?;
            let snapshot = Snapshot::load(&mut tx, RoundChoice::Current).await?;
            let plan = Plan::new(&snapshot, scope, table, db.limits());
            let start = offset.min(plan.accepted.len());
            let end = limit.map_or(plan.accepted.len(), |l| {
                start.saturating_add(l).min(plan.accepted.len())
            });
            let mut writer = Writer::new(&plan);
            for planned in &plan.accepted[start..end] {
                writer.write(&mut tx, planned).await?;
            }
            let counts = writer.finish(&mut tx).await?;
            if let (Some(actor), true) = (actor, end > start) {
                let (subject, units) = match scope {
                    ImportScope::District => ("district".to_owned(), Vec::new()),
                    ImportScope::Units { units, .. } => (
                        units
                            .first()
                            .map_or_else(|| "district".to_owned(), |u| format!("unit:{}", u.0)),
                        units.iter().map(|u| u.0).collect(),
                    ),
                };
                actor
                    .record(
                        &mut tx,
                        "risk_table_imported",
                        &subject,
                        json!({ "file_sha256": file_sha256, "file_bytes": bytes.len(),
                                "units": units, "rows": end - start, "offset": start,
                                "counts": counts }),
                    )
                    .await
                    .map_err(|e| ImportError::Internal(anyhow::Error::new(e)))?;
            }
            tx.commit().await?;
            Ok(report(&plan, false, start, end - start, counts))
        }
    }
}

pub(super) fn report(
    plan: &Plan,
    dry_run: bool,
    offset: usize,
    applied_rows: usize,
    counts: ImportCounts,
) -> ImportReport {
    let end = offset + applied_rows;
    let (rejected, rejected_omitted) = bounded(&plan.rejected);
    ImportReport {
        dry_run,
        total_rows: plan.total_rows,
        accepted_rows: plan.accepted.len(),
        rejected_rows: plan.rejected_rows(),
        rejected,
        rejected_omitted,
        offset,
        applied_rows,
        next_offset: (!dry_run && end < plan.accepted.len()).then_some(end),
        counts,
    }
}

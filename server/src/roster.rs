//! Import and export of the organisation (组织机构表) and the staff roster (人员花名册), as CSV
//! and Excel, for the administrator (and the command line).
//!
//! As with a risk table (`exchange`), an import is planned before anything is written: the file
//! is read with the same reader, every row is checked with the domain's parsers and against the
//! database, and a dry run reports every refused row with its number, column and rule. Applying
//! writes the accepted rows of a slice in one write transaction, keyed on natural keys (a unit's
//! parent and name, a post's unit and title, a username), so applying the same file twice adds
//! nothing. New accounts get a temporary password, shown once in the answer to the administrator
//! who imported them and never stored or logged in the clear; it must be changed at the first
//! sign-in.
//!
//! Export writes the same tables, so an export imports back with every stored field.

mod columns;
mod export;
mod report;
mod snapshot;
mod staff;
mod units;

use app::api::district::{OrgTable, RosterReportView};

pub use export::{export, Exported};
pub use report::{Counts, RosterError};

use crate::{actor::Actor, db::Db, exchange::ImportMode};

/// Imports `table` from `bytes`: a dry run reports, applying writes the slice. Only an
/// administrator (or the operator) imports.
pub async fn import(
    db: &Db,
    actor: Actor<'_>,
    table: OrgTable,
    bytes: &[u8],
    mode: ImportMode,
) -> Result<RosterReportView, RosterError> {
    actor.check(db, |p| p.may_manage_org()).await?;
    let grid = read(bytes).await?;
    // The file's hash goes into the audit entry: which file was imported stays provable.
    let file = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    let outcome = match table {
        OrgTable::Units => units::import(db, actor, &grid, &file, mode).await?,
        OrgTable::Staff => staff::import(db, actor, &grid, &file, mode).await?,
    };
    Ok(report::report(
        table,
        matches!(mode, ImportMode::DryRun),
        outcome,
    ))
}

/// Reads a file into cells off the async workers (a large workbook takes a while).
async fn read(bytes: &[u8]) -> Result<crate::exchange::Grid, RosterError> {
    let owned = bytes.to_vec();
    let grid = tokio::task::spawn_blocking(move || crate::exchange::read_table(&owned))
        .await
        .map_err(|e| anyhow::anyhow!("Failed to join the reading task: {e}"))??;
    if grid.len() > crate::exchange::MAX_ROWS {
        return Err(crate::exchange::too_many_rows().into());
    }
    Ok(grid)
}

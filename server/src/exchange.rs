//! Import and export of a unit's risk table (工作手册/风险点台账) as CSV, TSV and Excel.
//!
//! The table has the columns of `risk-points-demo.tsv` (DESIGN §3): one row per risk point, with
//! its unit, post, duty, ratings and measures. Import is planned before anything is written: the
//! whole file is parsed, every row is checked (the domain parsers, the rating matrix, the
//! importer's scope, duplicates), and what applying would create is counted against the database.
//! A dry run stops there; applying writes the accepted rows in one write transaction, keyed on
//! natural keys so that importing the same file twice creates nothing new. The demo seed
//! (the `seed` module) goes through the same parsing, planning and writing.
//!
//! Export produces the same table, so an exported file imports back unchanged.

mod columns;
mod export;
mod import;
mod plan;
mod read;
mod rows;
mod snapshot;
mod write;

pub use columns::Column;
pub(crate) use columns::{is_blank, map_header, ColumnMap, TableColumn};
pub use export::{export_unit, to_csv, to_xlsx, ExportRow, SHEET_NAME};
pub(crate) use export::{table_csv, table_xlsx, Cell};
pub(crate) use import::bounded;
pub use import::{import, import_as, ImportError, ImportMode, ImportReport};
pub(crate) use plan::Plan;
pub use plan::{ImportCounts, ImportScope};
pub use read::{read_table, MAX_ROWS};
pub(crate) use read::{too_many_rows, Grid};
pub use rows::{parse_table, ParsedTable, RejectedRow, TableRow};
pub(crate) use snapshot::{RoundChoice, Snapshot};
pub(crate) use write::Writer;

#[cfg(test)]
mod tests;

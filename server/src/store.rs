//! The store: every SQL statement of the server, each in a named function, grouped by the tables
//! it works on. Engines, pages, sync and the importer call these functions; none of them writes
//! SQL. This is also where a second database engine would plug in, so SQLite's own SQL (`json_each`,
//! `INSERT OR IGNORE`, `MAX` of two values) stays here.
//!
//! Functions take a connection (`&mut Conn`): a pooled connection for reads, or a write
//! transaction (`db::WriteTx`, which dereferences to one) for writes, so a caller decides what
//! commits together. Errors carry what failed as context; stored values the code does not know
//! are reported as corrupt, never shown to users.

pub mod accounts;
pub mod audit;
pub mod catalogue;
pub mod changes;
pub mod commitments;
pub mod education;
pub mod holdings;
pub mod maintenance;
pub mod measures;
pub mod notifications;
pub mod org;
pub mod points;
pub mod review;
pub mod robots;
pub mod rounds;
pub mod settings;
pub mod sheets;
pub mod sync_ops;
pub mod warning_rules;
pub mod warnings;

/// A database connection, inside a transaction or not.
pub type Conn = sqlx::SqliteConnection;

/// Rows per multi-row statement or per `json_each` list: well under SQLite's limit on bound
/// parameters, and large enough that a push of hundreds of operations takes a few statements.
pub const CHUNK: usize = 400;

/// A list of values as the JSON array that `json_each` reads, so that one statement takes a list
/// of any length.
pub(crate) fn json_list<T: serde::Serialize>(values: &[T]) -> anyhow::Result<String> {
    Ok(serde_json::to_string(values)?)
}

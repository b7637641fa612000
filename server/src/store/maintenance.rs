//! Whole-database maintenance: consistent copies and integrity checks.

use anyhow::Context as _;

use super::Conn;

/// Writes a consistent copy of the database to `path` (SQLite's `VACUUM INTO`): one read
/// transaction, so writers go on meanwhile and the copy is the database as of its start.
pub async fn copy_into(conn: &mut Conn, path: &str) -> anyhow::Result<()> {
    sqlx::query("VACUUM INTO ?")
        .bind(path)
        .execute(&mut *conn)
        .await
        .context("Failed to copy the database")?;
    Ok(())
}

/// SQLite's own check of the file's structure: `ok`, or what is wrong.
pub async fn integrity(conn: &mut Conn) -> anyhow::Result<String> {
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .context("Failed to check the database's integrity")?;
    Ok(rows.join("; "))
}

/// Applied sync operations: a backup's report says how many it holds.
pub async fn sync_operations(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM sync_ops")
        .fetch_one(&mut *conn)
        .await
        .context("Failed to count sync operations")
}

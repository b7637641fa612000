//! The append-only audit log (docs/audit-log.md). Triggers refuse updates and deletes; the hashes
//! are computed by `domain::audit` in the caller.

use anyhow::Context as _;
use domain::audit::Entry;

use super::Conn;

/// The last entry's `seq` and hash, if any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn last(conn: &mut Conn) -> anyhow::Result<Option<(i64, String)>> {
    Ok(
        sqlx::query!(r#"SELECT seq AS "seq!: i64", hash FROM audit_log ORDER BY seq DESC LIMIT 1"#)
            .fetch_optional(&mut *conn)
            .await
            .context("Failed to read the last audit entry")?
            .map(|r| (r.seq, r.hash)),
    )
}

/// Appends an entry, hashed by the caller.
#[tracing::instrument(level = "debug", skip_all, fields(seq = entry.seq))]
pub async fn insert(conn: &mut Conn, entry: &Entry) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        entry.seq,
        entry.at,
        entry.kind,
        entry.actor,
        entry.subject,
        entry.payload,
        entry.prev_hash,
        entry.hash
    )
    .execute(&mut *conn)
    .await
    .context("Failed to append to the audit log")?;
    Ok(())
}

/// Up to `limit` entries after `after`, in `seq` order.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn after(conn: &mut Conn, after: i64, limit: i64) -> anyhow::Result<Vec<Entry>> {
    sqlx::query_as!(
        Entry,
        r#"SELECT seq AS "seq!: i64", at AS "at!: i64", kind, actor, subject, payload, prev_hash, hash
           FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"#,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read audit entries")
}

/// The entry `seq` and the one before it (fewer at the start of the log), in order.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn with_predecessor(conn: &mut Conn, seq: i64) -> anyhow::Result<Vec<Entry>> {
    let before = seq - 1;
    sqlx::query_as!(
        Entry,
        r#"SELECT seq AS "seq!: i64", at AS "at!: i64", kind, actor, subject, payload, prev_hash, hash
           FROM audit_log WHERE seq IN (?, ?) ORDER BY seq"#,
        before,
        seq
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read an audit entry")
}

/// An entry as the audit page lists it, with the actor's name.
pub struct Recent {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: String,
    pub hash: String,
}

/// The newest `limit` entries, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn recent(conn: &mut Conn, limit: i64) -> anyhow::Result<Vec<Recent>> {
    Ok(sqlx::query!(
        r#"SELECT a.seq AS "seq!: i64", a.at AS "at!: i64", a.kind, u.display_name AS "actor?", a.subject, a.hash
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor ORDER BY a.seq DESC LIMIT ?"#,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read recent audit entries")?
    .into_iter()
    .map(|r| Recent {
        seq: r.seq,
        at: r.at,
        kind: r.kind,
        actor: r.actor,
        subject: r.subject,
        hash: r.hash,
    })
    .collect())
}

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

/// How many leaves the stored Merkle tree holds (entries `1..=size` are in it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tree_size(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(MAX(idx) + 1, 0) AS "size!: i64" FROM audit_tree WHERE level = 0"#
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to read the Merkle tree's size")
}

/// The root of the perfect subtree `idx` at `level`, if stored.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn tree_node(conn: &mut Conn, level: i64, idx: i64) -> anyhow::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!(
        "SELECT hash FROM audit_tree WHERE level = ? AND idx = ?",
        level,
        idx
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to read a Merkle tree node")
}

/// Stores the root of a perfect subtree.
#[tracing::instrument(level = "debug", skip(conn, hash))]
pub async fn insert_tree_node(
    conn: &mut Conn,
    level: i64,
    idx: i64,
    hash: &[u8],
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_tree (level, idx, hash) VALUES (?, ?, ?)",
        level,
        idx,
        hash
    )
    .execute(&mut *conn)
    .await
    .context("Failed to store a Merkle tree node")?;
    Ok(())
}

/// The hashes of entries `after + 1 ..` up to `limit` of them, in `seq` order: what the tree is
/// built from.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn hashes_after(
    conn: &mut Conn,
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query!(
        r#"SELECT seq AS "seq!: i64", hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"#,
        after,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read audit entry hashes")?
    .into_iter()
    .map(|r| (r.seq, r.hash))
    .collect())
}

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRow {
    pub id: i64,
    pub size: i64,
    pub root: String,
    pub issued_at: i64,
    pub public_key: String,
    pub signature: String,
}

/// A signed head to store.
#[derive(Debug, Clone, Copy)]
pub struct NewHead<'a> {
    pub size: i64,
    pub root: &'a str,
    pub issued_at: i64,
    pub public_key: &'a str,
    pub signature: &'a str,
}

/// Stores a signed head and returns its id.
#[tracing::instrument(level = "debug", skip_all, fields(size = head.size))]
pub async fn insert_head(conn: &mut Conn, head: &NewHead<'_>) -> anyhow::Result<i64> {
    Ok(sqlx::query!(
        "INSERT INTO tree_heads (size, root, issued_at, public_key, signature) VALUES (?, ?, ?, ?, ?)",
        head.size,
        head.root,
        head.issued_at,
        head.public_key,
        head.signature
    )
    .execute(&mut *conn)
    .await
    .context("Failed to store a tree head")?
    .last_insert_rowid())
}

/// Up to `limit` signed heads issued before head `before` (all when `None`), newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn heads(
    conn: &mut Conn,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<HeadRow>> {
    let before = before.unwrap_or(i64::MAX);
    sqlx::query_as!(
        HeadRow,
        r#"SELECT id AS "id!: i64", size AS "size!: i64", root, issued_at AS "issued_at!: i64", public_key, signature
           FROM tree_heads WHERE id < ? ORDER BY id DESC LIMIT ?"#,
        before,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read tree heads")
}

/// Whether a commitment signature was logged after entry `seq`: a head should cover it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn signature_after(conn: &mut Conn, seq: i64) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq > ? AND kind = 'signature') AS "found!: bool""#,
        seq
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to look for signatures after a head")
}

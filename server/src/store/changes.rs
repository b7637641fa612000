//! The change log: every change to a sheet or risk point, in commit order. Its `seq` is the pull
//! cursor (docs/sync-protocol.md).

use anyhow::Context as _;
use sqlx::{QueryBuilder, Sqlite};

use super::{Conn, CHUNK};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    RiskPoint,
    RiskPointDeleted,
    Sheet,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Self::RiskPoint => "risk_point",
            Self::RiskPointDeleted => "risk_point_deleted",
            Self::Sheet => "sheet",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "risk_point" => Some(Self::RiskPoint),
            "risk_point_deleted" => Some(Self::RiskPointDeleted),
            "sheet" => Some(Self::Sheet),
            _ => None,
        }
    }
}

/// A change to record: the post it concerns, what changed, and the entity's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub post_id: i64,
    pub kind: Kind,
    pub entity: String,
}

/// Records changes in the order given, in as few statements as the list allows. `client` is the
/// device whose push made them (kept for tracing a change to its device), or none for changes
/// made on the server's pages.
#[tracing::instrument(level = "debug", skip_all, fields(changes = changes.len()))]
pub async fn record(
    conn: &mut Conn,
    changes: &[Change],
    client: Option<&str>,
    now: i64,
) -> anyhow::Result<()> {
    for chunk in changes.chunks(CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO changes (post_id, kind, entity_id, at, client_id) ",
        );
        insert.push_values(chunk, |mut row, c| {
            row.push_bind(c.post_id)
                .push_bind(c.kind.code())
                .push_bind(c.entity.clone())
                .push_bind(now)
                .push_bind(client.map(str::to_owned));
        });
        insert
            .build()
            .execute(&mut *conn)
            .await
            .context("Failed to record changes")?;
    }
    Ok(())
}

/// Records that a post's sheet changed (a decision, an objection, a grade), so devices pull it.
pub async fn sheet_changed(conn: &mut Conn, post_id: i64, now: i64) -> anyhow::Result<()> {
    let change = Change {
        post_id,
        kind: Kind::Sheet,
        entity: post_id.to_string(),
    };
    record(conn, &[change], None, now).await
}

/// The newest change's `seq` (0 for none).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn latest(conn: &mut Conn) -> anyhow::Result<i64> {
    sqlx::query_scalar!(r#"SELECT COALESCE(MAX(seq), 0) AS "seq!: i64" FROM changes"#)
        .fetch_one(&mut *conn)
        .await
        .context("Failed to read the change log's end")
}

/// At most `limit` changes after `since` up to `until`, in order, each with its `seq`. An unknown
/// kind (from a newer version) is skipped.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn between(
    conn: &mut Conn,
    since: i64,
    until: i64,
    limit: i64,
) -> anyhow::Result<Vec<(i64, Change)>> {
    Ok(sqlx::query!(
        r#"SELECT seq AS "seq!: i64", post_id AS "post_id!: i64", kind, entity_id FROM changes
           WHERE seq > ? AND seq <= ?
           ORDER BY seq LIMIT ?"#,
        since,
        until,
        limit
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the change log")?
    .into_iter()
    .filter_map(|r| {
        Some((
            r.seq,
            Change {
                post_id: r.post_id,
                kind: Kind::from_code(&r.kind)?,
                entity: r.entity_id,
            },
        ))
    })
    .collect())
}

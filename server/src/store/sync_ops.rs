//! Operations received by sync, each claimed once by its id (docs/sync-protocol.md): the primary
//! key of `sync_ops` is what makes an operation apply at most once.

use std::collections::HashSet;

use anyhow::Context as _;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::{json_list, Conn, CHUNK};

/// An operation to claim: its id and its place in the client's queue.
pub struct Claim {
    pub id: Uuid,
    pub seq: i64,
}

/// Claims the ids never seen before and returns them; an id claimed earlier (by this push's
/// retry, or anyone) is not claimed again.
#[tracing::instrument(level = "debug", skip_all, fields(ops = ops.len()))]
pub async fn claim(
    conn: &mut Conn,
    user_id: i64,
    client: &str,
    ops: &[Claim],
    now: i64,
) -> anyhow::Result<HashSet<Uuid>> {
    let mut claimed = HashSet::new();
    for chunk in ops.chunks(CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO sync_ops (op_id, user_id, client_id, seq, received_at, result_json) ",
        );
        insert.push_values(chunk, |mut row, op| {
            row.push_bind(op.id.to_string())
                .push_bind(user_id)
                .push_bind(client.to_owned())
                .push_bind(op.seq)
                .push_bind(now)
                .push_bind("");
        });
        insert.push(" ON CONFLICT (op_id) DO NOTHING RETURNING op_id");
        let rows: Vec<(String,)> = insert
            .build_query_as()
            .fetch_all(&mut *conn)
            .await
            .context("Failed to claim operations")?;
        claimed.extend(rows.iter().filter_map(|(id,)| Uuid::parse_str(id).ok()));
    }
    Ok(claimed)
}

/// A stored result: the account that claimed the operation and what became of it (JSON).
pub struct Stored {
    pub id: Uuid,
    pub user_id: i64,
    pub result_json: String,
}

/// The stored results of operations claimed earlier.
#[tracing::instrument(level = "debug", skip_all, fields(ops = ids.len()))]
pub async fn stored(conn: &mut Conn, ids: &[String]) -> anyhow::Result<Vec<Stored>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let keys = json_list(chunk)?;
        for row in sqlx::query!(
            r#"SELECT op_id AS "op_id!", user_id AS "user_id!: i64", result_json FROM sync_ops
               WHERE op_id IN (SELECT value FROM json_each(?))"#,
            keys
        )
        .fetch_all(&mut *conn)
        .await
        .context("Failed to read stored results")?
        {
            out.push(Stored {
                id: Uuid::parse_str(&row.op_id).context("A stored operation id is not a UUID")?,
                user_id: row.user_id,
                result_json: row.result_json,
            });
        }
    }
    Ok(out)
}

/// Stores the results of claimed operations: `(op id, result JSON)`.
#[tracing::instrument(level = "debug", skip_all, fields(results = results.len()))]
pub async fn save_results(conn: &mut Conn, results: &[(String, String)]) -> anyhow::Result<()> {
    for chunk in results.chunks(CHUNK) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO sync_ops (op_id, user_id, client_id, seq, received_at, result_json) ",
        );
        // Every row exists (claimed before); the upsert only sets the result.
        upsert.push_values(chunk, |mut row, (id, json)| {
            row.push_bind(id.clone())
                .push_bind(0)
                .push_bind("")
                .push_bind(0)
                .push_bind(0)
                .push_bind(json.clone());
        });
        upsert.push(" ON CONFLICT (op_id) DO UPDATE SET result_json = excluded.result_json");
        upsert
            .build()
            .execute(&mut *conn)
            .await
            .context("Failed to store results")?;
    }
    Ok(())
}

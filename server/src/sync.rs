//! Exactly-once sync (docs/sync-protocol.md): a client pushes its queued operations and pulls
//! what changed since its cursor, in one round trip (`POST /api/sync`, handled in `http`).
//!
//! A push runs in one immediate write transaction. Each operation first claims its id with an
//! insert into `sync_ops`, whose primary key makes a second claim impossible; a retry finds the
//! claim and gets the stored result back, byte for byte. If the transaction does not commit (the
//! connection dropped, the server was killed), nothing of the push happened and a retry applies it.

mod pull;
mod push;
mod writer;

pub use pull::{commitments, pull, warnings, Kept, Page as PullPage, PullFrom};
pub use push::{insert_point, Push};
pub use writer::{Grouping, Writer};

use domain::sync::OpResult;

use crate::{
    db::{now_ms, Db},
    error::Result,
};

/// The largest push body accepted: room for `domain::sync::MAX_BATCH_OPS` operations of
/// ordinary size.
pub const MAX_SYNC_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Applies a push in a write transaction of its own and returns one result per operation. The
/// server pushes through [`Writer`] instead, which shares one transaction among the pushes that
/// arrive together; this is the same work for one push alone (tests, benchmarks, tools).
pub async fn apply(db: &Db, push: &Push<'_>) -> Result<Vec<OpResult>> {
    let mut tx = db.begin_write().await?;
    let rules = push::Rules {
        directory: db.directory(),
        limits: db.limits(),
    };
    let results = push::apply(&mut tx, &rules, push, now_ms()).await?;
    tx.commit().await?;
    Ok(results)
}

/// [`apply`] for a push given by its parts.
pub async fn apply_batch(
    db: &Db,
    user_id: i64,
    client_id: uuid::Uuid,
    ops: &[domain::sync::Envelope],
) -> Result<Vec<OpResult>> {
    apply(
        db,
        &Push {
            user_id,
            client_id,
            ops,
        },
    )
    .await
}

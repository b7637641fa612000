//! Group commit: one task takes every push waiting, applies each in a savepoint of its own inside
//! one write transaction, commits once and answers each.
//!
//! SQLite has one writer, and most of a small push's cost is fixed (beginning, committing, the
//! hops to sqlx's worker thread). Pushes that arrive while a group is being written wait in the
//! queue and go together in the next one, so under load the fixed cost is paid once per group
//! instead of once per push. A push that fails rolls back to its savepoint alone; exactly-once
//! still comes from each operation's claim in `sync_ops`, in the same transaction as its effect.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use domain::sync::{Envelope, OpResult};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::push::{self, Push};
use crate::{
    db::{now_ms, Db},
    error::{Error, Result},
    store::Conn,
};

/// At most this many pushes share one transaction, so one group never holds the lock for long.
const MAX_GROUP_PUSHES: usize = 64;
/// At most about this many operations share one transaction.
const MAX_GROUP_OPS: usize = 2_000;
/// Pushes waiting beyond this make callers wait to enqueue (back-pressure, not unbounded memory).
const QUEUE_LENGTH: usize = 1_024;

/// A push waiting for the writer, with the way back to its caller.
struct Job {
    user_id: i64,
    client_id: Uuid,
    ops: Vec<Envelope>,
    reply: oneshot::Sender<Result<Vec<OpResult>>>,
}

/// The handle handlers push through; cheap to clone. The writer task lives as long as a handle.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    stats: Arc<Counts>,
}

/// How much grouping happened: transactions committed and the pushes they carried.
#[derive(Debug, Default)]
struct Counts {
    groups: AtomicU64,
    pushes: AtomicU64,
}

/// Transactions the writer has committed and the pushes applied in them, since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouping {
    pub groups: u64,
    pub pushes: u64,
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(db: Db) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE_LENGTH);
        let stats = Arc::new(Counts::default());
        tokio::spawn(run(db, jobs, stats.clone()));
        Self { queue, stats }
    }

    /// How many transactions carried how many pushes so far.
    pub fn grouping(&self) -> Grouping {
        Grouping {
            groups: self.stats.groups.load(Ordering::Relaxed),
            pushes: self.stats.pushes.load(Ordering::Relaxed),
        }
    }

    /// Applies one client's push in the next group and returns one result per operation.
    pub async fn push(
        &self,
        user_id: i64,
        client_id: Uuid,
        ops: Vec<Envelope>,
    ) -> Result<Vec<OpResult>> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            user_id,
            client_id,
            ops,
            reply,
        };
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    anyhow::anyhow!("the sync writer has stopped").into()
}

/// Takes the first waiting push, then every other one already waiting (up to the group's
/// limits), and writes them together.
async fn run(db: Db, mut jobs: mpsc::Receiver<Job>, stats: Arc<Counts>) {
    while let Some(first) = jobs.recv().await {
        let mut ops = first.ops.len();
        let mut group = vec![first];
        while group.len() < MAX_GROUP_PUSHES && ops < MAX_GROUP_OPS {
            match jobs.try_recv() {
                Ok(job) => {
                    ops += job.ops.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        if let Some(applied) = write_group(&db, group).await {
            stats.groups.fetch_add(1, Ordering::Relaxed);
            stats.pushes.fetch_add(applied, Ordering::Relaxed);
        }
    }
}

/// One transaction for the group: each push in its own savepoint, one commit, then every answer.
/// If the commit fails, nothing of the group happened and every push is told so. Returns how many
/// pushes were applied, or `None` when nothing was committed.
async fn write_group(db: &Db, group: Vec<Job>) -> Option<u64> {
    let now = now_ms();
    let mut tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            let reason = e.to_string();
            for job in group {
                let _ = job.reply.send(Err(failed("begin", &reason)));
            }
            return None;
        }
    };
    let mut outcomes = Vec::with_capacity(group.len());
    for job in &group {
        let conn: &mut Conn = &mut tx;
        outcomes.push(in_savepoint(conn, db, job, now).await);
    }
    if let Err(e) = tx.commit().await {
        let reason = e.to_string();
        for job in group {
            let _ = job.reply.send(Err(failed("commit", &reason)));
        }
        return None;
    }
    let applied = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
    for (job, outcome) in group.into_iter().zip(outcomes) {
        // A caller that went away (the client disconnected) finds its results stored for a retry.
        let _ = job.reply.send(outcome);
    }
    Some(applied)
}

/// Applies one push inside a savepoint: kept on success, rolled back alone on failure.
async fn in_savepoint(conn: &mut Conn, db: &Db, job: &Job, now: i64) -> Result<Vec<OpResult>> {
    let mut savepoint = sqlx::Connection::begin(conn).await?;
    let push = Push {
        user_id: job.user_id,
        client_id: job.client_id,
        ops: &job.ops,
    };
    let rules = push::Rules {
        directory: db.directory(),
        limits: db.limits(),
    };
    match push::apply(&mut savepoint, &rules, &push, now).await {
        Ok(results) => {
            savepoint.commit().await?;
            Ok(results)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

fn failed(step: &str, reason: &str) -> Error {
    anyhow::anyhow!("sync group {step} failed: {reason}").into()
}

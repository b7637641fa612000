//! The append-only, hash-chained log (docs/audit-log.md; the hashing is `domain::audit`). Entries
//! are appended inside the write transaction of what they record, so a change and its entry
//! commit together or not at all; the write lock orders them, so `seq` has no gaps.

use domain::audit::{self, Broken, Entry, Verifier, GENESIS};
use serde::Serialize;
use sqlx::SqlitePool;

use crate::store::{self, Conn};

/// Entries read per query while verifying.
const VERIFY_CHUNK: i64 = 20_000;

/// Appends an entry and returns its `seq`. `payload` is stored as canonical JSON.
pub async fn append(
    conn: &mut Conn,
    kind: &str,
    actor: Option<i64>,
    subject: &str,
    payload: &serde_json::Value,
    at: i64,
) -> anyhow::Result<i64> {
    let (seq, prev) = match store::audit::last(conn).await? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let payload = audit::canonical_json(payload);
    let hash = audit::entry_hash(seq, at, kind, actor, subject, &payload, &prev);
    store::audit::insert(
        conn,
        &Entry {
            seq,
            at,
            kind: kind.to_owned(),
            actor,
            subject: subject.to_owned(),
            payload,
            prev_hash: prev,
            hash,
        },
    )
    .await?;
    Ok(seq)
}

/// The outcome of verifying the whole log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: i64,
    /// The hash of the last entry, when everything verified.
    pub head: Option<String>,
    /// The first entry that does not match.
    pub broken: Option<Broken>,
}

/// Re-computes the whole chain from the first entry, in slices, and names the first entry that
/// does not match. Rows are read in `seq` order by primary key.
pub async fn verify(pool: &SqlitePool) -> anyhow::Result<Verification> {
    let mut conn = pool.acquire().await?;
    let mut verifier = Verifier::new();
    let mut after = 0i64;
    loop {
        let rows = store::audit::after(&mut conn, after, VERIFY_CHUNK).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            break;
        };
        for entry in rows {
            if let Err(broken) = verifier.check(&entry) {
                return Ok(Verification {
                    entries: verifier.count(),
                    head: None,
                    broken: Some(broken),
                });
            }
        }
        after = last;
    }
    Ok(Verification {
        entries: verifier.count(),
        head: Some(verifier.head().to_owned()),
        broken: None,
    })
}

/// Checks one entry on its own: its content against its hash, and its link to the entry before.
/// The public verification page uses it for the entry of a signature.
pub async fn check_entry(pool: &SqlitePool, seq: i64) -> anyhow::Result<Option<Entry>> {
    let mut conn = pool.acquire().await?;
    let mut previous = GENESIS.to_owned();
    for r in store::audit::with_predecessor(&mut conn, seq).await? {
        if r.seq == seq {
            let hash = audit::entry_hash(
                r.seq,
                r.at,
                &r.kind,
                r.actor,
                &r.subject,
                &r.payload,
                &r.prev_hash,
            );
            let intact = hash == r.hash && r.prev_hash == previous;
            return Ok(intact.then_some(r));
        }
        previous = r.hash;
    }
    Ok(None)
}

//! The append-only, hash-chained log (docs/audit-log.md; the hashing is `domain::audit`). Entries
//! are appended inside the write transaction of what they record, so a change and its entry
//! commit together or not at all; the write lock orders them, so `seq` has no gaps.

use domain::{
    audit::{self, Broken, Entry, Verifier, GENESIS},
    merkle::{HeadCheck, HeadMismatch, TreeHead},
};
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
    /// The tree head over every entry (RFC 9162 hashing, `domain::merkle`), when the chain
    /// verified: saved elsewhere, it later shows whether the log was cut short or rewritten.
    pub tree: Option<TreeHead>,
}

/// Re-computes the whole chain from the first entry, in slices, and names the first entry that
/// does not match. Rows are read in `seq` order by primary key.
pub async fn verify(pool: &SqlitePool) -> anyhow::Result<Verification> {
    Ok(verify_against(pool, &[]).await?.0)
}

/// [`verify`], and whether the log extends each of the `heads` saved earlier: one verdict per
/// head, in order (none when the chain itself is broken).
pub async fn verify_against(
    pool: &SqlitePool,
    heads: &[TreeHead],
) -> anyhow::Result<(Verification, Vec<Result<(), HeadMismatch>>)> {
    let mut conn = pool.acquire().await?;
    let mut verifier = Verifier::new();
    let mut check = HeadCheck::new(heads.to_vec());
    let mut after = 0i64;
    loop {
        let rows = store::audit::after(&mut conn, after, VERIFY_CHUNK).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            break;
        };
        for entry in rows {
            if let Err(broken) = verifier.check(&entry) {
                let v = Verification {
                    entries: verifier.count(),
                    head: None,
                    broken: Some(broken),
                    tree: None,
                };
                return Ok((v, Vec::new()));
            }
            check.push(&entry.hash);
        }
        after = last;
    }
    let tree = check.tree();
    let v = Verification {
        entries: verifier.count(),
        head: Some(verifier.head().to_owned()),
        broken: None,
        tree: Some(TreeHead {
            size: tree.size(),
            root: hex::encode(tree.root()),
        }),
    };
    Ok((v, check.finish()))
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

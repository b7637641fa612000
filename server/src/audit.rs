//! The append-only, hash-chained log (docs/audit-log.md; the hashing is `domain::audit`). Entries
//! are appended inside the write transaction of what they record, so a change and its entry
//! commit together or not at all; the write lock orders them, so `seq` has no gaps.

use domain::{
    audit::{self, Broken, Entry, Verifier, GENESIS},
    merkle::{self, HeadCheck, HeadMismatch, Node, Span, TreeHead},
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
    let leaf = merkle::entry_leaf(&hash);
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
    extend_tree(conn, seq, leaf).await?;
    Ok(seq)
}

/// Adds entry `seq`'s leaf to the stored Merkle tree, in the append's transaction, first filling
/// in the leaves of any entries the tree lacks (a log written before the tree existed).
async fn extend_tree(conn: &mut Conn, seq: i64, leaf: merkle::Hash) -> anyhow::Result<()> {
    let size = store::audit::tree_size(conn).await?;
    if size >= seq {
        anyhow::bail!(
            "The stored Merkle tree holds {size} leaves but the log only {}: run `lianfang verify`",
            seq - 1
        );
    }
    if size < seq - 1 {
        catch_up_from(conn, size, seq - 1).await?;
    }
    push_leaf(conn, seq - 1, leaf).await
}

/// Stores leaf `index` and every perfect subtree it completes.
async fn push_leaf(conn: &mut Conn, index: i64, leaf: merkle::Hash) -> anyhow::Result<()> {
    store::audit::insert_tree_node(conn, 0, index, &leaf).await?;
    let (mut hash, mut level, mut idx) = (leaf, 0i64, index);
    while idx & 1 == 1 {
        let left = node(conn, level, idx - 1).await?;
        hash = merkle::node_hash(&left, &hash);
        level += 1;
        idx >>= 1;
        store::audit::insert_tree_node(conn, level, idx, &hash).await?;
    }
    Ok(())
}

/// A stored node, which must be there.
async fn node(conn: &mut Conn, level: i64, idx: i64) -> anyhow::Result<merkle::Hash> {
    store::audit::tree_node(conn, level, idx)
        .await?
        .and_then(|h| merkle::Hash::try_from(h.as_slice()).ok())
        .ok_or_else(|| anyhow::anyhow!("The Merkle tree lacks node {idx} at level {level}"))
}

/// Adds the leaves of entries `from + 1 ..= to` to a tree of `from` leaves: its frontier is read
/// once, then every new node is computed in memory and only written.
async fn catch_up_from(conn: &mut Conn, from: i64, to: i64) -> anyhow::Result<()> {
    let size = u64::try_from(from)?;
    let mut peaks = Vec::new();
    for n in merkle::Frontier::peak_nodes(size) {
        peaks.push(node(conn, i64::from(n.level), i64::try_from(n.index)?).await?);
    }
    let mut tree = merkle::Frontier::from_peaks(size, peaks)
        .ok_or_else(|| anyhow::anyhow!("The Merkle tree's frontier is incomplete"))?;
    let mut after = from;
    let mut nodes = Vec::new();
    while after < to {
        let rows = store::audit::hashes_after(conn, after, VERIFY_CHUNK.min(to - after)).await?;
        let Some(&(last, _)) = rows.last() else {
            break;
        };
        for (_, hash) in rows {
            nodes.clear();
            tree.push_with(merkle::entry_leaf(&hash), |n, h| nodes.push((n, *h)));
            for (n, h) in &nodes {
                let idx = i64::try_from(n.index)?;
                store::audit::insert_tree_node(conn, i64::from(n.level), idx, h).await?;
            }
        }
        after = last;
    }
    Ok(())
}

/// Fills in the stored tree for entries appended before it existed; returns how many leaves
/// were added. Run at start, so that proofs can be given before the next append.
pub async fn catch_up_tree(db: &crate::db::Db) -> anyhow::Result<i64> {
    let mut tx = db.begin_write().await?;
    let size = store::audit::tree_size(&mut tx).await?;
    let entries = store::audit::last(&mut tx).await?.map_or(0, |(seq, _)| seq);
    if size > entries {
        tracing::error!(
            leaves = size,
            entries,
            "the audit log holds fewer entries than its stored Merkle tree: entries may have been cut off; run `lianfang verify`"
        );
    }
    if size >= entries {
        return Ok(0);
    }
    catch_up_from(&mut tx, size, entries).await?;
    tx.commit().await?;
    Ok(entries - size)
}

/// The hash of each run, from the stored nodes.
async fn span_hashes(conn: &mut Conn, spans: &[Span]) -> anyhow::Result<Vec<merkle::Hash>> {
    let mut nodes = std::collections::HashMap::<Node, merkle::Hash>::new();
    for span in spans {
        for n in span.nodes() {
            if let std::collections::hash_map::Entry::Vacant(slot) = nodes.entry(n) {
                let level = i64::from(n.level);
                let idx = i64::try_from(n.index)?;
                slot.insert(node(conn, level, idx).await?);
            }
        }
    }
    Ok(spans.iter().map(|s| s.root_with(|n| nodes[&n])).collect())
}

/// How many entries the stored tree answers for: its leaves, but never more than the log holds.
/// Entries cut from the log are not vouched for by the tree's older nodes: a proof asked of a
/// longer tree is refused as a truncation.
pub async fn tree_size(conn: &mut Conn) -> anyhow::Result<i64> {
    let leaves = store::audit::tree_size(conn).await?;
    let entries = store::audit::last(conn).await?.map_or(0, |(seq, _)| seq);
    Ok(leaves.min(entries))
}

/// Whether the tree kept for proofs is the tree of the log as re-hashed (`rebuilt`, from
/// [`verify`]): why not, if it is not. A tree with fewer leaves is only behind (filled in at the
/// next start or append).
pub async fn check_stored_tree(
    conn: &mut Conn,
    rebuilt: &TreeHead,
) -> anyhow::Result<Option<String>> {
    let leaves = u64::try_from(store::audit::tree_size(conn).await?)?;
    if leaves > rebuilt.size {
        return Ok(Some(format!(
            "它有 {leaves} 个叶子，审计记录却只有 {} 条，记录可能被截断",
            rebuilt.size
        )));
    }
    if leaves == rebuilt.size && hex::encode(root_at(conn, leaves).await?) != rebuilt.root {
        return Ok(Some(format!(
            "前 {leaves} 条记录的根哈希不同，记录可能被改写"
        )));
    }
    Ok(None)
}

/// The stored tree's size and root.
pub async fn tree_head(conn: &mut Conn) -> anyhow::Result<TreeHead> {
    let size = tree_size(conn).await?;
    Ok(TreeHead {
        size: u64::try_from(size)?,
        root: hex::encode(root_at(conn, u64::try_from(size)?).await?),
    })
}

/// The root of the tree of the first `size` entries (at most the stored tree's size).
pub async fn root_at(conn: &mut Conn, size: u64) -> anyhow::Result<merkle::Hash> {
    let span = Span {
        start: 0,
        len: size,
    };
    Ok(span_hashes(conn, &[span]).await?[0])
}

/// The audit path of entry `seq` in the tree of the first `size` entries, leaf to root; `None`
/// when the entry is not among them. `size` must not exceed the stored tree's.
pub async fn inclusion_proof(
    conn: &mut Conn,
    seq: u64,
    size: u64,
) -> anyhow::Result<Option<Vec<merkle::Hash>>> {
    let Some(spans) = seq
        .checked_sub(1)
        .and_then(|index| merkle::inclusion_spans(index, size))
    else {
        return Ok(None);
    };
    Ok(Some(span_hashes(conn, &spans).await?))
}

/// The proof that the tree of the first `old_size` entries is a prefix of the tree of `size`;
/// `None` when `old_size` is larger. `size` must not exceed the stored tree's.
pub async fn consistency_proof(
    conn: &mut Conn,
    old_size: u64,
    size: u64,
) -> anyhow::Result<Option<Vec<merkle::Hash>>> {
    let Some(spans) = merkle::consistency_spans(old_size, size) else {
        return Ok(None);
    };
    Ok(Some(span_hashes(conn, &spans).await?))
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

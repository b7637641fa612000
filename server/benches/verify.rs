//! Audit-log verification benchmark: prints numbers, passes or fails nothing. Run with
//! `cargo bench -p server --bench verify` (release build, a real SQLite file).
//!
//! Writes a chained log of `LIANFANG_BENCH_ENTRIES` entries (default 1,000,000, payloads shaped
//! like real stage changes), then times `audit::verify` over it, as `lianfang verify` runs it (the
//! chain and the Merkle tree together), and the tree alone and its proofs over the same hashes.
//! Then fills in the stored tree for that log (as the first start after the upgrade does), makes
//! the same proofs from the stored nodes, and appends the same number of entries through
//! `audit::append` (chain and tree, as every act does) beside a baseline of the chain alone
//! (what `append` did before the tree), both in transactions of 1,000
//! (`LIANFANG_BENCH_APPENDS`, default 100,000 each).

use std::time::Instant;

use domain::{
    audit::{entry_hash, GENESIS},
    merkle,
};
use server::{audit, db::Db};

#[tokio::main]
async fn main() {
    let n: i64 = std::env::var("LIANFANG_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("verify.db")).await.unwrap();

    let started = Instant::now();
    let mut prev = GENESIS.to_owned();
    let mut tx = db.pool().begin().await.unwrap();
    let mut seq = 1;
    while seq <= n {
        let end = (seq + 999).min(n);
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) ",
        );
        let mut rows = Vec::with_capacity(1000);
        for s in seq..=end {
            let at = 1_795_000_000_000 + s;
            let payload = format!(
                r#"{{"action":"approve","content_hash":"{}","from":"section_review","post":{},"reason":null,"sheet":{},"to":"leader_confirmation","version":{}}}"#,
                "ab".repeat(32),
                s % 5000,
                s % 5000,
                s % 50
            );
            let subject = format!("sheet:{}", s % 5000);
            let hash = entry_hash(
                s,
                at,
                "stage_change",
                Some(s % 300),
                &subject,
                &payload,
                &prev,
            );
            rows.push((s, at, subject, payload, prev.clone(), hash.clone()));
            prev = hash;
        }
        insert.push_values(rows, |mut b, (s, at, subject, payload, prev, hash)| {
            b.push_bind(s)
                .push_bind(at)
                .push_bind("stage_change")
                .push_bind(s % 300)
                .push_bind(subject)
                .push_bind(payload)
                .push_bind(prev)
                .push_bind(hash);
        });
        insert.build().execute(&mut *tx).await.unwrap();
        seq = end + 1;
    }
    tx.commit().await.unwrap();
    let written = started.elapsed();
    let size = std::fs::metadata(dir.path().join("verify.db"))
        .map(|m| m.len())
        .unwrap_or(0);

    let started = Instant::now();
    let v = audit::verify(db.pool()).await.unwrap();
    let took = started.elapsed();
    assert!(v.broken.is_none());
    println!(
        "verify: {} entries in {:.2} s ({:.0} entries/s); log written in {:.1} s, file {:.0} MB",
        v.entries,
        took.as_secs_f64(),
        v.entries as f64 / took.as_secs_f64(),
        written.as_secs_f64(),
        size as f64 / 1e6
    );

    // The tree on its own, over the same hashes in memory: what `verify` adds to the chain.
    let mut conn = db.pool().acquire().await.unwrap();
    let rows = server::store::audit::after(&mut conn, 0, i64::MAX)
        .await
        .unwrap();
    let started = Instant::now();
    let leaves: Vec<merkle::Hash> = rows.iter().map(|e| merkle::entry_leaf(&e.hash)).collect();
    let mut tree = merkle::Frontier::new();
    for leaf in &leaves {
        tree.push(*leaf);
    }
    let root = tree.root();
    let tree_took = started.elapsed();
    let n = leaves.len();
    let index = n / 3 + 7;
    let started = Instant::now();
    let inclusion = merkle::inclusion_proof(&leaves, index).unwrap();
    let inclusion_made = started.elapsed();
    let started = Instant::now();
    let ok = merkle::verify_inclusion(index as u64, n as u64, &leaves[index], &inclusion, &root);
    let inclusion_checked = started.elapsed();
    assert!(ok);
    let old = n / 2 + 3;
    let old_root = merkle::root(&leaves[..old]);
    let started = Instant::now();
    let consistency = merkle::consistency_proof(&leaves, old).unwrap();
    let consistency_made = started.elapsed();
    let started = Instant::now();
    let ok = merkle::verify_consistency(old as u64, n as u64, &old_root, &root, &consistency);
    let consistency_checked = started.elapsed();
    assert!(ok);
    println!(
        "tree: {n} leaves hashed and folded in {:.2} s (the chain and tree together above); \
         inclusion proof of entry {} : {} hashes = {} bytes, made in {:.0} ms from the leaves, checked in {:.1} µs; \
         consistency proof {old} → {n}: {} hashes = {} bytes, made in {:.0} ms, checked in {:.1} µs",
        tree_took.as_secs_f64(),
        index + 1,
        inclusion.len(),
        inclusion.len() * 32,
        inclusion_made.as_secs_f64() * 1e3,
        inclusion_checked.as_secs_f64() * 1e6,
        consistency.len(),
        consistency.len() * 32,
        consistency_made.as_secs_f64() * 1e3,
        consistency_checked.as_secs_f64() * 1e6,
    );

    drop(conn);

    // The stored tree, filled in for the log above, and the same proofs from its nodes.
    let started = Instant::now();
    let added = audit::catch_up_tree(&db).await.unwrap();
    let caught = started.elapsed();
    let mut conn = db.pool().acquire().await.unwrap();
    let started = Instant::now();
    let stored_inclusion = audit::inclusion_proof(&mut conn, index as u64 + 1, n as u64)
        .await
        .unwrap()
        .unwrap();
    let stored_inclusion_made = started.elapsed();
    assert_eq!(stored_inclusion, inclusion);
    let started = Instant::now();
    let stored_consistency = audit::consistency_proof(&mut conn, old as u64, n as u64)
        .await
        .unwrap()
        .unwrap();
    let stored_consistency_made = started.elapsed();
    assert_eq!(stored_consistency, consistency);
    let head = audit::tree_head(&mut conn).await.unwrap();
    assert_eq!(head.root, hex::encode(root));
    drop(conn);
    println!(
        "stored tree: {added} leaves filled in in {:.1} s ({:.0} leaves/s); inclusion proof from the stored nodes in {:.2} ms, consistency proof in {:.2} ms (the same hashes as from the leaves)",
        caught.as_secs_f64(),
        added as f64 / caught.as_secs_f64(),
        stored_inclusion_made.as_secs_f64() * 1e3,
        stored_consistency_made.as_secs_f64() * 1e3,
    );

    // Appending: the chain alone (the baseline), then the chain with the tree, as acts append.
    let appends: i64 = std::env::var("LIANFANG_BENCH_APPENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let chain_only = append_run(&dir.path().join("chain.db"), appends, false).await;
    let with_tree = append_run(&dir.path().join("tree.db"), appends, true).await;
    println!(
        "append {appends} entries in transactions of 1,000: chain alone {:.1} s ({:.0}/s, baseline); chain and tree {:.1} s ({:.0}/s, {:.2}× the baseline)",
        chain_only.as_secs_f64(),
        appends as f64 / chain_only.as_secs_f64(),
        with_tree.as_secs_f64(),
        appends as f64 / with_tree.as_secs_f64(),
        with_tree.as_secs_f64() / chain_only.as_secs_f64(),
    );
}

/// Appends `n` entries to a new database at `path`, 1,000 to a write transaction: through
/// `audit::append` (chain and tree) or, for the baseline, the chain's two statements alone.
async fn append_run(path: &std::path::Path, n: i64, tree: bool) -> std::time::Duration {
    let db = Db::open(path).await.unwrap();
    let payload =
        serde_json::json!({ "action": "approve", "post": 17, "to": "leader_confirmation" });
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let mut tx = db.begin_write().await.unwrap();
        for _ in 0..1000.min(n - done) {
            done += 1;
            let at = 1_795_000_000_000 + done;
            if tree {
                audit::append(&mut tx, "stage_change", Some(7), "sheet:17", &payload, at)
                    .await
                    .unwrap();
            } else {
                let (seq, prev) = server::store::audit::last(&mut tx)
                    .await
                    .unwrap()
                    .map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
                let payload = domain::audit::canonical_json(&payload);
                let hash = entry_hash(
                    seq,
                    at,
                    "stage_change",
                    Some(7),
                    "sheet:17",
                    &payload,
                    &prev,
                );
                server::store::audit::insert(
                    &mut tx,
                    &domain::audit::Entry {
                        seq,
                        at,
                        kind: "stage_change".to_owned(),
                        actor: Some(7),
                        subject: "sheet:17".to_owned(),
                        payload,
                        prev_hash: prev,
                        hash,
                    },
                )
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    started.elapsed()
}

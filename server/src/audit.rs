//! The append-only, hash-chained log (docs/audit-log.md; the hashing is `domain::audit`). Entries
//! are appended inside the write transaction of what they record, so a change and its entry
//! commit together or not at all; the write lock orders them, so `seq` has no gaps.

use domain::audit::{self, Broken, Entry, Verifier, GENESIS};
use serde::Serialize;
use sqlx::{Sqlite, SqlitePool, Transaction};

/// Entries read per query while verifying.
const VERIFY_CHUNK: i64 = 20_000;

/// Appends an entry and returns its `seq`. `payload` is stored as canonical JSON.
pub async fn append(
    tx: &mut Transaction<'static, Sqlite>,
    kind: &str,
    actor: Option<i64>,
    subject: &str,
    payload: &serde_json::Value,
    at: i64,
) -> Result<i64, sqlx::Error> {
    let last =
        sqlx::query!(r#"SELECT seq AS "seq!: i64", hash FROM audit_log ORDER BY seq DESC LIMIT 1"#)
            .fetch_optional(&mut **tx)
            .await?;
    let (seq, prev) = match last {
        Some(l) => (l.seq + 1, l.hash),
        None => (1, GENESIS.to_owned()),
    };
    let payload = audit::canonical_json(payload);
    let hash = audit::entry_hash(seq, at, kind, actor, subject, &payload, &prev);
    sqlx::query!(
        "INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        seq,
        at,
        kind,
        actor,
        subject,
        payload,
        prev,
        hash
    )
    .execute(&mut **tx)
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
pub async fn verify(pool: &SqlitePool) -> Result<Verification, sqlx::Error> {
    let mut verifier = Verifier::new();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query_as!(
            Entry,
            r#"SELECT seq AS "seq!: i64", at AS "at!: i64", kind, actor, subject, payload, prev_hash, hash
               FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"#,
            after,
            VERIFY_CHUNK
        )
        .fetch_all(pool)
        .await?;
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
pub async fn check_entry(pool: &SqlitePool, seq: i64) -> Result<Option<Entry>, sqlx::Error> {
    let before = seq - 1;
    let rows = sqlx::query_as!(
        Entry,
        r#"SELECT seq AS "seq!: i64", at AS "at!: i64", kind, actor, subject, payload, prev_hash, hash
           FROM audit_log WHERE seq IN (?, ?) ORDER BY seq"#,
        before,
        seq
    )
    .fetch_all(pool)
    .await?;
    let mut previous = GENESIS.to_owned();
    for r in rows {
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

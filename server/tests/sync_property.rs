//! Property: whatever the interleaving of pushes, retries of pushes whose answer was lost, and
//! pushes cut off before they committed, from several clients, the end state equals applying each
//! operation once, in the order it was first applied — and each client's operations were first
//! applied in its queue order.

use std::collections::HashSet;

use domain::sync::{Envelope, MeasureInput, Operation, RiskPointInput};
use proptest::prelude::*;
use server::{
    db::Db,
    seed,
    sync::{apply_batch, pull, Kept, PullFrom, PullPage},
};
use uuid::Uuid;

/// Four risk point ids the generated operations fight over.
fn point_id(n: u8) -> Uuid {
    Uuid::from_u128(0xA000 + u128::from(n % 4))
}

#[derive(Debug, Clone)]
enum Gen {
    Create(u8),
    Update(u8, i64, u8),
    Delete(u8, i64),
    Submit,
}

fn gen_op() -> impl Strategy<Value = Gen> {
    prop_oneof![
        4 => any::<u8>().prop_map(Gen::Create),
        4 => (any::<u8>(), 1..4i64, any::<u8>()).prop_map(|(p, b, t)| Gen::Update(p, b, t)),
        2 => (any::<u8>(), 1..4i64).prop_map(|(p, b)| Gen::Delete(p, b)),
        1 => Just(Gen::Submit),
    ]
}

/// What happens to one push.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Applied and answered: the client moves on.
    Delivered,
    /// Applied, but the answer was lost: the client will send the same operations again.
    AnswerLost,
    /// Cut off before it committed: nothing applied.
    CutOff,
}

fn gen_step(clients: usize) -> impl Strategy<Value = (usize, usize, Fate)> {
    (
        0..clients,
        1..5usize,
        prop_oneof![3 => Just(Fate::Delivered), 1 => Just(Fate::AnswerLost), 1 => Just(Fate::CutOff)],
    )
}

fn input(text: u8) -> RiskPointInput {
    RiskPointInput {
        duty: String::new(),
        description: format!("风险点描述第 {text} 版"),
        manifestation: String::new(),
        category: "duty".into(),
        power_type: "财务权".into(),
        likelihood: i64::from(text % 5) + 1,
        impact: 3,
        frequency: 2,
        residual_likelihood: None,
        residual_impact: None,
        measures: vec![MeasureInput {
            kind: "education".into(),
            text: format!("廉政教育 {text}"),
            ..Default::default()
        }],
    }
}

fn envelope(seq: i64, post_id: i64, g: &Gen) -> Envelope {
    let op = match *g {
        Gen::Create(p) => Operation::UpsertRiskPoint {
            post_id,
            risk_point_id: point_id(p),
            base_version: None,
            risk_point: input(p),
        },
        Gen::Update(p, base, t) => Operation::UpsertRiskPoint {
            post_id,
            risk_point_id: point_id(p),
            base_version: Some(base),
            risk_point: input(t),
        },
        Gen::Delete(p, base) => Operation::DeleteRiskPoint {
            post_id,
            risk_point_id: point_id(p),
            base_version: base,
        },
        Gen::Submit => Operation::SubmitSheet { post_id },
    };
    Envelope {
        id: Uuid::new_v4(),
        seq,
        op,
    }
}

async fn fresh_db(dir: &tempfile::TempDir, name: &str) -> (Db, i64, i64) {
    let db = Db::open(&dir.path().join(name)).await.unwrap();
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'zhangwei'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let post: i64 = sqlx::query_scalar("SELECT post_id FROM post_holders WHERE user_id = ?")
        .bind(user)
        .fetch_one(db.pool())
        .await
        .unwrap();
    (db, user, post)
}

/// Everything an operation can change, as comparable text.
async fn state(db: &Db) -> (Vec<String>, Vec<String>, Vec<String>) {
    let points: Vec<(String, i64, String, String)> =
        sqlx::query_as("SELECT id, version, description, level FROM risk_points ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let measures: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT risk_point_id, position, text FROM measures ORDER BY risk_point_id, position",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let sheets: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT post_id, stage, version FROM risk_sheets ORDER BY post_id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    (
        points.into_iter().map(|p| format!("{p:?}")).collect(),
        measures.into_iter().map(|m| format!("{m:?}")).collect(),
        sheets.into_iter().map(|s| format!("{s:?}")).collect(),
    )
}

/// A device's copy of what its user may read, built from pulls exactly as
/// docs/sync-protocol.md says: replace on `full`, else upsert sheets and points and remove
/// `deleted` and the sheets `dropped`; keep `cursor` and `resume_after_post`; say which sheets
/// it holds; pull again at once while `more`.
#[derive(Debug, Default, Clone, PartialEq)]
struct Replica {
    cursor: Option<i64>,
    resume_after_post: Option<i64>,
    sheets: std::collections::BTreeMap<i64, String>,
    points: std::collections::BTreeMap<Uuid, String>,
}

/// Small pages, so that the property crosses page boundaries all the time.
const PAGE: PullPage = PullPage {
    changes: 3,
    snapshot_points: 4,
};

impl Replica {
    /// One pull; returns whether the server has more.
    async fn pull_once(&mut self, db: &Db, user: i64, page: PullPage) -> bool {
        let kept = Kept {
            have: Some(self.sheets.keys().copied().collect()),
        };
        let response = pull(
            db,
            user,
            PullFrom::of(self.cursor, self.resume_after_post),
            page,
            &kept,
        )
        .await
        .unwrap();
        if response.full {
            self.sheets.clear();
            self.points.clear();
        }
        for post in &response.dropped {
            self.sheets.remove(post);
            self.points
                .retain(|_, p| !p.contains(&format!("post_id: {post},")));
        }
        for s in &response.sheets {
            self.sheets.insert(s.post_id, format!("{s:?}"));
        }
        for p in &response.risk_points {
            self.points.insert(p.id, format!("{p:?}"));
        }
        for d in &response.deleted {
            self.points.remove(d);
        }
        self.cursor = Some(response.cursor);
        self.resume_after_post = response.resume_after_post;
        response.more
    }

    async fn pull_all(&mut self, db: &Db, user: i64, page: PullPage) {
        while self.pull_once(db, user, page).await {}
    }
}

async fn results(db: &Db) -> Vec<(String, String)> {
    sqlx::query_as("SELECT op_id, result_json FROM sync_ops ORDER BY op_id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn interleaved_pushes_and_retries_equal_applying_each_operation_once(
        queues in prop::collection::vec(prop::collection::vec(gen_op(), 1..7), 2..4),
        steps in prop::collection::vec(gen_step(3), 0..14),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let (db, user, post) = fresh_db(&dir, "interleaved.db").await;
            let clients: Vec<(Uuid, Vec<Envelope>)> = queues
                .iter()
                .map(|q| (Uuid::new_v4(), q.iter().enumerate().map(|(i, g)| envelope(i as i64 + 1, post, g)).collect()))
                .collect();
            let mut acked = vec![0usize; clients.len()];
            let mut replicas = vec![Replica::default(); clients.len()];
            let mut first_applied: Vec<(usize, Envelope)> = Vec::new();
            let mut seen = HashSet::new();
            let mut deliver = |c: usize, batch: &[Envelope]| {
                for e in batch {
                    if seen.insert(e.id) {
                        first_applied.push((c, e.clone()));
                    }
                }
            };

            // The generated schedule, then every client drains what it has left.
            let drain = (0..clients.len()).map(|c| (c, usize::MAX, Fate::Delivered));
            for (c, size, fate) in steps.iter().copied().filter(|s| s.0 < clients.len()).chain(drain) {
                let (client_id, queue) = &clients[c];
                while acked[c] < queue.len() {
                    let end = queue.len().min(acked[c].saturating_add(size));
                    let batch = &queue[acked[c]..end];
                    match fate {
                        Fate::CutOff => {}
                        Fate::AnswerLost => {
                            apply_batch(&db, user, *client_id, batch).await.unwrap();
                            deliver(c, batch);
                        }
                        Fate::Delivered => {
                            apply_batch(&db, user, *client_id, batch).await.unwrap();
                            deliver(c, batch);
                            acked[c] = end;
                            // The push's answer carries one page of the pull.
                            replicas[c].pull_once(&db, user, PAGE).await;
                        }
                    }
                    if size != usize::MAX {
                        break;
                    }
                }
            }

            // Each operation exactly once, and each client's in its queue order.
            let total: usize = clients.iter().map(|(_, q)| q.len()).sum();
            assert_eq!(first_applied.len(), total);
            let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_ops").fetch_one(db.pool()).await.unwrap();
            assert_eq!(stored as usize, total);
            for c in 0..clients.len() {
                let order: Vec<i64> = first_applied.iter().filter(|(k, _)| *k == c).map(|(_, e)| e.seq).collect();
                assert!(order.windows(2).all(|w| w[0] < w[1]), "client {c} applied out of order: {order:?}");
            }

            // Every device's replica, pulled to the end as the docs say, equals a full snapshot
            // taken now in one page: nothing missed, nothing stale, its own changes included.
            let mut snapshot = Replica::default();
            snapshot.pull_all(&db, user, PullPage { changes: usize::MAX, snapshot_points: usize::MAX }).await;
            for (c, replica) in replicas.iter_mut().enumerate() {
                replica.pull_all(&db, user, PAGE).await;
                assert_eq!(&replica.sheets, &snapshot.sheets, "device {c}'s sheets");
                assert_eq!(&replica.points, &snapshot.points, "device {c}'s points");
            }
            let mut fresh = Replica::default();
            fresh.pull_all(&db, user, PAGE).await;
            assert_eq!(fresh.points, snapshot.points, "a snapshot in pages adds up to the whole");

            // The reference: each operation once, one at a time, in first-applied order.
            let (reference, ref_user, _) = fresh_db(&dir, "reference.db").await;
            for (c, e) in &first_applied {
                apply_batch(&reference, ref_user, clients[*c].0, std::slice::from_ref(e)).await.unwrap();
            }
            assert_eq!(state(&db).await, state(&reference).await);
            assert_eq!(results(&db).await, results(&reference).await);
        });
    }
}

//! District catalogue benchmark: prints numbers, passes or fails nothing. Run with
//! `cargo bench -p server --bench catalogue` (release build, a real SQLite file).
//!
//! Seeds the demo district and a generated one of `LIANFANG_BENCH_POSTS` posts (default 1,226:
//! 8,426 risk points, the measured district), then times, as the commission opens 风险库:
//! - the baseline, reading every point of the current sheets (the store's read alone);
//! - the grouping alone (`domain::catalogue::group` over those points);
//! - the whole page's data (`catalogue::view`: the read, the grouping, the views).
//!
//! The generated district repeats the demo table's 26 texts, so each proposed group holds
//! hundreds of identical points: the most pairs above the threshold a district can have, the
//! grouping's worst case. Prints the process's peak resident memory too.

use std::time::Instant;

use app::api::SessionUser;
use domain::{
    catalogue::{group, Item, THRESHOLD},
    risk::PowerType,
};
use server::{db::Db, seed, store};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let posts: usize = std::env::var("LIANFANG_BENCH_POSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_226);
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("catalogue.db")).await.unwrap();
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let written = seed::seed_generated(&db, posts).await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'shenhe'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let shenhe = SessionUser {
        id,
        username: "shenhe".into(),
        display_name: "鲁审核".into(),
        must_change_password: false,
    };
    println!("catalogue: district of {posts} generated posts, {written} generated risk points");

    let started = Instant::now();
    let mut conn = db.pool().acquire().await.unwrap();
    let points = store::catalogue::candidates(&mut conn).await.unwrap();
    drop(conn);
    let read = started.elapsed();
    println!(
        "catalogue: baseline read of {} points: {:.1} ms",
        points.len(),
        read.as_secs_f64() * 1e3
    );

    let items: Vec<Item<usize>> = points
        .iter()
        .enumerate()
        .map(|(i, p)| Item {
            key: i,
            kind: PowerType::parse(&p.power_type).map(|t| t.kind()).unwrap(),
            text: p.description.clone(),
            entry: false,
        })
        .collect();
    let started = Instant::now();
    let groups = group(&items, THRESHOLD);
    let grouping = started.elapsed();
    let grouped: usize = groups.iter().map(|g| g.members.len()).sum();
    println!(
        "catalogue: grouping {} points into {} groups ({grouped} points grouped): {:.1} ms ({:.1}× the read)",
        items.len(),
        groups.len(),
        grouping.as_secs_f64() * 1e3,
        grouping.as_secs_f64() / read.as_secs_f64()
    );

    for run in 1..=3 {
        let started = Instant::now();
        let view = server::catalogue::view(&db, &shenhe).await.unwrap();
        let page = started.elapsed();
        println!(
            "catalogue: page data, run {run}: {:.1} ms ({} proposals shown, {} more; {:.1}× the read)",
            page.as_secs_f64() * 1e3,
            view.proposals.len(),
            view.more_proposals,
            page.as_secs_f64() / read.as_secs_f64()
        );
    }
    println!("catalogue: peak resident memory {:.0} MB", peak_rss_mb());
}

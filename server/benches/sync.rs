//! Sync benchmark: prints numbers, passes or fails nothing. Run with
//! `cargo bench -p server --bench sync` (release build, real SQLite file, real HTTP on loopback).
//!
//! 1. Server-side throughput: one client pushing batches of 100 new risk points.
//! 2. Latency under load: 200 concurrent clients (200 post holders, one device each) pushing
//!    batches of 10; p50/p99 per push, and every non-200 answer counted (a "database is locked"
//!    would show up as a 500 here, and is counted from the server's error log as well).
//!
//! Every figure is printed beside a baseline measured in the same run on the same machine: the
//! same rows (risk points with two measures each) inserted straight through sqlx in one
//! transaction, the least any sync could cost. The machine is noisy; the ratio holds.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use serde_json::{json, Value};
use server::{
    auth::session::CookiePolicy,
    db::{statements, Db},
    http::{router, AppState, Settings},
    seed,
};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use uuid::Uuid;

fn op(seq: i64, post: i64) -> Value {
    json!({
        "id": Uuid::new_v4(), "seq": seq, "type": "upsert_risk_point", "post_id": post,
        "risk_point_id": Uuid::new_v4(),
        "risk_point": {
            "description": format!("基准测试风险点 {seq}"), "category": "process", "power_type": "财务权",
            "likelihood": 3, "impact": 4, "frequency": 2,
            "measures": [{ "kind": "institutional", "text": "三方签认" }, { "kind": "supervision", "text": "季度抽查" }]
        }
    })
}

/// Counts the server's error events that say "database is locked".
struct LockedErrors;

static LOCKED: AtomicU64 = AtomicU64::new(0);

impl<S: tracing::Subscriber> Layer<S> for LockedErrors {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() != tracing::Level::ERROR {
            return;
        }
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{value:?}"));
            }
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        if text.0.contains("database is locked") {
            LOCKED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The baseline: `count` risk points with two measures each, inserted straight through sqlx in
/// one transaction on a sheet of their own. Returns the seconds it took.
async fn baseline(db: &Db, sheet: i64, count: usize, first_position: i64) -> f64 {
    let started = Instant::now();
    let mut tx = db.pool().begin().await.unwrap();
    for i in 0..count {
        let id = Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO risk_points (id, sheet_id, position, description, category, power_type, likelihood, impact, frequency, level, updated_at) VALUES (?, ?, ?, ?, 'process', '财务权', 3, 4, 2, 'medium', 0)",
        )
        .bind(&id)
        .bind(sheet)
        .bind(first_position + i as i64)
        .bind(format!("基准测试风险点 {i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
        for (position, (kind, text)) in [("institutional", "三方签认"), ("supervision", "季度抽查")]
            .into_iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO measures (risk_point_id, position, kind, text) VALUES (?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(position as i64)
            .bind(kind)
            .bind(text)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
    started.elapsed().as_secs_f64()
}

/// 200 more post holders, each with a post and a sheet, so the concurrent clients are 200
/// different people as in a real district (the demo has 26).
async fn add_staff(db: &Db, n: usize) {
    let pool = db.pool();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'zhangwei'")
            .fetch_one(pool)
            .await
            .unwrap();
    let unit: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE name = '区交通局'")
        .fetch_one(pool)
        .await
        .unwrap();
    let round: i64 = sqlx::query_scalar("SELECT id FROM rounds")
        .fetch_one(pool)
        .await
        .unwrap();
    let matrix: String = sqlx::query_scalar("SELECT matrix_json FROM rounds")
        .fetch_one(pool)
        .await
        .unwrap();
    for i in 0..n {
        let user: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, password_hash, unit_id, created_at) VALUES (?, '基准用户', ?, ?, 0) RETURNING id",
        )
        .bind(format!("bench{i:03}"))
        .bind(&hash)
        .bind(unit)
        .fetch_one(pool)
        .await
        .unwrap();
        let post: i64 = sqlx::query_scalar(
            "INSERT INTO posts (unit_id, title, level) VALUES (?, ?, 'general') RETURNING id",
        )
        .bind(unit)
        .bind(format!("基准岗位{i:03}"))
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO post_holders (post_id, user_id) VALUES (?, ?)")
            .bind(post)
            .bind(user)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO risk_sheets (round_id, post_id, matrix_json, updated_at) VALUES (?, ?, ?, 0)")
            .bind(round)
            .bind(post)
            .bind(&matrix)
            .execute(pool)
            .await
            .unwrap();
    }
}

/// One push and pull, as a client does it; panics on anything but 200.
async fn push(
    client: &reqwest::Client,
    base: &str,
    s: &Session,
    client_id: Uuid,
    cursor: &Value,
    ops: Vec<Value>,
) -> Value {
    let r = client
        .post(format!("{base}/api/sync"))
        .header("origin", base)
        .header("cookie", &s.cookie)
        .json(&json!({ "user": s.user, "client_id": client_id, "cursor": cursor, "ops": ops }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// `count` pushes of `size` new risk points in a row, carrying the cursor along.
#[allow(clippy::too_many_arguments)]
async fn pushes(
    client: &reqwest::Client,
    base: &str,
    s: &Session,
    client_id: Uuid,
    cursor: &mut Value,
    seq: &mut i64,
    count: usize,
    size: usize,
) {
    for _ in 0..count {
        let ops: Vec<Value> = (0..size)
            .map(|_| {
                *seq += 1;
                op(*seq, s.post)
            })
            .collect();
        *cursor = push(client, base, s, client_id, cursor, ops).await["cursor"].clone();
    }
}

struct Session {
    user: String,
    cookie: String,
    post: i64,
}

#[tokio::main]
async fn main() {
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(statements::Counter)
            .with(LockedErrors),
    );
    let dir = tempfile::tempdir().unwrap();
    // The pushes create thousands of points on a few sheets: the sheet limit is not measured here.
    let db = Db::open(&dir.path().join("bench.db"))
        .await
        .unwrap()
        .with_limits(domain::limits::Limits {
            risk_points_per_sheet: usize::MAX,
            ..domain::limits::Limits::default()
        });
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let mut conf = leptos::config::get_configuration(None).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    conf.leptos_options.site_addr = addr;
    // One client pushes as fast as it can: the per-user sync rate is not what is measured.
    let mut settings = Settings::new(CookiePolicy {
        secure: false,
        lifetime_secs: 3600,
        idle_secs: 3600,
    });
    settings.sync_rate = server::http::throttle::SyncRate::UNLIMITED;
    let state = AppState::new(conf.leptos_options, db.clone(), settings);
    let writer = state.sync.clone();
    let app = router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();

    add_staff(&db, 200).await;
    let holders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.username, h.post_id FROM users u JOIN post_holders h ON h.user_id = u.id WHERE u.username LIKE 'bench%' ORDER BY u.id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut sessions = Vec::new();
    for (user, post) in &holders {
        let r = client
            .post(format!("{base}/api/login"))
            .header("origin", &base)
            .json(&json!({ "username": user, "password": seed::DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        sessions.push(Session {
            user: user.clone(),
            cookie,
            post: *post,
        });
    }

    // 1. Throughput, batches of 100.
    let s = &sessions[0];
    let client_id = Uuid::new_v4();
    let batches = 100;
    let mut seq = 0;
    let mut cursor = Value::Null;
    let started = Instant::now();
    pushes(
        &client,
        &base,
        s,
        client_id,
        &mut cursor,
        &mut seq,
        batches,
        100,
    )
    .await;
    let elapsed = started.elapsed();
    let ops = batches * 100;
    let baseline_sheet: i64 = sqlx::query_scalar(
        "SELECT s.id FROM risk_sheets s JOIN posts p ON p.id = s.post_id WHERE p.title = '基准岗位199'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let base_secs = baseline(&db, baseline_sheet, ops, 0).await;
    let base_rate = ops as f64 / base_secs;
    println!(
        "throughput: baseline, {ops} risk points with 2 measures each inserted straight through sqlx in one transaction: {base_secs:.2} s, {base_rate:.0} rows/s"
    );
    let rate = ops as f64 / elapsed.as_secs_f64();
    println!(
        "throughput: {ops} operations in {batches} pushes of 100 over HTTP: {:.2} s, {rate:.0} ops/s ({:.2} × baseline)",
        elapsed.as_secs_f64(),
        rate / base_rate
    );

    // One client, pushes of 10: the per-push overhead.
    let started = Instant::now();
    pushes(&client, &base, s, client_id, &mut cursor, &mut seq, 200, 10).await;
    let elapsed = started.elapsed();
    println!(
        "throughput: 2000 operations in 200 pushes of 10 over HTTP, one client: {:.2} s, {:.1} ms per push",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / 200.0
    );

    // Statements per push: one push of 10 over HTTP (session, push, pull), and the push alone.
    let ops: Vec<Value> = (0..10)
        .map(|_| {
            seq += 1;
            op(seq, s.post)
        })
        .collect();
    let (_, over_http) = statements::count(push(&client, &base, s, client_id, &cursor, ops)).await;
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(&s.user)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let ops: Vec<domain::sync::Envelope> = (0..10)
        .map(|_| {
            seq += 1;
            serde_json::from_value(op(seq, s.post)).unwrap()
        })
        .collect();
    let (_, alone) =
        statements::count(server::sync::apply_batch(&db, user_id, client_id, &ops)).await;
    println!(
        "statements: a push of 10 over HTTP runs {over_http} SQL statements (session, push, pull); the push alone {alone}"
    );

    // The same without HTTP and JSON: the database part alone.
    let started = Instant::now();
    for _ in 0..batches {
        let ops: Vec<domain::sync::Envelope> = (0..100)
            .map(|_| {
                seq += 1;
                serde_json::from_value(op(seq, s.post)).unwrap()
            })
            .collect();
        server::sync::apply_batch(&db, user_id, client_id, &ops)
            .await
            .unwrap();
    }
    let elapsed = started.elapsed();
    let ops = batches * 100;
    let rate = ops as f64 / elapsed.as_secs_f64();
    println!(
        "throughput: {ops} operations applied directly (no HTTP): {:.2} s, {rate:.0} ops/s ({:.2} × baseline)",
        elapsed.as_secs_f64(),
        rate / base_rate
    );

    // 2. 200 concurrent clients, 10 pushes of 10 operations each.
    let grouped_before = writer.grouping();
    let clients = 200;
    let pushes = 10;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let s = &sessions[c % sessions.len()];
        let (client, base, user, cookie, post) = (
            client.clone(),
            base.clone(),
            s.user.clone(),
            s.cookie.clone(),
            s.post,
        );
        tasks.push(tokio::spawn(async move {
            let client_id = Uuid::new_v4();
            let mut latencies = Vec::new();
            let mut failures = 0;
            let mut seq = 0;
            let mut cursor = Value::Null;
            for _ in 0..pushes {
                let ops: Vec<Value> = (0..10).map(|_| { seq += 1; op(seq, post) }).collect();
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/sync"))
                    .header("origin", &base)
                    .header("cookie", &cookie)
                    .json(&json!({ "user": user, "client_id": client_id, "cursor": cursor, "ops": ops }))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        let body: Value = r.json().await.unwrap();
                        cursor = body["cursor"].clone();
                    }
                    _ => failures += 1,
                }
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.unwrap();
        all.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all[((all.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(all.len() - 1)]
    };
    let overall = (clients * pushes * 10) as f64 / elapsed.as_secs_f64();
    println!(
        "latency: {clients} concurrent clients × {pushes} pushes of 10 operations: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {overall:.0} ops/s overall ({:.2} × baseline); {failures} failed pushes; {} \"database is locked\"",
        pct(0.50),
        pct(0.99),
        all.last().copied().unwrap_or(0.0),
        overall / base_rate,
        LOCKED.load(Ordering::Relaxed)
    );
    let grouped = writer.grouping();
    let (groups, pushed) = (
        grouped.groups - grouped_before.groups,
        grouped.pushes - grouped_before.pushes,
    );
    println!(
        "latency: group commit wrote those {pushed} pushes in {groups} transactions ({:.1} pushes per transaction)",
        pushed as f64 / groups.max(1) as f64
    );
}

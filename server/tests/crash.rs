//! Crash test: pushes batches in a loop while the server is killed with SIGKILL at random moments
//! and restarted. Every operation must end up applied exactly once.

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rand::Rng as _;
use serde_json::{json, Value};
use uuid::Uuid;

const BATCHES: usize = 24;
const PER_BATCH: usize = 15;
const MIN_KILLS: usize = 10;

/// Starts `lianfang serve` on a free port and returns it with its address once it listens.
fn start(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .arg("serve")
        .env("LIANFANG_DATABASE", db)
        .env("LIANFANG_ADDR", "127.0.0.1:0")
        .env("LIANFANG_LOG", "error")
        // Every batch lands on one sheet; the test is about kills, not the sheet's size limit.
        .env("LIANFANG_MAX_RISK_POINTS_PER_SHEET", "100000")
        // Nor about the sync rate: the client re-pushes as fast as the server restarts.
        .env("LIANFANG_SYNC_REQUESTS_PER_MINUTE", "0")
        .env("LIANFANG_SYNC_OPERATIONS_PER_MINUTE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn op(seq: i64, post_id: i64, point: Uuid, base: Option<i64>, text: &str) -> Value {
    json!({
        "id": Uuid::new_v4(), "seq": seq, "type": "upsert_risk_point", "post_id": post_id,
        "risk_point_id": point, "base_version": base,
        "risk_point": {
            "description": text, "category": "duty", "power_type": "财务权",
            "likelihood": 2, "impact": 3, "frequency": 2,
            "measures": [{ "kind": "supervision", "text": "定期抽查" }]
        }
    })
}

#[test]
fn every_operation_is_applied_exactly_once_across_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let seeded = Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .arg("seed-demo")
        .env("LIANFANG_DATABASE", &db)
        .env("LIANFANG_LOG", "error")
        .output()
        .unwrap();
    assert!(seeded.status.success());

    let (child, addr) = start(&db);
    let server = Arc::new(Mutex::new((child, addr)));
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let base = || format!("http://{}", server.lock().unwrap().1);

    let login = client
        .post(format!("{}/api/login", base()))
        .header("origin", base())
        .json(&json!({ "username": "zhangwei", "password": "lianfang2026" }))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me: Value = client
        .post(format!("{}/api/sync", base()))
        .header("origin", base())
        .header("cookie", &cookie)
        .json(&json!({ "user": "zhangwei", "client_id": Uuid::new_v4(), "ops": [] }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let post = me["sheets"][0]["post_id"].as_i64().unwrap();

    // Each batch creates PER_BATCH - 1 points and edits the first point of the previous batch
    // (based on version 1), so a second application of anything would show.
    let points: Vec<Uuid> = (0..BATCHES * PER_BATCH).map(|_| Uuid::new_v4()).collect();
    let mut seq = 0;
    let batches: Vec<Vec<Value>> = (0..BATCHES)
        .map(|b| {
            (0..PER_BATCH)
                .map(|i| {
                    seq += 1;
                    if i == 0 && b > 0 {
                        op(
                            seq,
                            post,
                            points[(b - 1) * PER_BATCH + 1],
                            Some(1),
                            &format!("第 {b} 批修改"),
                        )
                    } else {
                        op(
                            seq,
                            post,
                            points[b * PER_BATCH + i],
                            None,
                            &format!("第 {b} 批第 {i} 个风险点"),
                        )
                    }
                })
                .collect()
        })
        .collect();
    let all_ops: Vec<Value> = batches.iter().flatten().cloned().collect();

    // The killer: SIGKILL at a random moment, restart at once, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (server, stop, kills, db) = (server.clone(), stop.clone(), kills.clone(), db.clone());
        std::thread::spawn(move || {
            let mut rng = rand::thread_rng();
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(rng.gen_range(20..200)));
                let mut guard = server.lock().unwrap();
                guard.0.kill().unwrap(); // SIGKILL on Unix
                guard.0.wait().unwrap();
                kills.fetch_add(1, Ordering::SeqCst);
                *guard = start(&db);
            }
        })
    };

    // The client: push every batch until it is answered; then keep re-pushing the whole queue
    // (as a client that lost answers would) until the server has died often enough.
    let client_id = Uuid::new_v4();
    let mut answered = [false; BATCHES];
    let mut attempts = 0;
    while answered.iter().any(|a| !a) || kills.load(Ordering::SeqCst) < MIN_KILLS {
        attempts += 1;
        assert!(attempts < 20_000, "the loop is bounded");
        let b = answered
            .iter()
            .position(|a| !a)
            .unwrap_or(attempts % BATCHES);
        let url = base();
        let response = client
            .post(format!("{url}/api/sync"))
            .header("origin", url)
            .header("cookie", &cookie)
            .json(&json!({ "user": "zhangwei", "client_id": client_id, "ops": batches[b] }))
            .send();
        match response {
            Ok(r) if r.status() == 200 => {
                let body: Value = r.json().unwrap_or(Value::Null);
                if body["results"]
                    .as_array()
                    .is_some_and(|r| r.len() == PER_BATCH)
                {
                    answered[b] = true;
                }
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    stop.store(true, Ordering::SeqCst);
    killer.join().unwrap();

    // One final, undisturbed push of everything: every result must be the stored "applied".
    let url = base();
    let last: Value = client
        .post(format!("{url}/api/sync"))
        .header("origin", url)
        .header("cookie", &cookie)
        .json(&json!({ "user": "zhangwei", "client_id": client_id, "ops": all_ops }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    server.lock().unwrap().0.kill().ok();
    let results = last["results"].as_array().unwrap();
    assert_eq!(results.len(), BATCHES * PER_BATCH);
    for (result, op) in results.iter().zip(&all_ops) {
        assert_eq!(result["status"], "applied", "{result}");
        assert_eq!(result["id"], op["id"]);
    }

    // Counted with sqlite3, outside the server's code.
    let query = |sql: &str| {
        let out = Command::new("sqlite3")
            .arg(&db)
            .arg(sql)
            .output()
            .expect("sqlite3 runs");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(
        query("SELECT COUNT(*) FROM sync_ops"),
        (BATCHES * PER_BATCH).to_string()
    );
    let created = BATCHES * PER_BATCH - (BATCHES - 1);
    assert_eq!(
        query(&format!("SELECT COUNT(*) FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = {post}")),
        (created + 1).to_string()
    );
    // Each edited point was edited exactly once: version 2, never 3.
    assert_eq!(
        query("SELECT COUNT(*) FROM risk_points WHERE version = 2"),
        (BATCHES - 1).to_string()
    );
    assert_eq!(
        query("SELECT COUNT(*) FROM risk_points WHERE version > 2"),
        "0"
    );
    eprintln!(
        "crash test: {} kills, {attempts} pushes",
        kills.load(Ordering::SeqCst)
    );
}

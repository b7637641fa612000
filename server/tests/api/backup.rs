//! `lianfang backup` while pushes keep arriving, and `lianfang restore` of what it wrote: every
//! sync operation answered before the backup began is in the copy, and its audit chain verifies.

use std::process::Command;

use serde_json::Value;
use uuid::Uuid;

use super::helpers::{create_op, push, spawn_app};

fn lianfang(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args(args)
        .env("LIANFANG_LOG", "error")
        .output()
        .expect("lianfang runs")
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_with_every_acknowledged_operation() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;

    // A device keeps pushing (creates, then edits of the same points) while the backup runs.
    let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
    let pusher = {
        let (client, url, origin, cookie) = (
            app.client.clone(),
            app.url("/api/sync"),
            app.origin(),
            cookie.clone(),
        );
        tokio::spawn(async move {
            let device = Uuid::new_v4();
            let points: Vec<Uuid> = (0..20).map(|_| Uuid::new_v4()).collect();
            let mut acknowledged: Vec<(std::time::Instant, Uuid)> = Vec::new();
            for round in 0.. {
                if *stop.borrow_and_update() {
                    break;
                }
                let mut op = create_op(round + 1, post, usize::try_from(round).unwrap());
                let point = points[usize::try_from(round).unwrap() % points.len()];
                op["risk_point_id"] = serde_json::json!(point);
                let base = round / 20;
                if base > 0 {
                    op["base_version"] = serde_json::json!(base);
                }
                let id: Uuid = serde_json::from_value(op["id"].clone()).unwrap();
                let answer: Value = client
                    .post(&url)
                    .header("origin", &origin)
                    .header("cookie", &cookie)
                    .json(&push("zhangwei", device, &[op]))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(answer["results"][0]["status"], "applied", "{answer}");
                acknowledged.push((std::time::Instant::now(), id));
            }
            acknowledged
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("nightly").join("lianfang-backup.db");
    let database = app.db_file.to_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking({
        let (database, backup) = (database.clone(), backup.clone());
        move || lianfang(&["--database", &database, "backup", backup.to_str().unwrap()])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("已备份到") && stdout.contains("链完整"),
        "{stdout}"
    );
    stop_tx.send(true).unwrap();
    let acknowledged = pusher.await.unwrap();
    let before: Vec<Uuid> = acknowledged
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, id)| *id)
        .collect();
    assert!(
        before.len() >= 3,
        "pushes were answered before the backup began"
    );
    assert!(
        acknowledged.len() > before.len(),
        "and while it ran: {} of {}",
        acknowledged.len() - before.len(),
        acknowledged.len()
    );

    // A backup never overwrites a file.
    let again = lianfang(&["--database", &database, "backup", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));

    // Restore refuses to replace an existing database without --force...
    let target = dir.path().join("restored.db");
    std::fs::write(&target, b"an existing database").unwrap();
    let target_str = target.to_str().unwrap();
    let refused = lianfang(&[
        "--database",
        target_str,
        "restore",
        backup.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read(&target).unwrap(), b"an existing database");
    // ...and with it, replaces it with the checked copy.
    let restored = lianfang(&[
        "--database",
        target_str,
        "restore",
        backup.to_str().unwrap(),
        "--force",
    ]);
    assert!(restored.status.success(), "{restored:?}");
    let verified = lianfang(&["--database", target_str, "verify"]);
    assert!(verified.status.success(), "{verified:?}");

    let restored_db = server::db::Db::open(&target).await.unwrap();
    for id in &before {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_ops WHERE op_id = ?")
            .bind(id.to_string())
            .fetch_one(restored_db.pool())
            .await
            .unwrap();
        assert_eq!(
            found, 1,
            "operation {id}, answered before the backup, is in it"
        );
    }
    println!(
        "backup under load: {} operations answered before it began, {} in all",
        before.len(),
        acknowledged.len()
    );
}

#[tokio::test]
async fn a_damaged_backup_is_refused_and_the_database_is_left_alone() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.db");
    let database = app.db_file.to_str().unwrap().to_owned();
    assert!(
        lianfang(&["--database", &database, "backup", backup.to_str().unwrap()])
            .status
            .success()
    );
    // Someone adds an entry to the copy's audit log by hand, without the chain's hashes.
    let edit = Command::new("sqlite3")
        .arg(&backup)
        .arg("INSERT INTO audit_log (seq, at, kind, actor, subject, payload, prev_hash, hash) SELECT COALESCE(MAX(seq), 0) + 1, 0, 'signature', NULL, 'commitment:1', '{}', 'forged', 'forged' FROM audit_log;")
        .output()
        .unwrap();
    assert!(edit.status.success(), "{edit:?}");
    let target = dir.path().join("live.db");
    std::fs::copy(&app.db_file, &target).unwrap();
    let before = std::fs::read(&target).unwrap();
    let refused = lianfang(&[
        "--database",
        target.to_str().unwrap(),
        "restore",
        backup.to_str().unwrap(),
        "--force",
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("审计记录链校验失败"), "{stderr}");
    assert!(stderr.contains("未作任何改动"), "{stderr}");
    assert_eq!(std::fs::read(&target).unwrap(), before);
}

//! 群机器人推送 through the real router, a real local HTTP receiver and the real delivery code,
//! with an injected clock: the commission sets a unit's robot (an address that is not https is
//! refused, and so is everyone but the commission); a warning raised about a person of that unit
//! reaches the receiver; a failed try is tried again after its wait, a dead robot is given up
//! after the last attempt; a removed robot fails what waited for it; the key never reaches the
//! record, the audit log or the settings page.

use std::sync::{Arc, Mutex};

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use serde_json::{json, Value};
use server::{db::now_ms, robots::deliver_due};

use super::helpers::{error_code, spawn_app, TestApp};

/// A group robot stand-in: answers each message with the next status of its script (the last
/// one once the script runs out) and keeps what it was sent.
#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<Vec<u16>>>,
    got: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> (Self, String) {
        let receiver = Self {
            script: Arc::new(Mutex::new(script.iter().rev().copied().collect())),
            got: Arc::default(),
        };
        let router = Router::new()
            .route("/cgi-bin/webhook/send", post(Self::take))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/cgi-bin/webhook/send?key=5f3a-secret-key-77c9",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (receiver, url)
    }

    async fn take(State(me): State<Self>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
        me.got.lock().unwrap().push(body);
        let status = {
            let mut script = me.script.lock().unwrap();
            if script.len() > 1 {
                script.pop().unwrap()
            } else {
                script.last().copied().unwrap_or(200)
            }
        };
        let answer = if status == 200 {
            json!({ "errcode": 0, "errmsg": "ok" })
        } else {
            json!({ "errcode": -1, "errmsg": "system busy" })
        };
        (StatusCode::from_u16(status).unwrap(), Json(answer))
    }

    fn got(&self) -> Vec<Value> {
        self.got.lock().unwrap().clone()
    }
}

async fn unit(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM org_units WHERE name = '{name}'"))
        .await
}

async fn set_robot(app: &TestApp, cookie: &str, unit: i64, url: &str) -> reqwest::Response {
    app.post_json(
        "/api/settings/robots",
        Some(cookie),
        &json!({ "unit_id": unit, "kind": "wecom", "url": url }),
    )
    .await
}

async fn deliveries(app: &TestApp) -> Vec<(String, i64, Option<String>)> {
    sqlx::query_as("SELECT status, attempts, last_error FROM robot_deliveries ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_warning_reaches_the_units_robot_and_a_failed_try_is_tried_again() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let transport = unit(&app, "区交通局").await;
    let (receiver, url) = Receiver::start(&[500, 200]).await;
    let client = server::robots::client().unwrap();

    // Not https (and not this machine): refused, nothing stored.
    let (status, code, err) = error_code(
        set_robot(
            &app,
            &shenhe,
            transport,
            "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "not_https"), "{err}");
    assert_eq!(err["field"], "url");
    assert!(err["message"].as_str().unwrap().contains("https"));
    let (status, code, _) = error_code(set_robot(&app, &shenhe, 999_999, &url).await).await;
    assert_eq!((status, code.as_str()), (400, "unknown_unit"));
    // Only the commission sets robots.
    let admin = app.session_cookie("admin").await;
    assert_eq!(set_robot(&app, &admin, transport, &url).await.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM unit_robots").await, 0);

    let r = set_robot(&app, &shenhe, transport, &url).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // A warning about 陈静 of 区交通局: her notification is queued for the unit's robot.
    let raised = app
        .post_json(
            "/api/warnings",
            Some(&shenhe),
            &json!({ "unit_id": transport, "subject": "chenjing", "level": "yellow",
                     "source": "complaint", "source_ref": "区信访〔2026〕12号",
                     "reason": "群众反映驾驶员私用公车接送家属" }),
        )
        .await;
    assert_eq!(raised.status(), 200, "{:?}", raised.text().await);
    let warning = raised.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        deliveries(&app).await,
        vec![("pending".to_owned(), 0, None)]
    );

    // The first try fails (HTTP 500): tried again in a minute, not before.
    let now = now_ms();
    let done = deliver_due(&app.db, &client, Some("https://lf.example.gov.cn"), now)
        .await
        .unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (0, 1, 0));
    assert_eq!(
        deliveries(&app).await,
        vec![("pending".to_owned(), 1, Some("HTTP 500".to_owned()))]
    );
    let again = deliver_due(&app.db, &client, None, now + 59_000)
        .await
        .unwrap();
    assert_eq!(again, server::robots::Delivered::default());
    assert_eq!(receiver.got().len(), 1);

    let done = deliver_due(
        &app.db,
        &client,
        Some("https://lf.example.gov.cn"),
        now + 61_000,
    )
    .await
    .unwrap();
    assert_eq!((done.sent, done.retrying, done.failed), (1, 0, 0));
    let (status, attempts, _) = deliveries(&app).await.remove(0);
    assert_eq!((status.as_str(), attempts), ("sent", 2));
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1], "the retry sends the same message");
    assert_eq!(got[1]["msgtype"], "text");
    let content = got[1]["text"]["content"].as_str().unwrap();
    assert_eq!(
        content,
        format!("【廉防】陈静：您有一条新的预警，请登录廉防查看。\nhttps://lf.example.gov.cn/warnings/{warning}")
    );
    // What the warning is about stays behind the sign-in.
    assert!(!content.contains("公车"));
    // Sent once: the next round has nothing.
    let idle = deliver_due(&app.db, &client, None, now + 3_600_000)
        .await
        .unwrap();
    assert_eq!(idle, server::robots::Delivered::default());

    // A test message from the settings page; the key is in no record anyone reads.
    let r = app
        .post_json(
            "/api/settings/robots/test",
            Some(&shenhe),
            &json!({ "unit_id": transport }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let done = deliver_due(&app.db, &client, None, now_ms()).await.unwrap();
    assert_eq!(done.sent, 1);
    assert!(receiver.got()[2]["text"]["content"]
        .as_str()
        .unwrap()
        .contains("测试消息"));
    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, payload FROM audit_log WHERE kind LIKE 'robot_%' ORDER BY seq",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let kinds: Vec<&str> = audit.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["robot_set", "robot_tested"]);
    assert!(
        audit.iter().all(|(_, p)| !p.contains("5f3a-secret")),
        "{audit:?}"
    );
    assert!(audit[0].1.contains("…77c9"), "{}", audit[0].1);
    let page = app.server_fn("settings", Some(&shenhe), "").await;
    let page = page.text().await.unwrap();
    assert!(
        page.contains("…77c9") && !page.contains("5f3a-secret"),
        "{page}"
    );
    assert!(
        page.contains("已送达") || page.contains("\"sent\""),
        "{page}"
    );
    // The administrator reads the settings, not the robots' record.
    let page = app.server_fn("settings", Some(&admin), "").await;
    let page: Value = page.json().await.unwrap();
    assert_eq!(page["robots"], Value::Null);
}

#[tokio::test]
async fn a_dead_robot_is_given_up_after_the_last_attempt_and_a_removed_one_at_once() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let transport = unit(&app, "区交通局").await;
    let (receiver, url) = Receiver::start(&[503]).await;
    let client = server::robots::client().unwrap();
    assert_eq!(
        set_robot(&app, &shenhe, transport, &url).await.status(),
        200
    );
    let test = json!({ "unit_id": transport });
    let r = app
        .post_json("/api/settings/robots/test", Some(&shenhe), &test)
        .await;
    assert_eq!(r.status(), 200);

    // Six tries, each after the wait the last one set (a day later is after any of them).
    let mut at = now_ms();
    for attempt in 1..=domain::webhook::MAX_ATTEMPTS {
        let done = deliver_due(&app.db, &client, None, at).await.unwrap();
        let last = attempt == domain::webhook::MAX_ATTEMPTS;
        assert_eq!(
            (done.retrying, done.failed),
            (usize::from(!last), usize::from(last)),
            "try {attempt}"
        );
        at += 86_400_000;
    }
    assert_eq!(receiver.got().len(), 6);
    assert_eq!(
        deliveries(&app).await,
        vec![("failed".to_owned(), 6, Some("HTTP 503".to_owned()))]
    );
    assert_eq!(
        deliver_due(&app.db, &client, None, at).await.unwrap(),
        Default::default()
    );

    // A message waiting for a robot that is then removed fails at its next try, unsent; a
    // notification after that is not queued at all.
    let r = app
        .post_json("/api/settings/robots/test", Some(&shenhe), &test)
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_json("/api/settings/robots/remove", Some(&shenhe), &test)
        .await;
    assert_eq!(r.status(), 200);
    let done = deliver_due(&app.db, &client, None, now_ms()).await.unwrap();
    assert_eq!((done.sent, done.failed), (0, 1));
    assert_eq!(receiver.got().len(), 6);
    assert_eq!(
        deliveries(&app).await[1],
        (
            "failed".to_owned(),
            1,
            Some("该单位的群机器人已删除".to_owned())
        )
    );
    let (status, code, _) = error_code(
        app.post_json("/api/settings/robots/test", Some(&shenhe), &test)
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "no_robot"));
}

/// The migration that added notification kinds rebuilt the notifications table: every
/// notification of a database from before it is still there, field by field, and each robot
/// delivery still names its notification (dropping the old table would have set them to NULL).
#[tokio::test]
async fn the_notification_kinds_migration_keeps_every_notification_and_delivery() {
    let (_dir, _file, pool) = super::helpers::database_before("20261213000001").await;
    for sql in [
        "INSERT INTO org_units (id, kind, name) VALUES (1, 'district', '示范区')",
        "INSERT INTO users (id, username, display_name, password_hash, unit_id, created_at)
         VALUES (1, 'u', '用户', 'x', 1, 0)",
        "INSERT INTO notifications (id, user_id, kind, text, link, created_at, read_at)
         VALUES (7, 1, 'warning_raised', '预警一', '/warnings/1', 5, NULL),
                (9, 1, 'commitment_reminder', '请签署', '/commitments/2', 6, 8)",
        "INSERT INTO robot_deliveries (id, unit_id, notification_id, text, link, status, attempts, next_at, created_at, sent_at)
         VALUES (3, 1, 7, '消息一', '/warnings/1', 'sent', 1, 5, 5, 6),
                (4, 1, 9, '消息二', '/commitments/2', 'pending', 0, 7, 6, NULL),
                (5, 1, NULL, '测试消息', '/', 'failed', 6, 9, 7, NULL)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let snapshot = |pool: sqlx::SqlitePool| async move {
        let notices: Vec<String> = sqlx::query_scalar(
            "SELECT json_array(id, user_id, kind, text, link, created_at, read_at) FROM notifications ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let deliveries: Vec<String> = sqlx::query_scalar(
            "SELECT json_array(id, unit_id, notification_id, text, link, status, attempts, next_at, created_at, sent_at)
             FROM robot_deliveries ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        (notices, deliveries)
    };
    let old = snapshot(pool.clone()).await;
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    sqlx::migrate::Migrator::new(all.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    assert_eq!(snapshot(pool.clone()).await, old);
    // The new kinds are accepted, and a notification's deletion still clears its deliveries' link.
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, text, link, created_at) VALUES (1, 'sheet_returned', '退回', '/posts/1', 9)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM notifications WHERE id = 7")
        .execute(&pool)
        .await
        .unwrap();
    let link: Option<i64> =
        sqlx::query_scalar("SELECT notification_id FROM robot_deliveries WHERE id = 3")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(link, None);
}

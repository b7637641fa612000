//! Commitments: generated when a sheet is approved, signed with the password, sealed into the
//! audit log, immutable afterwards; and the record's tampering caught by `lianfang verify` and by
//! the public verification page.

use std::process::Command;

use serde_json::{json, Value};

use super::helpers::{approve, spawn_app, TestApp};

fn sign_body(password: &str) -> Value {
    json!({ "kind": "drawn", "strokes": [[[100, 200], [180, 120], [260, 240]], [[300, 100], [320, 300]]],
            "password": password, "confirmed": true })
}

fn sqlite3(app: &TestApp, sql: &str) {
    let out = Command::new("sqlite3")
        .arg(&app.db_file)
        .arg(sql)
        .output()
        .expect("sqlite3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args(["verify", "--database"])
        .arg(&app.db_file)
        .env("LIANFANG_LOG", "error")
        .output()
        .expect("lianfang runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn page(app: &TestApp, path: &str) -> String {
    app.client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_commitment_is_signed_with_the_password_sealed_and_never_changes() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(&app, post).await;
    let id = app
        .count("SELECT id FROM commitments WHERE user_id = (SELECT id FROM users WHERE username = 'chenjing')")
        .await;
    let body: String = sqlx::query_scalar("SELECT body FROM commitments WHERE id = ?")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(body.contains("本人陈静，现任区交通局驾驶员"), "{body}");
    assert!(body.contains("防控措施："));

    // The liaison's reminder reaches 陈静 as a notification leading to the commitment.
    let lianluo = app.session_cookie("lianluo").await;
    let reminded = app
        .post_json(
            &format!("/api/commitments/{id}/remind"),
            Some(&lianluo),
            &json!({}),
        )
        .await;
    assert_eq!(reminded.status(), 200);
    let chenjing = app.session_cookie("chenjing").await;
    let told: Value = app
        .server_fn("notifications", Some(&chenjing), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(told["unread"], 1);
    assert_eq!(told["items"][0]["what"], "承诺书签署提醒");
    assert_eq!(told["items"][0]["link"], format!("/commitments/{id}"));

    let path = format!("/api/commitments/{id}/sign");
    // Someone else cannot sign it; a wrong password signs nothing.
    let lina = app.session_cookie("lina").await;
    assert_eq!(
        app.post_json(&path, Some(&lina), &sign_body("lianfang2026"))
            .await
            .status(),
        404
    );
    let holder = app.session_cookie("chenjing").await;
    let wrong = app
        .post_json(&path, Some(&holder), &sign_body("not-the-password"))
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["code"],
        "wrong_password"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM commitments WHERE seal IS NOT NULL")
            .await,
        0
    );

    let signed = app
        .post_json(&path, Some(&holder), &sign_body("lianfang2026"))
        .await;
    assert_eq!(signed.status(), 200);
    let signed: Value = signed.json().await.unwrap();
    let seal = signed["seal"].as_str().unwrap().to_owned();

    // The seal is what the stored content gives, and it is in the log.
    let row: (String, String, String, String, String, String, String, i64) = sqlx::query_as(
        "SELECT token, title, body, signer_username, signer_name, signature_kind, signature, signed_at FROM commitments WHERE id = ?",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let again = domain::audit::seal(&domain::audit::SealInput {
        token: &row.0,
        title: &row.1,
        body: &row.2,
        signer_username: &row.3,
        signer_name: &row.4,
        signature_kind: &row.5,
        signature: &row.6,
        signed_at: row.7,
        device_signed_at: None,
    });
    assert_eq!(again, seal);
    let logged: String =
        sqlx::query_scalar("SELECT payload FROM audit_log WHERE kind = 'signature'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(logged.contains(&seal));

    // The unit's roll-up counts it; a leader of another unit does not see it.
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let liaison = app.session_cookie("lianluo").await;
    let rollup: Value = app
        .server_fn("rollup", Some(&liaison), &format!("unit_id={unit}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (rollup["signed"].as_u64(), rollup["unsigned"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(rollup["rows"][0]["signer"], "陈静");

    // No endpoint changes it: signing again, reminding, a new template.
    let twice = app
        .post_json(&path, Some(&holder), &sign_body("lianfang2026"))
        .await;
    assert_eq!(
        twice.json::<Value>().await.unwrap()["code"],
        "already_signed"
    );
    let remind = app
        .post_json(
            &format!("/api/commitments/{id}/remind"),
            Some(&liaison),
            &json!({}),
        )
        .await;
    assert_eq!(
        remind.json::<Value>().await.unwrap()["code"],
        "already_signed"
    );
    let shenhe = app.session_cookie("shenhe").await;
    let template = app
        .post_json(
            "/api/commitment-template",
            Some(&shenhe),
            &json!({ "title": "廉洁从业承诺书", "body": "本人{{姓名}}承诺：\n{{风险点及防控措施}}\n{{日期}}" }),
        )
        .await;
    assert_eq!(template.status(), 200);
    let stored: (String, String) =
        sqlx::query_as("SELECT title, body FROM commitments WHERE id = ?")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, (row.1.clone(), row.2.clone()));
    // Even the application's own SQL cannot change a signed row.
    let update = sqlx::query("UPDATE commitments SET body = 'x' WHERE id = ?")
        .bind(id)
        .execute(app.db.pool())
        .await;
    assert!(update.is_err());

    // A changed sheet gets a new commitment, under the new template; the signed one stays.
    sqlx::query("UPDATE risk_points SET description = description || '（补充）' WHERE sheet_id = (SELECT id FROM risk_sheets WHERE post_id = ?)")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    approve(&app, post).await;
    let commitments: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT title, seal FROM commitments WHERE post_id = ? ORDER BY id")
            .bind(post)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(commitments.len(), 2);
    assert_eq!(commitments[0].1.as_deref(), Some(seal.as_str()));
    assert_eq!(commitments[1], ("廉洁从业承诺书".to_owned(), None));

    // The public page verifies it, without login.
    let html = page(&app, &format!("/verify/{}", row.0)).await;
    assert!(html.contains("验证通过"), "{html}");
    let (ok, text) = verify_cli(&app);
    assert!(ok, "{text}");
    assert!(text.contains("审计记录链完整"));
}

#[tokio::test]
async fn editing_the_log_or_a_signed_commitment_by_hand_is_caught() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(&app, post).await;
    let id = app.count("SELECT id FROM commitments").await;
    let holder = app.session_cookie("chenjing").await;
    let typed = json!({ "kind": "typed", "typed_name": "陈静", "password": "lianfang2026", "confirmed": true });
    assert_eq!(
        app.post_json(
            &format!("/api/commitments/{id}/sign"),
            Some(&holder),
            &typed
        )
        .await
        .status(),
        200
    );
    let token: String = sqlx::query_scalar("SELECT token FROM commitments WHERE id = ?")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let entries = app.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(entries >= 2, "the approval and the signature are logged");
    assert!(verify_cli(&app).0);

    // Someone with the file rewrites the first entry's payload: verify names it.
    sqlite3(
        &app,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET payload = replace(payload, 'approve', 'return') WHERE seq = 1;",
    );
    let (ok, text) = verify_cli(&app);
    assert!(!ok);
    assert!(text.contains("第 1 条记录的内容与其哈希不符"), "{text}");
    let html = page(&app, &format!("/verify/{token}")).await;
    assert!(html.contains("验证失败：审计记录链不完整"), "{html}");
    assert!(html.contains("第 1 条记录"));

    // Put it back and edit the signed commitment itself: its seal no longer verifies.
    sqlite3(
        &app,
        "UPDATE audit_log SET payload = replace(payload, 'return', 'approve') WHERE seq = 1;",
    );
    assert!(verify_cli(&app).0);
    sqlite3(
        &app,
        "DROP TRIGGER commitments_sealed_no_update; UPDATE commitments SET body = replace(body, '陈静', '张三');",
    );
    let html = page(&app, &format!("/verify/{token}")).await;
    assert!(html.contains("封印不再有效"), "{html}");

    // A deleted entry is a gap the verifier names.
    sqlite3(
        &app,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 1;",
    );
    let (ok, text) = verify_cli(&app);
    assert!(!ok);
    assert!(text.contains("第 2 条记录的序号不连续"), "{text}");
}

//! What an outside security test found, each fixed: sheets that cannot grow without bound, ids
//! of deleted points that stay taken, objectors' contacts that do not outlive their objection,
//! and password checks that refuse no one for being right at the same time.

use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{approve, create_op, push, spawn_app, TestApp};

async fn sync_ok(app: &TestApp, cookie: &str, body: &Value) -> Value {
    let response = app.sync(cookie, body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_two_hundred_and_first_risk_point_of_a_sheet_is_refused() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "局长").await;
    let held = app
        .count(&format!(
            "SELECT COUNT(*) FROM risk_points rp JOIN risk_sheets s ON s.id = rp.sheet_id WHERE s.post_id = {post}"
        ))
        .await;
    let room = usize::try_from(200 - held).unwrap();
    let cookie = app.session_cookie("zhangwei").await;
    let ops: Vec<Value> = (0..=room)
        .map(|n| create_op(i64::try_from(n).unwrap() + 1, post, n))
        .collect();
    let body = sync_ok(&app, &cookie, &push("zhangwei", Uuid::new_v4(), &ops)).await;
    let results = body["results"].as_array().unwrap();
    assert!(results[..room].iter().all(|r| r["status"] == "applied"));
    let last = &results[room];
    assert_eq!(last["status"], "rejected");
    assert_eq!(last["code"], "too_many_risk_points");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("最多 200 个风险点"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM risk_points rp JOIN risk_sheets s ON s.id = rp.sheet_id WHERE s.post_id = {post}"
        ))
        .await,
        200
    );
    // Deleting one makes room for one.
    let first = &ops[0];
    let delete = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "delete_risk_point", "post_id": post,
                         "risk_point_id": first["risk_point_id"], "base_version": 1 });
    let again = create_op(2, post, 999);
    let body = sync_ok(
        &app,
        &cookie,
        &push("zhangwei", Uuid::new_v4(), &[delete, again]),
    )
    .await;
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    assert_eq!(body["results"][1]["status"], "applied", "{body}");
}

#[tokio::test]
async fn a_deleted_points_id_stays_taken() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "局长").await;
    let cookie = app.session_cookie("zhangwei").await;
    let create = create_op(1, post, 1);
    let point = create["risk_point_id"].clone();
    let body = sync_ok(
        &app,
        &cookie,
        &push("zhangwei", Uuid::new_v4(), std::slice::from_ref(&create)),
    )
    .await;
    assert_eq!(body["results"][0]["status"], "applied");
    let delete = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "delete_risk_point", "post_id": post,
                         "risk_point_id": point, "base_version": 1 });
    let body = sync_ok(&app, &cookie, &push("zhangwei", Uuid::new_v4(), &[delete])).await;
    assert_eq!(body["results"][0]["status"], "applied");

    // Another device re-creates it under the same id, then edits it from the version before
    // the delete: both are told it is gone, and nothing comes back.
    let mut recreate = create.clone();
    recreate["id"] = json!(Uuid::new_v4());
    let mut stale_edit = create.clone();
    stale_edit["id"] = json!(Uuid::new_v4());
    stale_edit["seq"] = json!(2);
    stale_edit["base_version"] = json!(1);
    let delete_again = json!({ "id": Uuid::new_v4(), "seq": 3, "type": "delete_risk_point", "post_id": post,
                               "risk_point_id": point, "base_version": 1 });
    let body = sync_ok(
        &app,
        &cookie,
        &push(
            "zhangwei",
            Uuid::new_v4(),
            &[recreate, stale_edit, delete_again],
        ),
    )
    .await;
    for result in body["results"].as_array().unwrap() {
        assert_eq!(result["status"], "rejected", "{body}");
        assert_eq!(result["code"], "gone", "{body}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM risk_points WHERE id = '{}'",
            point.as_str().unwrap()
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn an_objectors_contact_is_kept_only_until_the_answer_and_never_in_the_log_in_plain() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    sqlx::query("UPDATE risk_sheets SET stage = 'public_notice' WHERE post_id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let phone = "13800001234";
    let filed = app
        .file_objection(post, "该岗位还负责车辆加油，油卡管理风险未列入", phone)
        .await;
    assert_eq!(filed.status(), 303);
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM audit_log WHERE kind = 'objection_filed'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(!payload.contains(phone));
    use sha2::Digest as _;
    let plain_hash = hex::encode(sha2::Sha256::digest(phone));
    assert!(!payload.contains(&plain_hash), "no unkeyed hash: {payload}");
    let logged: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(logged["contact_hmac"].as_str().unwrap().len(), 64);

    // The liaison sees the contact to answer; once answered, it is gone.
    let id = app.count("SELECT id FROM objections").await;
    let stored: Option<String> = sqlx::query_scalar("SELECT contact FROM objections")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(phone));
    let liaison = app.session_cookie("lianluo").await;
    let resolved = app
        .post_json(
            &format!("/api/objections/{id}/resolve"),
            Some(&liaison),
            &json!({ "response": "油卡管理已列入第 2 个风险点，已电话答复异议人", "outcome": "dismissed" }),
        )
        .await;
    assert_eq!(resolved.status(), 200);
    let stored: Option<String> = sqlx::query_scalar("SELECT contact FROM objections")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, None);
}

#[tokio::test]
async fn parallel_signatures_with_the_right_password_are_never_refused_as_guessing() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(&app, post).await;
    let id = app
        .count("SELECT id FROM commitments WHERE user_id = (SELECT id FROM users WHERE username = 'chenjing')")
        .await;
    let holder = app.session_cookie("chenjing").await;
    let path = format!("/api/commitments/{id}/sign");
    let sign = json!({ "kind": "drawn", "strokes": [[[100, 200], [180, 120], [260, 240]]],
                       "password": super::helpers::PASSWORD, "confirmed": true });
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url, origin) = (app.client.clone(), app.url(&path), app.origin());
        let (holder, sign) = (holder.clone(), sign.clone());
        attempts.spawn(async move {
            let response = client
                .post(url)
                .header("origin", origin)
                .header("cookie", holder)
                .json(&sign)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body["code"].as_str().unwrap_or("").to_owned())
        });
    }
    let codes: Vec<(u16, String)> = attempts.join_all().await;
    assert!(
        codes
            .iter()
            .all(|(_, code)| code != "rate_limited" && code != "wrong_password"),
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|(status, _)| *status == 200).count(),
        1,
        "{codes:?}"
    );
}

#[tokio::test]
async fn printed_links_use_the_public_origin_never_what_a_request_claims() {
    let verify_page = |app: &TestApp, token: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/verify/{token}"));
        async move {
            client
                .get(url)
                .header("host", "evil.example")
                .header("x-forwarded-proto", "https")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let token = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT token FROM commitments LIMIT 1")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    let app = super::helpers::spawn_app_with(super::helpers::Options {
        public_origin: Some("https://lianfang.example".to_owned()),
        ..Default::default()
    })
    .await;
    approve(&app, app.post_id("区交通局", "驾驶员").await).await;
    let t = token(&app).await;
    let html = verify_page(&app, t.clone()).await;
    assert!(
        html.contains(&format!("https://lianfang.example/verify/{t}")),
        "{html}"
    );
    assert!(!html.contains("evil.example/verify"));

    // Without it: the Host, and never the scheme a request claims.
    let plain = spawn_app().await;
    approve(&plain, plain.post_id("区交通局", "驾驶员").await).await;
    let t = token(&plain).await;
    let html = verify_page(&plain, t.clone()).await;
    assert!(
        html.contains(&format!("http://evil.example/verify/{t}")),
        "{html}"
    );
    assert!(!html.contains("https://evil.example"));
}

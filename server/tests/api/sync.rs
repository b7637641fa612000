//! `POST /api/sync`: exactly-once pushes, conflicts, permissions, limits and pulls.

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use super::helpers::{approve, create_op, error_code, push, risk_point, spawn_app, TestApp};

async fn sheet_points(app: &TestApp, post_id: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ?",
    )
    .bind(post_id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn the_same_batch_pushed_twice_applies_once_and_answers_identically() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let ops: Vec<Value> = (1..=3).map(|i| create_op(i, post, i as usize)).collect();

    let first = ok(app.sync(&cookie, &push("zhangwei", client, &ops)).await).await;
    let second = ok(app.sync(&cookie, &push("zhangwei", client, &ops)).await).await;
    assert_eq!(first["results"], second["results"]);
    for (result, op) in first["results"].as_array().unwrap().iter().zip(&ops) {
        assert_eq!(result["status"], "applied");
        assert_eq!(result["id"], op["id"]);
        assert_eq!(result["version"], 1);
    }
    // The seeded point plus exactly three.
    assert_eq!(sheet_points(&app, post).await, 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM sync_ops").await, 3);
}

#[tokio::test]
async fn a_batch_cut_off_mid_way_then_retried_leaves_one_copy_of_each() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let ops: Vec<Value> = (1..=10).map(|i| create_op(i, post, i as usize)).collect();

    // The connection dies while the body is still being sent: nothing may be applied.
    let body = serde_json::to_vec(&push("zhangwei", client, &ops)).unwrap();
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/sync HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
        host = app.base.trim_start_matches("http://"),
        origin = app.origin(),
        len = body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    drop(stream);
    // The first half of the queue did get through in an earlier push.
    let early = ok(app
        .sync(&cookie, &push("zhangwei", client, &ops[..5]))
        .await)
    .await;
    assert_eq!(sheet_points(&app, post).await, 1 + 5);

    let retry = ok(app.sync(&cookie, &push("zhangwei", client, &ops)).await).await;
    let retry_results = retry["results"].as_array().unwrap();
    assert_eq!(retry_results.len(), 10);
    assert_eq!(
        &retry_results[..5],
        early["results"].as_array().unwrap().as_slice()
    );
    assert!(retry_results.iter().all(|r| r["status"] == "applied"));
    assert_eq!(sheet_points(&app, post).await, 1 + 10);
    assert_eq!(app.count("SELECT COUNT(*) FROM sync_ops").await, 10);
}

#[tokio::test]
async fn a_stale_edit_is_rejected_as_a_conflict_with_the_servers_version() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let create = create_op(1, post, 1);
    let rp = create["risk_point_id"].clone();
    ok(app
        .sync(&cookie, &push("zhangwei", Uuid::new_v4(), &[create]))
        .await)
    .await;

    let edit = |seq: i64, base: i64, text: &str| {
        let mut point = risk_point(1);
        point["description"] = json!(text);
        json!({ "id": Uuid::new_v4(), "seq": seq, "type": "upsert_risk_point", "post_id": post,
                "risk_point_id": rp, "base_version": base, "risk_point": point })
    };
    // Device A edits version 1 → 2.
    let a = ok(app
        .sync(
            &cookie,
            &push(
                "zhangwei",
                Uuid::new_v4(),
                &[edit(1, 1, "设备甲的修改内容")],
            ),
        )
        .await)
    .await;
    assert_eq!(a["results"][0]["version"], 2);
    // Device B also edited version 1: stale.
    let b = ok(app
        .sync(
            &cookie,
            &push(
                "zhangwei",
                Uuid::new_v4(),
                &[edit(1, 1, "设备乙的修改内容")],
            ),
        )
        .await)
    .await;
    let result = &b["results"][0];
    assert_eq!(result["status"], "rejected");
    assert_eq!(result["code"], "conflict");
    assert_eq!(result["current"]["version"], 2);
    assert_eq!(result["current"]["description"], "设备甲的修改内容");
    // B resolves by basing its edit on the server's version.
    let resolved = ok(app
        .sync(
            &cookie,
            &push(
                "zhangwei",
                Uuid::new_v4(),
                &[edit(2, 2, "设备乙的修改内容")],
            ),
        )
        .await)
    .await;
    assert_eq!(resolved["results"][0]["version"], 3);
    // A stale delete is a conflict too.
    let delete = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "delete_risk_point", "post_id": post,
                         "risk_point_id": rp, "base_version": 2 });
    let d = ok(app
        .sync(&cookie, &push("zhangwei", Uuid::new_v4(), &[delete]))
        .await)
    .await;
    assert_eq!(d["results"][0]["code"], "conflict");
}

#[tokio::test]
async fn a_user_cannot_push_operations_on_a_post_they_do_not_hold() {
    let app = spawn_app().await;
    let head = app.session_cookie("kezhang").await; // may read the bureau's sheets, holds none
    let post = app.post_id("区交通局", "驾驶员").await;
    let before = sheet_points(&app, post).await;
    let body = ok(app
        .sync(
            &head,
            &push("kezhang", Uuid::new_v4(), &[create_op(1, post, 1)]),
        )
        .await)
    .await;
    assert_eq!(body["results"][0]["status"], "rejected");
    assert_eq!(body["results"][0]["code"], "forbidden");
    assert_eq!(sheet_points(&app, post).await, before);

    let holder = app.session_cookie("zhangwei").await;
    let body = ok(app
        .sync(
            &holder,
            &push("zhangwei", Uuid::new_v4(), &[create_op(1, post, 1)]),
        )
        .await)
    .await;
    assert_eq!(body["results"][0]["code"], "forbidden");
}

#[tokio::test]
async fn one_thousand_operations_in_one_push_apply() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    // 100 new points (a sheet holds at most 200), each then edited nine times.
    let points: Vec<Uuid> = (0..100).map(|_| Uuid::new_v4()).collect();
    let ops: Vec<Value> = (0..1000)
        .map(|i: usize| {
            let mut op = create_op(i as i64 + 1, post, i);
            op["risk_point_id"] = json!(points[i % 100]);
            if i >= 100 {
                op["base_version"] = json!(i / 100);
            }
            op
        })
        .collect();
    let body = ok(app
        .sync(&cookie, &push("zhangwei", Uuid::new_v4(), &ops))
        .await)
    .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|r| r["status"] == "applied"));
    assert_eq!(sheet_points(&app, post).await, 101);
}

#[tokio::test]
async fn invalid_values_and_locked_sheets_are_rejected_per_operation() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let mut bad = create_op(1, post, 1);
    bad["risk_point"]["likelihood"] = json!(7);
    bad["risk_point"]["measures"][0]["due"] = json!("2026-02-30");
    let submit = json!({ "id": Uuid::new_v4(), "seq": 2, "type": "submit_sheet", "post_id": post });
    let after = create_op(3, post, 3);
    let body = ok(app
        .sync(
            &cookie,
            &push("zhangwei", Uuid::new_v4(), &[bad, submit, after]),
        )
        .await)
    .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["code"], "invalid");
    let fields: Vec<&str> = results[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["likelihood", "measures[0].due"]);
    assert_eq!(results[1]["status"], "applied");
    assert_eq!(results[2]["code"], "sheet_locked");
    assert!(results[2]["message"].as_str().unwrap().contains("互评"));
    let stage: String = sqlx::query_scalar("SELECT stage FROM risk_sheets WHERE post_id = ?")
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stage, "peer_review");
}

#[tokio::test]
async fn limits_and_malformed_pushes_get_clear_errors() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();

    let too_many: Vec<Value> = (1..=2001)
        .map(|i| json!({ "id": Uuid::new_v4(), "seq": i, "type": "submit_sheet", "post_id": post }))
        .collect();
    let (status, code, _) = error_code(
        app.sync(&cookie, &push("zhangwei", client, &too_many))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (413, "batch_too_large"));

    let huge = json!({ "user": "zhangwei", "client_id": client, "ops": [], "padding": "x".repeat(5 * 1024 * 1024) });
    let (status, code, _) = error_code(app.sync(&cookie, &huge).await).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));

    // An operation without an id cannot be answered: the push as a whole is refused.
    let anonymous = push(
        "zhangwei",
        client,
        &[json!({ "seq": 1, "type": "submit_sheet", "post_id": post })],
    );
    let (status, code, body) = error_code(app.sync(&cookie, &anonymous).await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_request"));
    assert_eq!(body["field"], "ops[0].id");

    let malformed = app
        .client
        .post(app.url("/api/sync"))
        .header("origin", app.origin())
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .body("{\"ops\": [")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(malformed).await;
    assert_eq!((status, code.as_str()), (400, "malformed_json"));

    let out_of_order = push(
        "zhangwei",
        client,
        &[create_op(2, post, 1), create_op(1, post, 2)],
    );
    let (status, code, _) = error_code(app.sync(&cookie, &out_of_order).await).await;
    assert_eq!((status, code.as_str()), (400, "bad_sequence"));

    let someone_else = push("wangfang", client, &[create_op(1, post, 1)]);
    let (status, code, _) = error_code(app.sync(&cookie, &someone_else).await).await;
    assert_eq!((status, code.as_str()), (409, "wrong_user"));

    let (status, code, _) = error_code(
        app.sync("lianfang_session=expired", &push("zhangwei", client, &[]))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "unauthenticated"));

    // None of the refused pushes changed anything.
    assert_eq!(app.count("SELECT COUNT(*) FROM sync_ops").await, 0);
    assert_eq!(sheet_points(&app, post).await, 1);
}

#[tokio::test]
async fn a_pull_returns_only_visible_sheets_and_a_monotonic_cursor() {
    let app = spawn_app().await;
    let holder = app.session_cookie("zhangwei").await;
    let head = app.session_cookie("kezhang").await;
    let reviewer = app.session_cookie("shenhe").await;
    let empty = |user: &str| push(user, Uuid::new_v4(), &[]);
    let post = app.post_id("区交通局", "局长").await;

    let mine = ok(app.sync(&holder, &empty("zhangwei")).await).await;
    assert_eq!(mine["full"], true);
    assert_eq!(mine["sheets"].as_array().unwrap().len(), 1);
    assert_eq!(mine["sheets"][0]["holder"], true);
    assert_eq!(mine["risk_points"].as_array().unwrap().len(), 1);
    let c0 = mine["cursor"].as_i64().unwrap();

    // The section head and the commission follow the director's sheet because they opened it.
    let follows = |user: &str, cursor: Value| {
        json!({ "user": user, "client_id": Uuid::new_v4(), "cursor": cursor, "ops": [],
                "have": [post] })
    };
    app.open_sheet(&head, post).await;
    app.open_sheet(&reviewer, post).await;
    let bureau = ok(app
        .sync(
            &head,
            &json!({ "user": "kezhang", "client_id": Uuid::new_v4() }),
        )
        .await)
    .await;
    let sheets = bureau["sheets"].as_array().unwrap();
    assert!(sheets.iter().any(|s| s["post_id"] == post));
    assert!(sheets
        .iter()
        .all(|s| s["unit"] == "区交通局" && s["holder"] == false));

    // A change by one holder reaches those who may see it, and only them.
    let pushed = ok(app
        .sync(
            &holder,
            &push("zhangwei", Uuid::new_v4(), &[create_op(1, post, 1)]),
        )
        .await)
    .await;
    let c1 = pushed["cursor"].as_i64().unwrap();
    assert!(c1 > c0);
    let delta = ok(app.sync(&head, &follows("kezhang", json!(c0))).await).await;
    assert_eq!(delta["full"], false);
    assert_eq!(delta["risk_points"].as_array().unwrap().len(), 1);
    assert_eq!(delta["cursor"], c1);
    let other = app.session_cookie("sunli").await; // holds a health-bureau post
    let unrelated = ok(app.sync(&other, &follows("sunli", json!(c0))).await).await;
    // (Their own sheet, not in what they said they have, comes whole.)
    let of_post = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|x| x["post_id"] == post)
            .count()
    };
    assert_eq!(of_post(&unrelated["risk_points"]), 0);
    assert_eq!(of_post(&unrelated["sheets"]), 0);
    assert_eq!(unrelated["sheets"][0]["holder"], true);
    assert_eq!(
        unrelated["dropped"],
        json!([post]),
        "a sheet its user may not read leaves a replica"
    );

    // Deletions travel as ids.
    let created: Value = delta["risk_points"][0].clone();
    let delete = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "delete_risk_point", "post_id": post,
                         "risk_point_id": created["id"], "base_version": 1 });
    ok(app
        .sync(&holder, &push("zhangwei", Uuid::new_v4(), &[delete]))
        .await)
    .await;
    let after = ok(app.sync(&reviewer, &follows("shenhe", json!(c1))).await).await;
    assert_eq!(after["deleted"], json!([created["id"]]));
    assert!(after["cursor"].as_i64().unwrap() > c1);

    // Nothing new since that cursor: an empty answer with the same cursor.
    let idle = ok(app
        .sync(&reviewer, &follows("shenhe", after["cursor"].clone()))
        .await)
    .await;
    assert_eq!(idle["cursor"], after["cursor"]);
    assert_eq!(idle["full"], false);
    assert!(
        idle["sheets"].as_array().unwrap().is_empty()
            && idle["risk_points"].as_array().unwrap().is_empty()
    );
}

/// Puts every current sheet in 自查 and those of `posts` at `stage`, as if they had got there.
async fn only_at(app: &TestApp, posts: &[i64], stage: &str) {
    sqlx::query("UPDATE risk_sheets SET stage = 'self_check'")
        .execute(app.db.pool())
        .await
        .unwrap();
    for post in posts {
        sqlx::query("UPDATE risk_sheets SET stage = ? WHERE post_id = ?")
            .bind(stage)
            .bind(post)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_replica_holds_the_inbox_and_the_sheets_opened_and_drops_what_leaves() {
    let app = spawn_app().await;
    let reviewer = app.session_cookie("shenhe").await;
    let director = app.post_id("区交通局", "局长").await;
    let finance = app.post_id("区卫生局", "医政科科长").await;
    let other = app.post_id("区交通局", "工程建设科科长").await;
    only_at(&app, &[director, finance], "commission_audit").await;
    let sheets_of = |v: &Value| -> Vec<i64> {
        let mut posts: Vec<i64> = v["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["post_id"].as_i64().unwrap())
            .collect();
        posts.sort_unstable();
        posts
    };
    let points_of = |v: &Value, post: i64| {
        v["risk_points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["post_id"] == post)
            .count() as i64
    };

    // A full pull: what awaits the commission, not the whole district it may read.
    let client = Uuid::new_v4();
    let full = ok(app
        .sync(&reviewer, &json!({ "user": "shenhe", "client_id": client }))
        .await)
    .await;
    let mut waiting = vec![director, finance];
    waiting.sort_unstable();
    assert_eq!(sheets_of(&full), waiting);
    assert!(
        full["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["waiting"] == true && s["holder"] == false),
        "{full}"
    );
    let on = |post: i64| {
        format!("SELECT COUNT(*) FROM risk_points p JOIN current_sheets cs ON cs.id = p.sheet_id WHERE cs.post_id = {post}")
    };
    assert_eq!(points_of(&full, director), app.count(&on(director)).await);
    let cursor = full["cursor"].clone();

    // Opening a sheet (on any device) brings it in whole at the next sync, even with nothing
    // new in the change log.
    app.open_sheet(&reviewer, other).await;
    let opened = ok(app
        .sync(
            &reviewer,
            &json!({ "user": "shenhe", "client_id": client, "cursor": cursor,
                     "have": waiting }),
        )
        .await)
    .await;
    assert_eq!(sheets_of(&opened), vec![other]);
    assert_eq!(
        opened["sheets"][0]["waiting"], false,
        "opened, not awaiting"
    );
    assert_eq!(points_of(&opened, other), app.count(&on(other)).await);
    assert!(opened["dropped"].is_null(), "{opened}");

    // Approving one takes it out of the inbox: the next pull drops it.
    approve(&app, director).await;
    let mut have = vec![director, finance, other];
    have.sort_unstable();
    let after = ok(app
        .sync(
            &reviewer,
            &json!({ "user": "shenhe", "client_id": client, "cursor": opened["cursor"],
                     "have": have }),
        )
        .await)
    .await;
    assert_eq!(after["dropped"], json!([director]), "{after}");
    assert!(sheets_of(&after).is_empty(), "{after}");
}

/// The point `point` as a fresh device of zhangwei's pulls it.
async fn pulled_point(app: &TestApp, cookie: &str, point: &Value) -> Value {
    let pulled = ok(app
        .sync(cookie, &push("zhangwei", Uuid::new_v4(), &[]))
        .await)
    .await;
    pulled["risk_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| &r["id"] == point)
        .unwrap()
        .clone()
}

/// The stored status and completion day of a point's measures, in order.
async fn progress(app: &TestApp, point: &Value) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT status, done_on FROM measures WHERE risk_point_id = ? ORDER BY position")
        .bind(point.as_str().unwrap())
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_finished_measure_stays_finished_through_an_edit_that_does_not_state_progress() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let mut create = create_op(1, post, 1);
    create["risk_point"]["measures"][0]["status"] = json!("done");
    create["risk_point"]["measures"][0]["done_on"] = json!("2026-11-30");
    create["risk_point"]["measures"][1]["status"] = json!("in_progress");
    let point = create["risk_point_id"].clone();
    let first = ok(app
        .sync(&cookie, &push("zhangwei", client, &[create]))
        .await)
    .await;
    assert_eq!(first["results"][0]["status"], "applied", "{first}");
    let finished = vec![
        ("done".to_owned(), Some("2026-11-30".to_owned())),
        ("in_progress".to_owned(), None),
    ];
    assert_eq!(progress(&app, &point).await, finished);

    // A typo fixed by a client that sends no status (as the editor did before): progress stays.
    let mut fix = risk_point(1);
    fix["description"] = json!("第 1 个风险点：超出实际进度计量付款");
    let edit = json!({
        "id": Uuid::new_v4(), "seq": 2, "type": "upsert_risk_point", "post_id": post,
        "risk_point_id": point, "base_version": 1, "risk_point": fix,
    });
    let second = ok(app.sync(&cookie, &push("zhangwei", client, &[edit])).await).await;
    assert_eq!(second["results"][0]["status"], "applied", "{second}");
    assert_eq!(progress(&app, &point).await, finished);

    // What a pull returns carries the progress, so the editor shows and resends it.
    let record = pulled_point(&app, &cookie, &point).await;
    assert_eq!(record["measures"][0]["status"], "done");
    assert_eq!(record["measures"][0]["done_on"], "2026-11-30");

    // A status the edit states is applied; a finished measure without its day is refused.
    let mut undated = risk_point(1);
    undated["measures"][1]["status"] = json!("done");
    let refused = json!({
        "id": Uuid::new_v4(), "seq": 3, "type": "upsert_risk_point", "post_id": post,
        "risk_point_id": point, "base_version": 2, "risk_point": undated,
    });
    let third = ok(app
        .sync(&cookie, &push("zhangwei", client, &[refused]))
        .await)
    .await;
    assert_eq!(third["results"][0]["code"], "invalid", "{third}");
    assert_eq!(
        third["results"][0]["errors"][0]["field"],
        "measures[1].done_on"
    );
}

/// The stored residual rating of a point.
async fn residual(app: &TestApp, point: &Value) -> (Option<i64>, Option<i64>) {
    sqlx::query_as("SELECT residual_likelihood, residual_impact FROM risk_points WHERE id = ?")
        .bind(point.as_str().unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_residual_rating_syncs_once_survives_an_edit_that_does_not_state_it_and_clears_with_zero()
{
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let mut create = create_op(1, post, 1);
    create["risk_point"]["residual_likelihood"] = json!(2);
    create["risk_point"]["residual_impact"] = json!(1);
    let point = create["risk_point_id"].clone();
    let body = push("zhangwei", client, &[create]);
    let first = ok(app.sync(&cookie, &body).await).await;
    assert_eq!(first["results"][0]["status"], "applied", "{first}");
    // The same push again (its answer lost) changes nothing and answers the same.
    let again = ok(app.sync(&cookie, &body).await).await;
    assert_eq!(again["results"], first["results"]);
    assert_eq!(residual(&app, &point).await, (Some(2), Some(1)));

    // An older client that knows nothing of it fixes a typo: the rating stays.
    let mut fix = risk_point(1);
    fix["description"] = json!("第 1 个风险点：超出实际进度计量付款");
    let edit = |seq: i64, version: i64, rp: Value| {
        json!({
            "id": Uuid::new_v4(), "seq": seq, "type": "upsert_risk_point", "post_id": post,
            "risk_point_id": point, "base_version": version, "risk_point": rp,
        })
    };
    let second = ok(app
        .sync(
            &cookie,
            &push("zhangwei", client, &[edit(2, 1, fix.clone())]),
        )
        .await)
    .await;
    assert_eq!(second["results"][0]["status"], "applied", "{second}");
    assert_eq!(residual(&app, &point).await, (Some(2), Some(1)));
    let record = pulled_point(&app, &cookie, &point).await;
    assert_eq!(
        (
            record["residual_likelihood"].clone(),
            record["residual_impact"].clone()
        ),
        (json!(2), json!(1))
    );

    // Half a rating is refused naming the missing field; 0 × 0 clears it.
    let mut half = fix.clone();
    half["residual_likelihood"] = json!(3);
    let third = ok(app
        .sync(&cookie, &push("zhangwei", client, &[edit(3, 2, half)]))
        .await)
    .await;
    assert_eq!(third["results"][0]["code"], "invalid", "{third}");
    assert_eq!(third["results"][0]["errors"][0]["field"], "residual_impact");
    assert_eq!(residual(&app, &point).await, (Some(2), Some(1)));
    let mut cleared = fix;
    cleared["residual_likelihood"] = json!(0);
    cleared["residual_impact"] = json!(0);
    let fourth = ok(app
        .sync(&cookie, &push("zhangwei", client, &[edit(4, 2, cleared)]))
        .await)
    .await;
    assert_eq!(fourth["results"][0]["status"], "applied", "{fourth}");
    assert_eq!(residual(&app, &point).await, (None, None));
}

/// Group commit: pushes that wait together share one transaction, each in a savepoint of its
/// own. A push that fails (here: an account that does not exist, refused by a foreign key) is
/// rolled back alone; the pushes before and after it in the same transaction stand, once.
#[tokio::test]
async fn a_failing_push_in_a_group_rolls_back_alone_and_the_others_apply_once() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "局长").await;
    let holder: i64 = app
        .count("SELECT id FROM users WHERE username = 'zhangwei'")
        .await;
    let writer = server::sync::Writer::start(app.db.clone());
    let envelopes = |first: i64| -> Vec<domain::sync::Envelope> {
        (first..first + 3)
            .map(|i| serde_json::from_value(create_op(i, post, i as usize)).unwrap())
            .collect()
    };
    let before = sheet_points(&app, post).await;

    // Hold the write lock so that the pushes queue up behind it and go as a group.
    let lock = app.db.begin_write().await.unwrap();
    let client = Uuid::new_v4();
    let (good_ops, bad_ops, late_ops) = (envelopes(1), envelopes(4), envelopes(7));
    let good = tokio::spawn({
        let (w, ops) = (writer.clone(), good_ops.clone());
        async move { w.push(holder, client, ops).await }
    });
    let bad = tokio::spawn({
        let w = writer.clone();
        async move { w.push(i64::MAX, Uuid::new_v4(), bad_ops).await }
    });
    let late = tokio::spawn({
        let (w, ops) = (writer.clone(), late_ops.clone());
        async move { w.push(holder, client, ops).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(lock);

    let good = good.await.unwrap().expect("the first push applies");
    assert!(bad.await.unwrap().is_err(), "the failing push is refused");
    let late = late
        .await
        .unwrap()
        .expect("the push after the failing one applies");
    assert_eq!(good.len() + late.len(), 6);
    assert_eq!(sheet_points(&app, post).await, before + 6);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sync_ops WHERE user_id NOT IN (SELECT id FROM users)")
            .await,
        0,
        "nothing of the failing push is left"
    );
    let grouping = writer.grouping();
    assert_eq!(
        grouping.pushes, 2,
        "the failing push is not counted as written"
    );
    assert!(
        grouping.groups <= 2,
        "pushes that waited together shared transactions: {grouping:?}"
    );

    // The same pushes again: every operation answered from its claim, nothing applied twice.
    let again = writer.push(holder, client, good_ops).await.unwrap();
    assert_eq!(again, good);
    assert_eq!(sheet_points(&app, post).await, before + 6);
}

#[tokio::test]
async fn one_unreadable_operation_is_rejected_alone_and_the_queue_behind_it_applies() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let unknown =
        json!({ "id": Uuid::new_v4(), "seq": 1, "type": "drop_everything", "post_id": post });
    let short_reason = json!({ "id": Uuid::new_v4(), "seq": 2, "type": "decide", "post_id": post, "sheet_version": 1,
                               "decision": { "action": "return", "to": "SelfCheck", "reason": "短" } });
    let unknown_stage = json!({ "id": Uuid::new_v4(), "seq": 3, "type": "decide", "post_id": post, "sheet_version": 1,
                                "decision": { "action": "return", "to": "Nowhere", "reason": "理由足够长" } });
    let unknown_action = json!({ "id": Uuid::new_v4(), "seq": 4, "type": "decide", "post_id": post, "sheet_version": 1,
                                 "decision": { "action": "shred" } });
    let missing_field =
        json!({ "id": Uuid::new_v4(), "seq": 5, "type": "upsert_risk_point", "post_id": post });
    let good = create_op(6, post, 6);
    let ops = [
        unknown,
        short_reason,
        unknown_stage,
        unknown_action,
        missing_field,
        good,
    ];
    let body = ok(app.sync(&cookie, &push("zhangwei", client, &ops)).await).await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["code"], "unknown_operation", "{body}");
    for r in &results[1..5] {
        assert_eq!(r["status"], "rejected", "{body}");
        assert_eq!(r["code"], "invalid", "{body}");
        assert!(r["message"]
            .as_str()
            .unwrap()
            .starts_with("操作内容不符合要求"));
    }
    assert_eq!(results[5]["status"], "applied", "{body}");
    // Answered once: a retry gets the same answers and applies nothing again.
    let again = ok(app.sync(&cookie, &push("zhangwei", client, &ops)).await).await;
    assert_eq!(again["results"], body["results"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sync_ops").await,
        6,
        "every operation is claimed, the unreadable ones too"
    );
}

#[tokio::test]
async fn the_pusher_pulls_its_own_changes_as_the_server_stored_them() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let post = app.post_id("区交通局", "局长").await;
    let client = Uuid::new_v4();
    let first = ok(app.sync(&cookie, &push("zhangwei", client, &[])).await).await;
    let cursor = first["cursor"].clone();
    let mut create = create_op(1, post, 1);
    create["risk_point"]["description"] = json!("  第 1 个风险点：超出实际进度计量  ");
    let submit = json!({ "id": Uuid::new_v4(), "seq": 2, "type": "submit_sheet", "post_id": post });
    let body = json!({ "user": "zhangwei", "client_id": client, "cursor": cursor, "ops": [create.clone(), submit] });
    let answer = ok(app.sync(&cookie, &body).await).await;
    assert_eq!(answer["results"][1]["status"], "applied", "{answer}");
    let point = answer["risk_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == create["risk_point_id"])
        .unwrap_or_else(|| panic!("the pushed point comes back: {answer}"));
    assert_eq!(
        point["description"], "第 1 个风险点：超出实际进度计量",
        "trimmed"
    );
    assert_eq!(
        point["level"], "Medium",
        "the level the sheet's matrix gives 3 × 4"
    );
    assert_eq!(point["version"], 1);
    let sheet = answer["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["post_id"] == post)
        .unwrap();
    assert_eq!(
        sheet["stage"], "PeerReview",
        "the sheet's new stage comes back"
    );
}

#[tokio::test]
async fn a_client_over_the_sync_rate_is_told_when_to_come_back() {
    let app = super::helpers::spawn_app_with(super::helpers::Options {
        sync_rate: Some(server::http::throttle::SyncRate {
            requests_per_minute: 3,
            operations_per_minute: 1_000,
        }),
        ..Default::default()
    })
    .await;
    let cookie = app.session_cookie("zhangwei").await;
    let client = Uuid::new_v4();
    for _ in 0..3 {
        ok(app.sync(&cookie, &push("zhangwei", client, &[])).await).await;
    }
    let response = app.sync(&cookie, &push("zhangwei", client, &[])).await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let (status, code, body) = error_code(response).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(body["message"].as_str().unwrap().contains("秒后再试"));
    // Another user is not held back.
    let other = app.session_cookie("wangfang").await;
    ok(app
        .sync(&other, &push("wangfang", Uuid::new_v4(), &[]))
        .await)
    .await;
}

/// Sends `body` on a plain socket, headers first, and reads whatever comes back.
async fn raw_post(app: &TestApp, headers: &str, body: &[u8]) -> (String, bool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(headers.as_bytes()).await.unwrap();
    let mut wrote_all = true;
    for chunk in body.chunks(64 * 1024) {
        if socket.write_all(chunk).await.is_err() {
            wrote_all = false;
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await;
    (String::from_utf8_lossy(&answer).into_owned(), wrote_all)
}

#[tokio::test]
async fn an_oversized_push_gets_its_reason_even_on_a_plain_socket() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let body = vec![b' '; 6 * 1024 * 1024];
    let host = app.base.trim_start_matches("http://").to_owned();
    let headers = format!(
        "POST /api/sync HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.origin(),
        body.len()
    );
    let (answer, wrote_all) = raw_post(&app, &headers, &body).await;
    assert!(wrote_all, "the whole body was accepted, not cut off");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"code\":\"payload_too_large\""),
        "{answer}"
    );
    assert!(answer.contains("请分批提交"), "{answer}");

    // With Expect: 100-continue the answer comes before the body is sent.
    let headers = format!(
        "POST /api/sync HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        app.origin(),
        body.len()
    );
    let (answer, _) = raw_post(&app, &headers, &[]).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
}

#[tokio::test]
async fn a_large_pull_comes_in_pages_that_add_up_to_the_whole() {
    let app = super::helpers::spawn_app_with(super::helpers::Options {
        pull_page: Some(server::sync::PullPage {
            changes: 5,
            snapshot_points: 7,
        }),
        ..Default::default()
    })
    .await;
    // The whole district awaiting the commission, in pages, and the director's sheet (still
    // in 自查, to be changed below) because the reviewer opened it.
    let post = app.post_id("区交通局", "局长").await;
    let reviewer = app.session_cookie("shenhe").await;
    app.open_sheet(&reviewer, post).await;
    sqlx::query("UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id <> ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let client = Uuid::new_v4();
    let mut sheets = std::collections::BTreeMap::new();
    let mut points = std::collections::BTreeMap::new();
    let (mut cursor, mut resume): (Value, Value) = (Value::Null, Value::Null);
    let mut pages = 0;
    loop {
        let body = json!({ "user": "shenhe", "client_id": client, "cursor": cursor, "resume_after_post": resume, "ops": [] });
        let page = ok(app.sync(&reviewer, &body).await).await;
        pages += 1;
        assert_eq!(
            page["full"],
            pages == 1,
            "only the first page replaces the replica"
        );
        for s in page["sheets"].as_array().unwrap() {
            sheets.insert(s["post_id"].as_i64().unwrap(), s.clone());
        }
        for p in page["risk_points"].as_array().unwrap() {
            points.insert(p["id"].as_str().unwrap().to_owned(), p.clone());
        }
        cursor = page["cursor"].clone();
        resume = page["resume_after_post"].clone();
        if page["more"] != true {
            break;
        }
    }
    let all_points = app.count("SELECT COUNT(*) FROM risk_points").await;
    let all_sheets = app.count("SELECT COUNT(*) FROM current_sheets").await;
    assert!(pages > 3, "{pages} pages");
    assert_eq!(points.len() as i64, all_points);
    assert_eq!(sheets.len() as i64, all_sheets);

    // Changes after it come in pages of five.
    let holder = app.session_cookie("zhangwei").await;
    let have: Vec<i64> = sheets.keys().copied().collect();
    let ops: Vec<Value> = (1..=12).map(|i| create_op(i, post, i as usize)).collect();
    ok(app
        .sync(&holder, &push("zhangwei", Uuid::new_v4(), &ops))
        .await)
    .await;
    let mut pulled = 0;
    let mut incremental = 0;
    loop {
        let body = json!({ "user": "shenhe", "client_id": client, "cursor": cursor, "ops": [], "have": have });
        let page = ok(app.sync(&reviewer, &body).await).await;
        incremental += 1;
        pulled += page["risk_points"].as_array().unwrap().len();
        cursor = page["cursor"].clone();
        if page["more"] != true {
            break;
        }
    }
    assert_eq!(pulled, 12);
    assert_eq!(incremental, 3, "12 changes in pages of 5");
}

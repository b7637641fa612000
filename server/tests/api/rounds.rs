//! Rounds the commission starts: pilot units first, then the whole district; approved points
//! carried forward into the next year's draft, field by field; unfinished sheets moved in as they
//! stand; refusals that change nothing; progress and lateness on a chosen day.

use domain::{risk::IsoDate, sync::RiskPointRecord};
use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{approve, error_code, push, spawn_app, TestApp};

async fn unit(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM org_units WHERE name = '{name}'"))
        .await
}

async fn start(app: &TestApp, cookie: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/rounds", Some(cookie), &body).await
}

async fn round_of(app: &TestApp, post: i64) -> String {
    sqlx::query_scalar(
        "SELECT r.name FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id WHERE rs.post_id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1",
    )
    .bind(post)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn records_on(app: &TestApp, sheet: i64) -> Vec<RiskPointRecord> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM risk_points WHERE sheet_id = ? ORDER BY position")
            .bind(sheet)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let ids: Vec<Uuid> = ids.iter().map(|i| Uuid::parse_str(i).unwrap()).collect();
    let mut conn = app.db.pool().acquire().await.unwrap();
    server::store::points::records(&mut conn, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

#[tokio::test]
async fn a_pilot_round_for_two_units_then_one_for_the_whole_district() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let (bidding, health) = (unit(&app, "区招标办").await, unit(&app, "区卫生局").await);
    let district = app
        .count("SELECT id FROM org_units WHERE parent_id IS NULL")
        .await;
    let posts = app.count("SELECT COUNT(*) FROM posts").await;
    let pilot_posts = app
        .count(&format!(
            "SELECT COUNT(*) FROM posts WHERE unit_id IN ({bidding}, {health})"
        ))
        .await;
    let entries = app.count("SELECT COUNT(*) FROM audit_log").await;

    let r = start(
        &app,
        &shenhe,
        json!({ "name": "2027 年度试点排查", "year": 2027, "deadline": "2099-06-30",
                "units": [bidding, health], "pilot": true }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let pilot: Value = r.json().await.unwrap();
    // The demo's sheets are drafts of the seeded round: they move in as they stand.
    assert_eq!(pilot["adopted"], pilot_posts);
    assert_eq!(pilot["opened"], 0);
    let director = app.post_id("区招标办", "主任").await;
    assert_eq!(round_of(&app, director).await, "2027 年度试点排查");
    let driver = app.post_id("区交通局", "驾驶员").await;
    assert_eq!(
        round_of(&app, driver).await,
        "2026 年度排查",
        "outside the pilot"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'round_started'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log").await,
        entries + 1
    );

    // One pilot sheet is approved; then the whole district starts.
    approve(&app, director).await;
    let r = start(
        &app,
        &shenhe,
        json!({ "name": "2027 年度全区排查", "year": 2027, "deadline": "2099-12-31",
                "units": [district], "pilot": false }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let all: Value = r.json().await.unwrap();
    assert_eq!(all["kept"], 1, "{all}");
    assert_eq!(all["adopted"], posts - 1, "{all}");
    assert_eq!(round_of(&app, director).await, "2027 年度试点排查");
    assert_eq!(round_of(&app, driver).await, "2027 年度全区排查");
    let scope: Vec<i64> = sqlx::query_scalar(
        "SELECT s.unit_id FROM round_scope s JOIN rounds r ON r.id = s.round_id WHERE r.name = '2027 年度全区排查'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(scope, [district]);

    // The progress page, on a day after the deadline: every unfinished sheet is late.
    let shenhe_id = app
        .count("SELECT id FROM users WHERE username = 'shenhe'")
        .await;
    let round_id = app
        .count("SELECT id FROM rounds WHERE name = '2027 年度全区排查'")
        .await;
    let on = |d: &str| IsoDate::parse(d, "d", "日期").unwrap();
    let late = server::rounds::progress(&app.db, shenhe_id, round_id, on("2100-01-02"))
        .await
        .unwrap();
    assert_eq!(late.totals.iter().sum::<usize>() as i64, posts - 1);
    assert_eq!(late.attention.len() as i64, posts - 1);
    assert!(late.attention.iter().all(|s| s.late));
    assert!(late.attention[0].standing.contains("已逾期 2 天"));
    let early = server::rounds::progress(&app.db, shenhe_id, round_id, on("2099-12-01"))
        .await
        .unwrap();
    assert!(early.attention.is_empty(), "a month before the deadline");
    let week = server::rounds::progress(&app.db, shenhe_id, round_id, on("2099-12-25"))
        .await
        .unwrap();
    assert_eq!(week.attention.len() as i64, posts - 1);
    assert!(week.attention.iter().all(|s| !s.late));
    let transport = week
        .units
        .iter()
        .find(|u| u.unit == "区交通局")
        .expect("区交通局 in the progress");
    assert_eq!(transport.posts, 7);
    assert_eq!(transport.by_stage[0], 7, "all in self-check");
}

#[tokio::test]
async fn an_approved_sheet_is_carried_forward_field_by_field_and_stays_on_the_notice() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let bidding = unit(&app, "区招标办").await;
    let director = app.post_id("区招标办", "主任").await;
    // Measures with every field set, so a dropped column shows.
    sqlx::query(
        "UPDATE measures SET owner = '李娜', due = '2027-03-31', status = 'done', done_on = '2026-11-30'
         WHERE position = 0 AND risk_point_id IN (SELECT rp.id FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id WHERE rs.post_id = ?)",
    )
    .bind(director)
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE risk_points SET manifestation = '指定评标专家', frequency = 4 WHERE sheet_id = (SELECT id FROM risk_sheets WHERE post_id = ?)")
        .bind(director)
        .execute(app.db.pool())
        .await
        .unwrap();
    approve(&app, director).await;
    let old_sheet = app
        .count(&format!(
            "SELECT id FROM risk_sheets WHERE post_id = {director}"
        ))
        .await;
    let before = records_on(&app, old_sheet).await;
    assert!(!before.is_empty());

    // The holder's device has pulled everything.
    let holder: String = sqlx::query_scalar(
        "SELECT u.username FROM post_holders h JOIN users u ON u.id = h.user_id WHERE h.post_id = ?",
    )
    .bind(director)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let phone = app.session_cookie(&holder).await;
    let client = Uuid::new_v4();
    let first: Value = app
        .sync(&phone, &push(&holder, client, &[]))
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["cursor"].as_i64().unwrap();

    let r = start(
        &app,
        &shenhe,
        json!({ "name": "2028 年度排查", "year": 2028, "deadline": "2099-12-31",
                "units": [bidding], "pilot": false }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["carried_forward"], 1, "{started}");
    let new_sheet = app
        .count(&format!(
            "SELECT MAX(id) FROM risk_sheets WHERE post_id = {director}"
        ))
        .await;
    assert_ne!(new_sheet, old_sheet);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM risk_sheets WHERE id = {new_sheet} AND stage = 'self_check'"
        ))
        .await,
        1
    );
    let after = records_on(&app, new_sheet).await;
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(&after) {
        assert_ne!(old.id, new.id, "the copy has its own id");
        assert_eq!(new.version, 1);
        assert_eq!(
            RiskPointRecord {
                id: old.id,
                version: old.version,
                ..new.clone()
            },
            *old,
            "every other field is carried"
        );
    }
    // Every stored column, whatever columns the tables gain later.
    for (table, skip) in [
        (
            "risk_points",
            &["id", "sheet_id", "version", "updated_at"][..],
        ),
        ("measures", &["risk_point_id"][..]),
    ] {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        for column in columns.iter().filter(|c| !skip.contains(&c.as_str())) {
            let sql = if table == "risk_points" {
                format!(
                    "SELECT COUNT(*) FROM risk_points o LEFT JOIN risk_points n ON n.sheet_id = {new_sheet} AND n.position = o.position
                     WHERE o.sheet_id = {old_sheet} AND (n.id IS NULL OR o.{column} IS NOT n.{column})"
                )
            } else {
                format!(
                    "SELECT COUNT(*) FROM measures om JOIN risk_points o ON o.id = om.risk_point_id
                     LEFT JOIN risk_points n ON n.sheet_id = {new_sheet} AND n.position = o.position
                     LEFT JOIN measures nm ON nm.risk_point_id = n.id AND nm.position = om.position
                     WHERE o.sheet_id = {old_sheet} AND (nm.risk_point_id IS NULL OR om.{column} IS NOT nm.{column})"
                )
            };
            assert_eq!(app.count(&sql).await, 0, "{table}.{column} carried");
        }
    }
    let measures_on = |sheet: i64| {
        format!("SELECT COUNT(*) FROM measures m JOIN risk_points p ON p.id = m.risk_point_id WHERE p.sheet_id = {sheet}")
    };
    assert_eq!(
        app.count(&measures_on(new_sheet)).await,
        app.count(&measures_on(old_sheet)).await
    );
    // The approved sheet is untouched and stays on the public notice.
    assert_eq!(records_on(&app, old_sheet).await, before);
    let public: Value = app
        .server_fn("public_unit", None, &format!("unit_id={bidding}"))
        .await
        .json()
        .await
        .unwrap();
    let listed = public.to_string();
    assert!(
        listed.contains("主任") && listed.contains("2026 年度排查"),
        "{listed}"
    );

    // The device swaps the approved points for the draft's at its next pull.
    let next: Value = app
        .sync(
            &phone,
            &json!({ "user": holder, "client_id": client, "ops": [], "cursor": cursor }),
        )
        .await
        .json()
        .await
        .unwrap();
    let deleted: Vec<String> = serde_json::from_value(next["deleted"].clone()).unwrap();
    for old in &before {
        assert!(deleted.contains(&old.id.to_string()), "{next}");
    }
    let pulled: Vec<String> = next["risk_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    for new in &after {
        assert!(pulled.contains(&new.id.to_string()), "{next}");
    }
}

#[tokio::test]
async fn a_round_that_breaks_a_rule_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let bidding = unit(&app, "区招标办").await;
    let rounds = app.count("SELECT COUNT(*) FROM rounds").await;
    let sheets = app.count("SELECT COUNT(*) FROM risk_sheets").await;
    let cases = [
        (
            json!({ "name": "2027 年度试点", "year": 2027, "deadline": "2099-06-30", "units": [], "pilot": true }),
            "empty_scope",
        ),
        (
            json!({ "name": "2027 年度试点", "year": 2027, "deadline": "2020-06-30", "units": [bidding], "pilot": true }),
            "in_the_past",
        ),
        (
            json!({ "name": "2026 年度排查", "year": 2027, "deadline": "2099-06-30", "units": [bidding], "pilot": true }),
            "duplicate",
        ),
        (
            json!({ "name": "2025 年度补充", "year": 2025, "deadline": "2099-06-30", "units": [bidding], "pilot": false }),
            "year_before_current",
        ),
        (
            json!({ "name": "2027 年度试点", "year": 2027, "deadline": "2099-06-30", "units": [999_999], "pilot": true }),
            "unknown_unit",
        ),
    ];
    for (body, expected) in cases {
        let (status, code, body) = error_code(start(&app, &shenhe, body).await).await;
        assert_eq!((status, code.as_str()), (400, expected), "{body}");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{2e80}'));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM rounds").await, rounds);
    assert_eq!(app.count("SELECT COUNT(*) FROM risk_sheets").await, sheets);
    // A liaison may not start one.
    let liaison = app.session_cookie("lianluo").await;
    let r = start(
        &app,
        &liaison,
        json!({ "name": "2027 年度试点", "year": 2027, "deadline": "2099-06-30", "units": [bidding], "pilot": true }),
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_key_post_falls_due_for_re_review_by_its_grade_and_a_re_review_round_reopens_it() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let director = app.post_id("区招标办", "主任").await;
    approve(&app, director).await;
    sqlx::query("UPDATE posts SET key_post = 1, supervision_grade = 'first' WHERE id = ?")
        .bind(director)
        .execute(app.db.pool())
        .await
        .unwrap();
    // Approved on 2026-01-10 (China time): a first-grade post is due on 2026-07-10.
    sqlx::query("UPDATE sheet_transitions SET at = 1768010400000 WHERE to_stage = 'approved'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let org = app.db.directory().org().await.unwrap();
    let on = |d: &str| IsoDate::parse(d, "d", "日期").unwrap();
    let due_on = |d: &'static str| {
        let (db, org) = (app.db.clone(), org.clone());
        async move { server::rounds::re_reviews(&db, &org, on(d)).await.unwrap() }
    };
    assert!(due_on("2026-06-01").await.is_empty(), "not yet listed");
    let soon = due_on("2026-07-01").await;
    assert_eq!(soon.len(), 1);
    assert_eq!(
        (soon[0].approved_on.as_str(), soon[0].due_on.as_str()),
        ("2026-01-10", "2026-07-10")
    );
    assert_eq!(soon[0].standing, "9 天后到期");
    assert!(!soon[0].overdue);
    let late = due_on("2026-08-01").await;
    assert!(late[0].overdue && late[0].standing == "已逾期 22 天");

    // Refusals first: no posts, an unknown post.
    for (posts, code) in [
        (json!([]), "empty_scope"),
        (json!([999_999]), "unknown_post"),
    ] {
        let (status, got, _) = error_code(
            start(
                &app,
                &shenhe,
                json!({ "name": "2026 年回头看", "year": 2026, "deadline": "2099-12-31",
                        "units": [], "pilot": false, "re_review": true, "posts": posts }),
            )
            .await,
        )
        .await;
        assert_eq!((status, got.as_str()), (400, code));
    }
    // The re-review round reopens the approved sheet of this very year.
    let r = start(
        &app,
        &shenhe,
        json!({ "name": "2026 年回头看", "year": 2026, "deadline": "2099-12-31",
                "units": [], "pilot": false, "re_review": true, "posts": [director] }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["carried_forward"], 1, "{started}");
    assert_eq!(round_of(&app, director).await, "2026 年回头看");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM rounds WHERE name = '2026 年回头看' AND re_review = 1")
            .await,
        1
    );
    assert!(
        due_on("2026-08-01").await.is_empty(),
        "a reopened post is no longer due"
    );
    // Only the chosen post moved.
    let driver = app.post_id("区交通局", "驾驶员").await;
    assert_eq!(round_of(&app, driver).await, "2026 年度排查");
}

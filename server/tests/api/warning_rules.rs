//! 预警规则 through the real router and the real schedule's check, with an injected clock: the
//! commission switches a rule on; a measure of a published sheet falls overdue; the check raises
//! one warning for it however often it runs, and a new due day is a new cause; the person answers
//! and the commission (the rule has no issuer) decides; bad rules are refused with their field and
//! change nothing; the migration that added rules keeps every warning and event as it was.

use serde_json::{json, Value};
use server::db::now_ms;

use super::helpers::{approve, error_code, spawn_app, TestApp};

const DAY: i64 = 86_400_000;

fn rule(kind: &str, enabled: bool, days: i64, level: &str) -> Value {
    json!({ "kind": kind, "enabled": enabled, "days": days, "level": level })
}

async fn save_rules(app: &TestApp, cookie: &str, rules: &[Value]) -> reqwest::Response {
    app.post_json(
        "/api/settings/warning-rules",
        Some(cookie),
        &json!({ "rules": rules }),
    )
    .await
}

async fn rule_warnings(app: &TestApp, rule: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM warnings WHERE rule = '{rule}'"
    ))
    .await
}

/// Puts the due day `due` on the first measure of `post`'s current sheet.
async fn due_on(app: &TestApp, post: i64, due: &str) {
    sqlx::query(
        "UPDATE measures SET due = ?, status = 'in_progress'
         WHERE (risk_point_id, position) = (
             SELECT m.risk_point_id, m.position FROM measures m
             JOIN risk_points rp ON rp.id = m.risk_point_id
             JOIN current_sheets cs ON cs.id = rp.sheet_id
             WHERE cs.post_id = ? ORDER BY rp.position, m.position LIMIT 1)",
    )
    .bind(due)
    .bind(post)
    .execute(app.db.pool())
    .await
    .unwrap();
}

/// The post `username` holds.
async fn held_post(app: &TestApp, username: &str) -> i64 {
    app.count(&format!(
        "SELECT h.post_id FROM post_holders h JOIN users u ON u.id = h.user_id
         WHERE u.username = '{username}'"
    ))
    .await
}

#[tokio::test]
async fn a_rule_raises_one_warning_per_cause_however_often_it_runs() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let chenjing = app.session_cookie("chenjing").await;
    let post: i64 = held_post(&app, "chenjing").await;
    approve(&app, post).await;
    let now = now_ms();
    let today = domain::risk::IsoDate::of_instant(now);
    due_on(&app, post, &today.add_days(-10).to_string()).await;

    // Off, as a new district has them: the check raises nothing.
    let check = |at: i64| server::warnings::check(&app.db, None, at);
    assert_eq!(check(now).await.unwrap().raised, 0);

    // Overdue by 3 days or more, yellow.
    let r = save_rules(&app, &shenhe, &[rule("measure_overdue", true, 3, "黄")]).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let done = check(now).await.unwrap();
    assert_eq!(done.raised, 1);
    // Run again: the cause is raised once.
    assert_eq!(check(now).await.unwrap().raised, 0);
    assert_eq!(rule_warnings(&app, "measure_overdue").await, 1);
    let (id, source, issuer, subject, level, handling, due, cause): (
        i64,
        String,
        Option<i64>,
        Option<String>,
        String,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT w.id, w.source, w.issuer_id, u.username, w.level, w.handling, w.due, w.cause
         FROM warnings w LEFT JOIN users u ON u.id = w.subject_id WHERE w.rule = 'measure_overdue'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(source, "rule");
    assert_eq!(issuer, None, "a rule's warning has no issuer");
    assert_eq!(
        subject.as_deref(),
        Some("chenjing"),
        "the post's one holder"
    );
    assert_eq!((level.as_str(), handling.as_str()), ("yellow", "inquiry"));
    assert_eq!(due, today.add_days(10).to_string());
    assert!(cause.starts_with("measure_overdue:"), "{cause}");
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM audit_log WHERE kind = 'warning_raised' AND subject = ?",
    )
    .bind(format!("warning:{id}"))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(payload.contains(r#""rule":"measure_overdue""#), "{payload}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE u.username = 'chenjing' AND n.link = '/warnings/{id}'"
        ))
        .await,
        1
    );

    // A new due day is a new occurrence: one more warning, and again only one.
    due_on(&app, post, &today.add_days(-5).to_string()).await;
    assert_eq!(check(now).await.unwrap().raised, 1);
    assert_eq!(check(now).await.unwrap().raised, 0);
    // The holder answers; the commission over the unit decides, told of the answer.
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &json!({ "analysis": "措施推进计划安排不周", "measures": "本月底前完成并报送落实情况" }),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE u.username = 'shenhe' AND n.kind = 'warning_answered' AND n.link = '/warnings/{id}'"
        ))
        .await,
        1
    );
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/accept"),
            Some(&shenhe),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    // Closed, and the measure still late: its cause stays raised, for weeks of checks.
    for later in [now + DAY, now + 30 * DAY] {
        assert_eq!(check(later).await.unwrap().raised, 0);
    }
    assert_eq!(rule_warnings(&app, "measure_overdue").await, 2);

    // A finished measure raises nothing, whatever its due day.
    sqlx::query("UPDATE measures SET status = 'done', done_on = ?, due = ? WHERE due IS NOT NULL")
        .bind(today.to_string())
        .bind(today.add_days(-20).to_string())
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(check(now).await.unwrap().raised, 0);

    // The commitment the approval generated waits for 陈静's signature: after 14 days a rule
    // that watches unsigned commitments warns her, once.
    let r = save_rules(
        &app,
        &shenhe,
        &[rule("commitment_unsigned", true, 14, "blue")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(check(now + 13 * DAY).await.unwrap().raised, 0);
    let raised = check(now + 14 * DAY).await.unwrap().raised;
    assert!(raised >= 1, "the post's holders were warned");
    assert_eq!(check(now + 20 * DAY).await.unwrap().raised, 0);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM warnings w JOIN users u ON u.id = w.subject_id
             WHERE w.rule = 'commitment_unsigned' AND u.username = 'chenjing'"
        )
        .await,
        1
    );
    // The other rule stayed as it was set.
    assert_eq!(
        app.count("SELECT enabled FROM warning_rules WHERE kind = 'measure_overdue'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_bad_rule_is_refused_with_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let cases = [
        (
            vec![rule("measure_overdue", true, -1, "blue")],
            "out_of_range",
            "rules.measure_overdue.days",
        ),
        (
            vec![rule("sheet_stuck", true, 0, "blue")],
            "out_of_range",
            "rules.sheet_stuck.days",
        ),
        (
            vec![rule("measure_overdue", true, 3, "purple")],
            "invalid_level",
            "rules.measure_overdue.level",
        ),
        (
            vec![rule("weather", true, 3, "blue")],
            "unknown_rule",
            "rules",
        ),
        (
            vec![
                rule("measure_overdue", true, 3, "blue"),
                rule("measure_overdue", false, 3, "blue"),
            ],
            "duplicate_rule",
            "rules",
        ),
        (vec![], "required", "rules"),
    ];
    for (rules, code, field) in cases {
        let (status, got, body) = error_code(save_rules(&app, &shenhe, &rules).await).await;
        assert_eq!((status, got.as_str()), (400, code), "{body}");
        assert_eq!(body["field"], field, "{body}");
        assert!(body["message"].as_str().unwrap().contains('：'), "{body}");
    }
    // A good rule beside a bad one is not stored either.
    let (status, _, _) = error_code(
        save_rules(
            &app,
            &shenhe,
            &[
                rule("commitment_unsigned", true, 14, "blue"),
                rule("measure_overdue", true, -3, "blue"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM warning_rules").await, 0);
    // Only the commission sets them.
    for user in ["fenguan", "chenjing", "admin"] {
        let cookie = app.session_cookie(user).await;
        let r = save_rules(&app, &cookie, &[rule("measure_overdue", true, 3, "blue")]).await;
        assert_eq!(r.status(), 403, "{user}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM warning_rules").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'warning_rules_changed'")
            .await,
        0
    );
    let r = save_rules(&app, &shenhe, &[rule("measure_overdue", true, 3, "blue")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'warning_rules_changed'")
            .await,
        1
    );
}

/// The migration that gave warnings their rule rebuilt the table: every warning and event of a
/// database from before it is still there, field by field, and deleting a warning still takes
/// its events with it.
#[tokio::test]
async fn the_rules_migration_keeps_every_warning_and_event() {
    let (_dir, file, pool) = super::helpers::database_before("20261207000001").await;
    {
        for sql in [
            "INSERT INTO org_units (id, kind, name) VALUES (1, 'district', '示范区')",
            "INSERT INTO users (id, username, display_name, password_hash, unit_id, created_at)
             VALUES (1, 'u', '用户', 'x', 1, 0)",
            "INSERT INTO warnings (year, seq, unit_id, subject_id, issuer_id, level, raised_level,
                 handling, source, source_ref, reason, status, due, send_backs, answer_analysis,
                 answer_measures, answered_by, answered_at, raised_at, closed_at)
             VALUES (2026, 1, 1, 1, 1, 'yellow', 'blue', 'inquiry', 'audit', '审〔1〕', '事由',
                 'answered', '2026-12-10', 1, '分析', '措施', 1, 5, 4, NULL),
                    (2026, 2, 1, NULL, 1, 'red', 'red', 'supervision', 'complaint', NULL, '事由二',
                 'closed', '2026-11-10', 0, NULL, NULL, NULL, NULL, 3, 9)",
            "INSERT INTO warning_events (warning_id, kind, actor_id, at, level, note, measures)
             VALUES (1, 'raised', 1, 4, 'blue', '事由', NULL), (1, 'answered', 1, 5, 'yellow', '分析', '措施'),
                    (2, 'raised', NULL, 3, 'red', '事由二', NULL)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    // Every stored field, as JSON arrays: a column the rebuild dropped or changed fails.
    let snapshot = |pool: sqlx::SqlitePool| async move {
        let warnings: Vec<String> = sqlx::query_scalar(
            "SELECT json_array(id, year, seq, unit_id, subject_id, issuer_id, level, raised_level,
                    handling, source, source_ref, reason, status, due, send_backs, answer_analysis,
                    answer_measures, answered_by, answered_at, raised_at, closed_at)
             FROM warnings ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT json_array(id, warning_id, kind, actor_id, at, level, note, measures)
             FROM warning_events ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        (warnings.join("\n"), events.join("\n"))
    };
    let old = {
        let pool = sqlx::SqlitePool::connect_with(
            sqlx::sqlite::SqliteConnectOptions::new().filename(&file),
        )
        .await
        .unwrap();
        snapshot(pool).await
    };
    let db = server::db::Db::open(&file)
        .await
        .expect("the rest migrates");
    let new = snapshot(db.pool().clone()).await;
    assert_eq!(old, new);
    assert!(old.0.contains("审〔1〕") && old.1.contains("措施"));
    sqlx::query("DELETE FROM warnings WHERE id = 1")
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM warning_events WHERE warning_id = 1")
            .fetch_one(db.pool())
            .await
            .unwrap(),
        0,
        "the events still belong to their warning"
    );
    let check: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(db.pool())
        .await
        .unwrap_or_default();
    assert!(check.is_empty());
}

#[tokio::test]
async fn the_residual_rule_warns_once_per_flagged_point_of_a_published_sheet() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let post: i64 = held_post(&app, "chenjing").await;
    let draft: i64 = held_post(&app, "lina").await;
    approve(&app, post).await;
    let now = now_ms();
    let today = domain::risk::IsoDate::of_instant(now);
    // No measure is late and no point rated, on either sheet; then the first point of each is
    // rated no lower than it was before its measures.
    for p in [post, draft] {
        for sql in [
            "UPDATE measures SET due = NULL WHERE risk_point_id IN (
                 SELECT rp.id FROM risk_points rp JOIN current_sheets cs ON cs.id = rp.sheet_id
                 WHERE cs.post_id = ?)",
            "UPDATE risk_points SET residual_likelihood = likelihood, residual_impact = impact
             WHERE id = (SELECT rp.id FROM risk_points rp JOIN current_sheets cs ON cs.id = rp.sheet_id
                         WHERE cs.post_id = ? ORDER BY rp.position LIMIT 1)",
        ] {
            sqlx::query(sql).bind(p).execute(app.db.pool()).await.unwrap();
        }
    }
    let check = |at: i64| server::warnings::check(&app.db, None, at);
    let r = save_rules(&app, &shenhe, &[rule("residual_flag", true, 0, "蓝")]).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(
        check(now).await.unwrap().raised,
        1,
        "the published sheet's point only"
    );
    assert_eq!(check(now).await.unwrap().raised, 0);
    let (cause, reason, subject): (String, String, Option<String>) = sqlx::query_as(
        "SELECT w.cause, w.reason, u.username FROM warnings w
         LEFT JOIN users u ON u.id = w.subject_id WHERE w.rule = 'residual_flag'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(cause.ends_with(":not_reduced"), "{cause}");
    assert!(reason.contains("未低于固有风险评分"), "{reason}");
    assert_eq!(subject.as_deref(), Some("chenjing"));

    // Every measure of the point falls past its due day: a second cause, once.
    sqlx::query(
        "UPDATE measures SET due = ?, status = 'in_progress' WHERE risk_point_id = (
             SELECT rp.id FROM risk_points rp JOIN current_sheets cs ON cs.id = rp.sheet_id
             WHERE cs.post_id = ? ORDER BY rp.position LIMIT 1)",
    )
    .bind(today.add_days(-2).to_string())
    .bind(post)
    .execute(app.db.pool())
    .await
    .unwrap();
    assert_eq!(check(now).await.unwrap().raised, 1);
    assert_eq!(check(now + DAY).await.unwrap().raised, 0);
    assert_eq!(rule_warnings(&app, "residual_flag").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM warnings WHERE cause LIKE 'residual_flag:%:all_overdue:%'")
            .await,
        1
    );
}

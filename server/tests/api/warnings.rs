//! 预警 through the real router: the commission raises a warning, the person answers, the issuer
//! sends it back twice (the second time it goes a level up) and accepts; the overdue check, run
//! with an injected clock, escalates a late answer once per day and never past red; bad input and
//! refusals change nothing; every step is in the audit log.

use serde_json::{json, Value};
use server::db::now_ms;

use uuid::Uuid;

use super::helpers::{error_code, push, spawn_app, TestApp};

const DAY: i64 = 86_400_000;

async fn unit(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM org_units WHERE name = '{name}'"))
        .await
}

fn yellow(unit: i64, subject: &str) -> Value {
    json!({ "unit_id": unit, "subject": subject, "level": "yellow", "source": "complaint",
            "source_ref": "区信访〔2026〕12号", "reason": "群众反映驾驶员私用公车接送家属" })
}

async fn raise(app: &TestApp, cookie: &str, body: &Value) -> (i64, String) {
    let r = app.post_json("/api/warnings", Some(cookie), body).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let raised: Value = r.json().await.unwrap();
    (
        raised["id"].as_i64().unwrap(),
        raised["number"].as_str().unwrap().to_owned(),
    )
}

async fn state(app: &TestApp, id: i64) -> (String, String, String, i64) {
    sqlx::query_as("SELECT level, status, due, send_backs FROM warnings WHERE id = ?")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn audit_kinds(app: &TestApp, id: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM audit_log WHERE subject = ? ORDER BY seq")
        .bind(format!("warning:{id}"))
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

fn answer() -> Value {
    json!({ "analysis": "公车管理制度执行不严，本人纪律意识淡薄", "measures": "即日起严格执行派车单制度，每月公示用车记录" })
}

#[tokio::test]
async fn a_warning_is_answered_sent_back_twice_which_escalates_it_and_then_accepted() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let chenjing = app.session_cookie("chenjing").await;
    let transport = unit(&app, "区交通局").await;
    let (id, number) = raise(&app, &shenhe, &yellow(transport, "chenjing")).await;
    let year = domain::risk::IsoDate::of_instant(now_ms()).year();
    assert_eq!(number, format!("廉预〔{year}〕1号"));
    let (level, status, due, _) = state(&app, id).await;
    assert_eq!(
        (level.as_str(), status.as_str()),
        ("yellow", "awaiting_answer")
    );
    // A yellow warning is answered within 10 days.
    let today = domain::risk::IsoDate::of_instant(now_ms());
    assert_eq!(due, today.add_days(10).to_string());
    // The next warning takes the next number.
    let (_, second) = raise(&app, &shenhe, &yellow(transport, "lina")).await;
    assert_eq!(second, format!("廉预〔{year}〕2号"));

    // Only the issuer decides, and only once there is an answer.
    let accept = format!("/api/warnings/{id}/accept");
    let (status, code, _) =
        error_code(app.post_json(&accept, Some(&shenhe), &json!({})).await).await;
    assert_eq!((status, code.as_str()), (400, "not_answered"));
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(state(&app, id).await.1, "answered");
    // A second answer while the first waits is refused.
    let (status, code, _) = error_code(
        app.post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "already_answered"));

    // Sent back once: awaiting a new answer, still yellow.
    let back = format!("/api/warnings/{id}/send-back");
    let (status, code, body) = error_code(
        app.post_json(&back, Some(&shenhe), &json!({ "reason": "  " }))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "required"), "{body}");
    assert_eq!(
        state(&app, id).await.1,
        "answered",
        "a bad send-back changes nothing"
    );
    let r = app
        .post_json(
            &back,
            Some(&shenhe),
            &json!({ "reason": "整改措施不具体，请写明时限" }),
        )
        .await;
    let step: Value = r.json().await.unwrap();
    assert_eq!(
        step,
        json!({ "level": "yellow", "status": "awaiting_answer", "escalated": false })
    );
    // Sent back a second time: red, with a red warning's 15 days to answer.
    app.post_json(
        &format!("/api/warnings/{id}/answer"),
        Some(&chenjing),
        &answer(),
    )
    .await;
    let r = app
        .post_json(
            &back,
            Some(&shenhe),
            &json!({ "reason": "仍未说明具体时限" }),
        )
        .await;
    let step: Value = r.json().await.unwrap();
    assert_eq!(
        step,
        json!({ "level": "red", "status": "awaiting_answer", "escalated": true })
    );
    let (level, _, due, send_backs) = state(&app, id).await;
    assert_eq!((level.as_str(), send_backs), ("red", 0));
    assert_eq!(due, today.add_days(15).to_string());

    // Answered and accepted: closed; nothing more is taken.
    app.post_json(
        &format!("/api/warnings/{id}/answer"),
        Some(&chenjing),
        &answer(),
    )
    .await;
    let r = app.post_json(&accept, Some(&shenhe), &json!({})).await;
    assert_eq!(r.status(), 200);
    let (_, status, _, _) = state(&app, id).await;
    assert_eq!(status, "closed");
    let (status, code, _) = error_code(
        app.post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "warning_closed"));
    assert_eq!(
        audit_kinds(&app, id).await,
        [
            "warning_raised",
            "warning_answered",
            "warning_sent_back",
            "warning_answered",
            "warning_sent_back",
            "warning_escalated",
            "warning_answered",
            "warning_accepted",
        ]
    );
    let events = app
        .count(&format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id = {id}"
        ))
        .await;
    assert_eq!(events, 8);
    let verified = server::audit::verify(app.db.pool()).await.unwrap();
    assert!(verified.broken.is_none());

    // The warning's page shows the steps to its reader, and is no one else's to read.
    let page = app
        .server_fn("warning", Some(&chenjing), &format!("id={id}"))
        .await;
    assert_eq!(page.status(), 200);
    let view: Value = page.json().await.unwrap();
    assert_eq!(view["status"], "closed");
    assert_eq!(view["raised_level"], "yellow");
    assert_eq!(view["events"].as_array().unwrap().len(), 8);
    let xujun = app.session_cookie("xujun").await;
    let page = app
        .server_fn("warning", Some(&xujun), &format!("id={id}"))
        .await;
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn the_overdue_check_escalates_a_late_answer_once_a_day_and_never_past_red() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let transport = unit(&app, "区交通局").await;
    let mut blue = yellow(transport, "chenjing");
    blue["level"] = json!("blue");
    let (id, _) = raise(&app, &shenhe, &blue).await;
    let now = now_ms();
    let check = |at: i64| server::warnings::check(&app.db, None, at);
    // On the due day nothing happens; the day after, blue goes to yellow, once.
    assert_eq!(check(now + 7 * DAY).await.unwrap().escalated, 0);
    assert_eq!(state(&app, id).await.0, "blue");
    assert_eq!(check(now + 8 * DAY).await.unwrap().escalated, 1);
    assert_eq!(check(now + 8 * DAY).await.unwrap().escalated, 0);
    let (level, status, due, _) = state(&app, id).await;
    assert_eq!(
        (level.as_str(), status.as_str()),
        ("yellow", "awaiting_answer")
    );
    let day8 = domain::risk::IsoDate::of_instant(now + 8 * DAY);
    assert_eq!(due, day8.add_days(10).to_string());
    // Late again: red; late once more: still red, still overdue, no new entry.
    assert_eq!(check(now + 19 * DAY).await.unwrap().escalated, 1);
    assert_eq!(state(&app, id).await.0, "red");
    assert_eq!(check(now + 60 * DAY).await.unwrap().escalated, 0);
    assert_eq!(state(&app, id).await.0, "red");
    let escalations: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM audit_log WHERE kind = 'warning_escalated' AND subject = ? ORDER BY seq",
    )
    .bind(format!("warning:{id}"))
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(escalations.len(), 2);
    assert!(escalations[0].contains(r#""cause":"late_answer""#));
    assert!(escalations[1].contains(r#""to":"red""#));

    // The commission runs the check now over the router; nobody else may.
    let r = app
        .post_json("/api/warnings/check", Some(&shenhe), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let fenguan = app.session_cookie("fenguan").await;
    let r = app
        .post_json("/api/warnings/check", Some(&fenguan), &json!({}))
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn an_answer_due_within_two_days_is_reminded_once_per_due_day_and_not_once_answered() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let chenjing = app.session_cookie("chenjing").await;
    let transport = unit(&app, "区交通局").await;
    let mut blue = yellow(transport, "chenjing");
    blue["level"] = json!("blue");
    let (id, number) = raise(&app, &shenhe, &blue).await;
    let (answered, _) = raise(&app, &shenhe, &blue).await;
    let r = app
        .post_json(
            &format!("/api/warnings/{answered}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let now = now_ms();
    let check = |at: i64| server::warnings::check(&app.db, None, at);
    let reminders = || async {
        sqlx::query_as::<_, (String, String)>(
            "SELECT n.text, n.link FROM notifications n JOIN users u ON u.id = n.user_id
             WHERE u.username = 'chenjing' AND n.kind = 'warning_answer_due' ORDER BY n.id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap()
    };
    // Blue: due in 7 days. Three days before, nothing; two days before, one reminder, once.
    assert_eq!(check(now + 4 * DAY).await.unwrap().reminded, 0);
    assert_eq!(
        check(now + 5 * DAY).await.unwrap().reminded,
        1,
        "the answered one is not"
    );
    assert_eq!(check(now + 6 * DAY).await.unwrap().reminded, 0);
    assert_eq!(check(now + 7 * DAY).await.unwrap().reminded, 0);
    let sent = reminders().await;
    assert_eq!(sent.len(), 1);
    let due = domain::risk::IsoDate::of_instant(now + 7 * DAY);
    assert_eq!(
        sent[0].0,
        format!("预警{number}的书面答复须于 {due} 前提交（2 天后到期），逾期未答复将升级")
    );
    assert_eq!(sent[0].1, format!("/warnings/{id}"));
    // Late: it goes up to yellow with a new due day, which is reminded of in its turn.
    let checked = check(now + 8 * DAY).await.unwrap();
    assert_eq!((checked.escalated, checked.reminded), (1, 0));
    assert_eq!(check(now + 18 * DAY).await.unwrap().reminded, 1);
    assert_eq!(check(now + 18 * DAY).await.unwrap().reminded, 0);
    let sent = reminders().await;
    assert_eq!(sent.len(), 2);
    assert!(sent[1].0.contains("（今天到期）"), "{}", sent[1].0);
}

#[tokio::test]
async fn bad_warnings_are_refused_with_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let fenguan = app.session_cookie("fenguan").await;
    let transport = unit(&app, "区交通局").await;
    let health = unit(&app, "区卫生局").await;
    let cases = [
        (json!({ "answer_days": -1 }), "out_of_range", "answer_days"),
        (json!({ "answer_days": 91 }), "out_of_range", "answer_days"),
        (json!({ "level": "purple" }), "invalid_level", "level"),
        (json!({ "reason": "   " }), "required", "reason"),
        (
            json!({ "subject": "nobody-here" }),
            "unknown_person",
            "subject",
        ),
        // A person of another unit is not in this one.
        (json!({ "subject": "xujun" }), "unknown_person", "subject"),
    ];
    for (change, code, field) in cases {
        let mut body = yellow(transport, "chenjing");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, got, err) =
            error_code(app.post_json("/api/warnings", Some(&shenhe), &body).await).await;
        assert_eq!((status, got.as_str()), (400, code), "{change}: {err}");
        assert_eq!(err["field"], field, "{change}");
    }
    // Nobody warns themselves; a leader warns only in the units they are in charge of.
    let (status, code, _) = error_code(
        app.post_json(
            "/api/warnings",
            Some(&fenguan),
            &yellow(transport, "fenguan"),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "self_warning"));
    let r = app
        .post_json("/api/warnings", Some(&fenguan), &yellow(health, ""))
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind LIKE 'warning_%'")
            .await,
        0
    );
    // A leader in charge warns the unit itself; its liaison answers, the person warned does not.
    let (id, _) = raise(&app, &fenguan, &yellow(transport, "")).await;
    let chenjing = app.session_cookie("chenjing").await;
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await;
    assert_eq!(r.status(), 404);
    let lianluo = app.session_cookie("lianluo").await;
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&lianluo),
            &answer(),
        )
        .await;
    assert_eq!(r.status(), 200);
    // The commission reads it but the leader who raised it decides it.
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/accept"),
            Some(&shenhe),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_json(
            &format!("/api/warnings/{id}/accept"),
            Some(&fenguan),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_answer_written_offline_syncs_exactly_once_and_comes_with_the_replica() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let chenjing = app.session_cookie("chenjing").await;
    let transport = unit(&app, "区交通局").await;
    let (id, number) = raise(&app, &shenhe, &yellow(transport, "chenjing")).await;
    // Her replica carries the warning to answer; another user's does not.
    let client = Uuid::new_v4();
    let first: Value = app
        .sync(&chenjing, &push("chenjing", client, &[]))
        .await
        .json()
        .await
        .unwrap();
    let warnings = first["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["number"], number.as_str());
    assert_eq!(warnings[0]["answered"], false);
    assert_eq!(warnings[0]["level"], "yellow");
    let digest = first["warnings_digest"].as_str().unwrap().to_owned();
    let lina = app.session_cookie("lina").await;
    let other: Value = app
        .sync(&lina, &push("lina", Uuid::new_v4(), &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["warnings"], json!([]));

    // A bad answer is refused, field named, and nothing is written.
    let bad = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "answer_warning", "warning_id": id,
                      "analysis": "原因", "measures": "" });
    let r: Value = app
        .sync(&chenjing, &push("chenjing", client, &[bad]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["status"], "rejected");
    assert_eq!(r["results"][0]["code"], "required");
    assert_eq!(state(&app, id).await.1, "awaiting_answer");

    // The answer, then the same push again (the reply was lost): applied once.
    let op = json!({ "id": Uuid::new_v4(), "seq": 2, "type": "answer_warning", "warning_id": id,
                     "analysis": "公车管理制度执行不严", "measures": "严格执行派车单制度" });
    let mut body = push("chenjing", client, std::slice::from_ref(&op));
    body["warnings_digest"] = json!(digest);
    let once: Value = app.sync(&chenjing, &body).await.json().await.unwrap();
    let again: Value = app.sync(&chenjing, &body).await.json().await.unwrap();
    assert_eq!(once["results"][0]["status"], "applied");
    assert_eq!(once["results"], again["results"]);
    assert_eq!(state(&app, id).await.1, "answered");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind = 'answered'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject = 'warning:{id}' AND kind = 'warning_answered'"
        ))
        .await,
        1
    );
    // The replica learns the answer is under review; unchanged, the list is not sent again.
    assert_eq!(once["warnings"][0]["answered"], true);
    let mut quiet = push("chenjing", client, &[]);
    quiet["warnings_digest"] = once["warnings_digest"].clone();
    let quiet: Value = app.sync(&chenjing, &quiet).await.json().await.unwrap();
    assert!(quiet.get("warnings").is_none(), "{quiet}");

    // Sent back, the replica says why.
    app.post_json(
        &format!("/api/warnings/{id}/send-back"),
        Some(&shenhe),
        &json!({ "reason": "整改措施未写时限" }),
    )
    .await;
    let back: Value = app
        .sync(&chenjing, &push("chenjing", client, &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["warnings"][0]["sent_back"], "整改措施未写时限");
    assert_eq!(back["warnings"][0]["answered"], false);
}

async fn notifications(app: &TestApp, cookie: &str) -> Value {
    let r = app.server_fn("notifications", Some(cookie), "").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn notifications_reach_the_person_the_issuer_and_the_leader_in_charge() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let chenjing = app.session_cookie("chenjing").await;
    let fenguan = app.session_cookie("fenguan").await;
    let transport = unit(&app, "区交通局").await;
    let (id, number) = raise(&app, &shenhe, &yellow(transport, "chenjing")).await;
    let mine = notifications(&app, &chenjing).await;
    assert_eq!(mine["unread"], 1);
    assert!(mine["items"][0]["text"].as_str().unwrap().contains(&number));
    assert_eq!(mine["items"][0]["link"], format!("/warnings/{id}"));
    // Answered: the issuer is told. Sent back twice: the person each time, and on the
    // escalation the leader in charge of the unit too.
    for round in 0..2 {
        app.post_json(
            &format!("/api/warnings/{id}/answer"),
            Some(&chenjing),
            &answer(),
        )
        .await;
        let r = app
            .post_json(
                &format!("/api/warnings/{id}/send-back"),
                Some(&shenhe),
                &json!({ "reason": format!("第 {} 次退回：措施不具体", round + 1) }),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let issuer = notifications(&app, &shenhe).await;
    assert_eq!(issuer["unread"], 2);
    assert_eq!(issuer["items"][0]["what"], "预警答复待审核");
    let person = notifications(&app, &chenjing).await;
    let whats: Vec<&str> = person["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["what"].as_str().unwrap())
        .collect();
    assert_eq!(whats, ["预警升级", "答复被退回", "答复被退回", "预警"]);
    let leader = notifications(&app, &fenguan).await;
    assert_eq!(leader["unread"], 1);
    assert!(leader["items"][0]["text"]
        .as_str()
        .unwrap()
        .contains("升为红色预警"));
    // Marked read up to the newest shown: one's own only.
    let newest = person["items"][0]["id"].as_i64().unwrap();
    let leaders_newest = leader["items"][0]["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/api/notifications/read",
            Some(&fenguan),
            &json!({ "up_to": leaders_newest }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(notifications(&app, &chenjing).await["unread"], 4);
    app.post_json(
        "/api/notifications/read",
        Some(&chenjing),
        &json!({ "up_to": newest }),
    )
    .await;
    assert_eq!(notifications(&app, &chenjing).await["unread"], 0);
    assert_eq!(notifications(&app, &fenguan).await["unread"], 0);
}

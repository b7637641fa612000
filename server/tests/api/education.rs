//! 廉政教育 through the real router: the unit's liaison records a talk with a key post's holder
//! and a warning-education session with attendance ticked and pasted; bad records (a talk dated
//! tomorrow, a name that is not the unit's, a person outside the liaison's units) are refused with
//! their field and write nothing; the commission sets the talks a year by grade; the "廉政谈话缺失"
//! rule, with an injected clock, raises one warning for the latest period that ended without a
//! talk and none once a talk is recorded in it; the person's page lists talks, sessions, warnings
//! and commitments, for the person and those over their unit only. Each record is audited.

use serde_json::{json, Value};
use server::db::now_ms;

use super::helpers::{error_code, spawn_app, TestApp};

const DAY: i64 = 86_400_000;

async fn talk(
    app: &TestApp,
    cookie: &str,
    subject: &str,
    held_on: &str,
    topic: &str,
) -> reqwest::Response {
    app.post_json(
        "/api/education/talks",
        Some(cookie),
        &json!({ "subject": subject, "talker": "局党组书记 王某", "held_on": held_on, "topic": topic }),
    )
    .await
}

async fn unit_id(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM org_units WHERE name = '{name}'"))
        .await
}

/// Makes chenjing's post a 一级 key post, held since `since`.
async fn key_post(app: &TestApp, since: &str) -> i64 {
    let post = app.post_id("区交通局", "驾驶员").await;
    sqlx::query("UPDATE posts SET key_post = 1, supervision_grade = 'first' WHERE id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE post_holdings SET started_on = ? WHERE post_id = ?")
        .bind(since)
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    post
}

async fn person(app: &TestApp, cookie: &str, username: &str) -> reqwest::Response {
    app.server_fn("person", Some(cookie), &format!("username={username}"))
        .await
}

#[tokio::test]
async fn the_liaison_records_talks_and_sessions_and_bad_records_change_nothing() {
    let app = spawn_app().await;
    let lianluo = app.session_cookie("lianluo").await;
    let today = domain::risk::IsoDate::of_instant(now_ms());
    key_post(&app, "2025-01-01").await;

    let r = talk(
        &app,
        &lianluo,
        "chenjing",
        &today.to_string(),
        "廉洁用车提醒谈话",
    )
    .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let recorded: Value = r.json().await.unwrap();
    let (subject, unit, talker, held_on, topic): (String, i64, String, String, String) =
        sqlx::query_as(
            "SELECT u.username, t.unit_id, t.talker, t.held_on, t.topic FROM talks t
             JOIN users u ON u.id = t.subject_id WHERE t.id = ?",
        )
        .bind(recorded["id"].as_i64().unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        (subject.as_str(), talker.as_str(), held_on, topic.as_str()),
        (
            "chenjing",
            "局党组书记 王某",
            today.to_string(),
            "廉洁用车提醒谈话"
        )
    );
    assert_eq!(unit, unit_id(&app, "区交通局").await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'talk_recorded'")
            .await,
        1
    );

    // Refused, each naming its field, and nothing written.
    let tomorrow = today.add_days(1).to_string();
    let (status, code, body) =
        error_code(talk(&app, &lianluo, "chenjing", &tomorrow, "提前记录").await).await;
    assert_eq!((status, code.as_str()), (400, "future_date"), "{body}");
    assert_eq!(body["field"], "held_on");
    assert!(body["message"].as_str().unwrap().contains("不能晚于今天"));
    // zhaolei is in 区招标办, outside the transport bureau's liaison's units.
    let (status, code, body) =
        error_code(talk(&app, &lianluo, "zhaolei", &today.to_string(), "越权记录").await).await;
    assert_eq!((status, code.as_str()), (400, "unknown_person"), "{body}");
    assert_eq!(body["field"], "subject");
    let (_, code, _) =
        error_code(talk(&app, &lianluo, "lianluo", &today.to_string(), "自己谈话").await).await;
    assert_eq!(code, "self_talk");
    // A post holder records nothing.
    let chenjing = app.session_cookie("chenjing").await;
    let (status, _, _) =
        error_code(talk(&app, &chenjing, "kezhang", &today.to_string(), "越权").await).await;
    assert_eq!(status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM talks").await, 1);

    // A session: one ticked, two pasted (one of them twice, one by user name).
    let transport = unit_id(&app, "区交通局").await;
    let session = |list: &str, held_on: &str| {
        json!({ "unit_id": transport, "kind": "warning_education", "held_on": held_on,
                "topic": "观看警示教育片《蜕变》", "attendees": ["chenjing"], "attendee_list": list })
    };
    let r = app
        .post_json(
            "/api/education/sessions",
            Some(&lianluo),
            &session("钱科长、fenguan\n钱科长", &today.to_string()),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["attendees"], 3);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM session_attendance a JOIN users u ON u.id = a.user_id
         WHERE a.session_id = ? ORDER BY u.username",
    )
    .bind(done["id"].as_i64().unwrap())
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(names, ["chenjing", "fenguan", "kezhang"]);
    let (kind, held, topic): (String, String, String) =
        sqlx::query_as("SELECT kind, held_on, topic FROM education_sessions WHERE id = ?")
            .bind(done["id"].as_i64().unwrap())
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), held, topic.as_str()),
        (
            "warning_education",
            today.to_string(),
            "观看警示教育片《蜕变》"
        )
    );
    let (status, code, body) = error_code(
        app.post_json(
            "/api/education/sessions",
            Some(&lianluo),
            &session("钱科长、赵无名", &tomorrow),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "future_date"), "{body}");
    // Every name of the list nobody in the unit has, in one message.
    let (status, code, body) = error_code(
        app.post_json(
            "/api/education/sessions",
            Some(&lianluo),
            &session("赵无名、钱科长、zhaolei", &today.to_string()),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "unknown_person"), "{body}");
    assert_eq!(body["field"], "attendee_list");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("第 1 项“赵无名”不是该单位的人员"),
        "{message}"
    );
    assert!(
        message.contains("第 3 项“zhaolei”不是该单位的人员"),
        "{message}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM education_sessions").await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'session_recorded'")
            .await,
        1
    );

    // The page lists both, with chenjing's talk this quarter.
    let r = app.server_fn("education", Some(&lianluo), "").await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["talks"].as_array().unwrap().len(), 1);
    assert_eq!(page["sessions"][0]["attendees"], 3);
    let owed = page["owed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["username"] == "chenjing")
        .unwrap()
        .clone();
    assert_eq!(owed["per_year"], 4);
    assert_eq!(owed["current"][1], true, "{owed}");
    assert_eq!(owed["held_this_year"], 1);
    // A post holder has no education page.
    let r = app.server_fn("education", Some(&chenjing), "").await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_talk_rule_warns_once_of_the_latest_missed_period_and_never_once_held() {
    let app = spawn_app().await;
    let shenhe = app.session_cookie("shenhe").await;
    let lianluo = app.session_cookie("lianluo").await;
    key_post(&app, "2025-01-01").await;

    // The commission asks 一级 for talks every half year.
    let r = app
        .post_json(
            "/api/settings/talk-quota",
            Some(&shenhe),
            &json!({ "talks_first": 2, "talks_second": 1, "talks_third": 1 }),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let (status, code, body) = error_code(
        app.post_json(
            "/api/settings/talk-quota",
            Some(&shenhe),
            &json!({ "talks_first": 5, "talks_second": 1, "talks_third": 2 }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "out_of_range"), "{body}");
    assert_eq!(body["field"], "talks_first");
    let (status, _, _) = error_code(
        app.post_json(
            "/api/settings/talk-quota",
            Some(&lianluo),
            &json!({ "talks_first": 12, "talks_second": 1, "talks_third": 1 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.count(
            "SELECT talks_first * 100 + talks_second * 10 + talks_third FROM district_settings"
        )
        .await,
        211
    );

    let r = app
        .post_json(
            "/api/settings/warning-rules",
            Some(&shenhe),
            &json!({ "rules": [{ "kind": "talk_missing", "enabled": true, "days": 10, "level": "blue" }] }),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // 2026-07-05: the first half ended five days ago, under the threshold.
    let at = |day: &str| {
        let d = domain::risk::IsoDate::parse(day, "d", "d").unwrap();
        // Noon in China.
        d.day_number() * DAY + 4 * 3_600_000
    };
    let check = |now: i64| server::warnings::check(&app.db, None, now);
    assert_eq!(check(at("2026-07-05")).await.unwrap().raised, 0);
    // 2026-07-20: past it; one warning, to the unit, however often the check runs.
    assert_eq!(check(at("2026-07-20")).await.unwrap().raised, 1);
    assert_eq!(check(at("2026-07-21")).await.unwrap().raised, 0);
    let (cause, subject, unit, reason): (String, Option<i64>, i64, String) = sqlx::query_as(
        "SELECT cause, subject_id, unit_id, reason FROM warnings WHERE rule = 'talk_missing'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let chenjing_id = app
        .count("SELECT id FROM users WHERE username = 'chenjing'")
        .await;
    assert_eq!(cause, format!("talk_missing:{chenjing_id}:2026-01-01"));
    assert_eq!(subject, None);
    assert_eq!(unit, unit_id(&app, "区交通局").await);
    assert!(
        reason.contains("2026年上半年（2026-01-01 至 2026-06-30）没有廉政谈话记录"),
        "{reason}"
    );

    // A talk held in the second half: at its end nothing is missing.
    let r = talk(&app, &lianluo, "chenjing", "2026-08-03", "半年廉政谈话").await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(check(at("2027-01-20")).await.unwrap().raised, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM warnings WHERE rule = 'talk_missing'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_persons_page_is_theirs_and_their_overseers_only() {
    let app = spawn_app().await;
    let lianluo = app.session_cookie("lianluo").await;
    let today = domain::risk::IsoDate::of_instant(now_ms()).to_string();
    let r = talk(&app, &lianluo, "chenjing", &today, "任职廉政谈话").await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // The person themselves.
    let chenjing = app.session_cookie("chenjing").await;
    let r = person(&app, &chenjing, "chenjing").await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["name"], "陈静");
    assert_eq!(page["talks"][0]["topic"], "任职廉政谈话");
    assert_eq!(page["posts"][0], "驾驶员");
    assert!(page["commitments"].is_array());
    assert!(page["warnings"].is_array());
    // The section head over the unit, and the commission.
    for reader in ["kezhang", "shenhe"] {
        let cookie = app.session_cookie(reader).await;
        assert_eq!(
            person(&app, &cookie, "chenjing").await.status(),
            200,
            "{reader}"
        );
    }
    // Another unit's section head and an administrator learn nothing, not even that the name
    // exists.
    for reader in ["kezhang_zb", "admin"] {
        let cookie = app.session_cookie(reader).await;
        let (status, code, _) = error_code(person(&app, &cookie, "chenjing").await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "{reader}");
        let (status, _, _) = error_code(person(&app, &cookie, "nobody").await).await;
        assert_eq!(status, 404);
    }
}

async fn sign_in_sheet(app: &TestApp, cookie: &str, unit: i64, file: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/units/{unit}/attendance-file")))
        .header(reqwest::header::ORIGIN, app.origin())
        .header(reqwest::header::COOKIE, cookie)
        .body(file)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_sign_in_sheet_gives_its_names_column_and_stores_nothing() {
    let app = spawn_app().await;
    let lianluo = app.session_cookie("lianluo").await;
    let transport = unit_id(&app, "区交通局").await;
    let csv = "区交通局廉政党课签到表\n序号,姓名,签到时间\n1,钱科长,9:00\n2,陈静,9:01\n3,,\n4,钱科长,9:05\n";
    let (status, read) = sign_in_sheet(&app, &lianluo, transport, csv.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read,
        json!({ "names": ["钱科长", "陈静"], "column": "姓名" })
    );

    // An Excel workbook, without a header: the first column.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "孔分管").unwrap();
    sheet.write_string(1, 0, "严联络").unwrap();
    let (status, read) =
        sign_in_sheet(&app, &lianluo, transport, book.save_to_buffer().unwrap()).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read,
        json!({ "names": ["孔分管", "严联络"], "column": "第 1 列" })
    );

    // A header with nothing under it is refused, naming the column.
    let (status, body) =
        sign_in_sheet(&app, &lianluo, transport, "姓名\n\n".as_bytes().to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("no_names")),
        "{body}"
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("姓名中没有读到姓名"));
    // Another unit's liaison may not read a sheet for this one.
    let other = app.session_cookie("lianluo_zb").await;
    let (status, _) = sign_in_sheet(&app, &other, transport, csv.as_bytes().to_vec()).await;
    assert_eq!(status, 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM education_sessions").await,
        0
    );
}

#[tokio::test]
async fn a_record_entered_by_mistake_is_voided_with_a_reason_and_no_longer_counts() {
    let app = spawn_app().await;
    let lianluo = app.session_cookie("lianluo").await;
    let today = domain::risk::IsoDate::of_instant(now_ms()).to_string();
    key_post(&app, "2025-01-01").await;
    let r = talk(&app, &lianluo, "chenjing", &today, "误录的谈话").await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let transport = unit_id(&app, "区交通局").await;
    let r = app
        .post_json(
            "/api/education/sessions",
            Some(&lianluo),
            &json!({ "unit_id": transport, "kind": "party_lecture", "held_on": today,
                     "topic": "误录的党课", "attendees": ["chenjing"] }),
        )
        .await;
    let session = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let void = |path: String, reason: &'static str| {
        let app = &app;
        let cookie = lianluo.clone();
        async move {
            app.post_json(&path, Some(&cookie), &json!({ "reason": reason }))
                .await
        }
    };

    // A reason is needed; another unit's liaison cannot see the record at all.
    let (status, code, body) =
        error_code(void(format!("/api/education/talks/{id}/void"), " ").await).await;
    assert_eq!((status, code.as_str()), (400, "required"), "{body}");
    let other = app.session_cookie("lianluo_zb").await;
    let r = app
        .post_json(
            &format!("/api/education/talks/{id}/void"),
            Some(&other),
            &json!({ "reason": "越权作废" }),
        )
        .await;
    assert_eq!(r.status(), 404);

    let r = void(format!("/api/education/talks/{id}/void"), "谈话对象选错").await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let r = void(
        format!("/api/education/sessions/{session}/void"),
        "日期记错，重新录入",
    )
    .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let (status, code, _) =
        error_code(void(format!("/api/education/talks/{id}/void"), "再次作废").await).await;
    assert_eq!((status, code.as_str()), (400, "already_voided"));

    // Kept, with who and why; gone from the page, the person's page and the count.
    let (by, reason): (String, String) = sqlx::query_as(
        "SELECT u.username, t.void_reason FROM talks t JOIN users u ON u.id = t.voided_by WHERE t.id = ?",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((by.as_str(), reason.as_str()), ("lianluo", "谈话对象选错"));
    let page: Value = app
        .server_fn("education", Some(&lianluo), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["talks"].as_array().unwrap().len(), 0);
    assert_eq!(page["sessions"].as_array().unwrap().len(), 0);
    let owed = page["owed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["username"] == "chenjing")
        .unwrap()
        .clone();
    assert_eq!(owed["held_this_year"], 0);
    let own: Value = person(&app, &lianluo, "chenjing")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["talks"].as_array().unwrap().len(), 0);
    assert_eq!(own["sessions"].as_array().unwrap().len(), 0);
    for kind in ["talk_voided", "session_voided"] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE kind = '{kind}'"
            ))
            .await,
            1,
            "{kind}"
        );
    }
}

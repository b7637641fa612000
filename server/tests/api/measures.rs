//! 措施落实 through the real router: the holder reports a measure's progress as a sync operation
//! (written offline, perhaps), applied once however often the push is repeated; nothing before the
//! sheet is approved, nothing invalid, nothing by anyone but the holder; the section head sees it
//! reported finished, sends it back with a reason, then accepts it; after that it stays as checked.
//! Each act is in the measure's log and the audit log, and the replica carries where it stands.

use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{approve, error_code, push, TestApp};

fn report(seq: i64, point: &str, status: &str, done_on: &str, note: &str) -> Value {
    json!({ "id": Uuid::new_v4(), "seq": seq, "type": "report_measure", "risk_point_id": point,
            "position": 0, "status": status, "done_on": done_on, "note": note })
}

/// The pushes' results, one per operation.
async fn results(app: &TestApp, cookie: &str, client: Uuid, ops: &[Value]) -> Vec<Value> {
    let body: Value = app
        .sync(cookie, &push("chenjing", client, ops))
        .await
        .json()
        .await
        .unwrap();
    body["results"].as_array().unwrap().clone()
}

/// The first measure of `point` as the holder's replica has it after a full pull.
async fn replica_measure(app: &TestApp, cookie: &str, point: &str) -> Value {
    let body: Value = app
        .sync(cookie, &push("chenjing", Uuid::new_v4(), &[]))
        .await
        .json()
        .await
        .unwrap();
    body["risk_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == point)
        .map(|p| p["measures"][0].clone())
        .unwrap_or_else(|| panic!("{point} not in the replica: {body}"))
}

async fn check(
    app: &TestApp,
    cookie: &str,
    point: &str,
    accept: bool,
    reason: &str,
) -> reqwest::Response {
    app.post_json(
        "/api/measures/check",
        Some(cookie),
        &json!({ "risk_point_id": point, "position": 0, "accept": accept, "reason": reason }),
    )
    .await
}

async fn events(app: &TestApp, point: &str, kind: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM measure_events WHERE risk_point_id = '{point}' AND kind = '{kind}'"
    ))
    .await
}

async fn audited(app: &TestApp, kind: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE kind = '{kind}'"
    ))
    .await
}

async fn to_check(app: &TestApp, cookie: &str) -> Value {
    let r = app.server_fn("measures", Some(cookie), "").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_report_syncs_once_and_the_section_head_sends_it_back_then_accepts_it() {
    let app = super::helpers::spawn_app().await;
    let chenjing = app.session_cookie("chenjing").await;
    let kezhang = app.session_cookie("kezhang").await;
    let post = app.post_id("区交通局", "驾驶员").await;
    let point: String = sqlx::query_scalar(
        "SELECT rp.id FROM risk_points rp JOIN current_sheets cs ON cs.id = rp.sheet_id
         WHERE cs.post_id = ? ORDER BY rp.position LIMIT 1",
    )
    .bind(post)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let client = Uuid::new_v4();
    let today = domain::risk::IsoDate::of_instant(server::db::now_ms());
    let yesterday = today.add_days(-1).to_string();

    // In 自查 the measures are still what is being approved.
    let r = results(
        &app,
        &chenjing,
        client,
        &[report(1, &point, "in_progress", "", "正在制定派车制度")],
    )
    .await;
    assert_eq!(r[0]["status"], "rejected");
    assert_eq!(r[0]["code"], "not_approved");

    approve(&app, post).await;
    // Bad reports are refused, each with its rule, and nothing is written.
    let tomorrow = today.add_days(1).to_string();
    let bad = [
        report(2, &point, "done", "", "已完成"),
        report(3, &point, "done", &tomorrow, "提前报告"),
        report(4, &point, "差不多", "", "进展顺利"),
        report(5, &point, "in_progress", "", " "),
    ];
    let r = results(&app, &chenjing, client, &bad).await;
    let codes: Vec<&str> = r.iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["required", "in_future", "unknown_value", "required"]
    );
    // Only the holder reports: a colleague does not even see the measure.
    let lina = app.session_cookie("lina").await;
    let theirs: Value = app
        .sync(
            &lina,
            &push(
                "lina",
                Uuid::new_v4(),
                &[report(1, &point, "done", &yesterday, "代为报告")],
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["results"][0]["code"], "not_found");
    assert_eq!(app.count("SELECT COUNT(*) FROM measure_events").await, 0);

    // In progress, pushed twice (the reply was lost): applied once.
    let op = report(6, &point, "in_progress", "", "正在制定派车制度");
    let once = results(&app, &chenjing, client, std::slice::from_ref(&op)).await;
    let again = results(&app, &chenjing, client, std::slice::from_ref(&op)).await;
    assert_eq!(once[0]["status"], "applied");
    assert_eq!(once, again);
    assert_eq!(events(&app, &point, "report").await, 1);
    assert_eq!(audited(&app, "measure_reported").await, 1);
    let m = replica_measure(&app, &chenjing, &point).await;
    assert_eq!(m["status"], "in_progress");
    assert_eq!(m["note"], "正在制定派车制度");
    assert!(m.get("check").is_none(), "{m}");
    // Nothing to check yet.
    assert_eq!(to_check(&app, &kezhang).await["to_check"], json!([]));

    // Finished yesterday: the section head sees it to check.
    let r = results(
        &app,
        &chenjing,
        client,
        &[report(7, &point, "done", &yesterday, "派车制度已印发执行")],
    )
    .await;
    assert_eq!(r[0]["status"], "applied", "{r:?}");
    assert_eq!(
        replica_measure(&app, &chenjing, &point).await["check"],
        "awaiting_check"
    );
    let view = to_check(&app, &kezhang).await;
    let listed = &view["to_check"][0];
    assert_eq!(listed["risk_point_id"], point.as_str());
    assert_eq!(listed["post_title"], "驾驶员");
    assert_eq!(listed["done_on"], yesterday.as_str());
    assert_eq!(listed["note"], "派车制度已印发执行");
    // Nobody else checks it: the holder has no such role, nor does the leader in charge.
    for who in ["chenjing", "fenguan"] {
        let cookie = app.session_cookie(who).await;
        assert_eq!(
            check(&app, &cookie, &point, true, "").await.status(),
            403,
            "{who}"
        );
    }
    // A send-back needs its reason, and changes nothing without one.
    let (status, code, body) = error_code(check(&app, &kezhang, &point, false, " ").await).await;
    assert_eq!((status, code.as_str()), (400, "required"));
    assert_eq!(body["field"], "reason");

    // Sent back: in progress again, with no finishing day, and the holder reads why.
    let r = check(
        &app,
        &kezhang,
        &point,
        false,
        "未见制度文件，请上传印发文件",
    )
    .await;
    assert_eq!(r.status(), 200);
    let back: Value = r.json().await.unwrap();
    assert_eq!(
        back,
        json!({ "status": "InProgress", "standing": "sent_back" })
    );
    let m = replica_measure(&app, &chenjing, &point).await;
    assert_eq!(
        (m["status"].as_str(), m["check"].as_str()),
        (Some("in_progress"), Some("sent_back"))
    );
    assert_eq!(m["note"], "未见制度文件，请上传印发文件");
    assert!(m.get("done_on").is_none(), "{m}");
    // Sent back, it is not checked again until reported finished again.
    let (_, code, _) = error_code(check(&app, &kezhang, &point, true, "").await).await;
    assert_eq!(code, "not_done");

    // Reported again and accepted: it stays as checked.
    let r = results(
        &app,
        &chenjing,
        client,
        &[report(8, &point, "done", &yesterday, "已上传印发文件")],
    )
    .await;
    assert_eq!(r[0]["status"], "applied");
    assert_eq!(check(&app, &kezhang, &point, true, "").await.status(), 200);
    let m = replica_measure(&app, &chenjing, &point).await;
    assert_eq!(
        (m["status"].as_str(), m["check"].as_str()),
        (Some("done"), Some("accepted"))
    );
    assert_eq!(m["done_on"], yesterday.as_str());
    let r = results(
        &app,
        &chenjing,
        client,
        &[report(9, &point, "in_progress", "", "返工")],
    )
    .await;
    assert_eq!(r[0]["code"], "already_accepted");
    let (_, code, _) = error_code(check(&app, &kezhang, &point, true, "").await).await;
    assert_eq!(code, "already_accepted");

    assert_eq!(events(&app, &point, "report").await, 3);
    assert_eq!(events(&app, &point, "send_back").await, 1);
    assert_eq!(events(&app, &point, "accept").await, 1);
    assert_eq!(audited(&app, "measure_sent_back").await, 1);
    assert_eq!(audited(&app, "measure_accepted").await, 1);
    // The holder was told of each check, with the reason for the send-back.
    let notices: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.kind, n.text, n.link FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE u.username = 'chenjing' AND n.kind LIKE 'measure_%' ORDER BY n.id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let kinds: Vec<&str> = notices.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(kinds, ["measure_sent_back", "measure_accepted"]);
    assert!(notices[0].1.contains("退回理由："), "{notices:?}");
    assert_eq!(notices[1].2, "/check");
    assert_eq!(to_check(&app, &kezhang).await["to_check"], json!([]));
    // The log keeps the measure's words with each act.
    let texts = app
        .count(&format!(
            "SELECT COUNT(DISTINCT measure_text) FROM measure_events WHERE risk_point_id = '{point}'"
        ))
        .await;
    assert_eq!(texts, 1);
}

#[tokio::test]
async fn an_overdue_measure_is_listed_first_and_only_to_a_section_head() {
    let app = super::helpers::spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    approve(&app, post).await;
    let today = domain::risk::IsoDate::of_instant(server::db::now_ms());
    // Two measures with due days: one passed, one to come.
    sqlx::query(
        "UPDATE measures SET due = CASE position WHEN 0 THEN ? ELSE ? END, status = 'planned'
         WHERE risk_point_id IN (SELECT rp.id FROM risk_points rp
                                 JOIN current_sheets cs ON cs.id = rp.sheet_id WHERE cs.post_id = ?)",
    )
    .bind(today.add_days(30).to_string())
    .bind(today.add_days(-3).to_string())
    .bind(post)
    .execute(app.db.pool())
    .await
    .unwrap();
    let kezhang = app.session_cookie("kezhang").await;
    let view = to_check(&app, &kezhang).await;
    let unfinished = view["unfinished"].as_array().unwrap();
    assert!(unfinished.len() >= 2, "{view}");
    assert_eq!(unfinished[0]["overdue"], true);
    assert_eq!(
        unfinished[0]["due"],
        today.add_days(-3).to_string().as_str()
    );
    assert_eq!(unfinished.last().unwrap()["overdue"], false);
    // A section head of another unit sees none of it.
    let other = app.session_cookie("kezhang_ws").await;
    let theirs = to_check(&app, &other).await;
    assert!(theirs["unfinished"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["post_id"] != post));
}

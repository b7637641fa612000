//! The approval chain through the sync path: decisions are operations, each step is checked by
//! `domain::chain`, recorded on a timeline, and refused when taken on a stale sheet.

use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{push, spawn_app, TestApp};

async fn version(app: &TestApp, post: i64) -> i64 {
    sqlx::query_scalar("SELECT version FROM risk_sheets WHERE post_id = ?")
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn stage(app: &TestApp, post: i64) -> String {
    sqlx::query_scalar("SELECT stage FROM risk_sheets WHERE post_id = ?")
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// `user` takes `decision` on the sheet of `post` as it stands now; returns the op's result.
async fn decide(app: &TestApp, user: &str, post: i64, decision: Value) -> Value {
    let seen = version(app, post).await;
    decide_on(app, user, post, seen, decision).await
}

async fn decide_on(app: &TestApp, user: &str, post: i64, seen: i64, decision: Value) -> Value {
    let cookie = app.session_cookie(user).await;
    let op = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "decide", "post_id": post, "sheet_version": seen, "decision": decision });
    let response = app.sync(&cookie, &push(user, Uuid::new_v4(), &[op])).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["results"][0].clone()
}

/// Five working days pass: the sheet's public notice period is over.
async fn end_notice_period(app: &TestApp, post: i64) {
    sqlx::query("UPDATE risk_sheets SET notice_until = 0 WHERE post_id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
}

fn approve() -> Value {
    json!({ "action": "approve" })
}

#[tokio::test]
async fn a_sheet_climbs_the_chain_is_returned_by_the_commission_and_climbs_again() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await; // a general post held by chenjing
    let holder = app.session_cookie("chenjing").await;
    let submit = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "submit_sheet", "post_id": post });
    let body: Value = app
        .sync(&holder, &push("chenjing", Uuid::new_v4(), &[submit]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["results"][0]["status"], "applied");
    assert_eq!(stage(&app, post).await, "peer_review");

    assert_eq!(
        decide(
            &app,
            "chenjing",
            post,
            json!({ "action": "close_peer_review" })
        )
        .await["status"],
        "applied"
    );
    assert_eq!(stage(&app, post).await, "section_review");

    // The holder may not pass their own sheet; a stale decision is refused with a reason.
    let own = decide(&app, "chenjing", post, approve()).await;
    assert_eq!(own["code"], "own_sheet");
    let stale = decide_on(
        &app,
        "kezhang",
        post,
        version(&app, post).await - 1,
        approve(),
    )
    .await;
    assert_eq!(stale["code"], "stale");
    assert!(stale["message"]
        .as_str()
        .unwrap()
        .contains("请刷新后重新审核"));

    for who in ["kezhang", "fenguan", "lianluo"] {
        assert_eq!(
            decide(&app, who, post, approve()).await["status"],
            "applied",
            "{who}"
        );
    }
    assert_eq!(stage(&app, post).await, "public_notice");
    let running = decide(&app, "lianluo", post, approve()).await;
    assert_eq!(running["code"], "notice_running");
    end_notice_period(&app, post).await;
    assert_eq!(
        decide(&app, "lianluo", post, approve()).await["status"],
        "applied"
    );
    assert_eq!(stage(&app, post).await, "commission_audit");

    // The commission sends it back to the section, with a reason; approvals from there up go.
    let back = decide(&app, "shenhe", post, json!({ "action": "return", "to": "SectionReview", "reason": "风险点未覆盖车辆维修费用报销" })).await;
    assert_eq!(back["status"], "applied");
    assert_eq!(stage(&app, post).await, "section_review");
    let standing: i64 = app.count("SELECT COUNT(*) FROM approvals").await;
    assert_eq!(standing, 0);

    for who in ["kezhang", "fenguan", "lianluo"] {
        assert_eq!(
            decide(&app, who, post, approve()).await["status"],
            "applied",
            "{who}"
        );
    }
    end_notice_period(&app, post).await;
    assert_eq!(
        decide(&app, "lianluo", post, approve()).await["status"],
        "applied"
    );
    assert_eq!(
        decide(&app, "shenhe", post, approve()).await["status"],
        "applied"
    );
    assert_eq!(stage(&app, post).await, "approved");

    // The timeline: every step, who, from, to, and the return's reason.
    let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT t.from_stage, t.to_stage, t.action, u.username, t.reason FROM sheet_transitions t
         JOIN users u ON u.id = t.by_user ORDER BY t.id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let steps: Vec<String> = rows
        .iter()
        .map(|(f, t, a, u, _)| format!("{u}:{a}:{f}->{t}"))
        .collect();
    assert_eq!(
        steps,
        [
            "chenjing:submit:self_check->peer_review",
            "chenjing:close_peer_review:peer_review->section_review",
            "kezhang:approve:section_review->leader_confirmation",
            "fenguan:approve:leader_confirmation->collective_review",
            "lianluo:approve:collective_review->public_notice",
            "lianluo:approve:public_notice->commission_audit",
            "shenhe:return:commission_audit->section_review",
            "kezhang:approve:section_review->leader_confirmation",
            "fenguan:approve:leader_confirmation->collective_review",
            "lianluo:approve:collective_review->public_notice",
            "lianluo:approve:public_notice->commission_audit",
            "shenhe:approve:commission_audit->approved",
        ]
    );
    assert_eq!(rows[6].4.as_deref(), Some("风险点未覆盖车辆维修费用报销"));
    let hashes: i64 = app
        .count("SELECT COUNT(DISTINCT content_hash) FROM sheet_transitions")
        .await;
    assert_eq!(
        hashes, 1,
        "no edit happened, so every step saw the same content"
    );
    let approvals: i64 = app.count("SELECT COUNT(*) FROM approvals").await;
    assert_eq!(approvals, 5);

    // The sheet page shows the same timeline, in words.
    let reviewer = app.session_cookie("shenhe").await;
    let sheet: Value = app
        .server_fn("sheet", Some(&reviewer), &format!("post_id={post}"))
        .await
        .json()
        .await
        .unwrap();
    let timeline = sheet["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 12);
    assert_eq!(timeline[6]["by"], "鲁审核");
    assert_eq!(timeline[6]["action"], "退回");
    assert_eq!(timeline[6]["reason"], "风险点未覆盖车辆维修费用报销");
    assert_eq!(timeline[11]["to"], "Approved");
}

#[tokio::test]
async fn a_reviewer_of_another_unit_and_a_return_without_a_reason_are_refused() {
    let app = spawn_app().await;
    let post = app.post_id("区卫生局", "医政科科长").await;
    let holder = app.session_cookie("xujun").await;
    let submit = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "submit_sheet", "post_id": post });
    app.sync(&holder, &push("xujun", Uuid::new_v4(), &[submit]))
        .await;
    decide(
        &app,
        "xujun",
        post,
        json!({ "action": "close_peer_review" }),
    )
    .await;
    // kezhang heads a section of the transport bureau, not the health bureau.
    assert_eq!(
        decide(&app, "kezhang", post, approve()).await["code"],
        "forbidden"
    );
    // A return without a reason does not even parse as an operation.
    let cookie = app.session_cookie("shenhe").await;
    let op = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "decide", "post_id": post, "sheet_version": 1,
                     "decision": { "action": "return", "to": "SelfCheck", "reason": "" } });
    let response = app
        .sync(&cookie, &push("shenhe", Uuid::new_v4(), &[op]))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(stage(&app, post).await, "section_review");
}

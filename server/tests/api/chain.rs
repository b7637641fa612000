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

/// The liaison records the collective-review meeting that approves `post`.
async fn meeting(app: &TestApp, post: i64) -> reqwest::Response {
    meeting_by(app, "lianluo", post).await
}

async fn meeting_by(app: &TestApp, liaison: &str, post: i64) -> reqwest::Response {
    let unit: i64 = sqlx::query_scalar("SELECT unit_id FROM posts WHERE id = ?")
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let cookie = app.session_cookie(liaison).await;
    app.post_json(
        "/api/meetings",
        Some(&cookie),
        &json!({ "unit_id": unit, "post_ids": [post], "held_on": "2026-11-20",
                 "attendees": "局长、分管副局长、各科室负责人", "decision": "同意公示",
                 "minutes_ref": "党组会纪要〔2026〕12号" }),
    )
    .await
}

async fn ok(response: reqwest::Response) {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
}

/// Seven people take one sheet through the whole chain: the holder, two colleagues in peer review
/// (one comments, one suggests a point the holder accepts), the section head, the leader in
/// charge, the liaison (meeting, objection, notice) and the commission, which returns it to the
/// section stage; it climbs again to approved.
#[tokio::test]
async fn seven_people_walk_a_sheet_through_the_chain_with_a_return_from_the_commission() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await; // a general post held by chenjing
    sqlx::query("UPDATE org_units SET required_peer_reviews = 2 WHERE name = '区交通局'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let points_before = app.count("SELECT COUNT(*) FROM risk_points").await;
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

    // Peer review: two reviews are required, and every suggestion must be decided.
    let close = json!({ "action": "close_peer_review" });
    let early = decide(&app, "chenjing", post, close.clone()).await;
    assert_eq!(early["code"], "peer_reviews_missing");
    let lina = app.session_cookie("lina").await;
    ok(app
        .post_json(
            &format!("/api/posts/{post}/peer-reviews"),
            Some(&lina),
            &json!({ "comment": "出车登记与油卡使用的风险点比较全面" }),
        )
        .await)
    .await;
    let yangli = app.session_cookie("yangli").await;
    ok(app
        .post_json(
            &format!("/api/posts/{post}/peer-reviews"),
            Some(&yangli),
            &json!({ "comment": "建议补充车辆维修环节" }),
        )
        .await)
    .await;
    ok(app
        .post_json(
            &format!("/api/posts/{post}/suggestions"),
            Some(&yangli),
            &json!({ "description": "车辆维修虚报项目或与维修厂串通抬高价格", "category": "duty",
                     "power_type": "财务报销权", "likelihood": 3, "impact": 3, "frequency": 3,
                     "measures": [{ "kind": "supervision", "text": "维修项目事前报批、事后由办公室验收签字" }] }),
        )
        .await)
    .await;
    // A section head is no colleague in peer review.
    let kezhang = app.session_cookie("kezhang").await;
    let refused = app
        .post_json(
            &format!("/api/posts/{post}/peer-reviews"),
            Some(&kezhang),
            &json!({ "comment": "看过了" }),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let pending = decide(&app, "chenjing", post, close.clone()).await;
    assert_eq!(pending["code"], "suggestions_pending");
    let suggestion: i64 = app.count("SELECT id FROM suggestions").await;
    ok(app
        .post_json(
            &format!("/api/suggestions/{suggestion}/accept"),
            Some(&holder),
            &json!({}),
        )
        .await)
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM risk_points").await,
        points_before + 1
    );
    // The point added after submission is in the audit log, by the holder, with its content.
    let (payload, actor): (String, Option<i64>) =
        sqlx::query_as("SELECT payload, actor FROM audit_log WHERE kind = 'suggestion_accepted'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["suggestion"], suggestion);
    assert_eq!(payload["post"], post);
    assert_eq!(
        payload["content"]["description"],
        "车辆维修虚报项目或与维修厂串通抬高价格"
    );
    assert_eq!(
        actor,
        Some(
            app.count("SELECT id FROM users WHERE username = 'chenjing'")
                .await
        )
    );
    assert_eq!(
        decide(&app, "chenjing", post, close).await["status"],
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

    for who in ["kezhang", "fenguan"] {
        assert_eq!(
            decide(&app, who, post, approve()).await["status"],
            "applied",
            "{who}"
        );
    }
    // Collective review is passed by recording the meeting, not by a bare approval.
    let bare = decide(&app, "lianluo", post, approve()).await;
    assert_eq!(bare["code"], "meeting_required");
    ok(meeting(&app, post).await).await;
    assert_eq!(stage(&app, post).await, "public_notice");

    // Anyone objects; an open objection holds the notice even once its period is over.
    let filed = app
        .file_objection(post, "该岗位还负责车辆加油，油卡管理风险未列入", "")
        .await;
    assert_eq!(filed.status(), 303);
    assert!(filed.headers()["location"]
        .to_str()
        .unwrap()
        .contains("filed=1"));
    end_notice_period(&app, post).await;
    let held = decide(&app, "lianluo", post, approve()).await;
    assert_eq!(held["code"], "objections_open");
    let objection: i64 = app.count("SELECT id FROM objections").await;
    let liaison = app.session_cookie("lianluo").await;
    // The answer needs its finding: 异议成立 or 不成立.
    let unfound = app
        .post_json(
            &format!("/api/objections/{objection}/resolve"),
            Some(&liaison),
            &json!({ "response": "油卡管理已列入第 2 个风险点，答复异议人" }),
        )
        .await;
    assert_eq!(unfound.status(), 400);
    let body: Value = unfound.json().await.unwrap();
    assert_eq!(
        (&body["code"], &body["field"]),
        (&json!("required"), &json!("outcome"))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM objections WHERE status = 'open'")
            .await,
        1
    );
    ok(app
        .post_json(
            &format!("/api/objections/{objection}/resolve"),
            Some(&liaison),
            &json!({ "response": "油卡管理已列入第 2 个风险点，答复异议人", "outcome": "upheld" }),
        )
        .await)
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM objections WHERE outcome = 'upheld'")
            .await,
        1
    );
    // The 公示异议成立 rule, switched on at 0 days, warns the post's holder at the next check,
    // once.
    let shenhe = app.session_cookie("shenhe").await;
    let rules = app
        .post_json(
            "/api/settings/warning-rules",
            Some(&shenhe),
            &json!({ "rules": [{ "kind": "objection_upheld", "enabled": true, "days": 0, "level": "yellow" }] }),
        )
        .await;
    assert_eq!(rules.status(), 200);
    let now = server::db::now_ms();
    assert_eq!(
        server::warnings::check(&app.db, None, now)
            .await
            .unwrap()
            .raised,
        1
    );
    assert_eq!(
        server::warnings::check(&app.db, None, now)
            .await
            .unwrap()
            .raised,
        0
    );
    let (cause, subject, level): (String, String, String) = sqlx::query_as(
        "SELECT w.cause, u.username, w.level FROM warnings w JOIN users u ON u.id = w.subject_id
         WHERE w.rule = 'objection_upheld'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (cause, subject.as_str(), level.as_str()),
        (
            format!("objection_upheld:{objection}"),
            "chenjing",
            "yellow"
        )
    );
    assert_eq!(
        decide(&app, "lianluo", post, approve()).await["status"],
        "applied"
    );
    assert_eq!(stage(&app, post).await, "commission_audit");

    // The commission sends it back to the section, with a reason; approvals from there up go.
    let back = decide(&app, "shenhe", post, json!({ "action": "return", "to": "SectionReview", "reason": "风险点未覆盖车辆维修费用报销" })).await;
    assert_eq!(back["status"], "applied");
    assert_eq!(stage(&app, post).await, "section_review");
    // The holder is told, with the reason and the sheet's link.
    let (text, link): (String, String) = sqlx::query_as(
        "SELECT n.text, n.link FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE u.username = 'chenjing' AND n.kind = 'sheet_returned'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(link, format!("/posts/{post}"));
    assert!(
        text.contains("退回至“科室把关”：风险点未覆盖车辆维修费用报销"),
        "{text}"
    );
    let standing: i64 = app.count("SELECT COUNT(*) FROM approvals").await;
    assert_eq!(standing, 0);

    for who in ["kezhang", "fenguan"] {
        assert_eq!(
            decide(&app, who, post, approve()).await["status"],
            "applied",
            "{who}"
        );
    }
    ok(meeting(&app, post).await).await;
    let running = decide(&app, "lianluo", post, approve()).await;
    assert_eq!(running["code"], "notice_running");
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

    // The commission marks the key post and its grade; nobody else may.
    let shenhe = app.session_cookie("shenhe").await;
    let grade = json!({ "key_post": true, "grade": "first" });
    let path = format!("/api/posts/{post}/supervision");
    assert_eq!(
        app.post_json(&path, Some(&kezhang), &grade).await.status(),
        403
    );
    ok(app.post_json(&path, Some(&shenhe), &grade).await).await;

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
        hashes, 2,
        "the accepted suggestion changed the content once"
    );
    let approvals: i64 = app.count("SELECT COUNT(*) FROM approvals").await;
    assert_eq!(approvals, 5);
    let meetings: i64 = app.count("SELECT COUNT(*) FROM meeting_sheets").await;
    assert_eq!(meetings, 2);

    // The sheet page shows the same timeline, in words, and the review around it.
    let sheet: Value = app
        .server_fn("sheet", Some(&shenhe), &format!("post_id={post}"))
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
    assert_eq!(sheet["supervision_grade"], "first");
    let review = &sheet["review"];
    assert_eq!(review["peer_reviews"].as_array().unwrap().len(), 2);
    assert_eq!(review["suggestions"][0]["status"], "accepted");
    assert_eq!(review["objections"][0]["open"], false);
    assert_eq!(review["meetings"].as_array().unwrap().len(), 2);
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
    // A return without a reason does not even parse as an operation: it is rejected alone.
    let cookie = app.session_cookie("shenhe").await;
    let op = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "decide", "post_id": post, "sheet_version": 1,
                     "decision": { "action": "return", "to": "SelfCheck", "reason": "" } });
    let response = app
        .sync(&cookie, &push("shenhe", Uuid::new_v4(), &[op]))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"][0]["code"], "invalid", "{body}");
    assert_eq!(stage(&app, post).await, "section_review");
}

#[tokio::test]
async fn an_empty_sheet_is_not_submitted_whichever_way_the_submission_comes() {
    let app = spawn_app().await;
    let post = app.post_id("区卫生局", "医政科科长").await;
    sqlx::query(
        "DELETE FROM risk_points WHERE sheet_id = (SELECT id FROM risk_sheets WHERE post_id = ?)",
    )
    .bind(post)
    .execute(app.db.pool())
    .await
    .unwrap();
    let submit = decide(&app, "xujun", post, json!({ "action": "submit" })).await;
    assert_eq!(submit["code"], "empty_sheet");
    assert_eq!(stage(&app, post).await, "self_check");
}

/// What the review found: a meeting cannot end a public notice, nobody answers objections to
/// their own post, the objector's contact reaches only those who answer, and the public notice
/// names no staff.
#[tokio::test]
async fn meetings_objections_and_the_public_notice_keep_to_their_limits() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    sqlx::query(
        "UPDATE risk_sheets SET stage = 'public_notice', notice_until = 0 WHERE post_id = ?",
    )
    .bind(post)
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE measures SET owner = '陈静' WHERE risk_point_id IN (SELECT p.id FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ?)")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let liaison = app.session_cookie("lianluo").await;
    let meeting = app
        .post_json(
            "/api/meetings",
            Some(&liaison),
            &json!({ "unit_id": unit, "post_ids": [post], "held_on": "2026-11-20",
                     "attendees": "全体班子成员", "decision": "同意", "minutes_ref": "纪要1号" }),
        )
        .await;
    assert_eq!(meeting.status(), 400);
    assert_eq!(
        meeting.json::<Value>().await.unwrap()["code"],
        "wrong_stage"
    );
    assert_eq!(stage(&app, post).await, "public_notice");

    let filed = app
        .file_objection(post, "油卡管理风险未列入", "13800000000")
        .await;
    assert_eq!(filed.status(), 303);
    let logged: String =
        sqlx::query_scalar("SELECT payload FROM audit_log WHERE kind = 'objection_filed'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(
        !logged.contains("13800000000"),
        "only a hash of the contact is logged"
    );

    let contact_seen_by = |user: &'static str| {
        let app = &app;
        async move {
            let cookie = app.session_cookie(user).await;
            let sheet: Value = app
                .server_fn("sheet", Some(&cookie), &format!("post_id={post}"))
                .await
                .json()
                .await
                .unwrap();
            sheet["review"]["objections"][0]["contact"].clone()
        }
    };
    assert_eq!(contact_seen_by("lianluo").await, "13800000000");
    assert_eq!(contact_seen_by("chenjing").await, Value::Null);
    assert_eq!(contact_seen_by("kezhang").await, Value::Null);

    // A liaison who holds the post may not answer the objection to it.
    sqlx::query("INSERT INTO post_holdings (post_id, user_id) SELECT ?, id FROM users WHERE username = 'lianluo'")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let objection = app.count("SELECT id FROM objections").await;
    let answer = app
        .post_json(
            &format!("/api/objections/{objection}/resolve"),
            Some(&liaison),
            &json!({ "response": "无异议", "outcome": "dismissed" }),
        )
        .await;
    assert_eq!(answer.status(), 403);

    // The public notice lists measures without who carries them out.
    let public: Value = app
        .server_fn("public_unit", None, &format!("unit_id={unit}"))
        .await
        .json()
        .await
        .unwrap();
    let text = public.to_string();
    assert!(text.contains("驾驶员"));
    assert!(!text.contains("陈静"), "{text}");
}

/// Every demo unit has its reviewers: a sheet of 区教育局 (a post of its school, 某中学, included)
/// climbs the whole chain with that unit's section head, leader in charge and liaison; another
/// unit's reviewers may not take its steps.
#[tokio::test]
async fn a_sheet_of_the_education_bureau_climbs_the_whole_chain_with_its_own_reviewers() {
    let app = spawn_app().await;
    for (unit, title) in [("区教育局", "人事科科长"), ("某中学", "总务主任")] {
        let post = app.post_id(unit, title).await;
        let holder: String = sqlx::query_scalar(
            "SELECT u.username FROM post_holders h JOIN users u ON u.id = h.user_id WHERE h.post_id = ?",
        )
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        let cookie = app.session_cookie(&holder).await;
        let submit =
            json!({ "id": Uuid::new_v4(), "seq": 1, "type": "submit_sheet", "post_id": post });
        app.sync(&cookie, &push(&holder, Uuid::new_v4(), &[submit]))
            .await;
        let close = json!({ "action": "close_peer_review" });
        assert_eq!(
            decide(&app, &holder, post, close).await["status"],
            "applied"
        );
        assert_eq!(stage(&app, post).await, "section_review");
        // 区交通局's section head has no say here.
        assert_eq!(
            decide(&app, "kezhang", post, approve()).await["code"],
            "forbidden"
        );
        for who in ["kezhang_jy", "fenguan_jy"] {
            assert_eq!(
                decide(&app, who, post, approve()).await["status"],
                "applied",
                "{who} on {title}"
            );
        }
        ok(meeting_by(&app, "lianluo_jy", post).await).await;
        end_notice_period(&app, post).await;
        assert_eq!(
            decide(&app, "lianluo_jy", post, approve()).await["status"],
            "applied"
        );
        assert_eq!(
            decide(&app, "shenhe", post, approve()).await["status"],
            "applied"
        );
        assert_eq!(stage(&app, post).await, "approved", "{title}");
    }
}

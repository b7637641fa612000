//! Deny by default: every endpoint and server function, called by every kind of user. Each entry
//! names who may use it; everyone else must be refused (401 without a session, 403 or 404 with
//! one), and those allowed must not be refused for who they are.

use reqwest::{header, Method};
use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{push, spawn_app, TestApp};

/// The cast: one user per role, a colleague in the same unit, and a holder elsewhere.
const USERS: [&str; 10] = [
    "anonymous",
    "chenjing", // holds 区交通局 · 驾驶员, the sheet under review
    "lina",     // a colleague in 区交通局 (peer reviewer)
    "kezhang",  // section head of 区交通局
    "fenguan",  // leader in charge of 区交通局
    "lianluo",  // liaison of 区交通局
    "shenhe",   // commission reviewer (district)
    "admin",    // administrator (accounts only)
    "xujun",    // holds a post in 区卫生局
    "yangli",   // a colleague in 区交通局 whose sheet is approved: she signs a commitment
];

struct Call {
    method: Method,
    path: String,
    body: Body,
    /// Who may use it; `None` means anyone, even without a session.
    allowed: Option<&'static [&'static str]>,
}

enum Body {
    None,
    Json(Value),
    Form(&'static str),
    Bytes(Vec<u8>),
}

const READERS: &[&str] = &["kezhang", "fenguan", "lianluo", "shenhe"];
const SIGNED_IN: &[&str] = &[
    "chenjing", "lina", "kezhang", "fenguan", "lianluo", "shenhe", "admin", "xujun", "yangli",
];

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

#[tokio::test]
async fn every_endpoint_refuses_everyone_it_does_not_name() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    let noticed = app.post_id("区交通局", "工程计量支付岗").await;
    let unit = scalar(&app, "SELECT id FROM org_units WHERE name = '区交通局'").await;
    // The sheet under review is in peer review, with a colleague's suggestion.
    let holder = app.session_cookie("chenjing").await;
    let submit = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "submit_sheet", "post_id": post });
    app.sync(&holder, &push("chenjing", Uuid::new_v4(), &[submit]))
        .await;
    let lina = app.session_cookie("lina").await;
    let suggestion = json!({ "description": "车辆维修虚报项目", "category": "duty", "power_type": "财务报销权",
        "likelihood": 3, "impact": 3, "frequency": 3, "measures": [{ "kind": "supervision", "text": "维修事前报批" }] });
    for _ in 0..2 {
        let r = app
            .post_json(
                &format!("/api/posts/{post}/suggestions"),
                Some(&lina),
                &suggestion,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let sid = scalar(&app, "SELECT MIN(id) FROM suggestions").await;
    let sid2 = scalar(&app, "SELECT MAX(id) FROM suggestions").await;
    // Another sheet is in its public notice, with an objection.
    sqlx::query("UPDATE risk_sheets SET stage = 'public_notice' WHERE post_id = ?")
        .bind(noticed)
        .execute(app.db.pool())
        .await
        .unwrap();
    app.client
        .post(app.url("/public/objections"))
        .header(header::ORIGIN, app.origin())
        .form(&[
            ("post_id", noticed.to_string()),
            ("text", "该岗位风险点不全".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let oid = scalar(&app, "SELECT id FROM objections").await;
    // A third sheet is approved, so its holder has a commitment to sign.
    let approved = app.post_id("区交通局", "办公室文秘").await;
    sqlx::query("UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id = ?")
        .bind(approved)
        .execute(app.db.pool())
        .await
        .unwrap();
    let shenhe = app.session_cookie("shenhe").await;
    let op = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "decide", "post_id": approved,
                     "sheet_version": 1, "decision": { "action": "approve" } });
    app.sync(&shenhe, &push("shenhe", Uuid::new_v4(), &[op]))
        .await;
    let cid = scalar(&app, "SELECT id FROM commitments").await;
    let token: String = sqlx::query_scalar("SELECT token FROM commitments WHERE id = ?")
        .bind(cid)
        .fetch_one(app.db.pool())
        .await
        .unwrap();

    // A measure of the approved sheet, for the section head's check (检验).
    let measure_point: String = sqlx::query_scalar(
        "SELECT rp.id FROM risk_points rp JOIN current_sheets cs ON cs.id = rp.sheet_id
         WHERE cs.post_id = ? ORDER BY rp.position LIMIT 1",
    )
    .bind(approved)
    .fetch_one(app.db.pool())
    .await
    .unwrap();

    let round = scalar(&app, "SELECT MAX(id) FROM rounds").await;
    // A yellow warning the commission raised about 陈静, in 区交通局.
    let raised = app
        .post_json(
            "/api/warnings",
            Some(&shenhe),
            &json!({ "unit_id": unit, "subject": "chenjing", "level": "yellow",
                     "source": "complaint", "reason": "群众反映驾驶员私用公车" }),
        )
        .await;
    assert_eq!(raised.status(), 200);
    let wid = scalar(&app, "SELECT id FROM warnings").await;
    const WARNING_READERS: &[&str] = &["chenjing", "fenguan", "shenhe"];

    let calls = vec![
        call(Method::GET, "/api/me", Body::None, Some(SIGNED_IN)),
        // 预警: bodies that fail the first check after the permission check (400), so the sweep
        // changes nothing; the check now escalates nothing that is not late.
        call(
            Method::POST,
            "/api/warnings",
            Body::Json(json!({ "unit_id": unit, "subject": "", "level": "purple",
                               "source": "complaint", "reason": "某事" })),
            Some(&["fenguan", "shenhe"]),
        ),
        call(Method::POST, "/api/warnings/check", Body::Json(json!({})), Some(&["shenhe"])),
        // 措施落实检验: the section head's list; a check of a measure nobody reported finished
        // is refused by the rule (400) after the permission check.
        call(Method::POST, "/api/fn/measures", Body::Form(""), Some(&["kezhang"])),
        call(
            Method::POST,
            "/api/measures/check",
            Body::Json(json!({ "risk_point_id": measure_point, "position": 0, "accept": true })),
            Some(&["kezhang"]),
        ),
        call(
            Method::POST,
            &format!("/api/warnings/{wid}/answer"),
            Body::Json(json!({ "analysis": "", "measures": "" })),
            Some(&["chenjing"]),
        ),
        call(
            Method::POST,
            &format!("/api/warnings/{wid}/accept"),
            Body::Json(json!({})),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            &format!("/api/warnings/{wid}/send-back"),
            Body::Json(json!({ "reason": "" })),
            Some(&["shenhe"]),
        ),
        call(Method::POST, "/api/fn/warnings", Body::Form(""), Some(SIGNED_IN)),
        // One's own notifications: every signed-in user, nobody else's.
        call(Method::POST, "/api/fn/notifications", Body::Form(""), Some(SIGNED_IN)),
        call(
            Method::POST,
            "/api/notifications/read",
            Body::Json(json!({ "up_to": 0 })),
            Some(SIGNED_IN),
        ),
        call(
            Method::POST,
            "/api/fn/warning",
            Body::Form(leak(format!("id={wid}"))),
            Some(WARNING_READERS),
        ),
        // No units: the commission gets past the permission check to the empty-scope refusal
        // (400), so the sweep starts no round.
        call(
            Method::POST,
            "/api/rounds",
            Body::Json(json!({ "name": "2027 年度试点", "year": 2027, "deadline": "2099-12-31",
                               "units": [], "pilot": true })),
            Some(&["shenhe"]),
        ),
        call(Method::POST, "/api/fn/rounds", Body::Form(""), Some(&["shenhe"])),
        // An unknown new holder: allowed users get past the permission check to a 400.
        call(
            Method::POST,
            &format!("/api/posts/{post}/handover"),
            Body::Json(json!({ "from": "chenjing", "to": "nobody-here", "on": "2026-01-01" })),
            Some(&["lianluo", "admin"]),
        ),
        call(
            Method::POST,
            &format!("/api/posts/{post}/holders/end"),
            Body::Json(json!({ "username": "chenjing", "on": "not-a-date" })),
            Some(&["lianluo", "admin"]),
        ),
        call(
            Method::POST,
            "/api/fn/unit_posts",
            Body::Form(leak(format!("unit_id={unit}"))),
            Some(&["kezhang", "fenguan", "lianluo", "shenhe", "admin"]),
        ),
        call(
            Method::POST,
            "/api/fn/round",
            Body::Form(leak(format!("id={round}"))),
            Some(&["shenhe"]),
        ),
        // 组织机构 and 区纪委设置: input that fails the first check after the permission check, so
        // those allowed get a 400 and nothing changes.
        call(
            Method::POST,
            "/api/org/units",
            Body::Json(json!({ "parent_id": unit, "name": "" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            &format!("/api/org/units/{unit}"),
            Body::Json(json!({ "name": "" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/org/posts",
            Body::Json(json!({ "unit_id": unit, "title": "", "level": "general" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            &format!("/api/org/posts/{post}"),
            Body::Json(json!({ "title": "", "level": "general" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/users",
            Body::Json(json!({ "username": "x", "display_name": "某人", "unit_id": unit,
                               "roles": [], "temporary_password": "Temporary2026x" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/users/roles",
            Body::Json(json!({ "username": "zhaolei", "roles": [{ "role": "Admin", "scope_id": 999_999 }] })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/org/import?table=units&dry_run=true",
            Body::Bytes("上级单位,单位名称\n".as_bytes().to_vec()),
            Some(&["admin"]),
        ),
        call(
            Method::GET,
            "/api/org/export/units.csv",
            Body::None,
            Some(&["admin", "shenhe"]),
        ),
        call(
            Method::GET,
            "/api/org/export/staff.xlsx",
            Body::None,
            Some(&["admin", "shenhe"]),
        ),
        call(Method::POST, "/api/fn/org", Body::Form(""), Some(&["admin", "shenhe"])),
        call(Method::POST, "/api/fn/settings", Body::Form(""), Some(&["admin", "shenhe"])),
        call(
            Method::POST,
            "/api/settings",
            Body::Json(json!({ "notice_days": 0, "cadence_first": 6, "cadence_second": 12, "cadence_third": 24 })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/calendar",
            Body::Json(json!({ "days": "" })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/warning-rules",
            Body::Json(json!({ "rules": [{ "kind": "measure_overdue", "enabled": true, "days": -1, "level": "blue" }] })),
            Some(&["shenhe"]),
        ),
        // 风险库: the commission's alone; a write refused by its rule (400) or its missing entry
        // (404) after the permission check.
        call(
            Method::POST,
            "/api/fn/catalogue",
            Body::Form(""),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/catalogue/entries",
            Body::Json(json!({ "wording": "采购收受回扣", "points": [] })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/catalogue/entries/0",
            Body::Json(json!({ "wording": "采购收受回扣" })),
            Some(&[]),
        ),
        call(
            Method::POST,
            "/api/catalogue/unlink",
            Body::Json(json!({ "point": "none" })),
            Some(&["shenhe"]),
        ),
        // 廉政教育: the page and its records for the commission, a leader in charge and the
        // liaison; a record refused by its rule (400) after the permission check; the person's
        // page for the person and those over their unit.
        call(
            Method::POST,
            "/api/fn/education",
            Body::Form(""),
            Some(&["fenguan", "lianluo", "shenhe"]),
        ),
        call(
            Method::POST,
            "/api/education/talks",
            Body::Json(json!({ "subject": "chenjing", "talker": "", "held_on": "", "topic": "" })),
            Some(&["fenguan", "lianluo", "shenhe"]),
        ),
        call(
            Method::POST,
            "/api/education/sessions",
            Body::Json(json!({ "unit_id": unit, "kind": "party_lecture", "held_on": "", "topic": "" })),
            Some(&["fenguan", "lianluo", "shenhe"]),
        ),
        call(
            Method::POST,
            &format!("/api/units/{unit}/attendance-file"),
            Body::Bytes("姓名\n陈静\n".as_bytes().to_vec()),
            Some(&["fenguan", "lianluo", "shenhe"]),
        ),
        // Voiding a record that does not exist: 404 for those who may void, after the check.
        call(
            Method::POST,
            "/api/education/talks/0/void",
            Body::Json(json!({ "reason": "误录" })),
            Some(&[]),
        ),
        call(
            Method::POST,
            "/api/fn/person",
            Body::Form("username=chenjing"),
            Some(&["chenjing", "kezhang", "fenguan", "lianluo", "shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/talk-quota",
            Body::Json(json!({ "talks_first": -1, "talks_second": 0, "talks_third": 0 })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/robots",
            Body::Json(json!({ "unit_id": 0, "kind": "wecom", "url": "http://example.com/hook" })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/robots/remove",
            Body::Json(json!({ "unit_id": 0 })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            "/api/settings/robots/test",
            Body::Json(json!({ "unit_id": 0 })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            &format!("/api/rounds/{round}/matrix"),
            Body::Json(json!({ "high_min": 5, "medium_min": 9 })),
            Some(&["shenhe"]),
        ),
        call(Method::GET, "/api/health", Body::None, None),
        // Holding a session's sign-out handle is the right to end it: anyone, and a handle of
        // no session ends nothing.
        call(
            Method::POST,
            "/api/sessions/end",
            Body::Json(json!({ "sessions": ["0".repeat(64)] })),
            None,
        ),
        // A wrong current password is the user's own mistake (400), not a refusal.
        call(
            Method::POST,
            "/api/account/password",
            Body::Json(json!({ "current_password": "not-it-123", "new_password": "Another2026x" })),
            Some(SIGNED_IN),
        ),
        call(
            Method::POST,
            "/api/account/sessions/end-others",
            Body::Json(json!({})),
            Some(SIGNED_IN),
        ),
        call(
            Method::POST,
            "/api/users/password-reset",
            Body::Json(json!({ "username": "zhaolei", "temporary_password": "Temporary2026x" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/users/unlock",
            Body::Json(json!({ "username": "zhaolei" })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/users/active",
            Body::Json(json!({ "username": "zhaolei", "active": true })),
            Some(&["admin"]),
        ),
        call(
            Method::POST,
            "/api/sync",
            Body::Json(json!({ "user": "x", "client_id": Uuid::new_v4(), "ops": [] })),
            Some(SIGNED_IN),
        ),
        call(Method::POST, "/api/fn/home", Body::Form(""), Some(SIGNED_IN)),
        call(Method::POST, "/api/fn/accounts", Body::Form(""), Some(&["admin"])),
        call(Method::POST, "/api/fn/sessions", Body::Form(""), Some(SIGNED_IN)),
        call(
            Method::POST,
            "/api/fn/sheet",
            Body::Form(leak(format!("post_id={post}"))),
            Some(&[
                "chenjing", "lina", "yangli", "kezhang", "fenguan", "lianluo", "shenhe",
            ]),
        ),
        call(
            Method::POST,
            "/api/fn/handbook",
            Body::Form(leak(format!("unit_id={unit}"))),
            Some(READERS),
        ),
        call(
            Method::POST,
            "/api/fn/public_unit",
            Body::Form(leak(format!("unit_id={unit}"))),
            None,
        ),
        call(Method::POST, "/api/fn/public_units", Body::Form(""), None),
        // The transparency log is public: a visitor, a witness and an outside verifier check
        // it without an account.
        call(Method::GET, "/api/transparency/heads", Body::None, None),
        call(Method::GET, "/api/transparency/inclusion?seq=1", Body::None, None),
        call(Method::GET, "/api/transparency/consistency?from=0", Body::None, None),
        call(Method::POST, "/api/fn/transparency", Body::Form(""), None),
        call(
            Method::POST,
            &format!("/api/posts/{post}/peer-reviews"),
            Body::Json(json!({ "comment": "风险点较全面" })),
            Some(&["lina", "yangli"]),
        ),
        call(
            Method::POST,
            &format!("/api/posts/{post}/suggestions"),
            Body::Json(suggestion.clone()),
            Some(&["lina", "yangli"]),
        ),
        call(
            Method::POST,
            &format!("/api/suggestions/{sid}/decline"),
            Body::Json(json!({ "reason": "已在第 1 个风险点中涵盖" })),
            Some(&["chenjing"]),
        ),
        call(
            Method::POST,
            &format!("/api/suggestions/{sid2}/accept"),
            Body::Json(json!({})),
            Some(&["chenjing"]),
        ),
        call(
            Method::POST,
            "/api/meetings",
            Body::Json(json!({ "unit_id": unit, "post_ids": [post], "held_on": "2026-11-20",
                "attendees": "全体班子成员", "decision": "同意公示", "minutes_ref": "纪要12号" })),
            Some(&["lianluo"]),
        ),
        call(
            Method::POST,
            &format!("/api/objections/{oid}/resolve"),
            Body::Json(json!({ "response": "已核实并补充风险点", "outcome": "upheld" })),
            Some(&["lianluo"]),
        ),
        call(
            Method::POST,
            &format!("/api/posts/{post}/supervision"),
            Body::Json(json!({ "key_post": true, "grade": "second" })),
            Some(&["shenhe"]),
        ),
        call(
            Method::GET,
            &format!("/api/units/{unit}/export.csv"),
            Body::None,
            Some(READERS),
        ),
        call(
            Method::GET,
            &format!("/api/units/{unit}/export.xlsx"),
            Body::None,
            Some(READERS),
        ),
        call(
            Method::POST,
            &format!("/api/units/{unit}/import?dry_run=true"),
            Body::Bytes(
                "unit\tpost\tpost_level\tduty\trisk_point\tcategory\tpower_type\tlikelihood\timpact\tlevel\tmeasures\n"
                    .as_bytes()
                    .to_vec(),
            ),
            Some(&["lianluo", "admin"]),
        ),
        call(
            Method::POST,
            "/api/fn/commitment",
            Body::Form(leak(format!("id={cid}"))),
            Some(&["yangli", "kezhang", "fenguan", "lianluo", "shenhe"]),
        ),
        call(
            Method::POST,
            "/api/fn/verification",
            Body::Form(leak(format!("token={token}"))),
            None,
        ),
        call(
            Method::POST,
            "/api/fn/rollup",
            Body::Form(leak(format!("unit_id={unit}"))),
            Some(READERS),
        ),
        call(Method::POST, "/api/fn/template", Body::Form(""), Some(&["shenhe"])),
        call(
            Method::POST,
            "/api/fn/template",
            Body::Form("post_level=Leadership"),
            Some(&["shenhe"]),
        ),
        call(Method::POST, "/api/fn/audit", Body::Form(""), Some(&["shenhe", "admin"])),
        call(
            Method::POST,
            &format!("/api/commitments/{cid}/remind"),
            Body::Json(json!({})),
            Some(READERS),
        ),
        call(
            Method::POST,
            "/api/commitment-template",
            Body::Json(json!({ "title": "廉政风险防范承诺书", "body": "本人{{姓名}}承诺落实：\n{{风险点及防控措施}}" })),
            Some(&["shenhe"]),
        ),
        call(
            Method::POST,
            &format!("/api/commitments/{cid}/sign"),
            Body::Json(json!({ "kind": "typed", "typed_name": "杨丽", "password": "lianfang2026", "confirmed": true })),
            Some(&["yangli"]),
        ),
    ];

    let mut checked = 0;
    for user in USERS {
        let cookie = match user {
            "anonymous" => None,
            name => Some(app.session_cookie(name).await),
        };
        for c in &calls {
            let mut request = app
                .client
                .request(c.method.clone(), app.url(&c.path))
                .header(header::ORIGIN, app.origin());
            if let Some(cookie) = &cookie {
                request = request.header(header::COOKIE, cookie);
            }
            request = match &c.body {
                Body::None => request,
                Body::Json(v) => request.json(v),
                Body::Form(f) => request
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(*f),
                Body::Bytes(b) => request.body(b.clone()),
            };
            let status = request.send().await.unwrap().status().as_u16();
            let allowed = c.allowed.is_none_or(|who| who.contains(&user));
            let refused = matches!(status, 401 | 403 | 404);
            if allowed {
                assert!(
                    !refused,
                    "{user} may use {} {} but got {status}",
                    c.method, c.path
                );
            } else if user == "anonymous" {
                assert_eq!(status, 401, "anonymous {} {}", c.method, c.path);
            } else {
                assert!(
                    refused,
                    "{user} must be refused {} {} but got {status}",
                    c.method, c.path
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, USERS.len() * calls.len());

    // Signed-in pages send a visitor without a session to the login page; public pages do not.
    for page in [
        "/".to_owned(),
        format!("/posts/{post}"),
        format!("/units/{unit}/handbook"),
        format!("/units/{unit}/meeting"),
        format!("/units/{unit}/import"),
        format!("/units/{unit}/commitments"),
        format!("/commitments/{cid}"),
        "/commitment-template".to_owned(),
        "/admin/audit".to_owned(),
        "/rounds".to_owned(),
        format!("/units/{unit}/posts"),
        format!("/rounds/{round}"),
        "/admin/org".to_owned(),
        "/admin/org/import".to_owned(),
        "/settings".to_owned(),
        "/warnings".to_owned(),
        format!("/warnings/{wid}"),
        "/notifications".to_owned(),
    ] {
        let r = app.client.get(app.url(&page)).send().await.unwrap();
        assert!(r.status().is_redirection(), "{page}: {}", r.status());
        assert!(r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login"));
    }
    let public = app
        .client
        .get(app.url(&format!("/public/units/{unit}")))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    let verification = app
        .client
        .get(app.url(&format!("/verify/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(verification.status(), 200);
}

fn call(method: Method, path: &str, body: Body, allowed: Option<&'static [&'static str]>) -> Call {
    Call {
        method,
        path: path.to_owned(),
        body,
        allowed,
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

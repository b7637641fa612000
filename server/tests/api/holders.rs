//! 轮岗交流: a handover ends the former holding and starts the new one on the same day; the new
//! holder inherits the post's approved points and gets a commitment; the former holder's signed
//! commitment stays on record and on its verification page; refusals change nothing.

use serde_json::{json, Value};

use super::helpers::{approve, error_code, spawn_app, TestApp, PASSWORD};

async fn new_user(app: &TestApp, username: &str, name: &str) -> i64 {
    let hash = server::auth::password::hash(PASSWORD).unwrap();
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    server::store::accounts::ensure_user(&mut conn, username, name, unit, &hash, 0)
        .await
        .unwrap()
}

fn today() -> String {
    domain::time::china_day(server::db::now_ms())
}

#[tokio::test]
async fn a_handover_passes_the_post_and_its_points_and_keeps_the_signed_commitment() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await; // held by chenjing
    approve(&app, post).await;
    let signed = app.count("SELECT id FROM commitments").await;
    let chenjing = app.session_cookie("chenjing").await;
    let typed =
        json!({ "kind": "typed", "typed_name": "陈静", "password": PASSWORD, "confirmed": true });
    let r = app
        .post_json(
            &format!("/api/commitments/{signed}/sign"),
            Some(&chenjing),
            &typed,
        )
        .await;
    assert_eq!(r.status(), 200);
    let token: String = sqlx::query_scalar("SELECT token FROM commitments WHERE id = ?")
        .bind(signed)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    new_user(&app, "xinren", "辛任").await;
    let liaison = app.session_cookie("lianluo").await;
    let day = today();

    let r = app
        .post_json(
            &format!("/api/posts/{post}/handover"),
            Some(&liaison),
            &json!({ "from": "chenjing", "to": "xinren", "on": day }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["commitment"], true, "{done}");
    assert_eq!(done["withdrawn"], 0, "the signed one is not withdrawn");

    // Holdings: chenjing's ended today, xinren's started today; history kept.
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT u.username, h.started_on, h.ended_on FROM post_holdings h JOIN users u ON u.id = h.user_id WHERE h.post_id = ? ORDER BY h.id",
    )
    .bind(post)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            ("chenjing".to_owned(), None, Some(day.clone())),
            ("xinren".to_owned(), Some(day.clone()), None),
        ]
    );
    // The new holder reads the post's approved points; the former holder no longer does.
    let xinren = app.session_cookie("xinren").await;
    let sheet = app
        .server_fn("sheet", Some(&xinren), &format!("post_id={post}"))
        .await;
    assert_eq!(sheet.status(), 200);
    let sheet: Value = sheet.json().await.unwrap();
    let points = app
        .count(&format!(
            "SELECT COUNT(*) FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id WHERE rs.post_id = {post}"
        ))
        .await;
    assert_eq!(
        sheet["risk_points"].as_array().unwrap().len() as i64,
        points
    );
    assert_eq!(
        app.server_fn("sheet", Some(&chenjing), &format!("post_id={post}"))
            .await
            .status(),
        403
    );
    // A commitment to sign for the new holder; the signed one stays, on its public page too.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM commitments c JOIN users u ON u.id = c.user_id WHERE u.username = 'xinren' AND c.post_id = {post} AND c.seal IS NULL AND c.superseded = 0"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM commitments WHERE id = {signed} AND seal IS NOT NULL AND superseded = 0"
        ))
        .await,
        1
    );
    let page = app
        .client
        .get(app.url(&format!("/verify/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("陈静"));
    // Both acts are in the audit log.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject = 'post:{post}' AND kind IN ('holder_ended', 'holder_started')"
        ))
        .await,
        2
    );
    // 岗位与人员 shows both, for the liaison.
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let view: Value = app
        .server_fn("unit_posts", Some(&liaison), &format!("unit_id={unit}"))
        .await
        .json()
        .await
        .unwrap();
    let driver = view["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["post_id"] == post)
        .unwrap();
    assert_eq!(driver["holdings"][0]["username"], "xinren");
    assert_eq!(driver["holdings"][1]["username"], "chenjing");
    assert_eq!(driver["may_hand_over"], true);
}

#[tokio::test]
async fn a_handover_that_breaks_a_rule_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let post = app.post_id("区交通局", "驾驶员").await;
    let other = app.post_id("区交通局", "办公室文秘").await;
    approve(&app, other).await; // yangli's commitment, unsigned
    new_user(&app, "xinren", "辛任").await;
    let quit = new_user(&app, "lizhi", "离职").await;
    sqlx::query("UPDATE users SET active = 0 WHERE id = ?")
        .bind(quit)
        .execute(app.db.pool())
        .await
        .unwrap();
    let liaison = app.session_cookie("lianluo").await;
    let day = today();
    let holdings = app.count("SELECT COUNT(*) FROM post_holdings").await;
    let entries = app.count("SELECT COUNT(*) FROM audit_log").await;
    let cases = [
        (
            json!({ "from": "chenjing", "to": "nobody", "on": day }),
            "unknown_user",
        ),
        (
            json!({ "from": "chenjing", "to": "lizhi", "on": day }),
            "inactive_user",
        ),
        (
            json!({ "from": "chenjing", "to": "xinren", "on": "2099-01-01" }),
            "in_the_future",
        ),
        (
            json!({ "from": "chenjing", "to": "xinren", "on": "2026/01/01" }),
            "invalid_date",
        ),
        // chenjing holds it already: a second, overlapping holding.
        (
            json!({ "to": "chenjing", "on": day }),
            "overlapping_holding",
        ),
        (
            json!({ "from": "lina", "to": "xinren", "on": day }),
            "not_holder",
        ),
        (
            json!({ "from": "chenjing", "to": "chenjing", "on": day }),
            "overlapping_holding",
        ),
    ];
    for (body, expected) in cases {
        let (status, code, body) = error_code(
            app.post_json(
                &format!("/api/posts/{post}/handover"),
                Some(&liaison),
                &body,
            )
            .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (400, expected), "{body}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM post_holdings").await,
        holdings
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, entries);
    // Another unit's liaison, a section head, the holder: refused.
    for who in ["lianluo_ws", "kezhang", "chenjing"] {
        let cookie = app.session_cookie(who).await;
        let r = app
            .post_json(
                &format!("/api/posts/{post}/handover"),
                Some(&cookie),
                &json!({ "from": "chenjing", "to": "xinren", "on": day }),
            )
            .await;
        assert_eq!(r.status(), 403, "{who}");
    }
    // The former holder of the approved post never signed: that commitment is withdrawn.
    let r = app
        .post_json(
            &format!("/api/posts/{other}/handover"),
            Some(&liaison),
            &json!({ "from": "yangli", "to": "xinren", "on": day }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["withdrawn"], 1);
    // A holder leaves with nobody taking over.
    let r = app
        .post_json(
            &format!("/api/posts/{post}/holders/end"),
            Some(&liaison),
            &json!({ "username": "chenjing", "on": day }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM post_holders WHERE post_id = {post}"
        ))
        .await,
        0
    );
}

//! Who reads which sheets, through the server functions the UI calls. Deny by default.

use super::helpers::{error_code, spawn_app};

#[tokio::test]
async fn a_post_holder_reads_their_own_sheet_with_its_risk_points() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let own = app.post_id("区交通局", "局长").await;
    let response = app
        .server_fn("sheet", Some(&cookie), &format!("post_id={own}"))
        .await;
    assert_eq!(response.status(), 200);
    let sheet: serde_json::Value = response.json().await.unwrap();
    assert_eq!(sheet["post_title"], "局长");
    let points = sheet["risk_points"].as_array().unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["level"], "High");
    assert_eq!(points[0]["measures"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_user_of_one_unit_cannot_read_another_units_sheets() {
    let app = spawn_app().await;
    let health_post = app.post_id("区卫生局", "医政科科长").await;
    let colleague_post = app.post_id("区交通局", "驾驶员").await;

    // A post holder of the transport bureau: neither another unit's post nor a colleague's.
    let holder = app.session_cookie("zhangwei").await;
    for post in [health_post, colleague_post] {
        let (status, code, body) = error_code(
            app.server_fn("sheet", Some(&holder), &format!("post_id={post}"))
                .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (403, "forbidden"));
        assert_eq!(body["message"], "您没有查看或操作此内容的权限");
    }

    // The transport bureau's section head reads its posts, not the health bureau's.
    let head = app.session_cookie("kezhang").await;
    assert_eq!(
        app.server_fn("sheet", Some(&head), &format!("post_id={colleague_post}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.server_fn("sheet", Some(&head), &format!("post_id={health_post}"))
            .await
            .status(),
        403
    );

    // The commission reviewer's scope is the whole district.
    let reviewer = app.session_cookie("shenhe").await;
    assert_eq!(
        app.server_fn("sheet", Some(&reviewer), &format!("post_id={health_post}"))
            .await
            .status(),
        200
    );

    // The administrator manages accounts and reads no sheets.
    let admin = app.session_cookie("admin").await;
    assert_eq!(
        app.server_fn("sheet", Some(&admin), &format!("post_id={health_post}"))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn an_unknown_post_is_not_found() {
    let app = spawn_app().await;
    let reviewer = app.session_cookie("shenhe").await;
    let (status, code, body) = error_code(
        app.server_fn("sheet", Some(&reviewer), "post_id=999999")
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert_eq!(body["message"], "该岗位不存在");
    // Another unit's existing post stays 403: see a_user_of_one_unit_cannot_read_another_units_sheets.
}

#[tokio::test]
async fn the_home_view_lists_only_what_the_user_may_read() {
    let app = spawn_app().await;
    let holder = app.session_cookie("zhangwei").await;
    let home: serde_json::Value = app
        .server_fn("home", Some(&holder), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(home["my_sheets"].as_array().unwrap().len(), 1);
    assert!(home["in_scope"].as_array().unwrap().is_empty());

    let head = app.session_cookie("kezhang").await;
    let home: serde_json::Value = app
        .server_fn("home", Some(&head), "")
        .await
        .json()
        .await
        .unwrap();
    let units: Vec<&str> = home["in_scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["unit"].as_str().unwrap())
        .collect();
    assert_eq!(
        units.len(),
        7,
        "the transport bureau has seven posts: {units:?}"
    );
    assert!(units.iter().all(|u| *u == "区交通局"));
}

#[tokio::test]
async fn server_functions_refuse_callers_without_a_session() {
    let app = spawn_app().await;
    for (name, body) in [("home", ""), ("sheet", "post_id=1")] {
        let (status, code, _) = error_code(app.server_fn(name, None, body).await).await;
        assert_eq!((status, code.as_str()), (401, "unauthenticated"), "{name}");
    }
}

#[tokio::test]
async fn bad_server_function_input_is_a_400_not_a_500() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    for body in ["post_id=abc", "", "post_id=1&post_id=2&post_id"] {
        let (status, code, json) =
            error_code(app.server_fn("sheet", Some(&cookie), body).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{body:?}");
        assert!(json["message"]
            .as_str()
            .unwrap()
            .starts_with("请求参数无效"));
    }
    let (status, code, _) =
        error_code(app.server_fn("no_such_function", Some(&cookie), "").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let response = app
        .client
        .get(app.url("/api/nothing/here"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

/// The server keeps who holds what in memory; a role granted or taken away by another process
/// (the CLI, an administrator's tool) takes effect at the very next request, never later.
#[tokio::test]
async fn a_role_granted_or_revoked_elsewhere_takes_effect_at_the_next_request() {
    let app = spawn_app().await;
    let health_post = app.post_id("区卫生局", "医政科科长").await;
    let head = app.session_cookie("kezhang").await;
    let read = || async {
        app.server_fn("sheet", Some(&head), &format!("post_id={health_post}"))
            .await
            .status()
    };
    assert_eq!(read().await, 403);

    let health: i64 = app
        .count("SELECT id FROM org_units WHERE name = '区卫生局'")
        .await;
    let user: i64 = app
        .count("SELECT id FROM users WHERE username = 'kezhang'")
        .await;
    sqlx::query(
        "INSERT INTO role_assignments (user_id, role, scope_unit_id) VALUES (?, 'section_head', ?)",
    )
    .bind(user)
    .bind(health)
    .execute(app.db.pool())
    .await
    .unwrap();
    assert_eq!(read().await, 200, "the new role counts at once");

    sqlx::query("DELETE FROM role_assignments WHERE user_id = ? AND scope_unit_id = ?")
        .bind(user)
        .bind(health)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(read().await, 403, "and so does its removal");
}

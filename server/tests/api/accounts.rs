//! Accounts an administrator runs: deactivation ends sessions at once and keeps history; a reset
//! password must be changed before anything else; a user's own change ends their other sessions.

use reqwest::header;
use serde_json::{json, Value};
use uuid::Uuid;

use super::helpers::{error_code, push, spawn_app, PASSWORD};

#[tokio::test]
async fn a_deactivated_user_is_signed_out_at_once_and_their_history_stays() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let phone = app.session_cookie("wangfang").await;
    let entries_before = app.count("SELECT COUNT(*) FROM audit_log").await;

    let done = app
        .post_json(
            "/api/users/active",
            Some(&admin),
            &json!({ "username": "wangfang", "active": false }),
        )
        .await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        app.me_status(&phone).await,
        401,
        "the open session ended at once"
    );
    let (status, code, _) = error_code(app.login_json("wangfang", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE username = 'wangfang' AND active = 0")
            .await,
        1,
        "the account and everything it did stay"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'account_deactivated' AND subject = 'user:wangfang'").await,
        1
    );
    assert!(app.count("SELECT COUNT(*) FROM audit_log").await > entries_before);

    let back = app
        .post_json(
            "/api/users/active",
            Some(&admin),
            &json!({ "username": "wangfang", "active": true }),
        )
        .await;
    assert_eq!(back.status(), 200);
    assert_eq!(app.login_json("wangfang", PASSWORD).await.status(), 200);

    // Nobody deactivates themselves or the last administrator; only administrators deactivate.
    let (status, code, _) = error_code(
        app.post_json(
            "/api/users/active",
            Some(&admin),
            &json!({ "username": "admin", "active": false }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "own_account"));
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args([
            "--database",
            app.db_file.to_str().unwrap(),
            "deactivate",
            "admin",
        ])
        .env("LIANFANG_LOG", "error")
        .output()
        .unwrap();
    assert!(!cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stderr).contains("唯一在用的系统管理员"));
    let lina = app.session_cookie("lina").await;
    let (status, _, _) = error_code(
        app.post_json(
            "/api/users/active",
            Some(&lina),
            &json!({ "username": "wangfang", "active": false }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, code, _) = error_code(
        app.post_json(
            "/api/users/active",
            Some(&admin),
            &json!({ "username": "nobody", "active": false }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

#[tokio::test]
async fn a_reset_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let before = app.session_cookie("chenjing").await;
    let temporary = "Temporary2026x";
    let weak = app
        .post_json(
            "/api/users/password-reset",
            Some(&admin),
            &json!({ "username": "chenjing", "temporary_password": "short" }),
        )
        .await;
    assert_eq!(error_code(weak).await.1, "too_short");
    let reset = app
        .post_json(
            "/api/users/password-reset",
            Some(&admin),
            &json!({ "username": "chenjing", "temporary_password": temporary }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        app.me_status(&before).await,
        401,
        "the reset ends every session"
    );
    assert_eq!(app.login_json("chenjing", PASSWORD).await.status(), 401);

    // Signed in with the temporary password: every page leads to the password form...
    let response = app.login_json("chenjing", temporary).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["must_change_password"], true);
    let cookie = app.session_cookie_with("chenjing", temporary).await;
    let home = app
        .client
        .get(app.url("/"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()[header::LOCATION], "/account?must_change=1");
    // ...and nothing else is accepted.
    let post = app.post_id("区交通局", "驾驶员").await;
    let op = json!({ "id": Uuid::new_v4(), "seq": 1, "type": "submit_sheet", "post_id": post });
    let (status, _, body) = error_code(
        app.sync(&cookie, &push("chenjing", Uuid::new_v4(), &[op]))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("请先设置自己的新密码"));

    let change = |current: &str, new: &str| {
        let body = json!({ "current_password": current, "new_password": new });
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.post_json("/api/account/password", Some(&cookie), &body)
                .await
        }
    };
    assert_eq!(
        error_code(change("wrong-one-123", "NewSecret2026").await)
            .await
            .1,
        "wrong_password"
    );
    assert_eq!(
        error_code(change(temporary, "nodigits-here").await).await.1,
        "too_weak"
    );
    assert_eq!(
        error_code(change(temporary, temporary).await).await.1,
        "same_password"
    );
    assert_eq!(change(temporary, "NewSecret2026").await.status(), 200);
    let home = app
        .client
        .get(app.url("/"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200, "the same session goes on");
    assert_eq!(app.login_json("chenjing", temporary).await.status(), 401);
    assert_eq!(
        app.login_json("chenjing", "NewSecret2026").await.status(),
        200
    );
    for kind in ["password_reset", "password_changed"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE kind = '{kind}' AND subject = 'user:chenjing'"))
                .await,
            1,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_user_ends_their_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let desk = app.session_cookie("lina").await;
    let phone = app.session_cookie("lina").await;
    let colleague = app.session_cookie("liuyang").await;
    let listed: Value = app
        .server_fn("sessions", Some(&desk), "")
        .await
        .json()
        .await
        .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    let ended: Value = app
        .post_json("/api/account/sessions/end-others", Some(&desk), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ended["ended"], 1);
    assert_eq!(app.me_status(&desk).await, 200);
    assert_eq!(app.me_status(&phone).await, 401);
    assert_eq!(app.me_status(&colleague).await, 200);
    let listed: Value = app
        .server_fn("sessions", Some(&desk), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["current"], true);
}

#[tokio::test]
async fn the_administrator_lists_every_account_with_its_state() {
    let app = spawn_app().await;
    let admin = app.session_cookie("admin").await;
    let deactivate = json!({ "username": "zhaolei", "active": false });
    app.post_json("/api/users/active", Some(&admin), &deactivate)
        .await;
    let list: Value = app
        .server_fn("accounts", Some(&admin), "")
        .await
        .json()
        .await
        .unwrap();
    let accounts = list.as_array().unwrap();
    assert_eq!(
        accounts.len() as i64,
        app.count("SELECT COUNT(*) FROM users").await
    );
    let zhaolei = accounts
        .iter()
        .find(|a| a["username"] == "zhaolei")
        .unwrap();
    assert_eq!(zhaolei["active"], false);
    let admin_row = accounts.iter().find(|a| a["username"] == "admin").unwrap();
    assert_eq!(admin_row["admin"], true);
    // The page renders for the administrator; the list is refused to anyone else.
    let page = app
        .client
        .get(app.url("/admin/accounts"))
        .header(reqwest::header::COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let lina = app.session_cookie("lina").await;
    assert_eq!(
        app.server_fn("accounts", Some(&lina), "").await.status(),
        403
    );
}

//! Logins, sessions, cookies, rate limits and the CSRF guard.

use reqwest::header;
use serde_json::json;

use super::helpers::{error_code, spawn_app, spawn_app_with, Options, PASSWORD};

#[tokio::test]
async fn a_demo_user_logs_in_and_the_session_identifies_them() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "zhangwei");
    assert_eq!(me["display_name"], "张伟");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let (status, code, body) =
        error_code(app.login_json("zhangwei", "wrong-password-1").await).await;
    assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
    assert_eq!(body["message"], "用户名或密码错误");
    let (status, code, _) = error_code(app.login_json("nobody", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (401, "invalid_credentials"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let response = app.login_json("wangfang", "wrong-password-1").await;
        assert_eq!(response.status(), 401);
    }
    let response = app.login_json("wangfang", PASSWORD).await;
    assert!(response.headers().get(header::RETRY_AFTER).is_some());
    let (status, code, body) = error_code(response).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("该账号登录失败次数过多"));
    // Other accounts are not affected.
    assert_eq!(app.login_json("lina", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_that_address() {
    let app = spawn_app().await;
    for i in 0..20 {
        let response = app
            .login_json(&format!("guess{i:02}"), "wrong-password-1")
            .await;
        assert_eq!(response.status(), 401);
    }
    let (status, code, body) = error_code(app.login_json("zhangwei", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(body["message"].as_str().unwrap().contains("网络地址"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_not_secure_over_plain_http() {
    let app = spawn_app().await;
    let response = app.login_json("zhangwei", PASSWORD).await;
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("lianfang_session="), "{cookie}");
    assert!(cookie.contains("; HttpOnly"));
    assert!(cookie.contains("; SameSite=Lax"));
    assert!(cookie.contains("; Path=/"));
    assert!(cookie.contains("; Max-Age=3600"));
    assert!(!cookie.contains("Secure"));
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure_with_the_host_prefix_and_hsts_is_sent() {
    let app = spawn_app_with(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let response = app.login_json("zhangwei", PASSWORD).await;
    assert!(response
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .is_some());
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-lianfang_session="), "{cookie}");
    assert!(cookie.contains("; Secure"));
    let token = cookie.split(';').next().unwrap();
    let me = app
        .client
        .get(app.url("/api/me"))
        .header(header::COOKIE, token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let response = app
        .client
        .post(app.url("/api/logout"))
        .header(header::ORIGIN, app.origin())
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let me = app
        .client
        .get(app.url("/api/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn an_expired_session_no_longer_signs_anyone_in() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, code, _) = error_code(
        app.client
            .get(app.url("/api/me"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "unauthenticated"));
}

#[tokio::test]
async fn mutations_without_a_same_origin_proof_are_refused() {
    let app = spawn_app().await;
    let body = json!({ "username": "zhangwei", "password": PASSWORD });
    // No Origin, no Sec-Fetch-Site.
    let response = app
        .client
        .post(app.url("/api/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (403, "csrf_rejected"));
    // Another site's origin.
    let response = app
        .client
        .post(app.url("/api/login"))
        .header(header::ORIGIN, "http://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A cross-site fetch, as the browser labels it.
    let response = app
        .client
        .post(app.url("/api/login"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Server functions are guarded too, even with a valid session.
    let cookie = app.session_cookie("zhangwei").await;
    let response = app
        .client
        .post(app.url("/api/fn/home"))
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (403, "csrf_rejected"));
    // Nothing was logged in by the refused attempts: only the one session above exists.
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn the_login_form_redirects_with_a_code_and_never_to_another_site() {
    let app = spawn_app().await;
    let form = |user: &str, password: &str, next: &str| {
        app.client
            .post(app.url("/api/login"))
            .header(header::ORIGIN, app.origin())
            .form(&[("username", user), ("password", password), ("next", next)])
    };
    let ok = form("zhangwei", PASSWORD, "//evil.example/")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()[header::LOCATION], "/");
    let wrong = form("zhangwei", "nope-nope-1", "/posts/1")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 303);
    let location = wrong.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with("/login?error=invalid_credentials&username=zhangwei&next=/posts/1"),
        "{location}"
    );
    let blank = form("", "", "/").send().await.unwrap();
    assert!(blank.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login?error=required"));
}

#[tokio::test]
async fn no_next_leads_the_login_form_off_the_site() {
    let app = spawn_app().await;
    for next in [
        "/\\evil.example",
        "/%5Cevil.example%2F",
        "/%09/evil.example",
        "/\t/evil.example",
        "//evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "https://evil.example/",
    ] {
        let response = app.login_form("zhangwei", PASSWORD, next).await;
        assert_eq!(response.status(), 303, "{next:?}");
        assert_eq!(response.headers()[header::LOCATION], "/", "{next:?}");
    }
}

#[tokio::test]
async fn the_plain_login_form_carries_a_safe_next_and_drops_an_unsafe_one() {
    let app = spawn_app().await;
    let page = |query: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/login{query}")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let safe = page("?next=/check").await;
    assert!(
        safe.contains(r#"name="next" value="/check""#),
        "the form posts next=/check without the wasm"
    );
    let unsafe_next = page("?next=/%5Cevil.example%2F").await;
    assert!(unsafe_next.contains(r#"name="next" value="/""#));
    assert!(!unsafe_next.contains("evil.example"));
    // Posted as the page leaves it, the form lands on the page asked for.
    let response = app.login_form("zhangwei", PASSWORD, "/check").await;
    assert_eq!(response.headers()[header::LOCATION], "/check");
}

#[tokio::test]
async fn bad_login_input_gets_a_clear_error_and_never_a_500() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/api/login"))
            .header(header::ORIGIN, app.origin())
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
    };
    let cases: [(&str, &str, u16, &str, Option<&str>); 7] = [
        ("application/json", "{not json", 400, "malformed_json", None),
        ("application/json", "[1,2]", 400, "malformed_json", None),
        (
            "application/json",
            r#"{"username":"zhangwei"}"#,
            400,
            "required",
            Some("password"),
        ),
        (
            "application/json",
            r#"{"password":"x"}"#,
            400,
            "required",
            Some("username"),
        ),
        (
            "application/json",
            r#"{"username":42,"password":"x"}"#,
            400,
            "wrong_type",
            Some("username"),
        ),
        (
            "application/json",
            r#"{"username":"张三","password":"x"}"#,
            400,
            "invalid_character",
            Some("username"),
        ),
        (
            "text/plain",
            "username=zhangwei",
            415,
            "unsupported_media_type",
            None,
        ),
    ];
    for (content_type, body, status, code, field) in cases {
        let (got_status, got_code, json) =
            error_code(post(content_type, body).send().await.unwrap()).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{body}");
        assert!(!json["message"].as_str().unwrap().is_empty());
        if let Some(field) = field {
            assert_eq!(json["field"], field, "{body}");
        }
    }
    // A body over the limit is refused before it is read.
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/api/login"))
        .header(header::ORIGIN, app.origin())
        .header(header::CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(response).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    // A wrong method is answered in the same shape.
    let (status, code, _) =
        error_code(app.client.get(app.url("/api/login")).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn many_parallel_logins_all_succeed_without_database_is_locked() {
    let app = spawn_app().await;
    let users = [
        "zhangwei", "wangfang", "lina", "liuyang", "chenjing", "yangli", "zhaolei", "huangmin",
        "zhoujie", "wuqiang", "xujun", "sunli", "mahui", "zhuhong", "hulin", "guoping", "kezhang",
        "fenguan", "lianluo", "shenhe",
    ];
    // Each login runs two write transactions; failures run one. Both at once, in parallel.
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let client = app.client.clone();
        let (url, origin) = (app.url("/api/login"), app.origin());
        let password = if i % 4 == 0 {
            "wrong-password-1"
        } else {
            PASSWORD
        };
        let body = json!({ "username": user, "password": password });
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header(header::ORIGIN, origin)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let expected: Vec<u16> = (0..users.len())
        .map(|i| if i % 4 == 0 { 401 } else { 200 })
        .collect();
    assert_eq!(statuses, expected);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 15);
}

/// A login through a proxy that appended `real` to whatever the client sent as
/// `X-Forwarded-For`.
async fn login_via_proxy(
    app: &super::helpers::TestApp,
    claimed: &str,
    real: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .header(header::ORIGIN, app.origin())
        .header("x-forwarded-for", format!("{claimed}, {real}"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn behind_one_proxy() -> super::helpers::TestApp {
    spawn_app_with(Options {
        proxies: server::net::TrustedProxies::Hops(1),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_bypass_the_address_limit() {
    let app = behind_one_proxy().await;
    for i in 0..20 {
        let response = login_via_proxy(
            &app,
            &format!("10.9.8.{i}"),
            "203.0.113.66",
            &format!("guess{i:02}"),
            "wrong-password-1",
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    // A new made-up address on the left changes nothing: the proxy's entry is the client.
    let (status, code, _) =
        error_code(login_via_proxy(&app, "10.9.9.9", "203.0.113.66", "zhangwei", PASSWORD).await)
            .await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // Someone else behind the same proxy is not affected.
    let response = login_via_proxy(&app, "10.9.9.9", "198.51.100.7", "zhangwei", PASSWORD).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_outsider_cannot_lock_another_user_out() {
    let app = behind_one_proxy().await;
    // The owner has signed in from the office before.
    let office = "198.51.100.7";
    assert_eq!(
        login_via_proxy(&app, "-", office, "wangfang", PASSWORD)
            .await
            .status(),
        200
    );
    // An outsider guesses from many addresses, five wrong passwords each: 50 failures, the
    // account-wide limit.
    for source in 0..10 {
        for _ in 0..5 {
            let response = login_via_proxy(
                &app,
                "-",
                &format!("203.0.113.{source}"),
                "wangfang",
                "wrong-password-1",
            )
            .await;
            assert_eq!(response.status(), 401);
        }
    }
    // The outsider's addresses now wait, growing with each failure...
    let response = login_via_proxy(&app, "-", "203.0.113.0", "wangfang", "wrong-password-1").await;
    assert_eq!(response.status(), 429);
    let retry: i64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // The pair's own delay (30 s) or, once that has passed on a slow machine, the account-wide
    // one (up to 15 minutes): never a wait the clock of this test decides.
    assert!((1..=900).contains(&retry), "{retry}");
    // ...and a new address is refused for this account (the account-wide limit)...
    let (status, _, _) =
        error_code(login_via_proxy(&app, "-", "192.0.2.200", "wangfang", PASSWORD).await).await;
    assert_eq!(status, 429);
    // ...but the owner signs in from the office as always, and from the office again after
    // mistyping once.
    assert_eq!(
        login_via_proxy(&app, "-", office, "wangfang", "wrong-password-1")
            .await
            .status(),
        401
    );
    assert_eq!(
        login_via_proxy(&app, "-", office, "wangfang", PASSWORD)
            .await
            .status(),
        200
    );

    // An administrator's unlock (the command line here; the account list's 解除登录限制 calls the
    // same code) lifts every delay, and says so in the audit log.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lianfang"))
        .args([
            "--database",
            app.db_file.to_str().unwrap(),
            "unlock",
            "wangfang",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("已解除账号 wangfang 的登录限制"));
    assert_eq!(
        login_via_proxy(&app, "-", "192.0.2.200", "wangfang", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE kind = 'login_unlocked'")
            .await,
        1
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user_only() {
    let app = spawn_app().await;
    let phone = app.session_cookie("zhangwei").await;
    let desk = app.session_cookie("zhangwei").await;
    let colleague = app.session_cookie("wangfang").await;
    let response = app
        .client
        .post(app.url("/api/logout"))
        .header(header::ORIGIN, app.origin())
        .header(header::COOKIE, &desk)
        .form(&[("everywhere", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?notice=logged_out_everywhere"
    );
    assert_eq!(app.me_status(&phone).await, 401);
    assert_eq!(app.me_status(&desk).await, 401);
    assert_eq!(app.me_status(&colleague).await, 200);
}

#[tokio::test]
async fn a_session_unused_for_the_idle_timeout_has_ended() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let me = || async {
        app.client
            .get(app.url("/api/me"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .status()
    };
    // Used two minutes ago: alive, and marked used now.
    let two_minutes_ago = server::db::now_ms() - 120_000;
    sqlx::query("UPDATE sessions SET created_at = ?, last_seen_at = ?")
        .bind(two_minutes_ago)
        .bind(two_minutes_ago)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(me().await, 200);
    let seen: i64 = app.count("SELECT last_seen_at FROM sessions").await;
    assert!(seen > two_minutes_ago, "the use was recorded");
    // Unused for longer than the idle timeout (an hour in the tests): ended, although its
    // absolute expiry is still ahead.
    sqlx::query("UPDATE sessions SET last_seen_at = ?")
        .bind(server::db::now_ms() - 3_601_000)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(me().await, 401);
}

#[tokio::test]
async fn a_sign_out_made_offline_ends_the_session_at_the_next_connection() {
    let app = spawn_app().await;
    let login = app.login_json("zhangwei", PASSWORD).await;
    let cookie = super::helpers::session_cookie_of(&login);
    let body: serde_json::Value = login.json().await.unwrap();
    let handle = body["sign_out"].as_str().unwrap().to_owned();
    assert_eq!(handle.len(), 64);
    // A device that signed in through the plain form learns the handle from /api/me.
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["sign_out"], handle.as_str());
    assert_eq!(me["username"], "zhangwei");

    let end = |cookie: Option<String>, body: serde_json::Value| {
        let mut request = app
            .client
            .post(app.url("/api/sessions/end"))
            .header(header::ORIGIN, app.origin())
            .json(&body);
        if let Some(c) = cookie {
            request = request.header(header::COOKIE, c);
        }
        request.send()
    };
    // Back online, the tablet (whoever is signed in on it now, or no one) ends that session.
    let ended = end(None, json!({ "sessions": [handle] })).await.unwrap();
    assert_eq!(ended.status(), 200);
    let ended: serde_json::Value = ended.json().await.unwrap();
    assert_eq!(ended, json!({ "ended": 1, "yours": false }));
    assert_eq!(app.me_status(&cookie).await, 401);
    let again: serde_json::Value = end(None, json!({ "sessions": [handle] }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["ended"], 0, "an ended session counts for nothing");

    // The browser's own session among them: its cookie is cleared too.
    let login = app.login_json("zhangwei", PASSWORD).await;
    let cookie = super::helpers::session_cookie_of(&login);
    let body: serde_json::Value = login.json().await.unwrap();
    let own = end(
        Some(cookie.clone()),
        json!({ "sessions": [body["sign_out"]] }),
    )
    .await
    .unwrap();
    assert!(own.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        own.json::<serde_json::Value>().await.unwrap()["yours"],
        true
    );
    assert_eq!(app.me_status(&cookie).await, 401);

    // Bad input: a clear error naming the field, nothing ended.
    let other = app.session_cookie("wangfang").await;
    for bad in [
        json!({ "sessions": "x" }),
        json!({ "sessions": ["not-a-handle"] }),
        json!({ "sessions": vec!["0".repeat(64); 51] }),
        json!({}),
    ] {
        let (status, code, body) = error_code(end(None, bad.clone()).await.unwrap()).await;
        assert_eq!((status, code.as_str()), (400, "invalid_request"), "{bad}");
        assert_eq!(body["field"], "sessions");
    }
    assert_eq!(app.me_status(&other).await, 200);
    // Without a same-origin proof it is refused like every mutation.
    let forged = app
        .client
        .post(app.url("/api/sessions/end"))
        .json(&json!({ "sessions": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

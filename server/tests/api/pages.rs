//! Server-rendered pages: Chinese, redirects for signed-in pages, security headers, compression.

use reqwest::header;

use super::helpers::spawn_app;

#[tokio::test]
async fn the_login_page_is_chinese_and_carries_a_strict_csp_with_a_nonce() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();

    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""));
    assert!(html.contains("用户登录"));
    assert!(html.contains("用户名") && html.contains("密码"));
    // Every inline script carries this response's nonce.
    let scripts = html.matches("<script").count();
    assert!(scripts >= 1);
    assert!(
        html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts,
        "{html}"
    );

    // A second response gets a different nonce.
    let again = app.client.get(app.url("/login")).send().await.unwrap();
    assert!(!again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains(&nonce));
}

#[tokio::test]
async fn signed_in_pages_redirect_to_the_login_page_and_come_back() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/posts/3?tab=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?next=/posts/3%3Ftab%3D1"
    );
}

#[tokio::test]
async fn the_home_page_renders_the_users_risk_points_on_the_server() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("zhangwei").await;
    let response = app
        .client
        .get(app.url("/"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("您好，张伟"), "{html}");
    assert!(html.contains("重大事项以个人意见代替集体决策"));
    assert!(html.contains("一级"));
    assert!(html.contains("制度防范"));
}

#[tokio::test]
async fn an_unknown_page_is_a_chinese_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("页面不存在"));
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = spawn_app().await;
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(app.url("/login"))
            .header(header::ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], encoding);
    }
}

#[tokio::test]
async fn a_units_handbook_holds_every_post_beneath_it_sections_and_villages_too() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("shenhe").await;
    let unit: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE name = '清河街道办事处'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let response = app
        .server_fn("handbook", Some(&cookie), &format!("unit_id={unit}"))
        .await;
    assert_eq!(response.status(), 200);
    let book: serde_json::Value = response.json().await.unwrap();
    let posts: Vec<(&str, &str)> = book["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["unit"].as_str().unwrap(),
                p["post_title"].as_str().unwrap(),
            )
        })
        .collect();
    // The sub-district's own posts first, then each village and community beneath it.
    assert_eq!(posts.len(), 7, "{posts:?}");
    assert!(
        posts[..4].iter().all(|(u, _)| *u == "清河街道办事处"),
        "{posts:?}"
    );
    assert!(
        posts.contains(&("清河街道办事处·东村", "村报账员")),
        "{posts:?}"
    );
    assert!(
        posts.contains(&("清河街道办事处·西苑社区", "社区居委会主任")),
        "{posts:?}"
    );
    assert!(book["posts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["risk_points"].as_array().unwrap().is_empty()));
}

#[tokio::test]
async fn a_page_for_a_record_that_does_not_exist_is_a_404_page() {
    let app = spawn_app().await;
    let cookie = app.session_cookie("shenhe").await;
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let post = app.post_id("区交通局", "局长").await;
    for (path, signed_in) in [
        ("/public/units/999999".to_owned(), false),
        ("/units/999999/handbook".to_owned(), true),
        ("/posts/999999".to_owned(), true),
        ("/commitments/999999".to_owned(), true),
        ("/units/999999/commitments".to_owned(), true),
        ("/no/such/page".to_owned(), false),
    ] {
        let mut request = app.client.get(app.url(&path));
        if signed_in {
            request = request.header(header::COOKIE, &cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("不存在"), "{path}: a Chinese message");
    }
    // The same pages for records that exist still answer 200.
    for path in [format!("/public/units/{unit}"), format!("/posts/{post}")] {
        let response = app
            .client
            .get(app.url(&path))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn records_anyone_may_read_come_without_the_wasm_and_staff_pages_with_it() {
    let app = spawn_app().await;
    let unit: i64 = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let liaison = app.session_cookie("lianluo").await;
    let page = |path: String, cookie: Option<String>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url(&path));
            if let Some(cookie) = cookie {
                request = request.header(reqwest::header::COOKIE, cookie);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    for (path, cookie) in [
        ("/public".to_owned(), None),
        (format!("/public/units/{unit}"), None),
        (format!("/units/{unit}/handbook"), Some(liaison.clone())),
    ] {
        let html = page(path.clone(), cookie).await;
        assert!(
            !html.contains("lianfang.wasm") && !html.contains("__wasm_split"),
            "{path}"
        );
        assert!(html.contains(r#"<script src="/print.js" defer"#), "{path}");
    }
    let home = page("/".to_owned(), Some(liaison)).await;
    assert!(home.contains("mod.hydrate()"), "the app's pages hydrate");
    assert!(!home.contains("/print.js"));
}

//! `spawn_app`: a real server on 127.0.0.1:0 over a fresh, seeded SQLite file.

use std::net::SocketAddr;

use reqwest::{header, redirect::Policy, Client, Response};
use serde_json::{json, Value};
use server::{
    auth::session::CookiePolicy,
    db::Db,
    http::{router, AppState, Settings},
    seed,
};

pub const PASSWORD: &str = seed::DEMO_PASSWORD;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db: Db,
    /// The SQLite file, for the sqlite3 tool and the `lianfang` binary.
    pub db_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct Options {
    pub secure_cookies: bool,
    pub proxies: server::net::TrustedProxies,
    /// The per-user sync rate; default: the server's default.
    pub sync_rate: Option<server::http::throttle::SyncRate>,
    /// How much one pull carries; default: the server's default.
    pub pull_page: Option<server::sync::PullPage>,
    /// `--public-origin`.
    pub public_origin: Option<String>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db_file = dir.path().join("lianfang.db");
    let db = Db::open(&db_file).await.expect("the database opens");
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .expect("the demo district seeds");
    let mut conf = leptos::config::get_configuration(None).expect("leptos configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().unwrap();
    conf.leptos_options.site_addr = addr;
    let cookies = CookiePolicy {
        secure: options.secure_cookies,
        lifetime_secs: 3600,
        idle_secs: 3600,
    };
    let mut settings = Settings::new(cookies);
    settings.proxies = options.proxies;
    settings.sync_rate = options.sync_rate.unwrap_or(settings.sync_rate);
    settings.pull_page = options.pull_page.unwrap_or(settings.pull_page);
    settings.public_origin = options.public_origin;
    let state = AppState::new(conf.leptos_options, db.clone(), settings);
    let app = router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("the server runs");
    });
    TestApp {
        base: format!("http://{addr}"),
        client: Client::builder().redirect(Policy::none()).build().unwrap(),
        db,
        db_file,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The Origin header a browser on this site would send.
    pub fn origin(&self) -> String {
        self.base.clone()
    }

    pub async fn login_json(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .header(header::ORIGIN, self.origin())
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// The status of `GET /api/me` with `cookie`: 200 while the session lives, 401 after.
    pub async fn me_status(&self, cookie: &str) -> u16 {
        self.client
            .get(self.url("/api/me"))
            .header(header::COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The login page's plain form, as a browser without the wasm posts it.
    pub async fn login_form(&self, username: &str, password: &str, next: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .header(header::ORIGIN, self.origin())
            .form(&[
                ("username", username),
                ("password", password),
                ("next", next),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A JSON POST from this site's pages, with `cookie` if given.
    pub async fn post_json(&self, path: &str, cookie: Option<&str>, body: &Value) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::ORIGIN, self.origin())
            .json(body);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Logs in and returns the `Cookie` header value to send afterwards.
    pub async fn session_cookie(&self, username: &str) -> String {
        self.session_cookie_with(username, PASSWORD).await
    }

    /// [`Self::session_cookie`] with another password.
    pub async fn session_cookie_with(&self, username: &str, password: &str) -> String {
        let response = self.login_json(username, password).await;
        assert_eq!(response.status(), 200, "login of {username} should succeed");
        session_cookie_of(&response)
    }

    /// Calls a server function the way the browser does: a form-encoded POST.
    pub async fn server_fn(&self, name: &str, cookie: Option<&str>, body: &str) -> Response {
        let mut request = self
            .client
            .post(self.url(&format!("/api/fn/{name}")))
            .header(header::ORIGIN, self.origin())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Opens a post's sheet page's data as the browser does (`load_sheet`), which notes the
    /// view for the user's offline replica; panics unless it is served.
    pub async fn open_sheet(&self, cookie: &str, post: i64) {
        let response = self
            .server_fn("sheet", Some(cookie), &format!("post_id={post}"))
            .await;
        assert_eq!(response.status(), 200, "the sheet of post {post} opens");
    }

    pub async fn post_id(&self, unit: &str, title: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(
            "SELECT p.id FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE u.name = ? AND p.title = ?",
        )
        .bind(unit)
        .bind(title)
        .fetch_one(self.db.pool())
        .await
        .unwrap_or_else(|e| panic!("post {unit}/{title}: {e}"))
    }
}

/// The JSON body of an error response, with its code.
pub async fn error_code(response: Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("an error body in JSON");
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    (status, code, body)
}

impl TestApp {
    /// Files an objection through the public notice page's plain form.
    pub async fn file_objection(&self, post: i64, text: &str, contact: &str) -> Response {
        self.client
            .post(self.url("/public/objections"))
            .header(header::ORIGIN, self.origin())
            .form(&[
                ("post_id", post.to_string()),
                ("text", text.to_owned()),
                ("contact", contact.to_owned()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/sync` with a session cookie.
    pub async fn sync(&self, cookie: &str, body: &Value) -> Response {
        self.client
            .post(self.url("/api/sync"))
            .header(header::ORIGIN, self.origin())
            .header(header::COOKIE, cookie)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

/// The `Cookie` header value that a login's response sets.
pub fn session_cookie_of(response: &Response) -> String {
    let set_cookie = response.headers().get(header::SET_COOKIE).unwrap();
    let set_cookie = set_cookie.to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A valid risk point input, numbered so texts differ.
pub fn risk_point(n: usize) -> Value {
    json!({
        "duty": "审核工程款支付",
        "description": format!("第 {n} 个风险点：超出实际进度计量"),
        "category": "process",
        "power_type": "财务权",
        "likelihood": 3, "impact": 4, "frequency": 2,
        "measures": [
            { "kind": "institutional", "text": "计量单须三方签认", "owner": "李娜", "due": "2026-12-31" },
            { "kind": "supervision", "text": "内审按季度抽查" }
        ]
    })
}

/// An upsert operation creating a new risk point on `post_id`.
pub fn create_op(seq: i64, post_id: i64, n: usize) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(),
        "seq": seq,
        "type": "upsert_risk_point",
        "post_id": post_id,
        "risk_point_id": uuid::Uuid::new_v4(),
        "risk_point": risk_point(n),
    })
}

pub fn push(user: &str, client: uuid::Uuid, ops: &[Value]) -> Value {
    json!({ "user": user, "client_id": client, "ops": ops })
}

/// Takes `post`'s sheet to the commission's audit and has the commission approve it.
pub async fn approve(app: &TestApp, post: i64) {
    sqlx::query("UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id = ?")
        .bind(post)
        .execute(app.db.pool())
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar("SELECT version FROM risk_sheets WHERE post_id = ?")
        .bind(post)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let cookie = app.session_cookie("shenhe").await;
    let op = json!({ "id": uuid::Uuid::new_v4(), "seq": 1, "type": "decide", "post_id": post,
                     "sheet_version": version, "decision": { "action": "approve" } });
    let body: Value = app
        .sync(&cookie, &push("shenhe", uuid::Uuid::new_v4(), &[op]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
}

/// A database file built from the migrations that come before `first_new` (the prefix of a
/// migration's file name, such as `20261213000001`), with foreign keys on as the server has
/// them, and a pool on it: for testing what a later migration does to data from before it. The
/// folder holding the file lives as long as the returned `TempDir`.
pub async fn database_before(
    first_new: &str,
) -> (tempfile::TempDir, std::path::PathBuf, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before");
    std::fs::create_dir(&before).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < first_new {
            std::fs::copy(&path, before.join(&name)).unwrap();
        }
    }
    let file = dir.path().join("old.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(before.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    (dir, file, pool)
}

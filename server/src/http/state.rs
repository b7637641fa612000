//! What every handler can reach (the application state), the request limits, and the first lines
//! every handler shares: the signed-in user and who they are.

use std::sync::Arc;

use app::{
    api::{backend::BackendHandle, SessionUser},
    error::ApiError,
};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use super::error::HttpError;
use crate::{
    auth::session::CookiePolicy,
    backend::DbBackend,
    db::Db,
    directory::{Org, Person},
    net::TrustedProxies,
    secret::ServerSecret,
};

/// The largest request body accepted anywhere: a full sync push. Routes set lower limits of their
/// own (`DefaultBodyLimit`).
pub const MAX_BODY_BYTES: usize = crate::sync::MAX_SYNC_BODY_BYTES;
/// The limit for small form and JSON bodies such as a login.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// A signature's strokes: room for a long handwritten name, far from the 20,000 points allowed.
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;

/// How this server is deployed: what the command line and environment set.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cookies: CookiePolicy,
    /// Which proxies may tell the client's address (`X-Forwarded-For`).
    pub proxies: TrustedProxies,
    /// The origin printed in absolute links and QR codes (`https://lianfang.example`); without
    /// it, the request's `Host` with the scheme the cookie policy implies.
    pub public_origin: Option<String>,
    pub secret: ServerSecret,
    /// The key that signs the audit log's tree heads.
    pub head_key: crate::transparency::HeadKey,
    /// Where each new head is also sent.
    pub head_witnesses: crate::transparency::Witnesses,
    /// How much one user may sync per minute.
    pub sync_rate: super::throttle::SyncRate,
    /// How much one pull carries.
    pub pull_page: crate::sync::PullPage,
}

impl Settings {
    /// Settings with `cookies` and a fresh secret, trusting no proxy: for tests and tools.
    pub fn new(cookies: CookiePolicy) -> Self {
        Self {
            cookies,
            proxies: TrustedProxies::None,
            public_origin: None,
            secret: ServerSecret::random(),
            head_key: crate::transparency::HeadKey::random(),
            head_witnesses: crate::transparency::Witnesses::default(),
            sync_rate: super::throttle::SyncRate::default(),
            pull_page: crate::sync::PullPage::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: Db,
    pub cookies: CookiePolicy,
    /// Which proxies may tell the client's address.
    pub proxies: Arc<TrustedProxies>,
    /// This site's origin for absolute links, when set.
    pub public_origin: Option<Arc<str>>,
    pub secret: ServerSecret,
    /// Signs tree heads (after a signature, here; on a schedule, beside the server).
    pub head_key: crate::transparency::HeadKey,
    pub head_witnesses: crate::transparency::Witnesses,
    /// Each user's sync allowance.
    pub sync_throttle: Arc<super::throttle::Throttle>,
    /// How much one pull carries.
    pub pull_page: crate::sync::PullPage,
    pub backend: BackendHandle,
    /// Applies sync pushes, several to a transaction when they arrive together.
    pub sync: crate::sync::Writer,
    /// The service worker script, with the version of the built files in it.
    pub service_worker: Arc<str>,
}

impl AppState {
    pub fn new(leptos: LeptosOptions, db: Db, settings: Settings) -> Self {
        let backend = BackendHandle(Arc::new(DbBackend::new(
            db.clone(),
            settings.head_key.public_hex(),
        )));
        let service_worker = service_worker_script(&leptos).into();
        let sync = crate::sync::Writer::start(db.clone());
        Self {
            leptos,
            db,
            cookies: settings.cookies,
            proxies: Arc::new(settings.proxies),
            public_origin: settings
                .public_origin
                .map(|o| o.trim_end_matches('/').into()),
            secret: settings.secret,
            head_key: settings.head_key,
            head_witnesses: settings.head_witnesses,
            sync_throttle: Arc::new(super::throttle::Throttle::new(settings.sync_rate)),
            pull_page: settings.pull_page,
            backend,
            sync,
            service_worker,
        }
    }

    /// This site's origin for links printed on paper: the configured public origin, else the
    /// request's `Host` (never `X-Forwarded-Proto`, which a client may send) with `https` when
    /// cookies are marked secure.
    pub fn origin(&self, headers: &http::HeaderMap) -> String {
        if let Some(origin) = &self.public_origin {
            return origin.to_string();
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .unwrap_or("localhost");
        let scheme = if self.cookies.secure { "https" } else { "http" };
        format!("{scheme}://{host}")
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// The signed-in user, or `unauthenticated`: the first line of every handler that needs one.
pub fn signed_in(user: Option<axum::Extension<SessionUser>>) -> Result<SessionUser, HttpError> {
    user.map(|axum::Extension(u)| u)
        .ok_or_else(|| HttpError(ApiError::unauthenticated()))
}

/// What the access rules need about the signed-in user, read now: their roles and held posts,
/// and the organisation tree with the units' names.
pub async fn who(
    state: &AppState,
    user: &SessionUser,
) -> Result<(Arc<Person>, Arc<Org>), HttpError> {
    let person = state.db.directory().person(user.id).await?;
    let org = state.db.directory().org().await?;
    Ok((person, org))
}

/// The files at the site's root (copied from `public/`): icons, the manifest and the print
/// script of the pages served without wasm. Kept by the service worker and served as built files.
pub const SITE_FILES: &[&str] = &[
    "/favicon.svg",
    "/manifest.webmanifest",
    "/icon-192.png",
    "/icon-512.png",
    "/icon-maskable.svg",
    "/print.js",
    "/transparency.js",
];

/// The service worker with its cache version: a hash of the built wasm, JS and CSS, so that each
/// deploy replaces the cached files and nothing else does.
fn service_worker_script(options: &LeptosOptions) -> String {
    use sha2::{Digest as _, Sha256};
    let pkg_dir = options.site_pkg_dir.as_ref();
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(pkg_dir);
    // Every built file: the core wasm, JS and CSS, and the chunks of a split build with their
    // loader and manifest. Precompressed copies are the same files again.
    let mut files: Vec<String> = std::fs::read_dir(&pkg)
        .map(|dir| {
            dir.filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    [".wasm", ".js", ".css", ".json"]
                        .iter()
                        .any(|ext| name.ends_with(ext))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut hasher = Sha256::new();
    for name in &files {
        hasher.update(name.as_bytes());
        if let Ok(bytes) = std::fs::read(pkg.join(name)) {
            hasher.update(&bytes);
        }
    }
    let version = hex::encode(&hasher.finalize()[..8]);
    let urls: Vec<String> = files.iter().map(|f| format!("/{pkg_dir}/{f}")).collect();
    let list = serde_json::to_string(&urls).unwrap_or_else(|_| "[]".to_owned());
    include_str!("../sw.js")
        .replace("__VERSION__", &version)
        .replace("__BUILT_FILES__", &list)
        .replace(
            "__SITE_FILES__",
            &serde_json::to_string(SITE_FILES).unwrap_or_else(|_| "[]".to_owned()),
        )
}

/// `GET /sw.js`.
pub async fn service_worker(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl axum::response::IntoResponse {
    (
        [
            (http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Browsers check for a new worker on every visit; never serve them a stale one.
            (http::header::CACHE_CONTROL, "no-cache"),
        ],
        state.service_worker.to_string(),
    )
}

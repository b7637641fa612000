//! The HTTP surface: the router, its middleware (security headers, CSRF, sessions) and the JSON
//! endpoints that are not server functions.

mod account;
mod commitments;
mod error;
mod exchange;
mod guard;
mod review;
pub(crate) use review::held_posts;
mod server_fns;

use std::{net::SocketAddr, sync::Arc};

use app::{api::backend::BackendHandle, shell, App};
use axum::{
    extract::{DefaultBodyLimit, FromRef},
    middleware,
    routing::{get, post},
    Router,
};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::{compression::CompressionLayer, limit::RequestBodyLimitLayer};

pub use error::HttpError;

use crate::{auth::session::CookiePolicy, backend::DbBackend, db::Db};

/// The largest request body accepted anywhere: a full sync push. Routes set lower limits of their
/// own (`DefaultBodyLimit`).
pub const MAX_BODY_BYTES: usize = crate::sync::MAX_SYNC_BODY_BYTES;
/// The limit for small form and JSON bodies such as a login.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// A signature's strokes: room for a long handwritten name, far from the 20,000 points allowed.
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub db: Db,
    pub cookies: CookiePolicy,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub backend: BackendHandle,
    /// The service worker script, with the version of the built files in it.
    pub service_worker: Arc<str>,
    /// The key that objectors' addresses are hashed with (random per process, never stored).
    pub objection_key: Arc<[u8; 32]>,
}

impl AppState {
    pub fn new(leptos: LeptosOptions, db: Db, cookies: CookiePolicy, trust_proxy: bool) -> Self {
        let backend = BackendHandle(Arc::new(DbBackend::new(db.clone())));
        let service_worker = service_worker_script(&leptos).into();
        let mut objection_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut objection_key);
        Self {
            leptos,
            db,
            cookies,
            trust_proxy,
            backend,
            service_worker,
            objection_key: Arc::new(objection_key),
        }
    }
}

/// The signed-in user, or `unauthenticated`: the first line of every handler that needs one.
pub(crate) fn signed_in(
    user: Option<axum::Extension<app::api::SessionUser>>,
) -> Result<app::api::SessionUser, HttpError> {
    user.map(|axum::Extension(u)| u)
        .ok_or_else(|| HttpError(app::error::ApiError::unauthenticated()))
}

/// What the access rules need about the signed-in user, read from the database now: their
/// roles and held posts, the org tree, and the units' names.
pub(crate) async fn who(
    state: &AppState,
    user: &app::api::SessionUser,
) -> Result<
    (
        domain::access::Principal,
        domain::org::OrgTree,
        std::collections::HashMap<i64, String>,
    ),
    HttpError,
> {
    let principal = crate::backend::load_principal(state.db.pool(), user.id).await?;
    let (tree, names) = crate::backend::load_tree(state.db.pool()).await?;
    Ok((principal, tree, names))
}

/// The service worker with its cache version: a hash of the built wasm, JS and CSS, so that each
/// deploy replaces the cached files and nothing else does.
fn service_worker_script(options: &LeptosOptions) -> String {
    use sha2::{Digest as _, Sha256};
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let mut hasher = Sha256::new();
    for ext in ["wasm", "js", "css"] {
        if let Ok(bytes) = std::fs::read(pkg.join(format!("{}.{ext}", options.output_name))) {
            hasher.update(&bytes);
        }
    }
    let version = hex::encode(&hasher.finalize()[..8]);
    include_str!("sw.js").replace("__VERSION__", &version)
}

async fn service_worker(
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

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// The whole application. Layers run outside in: compression, security headers, JSON bodies for
/// bare rejections, the body limit, the CSRF guard, the session, server-function error statuses,
/// then the route.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend = state.backend.clone();
    let context = move || provide_context(backend.clone());
    let options = state.leptos.clone();
    Router::new()
        .route(
            "/api/login",
            post(account::login).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/logout",
            post(account::logout).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/sync",
            post(crate::sync::handle).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route(
            "/api/posts/{post_id}/peer-reviews",
            post(review::peer_review).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/posts/{post_id}/suggestions",
            post(review::suggest).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/suggestions/{id}/accept",
            post(review::accept_suggestion).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/suggestions/{id}/decline",
            post(review::decline_suggestion).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/meetings",
            post(review::record_meeting).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/objections/{id}/resolve",
            post(review::resolve_objection).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/posts/{post_id}/supervision",
            post(review::set_supervision).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/public/objections",
            post(review::file_objection).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route("/api/units/{id}/{format}", get(exchange::export))
        .route("/api/units/{id}/import", post(exchange::import))
        .route(
            "/api/commitments/{id}/sign",
            post(commitments::sign).layer(DefaultBodyLimit::max(MAX_SIGNATURE_BYTES)),
        )
        .route(
            "/api/commitments/{id}/remind",
            post(commitments::remind).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route(
            "/api/commitment-template",
            post(commitments::save_template).layer(DefaultBodyLimit::max(MAX_FORM_BYTES)),
        )
        .route("/api/me", get(account::me))
        .route("/api/health", get(account::health))
        .route("/sw.js", get(service_worker))
        .route("/api/fn/{*name}", axum::routing::any(server_fns::unknown))
        .route("/api/{*rest}", axum::routing::any(account::unknown_api))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(middleware::from_fn(server_fns::fix_error_status))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::session,
        ))
        .layer(middleware::from_fn(guard::csrf))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(server_fns::json_rejections))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::security_headers,
        ))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Serves `router` on `listener` until the process is told to stop.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

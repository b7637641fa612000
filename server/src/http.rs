//! The HTTP surface: the router, its middleware (security headers, CSRF, sessions) and the JSON
//! endpoints that are not server functions.

mod account;
mod accounts;
mod catalogue;
mod commitments;
mod education;
mod error;
mod exchange;
mod guard;
mod holders;
mod org;
mod review;
mod rounds;
mod server_fns;
mod settings;
mod state;
mod sync;
pub mod throttle;
mod transparency;
mod warnings;

use std::net::SocketAddr;

use app::{
    shell,
    write::{
        AcceptSuggestion, AcceptWarning, AnswerWarning, ChangePassword, CheckMeasure,
        CheckWarnings, ConfirmGroup, CreateAccount, CreatePost, CreateUnit, DeclineSuggestion,
        EditEntry, EndHolding, EndOtherSessions, Handover, ImportCalendar, ImportQuery, Login,
        MarkNotificationsRead, PeerReview, RaiseWarning, RecordMeeting, RecordSession, RecordTalk,
        RemindSigner, RemoveRobot, ResetPassword, ResolveObjection, RosterImportQuery,
        SaveSettings, SaveTalkQuota, SaveTemplate, SaveWarningRules, SendBackWarning,
        SetAccountActive, SetRobot, SetRoles, SetRoundMatrix, SetSupervision, SignCommitment,
        StartRound, Suggestion, TestRobot, UnlinkPoint, UnlockAccount, UpdatePost, UpdateUnit,
        VoidSession, VoidTalk, Write as _, SYNC_ROUTE,
    },
    App,
};
use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::{compression::CompressionLayer, limit::RequestBodyLimitLayer};

pub use error::HttpError;
pub use state::{AppState, Settings, MAX_BODY_BYTES, MAX_FORM_BYTES, MAX_SIGNATURE_BYTES};

/// The whole application. Layers run outside in: compression, security headers, JSON bodies for
/// bare rejections, the body limit, the CSRF guard, the session, server-function error statuses,
/// then the route.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend = state.backend.clone();
    let site = state.clone();
    let context = move || {
        provide_context(backend.clone());
        let headers = leptos::prelude::use_context::<axum::http::request::Parts>()
            .map(|parts| parts.headers)
            .unwrap_or_default();
        provide_context(app::api::backend::SiteOrigin(site.origin(&headers)));
    };
    let options = state.leptos.clone();
    // Small JSON and form bodies: every write but sync, uploads and signatures.
    let forms = Router::new()
        .route(Login::ROUTE, post(account::login))
        .route("/api/logout", post(account::logout))
        .route(
            <app::write::EndSessions as app::write::Write>::ROUTE,
            post(account::end_sessions),
        )
        .route(ChangePassword::ROUTE, post(accounts::change_password))
        .route(EndOtherSessions::ROUTE, post(accounts::end_other_sessions))
        .route(ResetPassword::ROUTE, post(accounts::reset_password))
        .route(SetAccountActive::ROUTE, post(accounts::set_active))
        .route(UnlockAccount::ROUTE, post(accounts::unlock))
        .route(CreateAccount::ROUTE, post(accounts::create))
        .route(SetRoles::ROUTE, post(accounts::set_roles))
        .route(CreateUnit::ROUTE, post(org::create_unit))
        .route(UpdateUnit::ROUTE, post(org::update_unit))
        .route(CreatePost::ROUTE, post(org::create_post))
        .route(UpdatePost::ROUTE, post(org::update_post))
        .route(SaveSettings::ROUTE, post(settings::save))
        .route(ImportCalendar::ROUTE, post(settings::calendar))
        .route(SaveWarningRules::ROUTE, post(settings::warning_rules))
        .route(SetRobot::ROUTE, post(settings::set_robot))
        .route(RemoveRobot::ROUTE, post(settings::remove_robot))
        .route(TestRobot::ROUTE, post(settings::test_robot))
        .route(SetRoundMatrix::ROUTE, post(settings::round_matrix))
        .route(Handover::ROUTE, post(holders::handover))
        .route(EndHolding::ROUTE, post(holders::end))
        .route(StartRound::ROUTE, post(rounds::start))
        .route(PeerReview::ROUTE, post(review::peer_review))
        .route(Suggestion::ROUTE, post(review::suggest))
        .route(AcceptSuggestion::ROUTE, post(review::accept_suggestion))
        .route(DeclineSuggestion::ROUTE, post(review::decline_suggestion))
        .route(RecordMeeting::ROUTE, post(review::record_meeting))
        .route(ResolveObjection::ROUTE, post(review::resolve_objection))
        .route(SetSupervision::ROUTE, post(review::set_supervision))
        .route("/public/objections", post(review::file_objection))
        .route(RemindSigner::ROUTE, post(commitments::remind))
        .route(SaveTemplate::ROUTE, post(commitments::save_template))
        .route(RaiseWarning::ROUTE, post(warnings::raise))
        .route(CheckWarnings::ROUTE, post(warnings::check))
        .route(AnswerWarning::ROUTE, post(warnings::answer))
        .route(AcceptWarning::ROUTE, post(warnings::accept))
        .route(SendBackWarning::ROUTE, post(warnings::send_back))
        .route(CheckMeasure::ROUTE, post(warnings::check_measure))
        .route(ConfirmGroup::ROUTE, post(catalogue::confirm))
        .route(EditEntry::ROUTE, post(catalogue::edit))
        .route(UnlinkPoint::ROUTE, post(catalogue::unlink))
        .route(RecordTalk::ROUTE, post(education::record_talk))
        .route(RecordSession::ROUTE, post(education::record_session))
        .route(SaveTalkQuota::ROUTE, post(education::talk_quota))
        .route(VoidTalk::ROUTE, post(education::void_talk))
        .route(VoidSession::ROUTE, post(education::void_session))
        .route(
            MarkNotificationsRead::ROUTE,
            post(warnings::read_notifications),
        )
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES));
    Router::new()
        .merge(forms)
        .route(
            SYNC_ROUTE,
            post(sync::handle).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/api/units/{id}/{format}", get(exchange::export))
        .route(ImportQuery::ROUTE, post(exchange::import))
        .route(
            app::write::ATTENDANCE_FILE_ROUTE,
            post(education::attendance_file),
        )
        .route("/api/org/export/{file}", get(org::export))
        .route(RosterImportQuery::ROUTE, post(org::import))
        .route(
            SignCommitment::ROUTE,
            post(commitments::sign).layer(DefaultBodyLimit::max(MAX_SIGNATURE_BYTES)),
        )
        .route("/api/me", get(account::me))
        .route("/api/health", get(account::health))
        .route("/api/transparency/heads", get(transparency::heads))
        .route("/api/transparency/inclusion", get(transparency::inclusion))
        .route(
            "/api/transparency/consistency",
            get(transparency::consistency),
        )
        .route("/sw.js", get(state::service_worker))
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
        .layer(middleware::from_fn(guard::drain_oversized))
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

//! Account endpoints: a user's own password and sessions, an administrator's reset, deactivation
//! and reactivation. The work is done by [`crate::accounts`].

use std::net::SocketAddr;

use app::{
    api::SessionUser,
    write::{
        ChangePassword, CreateAccount, Created, Done, EndOtherSessions, ResetPassword, RolesSet,
        SessionsEnded, SetAccountActive, SetRoles, UnlockAccount,
    },
};
use axum::{
    extract::{ConnectInfo, State},
    http::HeaderMap,
    Extension, Json,
};

use super::{
    account::client_address,
    error::HttpError,
    guard::SessionToken,
    state::{signed_in, AppState},
};
use crate::accounts::{self, Actor};

const DONE: Json<Done> = Json(Done::YES);

/// The session token of a signed-in request (there is one whenever there is a user).
fn token(token: Option<Extension<SessionToken>>) -> Result<String, HttpError> {
    token
        .map(|Extension(SessionToken(t))| t)
        .ok_or_else(|| HttpError(app::error::ApiError::unauthenticated()))
}

/// `POST /api/account/password`: the user's own change, with the current password.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    user: Option<Extension<SessionUser>>,
    session: Option<Extension<SessionToken>>,
    Json(body): Json<ChangePassword>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let token = token(session)?;
    let address = client_address(&state, peer, &headers);
    accounts::change_password(
        &state.db,
        &user,
        &token,
        &address,
        body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(DONE)
}

/// `POST /api/account/sessions/end-others`.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    session: Option<Extension<SessionToken>>,
    Json(_): Json<EndOtherSessions>,
) -> Result<Json<SessionsEnded>, HttpError> {
    let user = signed_in(user)?;
    let token = token(session)?;
    let ended = accounts::end_other_sessions(&state.db, &user, &token).await?;
    Ok(Json(SessionsEnded { ended }))
}

/// `POST /api/users/password-reset`: an administrator's reset.
pub async fn reset_password(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<ResetPassword>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    accounts::reset_password(
        &state.db,
        Actor::User(&user),
        &body.username,
        &body.temporary_password,
    )
    .await?;
    Ok(DONE)
}

/// `POST /api/users/active`: an administrator deactivates or reactivates an account.
pub async fn set_active(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SetAccountActive>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    accounts::set_active(&state.db, Actor::User(&user), &body.username, body.active).await?;
    Ok(DONE)
}

/// `POST /api/users/unlock`: an administrator lifts an account's failed-password delays.
pub async fn unlock(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<UnlockAccount>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    accounts::unlock(&state.db, Actor::User(&user), &body.username).await?;
    Ok(DONE)
}

/// `POST /api/users`: an administrator creates an account with a temporary password.
pub async fn create(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<CreateAccount>,
) -> Result<Json<Created>, HttpError> {
    let user = signed_in(user)?;
    let new = accounts::NewAccount {
        username: &body.username,
        display_name: &body.display_name,
        unit_id: body.unit_id,
        roles: &body.roles,
        password: &body.temporary_password,
        temporary: true,
    };
    let id = accounts::create(&state.db, Actor::User(&user), &new).await?;
    Ok(Json(Created { id }))
}

/// `POST /api/users/roles`: an administrator sets an account's roles.
pub async fn set_roles(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SetRoles>,
) -> Result<Json<RolesSet>, HttpError> {
    let user = signed_in(user)?;
    let (granted, revoked) =
        accounts::set_roles(&state.db, Actor::User(&user), &body.username, &body.roles).await?;
    Ok(Json(RolesSet { granted, revoked }))
}

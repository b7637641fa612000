//! Round endpoints: the commission starts a round. The work is done by [`crate::rounds`].

use app::{
    api::SessionUser,
    write::{RoundStarted, StartRound},
};
use axum::{extract::State, Extension, Json};

use super::{
    error::HttpError,
    state::{signed_in, AppState},
};
use crate::db::now_ms;

/// `POST /api/rounds`: starts a round over units (the commission only).
pub async fn start(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<StartRound>,
) -> Result<Json<RoundStarted>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        crate::rounds::start(&state.db, user.id, &body, now_ms()).await?,
    ))
}

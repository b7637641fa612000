//! 风险库 endpoints: confirming a proposed group, editing an entry, taking a point out. The work,
//! with its permission checks, is done by [`crate::catalogue`].

use app::{
    api::SessionUser,
    write::{ConfirmGroup, Done, EditEntry, EntrySaved, UnlinkPoint},
};
use axum::{
    extract::{Path, State},
    Extension, Json,
};

use super::{
    error::HttpError,
    state::{signed_in, AppState},
};
use crate::{catalogue, db::now_ms};

/// `POST /api/catalogue/entries`.
pub async fn confirm(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<ConfirmGroup>,
) -> Result<Json<EntrySaved>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        catalogue::confirm(&state.db, &user, &body, now_ms()).await?,
    ))
}

/// `POST /api/catalogue/entries/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<EditEntry>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    catalogue::edit(&state.db, &user, id, &body, now_ms()).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/catalogue/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<UnlinkPoint>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    catalogue::unlink(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

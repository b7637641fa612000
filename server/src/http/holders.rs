//! Holder endpoints: 轮岗交流 (a handover) and 离岗 (a holder leaves). The work is done by
//! [`crate::holders`].

use app::{
    api::SessionUser,
    write::{Done, EndHolding, HandedOver, Handover},
};
use axum::{
    extract::{Path, State},
    Extension, Json,
};

use super::{
    error::HttpError,
    state::{signed_in, AppState},
};
use crate::db::now_ms;

/// `POST /api/posts/{post_id}/handover`.
pub async fn handover(
    State(state): State<AppState>,
    Path(post_id): Path<i64>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<Handover>,
) -> Result<Json<HandedOver>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        crate::holders::handover(&state.db, user.id, post_id, &body, now_ms()).await?,
    ))
}

/// `POST /api/posts/{post_id}/holders/end`.
pub async fn end(
    State(state): State<AppState>,
    Path(post_id): Path<i64>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<EndHolding>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    crate::holders::end(&state.db, user.id, post_id, &body, now_ms()).await?;
    Ok(Json(Done::YES))
}

//! 廉政教育 endpoints: recording a one-to-one talk and a collective session, and the commission's
//! talks a year by grade. The work, with its permission checks, is done by [`crate::education`].

use app::{
    api::SessionUser,
    write::{
        AttendanceFile, Done, RecordSession, RecordTalk, Recorded, SaveTalkQuota, VoidSession,
        VoidTalk,
    },
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    Extension, Json,
};

use super::{
    error::HttpError,
    state::{signed_in, AppState},
};
use crate::{db::now_ms, education, store::education::Record};

/// `POST /api/education/talks`.
pub async fn record_talk(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<RecordTalk>,
) -> Result<Json<Recorded>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        education::record_talk(&state.db, &user, &body, now_ms()).await?,
    ))
}

/// `POST /api/education/sessions`.
pub async fn record_session(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<RecordSession>,
) -> Result<Json<Recorded>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        education::record_session(&state.db, &user, &body, now_ms()).await?,
    ))
}

/// `POST /api/settings/talk-quota`.
pub async fn talk_quota(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SaveTalkQuota>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    education::save_quota(&state.db, &user, &body, now_ms()).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/units/{id}/attendance-file`: the names of a sign-in sheet; the body is the file.
pub async fn attendance_file(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(unit): Path<i64>,
    body: Bytes,
) -> Result<Json<AttendanceFile>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        education::attendance_file(&state.db, &user, unit, &body).await?,
    ))
}

/// `POST /api/education/talks/{id}/void`.
pub async fn void_talk(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<VoidTalk>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    education::void(&state.db, &user, Record::Talk, id, &body.reason, now_ms()).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/education/sessions/{id}/void`.
pub async fn void_session(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<VoidSession>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    education::void(
        &state.db,
        &user,
        Record::Session,
        id,
        &body.reason,
        now_ms(),
    )
    .await?;
    Ok(Json(Done::YES))
}

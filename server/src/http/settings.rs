//! 区纪委设置 endpoints: the notice period and the 回头看 cadence, the holiday calendar, a
//! round's rating matrix. The work is done by [`crate::settings`].

use app::{
    api::SessionUser,
    write::{
        CalendarImported, Done, ImportCalendar, MatrixSet, RemoveRobot, SaveSettings,
        SaveWarningRules, SetRobot, SetRoundMatrix, TestRobot,
    },
};
use axum::{
    extract::{Path, State},
    Extension, Json,
};

use super::{
    error::HttpError,
    state::{signed_in, AppState},
};
use crate::{robots, settings, warnings};

/// `POST /api/settings`.
pub async fn save(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SaveSettings>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    settings::save(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/settings/calendar`.
pub async fn calendar(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<ImportCalendar>,
) -> Result<Json<CalendarImported>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        settings::import_calendar(&state.db, &user, &body).await?,
    ))
}

/// `POST /api/settings/warning-rules`.
pub async fn warning_rules(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SaveWarningRules>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    warnings::rules::save(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/settings/robots`.
pub async fn set_robot(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<SetRobot>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    robots::set(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/settings/robots/remove`.
pub async fn remove_robot(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<RemoveRobot>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    robots::remove(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/settings/robots/test`.
pub async fn test_robot(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<TestRobot>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    robots::test(&state.db, &user, &body).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/rounds/{id}/matrix`.
pub async fn round_matrix(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(round): Path<i64>,
    Json(body): Json<SetRoundMatrix>,
) -> Result<Json<MatrixSet>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        settings::set_round_matrix(&state.db, &user, round, &body).await?,
    ))
}

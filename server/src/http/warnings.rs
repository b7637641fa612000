//! Supervision endpoints: warnings (预警: raise, answer, accept, send back, and the commission's
//! check now), the section head's check of a carried-out measure (检验), and marking one's
//! notifications read. The work, with its permission checks, is done by [`crate::warnings`],
//! [`crate::measures`] and [`crate::notifications`].

use app::{
    api::SessionUser,
    write::{
        AcceptWarning, AnswerWarning, CheckMeasure, CheckWarnings, Done, MarkNotificationsRead,
        MeasureChecked, RaiseWarning, SendBackWarning, WarningRaised, WarningStep, Write,
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
use crate::{
    db::now_ms,
    warnings::{self, Step},
};

/// `POST /api/warnings`: the commission or a leader in charge raises a warning.
pub async fn raise(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<RaiseWarning>,
) -> Result<Json<WarningRaised>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        warnings::raise(&state.db, user.id, &body, now_ms()).await?,
    ))
}

/// `POST /api/warnings/{warning_id}/answer`: the written answer of the person warned.
pub async fn answer(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<AnswerWarning>,
) -> Result<Json<WarningStep>, HttpError> {
    let user = signed_in(user)?;
    let step = Step::Answer {
        analysis: &body.analysis,
        measures: &body.measures,
    };
    Ok(Json(
        warnings::step(&state.db, user.id, id, step, now_ms()).await?,
    ))
}

/// `POST /api/warnings/{warning_id}/accept`: the issuer accepts the answer. The body
/// ([`AcceptWarning`]) carries nothing and is not read.
pub async fn accept(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<<AcceptWarning as Write>::Reply>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        warnings::step(&state.db, user.id, id, Step::Accept, now_ms()).await?,
    ))
}

/// `POST /api/warnings/{warning_id}/send-back`: the issuer sends the answer back with a reason.
pub async fn send_back(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<SendBackWarning>,
) -> Result<Json<WarningStep>, HttpError> {
    let user = signed_in(user)?;
    let step = Step::SendBack {
        reason: &body.reason,
    };
    Ok(Json(
        warnings::step(&state.db, user.id, id, step, now_ms()).await?,
    ))
}

/// `POST /api/warnings/check`: the commission runs the overdue check now. The body
/// ([`CheckWarnings`]) carries nothing and is not read.
pub async fn check(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
) -> Result<Json<<CheckWarnings as Write>::Reply>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        warnings::check_now(&state.db, user.id, now_ms()).await?,
    ))
}

/// `POST /api/notifications/read`: marks the user's own notifications read.
pub async fn read_notifications(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<MarkNotificationsRead>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    crate::notifications::mark_read(&state.db, user.id, body.up_to, now_ms()).await?;
    Ok(Json(Done::YES))
}

/// `POST /api/measures/check`: a section head accepts a measure reported finished, or sends it
/// back with a reason.
pub async fn check_measure(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<CheckMeasure>,
) -> Result<Json<MeasureChecked>, HttpError> {
    let user = signed_in(user)?;
    Ok(Json(
        crate::measures::check(&state.db, user.id, &body, now_ms()).await?,
    ))
}

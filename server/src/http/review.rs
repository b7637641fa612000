//! Handlers for the review around the chain (peer reviews, suggestions, meetings, objections, key
//! posts). Each reads and checks its input, then calls [`crate::review`], which authorises from
//! the database and does the work.

use std::net::SocketAddr;

use app::api::SessionUser;
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Extension, Form, Json,
};
use domain::{
    risk::IsoDate,
    sync::RiskPointInput,
    text::{
        Attendees, DeclineReason, MeetingDecision, MinutesRef, ObjectionResponse, ReviewComment,
    },
};
use serde::{Deserialize, Serialize};

use super::{account::client_address, error::HttpError, state::signed_in, state::AppState};
use crate::review::{self, MeetingRecord, NewObjection, ObjectionRefused};

#[derive(Debug, Serialize)]
pub struct Done {
    pub ok: bool,
}

const DONE: Json<Done> = Json(Done { ok: true });

#[derive(Debug, Deserialize)]
pub struct CommentIn {
    pub comment: String,
}

/// `POST /api/posts/{post_id}/peer-reviews`: a colleague's review; a second one replaces the first.
pub async fn peer_review(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(post_id): Path<i64>,
    Json(body): Json<CommentIn>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let comment = ReviewComment::parse(&body.comment)?;
    review::peer_review(&state.db, &user, post_id, &comment).await?;
    Ok(DONE)
}

/// `POST /api/posts/{post_id}/suggestions`: a colleague suggests a risk point.
pub async fn suggest(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(post_id): Path<i64>,
    Json(input): Json<RiskPointInput>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    review::suggest(&state.db, &user, post_id, &input).await?;
    Ok(DONE)
}

/// `POST /api/suggestions/{id}/accept`: the suggested point joins the sheet.
pub async fn accept_suggestion(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    review::accept_suggestion(&state.db, &user, id).await?;
    Ok(DONE)
}

#[derive(Debug, Deserialize)]
pub struct ReasonIn {
    pub reason: String,
}

/// `POST /api/suggestions/{id}/decline`: declined, with the reason the colleague will read.
pub async fn decline_suggestion(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<ReasonIn>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let reason = DeclineReason::parse(&body.reason)?;
    review::decline_suggestion(&state.db, &user, id, &reason).await?;
    Ok(DONE)
}

#[derive(Debug, Deserialize)]
pub struct MeetingIn {
    pub unit_id: i64,
    pub post_ids: Vec<i64>,
    pub held_on: String,
    pub attendees: String,
    pub decision: String,
    pub minutes_ref: String,
}

#[derive(Debug, Serialize)]
pub struct MeetingOut {
    pub meeting_id: i64,
    pub approved: usize,
}

/// `POST /api/meetings`: the liaison records the leadership meeting that approved a set of the
/// unit's sheets (see [`review::record_meeting`]).
pub async fn record_meeting(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<MeetingIn>,
) -> Result<Json<MeetingOut>, HttpError> {
    let user = signed_in(user)?;
    let record = MeetingRecord {
        unit_id: body.unit_id,
        post_ids: body.post_ids,
        held_on: IsoDate::parse(&body.held_on, "held_on", "会议日期")?,
        attendees: Attendees::parse(&body.attendees)?,
        decision: MeetingDecision::parse(&body.decision)?,
        minutes_ref: MinutesRef::parse(&body.minutes_ref)?,
    };
    let (meeting_id, approved) = review::record_meeting(&state.db, &user, record).await?;
    Ok(Json(MeetingOut {
        meeting_id,
        approved,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ObjectionForm {
    pub post_id: i64,
    pub text: String,
    #[serde(default)]
    pub contact: String,
}

/// `POST /public/objections`: anyone files an objection to a post's published sheet. A plain
/// form that works without wasm; the answer is a redirect back to the notice page carrying the
/// outcome.
pub async fn file_objection(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ObjectionForm>,
) -> Response {
    let address = client_address(&state, peer, &headers);
    let objection = NewObjection {
        post_id: form.post_id,
        text: &form.text,
        contact: &form.contact,
    };
    match review::file_objection(
        &state.db,
        state.objection_key.as_slice(),
        &address,
        &objection,
    )
    .await
    {
        Ok(unit) => Redirect::to(&format!(
            "/public/units/{unit}?filed=1#post-{}",
            form.post_id
        ))
        .into_response(),
        Err(ObjectionRefused::Refused { unit, code }) => Redirect::to(&format!(
            "/public/units/{unit}?error={code}#objection-{}",
            form.post_id
        ))
        .into_response(),
        Err(ObjectionRefused::Other(e)) => HttpError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResponseIn {
    pub response: String,
}

/// `POST /api/objections/{id}/resolve`: the liaison answers an objection, which stops holding the
/// sheet.
pub async fn resolve_objection(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<ResponseIn>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let response = ObjectionResponse::parse(&body.response)?;
    review::resolve_objection(&state.db, &user, id, &response).await?;
    Ok(DONE)
}

#[derive(Debug, Deserialize)]
pub struct SupervisionIn {
    pub key_post: bool,
    #[serde(default)]
    pub grade: Option<String>,
}

/// `POST /api/posts/{post_id}/supervision`: the commission marks a key post and its grade.
pub async fn set_supervision(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(post_id): Path<i64>,
    Json(body): Json<SupervisionIn>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    review::set_marks(
        &state.db,
        &user,
        post_id,
        body.key_post,
        body.grade.as_deref(),
    )
    .await?;
    Ok(DONE)
}

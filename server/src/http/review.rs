//! Handlers for the review around the chain (peer reviews, suggestions, meetings, objections, key
//! posts). Each reads and checks its input, then calls [`crate::review`], which authorises from
//! the database and does the work.

use std::net::SocketAddr;

use app::{
    api::SessionUser,
    write::{
        AcceptSuggestion, DeclineSuggestion, Done, MeetingRecorded, PeerReview, RecordMeeting,
        ResolveObjection, SetSupervision, Suggestion,
    },
};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Extension, Form, Json,
};
use domain::{
    risk::IsoDate,
    text::{Attendees, DeclineReason, MeetingDecision, MinutesRef, ReviewComment},
};
use serde::Deserialize;

use super::{account::client_address, error::HttpError, state::signed_in, state::AppState};
use crate::review::{self, MeetingRecord, NewObjection, ObjectionRefused};

const DONE: Json<Done> = Json(Done::YES);

/// `POST /api/posts/{post_id}/peer-reviews`: a colleague's review; a second one replaces the first.
pub async fn peer_review(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(post_id): Path<i64>,
    Json(body): Json<PeerReview>,
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
    Json(Suggestion(input)): Json<Suggestion>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    review::suggest(&state.db, &user, post_id, &input).await?;
    Ok(DONE)
}

/// `POST /api/suggestions/{id}/accept`: the suggested point joins the sheet. The body
/// ([`AcceptSuggestion`]) carries nothing and is not read.
pub async fn accept_suggestion(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<<AcceptSuggestion as app::write::Write>::Reply>, HttpError> {
    let user = signed_in(user)?;
    review::accept_suggestion(&state.db, &user, id).await?;
    Ok(DONE)
}

/// `POST /api/suggestions/{id}/decline`: declined, with the reason the colleague will read.
pub async fn decline_suggestion(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<DeclineSuggestion>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let reason = DeclineReason::parse(&body.reason)?;
    review::decline_suggestion(&state.db, &user, id, &reason).await?;
    Ok(DONE)
}

/// `POST /api/meetings`: the liaison records the leadership meeting that approved a set of the
/// unit's sheets (see [`review::record_meeting`]).
pub async fn record_meeting(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<RecordMeeting>,
) -> Result<Json<MeetingRecorded>, HttpError> {
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
    Ok(Json(MeetingRecorded {
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
    match review::file_objection(&state.db, &state.secret, &address, &objection).await {
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

/// `POST /api/objections/{id}/resolve`: the liaison answers an objection, which stops holding the
/// sheet.
pub async fn resolve_objection(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
    Json(body): Json<ResolveObjection>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    review::resolve_objection(&state.db, &user, id, &body.response, &body.outcome).await?;
    Ok(DONE)
}

/// `POST /api/posts/{post_id}/supervision`: the commission marks a key post and its grade.
pub async fn set_supervision(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(post_id): Path<i64>,
    Json(body): Json<SetSupervision>,
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

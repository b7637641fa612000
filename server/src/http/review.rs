//! The reviewing work around the chain that is not a chain step itself: peer reviews and suggested
//! risk points (互评), the collective-review meeting (集体审定, which approves in bulk through the
//! chain), objections to the public notice (公示异议) and the commission's supervision grade.
//!
//! Every handler authenticates and authorises in its own body, from the database: deny by default.

use std::net::SocketAddr;

use app::{api::SessionUser, error::ApiError};
use axum::{
    extract::{ConnectInfo, Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    Extension, Form, Json,
};
use domain::{
    chain::{is_peer_reviewer, Action, PeerPost},
    ids::{OrgUnitId, PostId},
    post::{PostLevel, PostMarks, SupervisionGrade},
    risk::IsoDate,
    stage::Stage,
    sync::{OpResult, RiskPointInput},
    text::{
        Attendees, DeclineReason, MeetingDecision, MinutesRef, ObjectionContact, ObjectionResponse,
        ObjectionText, ReviewComment,
    },
};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::{account::client_address, signed_in, who, AppState, HttpError};
use crate::{db::now_ms, sync};

/// Objections one address may file per hour.
pub const OBJECTIONS_PER_HOUR: i64 = 5;
/// Undecided suggestions one colleague may have on one sheet.
pub const PENDING_SUGGESTIONS_PER_COLLEAGUE: i64 = 20;
/// Sheets one meeting record may approve.
const MAX_MEETING_SHEETS: usize = 500;

#[derive(Debug, Serialize)]
pub struct Done {
    pub ok: bool,
}

const DONE: Json<Done> = Json(Done { ok: true });

/// A post's current sheet with what the rules need about it.
struct SheetRef {
    sheet_id: i64,
    post: PeerPost,
    stage: Stage,
}

async fn sheet_of_post(
    conn: &mut SqliteConnection,
    post_id: i64,
) -> Result<Option<SheetRef>, HttpError> {
    let row = sqlx::query!(
        r#"SELECT rs.id AS "sheet_id!: i64", rs.stage, p.unit_id AS "unit_id!: i64", p.level
           FROM posts p JOIN risk_sheets rs ON rs.post_id = p.id JOIN rounds r ON r.id = rs.round_id
           WHERE p.id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1"#,
        post_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(SheetRef {
            sheet_id: r.sheet_id,
            post: PeerPost {
                post: PostId(post_id),
                unit: OrgUnitId(r.unit_id),
                level: PostLevel::parse(&r.level).map_err(|e| anyhow::anyhow!("{e}"))?,
            },
            stage: Stage::from_code(&r.stage).map_err(|e| anyhow::anyhow!("{e}"))?,
        })
    })
    .transpose()
}

/// The posts a user holds, as peer review sees them.
pub(crate) async fn held_posts(
    conn: &mut SqliteConnection,
    user_id: i64,
) -> Result<Vec<PeerPost>, HttpError> {
    sqlx::query!(
        r#"SELECT p.id AS "id!: i64", p.unit_id AS "unit_id!: i64", p.level
           FROM post_holders h JOIN posts p ON p.id = h.post_id WHERE h.user_id = ?"#,
        user_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(PeerPost {
            post: PostId(r.id),
            unit: OrgUnitId(r.unit_id),
            level: PostLevel::parse(&r.level).map_err(|e| anyhow::anyhow!("{e}"))?,
        })
    })
    .collect()
}

/// The sheet of `post_id` if `user` may peer-review it now; otherwise the reason why not.
async fn peer_sheet(
    conn: &mut SqliteConnection,
    user: &SessionUser,
    post_id: i64,
) -> Result<SheetRef, HttpError> {
    let peer_refused = || {
        HttpError(ApiError::new(
            "forbidden",
            "只有同一单位（领导岗位为同一领导班子）的其他在岗人员才能互评",
        ))
    };
    // A post that does not exist is refused like one the user may not review.
    let sheet = sheet_of_post(conn, post_id)
        .await?
        .ok_or_else(peer_refused)?;
    let held = held_posts(conn, user.id).await?;
    if !is_peer_reviewer(&held, sheet.post) {
        return Err(peer_refused());
    }
    if sheet.stage != Stage::PeerReview {
        return Err(ApiError::new(
            "wrong_stage",
            format!("排查表当前处于“{}”环节，不在互评中", sheet.stage.label()),
        )
        .into());
    }
    Ok(sheet)
}

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
    let mut tx = state.db.begin_write().await?;
    let sheet = peer_sheet(&mut tx, &user, post_id).await?;
    let (now, text) = (now_ms(), comment.as_str());
    sqlx::query!(
        "INSERT INTO peer_reviews (sheet_id, by_user, comment, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sheet_id, by_user) DO UPDATE SET comment = excluded.comment, at = excluded.at",
        sheet.sheet_id,
        user.id,
        text,
        now
    )
    .execute(&mut **tx)
    .await?;
    tx.commit().await?;
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
    if let Err(errors) = input.validate() {
        return Err(errors.into());
    }
    let json = serde_json::to_string(&input).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin_write().await?;
    let sheet = peer_sheet(&mut tx, &user, post_id).await?;
    let pending = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM suggestions WHERE sheet_id = ? AND by_user = ? AND status = 'pending'"#,
        sheet.sheet_id,
        user.id
    )
    .fetch_one(&mut **tx)
    .await?;
    if pending >= PENDING_SUGGESTIONS_PER_COLLEAGUE {
        return Err(ApiError::new(
            "too_many_suggestions",
            format!("您对该岗位尚有 {pending} 条建议未处理，请待本人处理后再提"),
        )
        .into());
    }
    let now = now_ms();
    sqlx::query!(
        "INSERT INTO suggestions (sheet_id, by_user, input_json, at) VALUES (?, ?, ?, ?)",
        sheet.sheet_id,
        user.id,
        json,
        now
    )
    .execute(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(DONE)
}

/// A pending suggestion the signed-in holder may decide on now.
struct OwnSuggestion {
    sheet_id: i64,
    post_id: i64,
    input_json: String,
}

async fn own_pending_suggestion(
    conn: &mut SqliteConnection,
    user: &SessionUser,
    id: i64,
) -> Result<OwnSuggestion, HttpError> {
    let row = sqlx::query!(
        r#"SELECT s.sheet_id AS "sheet_id!: i64", s.status, s.input_json, rs.post_id AS "post_id!: i64", rs.stage,
                  EXISTS (SELECT 1 FROM post_holders h WHERE h.post_id = rs.post_id AND h.user_id = ?) AS "holder!: bool"
           FROM suggestions s JOIN risk_sheets rs ON rs.id = s.sheet_id WHERE s.id = ?"#,
        user.id,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .filter(|r| r.holder)
    // A suggestion that does not exist is refused like one on someone else's sheet.
    .ok_or_else(|| ApiError::new("forbidden", "只有本岗位的在岗人员才能处理同事的建议"))?;
    if row.status != "pending" {
        return Err(ApiError::new("already_decided", "该建议已处理过").into());
    }
    if row.stage != Stage::PeerReview.code() {
        return Err(ApiError::new("wrong_stage", "互评已结束，不能再处理建议").into());
    }
    Ok(OwnSuggestion {
        sheet_id: row.sheet_id,
        post_id: row.post_id,
        input_json: row.input_json,
    })
}

/// `POST /api/suggestions/{id}/accept`: the suggested point joins the sheet.
pub async fn accept_suggestion(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<i64>,
) -> Result<Json<Done>, HttpError> {
    let user = signed_in(user)?;
    let mut tx = state.db.begin_write().await?;
    let s = own_pending_suggestion(&mut tx, &user, id).await?;
    let input: RiskPointInput = serde_json::from_str(&s.input_json).map_err(anyhow::Error::from)?;
    let now = now_ms();
    let point = sync::insert_point(&mut tx, s.sheet_id, s.post_id, input, user.id, now).await?;
    let point = point.to_string();
    sqlx::query!(
        "UPDATE suggestions SET status = 'accepted', risk_point_id = ?, decided_at = ? WHERE id = ?",
        point,
        now,
        id
    )
    .execute(&mut **tx)
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin_write().await?;
    own_pending_suggestion(&mut tx, &user, id).await?;
    let (now, reason) = (now_ms(), reason.as_str());
    sqlx::query!(
        "UPDATE suggestions SET status = 'declined', decline_reason = ?, decided_at = ? WHERE id = ?",
        reason,
        now,
        id
    )
    .execute(&mut **tx)
    .await?;
    tx.commit().await?;
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
/// unit's sheets; each sheet is approved at 集体审定 through the chain. All or nothing: if one
/// sheet cannot be approved, nothing is recorded and the answer names it.
pub async fn record_meeting(
    State(state): State<AppState>,
    user: Option<Extension<SessionUser>>,
    Json(body): Json<MeetingIn>,
) -> Result<Json<MeetingOut>, HttpError> {
    let user = signed_in(user)?;
    let (principal, tree, _) = who(&state, &user).await?;
    if !principal.may_record_meeting(&tree, OrgUnitId(body.unit_id)) {
        return Err(ApiError::new("forbidden", "只有本单位的纪检联络员才能登记集体审定").into());
    }
    let held_on = IsoDate::parse(&body.held_on, "held_on", "会议日期")?;
    let attendees = Attendees::parse(&body.attendees)?;
    let decision = MeetingDecision::parse(&body.decision)?;
    let minutes_ref = MinutesRef::parse(&body.minutes_ref)?;
    let mut body = body;
    let mut seen = std::collections::HashSet::new();
    body.post_ids.retain(|p| seen.insert(*p));
    if body.post_ids.is_empty() {
        return Err(ApiError::new("no_sheets", "请至少选择一个经会议审定的岗位").into());
    }
    if body.post_ids.len() > MAX_MEETING_SHEETS {
        return Err(ApiError::new(
            "too_many_sheets",
            format!("一次会议登记最多 {MAX_MEETING_SHEETS} 个岗位"),
        )
        .into());
    }
    let mut tx = state.db.begin_write().await?;
    let now = now_ms();
    let mut sheet_ids = Vec::with_capacity(body.post_ids.len());
    for post_id in &body.post_ids {
        let sheet = sheet_of_post(&mut tx, *post_id).await?;
        let Some(sheet) = sheet.filter(|s| tree.is_within(s.post.unit, OrgUnitId(body.unit_id)))
        else {
            return Err(
                ApiError::new("not_in_unit", format!("岗位 {post_id} 不属于本单位")).into(),
            );
        };
        sheet_ids.push(sheet.sheet_id);
    }
    // Each sheet is approved through the chain as the meeting's step: one that is not at
    // 集体审定 (or that the liaison may not pass) refuses the whole record, naming the post.
    let steps: Vec<(i64, Action)> = body
        .post_ids
        .iter()
        .map(|p| (*p, Action::Approve))
        .collect();
    let results = sync::decide_steps(&mut tx, state.db.pool(), user.id, &steps, now).await?;
    if let Some((post, OpResult::Rejected { code, message, .. })) = body
        .post_ids
        .iter()
        .zip(&results)
        .find(|(_, r)| matches!(r, OpResult::Rejected { .. }))
    {
        let title = post_title(&mut tx, *post).await?;
        return Err(ApiError::new(code, format!("“{title}”：{message}")).into());
    }
    let (held_on, attendees, decision, minutes_ref) = (
        held_on.to_string(),
        attendees.as_str(),
        decision.as_str(),
        minutes_ref.as_str(),
    );
    let meeting_id = sqlx::query_scalar!(
        r#"INSERT INTO review_meetings (unit_id, held_on, attendees, decision, minutes_ref, by_user, at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        body.unit_id,
        held_on,
        attendees,
        decision,
        minutes_ref,
        user.id,
        now
    )
    .fetch_one(&mut **tx)
    .await?;
    for sheet_id in &sheet_ids {
        sqlx::query!(
            "INSERT OR IGNORE INTO meeting_sheets (meeting_id, sheet_id) VALUES (?, ?)",
            meeting_id,
            sheet_id
        )
        .execute(&mut **tx)
        .await?;
    }
    crate::audit::append(
        &mut tx,
        "meeting_recorded",
        Some(user.id),
        &format!("meeting:{meeting_id}"),
        &serde_json::json!({
            "unit": body.unit_id, "posts": body.post_ids, "held_on": held_on,
            "attendees": attendees, "decision": decision, "minutes_ref": minutes_ref,
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(MeetingOut {
        meeting_id,
        approved: results.len(),
    }))
}

async fn post_title(conn: &mut SqliteConnection, post_id: i64) -> Result<String, HttpError> {
    Ok(
        sqlx::query_scalar!("SELECT title FROM posts WHERE id = ?", post_id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_else(|| post_id.to_string()),
    )
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
/// outcome. Limited per address; only the hash of the address is stored.
pub async fn file_objection(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ObjectionForm>,
) -> Response {
    let address = client_address(&state, peer, &headers);
    match file_objection_in(&state, &address, &form).await {
        Ok(unit) => Redirect::to(&format!(
            "/public/units/{unit}?filed=1#post-{}",
            form.post_id
        ))
        .into_response(),
        Err(FileError::Refused(unit, code)) => Redirect::to(&format!(
            "/public/units/{unit}?error={code}#objection-{}",
            form.post_id
        ))
        .into_response(),
        Err(FileError::Other(e)) => e.into_response(),
    }
}

enum FileError {
    Refused(i64, &'static str),
    Other(HttpError),
}

impl<E: Into<HttpError>> From<E> for FileError {
    fn from(e: E) -> Self {
        Self::Other(e.into())
    }
}

async fn file_objection_in(
    state: &AppState,
    address: &str,
    form: &ObjectionForm,
) -> Result<i64, FileError> {
    use sha2::{Digest as _, Sha256};
    let mut tx = state.db.begin_write().await?;
    let sheet = sheet_of_post(&mut tx, form.post_id)
        .await?
        .ok_or_else(|| HttpError(ApiError::not_found("该岗位")))?;
    let unit = sheet.post.unit.0;
    if sheet.stage != Stage::PublicNotice {
        return Err(FileError::Refused(unit, "not_in_notice"));
    }
    let Ok(text) = ObjectionText::parse(&form.text) else {
        return Err(FileError::Refused(unit, "text_length"));
    };
    let contact = match form.contact.trim() {
        "" => None,
        c => Some(
            ObjectionContact::parse(c)
                .map_err(|_| FileError::Refused(unit, "contact_length"))?
                .as_str()
                .to_owned(),
        ),
    };
    // Keyed with a random key that lives only in memory: the database alone cannot tell whose
    // address it was (unlike a plain hash, which all IPv4 addresses could be tried against). A
    // restart changes the key, which only resets the hourly count.
    let hashed = hex::encode(Sha256::digest(
        [state.objection_key.as_slice(), address.as_bytes()].concat(),
    ));
    let now = now_ms();
    let since = now - 3_600_000;
    let recent = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM objections WHERE address = ? AND at > ?"#,
        hashed,
        since
    )
    .fetch_one(&mut **tx)
    .await?;
    if recent >= OBJECTIONS_PER_HOUR {
        return Err(FileError::Refused(unit, "rate_limited"));
    }
    let text = text.as_str();
    sqlx::query!(
        "INSERT INTO objections (sheet_id, text, contact, address, at) VALUES (?, ?, ?, ?, ?)",
        sheet.sheet_id,
        text,
        contact,
        hashed,
        now
    )
    .execute(&mut **tx)
    .await?;
    sync::record_change(
        &mut tx,
        form.post_id,
        "sheet",
        &form.post_id.to_string(),
        now,
    )
    .await?;
    crate::audit::append(
        &mut tx,
        "objection_filed",
        None,
        &format!("sheet:{}", sheet.sheet_id),
        // The contact is personal data and the log is never erased: only its hash goes in.
        &serde_json::json!({
            "post": form.post_id,
            "text": text,
            "contact_sha256": contact.as_deref().map(|c| hex::encode(Sha256::digest(c))),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
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
    let (principal, tree, _) = who(&state, &user).await?;
    let response = ObjectionResponse::parse(&body.response)?;
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query!(
        r#"SELECT o.status, p.unit_id AS "unit_id!: i64", p.id AS "post_id!: i64"
           FROM objections o JOIN risk_sheets rs ON rs.id = o.sheet_id JOIN posts p ON p.id = rs.post_id
           WHERE o.id = ?"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    // The liaison of the unit answers, never about a post they hold themselves; an objection
    // that does not exist is refused alike.
    let Some(row) = row.filter(|r| {
        principal.may_answer_objections(&tree, PostId(r.post_id), OrgUnitId(r.unit_id))
    }) else {
        return Err(ApiError::new(
            "forbidden",
            "只有本单位的纪检联络员才能处理异议，且不能处理本人所在岗位的异议",
        )
        .into());
    };
    if row.status != "open" {
        return Err(ApiError::new("already_resolved", "该异议已处理").into());
    }
    let (now, response) = (now_ms(), response.as_str());
    sqlx::query!(
        "UPDATE objections SET status = 'resolved', response = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
        response,
        user.id,
        now,
        id
    )
    .execute(&mut **tx)
    .await?;
    sync::record_change(&mut tx, row.post_id, "sheet", &row.post_id.to_string(), now).await?;
    crate::audit::append(
        &mut tx,
        "objection_resolved",
        Some(user.id),
        &format!("objection:{id}"),
        &serde_json::json!({ "post": row.post_id, "response": response }),
        now,
    )
    .await?;
    tx.commit().await?;
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
    let (principal, tree, _) = who(&state, &user).await?;
    let unit = sqlx::query_scalar!(
        r#"SELECT unit_id AS "unit_id!: i64" FROM posts WHERE id = ?"#,
        post_id
    )
    .fetch_optional(state.db.pool())
    .await?;
    let may =
        unit.is_some_and(|unit| principal.may_grade_post(&tree, PostId(post_id), OrgUnitId(unit)));
    if !may {
        return Err(ApiError::new(
            "forbidden",
            "只有区纪委审核人员才能认定重点岗位，且不能认定本人所在岗位",
        )
        .into());
    }
    let grade = match body.grade.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(SupervisionGrade::parse(raw)?),
    };
    let marks = PostMarks::new(body.key_post, grade)?;
    let grade = marks.grade();
    let mut tx = state.db.begin_write().await?;
    let (key, grade) = (i64::from(body.key_post), grade.map(SupervisionGrade::code));
    sqlx::query!(
        "UPDATE posts SET key_post = ?, supervision_grade = ? WHERE id = ?",
        key,
        grade,
        post_id
    )
    .execute(&mut **tx)
    .await?;
    let now = now_ms();
    sync::record_change(&mut tx, post_id, "sheet", &post_id.to_string(), now).await?;
    crate::audit::append(
        &mut tx,
        "supervision_grade",
        Some(user.id),
        &format!("post:{post_id}"),
        &serde_json::json!({ "key_post": body.key_post, "grade": grade }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(DONE)
}

//! The reviewing work around the chain that is not a chain step itself: peer reviews and
//! suggested risk points (互评), the collective-review meeting (集体审定, which approves in bulk
//! through the chain), objections to the public notice (公示异议) and the commission's marks on
//! key posts. Each function checks who may do it, from the database, and does it in one write
//! transaction with its audit entry.

use std::collections::HashSet;

use app::api::SessionUser;
use domain::{
    chain::{is_peer_reviewer, Action, ObjectionOutcome, PeerPost, Via},
    ids::{OrgUnitId, PostId},
    post::{PostMarks, SupervisionGrade},
    risk::IsoDate,
    stage::Stage,
    sync::RiskPointInput,
    text::{
        Attendees, DeclineReason, MeetingDecision, MinutesRef, ObjectionContact, ObjectionResponse,
        ObjectionText, ReviewComment,
    },
};
use serde_json::json;

use crate::{
    actor::Actor,
    audit,
    chain::{self, Outcome},
    db::{now_ms, Db},
    error::{Error, Result},
    secret::{Purpose, ServerSecret},
    store::{self, Conn},
    sync,
};

/// Objections one address may file per hour.
pub const OBJECTIONS_PER_HOUR: i64 = 5;
/// Undecided suggestions one colleague may have on one sheet.
pub const PENDING_SUGGESTIONS_PER_COLLEAGUE: i64 = 20;
/// Sheets one meeting record may approve.
pub const MAX_MEETING_SHEETS: usize = 500;

/// A post's current sheet with what peer review needs about it.
struct PeerSheet {
    sheet_id: i64,
    post: PeerPost,
    stage: Stage,
}

async fn peer_sheet_of(conn: &mut Conn, post_id: i64) -> Result<Option<PeerSheet>> {
    let Some(post) = store::org::post(conn, post_id).await? else {
        return Ok(None);
    };
    let Some(sheet) = store::sheets::current(conn, post_id).await? else {
        return Ok(None);
    };
    Ok(Some(PeerSheet {
        sheet_id: sheet.id,
        post: PeerPost {
            post: PostId(post_id),
            unit: OrgUnitId(post.unit_id),
            level: post.level,
        },
        stage: sheet.stage,
    }))
}

/// The sheet of `post_id` if `user` may peer-review it now; otherwise the reason why not.
async fn peer_sheet(conn: &mut Conn, user: &SessionUser, post_id: i64) -> Result<PeerSheet> {
    let peer_refused = || {
        Error::refused(
            "forbidden",
            "只有同一单位（领导岗位为同一领导班子）的其他在岗人员才能互评",
        )
    };
    // A post that does not exist is refused like one the user may not review.
    let sheet = peer_sheet_of(conn, post_id)
        .await?
        .ok_or_else(peer_refused)?;
    let held = store::org::held_posts(conn, user.id).await?;
    if !is_peer_reviewer(&held, sheet.post) {
        return Err(peer_refused());
    }
    if sheet.stage != Stage::PeerReview {
        return Err(Error::refused(
            "wrong_stage",
            format!("排查表当前处于“{}”环节，不在互评中", sheet.stage.label()),
        ));
    }
    Ok(sheet)
}

/// A colleague's review; a second one replaces the first.
pub async fn peer_review(
    db: &Db,
    user: &SessionUser,
    post_id: i64,
    comment: &ReviewComment,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let sheet = peer_sheet(&mut tx, user, post_id).await?;
    store::review::upsert_peer_review(&mut tx, sheet.sheet_id, user.id, comment.as_str(), now_ms())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A colleague suggests a risk point.
pub async fn suggest(
    db: &Db,
    user: &SessionUser,
    post_id: i64,
    input: &RiskPointInput,
) -> Result<()> {
    input.validate()?;
    let json = serde_json::to_string(input).map_err(anyhow::Error::from)?;
    let mut tx = db.begin_write().await?;
    let sheet = peer_sheet(&mut tx, user, post_id).await?;
    db.limits()
        .check_new_suggestion(store::review::suggestions_on(&mut tx, sheet.sheet_id).await?)
        .map_err(|e| Error::refused(&e.code, e.message))?;
    let pending = store::review::pending_suggestions_by(&mut tx, sheet.sheet_id, user.id).await?;
    if pending >= PENDING_SUGGESTIONS_PER_COLLEAGUE {
        return Err(Error::refused(
            "too_many_suggestions",
            format!("您对该岗位尚有 {pending} 条建议未处理，请待本人处理后再提"),
        ));
    }
    store::review::insert_suggestion(&mut tx, sheet.sheet_id, user.id, &json, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// A pending suggestion the signed-in holder may decide on now.
async fn own_pending_suggestion(
    conn: &mut Conn,
    user: &SessionUser,
    id: i64,
) -> Result<store::review::SuggestionForHolder> {
    let row = store::review::suggestion_for(conn, id, user.id)
        .await?
        .filter(|r| r.holder)
        // A suggestion that does not exist is refused like one on someone else's sheet.
        .ok_or_else(|| Error::refused("forbidden", "只有本岗位的在岗人员才能处理同事的建议"))?;
    if !row.pending {
        return Err(Error::refused("already_decided", "该建议已处理过"));
    }
    if row.stage != Stage::PeerReview {
        return Err(Error::refused("wrong_stage", "互评已结束，不能再处理建议"));
    }
    Ok(row)
}

/// The holder accepts a suggestion: it joins the sheet as a risk point.
pub async fn accept_suggestion(db: &Db, user: &SessionUser, id: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let s = own_pending_suggestion(&mut tx, user, id).await?;
    let input: RiskPointInput = serde_json::from_str(&s.input_json).map_err(anyhow::Error::from)?;
    let now = now_ms();
    let point = sync::insert_point(&mut tx, db.limits(), s.post_id, input, user.id, now).await?;
    store::review::accept_suggestion(&mut tx, id, &point.to_string(), now).await?;
    // A risk point added to a sheet after it was submitted: in the log, with what it says.
    let content: serde_json::Value =
        serde_json::from_str(&s.input_json).map_err(anyhow::Error::from)?;
    Actor::User(user)
        .record(
            &mut tx,
            "suggestion_accepted",
            &format!("post:{}", s.post_id),
            json!({ "suggestion": id, "post": s.post_id, "risk_point": point.to_string(),
                    "content": content }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The holder declines a suggestion, with the reason the colleague will read.
pub async fn decline_suggestion(
    db: &Db,
    user: &SessionUser,
    id: i64,
    reason: &DeclineReason,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let s = own_pending_suggestion(&mut tx, user, id).await?;
    store::review::decline_suggestion(&mut tx, id, reason.as_str(), now_ms()).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "suggestion_declined",
            &format!("post:{}", s.post_id),
            json!({ "suggestion": id, "post": s.post_id, "reason": reason.as_str() }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The record of a leadership meeting (集体审定), as the liaison enters it.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    pub unit_id: i64,
    pub post_ids: Vec<i64>,
    pub held_on: IsoDate,
    pub attendees: Attendees,
    pub decision: MeetingDecision,
    pub minutes_ref: MinutesRef,
}

/// The liaison records the meeting that approved a set of the unit's sheets; each sheet is
/// approved at 集体审定 through the chain. All or nothing: if one sheet cannot be approved,
/// nothing is recorded and the refusal names it. Returns the meeting's id and how many sheets it
/// approved.
pub async fn record_meeting(
    db: &Db,
    user: &SessionUser,
    mut record: MeetingRecord,
) -> Result<(i64, usize)> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let unit = OrgUnitId(record.unit_id);
    if !person.principal.may_record_meeting(&org.tree, unit) {
        return Err(Error::refused(
            "forbidden",
            "只有本单位的纪检联络员才能登记集体审定",
        ));
    }
    let mut seen = HashSet::new();
    record.post_ids.retain(|p| seen.insert(*p));
    if record.post_ids.is_empty() {
        return Err(Error::refused(
            "no_sheets",
            "请至少选择一个经会议审定的岗位",
        ));
    }
    if record.post_ids.len() > MAX_MEETING_SHEETS {
        return Err(Error::refused(
            "too_many_sheets",
            format!("一次会议登记最多 {MAX_MEETING_SHEETS} 个岗位"),
        ));
    }
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let mut sheet_ids = Vec::with_capacity(record.post_ids.len());
    for post_id in &record.post_ids {
        let in_unit = match store::org::post_unit(&mut tx, *post_id).await? {
            Some(post_unit) => org.tree.is_within(OrgUnitId(post_unit), unit),
            None => false,
        };
        let sheet = store::sheets::current(&mut tx, *post_id).await?;
        let Some(sheet) = sheet.filter(|_| in_unit) else {
            return Err(Error::refused(
                "not_in_unit",
                format!("岗位 {post_id} 不属于本单位"),
            ));
        };
        sheet_ids.push(sheet.id);
    }
    // Each sheet is approved through the chain as the meeting's step: one that is not at
    // 集体审定 (or that the liaison may not pass) refuses the whole record, naming the post.
    let steps: Vec<(i64, Action)> = record
        .post_ids
        .iter()
        .map(|p| (*p, Action::Approve))
        .collect();
    let outcomes =
        chain::steps(&mut tx, db.directory(), user.id, &steps, Via::Meeting, now).await?;
    if let Some((post, Outcome::Refused { code, message })) = record
        .post_ids
        .iter()
        .zip(&outcomes)
        .find(|(_, o)| matches!(o, Outcome::Refused { .. }))
    {
        let title = store::org::post_title(&mut tx, *post).await?;
        return Err(Error::refused(code, format!("“{title}”：{message}")));
    }
    let meeting = store::review::Meeting {
        held_on: record.held_on.to_string(),
        attendees: record.attendees.as_str().to_owned(),
        decision: record.decision.as_str().to_owned(),
        minutes_ref: record.minutes_ref.as_str().to_owned(),
    };
    let meeting_id =
        store::review::insert_meeting(&mut tx, record.unit_id, &meeting, &sheet_ids, user.id, now)
            .await?;
    audit::append(
        &mut tx,
        "meeting_recorded",
        Some(user.id),
        &format!("meeting:{meeting_id}"),
        &json!({
            "unit": record.unit_id, "posts": record.post_ids, "held_on": meeting.held_on,
            "attendees": meeting.attendees, "decision": meeting.decision,
            "minutes_ref": meeting.minutes_ref,
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((meeting_id, outcomes.len()))
}

/// An objection as the public form sends it.
#[derive(Debug, Clone)]
pub struct NewObjection<'a> {
    pub post_id: i64,
    pub text: &'a str,
    pub contact: &'a str,
}

/// Why an objection was not filed: a refusal the notice page explains (with the unit whose page
/// to go back to), or something else.
pub enum ObjectionRefused {
    /// The stable code the public page shows a message for.
    Refused {
        unit: i64,
        code: &'static str,
    },
    Other(Error),
}

impl<E: Into<Error>> From<E> for ObjectionRefused {
    fn from(e: E) -> Self {
        Self::Other(e.into())
    }
}

/// Anyone files an objection to a post's published sheet, at most [`OBJECTIONS_PER_HOUR`] per
/// address. Only a keyed hash of the address is stored. Returns the post's unit.
pub async fn file_objection(
    db: &Db,
    secret: &ServerSecret,
    address: &str,
    objection: &NewObjection<'_>,
) -> Result<i64, ObjectionRefused> {
    let mut tx = db.begin_write().await?;
    let sheet = peer_sheet_of(&mut tx, objection.post_id)
        .await?
        .ok_or_else(|| Error::from(app::error::ApiError::not_found("该岗位")))?;
    let unit = sheet.post.unit.0;
    let refused = |code| ObjectionRefused::Refused { unit, code };
    if sheet.stage != Stage::PublicNotice {
        return Err(refused("not_in_notice"));
    }
    let Ok(text) = ObjectionText::parse(objection.text) else {
        return Err(refused("text_length"));
    };
    let contact = match objection.contact.trim() {
        "" => None,
        c => Some(
            ObjectionContact::parse(c)
                .map_err(|_| refused("contact_length"))?
                .as_str()
                .to_owned(),
        ),
    };
    // Keyed with the server's secret, kept outside the database: the database alone cannot tell
    // whose address it was (unlike a plain hash, which every IPv4 address could be tried against).
    let hashed = secret.keyed_hash(Purpose::ObjectorAddress, address);
    let now = now_ms();
    if let Err(full) = db
        .limits()
        .check_new_objection(store::review::objections_on(&mut tx, sheet.sheet_id).await?)
    {
        tracing::warn!(sheet = sheet.sheet_id, "objection refused: {}", full.code);
        return Err(refused("too_many_objections"));
    }
    let recent = store::review::objections_from(&mut tx, &hashed, now - 3_600_000).await?;
    if recent >= OBJECTIONS_PER_HOUR {
        return Err(refused("rate_limited"));
    }
    let text = text.as_str();
    store::review::insert_objection(
        &mut tx,
        sheet.sheet_id,
        text,
        contact.as_deref(),
        &hashed,
        now,
    )
    .await?;
    store::changes::sheet_changed(&mut tx, objection.post_id, now).await?;
    audit::append(
        &mut tx,
        "objection_filed",
        None,
        &format!("sheet:{}", sheet.sheet_id),
        // The contact is personal data and the log is never erased: only a hash keyed with the
        // server's secret goes in (a plain hash of a phone number falls to trying them all).
        &json!({
            "post": objection.post_id,
            "text": text,
            "contact_hmac": contact.as_deref().map(|c| secret.keyed_hash(Purpose::ObjectorContact, c)),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
}

/// The liaison answers an objection, which stops holding the sheet.
pub async fn resolve_objection(
    db: &Db,
    user: &SessionUser,
    id: i64,
    response: &str,
    outcome: &str,
) -> Result<()> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let mut tx = db.begin_write().await?;
    let row = store::review::objection(&mut tx, id).await?;
    // The liaison of the unit answers, never about a post they hold themselves; an objection
    // that does not exist is refused alike.
    let Some(row) = row.filter(|r| {
        person
            .principal
            .may_answer_objections(&org.tree, PostId(r.post_id), OrgUnitId(r.unit_id))
    }) else {
        return Err(Error::refused(
            "forbidden",
            "只有本单位的纪检联络员才能处理异议，且不能处理本人所在岗位的异议",
        ));
    };
    if !row.open {
        return Err(Error::refused("already_resolved", "该异议已处理"));
    }
    // What was sent is read once the sender may answer: both refusals at once.
    let (response, outcome) = match (
        ObjectionResponse::parse(response),
        ObjectionOutcome::parse(outcome),
    ) {
        (Ok(r), Ok(o)) => (r, o),
        (r, o) => return Err(Vec::from_iter(r.err().into_iter().chain(o.err())).into()),
    };
    let now = now_ms();
    let response = response.as_str();
    store::review::resolve_objection(&mut tx, id, response, outcome, user.id, now).await?;
    store::review::drop_objection_contact(&mut tx, id).await?;
    store::changes::sheet_changed(&mut tx, row.post_id, now).await?;
    audit::append(
        &mut tx,
        "objection_resolved",
        Some(user.id),
        &format!("objection:{id}"),
        &json!({ "post": row.post_id, "response": response, "outcome": outcome.code() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The commission marks a key post and its supervision grade (`一级`/`first`…, or none). Who may
/// is checked before what they sent.
pub async fn set_marks(
    db: &Db,
    user: &SessionUser,
    post_id: i64,
    key_post: bool,
    grade: Option<&str>,
) -> Result<()> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let mut conn = db.pool().acquire().await?;
    let unit = store::org::post_unit(&mut conn, post_id).await?;
    drop(conn);
    let may = unit.is_some_and(|unit| {
        person
            .principal
            .may_grade_post(&org.tree, PostId(post_id), OrgUnitId(unit))
    });
    if !may {
        return Err(Error::refused(
            "forbidden",
            "只有区纪委审核人员才能认定重点岗位，且不能认定本人所在岗位",
        ));
    }
    let grade = match grade.map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(SupervisionGrade::parse(raw)?),
    };
    let marks = PostMarks::new(key_post, grade)?;
    let mut tx = db.begin_write().await?;
    store::org::set_marks(&mut tx, post_id, marks).await?;
    let now = now_ms();
    store::changes::sheet_changed(&mut tx, post_id, now).await?;
    audit::append(
        &mut tx,
        "supervision_grade",
        Some(user.id),
        &format!("post:{post_id}"),
        &json!({ "key_post": key_post, "grade": marks.grade().map(SupervisionGrade::code) }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

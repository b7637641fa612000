//! The review around a sheet: approvals that stand and the timeline of every step; peer reviews
//! and suggested risk points; collective-review meetings; objections to the public notice.

use anyhow::Context as _;
use domain::{
    chain::{Approval, ObjectionOutcome},
    ids::UserId,
    stage::Stage,
};

use super::Conn;
use crate::error::corrupt;

/// The approvals that stand on a sheet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn approvals(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Vec<Approval>> {
    sqlx::query!(
        r#"SELECT stage, by_user AS "by_user!: i64", content_hash FROM approvals WHERE sheet_id = ?"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load approvals")?
    .into_iter()
    .map(|a| {
        Ok(Approval {
            stage: Stage::from_code(&a.stage).map_err(|e| corrupt("stage", e))?,
            by: UserId(a.by_user),
            content_hash: a.content_hash,
        })
    })
    .collect()
}

/// Replaces the approvals that stand on a sheet.
#[tracing::instrument(level = "debug", skip(conn, approvals))]
pub async fn set_approvals(
    conn: &mut Conn,
    sheet_id: i64,
    approvals: &[Approval],
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!("DELETE FROM approvals WHERE sheet_id = ?", sheet_id)
        .execute(&mut *conn)
        .await
        .context("Failed to clear approvals")?;
    for a in approvals {
        let (stage, by) = (a.stage.code(), a.by.0);
        sqlx::query!(
            "INSERT INTO approvals (sheet_id, stage, by_user, content_hash, at) VALUES (?, ?, ?, ?, ?)",
            sheet_id,
            stage,
            by,
            a.content_hash,
            now
        )
        .execute(&mut *conn)
        .await
        .context("Failed to record an approval")?;
    }
    Ok(())
}

/// One stage change of a sheet, for the timeline.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    pub sheet_id: i64,
    pub from: Stage,
    pub to: Stage,
    /// `submit`, `close_peer_review`, `approve` or `return`.
    pub action: &'a str,
    pub by: i64,
    pub reason: Option<&'a str>,
    pub content_hash: &'a str,
    pub at: i64,
}

/// Appends a stage change to the sheet's timeline.
#[tracing::instrument(level = "debug", skip_all, fields(sheet = t.sheet_id))]
pub async fn record_transition(conn: &mut Conn, t: &Transition<'_>) -> anyhow::Result<()> {
    let (from, to) = (t.from.code(), t.to.code());
    sqlx::query!(
        "INSERT INTO sheet_transitions (sheet_id, from_stage, to_stage, action, by_user, reason, content_hash, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        t.sheet_id,
        from,
        to,
        t.action,
        t.by,
        t.reason,
        t.content_hash,
        t.at
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a stage change")?;
    Ok(())
}

/// A timeline row with the name of who took the step.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub at: i64,
    pub by: String,
    pub from: Stage,
    pub to: Stage,
    pub action: String,
    pub reason: Option<String>,
}

/// Every stage change of a sheet, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn timeline(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Vec<TimelineRow>> {
    sqlx::query!(
        r#"SELECT t.at AS "at!: i64", u.display_name, t.from_stage, t.to_stage, t.action, t.reason
           FROM sheet_transitions t JOIN users u ON u.id = t.by_user
           WHERE t.sheet_id = ? ORDER BY t.id"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load a timeline")?
    .into_iter()
    .map(|r| {
        Ok(TimelineRow {
            at: r.at,
            by: r.display_name,
            from: Stage::from_code(&r.from_stage).map_err(|e| corrupt("stage", e))?,
            to: Stage::from_code(&r.to_stage).map_err(|e| corrupt("stage", e))?,
            action: r.action,
            reason: r.reason,
        })
    })
    .collect()
}

/// A colleague's review; a second one by the same colleague replaces the first.
#[tracing::instrument(level = "debug", skip(conn, comment))]
pub async fn upsert_peer_review(
    conn: &mut Conn,
    sheet_id: i64,
    by: i64,
    comment: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO peer_reviews (sheet_id, by_user, comment, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sheet_id, by_user) DO UPDATE SET comment = excluded.comment, at = excluded.at",
        sheet_id,
        by,
        comment,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a peer review")?;
    Ok(())
}

/// (reviewer's name, comment, when) of a sheet's peer reviews, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn peer_reviews(
    conn: &mut Conn,
    sheet_id: i64,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query!(
        r#"SELECT u.display_name, r.comment, r.at AS "at!: i64" FROM peer_reviews r JOIN users u ON u.id = r.by_user
           WHERE r.sheet_id = ? ORDER BY r.at"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load peer reviews")?
    .into_iter()
    .map(|r| (r.display_name, r.comment, r.at))
    .collect())
}

/// How many undecided suggestions `by` has on a sheet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn pending_suggestions_by(
    conn: &mut Conn,
    sheet_id: i64,
    by: i64,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM suggestions WHERE sheet_id = ? AND by_user = ? AND status = 'pending'"#,
        sheet_id,
        by
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count suggestions")
}

/// A suggested risk point (the input as JSON).
#[tracing::instrument(level = "debug", skip(conn, input_json))]
pub async fn insert_suggestion(
    conn: &mut Conn,
    sheet_id: i64,
    by: i64,
    input_json: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO suggestions (sheet_id, by_user, input_json, at) VALUES (?, ?, ?, ?)",
        sheet_id,
        by,
        input_json,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a suggestion")?;
    Ok(())
}

/// A suggestion as its sheet's holder decides it.
#[derive(Debug, Clone)]
pub struct SuggestionForHolder {
    pub sheet_id: i64,
    pub post_id: i64,
    pub stage: Stage,
    pub pending: bool,
    pub input_json: String,
    /// `user` holds the post of the suggestion's sheet.
    pub holder: bool,
}

/// A suggestion with what deciding it depends on, as `user` sees it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn suggestion_for(
    conn: &mut Conn,
    id: i64,
    user: i64,
) -> anyhow::Result<Option<SuggestionForHolder>> {
    sqlx::query!(
        r#"SELECT s.sheet_id AS "sheet_id!: i64", s.status, s.input_json, rs.post_id AS "post_id!: i64", rs.stage,
                  EXISTS (SELECT 1 FROM post_holders h WHERE h.post_id = rs.post_id AND h.user_id = ?) AS "holder!: bool"
           FROM suggestions s JOIN risk_sheets rs ON rs.id = s.sheet_id WHERE s.id = ?"#,
        user,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a suggestion")?
    .map(|r| {
        Ok(SuggestionForHolder {
            sheet_id: r.sheet_id,
            post_id: r.post_id,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
            pending: r.status == "pending",
            input_json: r.input_json,
            holder: r.holder,
        })
    })
    .transpose()
}

/// The holder took a suggestion in as the point `risk_point`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn accept_suggestion(
    conn: &mut Conn,
    id: i64,
    risk_point: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE suggestions SET status = 'accepted', risk_point_id = ?, decided_at = ? WHERE id = ?",
        risk_point,
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to accept a suggestion")?;
    Ok(())
}

/// The holder declined a suggestion, with the reason the colleague reads.
#[tracing::instrument(level = "debug", skip(conn, reason))]
pub async fn decline_suggestion(
    conn: &mut Conn,
    id: i64,
    reason: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE suggestions SET status = 'declined', decline_reason = ?, decided_at = ? WHERE id = ?",
        reason,
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to decline a suggestion")?;
    Ok(())
}

/// A suggestion as the sheet page lists it.
#[derive(Debug, Clone)]
pub struct SuggestionRow {
    pub id: i64,
    pub by: String,
    pub input_json: String,
    pub status: String,
    pub decline_reason: Option<String>,
}

/// A sheet's suggestions, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn suggestions(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Vec<SuggestionRow>> {
    Ok(sqlx::query!(
        r#"SELECT s.id AS "id!: i64", u.display_name, s.input_json, s.status, s.decline_reason
           FROM suggestions s JOIN users u ON u.id = s.by_user WHERE s.sheet_id = ? ORDER BY s.id"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load suggestions")?
    .into_iter()
    .map(|r| SuggestionRow {
        id: r.id,
        by: r.display_name,
        input_json: r.input_json,
        status: r.status,
        decline_reason: r.decline_reason,
    })
    .collect())
}

/// A collective-review meeting as recorded.
#[derive(Debug, Clone)]
pub struct Meeting {
    pub held_on: String,
    pub attendees: String,
    pub decision: String,
    pub minutes_ref: String,
}

/// Records a meeting and the sheets it approved; returns its id.
#[tracing::instrument(level = "debug", skip(conn, meeting))]
pub async fn insert_meeting(
    conn: &mut Conn,
    unit_id: i64,
    meeting: &Meeting,
    sheets: &[i64],
    by: i64,
    now: i64,
) -> anyhow::Result<i64> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO review_meetings (unit_id, held_on, attendees, decision, minutes_ref, by_user, at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        unit_id,
        meeting.held_on,
        meeting.attendees,
        meeting.decision,
        meeting.minutes_ref,
        by,
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to record a meeting")?;
    for sheet in sheets {
        sqlx::query!(
            "INSERT OR IGNORE INTO meeting_sheets (meeting_id, sheet_id) VALUES (?, ?)",
            id,
            sheet
        )
        .execute(&mut *conn)
        .await
        .context("Failed to link a meeting to a sheet")?;
    }
    Ok(id)
}

/// The meetings that reviewed a sheet, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn meetings(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Vec<Meeting>> {
    Ok(sqlx::query!(
        r#"SELECT m.held_on, m.attendees, m.decision, m.minutes_ref FROM review_meetings m
           JOIN meeting_sheets ms ON ms.meeting_id = m.id WHERE ms.sheet_id = ? ORDER BY m.id"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load meetings")?
    .into_iter()
    .map(|m| Meeting {
        held_on: m.held_on,
        attendees: m.attendees,
        decision: m.decision,
        minutes_ref: m.minutes_ref,
    })
    .collect())
}

/// Objections filed from an (hashed) address since `since`.
#[tracing::instrument(level = "debug", skip(conn, address))]
pub async fn objections_from(conn: &mut Conn, address: &str, since: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM objections WHERE address = ? AND at > ?"#,
        address,
        since
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count objections")
}

/// How many objections a sheet has received.
pub async fn objections_on(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<usize> {
    let n = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM objections WHERE sheet_id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count a sheet's objections")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// How many suggestions a sheet has received.
pub async fn suggestions_on(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<usize> {
    let n = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM suggestions WHERE sheet_id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count a sheet's suggestions")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Forgets an objector's contact once the objection is closed: it was kept only to answer them.
pub async fn drop_objection_contact(conn: &mut Conn, id: i64) -> anyhow::Result<()> {
    sqlx::query!("UPDATE objections SET contact = NULL WHERE id = ?", id)
        .execute(&mut *conn)
        .await
        .context("Failed to drop an objector's contact")?;
    Ok(())
}

/// Files an objection to a sheet.
#[tracing::instrument(level = "debug", skip_all, fields(sheet = sheet_id))]
pub async fn insert_objection(
    conn: &mut Conn,
    sheet_id: i64,
    text: &str,
    contact: Option<&str>,
    address: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO objections (sheet_id, text, contact, address, at) VALUES (?, ?, ?, ?, ?)",
        sheet_id,
        text,
        contact,
        address,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to file an objection")?;
    Ok(())
}

/// An objection with the post it concerns.
#[derive(Debug, Clone)]
pub struct ObjectionFor {
    pub open: bool,
    pub post_id: i64,
    pub unit_id: i64,
}

/// An objection, for answering it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn objection(conn: &mut Conn, id: i64) -> anyhow::Result<Option<ObjectionFor>> {
    Ok(sqlx::query!(
        r#"SELECT o.status, p.unit_id AS "unit_id!: i64", p.id AS "post_id!: i64"
           FROM objections o JOIN risk_sheets rs ON rs.id = o.sheet_id JOIN posts p ON p.id = rs.post_id
           WHERE o.id = ?"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load an objection")?
    .map(|r| ObjectionFor {
        open: r.status == "open",
        post_id: r.post_id,
        unit_id: r.unit_id,
    }))
}

/// Answers an objection, which stops holding its sheet.
#[tracing::instrument(level = "debug", skip(conn, response))]
pub async fn resolve_objection(
    conn: &mut Conn,
    id: i64,
    response: &str,
    outcome: ObjectionOutcome,
    by: i64,
    now: i64,
) -> anyhow::Result<()> {
    let outcome = outcome.code();
    sqlx::query!(
        "UPDATE objections SET status = 'resolved', response = ?, outcome = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
        response,
        outcome,
        by,
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to resolve an objection")?;
    Ok(())
}

/// An objection as the sheet page lists it.
#[derive(Debug, Clone)]
pub struct ObjectionRow {
    pub id: i64,
    pub text: String,
    pub contact: Option<String>,
    pub at: i64,
    pub open: bool,
    pub response: Option<String>,
    /// None for one answered before outcomes were recorded, or still open.
    pub outcome: Option<ObjectionOutcome>,
}

/// A sheet's objections, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn objections(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Vec<ObjectionRow>> {
    sqlx::query!(
        r#"SELECT id AS "id!: i64", text, contact, at AS "at!: i64", status, response, outcome
           FROM objections WHERE sheet_id = ? ORDER BY id"#,
        sheet_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load objections")?
    .into_iter()
    .map(|r| {
        Ok(ObjectionRow {
            id: r.id,
            text: r.text,
            contact: r.contact,
            at: r.at,
            open: r.status == "open",
            response: r.response,
            outcome: r
                .outcome
                .map(|o| ObjectionOutcome::parse(&o).map_err(|_| corrupt("objection outcome", o)))
                .transpose()?,
        })
    })
    .collect()
}

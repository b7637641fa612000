//! Measures carried out (措施落实): a measure with what its report and check need to know, the
//! log of reports and checks (`measure_events`), and the section head's list of measures to look
//! at. Where a check stands is `measure_checks`, the latest event of each measure.

use anyhow::Context as _;
use domain::{
    risk::{
        progress::{EventKind, Standing},
        IsoDate, MeasureStatus,
    },
    stage::Stage,
};

use super::Conn;
use crate::error::corrupt;

/// The standing read off a measure's latest event (`kind`, with the status it left).
pub(super) fn standing(kind: Option<&str>, status: Option<&str>) -> anyhow::Result<Standing> {
    let Some(kind) = kind else {
        return Ok(Standing::Open);
    };
    let kind = EventKind::from_code(kind).ok_or_else(|| corrupt("measure event kind", kind))?;
    let status = status.unwrap_or_default();
    let status = MeasureStatus::parse(status).map_err(|_| corrupt("measure status", status))?;
    Ok(Standing::after(Some((kind, status))))
}

fn day(raw: Option<String>, what: &str) -> anyhow::Result<Option<IsoDate>> {
    raw.map(|d| IsoDate::parse(&d, "day", "日期").map_err(|_| corrupt(what, &d)))
        .transpose()
}

/// One measure of a stored risk point, with its sheet and post.
#[derive(Debug, Clone)]
pub struct MeasureRow {
    pub risk_point_id: String,
    pub position: i64,
    pub text: String,
    pub due: Option<IsoDate>,
    pub status: MeasureStatus,
    pub done_on: Option<IsoDate>,
    pub standing: Standing,
    pub post_id: i64,
    pub unit_id: i64,
    pub stage: Stage,
}

/// A [`MeasureRow`] read off a query's record, whichever query it is: each names the same
/// columns (`text`, `due`, `status`, `done_on`, `check_kind`, `check_status`, `post_id`,
/// `unit_id`, `stage`), which `sqlx::query!` gives as a fresh type per query.
macro_rules! measure_row {
    ($r:ident, $point:expr, $position:expr) => {
        MeasureRow {
            risk_point_id: $point,
            position: $position,
            text: $r.text,
            due: day($r.due, "measure due day")?,
            status: MeasureStatus::parse(&$r.status)
                .map_err(|_| corrupt("measure status", &$r.status))?,
            done_on: day($r.done_on, "measure done day")?,
            standing: standing($r.check_kind.as_deref(), $r.check_status.as_deref())?,
            post_id: $r.post_id,
            unit_id: $r.unit_id,
            stage: Stage::from_code(&$r.stage).map_err(|_| corrupt("sheet stage", &$r.stage))?,
        }
    };
}

/// Measure `position` of risk point `risk_point_id`, if both exist.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut Conn,
    risk_point_id: &str,
    position: i64,
) -> anyhow::Result<Option<MeasureRow>> {
    let Some(r) = sqlx::query!(
        r#"SELECT m.text, m.due, m.status, m.done_on, c.kind AS "check_kind?: String",
                  c.status AS "check_status?: String", s.post_id AS "post_id!: i64",
                  p.unit_id AS "unit_id!: i64", s.stage
           FROM measures m
           JOIN risk_points rp ON rp.id = m.risk_point_id
           JOIN risk_sheets s ON s.id = rp.sheet_id
           JOIN posts p ON p.id = s.post_id
           LEFT JOIN measure_checks c ON c.risk_point_id = m.risk_point_id AND c.position = m.position
           WHERE m.risk_point_id = ? AND m.position = ?"#,
        risk_point_id,
        position
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load the measure")?
    else {
        return Ok(None);
    };
    Ok(Some(measure_row!(r, risk_point_id.to_owned(), position)))
}

/// A report or a check to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub risk_point_id: &'a str,
    pub position: i64,
    pub measure_text: &'a str,
    pub kind: EventKind,
    /// The status the measure stands at after the act, and its finishing day.
    pub status: MeasureStatus,
    pub done_on: Option<IsoDate>,
    pub note: Option<&'a str>,
    pub actor_id: i64,
    pub now: i64,
}

/// Records `event`, sets the measure's status and finishing day to what the event left, and
/// bumps its risk point's version so that devices pull the point again.
#[tracing::instrument(level = "debug", skip_all, fields(point = event.risk_point_id, position = event.position))]
pub async fn record(conn: &mut Conn, event: &NewEvent<'_>) -> anyhow::Result<i64> {
    let kind = event.kind.code();
    let status = event.status.code();
    let done_on = event.done_on.map(|d| d.to_string());
    sqlx::query!(
        "INSERT INTO measure_events
             (risk_point_id, position, measure_text, kind, status, done_on, note, actor_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        event.risk_point_id,
        event.position,
        event.measure_text,
        kind,
        status,
        done_on,
        event.note,
        event.actor_id,
        event.now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record the measure's event")?;
    sqlx::query!(
        "UPDATE measures SET status = ?, done_on = ? WHERE risk_point_id = ? AND position = ?",
        status,
        done_on,
        event.risk_point_id,
        event.position
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set the measure's status")?;
    sqlx::query_scalar!(
        r#"UPDATE risk_points SET version = version + 1, updated_at = ? WHERE id = ?
           RETURNING version AS "version!: i64""#,
        event.now,
        event.risk_point_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to bump the risk point's version")
}

/// A measure in force that a section head may have to look at: reported finished and waiting
/// for the check, or not finished with a due day (overdue or not: the caller decides with
/// [`MeasureStatus::overdue`]).
#[derive(Debug, Clone)]
pub struct InForce {
    pub measure: MeasureRow,
    pub post_title: String,
    pub unit: String,
    pub point: String,
    pub kind: String,
    pub owner: Option<String>,
    /// The latest note: the holder's progress note, or the reason of a send-back.
    pub note: Option<String>,
    pub noted_at: Option<i64>,
}

/// The measures of approved sheets (each post's published sheet at 审核通过) that wait for the
/// check or are unfinished with a due day, in `units`, by post and place.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn to_look_at(conn: &mut Conn, units: &[i64]) -> anyhow::Result<Vec<InForce>> {
    let units = super::json_list(units)?;
    sqlx::query!(
        r#"SELECT m.risk_point_id AS "point_id!: String", m.position AS "position!: i64", m.text,
                  m.kind, m.owner, m.due, m.status, m.done_on,
                  c.kind AS "check_kind?: String", c.status AS "check_status?: String",
                  c.note AS "note?: String", c.at AS "noted_at?: i64",
                  ps.post_id AS "post_id!: i64", p.title AS post_title, p.unit_id AS "unit_id!: i64",
                  u.name AS unit, rp.description, ps.stage
           FROM published_sheets ps
           JOIN posts p ON p.id = ps.post_id
           JOIN org_units u ON u.id = p.unit_id
           JOIN risk_points rp ON rp.sheet_id = ps.id
           JOIN measures m ON m.risk_point_id = rp.id
           LEFT JOIN measure_checks c ON c.risk_point_id = m.risk_point_id AND c.position = m.position
           WHERE ps.stage = 'approved'
             AND p.unit_id IN (SELECT value FROM json_each(?))
             AND ((c.kind = 'report' AND c.status = 'done') OR (m.status <> 'done' AND m.due IS NOT NULL))
           ORDER BY p.unit_id, p.id, rp.position, m.position"#,
        units
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the measures to look at")?
    .into_iter()
    .map(|r| {
        Ok(InForce {
            measure: measure_row!(r, r.point_id, r.position),
            post_title: r.post_title,
            unit: r.unit,
            point: r.description,
            kind: r.kind,
            owner: r.owner,
            note: r.note,
            noted_at: r.noted_at,
        })
    })
    .collect()
}

//! 预警: the warnings as they stand (`warnings`) and what happened to each (`warning_events`).
//! The ladder's rules are `domain::warning`; this module only reads and writes its state.

use anyhow::Context as _;
use domain::{
    risk::IsoDate,
    warning::{rules::RuleKind, Handling, Level, Source, Status, Warning},
};

use super::{json_list, Conn};
use crate::error::corrupt;

/// A warning as stored, with the names its pages show.
#[derive(Debug, Clone)]
pub struct WarningRow {
    pub id: i64,
    pub year: i64,
    pub seq: i64,
    pub unit_id: i64,
    pub unit: String,
    pub subject_id: Option<i64>,
    pub subject: Option<String>,
    pub issuer_id: Option<i64>,
    pub issuer: Option<String>,
    pub raised_level: Level,
    pub handling: Handling,
    pub source: Source,
    pub source_ref: Option<String>,
    pub reason: String,
    pub state: Warning,
    pub answer_analysis: Option<String>,
    pub answer_measures: Option<String>,
    pub answered_at: Option<i64>,
    pub raised_at: i64,
    pub closed_at: Option<i64>,
    /// The rule that raised it, for a warning of [`Source::Rule`].
    pub rule: Option<RuleKind>,
}

/// A stored level, handling or source the code does not know is a fault, never the user's.
fn level(raw: &str) -> anyhow::Result<Level> {
    Level::from_code(raw).ok_or_else(|| corrupt("warning level", raw))
}

fn handling(raw: &str) -> anyhow::Result<Handling> {
    Handling::from_code(raw).ok_or_else(|| corrupt("warning handling", raw))
}

fn source(raw: &str) -> anyhow::Result<Source> {
    Source::from_code(raw).ok_or_else(|| corrupt("warning source", raw))
}

fn rule(raw: Option<&str>) -> anyhow::Result<Option<RuleKind>> {
    raw.map(|r| RuleKind::from_code(r).ok_or_else(|| corrupt("warning rule", r)))
        .transpose()
}

fn state(level_code: &str, status: &str, due: &str, send_backs: i64) -> anyhow::Result<Warning> {
    Ok(Warning {
        level: level(level_code)?,
        status: Status::from_code(status).ok_or_else(|| corrupt("warning status", status))?,
        due: IsoDate::parse(due, "due", "答复期限").map_err(|e| corrupt("warning due day", e))?,
        send_backs: u8::try_from(send_backs).map_err(|e| corrupt("warning send-backs", e))?,
    })
}

/// Which warnings a read takes.
#[derive(Debug, Clone, Copy)]
enum Which<'a> {
    One(i64),
    All,
    /// Awaiting an answer due before this day.
    OverdueOn(&'a str),
    /// Open, and addressed to this person or to one of these units (a JSON list).
    OpenFor(i64, &'a str),
    /// Awaiting an answer due on or before this day, not yet reminded of that due day.
    UnremindedBy(&'a str),
}

/// The one read of warnings, joined with the names shown: open ones first, newest first.
async fn select(conn: &mut Conn, which: Which<'_>) -> anyhow::Result<Vec<WarningRow>> {
    let (id, before, person, units, remind_by) = match which {
        Which::One(id) => (Some(id), None, None, None, None),
        Which::All => (None, None, None, None, None),
        Which::OverdueOn(day) => (None, Some(day), None, None, None),
        Which::OpenFor(person, units) => (None, None, Some(person), Some(units), None),
        Which::UnremindedBy(day) => (None, None, None, None, Some(day)),
    };
    sqlx::query!(
        r#"SELECT w.id AS "id!: i64", w.year AS "year!: i64", w.seq AS "seq!: i64",
                  w.unit_id AS "unit_id!: i64", o.name AS unit,
                  w.subject_id AS "subject_id?: i64", s.display_name AS "subject?: String",
                  w.issuer_id AS "issuer_id?: i64", i.display_name AS "issuer?: String",
                  w.level, w.raised_level, w.handling, w.source, w.source_ref, w.reason,
                  w.status, w.due, w.send_backs AS "send_backs!: i64",
                  w.answer_analysis, w.answer_measures, w.answered_at AS "answered_at?: i64",
                  w.raised_at AS "raised_at!: i64", w.closed_at AS "closed_at?: i64", w.rule
           FROM warnings w
           JOIN org_units o ON o.id = w.unit_id
           LEFT JOIN users s ON s.id = w.subject_id
           LEFT JOIN users i ON i.id = w.issuer_id
           WHERE (?1 IS NULL OR w.id = ?1)
             AND (?2 IS NULL OR (w.status = 'awaiting_answer' AND w.due < ?2))
             AND (?3 IS NULL OR (w.status <> 'closed'
                  AND (w.subject_id = ?3
                       OR (w.subject_id IS NULL AND w.unit_id IN (SELECT value FROM json_each(?4))))))
             AND (?5 IS NULL OR (w.status = 'awaiting_answer' AND w.due <= ?5
                  AND (w.reminded_for IS NULL OR w.reminded_for <> w.due)))
           ORDER BY w.status = 'closed', w.year DESC, w.seq DESC"#,
        id,
        before,
        person,
        units,
        remind_by
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read warnings")?
    .into_iter()
    .map(|r| {
        Ok(WarningRow {
            id: r.id,
            year: r.year,
            seq: r.seq,
            unit_id: r.unit_id,
            unit: r.unit,
            subject_id: r.subject_id,
            subject: r.subject,
            issuer_id: r.issuer_id,
            issuer: r.issuer,
            raised_level: level(&r.raised_level)?,
            handling: handling(&r.handling)?,
            source: source(&r.source)?,
            source_ref: r.source_ref,
            reason: r.reason,
            state: state(&r.level, &r.status, &r.due, r.send_backs)?,
            answer_analysis: r.answer_analysis,
            answer_measures: r.answer_measures,
            answered_at: r.answered_at,
            raised_at: r.raised_at,
            closed_at: r.closed_at,
            rule: rule(r.rule.as_deref())?,
        })
    })
    .collect()
}

/// One warning.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut Conn, id: i64) -> anyhow::Result<Option<WarningRow>> {
    Ok(select(conn, Which::One(id)).await?.into_iter().next())
}

/// Every warning, open ones first, newest first. A district raises hundreds a year; the reader's
/// rights (`Principal::may_read_warning`) are applied to this list by the caller.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all(conn: &mut Conn) -> anyhow::Result<Vec<WarningRow>> {
    select(conn, Which::All).await
}

/// The warnings whose answer was due before `today` and has not come: what the schedule looks at.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn overdue(conn: &mut Conn, today: &str) -> anyhow::Result<Vec<WarningRow>> {
    select(conn, Which::OverdueOn(today)).await
}

/// The warnings awaiting an answer due on or before `until` whose answerers were not yet
/// reminded of that due day: what the schedule reminds (the caller applies
/// `Warning::answer_reminder`).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unreminded_by(conn: &mut Conn, until: &str) -> anyhow::Result<Vec<WarningRow>> {
    select(conn, Which::UnremindedBy(until)).await
}

/// Records that a warning's answerers were reminded of its answer due on `due`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn set_reminded(conn: &mut Conn, id: i64, due: &str) -> anyhow::Result<()> {
    sqlx::query!("UPDATE warnings SET reminded_for = ? WHERE id = ?", due, id)
        .execute(&mut *conn)
        .await
        .context("Failed to record a warning's reminder")?;
    Ok(())
}

/// The open warnings addressed to `person`, or to the unit itself for any of `units`: those the
/// person might answer (the caller applies `Principal::may_answer_warning`).
#[tracing::instrument(level = "debug", skip(conn, units))]
pub async fn open_for(
    conn: &mut Conn,
    person: i64,
    units: &[i64],
) -> anyhow::Result<Vec<WarningRow>> {
    let units = json_list(units)?;
    select(conn, Which::OpenFor(person, &units)).await
}

/// A warning to insert.
#[derive(Debug, Clone)]
pub struct NewWarningRow<'a> {
    pub year: i64,
    pub unit_id: i64,
    pub subject_id: Option<i64>,
    pub issuer_id: Option<i64>,
    pub level: Level,
    pub handling: Handling,
    pub source: Source,
    pub source_ref: Option<&'a str>,
    pub reason: &'a str,
    pub due: IsoDate,
    /// The rule and the cause, for a warning a rule raises.
    pub rule: Option<(RuleKind, &'a str)>,
    pub now: i64,
}

/// Inserts a warning with the next number of its year; returns its id and number in the year.
/// Runs in the write transaction, whose lock keeps two warnings from taking one number.
#[tracing::instrument(level = "debug", skip_all, fields(unit = w.unit_id))]
pub async fn insert(conn: &mut Conn, w: &NewWarningRow<'_>) -> anyhow::Result<(i64, i64)> {
    let level = w.level.code();
    let handling = w.handling.code();
    let source = w.source.code();
    let due = w.due.to_string();
    let rule = w.rule.map(|(kind, _)| kind.code());
    let cause = w.rule.map(|(_, cause)| cause);
    let r = sqlx::query!(
        r#"INSERT INTO warnings (year, seq, unit_id, subject_id, issuer_id, level, raised_level,
                                 handling, source, source_ref, reason, due, raised_at, rule, cause)
           VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM warnings WHERE year = ?1), ?2, ?3, ?4,
                   ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
           RETURNING id AS "id!: i64", seq AS "seq!: i64""#,
        w.year,
        w.unit_id,
        w.subject_id,
        w.issuer_id,
        level,
        handling,
        source,
        w.source_ref,
        w.reason,
        due,
        w.now,
        rule,
        cause
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to insert a warning")?;
    Ok((r.id, r.seq))
}

/// The causes the rules have raised warnings for, open or closed: a cause is raised once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn raised_causes(conn: &mut Conn) -> anyhow::Result<Vec<String>> {
    sqlx::query_scalar!(r#"SELECT cause AS "cause!: String" FROM warnings WHERE cause IS NOT NULL"#)
        .fetch_all(&mut *conn)
        .await
        .context("Failed to read the causes of rule warnings")
}

/// Stores the ladder's state of a warning after an event; `closed_at` once it is closed.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn set_state(conn: &mut Conn, id: i64, state: &Warning, now: i64) -> anyhow::Result<()> {
    let level = state.level.code();
    let status = state.status.code();
    let due = state.due.to_string();
    let send_backs = i64::from(state.send_backs);
    let closed = (state.status == Status::Closed).then_some(now);
    sqlx::query!(
        "UPDATE warnings SET level = ?, status = ?, due = ?, send_backs = ?,
                closed_at = COALESCE(closed_at, ?)
         WHERE id = ?",
        level,
        status,
        due,
        send_backs,
        closed,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to update a warning")?;
    Ok(())
}

/// Keeps the latest answer on the warning (each one is also an event).
#[tracing::instrument(level = "debug", skip(conn, analysis, measures))]
pub async fn set_answer(
    conn: &mut Conn,
    id: i64,
    analysis: &str,
    measures: &str,
    by: i64,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE warnings SET answer_analysis = ?, answer_measures = ?, answered_by = ?, answered_at = ?
         WHERE id = ?",
        analysis,
        measures,
        by,
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to store an answer")?;
    Ok(())
}

/// What happened to a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Raised,
    Answered,
    Accepted,
    SentBack,
    Escalated,
}

impl EventKind {
    fn code(self) -> &'static str {
        match self {
            Self::Raised => "raised",
            Self::Answered => "answered",
            Self::Accepted => "accepted",
            Self::SentBack => "sent_back",
            Self::Escalated => "escalated",
        }
    }

    fn from_code(raw: &str) -> anyhow::Result<Self> {
        [
            Self::Raised,
            Self::Answered,
            Self::Accepted,
            Self::SentBack,
            Self::Escalated,
        ]
        .into_iter()
        .find(|k| k.code() == raw)
        .ok_or_else(|| corrupt("warning event", raw))
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub warning_id: i64,
    pub kind: EventKind,
    pub actor_id: Option<i64>,
    /// The level after the event.
    pub level: Level,
    pub note: Option<&'a str>,
    pub measures: Option<&'a str>,
    pub now: i64,
}

#[tracing::instrument(level = "debug", skip_all, fields(warning = e.warning_id, kind = ?e.kind))]
pub async fn insert_event(conn: &mut Conn, e: &NewEvent<'_>) -> anyhow::Result<()> {
    let kind = e.kind.code();
    let level = e.level.code();
    sqlx::query!(
        "INSERT INTO warning_events (warning_id, kind, actor_id, at, level, note, measures)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        e.warning_id,
        kind,
        e.actor_id,
        e.now,
        level,
        e.note,
        e.measures
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a warning event")?;
    Ok(())
}

/// An event as its warning's page lists it.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub kind: EventKind,
    pub actor: Option<String>,
    pub at: i64,
    pub level: Level,
    pub note: Option<String>,
    pub measures: Option<String>,
}

/// A warning's events, in order.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn events(conn: &mut Conn, warning_id: i64) -> anyhow::Result<Vec<EventRow>> {
    sqlx::query!(
        r#"SELECT e.kind, u.display_name AS "actor?: String", e.at AS "at!: i64", e.level, e.note, e.measures
           FROM warning_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.warning_id = ? ORDER BY e.id"#,
        warning_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a warning's events")?
    .into_iter()
    .map(|r| {
        Ok(EventRow {
            kind: EventKind::from_code(&r.kind)?,
            actor: r.actor,
            at: r.at,
            level: level(&r.level)?,
            note: r.note,
            measures: r.measures,
        })
    })
    .collect()
}

/// How many events a warning has had: the version a synced step answers with.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn event_count(conn: &mut Conn, warning_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM warning_events WHERE warning_id = ?"#,
        warning_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count a warning's events")
}

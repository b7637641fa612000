//! 廉政教育: one-to-one talks (`talks`), collective sessions with their attendance
//! (`education_sessions`, `session_attendance`), the talks a year by grade (three columns of
//! `district_settings`), and the key posts' current holders the talks are owed to.

use anyhow::Context as _;
use domain::{
    education::{SessionKind, TalkQuota},
    post::SupervisionGrade,
    risk::IsoDate,
};

use super::Conn;
use crate::error::corrupt;

fn day(raw: &str, what: &str) -> anyhow::Result<IsoDate> {
    IsoDate::parse(raw, "day", "日期").map_err(|_| corrupt(what, raw))
}

/// The talks a year a key post's holder is owed, by grade.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn quota(conn: &mut Conn) -> anyhow::Result<TalkQuota> {
    let row = sqlx::query!(
        r#"SELECT talks_first AS "first!: i64", talks_second AS "second!: i64",
                  talks_third AS "third!: i64"
           FROM district_settings WHERE id = 1"#
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to load the talk quota")?;
    TalkQuota::parse(row.first, row.second, row.third)
        .map_err(|mut e| corrupt("talk quota", e.pop().expect("a refused quota has a reason")))
}

/// Stores the talks a year by grade.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn save_quota(
    conn: &mut Conn,
    quota: TalkQuota,
    by: i64,
    now: i64,
) -> anyhow::Result<()> {
    let (first, second, third) = (
        i64::from(quota.first),
        i64::from(quota.second),
        i64::from(quota.third),
    );
    sqlx::query!(
        "UPDATE district_settings SET talks_first = ?, talks_second = ?, talks_third = ?, updated_by = ?, updated_at = ? WHERE id = 1",
        first,
        second,
        third,
        by,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to save the talk quota")?;
    Ok(())
}

/// A talk to record.
#[derive(Debug, Clone)]
pub struct NewTalk<'a> {
    pub subject_id: i64,
    pub unit_id: i64,
    pub talker: &'a str,
    pub held_on: IsoDate,
    pub topic: &'a str,
    pub by: i64,
    pub now: i64,
}

/// Records a talk; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_talk(conn: &mut Conn, t: &NewTalk<'_>) -> anyhow::Result<i64> {
    let held_on = t.held_on.to_string();
    Ok(sqlx::query!(
        "INSERT INTO talks (subject_id, unit_id, talker, held_on, topic, recorded_by, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        t.subject_id,
        t.unit_id,
        t.talker,
        held_on,
        t.topic,
        t.by,
        t.now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a talk")?
    .last_insert_rowid())
}

/// A collective session to record, with who attended.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub unit_id: i64,
    pub kind: SessionKind,
    pub held_on: IsoDate,
    pub topic: &'a str,
    pub attendees: &'a [i64],
    pub by: i64,
    pub now: i64,
}

/// Records a session and its attendance; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_session(conn: &mut Conn, s: &NewSession<'_>) -> anyhow::Result<i64> {
    let (kind, held_on) = (s.kind.code(), s.held_on.to_string());
    let id = sqlx::query!(
        "INSERT INTO education_sessions (unit_id, kind, held_on, topic, recorded_by, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?)",
        s.unit_id,
        kind,
        held_on,
        s.topic,
        s.by,
        s.now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a session")?
    .last_insert_rowid();
    let attendees = super::json_list(s.attendees)?;
    sqlx::query!(
        "INSERT INTO session_attendance (session_id, user_id)
         SELECT ?, value FROM json_each(?)",
        id,
        attendees
    )
    .execute(&mut *conn)
    .await
    .context("Failed to record a session's attendance")?;
    Ok(id)
}

/// A recorded talk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkRow {
    pub id: i64,
    pub subject_id: i64,
    pub subject: String,
    pub subject_username: String,
    pub unit_id: i64,
    pub talker: String,
    pub held_on: IsoDate,
    pub topic: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

macro_rules! talk_row {
    ($r:ident) => {
        TalkRow {
            id: $r.id,
            subject_id: $r.subject_id,
            subject: $r.subject,
            subject_username: $r.subject_username,
            unit_id: $r.unit_id,
            talker: $r.talker,
            held_on: day(&$r.held_on, "talk day")?,
            topic: $r.topic,
            recorded_by: $r.recorded_by,
            recorded_at: $r.recorded_at,
        }
    };
}

/// The talks recorded in `units` held on or after `since`, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn talks_in(
    conn: &mut Conn,
    units: &[i64],
    since: IsoDate,
) -> anyhow::Result<Vec<TalkRow>> {
    let (ids, since) = (super::json_list(units)?, since.to_string());
    let rows = sqlx::query!(
        r#"SELECT t.id AS "id!: i64", t.subject_id AS "subject_id!: i64", s.display_name AS subject,
                  s.username AS subject_username, t.unit_id AS "unit_id!: i64", t.talker, t.held_on,
                  t.topic, r.display_name AS recorded_by, t.recorded_at AS "recorded_at!: i64"
           FROM talks t JOIN users s ON s.id = t.subject_id JOIN users r ON r.id = t.recorded_by
           WHERE t.unit_id IN (SELECT value FROM json_each(?)) AND t.held_on >= ? AND t.voided_at IS NULL
           ORDER BY t.held_on DESC, t.id DESC"#,
        ids,
        since
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list talks")?;
    rows.into_iter().map(|r| Ok(talk_row!(r))).collect()
}

/// The talks held with `user`, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn talks_with(conn: &mut Conn, user: i64) -> anyhow::Result<Vec<TalkRow>> {
    let rows = sqlx::query!(
        r#"SELECT t.id AS "id!: i64", t.subject_id AS "subject_id!: i64", s.display_name AS subject,
                  s.username AS subject_username, t.unit_id AS "unit_id!: i64", t.talker, t.held_on,
                  t.topic, r.display_name AS recorded_by, t.recorded_at AS "recorded_at!: i64"
           FROM talks t JOIN users s ON s.id = t.subject_id JOIN users r ON r.id = t.recorded_by
           WHERE t.subject_id = ? AND t.voided_at IS NULL
           ORDER BY t.held_on DESC, t.id DESC"#,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a person's talks")?;
    rows.into_iter().map(|r| Ok(talk_row!(r))).collect()
}

/// Every (person, day) of a talk held on or after `since`: what the talk rule and the overview
/// count.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn talk_days(conn: &mut Conn, since: IsoDate) -> anyhow::Result<Vec<(i64, IsoDate)>> {
    let since = since.to_string();
    let rows = sqlx::query!(
        r#"SELECT subject_id AS "subject_id!: i64", held_on FROM talks
           WHERE held_on >= ? AND voided_at IS NULL"#,
        since
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the days of talks")?;
    rows.into_iter()
        .map(|r| Ok((r.subject_id, day(&r.held_on, "talk day")?)))
        .collect()
}

/// A recorded session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit: String,
    pub kind: SessionKind,
    pub held_on: IsoDate,
    pub topic: String,
    pub attendees: i64,
    pub recorded_by: String,
}

macro_rules! session_row {
    ($r:ident) => {
        SessionRow {
            id: $r.id,
            unit_id: $r.unit_id,
            unit: $r.unit,
            kind: SessionKind::parse(&$r.kind).map_err(|_| corrupt("session kind", &$r.kind))?,
            held_on: day(&$r.held_on, "session day")?,
            topic: $r.topic,
            attendees: $r.attendees,
            recorded_by: $r.recorded_by,
        }
    };
}

/// The sessions of `units` held on or after `since`, newest first, with their attendance.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sessions_in(
    conn: &mut Conn,
    units: &[i64],
    since: IsoDate,
) -> anyhow::Result<Vec<SessionRow>> {
    let (ids, since) = (super::json_list(units)?, since.to_string());
    let rows = sqlx::query!(
        r#"SELECT e.id AS "id!: i64", e.unit_id AS "unit_id!: i64", u.name AS unit, e.kind, e.held_on,
                  e.topic, r.display_name AS recorded_by,
                  (SELECT count(*) FROM session_attendance a WHERE a.session_id = e.id) AS "attendees!: i64"
           FROM education_sessions e JOIN org_units u ON u.id = e.unit_id
           JOIN users r ON r.id = e.recorded_by
           WHERE e.unit_id IN (SELECT value FROM json_each(?)) AND e.held_on >= ? AND e.voided_at IS NULL
           ORDER BY e.held_on DESC, e.id DESC"#,
        ids,
        since
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list sessions")?;
    rows.into_iter().map(|r| Ok(session_row!(r))).collect()
}

/// The sessions `user` attended, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn sessions_of(conn: &mut Conn, user: i64) -> anyhow::Result<Vec<SessionRow>> {
    let rows = sqlx::query!(
        r#"SELECT e.id AS "id!: i64", e.unit_id AS "unit_id!: i64", u.name AS unit, e.kind, e.held_on,
                  e.topic, r.display_name AS recorded_by,
                  (SELECT count(*) FROM session_attendance a WHERE a.session_id = e.id) AS "attendees!: i64"
           FROM session_attendance me JOIN education_sessions e ON e.id = me.session_id
           JOIN org_units u ON u.id = e.unit_id JOIN users r ON r.id = e.recorded_by
           WHERE me.user_id = ? AND e.voided_at IS NULL
           ORDER BY e.held_on DESC, e.id DESC"#,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list a person's sessions")?;
    rows.into_iter().map(|r| Ok(session_row!(r))).collect()
}

/// A current holder of a graded key post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub post_id: i64,
    pub post: String,
    pub unit_id: i64,
    pub grade: SupervisionGrade,
    /// When the holding started; none when the day is not known.
    pub since: Option<IsoDate>,
}

/// Every active person holding a key post with a supervision grade, by unit, post and name.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn key_holders(conn: &mut Conn) -> anyhow::Result<Vec<KeyHolder>> {
    let rows = sqlx::query!(
        r#"SELECT h.user_id AS "user_id!: i64", u.username, u.display_name, p.id AS "post_id!: i64",
                  p.title, p.unit_id AS "unit_id!: i64", p.supervision_grade AS "grade!: String",
                  h.started_on
           FROM post_holdings h JOIN posts p ON p.id = h.post_id JOIN users u ON u.id = h.user_id
           WHERE h.ended_on IS NULL AND u.active = 1 AND p.key_post = 1
             AND p.supervision_grade IS NOT NULL
           ORDER BY p.unit_id, p.title, u.display_name"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the key posts' holders")?;
    rows.into_iter()
        .map(|r| {
            Ok(KeyHolder {
                user_id: r.user_id,
                username: r.username,
                name: r.display_name,
                post_id: r.post_id,
                post: r.title,
                unit_id: r.unit_id,
                grade: SupervisionGrade::parse(&r.grade)
                    .map_err(|_| corrupt("supervision grade", &r.grade))?,
                since: r
                    .started_on
                    .as_deref()
                    .map(|d| day(d, "holding start"))
                    .transpose()?,
            })
        })
        .collect()
}

/// What an education record is voided from: a talk or a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Talk,
    Session,
}

/// The unit of talk or session `id`, and whether it is voided already; none when there is no
/// such record.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn record_unit(
    conn: &mut Conn,
    record: Record,
    id: i64,
) -> anyhow::Result<Option<(i64, bool)>> {
    let row = match record {
        Record::Talk => sqlx::query!(
            r#"SELECT unit_id AS "unit_id!: i64", voided_at IS NOT NULL AS "voided!: bool" FROM talks WHERE id = ?"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to load a talk")?
        .map(|r| (r.unit_id, r.voided)),
        Record::Session => sqlx::query!(
            r#"SELECT unit_id AS "unit_id!: i64", voided_at IS NOT NULL AS "voided!: bool" FROM education_sessions WHERE id = ?"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to load a session")?
        .map(|r| (r.unit_id, r.voided)),
    };
    Ok(row)
}

/// Voids talk or session `id` with `reason`; returns whether it was still in force.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn void(
    conn: &mut Conn,
    record: Record,
    id: i64,
    reason: &str,
    by: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let done = match record {
        Record::Talk => sqlx::query!(
            "UPDATE talks SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ? AND voided_at IS NULL",
            now,
            by,
            reason,
            id
        )
        .execute(&mut *conn)
        .await,
        Record::Session => sqlx::query!(
            "UPDATE education_sessions SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ? AND voided_at IS NULL",
            now,
            by,
            reason,
            id
        )
        .execute(&mut *conn)
        .await,
    }
    .context("Failed to void an education record")?;
    Ok(done.rows_affected() > 0)
}

//! 廉政教育: the commission, a leader in charge or a unit's liaison records one-to-one talks with
//! the people of their units and the units' collective sessions (警示教育, 廉政党课) with their
//! attendance; the key posts' holders are owed talks by grade (the quota the commission sets), and
//! a period that ended without one is a fact for the "廉政谈话缺失" warning rule. A record entered
//! by mistake is voided, never deleted. The rules are `domain::education`, who may do what
//! `domain::access`; every record is in the audit log. A person's page is built by the people module, which reads this one.

use std::collections::HashMap;

use app::{
    api::{
        education::{EducationView, SessionView, TalkOwed, TalkView},
        supervision::PersonOption,
        SessionUser,
    },
    error::ApiError,
    write::{AttendanceFile, RecordSession, RecordTalk, Recorded, SaveTalkQuota},
};
use domain::{
    education::{self, Member, NewSession, NewTalk, TalkQuota},
    ids::{OrgUnitId, UserId},
    risk::IsoDate,
    warning::rules::{Addressee, Fact},
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::Db,
    directory::Org,
    error::Result,
    store::{
        self,
        education::{KeyHolder, SessionRow, TalkRow},
        Conn,
    },
};

/// The first day of last year: how far back the education page and the rule look.
fn since(today: IsoDate) -> IsoDate {
    IsoDate::first_of(today.year().saturating_sub(1), 1).unwrap_or(today)
}

pub(crate) fn talk_view(org: &Org, t: TalkRow) -> TalkView {
    TalkView {
        id: t.id,
        subject: t.subject,
        subject_username: t.subject_username,
        unit: org.name(t.unit_id),
        talker: t.talker,
        held_on: t.held_on.to_string(),
        topic: t.topic,
        recorded_by: t.recorded_by,
    }
}

pub(crate) fn session_view(s: SessionRow) -> SessionView {
    SessionView {
        id: s.id,
        unit: s.unit,
        kind: s.kind,
        held_on: s.held_on.to_string(),
        topic: s.topic,
        attendees: s.attendees,
    }
}

/// The talks owed to `holder` by `quota`, given the days of the talks held with them.
fn owed(holder: &KeyHolder, quota: &TalkQuota, held: &[IsoDate], today: IsoDate) -> OwedPeriods {
    let per_year = quota.per_year(holder.grade);
    let from = holder.since.unwrap_or_else(|| since(today));
    let had = |p: &education::Period| held.iter().any(|d| p.contains(*d));
    OwedPeriods {
        per_year,
        ended: education::ended_periods(per_year, from, today)
            .into_iter()
            .map(|p| {
                let h = had(&p);
                (p, h)
            })
            .collect(),
        current: education::current_period(per_year, today).map(|p| {
            let h = had(&p);
            (p, h)
        }),
    }
}

struct OwedPeriods {
    per_year: u32,
    /// The ended periods of this year and last, each with whether a talk was held.
    ended: Vec<(education::Period, bool)>,
    current: Option<(education::Period, bool)>,
}

/// The days of the talks held with each person since the start of last year.
async fn talk_days(conn: &mut Conn, today: IsoDate) -> Result<HashMap<i64, Vec<IsoDate>>> {
    let mut days: HashMap<i64, Vec<IsoDate>> = HashMap::new();
    for (user, day) in store::education::talk_days(conn, since(today)).await? {
        days.entry(user).or_default().push(day);
    }
    Ok(days)
}

/// The facts the talk rule reads: the latest ended period each key post's holder is owed a talk
/// in, with whether one was held. Only the latest: a rule switched on late warns of the period
/// just missed, not of every one before it (the education page lists those). The warning goes to
/// the holder's unit, whose leaders hold the talks.
pub async fn facts(conn: &mut Conn, today: IsoDate) -> Result<Vec<Fact>> {
    let quota = store::education::quota(conn).await?;
    let days = talk_days(conn, today).await?;
    let mut facts = Vec::new();
    for holder in store::education::key_holders(conn).await? {
        let held = days.get(&holder.user_id).map_or(&[][..], Vec::as_slice);
        if let Some((period, held)) = owed(&holder, &quota, held, today).ended.pop() {
            facts.push(Fact::Talk {
                user_id: holder.user_id,
                to: Addressee {
                    unit: OrgUnitId(holder.unit_id),
                    person: None,
                },
                person: holder.name.clone(),
                post: holder.post.clone(),
                grade: holder.grade,
                period,
                held,
            });
        }
    }
    Ok(facts)
}

/// The education page, for a user who records talks and sessions somewhere.
pub async fn view(db: &Db, user_id: i64, now: i64) -> Result<EducationView> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    let units = org.unit_options(|u| principal.may_record_education(&org.tree, None, u));
    if units.is_empty() {
        return Err(ApiError::forbidden().into());
    }
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    let today = IsoDate::of_instant(now);
    let mut conn = db.pool().acquire().await?;
    let people = store::accounts::all(&mut conn)
        .await?
        .into_iter()
        .filter(|a| a.active && a.id != user_id && ids.contains(&a.unit_id))
        .map(|a| PersonOption {
            username: a.username,
            name: a.display_name,
            unit_id: a.unit_id,
        })
        .collect();
    let quota = store::education::quota(&mut conn).await?;
    let days = talk_days(&mut conn, today).await?;
    let this_year = IsoDate::first_of(today.year(), 1).unwrap_or(today);
    let owed = store::education::key_holders(&mut conn)
        .await?
        .into_iter()
        .filter(|h| ids.contains(&h.unit_id))
        .map(|h| {
            let held = days.get(&h.user_id).map_or(&[][..], Vec::as_slice);
            let periods = owed(&h, &quota, held, today);
            TalkOwed {
                per_year: periods.per_year,
                held_this_year: held.iter().filter(|d| **d >= this_year).count(),
                current: periods.current.map(|(p, had)| (p.label, had)),
                missed: periods
                    .ended
                    .into_iter()
                    .filter(|(_, had)| !had)
                    .map(|(p, _)| p.label)
                    .collect(),
                username: h.username,
                name: h.name,
                post: h.post,
                unit: org.name(h.unit_id),
                grade: h.grade,
            }
        })
        .collect();
    let talks = store::education::talks_in(&mut conn, &ids, since(today))
        .await?
        .into_iter()
        .map(|t| talk_view(&org, t))
        .collect();
    let sessions = store::education::sessions_in(&mut conn, &ids, since(today))
        .await?
        .into_iter()
        .map(session_view)
        .collect();
    Ok(EducationView {
        today: today.to_string(),
        units,
        people,
        quota,
        owed,
        talks,
        sessions,
    })
}

/// Records a one-to-one talk with `request.subject`, for a user who records education over the
/// person's unit.
pub async fn record_talk(
    db: &Db,
    user: &SessionUser,
    request: &RecordTalk,
    now: i64,
) -> Result<Recorded> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    // Deny first: only someone who records education somewhere learns whether a name exists.
    if !person.principal.records_education(&org.tree) {
        return Err(ApiError::forbidden().into());
    }
    let mut conn = db.pool().acquire().await?;
    let username = request.subject.trim();
    let subject = match store::accounts::account(&mut conn, username).await? {
        Some(a)
            if a.active
                && person
                    .principal
                    .may_record_education(&org.tree, None, OrgUnitId(a.unit_id)) =>
        {
            a
        }
        _ if username.is_empty() => {
            return Err(ApiError::rule("required", "谈话对象：请选择谈话对象")
                .at("subject")
                .into())
        }
        _ => {
            return Err(ApiError::rule(
                "unknown_person",
                format!("谈话对象：您负责的单位中没有登录名为“{username}”的在岗人员"),
            )
            .at("subject")
            .into())
        }
    };
    drop(conn);
    if subject.id == user.id {
        return Err(
            ApiError::rule("self_talk", "谈话对象：不能记录与本人的谈话")
                .at("subject")
                .into(),
        );
    }
    let today = IsoDate::of_instant(now);
    let talk = NewTalk::check(&request.talker, &request.held_on, &request.topic, today)?;
    let mut tx = db.begin_write().await?;
    let id = store::education::insert_talk(
        &mut tx,
        &store::education::NewTalk {
            subject_id: subject.id,
            unit_id: subject.unit_id,
            talker: talk.talker.as_str(),
            held_on: talk.held_on,
            topic: talk.topic.as_str(),
            by: user.id,
            now,
        },
    )
    .await?;
    Actor::User(user)
        .record(
            &mut tx,
            "talk_recorded",
            &format!("talk:{id}"),
            json!({
                "subject": subject.username,
                "unit": subject.unit_id,
                "talker": talk.talker.as_str(),
                "held_on": talk.held_on.to_string(),
                "topic": talk.topic.as_str(),
            }),
        )
        .await?;
    tx.commit().await?;
    Ok(Recorded { id, attendees: 1 })
}

/// Records a collective session of `request.unit_id` and who attended.
pub async fn record_session(
    db: &Db,
    user: &SessionUser,
    request: &RecordSession,
    now: i64,
) -> Result<Recorded> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let unit = OrgUnitId(request.unit_id);
    if !person.principal.may_record_education(&org.tree, None, unit) {
        return Err(ApiError::forbidden().into());
    }
    let today = IsoDate::of_instant(now);
    let checked = NewSession::check(&request.kind, &request.held_on, &request.topic, today);
    let mut conn = db.pool().acquire().await?;
    let accounts: Vec<_> = store::accounts::all(&mut conn)
        .await?
        .into_iter()
        .filter(|a| a.active && org.tree.is_within(OrgUnitId(a.unit_id), unit))
        .collect();
    drop(conn);
    let members: Vec<Member<'_>> = accounts
        .iter()
        .map(|a| Member {
            id: UserId(a.id),
            username: &a.username,
            name: &a.display_name,
        })
        .collect();
    // Every name of a pasted list that does not match is named at once, in one message: the
    // recorder fixes the list in one go.
    let attendance = education::attendance(&request.attendees, &request.attendee_list, &members)
        .map_err(|errors| {
            let message = errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("；");
            vec![domain::FieldError::new(
                &errors[0].code,
                &errors[0].field,
                message,
            )]
        });
    let (session, attendees) = match (checked, attendance) {
        (Ok(s), Ok(a)) => (s, a),
        (s, a) => {
            let errors: Vec<_> = [s.err(), a.err()].into_iter().flatten().flatten().collect();
            return Err(errors.into());
        }
    };
    let ids: Vec<i64> = attendees.iter().map(|u| u.0).collect();
    let mut tx = db.begin_write().await?;
    let id = store::education::insert_session(
        &mut tx,
        &store::education::NewSession {
            unit_id: unit.0,
            kind: session.kind,
            held_on: session.held_on,
            topic: session.topic.as_str(),
            attendees: &ids,
            by: user.id,
            now,
        },
    )
    .await?;
    Actor::User(user)
        .record(
            &mut tx,
            "session_recorded",
            &format!("education_session:{id}"),
            json!({
                "unit": unit.0,
                "kind": session.kind.code(),
                "held_on": session.held_on.to_string(),
                "topic": session.topic.as_str(),
                "attendees": ids,
            }),
        )
        .await?;
    tx.commit().await?;
    Ok(Recorded {
        id,
        attendees: ids.len(),
    })
}

/// Saves the talks a year by grade (the commission).
pub async fn save_quota(
    db: &Db,
    user: &SessionUser,
    request: &SaveTalkQuota,
    now: i64,
) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_set_district_settings())
        .await?;
    let quota = TalkQuota::parse(
        request.talks_first,
        request.talks_second,
        request.talks_third,
    )?;
    let mut tx = db.begin_write().await?;
    store::education::save_quota(&mut tx, quota, user.id, now).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "talk_quota_changed",
            "settings:talk_quota",
            json!({ "quota": quota }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The headers of a sign-in sheet's column of names, in the order they are looked for.
const NAME_HEADERS: [&str; 4] = ["姓名", "用户名", "参加人员", "签到人"];

/// 导入签到表: the names in a sign-in sheet (XLSX, CSV or TSV) for a session of `unit`: the
/// column headed 姓名 (or 用户名, 参加人员, 签到人) within the first rows, else the first column;
/// blank cells and repeats are left out. Nothing is stored: the names go into the form's list,
/// where saving matches each to a person of the unit.
pub async fn attendance_file(
    db: &Db,
    user: &SessionUser,
    unit: i64,
    bytes: &[u8],
) -> Result<AttendanceFile> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    if !person
        .principal
        .may_record_education(&org.tree, None, OrgUnitId(unit))
    {
        return Err(ApiError::forbidden().into());
    }
    let grid = crate::exchange::read_table(bytes)?;
    let header = grid.iter().take(5).enumerate().find_map(|(row, cells)| {
        NAME_HEADERS.iter().find_map(|h| {
            cells
                .iter()
                .position(|c| c.trim() == *h)
                .map(|col| (row, col, (*h).to_owned()))
        })
    });
    let (first, col, column) = header.map_or((0, 0, "第 1 列".to_owned()), |(row, col, h)| {
        (row + 1, col, h)
    });
    let mut names: Vec<String> = Vec::new();
    for cells in grid.iter().skip(first) {
        let Some(name) = cells.get(col).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            continue;
        };
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    if names.is_empty() {
        return Err(ApiError::rule(
            "no_names",
            format!("签到表：{column}中没有读到姓名，请检查文件"),
        )
        .at("attendee_file")
        .into());
    }
    if names.len() > education::MAX_ATTENDEES {
        return Err(ApiError::rule(
            "too_many",
            format!(
                "签到表：读到 {} 个姓名，一次活动最多记录 {} 人",
                names.len(),
                education::MAX_ATTENDEES
            ),
        )
        .at("attendee_file")
        .into());
    }
    Ok(AttendanceFile { names, column })
}

/// Voids a talk or session recorded by mistake, with a reason, for a user who records education
/// over its unit: it stays in the table and the audit log and leaves every list and count. A record
/// the user may not void does not exist for them.
pub async fn void(
    db: &Db,
    user: &SessionUser,
    record: store::education::Record,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<()> {
    let person = db.directory().person(user.id).await?;
    let org = db.directory().org().await?;
    let what = match record {
        store::education::Record::Talk => "该谈话记录",
        store::education::Record::Session => "该集中教育记录",
    };
    let mut tx = db.begin_write().await?;
    let (unit, voided) = match store::education::record_unit(&mut tx, record, id).await? {
        Some((unit, voided))
            if person
                .principal
                .may_record_education(&org.tree, None, OrgUnitId(unit)) =>
        {
            (unit, voided)
        }
        _ => return Err(ApiError::not_found(what).into()),
    };
    if voided {
        return Err(ApiError::rule("already_voided", format!("{what}已作废")).into());
    }
    let reason = domain::text::VoidReason::parse(reason)?;
    store::education::void(&mut tx, record, id, reason.as_str(), user.id, now).await?;
    let (kind, subject) = match record {
        store::education::Record::Talk => ("talk_voided", format!("talk:{id}")),
        store::education::Record::Session => ("session_voided", format!("education_session:{id}")),
    };
    Actor::User(user)
        .record(
            &mut tx,
            kind,
            &subject,
            json!({ "unit": unit, "reason": reason.as_str() }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

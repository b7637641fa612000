//! 预警: the commission or a leader in charge raises a warning about a person or a unit; the
//! person (or the unit's liaison) answers in writing; the issuer accepts it or sends it back; an
//! answer that is late, or sent back twice, takes the warning a level up. The ladder is
//! `domain::warning` (`Warning::apply`), who may do what `domain::access`; this engine reads the
//! warning inside the write transaction, applies the step, stores the new state with an event,
//! and appends the audit entry, so a step and its record commit together.
//!
//! The schedule ([`spawn_schedule`]) runs [`check`] every few minutes; the commission can run it
//! now. A check on one day escalates a late warning once: the escalation sets a new due day.

use std::time::Duration;

use app::{
    api::supervision::{
        AnswerView, PersonOption, RaiseOptions, WarningEventView, WarningSummary, WarningView,
        WarningsView,
    },
    error::ApiError,
    write::{RaiseWarning, WarningRaised, WarningStep, WarningsChecked},
};
use domain::{
    access::Principal,
    account::Role,
    ids::{OrgUnitId, UserId},
    risk::IsoDate,
    warning::{self, Escalation, Event, Warning},
};
use serde_json::json;

use crate::{
    audit,
    db::{now_ms, Db},
    directory::Org,
    error::{Error, Result},
    store::{
        self, notifications as notice,
        warnings::{EventKind, NewEvent, NewWarningRow, WarningRow},
        Conn,
    },
};

mod record;
pub mod rules;

pub(crate) use record::parties;
use record::{answerers, deciders, holders_of, link, number};

/// How often the schedule looks for late answers.
pub const CHECK_EVERY: Duration = Duration::from_secs(10 * 60);

/// The warning, for a user who may read it; a warning they may not read does not exist for them.
async fn readable(
    conn: &mut Conn,
    principal: &Principal,
    org: &Org,
    id: i64,
) -> Result<WarningRow> {
    match store::warnings::get(conn, id).await? {
        Some(row) if principal.may_read_warning(&org.tree, &parties(&row)) => Ok(row),
        _ => Err(ApiError::not_found("该预警").into()),
    }
}

/// Raises a warning as `user_id` asked, on the China day of `now`.
pub async fn raise(
    db: &Db,
    user_id: i64,
    request: &RaiseWarning,
    now: i64,
) -> Result<WarningRaised> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let unit = OrgUnitId(request.unit_id);
    // Deny first: only someone who may warn the unit learns anything about its people.
    if !person.principal.may_raise_warning(&org.tree, None, unit) {
        return Err(ApiError::forbidden().into());
    }
    let mut conn = db.pool().acquire().await?;
    let subject = match request.subject.trim() {
        "" => None,
        username => match store::accounts::account(&mut conn, username).await? {
            Some(a) if a.active && org.tree.is_within(OrgUnitId(a.unit_id), unit) => Some(a),
            _ => {
                return Err(ApiError::rule(
                    "unknown_person",
                    format!(
                        "被预警人：{} 中没有登录名为“{username}”的在岗人员",
                        org.name(unit.0)
                    ),
                )
                .at("subject")
                .into())
            }
        },
    };
    drop(conn);
    if subject.as_ref().is_some_and(|a| a.id == user_id) {
        return Err(
            ApiError::rule("self_warning", "被预警人：不能对本人发出预警")
                .at("subject")
                .into(),
        );
    }
    // A warning to a person belongs to the person's own unit.
    let unit = subject.as_ref().map_or(unit, |a| OrgUnitId(a.unit_id));
    let subject_id = subject.as_ref().map(|a| a.id);
    if !person
        .principal
        .may_raise_warning(&org.tree, subject_id.map(UserId), unit)
    {
        return Err(ApiError::forbidden().into());
    }
    let today = IsoDate::of_instant(now);
    let checked = warning::check_new(
        &request.level,
        &request.handling,
        &request.source,
        &request.source_ref,
        &request.reason,
        request.answer_days,
        today,
    )?;
    let mut tx = db.begin_write().await?;
    let new = NewWarningRow {
        year: i64::from(today.year()),
        unit_id: unit.0,
        subject_id,
        issuer_id: Some(user_id),
        level: checked.level,
        handling: checked.handling,
        source: checked.source,
        source_ref: checked.source_ref.as_ref().map(|r| r.as_str()),
        reason: checked.reason.as_str(),
        due: checked.due,
        rule: None,
        now,
    };
    let details = json!({
        "unit": unit.0,
        "subject": subject.as_ref().map(|a| a.username.clone()),
        "level": checked.level.code(),
        "handling": checked.handling.code(),
        "source": checked.source.code(),
        "source_ref": checked.source_ref.as_ref().map(|r| r.as_str()),
        "reason": checked.reason.as_str(),
        "due": checked.due.to_string(),
    });
    let (id, number) = record::open(&mut tx, &org, &new, details).await?;
    tx.commit().await?;
    tracing::info!(warning = id, %number, level = checked.level.code(), "warning raised");
    Ok(WarningRaised { id, number })
}

/// A step on a warning by a person.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Answer {
        analysis: &'a str,
        measures: &'a str,
    },
    Accept,
    SendBack {
        reason: &'a str,
    },
}

/// Takes `step` on warning `id` as `user_id`, in a write transaction of its own.
pub async fn step(db: &Db, user_id: i64, id: i64, step: Step<'_>, now: i64) -> Result<WarningStep> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let mut tx = db.begin_write().await?;
    let done = step_in(&mut tx, &person.principal, &org, id, step, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// An answer that came as a sync operation (written offline, perhaps): taken in the push's
/// transaction, answered like any operation. A refusal writes nothing.
pub async fn answer_synced(
    conn: &mut Conn,
    op_id: uuid::Uuid,
    principal: &Principal,
    org: &Org,
    id: i64,
    answer: Step<'_>,
    now: i64,
) -> Result<domain::sync::OpResult> {
    use domain::sync::OpResult;
    match step_in(conn, principal, org, id, answer, now).await {
        Ok(_) => Ok(OpResult::Applied {
            id: op_id,
            version: store::warnings::event_count(conn, id).await?,
        }),
        Err(Error::Refused(refusal)) => Ok(OpResult::rejected(
            op_id,
            refusal.code.as_str(),
            refusal.message,
        )),
        Err(e) => Err(e),
    }
}

/// Takes `step` on warning `id` as `principal` on `conn`: reads the warning, checks who may take
/// the step and what it carries, applies the ladder, then writes the new state, the event and the
/// audit entry. Every refusal comes before the first write.
async fn step_in(
    conn: &mut Conn,
    principal: &Principal,
    org: &Org,
    id: i64,
    step: Step<'_>,
    now: i64,
) -> Result<WarningStep> {
    let user_id = principal.user.0;
    let today = IsoDate::of_instant(now);
    let row = readable(conn, principal, org, id).await?;
    let allowed = match step {
        Step::Answer { .. } => principal.may_answer_warning(&org.tree, &parties(&row)),
        Step::Accept | Step::SendBack { .. } => {
            principal.may_decide_warning(&org.tree, &parties(&row))
        }
    };
    if !allowed {
        return Err(ApiError::forbidden().into());
    }
    let answer = match step {
        Step::Answer { analysis, measures } => Some(warning::check_answer(analysis, measures)?),
        _ => None,
    };
    let send_back = match step {
        Step::SendBack { reason } => Some(warning::check_send_back(reason)?),
        _ => None,
    };
    let event = match step {
        Step::Answer { .. } => Event::Answer { on: today },
        Step::Accept => Event::Accept,
        Step::SendBack { .. } => Event::SendBack { on: today },
    };
    let (after, escalation) = row
        .state
        .apply(&event)
        .map_err(|refusal| Error::refused(refusal.code(), refusal.to_string()))?;
    store::warnings::set_state(conn, id, &after, now).await?;
    let (kind, audit_kind, note, measures) = match (&answer, &send_back) {
        (Some(a), _) => {
            store::warnings::set_answer(
                conn,
                id,
                a.analysis.as_str(),
                a.measures.as_str(),
                user_id,
                now,
            )
            .await?;
            (
                EventKind::Answered,
                "warning_answered",
                Some(a.analysis.as_str()),
                Some(a.measures.as_str()),
            )
        }
        (None, Some(reason)) => (
            EventKind::SentBack,
            "warning_sent_back",
            Some(reason.as_str()),
            None,
        ),
        (None, None) => (EventKind::Accepted, "warning_accepted", None, None),
    };
    store::warnings::insert_event(
        conn,
        &NewEvent {
            warning_id: id,
            kind,
            actor_id: Some(user_id),
            level: row.state.level,
            note,
            measures,
            now,
        },
    )
    .await?;
    audit::append(
        conn,
        audit_kind,
        Some(user_id),
        &format!("warning:{id}"),
        &json!({
            "number": number(&row),
            "note": note,
            "measures": measures,
            "status": after.status.code(),
        }),
        now,
    )
    .await?;
    let addressee = row.subject.clone().unwrap_or_else(|| row.unit.clone());
    let number = number(&row);
    let (to, what, text) = match (&answer, &send_back) {
        (Some(_), _) => (
            deciders(conn, org, &row).await?,
            notice::Kind::WarningAnswered,
            format!("{addressee}已提交预警{number}的书面答复，请审核"),
        ),
        (None, Some(reason)) => (
            answerers(conn, org, row.subject_id, row.unit_id).await?,
            notice::Kind::WarningSentBack,
            format!(
                "预警{number}的答复被退回重订：{}。请于 {} 前重新答复",
                reason.as_str(),
                after.due
            ),
        ),
        (None, None) => (
            answerers(conn, org, row.subject_id, row.unit_id).await?,
            notice::Kind::WarningAccepted,
            format!("预警{number}的书面答复已审核通过，预警办结"),
        ),
    };
    store::notifications::insert(conn, &to, what, &text, &link(id), now).await?;
    if let Some(escalation) = escalation {
        record_escalation(conn, org, &row, &after, escalation, Some(user_id), now).await?;
    }
    tracing::info!(warning = id, ?kind, "warning step");
    Ok(WarningStep {
        level: after.level,
        status: after.status,
        escalated: escalation.is_some(),
    })
}

/// Records a level change: an event on the warning and an audit entry naming its cause.
async fn record_escalation(
    conn: &mut Conn,
    org: &Org,
    row: &WarningRow,
    after: &Warning,
    escalation: Escalation,
    actor: Option<i64>,
    now: i64,
) -> Result<()> {
    store::warnings::insert_event(
        conn,
        &NewEvent {
            warning_id: row.id,
            kind: EventKind::Escalated,
            actor_id: actor,
            level: escalation.to,
            note: Some(escalation.cause.label()),
            measures: None,
            now,
        },
    )
    .await?;
    audit::append(
        conn,
        "warning_escalated",
        actor,
        &format!("warning:{}", row.id),
        &json!({
            "number": number(row),
            "from": escalation.from.code(),
            "to": escalation.to.code(),
            "cause": escalation.cause.code(),
            "due": after.due.to_string(),
        }),
        now,
    )
    .await?;
    // The person (or unit) is told, and so is the leader in charge of the unit.
    let number = number(row);
    let cause = escalation.cause.label();
    let to = escalation.to.label();
    let answering = answerers(conn, org, row.subject_id, row.unit_id).await?;
    store::notifications::insert(
        conn,
        &answering,
        notice::Kind::WarningEscalated,
        &format!(
            "预警{number}因{cause}升为{to}，请于 {} 前提交书面答复",
            after.due
        ),
        &link(row.id),
        now,
    )
    .await?;
    let addressee = row.subject.clone().unwrap_or_else(|| row.unit.clone());
    let leaders: Vec<i64> = holders_of(conn, org, Role::LeaderInCharge, row.unit_id)
        .await?
        .into_iter()
        .filter(|leader| Some(*leader) != row.subject_id)
        .collect();
    store::notifications::insert(
        conn,
        &leaders,
        notice::Kind::WarningEscalated,
        &format!("您分管的{addressee}的预警{number}因{cause}升为{to}"),
        &link(row.id),
        now,
    )
    .await?;
    tracing::info!(
        warning = row.id,
        from = escalation.from.code(),
        to = escalation.to.code(),
        cause = escalation.cause.code(),
        "warning escalated"
    );
    Ok(())
}

/// The schedule's check on the China day of `now`: the rules raise what they find (each cause
/// once), then every warning whose answer is overdue goes a level up (red stays red, still
/// overdue). `actor` is the commission member who ran it now, or none for the schedule. Run
/// twice, it escalates once: the escalation sets a new due day.
pub async fn check(db: &Db, actor: Option<i64>, now: i64) -> Result<WarningsChecked> {
    let today = IsoDate::of_instant(now);
    let org = db.directory().org().await?;
    let mut tx = db.begin_write().await?;
    // The rules first: a warning they raise today is not due yet, so the tick leaves it alone.
    let raised = rules::run(&mut tx, &org, now).await?;
    let mut escalated = 0;
    for row in store::warnings::overdue(&mut tx, &today.to_string()).await? {
        let (after, escalation) = row
            .state
            .apply(&Event::Tick { today })
            .map_err(|refusal| Error::refused(refusal.code(), refusal.to_string()))?;
        if let Some(escalation) = escalation {
            store::warnings::set_state(&mut tx, row.id, &after, now).await?;
            record_escalation(&mut tx, &org, &row, &after, escalation, actor, now).await?;
            escalated += 1;
        }
    }
    // Then the reminders, of the due days as they stand after any escalation.
    let mut reminded = 0;
    let until = today.add_days(warning::REMIND_DAYS_BEFORE).to_string();
    for row in store::warnings::unreminded_by(&mut tx, &until).await? {
        let Some(left) = row.state.answer_reminder(today) else {
            continue;
        };
        let when = match left {
            0 => "今天".to_owned(),
            n => format!("{n} 天后"),
        };
        let text = format!(
            "预警{}的书面答复须于 {} 前提交（{when}到期），逾期未答复将升级",
            number(&row),
            row.state.due
        );
        let to = answerers(&mut tx, &org, row.subject_id, row.unit_id).await?;
        store::notifications::insert(
            &mut tx,
            &to,
            notice::Kind::WarningAnswerDue,
            &text,
            &link(row.id),
            now,
        )
        .await?;
        store::warnings::set_reminded(&mut tx, row.id, &row.state.due.to_string()).await?;
        tracing::info!(warning = row.id, left, "answer reminder sent");
        reminded += 1;
    }
    tx.commit().await?;
    Ok(WarningsChecked {
        raised,
        escalated,
        reminded,
    })
}

/// The commission runs the check now.
pub async fn check_now(db: &Db, user_id: i64, now: i64) -> Result<WarningsChecked> {
    let person = db.directory().person(user_id).await?;
    if !person.principal.may_run_warning_checks() {
        return Err(ApiError::forbidden().into());
    }
    check(db, Some(user_id), now).await
}

/// Runs [`check`] every [`CHECK_EVERY`] while the server runs; a failed check is logged and the
/// next one tries again.
pub fn spawn_schedule(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match check(&db, None, now_ms()).await {
                Ok(done) if done.raised + done.escalated + done.reminded > 0 => {
                    tracing::info!(
                        raised = done.raised,
                        escalated = done.escalated,
                        reminded = done.reminded,
                        "warnings checked"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "the warning check failed"),
            }
        }
    })
}

/// The open warnings `user_id` answers (awaiting their answer, or answered and awaiting review),
/// as their replica keeps them to answer offline, oldest first.
pub async fn for_replica(db: &Db, user_id: i64) -> Result<Vec<domain::sync::WarningRecord>> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    // Every sync asks: only the user's own warnings and those to the units they are liaison of
    // are read, then the rule decides.
    let liaison_units: Vec<i64> = principal
        .roles
        .iter()
        .filter(|a| a.role == Role::UnitLiaison)
        .flat_map(|a| org.tree.subtree(a.scope))
        .map(|u| u.0)
        .collect();
    let mut conn = db.pool().acquire().await?;
    let mut records = Vec::new();
    for row in store::warnings::open_for(&mut conn, user_id, &liaison_units).await? {
        if row.state.status == warning::Status::Closed
            || !principal.may_answer_warning(&org.tree, &parties(&row))
        {
            continue;
        }
        let sent_back = if row.state.status == warning::Status::AwaitingAnswer {
            store::warnings::events(&mut conn, row.id)
                .await?
                .into_iter()
                .rev()
                .find(|e| matches!(e.kind, EventKind::SentBack | EventKind::Answered))
                .filter(|e| e.kind == EventKind::SentBack)
                .and_then(|e| e.note)
        } else {
            None
        };
        records.push(domain::sync::WarningRecord {
            id: row.id,
            number: number(&row),
            level: row.state.level.code().to_owned(),
            handling: row.handling.label().to_owned(),
            answered: row.state.status == warning::Status::Answered,
            addressee: row.subject.clone().unwrap_or_else(|| row.unit.clone()),
            reason: row.reason.clone(),
            due: row.state.due.to_string(),
            sent_back,
        });
    }
    records.reverse();
    Ok(records)
}

/// What the home page says of warnings: whether to link to them (the user may raise one, or
/// reads one) and how many wait for this user's answer or decision.
pub async fn at_home(conn: &mut Conn, principal: &Principal, org: &Org) -> Result<(bool, usize)> {
    let raises = principal.raises_warnings(&org.tree);
    let mut reads = false;
    let mut to_do = 0;
    for row in store::warnings::all(conn).await? {
        let parties = parties(&row);
        if !principal.may_read_warning(&org.tree, &parties) {
            continue;
        }
        reads = true;
        to_do += usize::from(match row.state.status {
            warning::Status::AwaitingAnswer => principal.may_answer_warning(&org.tree, &parties),
            warning::Status::Answered => principal.may_decide_warning(&org.tree, &parties),
            warning::Status::Closed => false,
        });
    }
    Ok((raises || reads, to_do))
}

/// The warnings `user_id` may read, and the form to raise one when they may.
/// A warning as a list shows it to `principal`, who may read it.
pub(crate) fn summary(
    row: &WarningRow,
    principal: &Principal,
    org: &Org,
    today: IsoDate,
) -> WarningSummary {
    let open = row.state.status;
    WarningSummary {
        id: row.id,
        number: number(row),
        level: row.state.level,
        status: open,
        handling: row.handling,
        addressee: row.subject.clone().unwrap_or_else(|| row.unit.clone()),
        unit: row.unit.clone(),
        due: row.state.due.to_string(),
        overdue: row.state.is_overdue(today),
        to_answer: open == warning::Status::AwaitingAnswer
            && principal.may_answer_warning(&org.tree, &parties(row)),
        to_decide: open == warning::Status::Answered
            && principal.may_decide_warning(&org.tree, &parties(row)),
    }
}

pub async fn list(db: &Db, user_id: i64, now: i64) -> Result<WarningsView> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    let today = IsoDate::of_instant(now);
    let mut conn = db.pool().acquire().await?;
    let warnings = store::warnings::all(&mut conn)
        .await?
        .into_iter()
        .filter(|row| principal.may_read_warning(&org.tree, &parties(row)))
        .map(|row| summary(&row, principal, &org, today))
        .collect();
    let units = org.unit_options(|u| principal.may_raise_warning(&org.tree, None, u));
    let raise = if units.is_empty() {
        None
    } else {
        let people = store::accounts::all(&mut conn)
            .await?
            .into_iter()
            .filter(|a| a.active && a.id != user_id)
            .filter(|a| units.iter().any(|u| u.id == a.unit_id))
            .map(|a| PersonOption {
                username: a.username,
                name: a.display_name,
                unit_id: a.unit_id,
            })
            .collect();
        Some(RaiseOptions { units, people })
    };
    Ok(WarningsView {
        today: today.to_string(),
        warnings,
        raise,
        runs_checks: principal.may_run_warning_checks(),
    })
}

/// One warning in full, for a user who may read it.
pub async fn view(db: &Db, user_id: i64, id: i64, now: i64) -> Result<WarningView> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    let mut conn = db.pool().acquire().await?;
    let row = readable(&mut conn, principal, &org, id).await?;
    let events = store::warnings::events(&mut conn, id)
        .await?
        .into_iter()
        .map(|e| WarningEventView {
            what: match e.kind {
                EventKind::Raised => "发出预警",
                EventKind::Answered => "提交书面答复",
                EventKind::Accepted => "审核通过，办结",
                EventKind::SentBack => "审核不通过，退回重订",
                EventKind::Escalated => "预警升级",
            }
            .to_owned(),
            by: e.actor,
            at: domain::time::china_time(e.at),
            level: e.level,
            note: e.note,
            measures: e.measures,
        })
        .collect();
    let status = row.state.status;
    let answer = match (&row.answer_analysis, &row.answer_measures, row.answered_at) {
        (Some(analysis), Some(measures), Some(at)) => Some(AnswerView {
            analysis: analysis.clone(),
            measures: measures.clone(),
            answered_on: domain::time::china_day(at),
        }),
        _ => None,
    };
    Ok(WarningView {
        id: row.id,
        number: number(&row),
        level: row.state.level,
        raised_level: row.raised_level,
        handling: row.handling,
        source: row.source,
        rule: row.rule,
        source_ref: row.source_ref.clone(),
        reason: row.reason.clone(),
        unit: row.unit.clone(),
        subject: row.subject.clone(),
        issuer: row.issuer.clone(),
        status,
        due: row.state.due.to_string(),
        overdue: row.state.is_overdue(IsoDate::of_instant(now)),
        raised_on: domain::time::china_day(row.raised_at),
        closed_on: row.closed_at.map(domain::time::china_day),
        send_backs: row.state.send_backs,
        answer,
        events,
        may_answer: status == warning::Status::AwaitingAnswer
            && principal.may_answer_warning(&org.tree, &parties(&row)),
        may_decide: status == warning::Status::Answered
            && principal.may_decide_warning(&org.tree, &parties(&row)),
        // The caller adds the head it is printed under.
        head: None,
    })
}

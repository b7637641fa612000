//! 措施落实: the holder of a post reports how each measure of its approved sheet is carried out
//! (as a sync operation, written offline perhaps), and a section head over the unit checks a
//! measure reported finished (检验): accepted, or sent back with a reason to carry on. The rules are
//! `domain::risk::progress`, who may do what `domain::access`; this engine reads the measure in the
//! write transaction, applies the rule, and records the event, the measure's new status, the change
//! devices pull and the audit entry together.

use app::{
    api::supervision::{MeasureView, MeasuresView},
    error::ApiError,
    write::{CheckMeasure, MeasureChecked},
};
use domain::text::clip;
use domain::{
    access::Principal,
    account::Role,
    ids::{OrgUnitId, PostId},
    risk::{
        progress::{self, EventKind, Standing},
        IsoDate,
    },
    sync::OpResult,
};
use serde_json::json;

use crate::{
    audit,
    db::Db,
    directory::Org,
    error::{Error, Result},
    store::{
        self,
        changes::{Change, Kind},
        measures::{MeasureRow, NewEvent},
        Conn,
    },
};

/// A progress report as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct RawReport<'a> {
    pub risk_point_id: uuid::Uuid,
    pub position: i64,
    pub status: &'a str,
    pub done_on: &'a str,
    pub note: &'a str,
}

/// The measure, for a user who may read its sheet; one they may not read does not exist for them.
async fn readable(
    conn: &mut Conn,
    principal: &Principal,
    org: &Org,
    risk_point_id: &str,
    position: i64,
) -> Result<MeasureRow> {
    match store::measures::get(conn, risk_point_id, position).await? {
        Some(m) if principal.may_read_sheet(&org.tree, PostId(m.post_id), OrgUnitId(m.unit_id)) => {
            Ok(m)
        }
        _ => Err(ApiError::not_found("该措施").into()),
    }
}

/// Records `event` on `measure`: the event, the measure's new status, the change devices pull,
/// and the audit entry. Returns the risk point's new version.
async fn record(
    conn: &mut Conn,
    measure: &MeasureRow,
    event: NewEvent<'_>,
    audit_kind: &str,
) -> Result<i64> {
    let version = store::measures::record(conn, &event).await?;
    let change = Change {
        post_id: measure.post_id,
        kind: Kind::RiskPoint,
        entity: measure.risk_point_id.clone(),
    };
    store::changes::record(conn, &[change], None, event.now).await?;
    audit::append(
        conn,
        audit_kind,
        Some(event.actor_id),
        &format!("measure:{}:{}", measure.risk_point_id, measure.position),
        &json!({
            "post": measure.post_id,
            "measure": measure.text,
            "status": event.status.code(),
            "done_on": event.done_on.map(|d| d.to_string()),
            "note": event.note,
        }),
        event.now,
    )
    .await?;
    Ok(version)
}

/// A progress report that came as a sync operation: taken in the push's transaction, answered
/// like any operation. A refusal writes nothing.
pub async fn report_synced(
    conn: &mut Conn,
    op_id: uuid::Uuid,
    principal: &Principal,
    org: &Org,
    report: RawReport<'_>,
    now: i64,
) -> Result<OpResult> {
    match report_in(conn, principal, org, report, now).await {
        Ok(version) => Ok(OpResult::Applied { id: op_id, version }),
        Err(Error::Refused(refusal)) => Ok(OpResult::rejected(
            op_id,
            refusal.code.as_str(),
            refusal.message,
        )),
        Err(e) => Err(e),
    }
}

/// Takes a progress report by `principal` on `conn`; every refusal comes before the first write.
async fn report_in(
    conn: &mut Conn,
    principal: &Principal,
    org: &Org,
    raw: RawReport<'_>,
    now: i64,
) -> Result<i64> {
    let point = raw.risk_point_id.to_string();
    let measure = readable(conn, principal, org, &point, raw.position).await?;
    if !principal.may_report_measures(PostId(measure.post_id)) {
        return Err(ApiError::rule(
            "forbidden",
            "您不是该岗位的在岗人员，不能报告其措施落实情况",
        )
        .into());
    }
    progress::check_reportable(measure.stage, measure.standing)?;
    let today = IsoDate::of_instant(now);
    let report = progress::check_report(raw.status, raw.done_on, raw.note, today)?;
    let event = NewEvent {
        risk_point_id: &point,
        position: raw.position,
        measure_text: &measure.text,
        kind: EventKind::Report,
        status: report.status,
        done_on: report.done_on,
        note: Some(report.note.as_str()),
        actor_id: principal.user.0,
        now,
    };
    let version = record(conn, &measure, event, "measure_reported").await?;
    tracing::info!(
        point,
        position = raw.position,
        status = report.status.code(),
        "measure reported"
    );
    Ok(version)
}

/// A section head checks a measure, in a write transaction of its own.
pub async fn check(
    db: &Db,
    user_id: i64,
    request: &CheckMeasure,
    now: i64,
) -> Result<MeasureChecked> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    // Deny first: only a section head learns whether a measure exists.
    if !principal.checks_measures() {
        return Err(ApiError::forbidden().into());
    }
    let mut tx = db.begin_write().await?;
    let measure = readable(
        &mut tx,
        principal,
        &org,
        request.risk_point_id.trim(),
        request.position,
    )
    .await?;
    if !principal.may_check_measures(
        &org.tree,
        PostId(measure.post_id),
        OrgUnitId(measure.unit_id),
    ) {
        return Err(ApiError::forbidden().into());
    }
    progress::check_checkable(measure.standing)?;
    let verdict = progress::check_verdict(request.accept, &request.reason)?;
    let (status, done_on) = progress::after_verdict(&verdict, measure.done_on);
    let note = match &verdict {
        progress::Verdict::SendBack(reason) => Some(reason.as_str()),
        progress::Verdict::Accept => None,
    };
    let event = NewEvent {
        risk_point_id: &measure.risk_point_id,
        position: measure.position,
        measure_text: &measure.text,
        kind: verdict.kind(),
        status,
        done_on,
        note,
        actor_id: user_id,
        now,
    };
    let audit_kind = match verdict {
        progress::Verdict::Accept => "measure_accepted",
        progress::Verdict::SendBack(_) => "measure_sent_back",
    };
    record(&mut tx, &measure, event, audit_kind).await?;
    // The holders learn of the check where they read their notices (and their group's robot).
    let holders: Vec<i64> = store::org::active_holders(&mut tx, measure.post_id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let (kind, text) = match &verdict {
        progress::Verdict::Accept => (
            store::notifications::Kind::MeasureAccepted,
            format!("防控措施“{}”检验通过", clip(&measure.text, 100)),
        ),
        progress::Verdict::SendBack(reason) => (
            store::notifications::Kind::MeasureSentBack,
            clip(
                &format!(
                    "防控措施“{}”检验退回，请继续落实后再次报告。退回理由：{}",
                    clip(&measure.text, 100),
                    reason.as_str()
                ),
                500,
            ),
        ),
    };
    store::notifications::insert(&mut tx, &holders, kind, &text, "/check", now).await?;
    tx.commit().await?;
    let standing = Standing::after(Some((verdict.kind(), status)));
    tracing::info!(
        point = measure.risk_point_id,
        position = measure.position,
        ?standing,
        "measure checked"
    );
    Ok(MeasureChecked { status, standing })
}

/// The measures a section head checks: every measure of an approved sheet in the units of their
/// section-head roles, reported finished or unfinished with a due day.
pub async fn list(db: &Db, user_id: i64, now: i64) -> Result<MeasuresView> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    let principal = &person.principal;
    if !principal.checks_measures() {
        return Err(ApiError::forbidden().into());
    }
    let mut units: Vec<i64> = principal
        .roles
        .iter()
        .filter(|a| a.role == Role::SectionHead)
        .flat_map(|a| org.tree.subtree(a.scope))
        .map(|u| u.0)
        .collect();
    units.sort_unstable();
    units.dedup();
    let today = IsoDate::of_instant(now);
    let mut conn = db.pool().acquire().await?;
    let rows = store::measures::to_look_at(&mut conn, &units).await?;
    drop(conn);
    let (mut to_check, mut unfinished) = (Vec::new(), Vec::new());
    for row in rows {
        let m = &row.measure;
        if !principal.may_check_measures(&org.tree, PostId(m.post_id), OrgUnitId(m.unit_id)) {
            continue;
        }
        let view = MeasureView {
            risk_point_id: m.risk_point_id.clone(),
            position: m.position,
            post_id: m.post_id,
            post_title: row.post_title,
            unit: row.unit,
            point: row.point,
            kind: domain::risk::MeasureKind::parse(&row.kind)
                .map_err(|_| crate::error::corrupt("measure kind", &row.kind))?,
            text: m.text.clone(),
            owner: row.owner,
            due: m.due.map(|d| d.to_string()),
            status: m.status,
            done_on: m.done_on.map(|d| d.to_string()),
            standing: m.standing,
            overdue: m.status.overdue(m.due, today),
            note: row.note,
            noted_at: row.noted_at.map(domain::time::china_time),
        };
        if m.standing == Standing::AwaitingCheck {
            to_check.push(view);
        } else if m.standing != Standing::Accepted {
            unfinished.push(view);
        }
    }
    unfinished.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.due.cmp(&b.due)));
    Ok(MeasuresView {
        today: today.to_string(),
        to_check,
        unfinished,
    })
}

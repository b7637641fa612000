//! What every warning writes, whoever raised it: the row with its number, the first event, the
//! audit entry and the notifications, in the caller's transaction; and who a warning's news goes
//! to. Shared by the hand-raised path ([`super::raise`]) and the rules ([`super::rules`]).

use domain::{
    access::WarningParties,
    account::Role,
    ids::{OrgUnitId, UserId},
    warning,
};
use serde_json::Value;

use crate::{
    audit,
    directory::Org,
    error::Result,
    store::{
        self, notifications as notice,
        warnings::{EventKind, NewEvent, NewWarningRow, WarningRow},
        Conn,
    },
};

pub(crate) fn parties(row: &WarningRow) -> WarningParties {
    WarningParties {
        issuer: row.issuer_id.map(UserId),
        subject: row.subject_id.map(UserId),
        unit: OrgUnitId(row.unit_id),
    }
}

/// The people who hold `role` over `unit`.
pub(super) async fn holders_of(
    conn: &mut Conn,
    org: &Org,
    role: Role,
    unit: i64,
) -> Result<Vec<i64>> {
    let mut users: Vec<i64> = store::org::all_roles(conn)
        .await?
        .into_iter()
        .filter(|(_, r, scope)| {
            *r == role && org.tree.is_within(OrgUnitId(unit), OrgUnitId(*scope))
        })
        .map(|(user, _, _)| user)
        .collect();
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// Who answers a warning: the person warned, or the unit's liaisons.
pub(super) async fn answerers(
    conn: &mut Conn,
    org: &Org,
    subject: Option<i64>,
    unit: i64,
) -> Result<Vec<i64>> {
    match subject {
        Some(person) => Ok(vec![person]),
        None => holders_of(conn, org, Role::UnitLiaison, unit).await,
    }
}

/// Who decides on an answer: the issuer, or for a rule's warning the commission over the unit
/// (never the person warned), as `Principal::may_decide_warning` has it.
pub(super) async fn deciders(conn: &mut Conn, org: &Org, row: &WarningRow) -> Result<Vec<i64>> {
    match row.issuer_id {
        Some(issuer) => Ok(vec![issuer]),
        None => Ok(holders_of(conn, org, Role::CommissionReviewer, row.unit_id)
            .await?
            .into_iter()
            .filter(|u| Some(*u) != row.subject_id)
            .collect()),
    }
}

pub(super) fn link(id: i64) -> String {
    format!("/warnings/{id}")
}

pub(super) fn number(row: &WarningRow) -> String {
    printed(row.year, row.seq)
}

fn printed(year: i64, seq: i64) -> String {
    warning::number(u16::try_from(year).unwrap_or(0), seq)
}

/// Writes a new warning: the row (with the next number of its year), the `raised` event, the
/// audit entry (`details` plus the number) and the notice to whoever answers it. Returns the id
/// and the printed number.
pub(super) async fn open(
    conn: &mut Conn,
    org: &Org,
    new: &NewWarningRow<'_>,
    mut details: Value,
) -> Result<(i64, String)> {
    let (id, seq) = store::warnings::insert(conn, new).await?;
    let number = printed(new.year, seq);
    store::warnings::insert_event(
        conn,
        &NewEvent {
            warning_id: id,
            kind: EventKind::Raised,
            actor_id: new.issuer_id,
            level: new.level,
            note: Some(new.reason),
            measures: None,
            now: new.now,
        },
    )
    .await?;
    if let Value::Object(map) = &mut details {
        map.insert("number".into(), Value::String(number.clone()));
    }
    audit::append(
        conn,
        "warning_raised",
        new.issuer_id,
        &format!("warning:{id}"),
        &details,
        new.now,
    )
    .await?;
    let to = answerers(conn, org, new.subject_id, new.unit_id).await?;
    store::notifications::insert(
        conn,
        &to,
        notice::Kind::WarningRaised,
        &format!(
            "您收到{}{number}（{}），请于 {} 前提交书面答复",
            new.level.label(),
            new.handling.label(),
            new.due
        ),
        &link(id),
        new.now,
    )
    .await?;
    Ok((id, number))
}

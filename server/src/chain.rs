//! The approval chain on stored sheets: the facts `domain::chain` decides on, read in the caller's
//! transaction, and a step taken and recorded (the new stage, the approvals that stand, the
//! timeline, the audit log, and the commitments of an approved sheet). Sync's `decide`
//! operations and the collective-review meeting both take their steps here.

use domain::{
    chain::{Action, Chain, SheetFacts, SheetState, Via},
    ids::{OrgUnitId, PostId},
    stage::Stage,
    sync::RiskPointInput,
};
use serde_json::json;

use crate::{
    audit, commitments,
    directory::{Org, Person},
    error::Result,
    store::{self, Conn},
};

/// A sheet as the chain sees it at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub version: i64,
    pub facts: SheetFacts,
    pub state: SheetState,
}

/// Reads what the chain's rules need about a sheet: its version, level, content hash, the
/// approvals that stand, and the counts behind the gates (risk points, peer reviews, undecided
/// suggestions, open objections, the notice clock).
pub async fn snapshot(
    conn: &mut Conn,
    sheet_id: i64,
    post_id: i64,
    stage: Stage,
    now: i64,
) -> Result<Snapshot> {
    let facts = store::sheets::facts(conn, sheet_id).await?;
    let content_hash = content_hash(conn, sheet_id).await?;
    let approvals = store::review::approvals(conn, sheet_id).await?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(Snapshot {
        version: facts.version,
        facts: SheetFacts {
            post: PostId(post_id),
            unit: OrgUnitId(facts.unit_id),
            level: facts.level,
            content_hash,
            risk_points: count(facts.risk_points),
            peer_reviews: count(facts.peer_reviews),
            required_peer_reviews: count(facts.required_peer_reviews),
            pending_suggestions: count(facts.pending_suggestions),
            notice_period_over: facts.notice_until.is_none_or(|until| until <= now),
            open_objections: count(facts.open_objections),
        },
        state: SheetState { stage, approvals },
    })
}

/// SHA-256 of the sheet's risk points and measures as the canonical JSON of their inputs, in
/// list order: what an approval vouches for.
pub async fn content_hash(conn: &mut Conn, sheet_id: i64) -> Result<String> {
    use sha2::{Digest as _, Sha256};
    let points: Vec<RiskPointInput> = store::points::on_sheets(conn, &[sheet_id])
        .await?
        .remove(&sheet_id)
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            // Where the check of a carried-out measure stands is the record's, not the content's.
            let mut input = r.input;
            for m in &mut input.measures {
                m.check.clear();
                m.note.clear();
            }
            input
        })
        .collect();
    let canonical = serde_json::to_vec(&points).map_err(anyhow::Error::from)?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// What became of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken: the sheet is now at `stage`, at `version`.
    Taken { stage: Stage, version: i64 },
    /// Refused by the rules, or stale: a stable code and a message for the user.
    Refused { code: String, message: String },
}

/// The step `action` on the current sheet `sheet_id` of `post_id` (at `stage`), by `actor`,
/// arriving `via` a channel; `seen_version` is the version the decision was taken on (a changed
/// sheet refuses it as stale). Decided by `domain::chain::decide` with facts read here, in the
/// caller's write transaction, and recorded when taken.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    conn: &mut Conn,
    actor: &Person,
    org: &Org,
    post_id: i64,
    sheet_id: i64,
    stage: Stage,
    action: &Action,
    seen_version: Option<i64>,
    via: Via,
    now: i64,
) -> Result<Outcome> {
    let snap = snapshot(conn, sheet_id, post_id, stage, now).await?;
    if seen_version.is_some_and(|seen| seen != snap.version) {
        return Ok(Outcome::Refused {
            code: "stale".to_owned(),
            message: format!(
                "排查表在您审阅后已有更新（现为第 {} 版），请刷新后重新审核",
                snap.version
            ),
        });
    }
    let chain = Chain::for_level(snap.facts.level);
    let next = match domain::chain::decide(
        &chain,
        &snap.state,
        &snap.facts,
        &actor.principal,
        &org.tree,
        action,
        via,
    ) {
        Ok(next) => next,
        Err(refused) => {
            return Ok(Outcome::Refused {
                code: refused.code,
                message: refused.message,
            })
        }
    };
    let content_hash = snap.facts.content_hash;
    // The notice runs the commission's number of working days on the district's calendar.
    let notice_until = match next.stage {
        Stage::PublicNotice => Some(store::settings::load(conn).await?.notice_until(now)),
        _ => None,
    };
    let version = store::sheets::move_to(conn, sheet_id, next.stage, notice_until, now).await?;
    store::review::set_approvals(conn, sheet_id, &next.approvals, now).await?;
    let reason = match action {
        Action::Return { reason, .. } => Some(reason.as_str()),
        _ => None,
    };
    let by = actor.principal.user.0;
    store::review::record_transition(
        conn,
        &store::review::Transition {
            sheet_id,
            from: stage,
            to: next.stage,
            action: action.code(),
            by,
            reason,
            content_hash: &content_hash,
            at: now,
        },
    )
    .await?;
    audit::append(
        conn,
        "stage_change",
        Some(by),
        &format!("sheet:{sheet_id}"),
        &json!({
            "post": post_id, "sheet": sheet_id, "action": action.code(), "from": stage.code(),
            "to": next.stage.code(), "reason": reason, "content_hash": content_hash,
            "version": version,
        }),
        now,
    )
    .await?;
    if next.stage == Stage::Approved {
        commitments::generate(conn, sheet_id, post_id, &content_hash, now).await?;
    }
    // A sheet sent back reaches its holders where they read their notices.
    if let Some(reason) = reason {
        let holders: Vec<i64> = store::org::active_holders(conn, post_id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| *id != by)
            .collect();
        let text = domain::text::clip(
            &format!(
                "排查表由“{}”退回至“{}”：{reason}",
                stage.label(),
                next.stage.label()
            ),
            500,
        );
        store::notifications::insert(
            conn,
            &holders,
            store::notifications::Kind::SheetReturned,
            &text,
            &format!("/posts/{post_id}"),
            now,
        )
        .await?;
    }
    Ok(Outcome::Taken {
        stage: next.stage,
        version,
    })
}

/// Chain steps taken outside a push (a meeting's approvals), in the caller's write transaction,
/// with the same rules and records as a `decide` operation: one outcome per `(post, action)`,
/// and a refused step leaves its sheet as it was. Each step taken is recorded for pulls.
pub async fn steps(
    conn: &mut Conn,
    directory: &crate::directory::Directory,
    user_id: i64,
    steps: &[(i64, Action)],
    via: Via,
    now: i64,
) -> Result<Vec<Outcome>> {
    let actor = directory.person_on(conn, user_id).await?;
    let org = directory.org_on(conn).await?;
    let mut outcomes = Vec::with_capacity(steps.len());
    for (post_id, action) in steps {
        let Some(sheet) = store::sheets::current(conn, *post_id).await? else {
            outcomes.push(Outcome::Refused {
                code: "no_sheet".to_owned(),
                message: "该岗位尚无本轮排查表".to_owned(),
            });
            continue;
        };
        let outcome = step(
            conn,
            &actor,
            &org,
            *post_id,
            sheet.id,
            sheet.stage,
            action,
            None,
            via,
            now,
        )
        .await?;
        if matches!(outcome, Outcome::Taken { .. }) {
            store::changes::sheet_changed(conn, *post_id, now).await?;
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

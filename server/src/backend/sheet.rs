//! One post's sheet as its page shows it, the review around it as the signed-in user may see and
//! act on it, and a unit's handbook.

use std::collections::HashMap;

use app::api::{
    HandbookView, MeetingView, ObjectionView, PeerReviewView, ReviewInfo, SheetView,
    SuggestionView, TimelineEntry,
};
use domain::{
    chain::{allowed_actions, is_peer_reviewer, next_step, Action, Chain, PeerPost},
    ids::{OrgUnitId, PostId},
    risk::RiskCategory,
    stage::Stage,
    sync::RiskPointInput,
    time::{china_day, china_time},
};

use super::views;
use crate::{
    chain,
    db::now_ms,
    directory::{Org, Person},
    error::{corrupt, Error, Result},
    store::{self, Conn},
};

/// The sheet of `post_id` (its current sheet, or an empty one before the post's first round)
/// with its sheet id; `None` for a post that does not exist.
pub async fn load(conn: &mut Conn, post_id: i64) -> Result<Option<(SheetView, Option<i64>)>> {
    let Some(post) = store::org::post(conn, post_id).await? else {
        return Ok(None);
    };
    let duties = store::org::duties(conn, post_id).await?;
    let sheet = store::sheets::current(conn, post_id).await?;
    let sheet_id = sheet.as_ref().map(|s| s.id);
    let (round, stage, version, notice_until, risk_points, timeline) = match sheet {
        Some(sheet) => {
            let points = store::points::on_sheets(conn, &[sheet.id])
                .await?
                .remove(&sheet.id)
                .unwrap_or_default();
            (
                sheet.round,
                sheet.stage,
                sheet.version,
                sheet.notice_until.map(china_day),
                views::risk_points(points)?,
                timeline(conn, sheet.id).await?,
            )
        }
        None => (
            "尚未开始排查".to_owned(),
            Stage::SelfCheck,
            0,
            None,
            Vec::new(),
            Vec::new(),
        ),
    };
    Ok(Some((
        SheetView {
            post_id: post.id,
            post_title: post.title,
            post_level: post.level,
            key_post: post.marks.key_post(),
            unit: post.unit,
            round,
            stage,
            duties,
            risk_points,
            timeline,
            unit_id: post.unit_id,
            version,
            supervision_grade: post.marks.grade(),
            notice_until,
            review: None,
        },
        sheet_id,
    )))
}

async fn timeline(conn: &mut Conn, sheet_id: i64) -> Result<Vec<TimelineEntry>> {
    Ok(store::review::timeline(conn, sheet_id)
        .await?
        .into_iter()
        .map(|r| TimelineEntry {
            at: china_time(r.at),
            by: r.by,
            from: r.from,
            to: r.to,
            action: Action::label_of(&r.action).to_owned(),
            reason: r.reason,
        })
        .collect())
}

/// What `person` sees of the review around a sheet and may do in it. The chain steps come from
/// `domain::chain` with the same facts the server decides on.
pub async fn review_info(
    conn: &mut Conn,
    person: &Person,
    org: &Org,
    view: &SheetView,
    sheet_id: i64,
) -> Result<ReviewInfo> {
    let principal = &person.principal;
    let tree = &org.tree;
    let snap = chain::snapshot(conn, sheet_id, view.post_id, view.stage, now_ms()).await?;
    let chain = Chain::for_level(view.post_level);
    let actions: Vec<String> = allowed_actions(&chain, &snap.state, &snap.facts, principal, tree)
        .iter()
        .map(|a| a.code().to_owned())
        .collect();
    let (post, unit) = (PostId(view.post_id), OrgUnitId(view.unit_id));
    let is_holder = principal.held_posts.contains(&post);
    let held = next_step(&chain, &snap.state, &snap.facts, principal, tree)
        .and_then(|step| step.held)
        .map(|refused| refused.message);
    let return_targets = chain
        .stages()
        .iter()
        .copied()
        .filter(|s| *s < view.stage)
        .collect();
    let may_peer_review = view.stage == Stage::PeerReview
        && is_peer_reviewer(
            &person.held,
            PeerPost {
                post,
                unit,
                level: view.post_level,
            },
        );
    let peer_reviews = store::review::peer_reviews(conn, sheet_id)
        .await?
        .into_iter()
        .map(|(by, comment, at)| PeerReviewView {
            by,
            comment,
            at: china_time(at),
        })
        .collect();
    let matrix = store::sheets::matrix(conn, sheet_id).await?;
    let suggestions = store::review::suggestions(conn, sheet_id)
        .await?
        .into_iter()
        .map(|r| {
            let input: RiskPointInput =
                serde_json::from_str(&r.input_json).map_err(|e| corrupt("suggestion", e))?;
            Ok(SuggestionView {
                id: r.id,
                by: r.by,
                level: input.validate().ok().map(|v| v.level(&matrix)),
                category: RiskCategory::parse(&input.category)
                    .map_err(|e| corrupt("category", e))?,
                description: input.description,
                status: r.status,
                decline_reason: r.decline_reason,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let may_resolve_objections = principal.may_answer_objections(tree, post, unit);
    let sees_contacts = principal.may_see_objection_contacts(tree, post, unit);
    let objections = store::review::objections(conn, sheet_id)
        .await?
        .into_iter()
        .map(|r| ObjectionView {
            id: r.id,
            text: r.text,
            // Whoever objected may fear the person objected to: only those who answer see how to
            // reach them.
            contact: r.contact.filter(|_| sees_contacts),
            at: china_time(r.at),
            open: r.open,
            response: r.response,
            outcome: r.outcome,
        })
        .collect();
    let meetings = store::review::meetings(conn, sheet_id)
        .await?
        .into_iter()
        .map(|m| MeetingView {
            held_on: m.held_on,
            attendees: m.attendees,
            decision: m.decision,
            minutes_ref: m.minutes_ref,
        })
        .collect();
    let may_grade = principal.may_grade_post(tree, post, unit);
    let cadence = match may_grade {
        true => Some(store::settings::numbers(conn).await?.1),
        false => None,
    };
    Ok(ReviewInfo {
        actions,
        return_targets,
        held,
        is_holder,
        may_peer_review,
        required_peer_reviews: snap.facts.required_peer_reviews,
        peer_reviews,
        suggestions,
        objections,
        may_resolve_objections,
        may_grade,
        cadence,
        meetings,
    })
}

/// A unit's handbook: every post beneath the unit (its sections, villages and communities too),
/// parents before children, in a fixed number of statements whatever the size of the unit.
pub async fn handbook(
    conn: &mut Conn,
    person: &Person,
    org: &Org,
    unit_id: i64,
) -> Result<HandbookView> {
    let Some(unit) = org.names.get(&unit_id).cloned() else {
        return Err(app::error::ApiError::not_found("该单位").into());
    };
    if !person
        .principal
        .may_read_unit(&org.tree, OrgUnitId(unit_id))
    {
        return Err(app::error::ApiError::forbidden().into());
    }
    let units = org.tree.subtree(OrgUnitId(unit_id));
    let rank: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (u.0, i)).collect();
    let unit_ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let post_ids = store::sheets::posts_in_units(conn, &unit_ids).await?;
    let mut rows = store::sheets::posts_with_sheets(conn, &post_ids).await?;
    rows.sort_by_key(|r| (rank.get(&r.unit_id).copied(), r.post_id));
    let mut duties = store::org::duties_of(conn, &post_ids).await?;
    let sheet_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.sheet.as_ref().map(|s| s.id))
        .collect();
    let mut points = store::points::on_sheets(conn, &sheet_ids).await?;
    // The unit as seen from the handbook's unit: `东村` under `清河街道办事处` reads
    // `清河街道办事处·东村`.
    let label = |id: i64| {
        let mut path = Vec::new();
        let mut current = Some(OrgUnitId(id));
        while let Some(u) = current {
            path.push(org.name(u.0));
            if u.0 == unit_id {
                break;
            }
            current = org.tree.parent(u);
        }
        path.reverse();
        path.join("·")
    };
    let mut posts = Vec::with_capacity(rows.len());
    for row in rows {
        let grade = row
            .grade
            .as_deref()
            .map(domain::post::SupervisionGrade::parse)
            .transpose()
            .map_err(|e| Error::Internal(corrupt("supervision grade", e)))?;
        let (round, stage, version, notice_until, sheet_points) = match row.sheet {
            Some(s) => (
                s.round,
                s.stage,
                s.version,
                s.notice_until.map(china_day),
                points.remove(&s.id).unwrap_or_default(),
            ),
            None => (
                "尚未开始排查".to_owned(),
                Stage::SelfCheck,
                0,
                None,
                Vec::new(),
            ),
        };
        posts.push(SheetView {
            post_id: row.post_id,
            post_title: row.title,
            post_level: row.level,
            key_post: row.key_post,
            unit: label(row.unit_id),
            round,
            stage,
            duties: duties.remove(&row.post_id).unwrap_or_default(),
            risk_points: views::risk_points(sheet_points)?,
            // The handbook prints the content, not the review's history.
            timeline: Vec::new(),
            unit_id: row.unit_id,
            version,
            supervision_grade: grade,
            notice_until,
            review: None,
        });
    }
    let round = posts.first().map(|p| p.round.clone()).unwrap_or_default();
    Ok(HandbookView {
        unit_id,
        unit,
        round,
        approved: !posts.is_empty() && posts.iter().all(|p| p.stage == Stage::Approved),
        generated_on: china_day(now_ms()),
        posts,
        // The caller adds the head it is printed under.
        head: None,
    })
}

//! 排查批次: the commission starts a round over units, and follows it. Starting a round gives
//! every post in scope a sheet in it (the rule is `domain::round::opening`): an empty one, a
//! draft carrying forward the post's approved points and measures, or the post's unfinished sheet
//! moved in as it stands. The approved sheet stays on record and on the public notice until the
//! new one is published. One audit entry records the start.

use std::collections::HashMap;

use app::{
    api::{
        ReReviewView, RoundProgressView, RoundSheetView, RoundUnitProgress, RoundView, RoundsView,
    },
    write::{RoundStarted, StartRound},
};
use domain::{
    ids::{OrgUnitId, RiskPointId},
    post::SupervisionGrade,
    risk::{IsoDate, RatingMatrix},
    round::{check_request, opening, CurrentSheet, Opening, ReReview, Standing},
    stage::Stage,
};
use serde_json::json;

use crate::{
    audit,
    db::{now_ms, Db},
    directory::Org,
    error::{Error, Result},
    store::{
        self,
        changes::{Change, Kind},
        rounds::KeyPostApproved,
        Conn,
    },
};

/// The commission over every unit of the district may run rounds; others are refused.
async fn commission(db: &Db, user_id: i64, units: &[OrgUnitId]) -> Result<std::sync::Arc<Org>> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    if !person.principal.may_run_rounds(&org.tree, units) {
        return Err(app::error::ApiError::forbidden().into());
    }
    Ok(org)
}

/// Starts a round as `user_id` asked, on `today` (China time) at `now`.
pub async fn start(db: &Db, user_id: i64, request: &StartRound, now: i64) -> Result<RoundStarted> {
    // A 回头看 round takes the chosen key posts; its scope is their units.
    let re_review_posts = if request.re_review {
        Some(re_review_posts(db, &request.posts).await?)
    } else {
        None
    };
    let units: Vec<OrgUnitId> = match &re_review_posts {
        Some(posts) => posts.iter().map(|(_, unit)| OrgUnitId(*unit)).collect(),
        None => request.units.iter().map(|u| OrgUnitId(*u)).collect(),
    };
    // Unknown units are the request's mistake, reported by the check below, not a refusal.
    let org = db.directory().org().await?;
    let known: Vec<OrgUnitId> = units
        .iter()
        .copied()
        .filter(|u| org.tree.contains(*u))
        .collect();
    let org = commission(db, user_id, &known).await?;
    let today = IsoDate::of_instant(now);
    let checked = check_request(
        &request.name,
        request.year,
        &request.deadline,
        &units,
        request.pilot,
        &org.tree,
        today,
    )?;
    let mut tx = db.begin_write().await?;
    let rounds = store::rounds::list(&mut tx).await?;
    if let Some(latest) = rounds.first() {
        if i64::from(checked.year) < latest.year {
            return Err(Error::Refused(
                app::error::ApiError::rule(
                    "year_before_current",
                    format!(
                        "年度：{} 早于当前批次“{}”的年度 {}，新批次的年度不能早于当前批次",
                        checked.year, latest.name, latest.year
                    ),
                )
                .at("year"),
            ));
        }
    }
    let matrix_json =
        serde_json::to_string(&RatingMatrix::default()).map_err(|e| Error::Internal(e.into()))?;
    let scope: Vec<i64> = checked.scope.iter().map(|u| u.0).collect();
    let new = store::rounds::NewRound {
        name: checked.name.as_str(),
        year: i64::from(checked.year),
        deadline: &checked.deadline.to_string(),
        pilot: checked.pilot,
        re_review: request.re_review,
        matrix_json: &matrix_json,
        scope: &scope,
        started_by: Some(user_id),
        now,
    };
    let Some(round) = store::rounds::insert(&mut tx, &new).await? else {
        return Err(Error::Refused(
            app::error::ApiError::rule(
                "duplicate",
                format!(
                    "批次名称：已有名为“{}”的批次，请换一个名称",
                    checked.name.as_str()
                ),
            )
            .at("round_name"),
        ));
    };
    let all_units: Vec<i64> = checked
        .scope
        .iter()
        .flat_map(|u| org.tree.subtree(*u))
        .map(|u| u.0)
        .collect();
    let posts = match &re_review_posts {
        Some(posts) => posts.iter().map(|(post, _)| *post).collect(),
        None => store::sheets::posts_in_units(&mut tx, &all_units).await?,
    };
    let current: HashMap<i64, store::rounds::CurrentOf> =
        store::rounds::current_of(&mut tx, &posts)
            .await?
            .into_iter()
            .map(|c| (c.post_id, c))
            .collect();
    let mut started = RoundStarted {
        id: round,
        opened: 0,
        carried_forward: 0,
        adopted: 0,
        kept: 0,
    };
    let mut changes = Vec::new();
    for post in &posts {
        let now_current = current.get(post).map(|c| CurrentSheet {
            round: c.round_id,
            round_year: c.round_year,
            sheet: c.sheet_id,
            stage: c.stage,
        });
        match opening(
            round,
            i64::from(checked.year),
            request.re_review,
            now_current,
        ) {
            Opening::AlreadyIn => continue,
            Opening::DoneThisYear => {
                started.kept += 1;
                continue;
            }
            Opening::Fresh => {
                store::rounds::open(&mut tx, round, *post, &matrix_json, now).await?;
                started.opened += 1;
            }
            Opening::Adopt { sheet } => {
                store::rounds::adopt(&mut tx, sheet, round, now).await?;
                started.adopted += 1;
            }
            Opening::CarryForward { from_sheet } => {
                let to = store::rounds::open(&mut tx, round, *post, &matrix_json, now).await?;
                let old = store::rounds::point_ids(&mut tx, from_sheet).await?;
                let pairs: Vec<(String, String)> = old
                    .into_iter()
                    .map(|id| {
                        let new = RiskPointId::from_natural_key(&format!("carry/{to}/{id}"));
                        (id, new.to_string())
                    })
                    .collect();
                store::rounds::copy_points(&mut tx, from_sheet, to, &pairs, now).await?;
                // Devices drop the approved points from the working copy and take the draft's.
                for (old, new) in pairs {
                    changes.push(Change {
                        post_id: *post,
                        kind: Kind::RiskPointDeleted,
                        entity: old,
                    });
                    changes.push(Change {
                        post_id: *post,
                        kind: Kind::RiskPoint,
                        entity: new,
                    });
                }
                started.carried_forward += 1;
            }
        }
        changes.push(Change {
            post_id: *post,
            kind: Kind::Sheet,
            entity: post.to_string(),
        });
    }
    store::changes::record(&mut tx, &changes, None, now).await?;
    let payload = json!({
        "name": checked.name.as_str(),
        "year": checked.year,
        "deadline": checked.deadline.to_string(),
        "pilot": checked.pilot,
        "re_review": request.re_review,
        "posts": re_review_posts.as_ref().map(|p| p.iter().map(|(post, _)| *post).collect::<Vec<_>>()),
        "units": scope,
        "opened": started.opened,
        "carried_forward": started.carried_forward,
        "adopted": started.adopted,
        "kept": started.kept,
    });
    audit::append(
        &mut tx,
        "round_started",
        Some(user_id),
        &format!("round:{round}"),
        &payload,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(round, ?started, "round started");
    Ok(started)
}

/// The rounds and the units a new one may take, for the commission.
pub async fn rounds(db: &Db, user_id: i64) -> Result<RoundsView> {
    let org = commission(db, user_id, &[]).await?;
    let mut conn = db.pool().acquire().await?;
    let rows = store::rounds::list(&mut conn).await?;
    let latest_year = rows.first().map(|r| r.year);
    let rounds = rows
        .into_iter()
        .map(|r| RoundView {
            id: r.id,
            name: r.name,
            year: r.year,
            deadline: r.deadline,
            pilot: r.pilot,
            re_review: r.re_review,
            started_on: r.started_at.map(domain::time::china_day),
            units: r.scope.iter().map(|u| org.name(*u)).collect(),
            sheets: r.sheets,
        })
        .collect();
    // The units directly under the district (and the district itself) are what a round takes.
    let units = org.unit_options(|unit| org.depth(unit) <= 1);
    let today = IsoDate::of_instant(now_ms());
    Ok(RoundsView {
        rounds,
        units,
        today: today.to_string(),
        next_year: latest_year.unwrap_or(i64::from(today.year())),
        re_reviews: re_reviews(db, &org, today).await?,
    })
}

/// The chosen posts of a 回头看 round with their units; every one must exist.
async fn re_review_posts(db: &Db, posts: &[i64]) -> Result<Vec<(i64, i64)>> {
    if posts.is_empty() {
        return Err(app::error::ApiError::rule(
            "empty_scope",
            "回头看岗位：请至少选择一个到期复查的重点岗位",
        )
        .at("posts")
        .into());
    }
    let mut conn = db.pool().acquire().await?;
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(posts.len());
    for post in posts {
        let Some(unit) = store::org::post_unit(&mut conn, *post).await? else {
            return Err(app::error::ApiError::rule(
                "unknown_post",
                format!("回头看岗位：岗位（编号 {post}）不存在"),
            )
            .at("posts")
            .into());
        };
        if !out.iter().any(|(p, _)| p == post) {
            out.push((*post, unit));
        }
    }
    Ok(out)
}

/// Each approved key post with its grade and the day its next 回头看 is due, by the district's
/// cadence: the one reading of "when is this post's re-review due", for the commission's list
/// and the warning rule alike.
pub async fn re_review_dues(
    conn: &mut Conn,
) -> Result<Vec<(KeyPostApproved, SupervisionGrade, IsoDate)>> {
    let settings = store::settings::load(conn).await?;
    store::rounds::key_posts_approved(conn)
        .await?
        .into_iter()
        .map(|p| {
            let grade = SupervisionGrade::parse(&p.grade)
                .map_err(|e| Error::Internal(crate::error::corrupt("supervision grade", e)))?;
            let due = settings.re_review_due(grade, IsoDate::of_instant(p.approved_at));
            Ok((p, grade, due))
        })
        .collect()
}

/// 回头看: the key posts whose re-review falls due within a month of `today`, or is overdue,
/// soonest due first.
pub async fn re_reviews(db: &Db, org: &Org, today: IsoDate) -> Result<Vec<ReReviewView>> {
    let mut conn = db.pool().acquire().await?;
    let mut out = Vec::new();
    for (p, grade, due) in re_review_dues(&mut conn).await? {
        let approved_on = IsoDate::of_instant(p.approved_at);
        let standing = ReReview::of(due, today);
        if standing.listed() {
            out.push(ReReviewView {
                post_id: p.post_id,
                unit: org.name(p.unit_id),
                post: p.title,
                grade,
                approved_on: approved_on.to_string(),
                due_on: due.to_string(),
                standing: standing.label(),
                overdue: matches!(standing, ReReview::Overdue { .. }),
            });
        }
    }
    out.sort_by(|a, b| a.due_on.cmp(&b.due_on));
    Ok(out)
}

/// A round's progress on `today`: by unit and by stage, and who is late.
pub async fn progress(
    db: &Db,
    user_id: i64,
    round: i64,
    today: IsoDate,
) -> Result<RoundProgressView> {
    let org = commission(db, user_id, &[]).await?;
    let mut conn = db.pool().acquire().await?;
    let Some(row) = store::rounds::list(&mut conn)
        .await?
        .into_iter()
        .find(|r| r.id == round)
    else {
        return Err(app::error::ApiError::not_found("该批次").into());
    };
    let scope: Vec<OrgUnitId> = row.scope.iter().map(|u| OrgUnitId(*u)).collect();
    if !db
        .directory()
        .person(user_id)
        .await?
        .principal
        .may_run_rounds(&org.tree, &scope)
    {
        return Err(app::error::ApiError::forbidden().into());
    }
    let deadline = IsoDate::parse(&row.deadline, "deadline", "截止日期")
        .map_err(|e| Error::Internal(crate::error::corrupt("round deadline", e)))?;
    let matrix: RatingMatrix = match store::rounds::matrix_of(&mut conn, round).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::Internal(crate::error::corrupt("round matrix", e)))?,
        None => RatingMatrix::default(),
    };
    let sheets = store::rounds::sheets(&mut conn, round).await?;
    let mut by_unit: Vec<RoundUnitProgress> = Vec::new();
    let mut late = Vec::new();
    let mut totals = vec![0usize; Stage::ALL.len()];
    for s in sheets {
        let standing = Standing::of(s.stage, deadline, today);
        let stage_index = Stage::ALL.iter().position(|x| *x == s.stage).unwrap_or(0);
        totals[stage_index] += 1;
        let unit = match by_unit.iter_mut().find(|u| u.unit_id == s.unit_id) {
            Some(u) => u,
            None => {
                by_unit.push(RoundUnitProgress {
                    unit_id: s.unit_id,
                    unit: org.name(s.unit_id),
                    by_stage: vec![0; Stage::ALL.len()],
                    posts: 0,
                    approved: 0,
                    late: 0,
                });
                by_unit.last_mut().expect("just pushed")
            }
        };
        unit.posts += 1;
        unit.by_stage[stage_index] += 1;
        unit.approved += usize::from(s.stage == Stage::Approved);
        unit.late += usize::from(standing.is_late());
        if standing.is_late() || matches!(standing, Standing::DueSoon { .. }) {
            late.push(RoundSheetView {
                post_id: s.post_id,
                unit: org.name(s.unit_id),
                post: s.title,
                holders: s.holders,
                stage: s.stage,
                risk_count: s.risk_count,
                standing: standing.label(),
                late: standing.is_late(),
            });
        }
    }
    Ok(RoundProgressView {
        id: row.id,
        name: row.name,
        year: row.year,
        deadline: row.deadline,
        pilot: row.pilot,
        today: today.to_string(),
        stages: Stage::ALL.to_vec(),
        totals,
        units: by_unit,
        attention: late,
        matrix: matrix.cells().iter().map(|row| row.to_vec()).collect(),
        thresholds: matrix.thresholds(),
    })
}

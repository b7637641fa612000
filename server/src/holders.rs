//! 轮岗交流: who holds a post, with dates. A handover ends the former holder's holding and starts
//! the new one's on the same day; the new holder inherits the post's approved risk points (they
//! belong to the post, 对岗不对人) and gets a commitment to sign; the former holder's signed
//! commitments stay in the history and on the verification page, unsigned ones are withdrawn.
//! Every act is in the audit log.

use std::collections::HashMap;

use app::{
    api::{HoldingView, PostHoldersView, UnitPostsView},
    write::{EndHolding, HandedOver, Handover},
};
use domain::{
    account::Role,
    ids::{OrgUnitId, PostId},
    post::{check_new_holding, HoldingSpan},
    risk::IsoDate,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit, chain, commitments,
    db::Db,
    error::{Error, Result},
    store::{
        self,
        changes::{Change, Kind},
        Conn,
    },
};

/// The post's unit, after checking that `user_id` may record handovers on it.
async fn authorise(db: &Db, user_id: i64, post_id: i64) -> Result<i64> {
    let mut conn = db.pool().acquire().await?;
    let unit = store::org::post_unit(&mut conn, post_id)
        .await?
        .ok_or_else(|| app::error::ApiError::not_found("该岗位"))?;
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    if !person
        .principal
        .may_manage_holders(&org.tree, PostId(post_id), OrgUnitId(unit))
    {
        return Err(app::error::ApiError::forbidden().into());
    }
    Ok(unit)
}

fn date(raw: &str, field: &str) -> Result<IsoDate> {
    Ok(IsoDate::parse(raw, field, "交接日期")?)
}

fn span(started: Option<String>, ended: Option<String>) -> Result<HoldingSpan> {
    let parse = |d: Option<String>| {
        d.map(|d| IsoDate::parse(&d, "date", "日期"))
            .transpose()
            .map_err(|e| Error::Internal(crate::error::corrupt("holding date", e)))
    };
    Ok(HoldingSpan {
        start: parse(started)?,
        end: parse(ended)?,
    })
}

/// An active account by username, or a refusal naming the field.
async fn active_account(conn: &mut Conn, username: &str, field: &str) -> Result<(i64, String)> {
    let account = store::accounts::account(conn, username.trim())
        .await?
        .ok_or_else(|| {
            app::error::ApiError::rule(
                "unknown_user",
                format!("账号：没有用户名为“{}”的账号", username.trim()),
            )
            .at(field)
        })?;
    if !account.active {
        return Err(app::error::ApiError::rule(
            "inactive_user",
            format!("账号：{} 的账号已停用，不能任职", account.display_name),
        )
        .at(field)
        .into());
    }
    Ok((account.id, account.display_name))
}

/// Records a handover of `post_id` as `user_id`, on `now`.
pub async fn handover(
    db: &Db,
    user_id: i64,
    post_id: i64,
    request: &Handover,
    now: i64,
) -> Result<HandedOver> {
    let unit = authorise(db, user_id, post_id).await?;
    let on = date(&request.on, "on")?;
    let today = IsoDate::of_instant(now);
    let mut tx = db.begin_write().await?;
    let (to, to_name) = active_account(&mut tx, &request.to, "to").await?;
    let earlier = store::holdings::of(&mut tx, post_id, to)
        .await?
        .into_iter()
        .map(|(s, e)| span(s, e))
        .collect::<Result<Vec<_>>>()?;
    check_new_holding(&earlier, on, today)?;
    let mut done = HandedOver {
        commitment: false,
        withdrawn: 0,
    };
    let from = match request
        .from
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => None,
        Some(from) => {
            let account = store::accounts::account(&mut tx, from)
                .await?
                .ok_or_else(|| {
                    app::error::ApiError::rule(
                        "unknown_user",
                        format!("原任人员：没有用户名为“{from}”的账号"),
                    )
                    .at("from")
                })?;
            if account.id == to {
                return Err(app::error::ApiError::rule(
                    "same_person",
                    "新任人员：与原任人员是同一人，无需交接",
                )
                .at("to")
                .into());
            }
            let leaver = Leaver {
                id: account.id,
                username: &account.username,
            };
            done.withdrawn = end_holding(&mut tx, user_id, post_id, leaver, on, now).await?;
            Some(account.username)
        }
    };
    let holder = NewHolder {
        id: to,
        username: request.to.trim(),
        name: &to_name,
    };
    done.commitment = start_holding(
        &mut tx,
        Some(user_id),
        post_id,
        unit,
        holder,
        Some(on),
        from.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Someone starting to hold a post.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewHolder<'a> {
    pub(crate) id: i64,
    pub(crate) username: &'a str,
    pub(crate) name: &'a str,
}

/// Starts `holder`'s holding of `post_id` (in `unit`) on `on` (`None`: the day is not known),
/// with what follows from it, in the caller's transaction: the post-holder role, a commitment to
/// sign when the post has an approved sheet (its points are the post's, 对岗不对人), the changes
/// that bring the post to the holder's devices, and the audit entry. `from` names the holder
/// handing over, if any. Returns whether a commitment was generated. The caller has checked the
/// dates (`domain::post::check_new_holding`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start_holding(
    conn: &mut Conn,
    by: Option<i64>,
    post_id: i64,
    unit: i64,
    holder: NewHolder<'_>,
    on: Option<IsoDate>,
    from: Option<&str>,
    now: i64,
) -> Result<bool> {
    let on_text = on.map(|d| d.to_string());
    store::holdings::start(conn, post_id, holder.id, on_text.as_deref()).await?;
    store::org::grant(conn, holder.id, Role::PostHolder, unit).await?;
    // The approved sheet's commitment, for the new holder (the others have theirs already).
    let mut commitment = false;
    if let Some(sheet) = store::holdings::approved_sheet(conn, post_id).await? {
        let hash = chain::content_hash(conn, sheet).await?;
        commitment = commitments::generate(conn, sheet, post_id, &hash, now).await? > 0;
    }
    // The new holder's devices pull the post's sheet and points.
    let mut changes = vec![Change {
        post_id,
        kind: Kind::Sheet,
        entity: post_id.to_string(),
    }];
    for (_, id) in store::points::ids_on_current_sheets(conn, &[post_id]).await? {
        changes.push(Change {
            post_id,
            kind: Kind::RiskPoint,
            entity: Uuid::to_string(&id),
        });
    }
    store::changes::record(conn, &changes, None, now).await?;
    audit::append(
        conn,
        "holder_started",
        by,
        &format!("post:{post_id}"),
        &json!({ "user": holder.username, "name": holder.name, "on": on_text, "from": from,
                 "commitment": commitment }),
        now,
    )
    .await?;
    Ok(commitment)
}

/// A holder leaving a post.
#[derive(Debug, Clone, Copy)]
struct Leaver<'a> {
    id: i64,
    username: &'a str,
}

/// Ends `leaver`'s current holding of the post on `on` and withdraws their unsigned commitments
/// for it (signed ones stay); returns how many were withdrawn.
async fn end_holding(
    conn: &mut Conn,
    by: i64,
    post_id: i64,
    leaver: Leaver<'_>,
    on: IsoDate,
    now: i64,
) -> Result<u64> {
    let Leaver { id: user, username } = leaver;
    let current = store::holdings::of(conn, post_id, user)
        .await?
        .into_iter()
        .find(|(_, ended)| ended.is_none());
    let Some((started, _)) = current else {
        return Err(app::error::ApiError::rule(
            "not_holder",
            format!("原任人员：{username} 目前不在此岗位任职"),
        )
        .at("from")
        .into());
    };
    if let Some(started) = started {
        if on.to_string() < started {
            return Err(app::error::ApiError::rule(
                "before_start",
                format!("交接日期：{on} 早于 {username} 到岗日期 {started}"),
            )
            .at("on")
            .into());
        }
    }
    store::holdings::end(conn, post_id, user, &on.to_string()).await?;
    audit::append(
        conn,
        "holder_ended",
        Some(by),
        &format!("post:{post_id}"),
        &json!({ "user": username, "on": on.to_string() }),
        now,
    )
    .await?;
    Ok(store::commitments::withdraw_unsigned(conn, post_id, user).await?)
}

/// 离岗: a holder leaves the post with nobody taking over yet.
pub async fn end(
    db: &Db,
    user_id: i64,
    post_id: i64,
    request: &EndHolding,
    now: i64,
) -> Result<()> {
    authorise(db, user_id, post_id).await?;
    let on = date(&request.on, "on")?;
    if on > IsoDate::of_instant(now) {
        return Err(app::error::ApiError::rule(
            "in_the_future",
            format!("离岗日期：{on} 晚于今天，请在离岗当天或之后登记"),
        )
        .at("on")
        .into());
    }
    let mut tx = db.begin_write().await?;
    let account = store::accounts::account(&mut tx, request.username.trim())
        .await?
        .ok_or_else(|| app::error::ApiError::not_found("该账号"))?;
    let leaver = Leaver {
        id: account.id,
        username: &account.username,
    };
    end_holding(&mut tx, user_id, post_id, leaver, on, now).await?;
    tx.commit().await?;
    Ok(())
}

/// 岗位与人员: the posts of `unit_id` and beneath it with their holdings.
pub async fn unit_posts(db: &Db, user_id: i64, unit_id: i64, now: i64) -> Result<UnitPostsView> {
    let person = db.directory().person(user_id).await?;
    let org = db.directory().org().await?;
    if !org.names.contains_key(&unit_id) {
        return Err(app::error::ApiError::not_found("该单位").into());
    }
    if !person
        .principal
        .may_see_holders(&org.tree, OrgUnitId(unit_id))
    {
        return Err(app::error::ApiError::forbidden().into());
    }
    let units: Vec<i64> = org
        .tree
        .subtree(OrgUnitId(unit_id))
        .into_iter()
        .map(|u| u.0)
        .collect();
    let rank: HashMap<i64, usize> = units.iter().enumerate().map(|(i, u)| (*u, i)).collect();
    let mut conn = db.pool().acquire().await?;
    let post_ids = store::sheets::posts_in_units(&mut conn, &units).await?;
    let mut rows = store::sheets::posts_with_sheets(&mut conn, &post_ids).await?;
    rows.sort_by_key(|r| (rank.get(&r.unit_id).copied(), r.post_id));
    let mut holdings: HashMap<i64, Vec<HoldingView>> = HashMap::new();
    for h in store::holdings::of_units(&mut conn, &units).await? {
        holdings.entry(h.post_id).or_default().push(HoldingView {
            username: h.username,
            display_name: h.display_name,
            started_on: h.started_on,
            ended_on: h.ended_on,
        });
    }
    let posts = rows
        .into_iter()
        .map(|r| PostHoldersView {
            post_id: r.post_id,
            unit: org.name(r.unit_id),
            may_hand_over: person.principal.may_manage_holders(
                &org.tree,
                PostId(r.post_id),
                OrgUnitId(r.unit_id),
            ),
            title: r.title,
            level: r.level,
            holdings: holdings.remove(&r.post_id).unwrap_or_default(),
        })
        .collect();
    Ok(UnitPostsView {
        unit_id,
        unit: org.name(unit_id),
        today: IsoDate::of_instant(now).to_string(),
        may_manage_posts: person.principal.may_manage_org(),
        posts,
    })
}

//! 组织机构: the administrator sets up the organisation tree (units, sections, villages and
//! communities, each unit's 分管区领导) and its posts; the commission reads it. Every change is
//! in the audit log. The same functions serve the pages and the command line.

use std::collections::HashMap;

use app::api::district::{OrgUnitView, OrgView};
use domain::{
    org::OrgUnitKind,
    post::{PostLevel, PostMarks},
    stage::Stage,
    text::{LeaderName, PostTitle, UnitName},
    FieldError,
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::Db,
    error::Result,
    store::{self, org::Unit},
};

/// Deny by default: only an administrator changes the organisation from the web.
async fn check(actor: Actor<'_>, db: &Db) -> Result<()> {
    actor.check(db, |p| p.may_manage_org()).await
}

/// The organisation tree in order, parents before their children, siblings by name.
pub async fn view(db: &Db, actor: Actor<'_>) -> Result<OrgView> {
    actor.check(db, |p| p.may_view_org()).await?;
    let may_manage = match actor {
        Actor::User(user) => db
            .directory()
            .person(user.id)
            .await?
            .principal
            .may_manage_org(),
        Actor::Operator => true,
    };
    let mut conn = db.pool().acquire().await?;
    let units = store::org::units(&mut conn).await?;
    let counts = store::org::unit_counts(&mut conn).await?;
    Ok(OrgView {
        units: in_tree_order(&units)
            .into_iter()
            .map(|(unit, depth)| {
                let (posts, people) = counts.get(&unit.id).copied().unwrap_or_default();
                OrgUnitView {
                    id: unit.id,
                    parent: unit.parent,
                    depth,
                    kind: unit.kind,
                    name: unit.name.clone(),
                    district_leader: unit.district_leader.clone(),
                    posts,
                    people,
                }
            })
            .collect(),
        may_manage,
    })
}

/// Units in tree order with their depth: each root, then its children by name, depth first.
pub fn in_tree_order(units: &[Unit]) -> Vec<(&Unit, usize)> {
    let mut children: HashMap<Option<i64>, Vec<&Unit>> = HashMap::new();
    for unit in units {
        children.entry(unit.parent).or_default().push(unit);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let mut out = Vec::with_capacity(units.len());
    let mut stack: Vec<(&Unit, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|u| (*u, 0)).collect())
        .unwrap_or_default();
    while let Some((unit, depth)) = stack.pop() {
        out.push((unit, depth));
        if let Some(kids) = children.get(&Some(unit.id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// A new unit as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewUnit<'a> {
    /// `None`: the district itself, when there is none yet.
    pub parent_id: Option<i64>,
    pub name: &'a str,
    /// `None`: guessed from the name and the parent.
    pub kind: Option<&'a str>,
    pub district_leader: &'a str,
}

fn leader(raw: &str) -> Result<Option<LeaderName>> {
    match raw.trim() {
        "" => Ok(None),
        text => Ok(Some(LeaderName::parse(text)?)),
    }
}

fn refused(code: &str, field: &str, message: String) -> crate::error::Error {
    FieldError::new(code, field, message).into()
}

/// Creates a unit; returns its id.
pub async fn create_unit(db: &Db, actor: Actor<'_>, new: &NewUnit<'_>) -> Result<i64> {
    check(actor, db).await?;
    let name = UnitName::parse(new.name)?;
    let district_leader = leader(new.district_leader)?;
    let explicit = new
        .kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(OrgUnitKind::parse)
        .transpose()?;
    let mut tx = db.begin_write().await?;
    let units = store::org::units(&mut tx).await?;
    let parent = match new.parent_id {
        None => None,
        Some(id) => Some(units.iter().find(|u| u.id == id).ok_or_else(|| {
            refused(
                "unknown_unit",
                "parent_id",
                format!("上级单位：单位（编号 {id}）不存在"),
            )
        })?),
    };
    if parent.is_none() {
        if let Some(root) = units.iter().find(|u| u.parent.is_none()) {
            return Err(refused(
                "district_exists",
                "parent_id",
                format!("上级单位：本系统已建立“{}”，新单位须设在其下", root.name),
            ));
        }
    }
    let kind = match (explicit, parent) {
        (Some(kind), _) => kind,
        (None, None) => OrgUnitKind::District,
        (None, Some(p)) => OrgUnitKind::guess_under(name.as_str(), p.kind),
    };
    kind.check_placement(parent.map(|p| p.kind))?;
    let Some(id) = store::org::insert_unit(
        &mut tx,
        parent.map(|p| p.id),
        kind,
        name.as_str(),
        district_leader.as_ref().map(LeaderName::as_str),
    )
    .await?
    else {
        return Err(refused(
            "duplicate",
            "name",
            format!(
                "名称：“{}”之下已有名为“{}”的单位",
                parent.map_or("", |p| p.name.as_str()),
                name
            ),
        ));
    };
    actor
        .record(
            &mut tx,
            "unit_created",
            &format!("unit:{id}"),
            json!({ "parent": parent.map(|p| p.id), "kind": kind.code(), "name": name.as_str(),
                    "district_leader": district_leader.as_ref().map(LeaderName::as_str) }),
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a unit and sets its 分管区领导 (an empty leader clears it).
pub async fn update_unit(
    db: &Db,
    actor: Actor<'_>,
    id: i64,
    name: &str,
    district_leader: &str,
) -> Result<()> {
    check(actor, db).await?;
    let name = UnitName::parse(name)?;
    let district_leader = leader(district_leader)?;
    let mut tx = db.begin_write().await?;
    let units = store::org::units(&mut tx).await?;
    let Some(unit) = units.iter().find(|u| u.id == id) else {
        return Err(app::error::ApiError::not_found("该单位").into());
    };
    let leader_text = district_leader.as_ref().map(LeaderName::as_str);
    if unit.name == name.as_str() && unit.district_leader.as_deref() == leader_text {
        return Ok(());
    }
    if !store::org::update_unit(&mut tx, id, name.as_str(), leader_text).await? {
        return Err(refused(
            "duplicate",
            "name",
            format!("名称：同一上级单位之下已有名为“{name}”的单位"),
        ));
    }
    actor
        .record(
            &mut tx,
            "unit_updated",
            &format!("unit:{id}"),
            json!({ "name": name.as_str(), "former_name": unit.name,
                    "district_leader": leader_text }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a post in a unit; returns its id. Its marks are the level's defaults (the commission
/// marks key posts on the sheet's page).
pub async fn create_post(
    db: &Db,
    actor: Actor<'_>,
    unit_id: i64,
    title: &str,
    level: &str,
) -> Result<i64> {
    check(actor, db).await?;
    let title = PostTitle::parse(title)?;
    let level = PostLevel::parse(level)?;
    let mut tx = db.begin_write().await?;
    let units = store::org::units(&mut tx).await?;
    if !units.iter().any(|u| u.id == unit_id) {
        return Err(app::error::ApiError::not_found("该单位").into());
    }
    let (id, created) = store::org::ensure_post(
        &mut tx,
        unit_id,
        title.as_str(),
        level,
        PostMarks::default_for(level),
    )
    .await?;
    if !created {
        return Err(refused(
            "duplicate",
            "post_title",
            format!("岗位名称：本单位已有“{title}”岗位"),
        ));
    }
    actor
        .record(
            &mut tx,
            "post_created",
            &format!("post:{id}"),
            json!({ "unit": unit_id, "title": title.as_str(), "level": level.code() }),
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a post or changes its level. A level decides the approval chain, so it changes only
/// while the post's current sheet is still in 自查 (or there is none).
pub async fn update_post(
    db: &Db,
    actor: Actor<'_>,
    post_id: i64,
    title: &str,
    level: &str,
) -> Result<()> {
    check(actor, db).await?;
    let title = PostTitle::parse(title)?;
    let level = PostLevel::parse(level)?;
    let mut tx = db.begin_write().await?;
    let Some(post) = store::org::post(&mut tx, post_id).await? else {
        return Err(app::error::ApiError::not_found("该岗位").into());
    };
    if post.title == title.as_str() && post.level == level {
        return Ok(());
    }
    if post.level != level {
        if let Some(sheet) = store::sheets::current(&mut tx, post_id).await? {
            if sheet.stage != Stage::SelfCheck {
                return Err(refused(
                    "sheet_in_review",
                    "level",
                    format!(
                        "岗位类别：本岗位的排查表已进入“{}”环节，岗位类别决定审核流程，此时不能更改",
                        sheet.stage.label()
                    ),
                ));
            }
        }
    }
    if !store::org::update_post(&mut tx, post_id, title.as_str(), level).await? {
        return Err(refused(
            "duplicate",
            "post_title",
            format!("岗位名称：本单位已有“{title}”岗位"),
        ));
    }
    store::changes::sheet_changed(&mut tx, post_id, crate::db::now_ms()).await?;
    actor
        .record(
            &mut tx,
            "post_updated",
            &format!("post:{post_id}"),
            json!({ "title": title.as_str(), "former_title": post.title, "level": level.code(),
                    "former_level": post.level.code() }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

//! 风险库: the commission's district catalogue. The page groups the unlinked risk points of every
//! post's current sheet with the confirmed entries (`domain::catalogue::group`, entries by their
//! wording, so a re-run proposes adding a new similar point to its entry rather than a second
//! entry); the commission confirms the members it keeps as a new entry or adds them to one, edits
//! an entry's wording and measures, and takes a point out. Who may is `domain::access`; every act
//! is in the audit log.

use std::collections::{HashMap, HashSet};

use app::{
    api::{
        catalogue::{CatalogueView, EntryRef, EntryView, MemberView, ProposalView},
        SessionUser,
    },
    error::ApiError,
    write::{ConfirmGroup, EditEntry, EntrySaved, UnlinkPoint},
};
use domain::{
    catalogue::{self, Item, THRESHOLD},
    risk::{PowerKind, PowerType},
    text::EntryWording,
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::Db,
    directory::Org,
    error::{Error, Result},
    store::{
        self,
        catalogue::{CandidatePoint, Entry},
    },
};

/// Proposals shown on one page; the rest are counted.
const SHOWN_PROPOSALS: usize = 50;
/// The most points one confirmation links.
const MAX_POINTS: usize = 2_000;

/// What a grouping item stands for.
#[derive(Debug, Clone, Copy)]
enum Key {
    Point(usize),
    Entry(usize),
}

fn kind_of(power_type: &str) -> PowerKind {
    PowerType::parse(power_type)
        .map(|p| p.kind())
        .unwrap_or(PowerKind::Other)
}

fn percent(x: f32) -> u8 {
    (x * 100.0).round().clamp(0.0, 100.0) as u8
}

fn member(org: &Org, p: &CandidatePoint, similarity: Option<f32>) -> MemberView {
    MemberView {
        point: p.id.clone(),
        post_id: p.post_id,
        unit: org.name(p.unit_id),
        post: p.post.clone(),
        description: p.description.clone(),
        similarity: similarity.map(percent),
    }
}

/// The catalogue page: the proposals of a fresh grouping and the entries.
pub async fn view(db: &Db, user: &SessionUser) -> Result<CatalogueView> {
    Actor::User(user)
        .check(db, |p| p.may_curate_catalogue())
        .await?;
    let org = db.directory().org().await?;
    let mut conn = db.pool().acquire().await?;
    let points = store::catalogue::candidates(&mut conn).await?;
    let entries = store::catalogue::entries(&mut conn).await?;
    drop(conn);

    let mut items: Vec<Item<Key>> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        items.push(Item {
            key: Key::Entry(i),
            kind: PowerKind::from_label(&e.power_kind).unwrap_or(PowerKind::Other),
            text: e.wording.clone(),
            entry: true,
        });
    }
    for (i, p) in points.iter().enumerate() {
        if p.entry_id.is_none() {
            items.push(Item {
                key: Key::Point(i),
                kind: kind_of(&p.power_type),
                text: p.description.clone(),
                entry: false,
            });
        }
    }
    // The grouping is plain computation over every unlinked point of the district: off the
    // async workers.
    let groups = tokio::task::spawn_blocking(move || catalogue::group(&items, THRESHOLD))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("The catalogue grouping failed: {e}")))?;

    let mut proposals = Vec::new();
    for g in &groups {
        let entry = g.members.iter().find_map(|(k, _)| match k {
            Key::Entry(i) => Some(&entries[*i]),
            Key::Point(_) => None,
        });
        let members: Vec<MemberView> = g
            .members
            .iter()
            .filter_map(|(k, s)| match k {
                Key::Point(i) => Some(member(&org, &points[*i], Some(*s))),
                Key::Entry(_) => None,
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        proposals.push(ProposalView {
            kind: g.kind.label().to_owned(),
            score: percent(g.score),
            entry: entry.map(|e| EntryRef {
                id: e.id,
                wording: e.wording.clone(),
            }),
            wording: entry
                .map(|e| e.wording.clone())
                .unwrap_or_else(|| members[0].description.clone()),
            members,
        });
    }
    let more_proposals = proposals.len().saturating_sub(SHOWN_PROPOSALS);
    proposals.truncate(SHOWN_PROPOSALS);

    let mut linked: HashMap<i64, Vec<MemberView>> = HashMap::new();
    for p in &points {
        if let Some(entry) = p.entry_id {
            linked.entry(entry).or_default().push(member(&org, p, None));
        }
    }
    Ok(CatalogueView {
        points: points.len(),
        linked: points.iter().filter(|p| p.entry_id.is_some()).count(),
        threshold: percent(THRESHOLD),
        proposals,
        more_proposals,
        entries: entries
            .into_iter()
            .map(|e| EntryView {
                points: linked.remove(&e.id).unwrap_or_default(),
                id: e.id,
                kind: e.power_kind,
                wording: e.wording,
                measures: e.measures,
            })
            .collect(),
    })
}

/// Links the points the commission kept to a new entry or to `request.entry`; all of them or
/// none.
pub async fn confirm(
    db: &Db,
    user: &SessionUser,
    request: &ConfirmGroup,
    now: i64,
) -> Result<EntrySaved> {
    Actor::User(user)
        .check(db, |p| p.may_curate_catalogue())
        .await?;
    let mut wanted: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for point in &request.points {
        if seen.insert(point.as_str()) {
            wanted.push(point.as_str());
        }
    }
    if wanted.is_empty() {
        return Err(catalogue::no_points().into());
    }
    if wanted.len() > MAX_POINTS {
        return Err(Error::refused(
            "too_many",
            format!("一次最多归并 {MAX_POINTS} 个风险点"),
        ));
    }
    let mut tx = db.begin_write().await?;
    let on_sheets: HashMap<String, CandidatePoint> = store::catalogue::candidates(&mut tx)
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut kinds = Vec::new();
    for point in &wanted {
        let Some(p) = on_sheets.get(*point) else {
            return Err(Error::refused(
                "unknown_point",
                format!("风险点 {point} 不在任何岗位的现行排查表中，可能已被删除，请刷新页面"),
            ));
        };
        kinds.push((kind_of(&p.power_type), p));
    }
    let kind = kinds[0].0;
    if let Some((other, p)) = kinds.iter().find(|(k, _)| *k != kind) {
        return Err(Error::refused(
            "kind_mismatch",
            format!(
                "风险点“{}”属于“{}”类权力，与其他风险点的“{}”类不同，不能归入同一条目",
                p.description,
                other.label(),
                kind.label()
            ),
        ));
    }
    let (entry_id, created) = match request.entry {
        Some(id) => {
            let entry = store::catalogue::entry(&mut tx, id)
                .await?
                .ok_or_else(|| ApiError::not_found("风险库条目"))?;
            if entry.power_kind != kind.label() {
                return Err(Error::refused(
                    "kind_mismatch",
                    format!(
                        "风险库条目“{}”属于“{}”类权力，所选风险点属于“{}”类，不能归入",
                        entry.wording,
                        entry.power_kind,
                        kind.label()
                    ),
                ));
            }
            (id, false)
        }
        None => {
            let wording = EntryWording::parse(&request.wording)?;
            let measures = catalogue::unified_measures(&request.measures)?;
            let id = store::catalogue::create_entry(
                &mut tx,
                kind.label(),
                wording.as_str(),
                &measures,
                user.id,
                now,
            )
            .await?;
            (id, true)
        }
    };
    for point in &wanted {
        if !store::catalogue::link(&mut tx, entry_id, point, user.id, now).await? {
            // The table's key refused it: the point is in another entry (or already in this
            // one). Nothing of this confirmation is kept.
            let holder = store::catalogue::entry_of(&mut tx, point).await?;
            let wording = holder.map(|e: Entry| e.wording).unwrap_or_default();
            let description = &on_sheets[*point].description;
            return Err(catalogue::already_linked(description, &wording).into());
        }
    }
    let actor = Actor::User(user);
    if created {
        actor
            .record(
                &mut tx,
                "catalogue_entry_created",
                &format!("catalogue_entry:{entry_id}"),
                json!({ "kind": kind.label(), "wording": request.wording.trim() }),
            )
            .await?;
    }
    actor
        .record(
            &mut tx,
            "catalogue_points_linked",
            &format!("catalogue_entry:{entry_id}"),
            json!({ "points": wanted }),
        )
        .await?;
    tx.commit().await?;
    Ok(EntrySaved {
        id: entry_id,
        linked: wanted.len(),
    })
}

/// A new wording and measures for an entry.
pub async fn edit(
    db: &Db,
    user: &SessionUser,
    id: i64,
    request: &EditEntry,
    now: i64,
) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_curate_catalogue())
        .await?;
    let wording = EntryWording::parse(&request.wording)?;
    let measures = catalogue::unified_measures(&request.measures)?;
    let mut tx = db.begin_write().await?;
    if !store::catalogue::update_entry(&mut tx, id, wording.as_str(), &measures, user.id, now)
        .await?
    {
        return Err(ApiError::not_found("风险库条目").into());
    }
    Actor::User(user)
        .record(
            &mut tx,
            "catalogue_entry_edited",
            &format!("catalogue_entry:{id}"),
            json!({ "wording": wording.as_str(), "measures": measures }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a point out of its entry.
pub async fn unlink(db: &Db, user: &SessionUser, request: &UnlinkPoint) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_curate_catalogue())
        .await?;
    let mut tx = db.begin_write().await?;
    let Some(entry) = store::catalogue::entry_of(&mut tx, &request.point).await? else {
        return Err(Error::refused(
            "not_linked",
            "该风险点不在任何风险库条目中，可能已被移出，请刷新页面",
        ));
    };
    store::catalogue::unlink(&mut tx, &request.point).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "catalogue_point_unlinked",
            &format!("catalogue_entry:{}", entry.id),
            json!({ "point": request.point }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

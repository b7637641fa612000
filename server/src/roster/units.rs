//! The organisation table: one unit a row, under a parent written as a path from the district.
//! Parents come before their children (an export writes them so); a unit already there keeps its
//! kind, and takes the 分管区领导 of its row when the row names one (an empty cell changes nothing).

use std::collections::HashMap;

use domain::{
    org::{parse_path, OrgUnitKind},
    text::{LeaderName, UnitName},
    FieldError,
};
use serde_json::json;

use super::{
    columns::UnitColumn,
    report::{slice, Counts, Outcome, RosterError},
    snapshot::{no_district, Snapshot},
};
use crate::{
    actor::Actor,
    db::Db,
    exchange::{is_blank, map_header, ColumnMap, Grid, ImportMode, RejectedRow},
    store::{self, Conn},
};

/// A unit a row refers to: stored, or created by an earlier row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UnitRef {
    Stored(i64),
    New(usize),
}

/// What an accepted row does.
#[derive(Debug, Clone)]
enum Action {
    /// A new unit (the `index`th of the file).
    Create {
        parent: Option<UnitRef>,
        kind: OrgUnitKind,
        name: String,
        leader: Option<String>,
    },
    /// A stored unit takes the row's 分管区领导.
    SetLeader { id: i64, leader: String },
    /// Already as the row says.
    Unchanged,
}

struct Row {
    number: usize,
    parent: Vec<UnitName>,
    name: UnitName,
    kind: Option<OrgUnitKind>,
    leader: Option<LeaderName>,
}

fn parse_row<T: AsRef<str>>(
    number: usize,
    cells: &[T],
    map: &ColumnMap<UnitColumn>,
) -> Result<Row, Vec<RejectedRow>> {
    let mut problems = Vec::new();
    let mut keep = |column: UnitColumn, e: FieldError| {
        problems.push(RejectedRow::new(
            number,
            crate::exchange::TableColumn::key(column),
            e,
        ))
    };
    let parent_raw = map.cell(cells, UnitColumn::Parent).trim();
    let parent = if parent_raw.is_empty() {
        Some(Vec::new())
    } else {
        parse_path(parent_raw, "parent", "上级单位")
            .map_err(|e| keep(UnitColumn::Parent, e))
            .ok()
    };
    let name = UnitName::parse(map.cell(cells, UnitColumn::Name))
        .map_err(|e| keep(UnitColumn::Name, e))
        .ok();
    let kind = match map.cell(cells, UnitColumn::Kind).trim() {
        "" => Some(None),
        raw => OrgUnitKind::parse(raw)
            .map(Some)
            .map_err(|e| keep(UnitColumn::Kind, e))
            .ok(),
    };
    let leader = match map.cell(cells, UnitColumn::DistrictLeader).trim() {
        "" => Some(None),
        raw => LeaderName::parse(raw)
            .map(Some)
            .map_err(|e| keep(UnitColumn::DistrictLeader, e))
            .ok(),
    };
    match (parent, name, kind, leader) {
        (Some(parent), Some(name), Some(kind), Some(leader)) if problems.is_empty() => Ok(Row {
            number,
            parent,
            name,
            kind,
            leader,
        }),
        _ => Err(problems),
    }
}

struct Plan {
    total_rows: usize,
    accepted: Vec<Action>,
    rejected: Vec<RejectedRow>,
}

/// Resolves and checks every row against the stored tree and the rows before it.
fn plan(snapshot: &Snapshot, grid: &Grid) -> Result<Plan, FieldError> {
    let (header, map) = map_header::<UnitColumn, _>(grid)?;
    let mut plan = Plan {
        total_rows: 0,
        accepted: Vec::new(),
        rejected: Vec::new(),
    };
    // Units the file creates: (parent, name) → index, and each one's kind.
    let mut created: HashMap<(Option<UnitRef>, String), usize> = HashMap::new();
    let mut kinds: Vec<OrgUnitKind> = Vec::new();
    let mut seen: HashMap<(Option<UnitRef>, String), usize> = HashMap::new();
    let mut root: Option<(UnitRef, String)> = snapshot.root.map(|id| {
        (
            UnitRef::Stored(id),
            snapshot.root_name().unwrap_or("").to_owned(),
        )
    });
    for (index, cells) in grid.iter().enumerate().skip(header + 1) {
        if is_blank(cells) {
            continue;
        }
        plan.total_rows += 1;
        let number = index + 1;
        let row = match parse_row(number, cells, &map) {
            Ok(row) => row,
            Err(problems) => {
                plan.rejected.extend(problems);
                continue;
            }
        };
        let refuse = |column: UnitColumn, e: FieldError| {
            RejectedRow::new(number, crate::exchange::TableColumn::key(column), e)
        };
        // The district: a row of kind 区 with no parent.
        if row.kind == Some(OrgUnitKind::District) || (row.parent.is_empty() && root.is_none()) {
            let result = match (&root, row.parent.is_empty(), row.kind) {
                (_, false, _) => Err(OrgUnitKind::District
                    .check_placement(Some(OrgUnitKind::Unit))
                    .expect_err("a district never sits under a unit")),
                (None, true, Some(OrgUnitKind::District) | None) => Ok(()),
                (None, true, Some(_)) => Err(no_district()),
                (Some((_, name)), true, _) if name == row.name.as_str() => Ok(()),
                (Some((_, name)), true, _) => Err(FieldError::new(
                    "district_exists",
                    "name",
                    format!("本系统已建立“{name}”，一个系统只管理一个区"),
                )),
            };
            match result {
                Err(e) => plan.rejected.push(refuse(UnitColumn::Name, e)),
                Ok(()) if root.is_some() => {
                    if let Some(first) = seen.get(&(None, row.name.to_string())) {
                        plan.rejected
                            .push(refuse(UnitColumn::Name, duplicate(*first)));
                        continue;
                    }
                    seen.insert((None, row.name.to_string()), number);
                    plan.accepted.push(Action::Unchanged);
                }
                Ok(()) => {
                    let index = kinds.len();
                    kinds.push(OrgUnitKind::District);
                    created.insert((None, row.name.to_string()), index);
                    seen.insert((None, row.name.to_string()), number);
                    root = Some((UnitRef::New(index), row.name.to_string()));
                    plan.accepted.push(Action::Create {
                        parent: None,
                        kind: OrgUnitKind::District,
                        name: row.name.to_string(),
                        leader: row.leader.map(String::from),
                    });
                }
            }
            continue;
        }
        let Some((root_ref, root_name)) = root.clone() else {
            plan.rejected
                .push(refuse(UnitColumn::Parent, no_district()));
            continue;
        };
        // The parent: from the district down, through stored units and units of earlier rows.
        let path = match row.parent.as_slice() {
            [first, rest @ ..] if first.as_str() == root_name => rest,
            path => path,
        };
        let mut parent = root_ref;
        let mut missing = None;
        for (depth, name) in path.iter().enumerate() {
            let next = match parent {
                UnitRef::Stored(id) => snapshot
                    .children
                    .get(&(id, name.to_string()))
                    .map(|c| UnitRef::Stored(*c)),
                UnitRef::New(_) => None,
            }
            .or_else(|| {
                created
                    .get(&(Some(parent), name.to_string()))
                    .map(|i| UnitRef::New(*i))
            });
            match next {
                Some(next) => parent = next,
                None => {
                    missing = Some(
                        path[..=depth]
                            .iter()
                            .map(UnitName::as_str)
                            .collect::<Vec<_>>()
                            .join("/"),
                    );
                    break;
                }
            }
        }
        if let Some(missing) = missing {
            plan.rejected.push(refuse(
                UnitColumn::Parent,
                FieldError::new(
                    "unknown_parent",
                    "parent",
                    format!(
                        "上级单位“{missing}”不存在：请先建立它，或在本表中把它写在下级单位之前"
                    ),
                ),
            ));
            continue;
        }
        let key = (Some(parent), row.name.to_string());
        if let Some(first) = seen.get(&key) {
            plan.rejected
                .push(refuse(UnitColumn::Name, duplicate(*first)));
            continue;
        }
        let parent_kind = match parent {
            UnitRef::Stored(id) => snapshot.kind(id),
            UnitRef::New(i) => kinds[i],
        };
        let stored = match parent {
            UnitRef::Stored(id) => snapshot
                .children
                .get(&(id, row.name.to_string()))
                .and_then(|c| snapshot.units.get(c)),
            UnitRef::New(_) => None,
        };
        let action = match stored {
            Some(unit) => match (row.kind, &row.leader) {
                (Some(kind), _) if kind != unit.kind => Err(refuse(
                    UnitColumn::Kind,
                    FieldError::new(
                        "kind_conflict",
                        "kind",
                        format!(
                            "“{}”已登记为{}，本行填为{}；类型不能通过导入更改",
                            unit.name,
                            unit.kind.label(),
                            kind.label()
                        ),
                    ),
                )),
                (_, Some(leader)) if unit.district_leader.as_deref() != Some(leader.as_str()) => {
                    Ok(Action::SetLeader {
                        id: unit.id,
                        leader: leader.to_string(),
                    })
                }
                _ => Ok(Action::Unchanged),
            },
            None => {
                let kind = row
                    .kind
                    .unwrap_or_else(|| OrgUnitKind::guess_under(row.name.as_str(), parent_kind));
                match kind.check_placement(Some(parent_kind)) {
                    Err(e) => Err(refuse(UnitColumn::Kind, e)),
                    Ok(()) => {
                        let index = kinds.len();
                        kinds.push(kind);
                        created.insert(key.clone(), index);
                        Ok(Action::Create {
                            parent: Some(parent),
                            kind,
                            name: row.name.to_string(),
                            leader: row.leader.map(String::from),
                        })
                    }
                }
            }
        };
        match action {
            Ok(action) => {
                seen.insert(key, row.number);
                plan.accepted.push(action);
            }
            Err(problem) => plan.rejected.push(problem),
        }
    }
    plan.rejected.sort_by_key(|r| r.row);
    Ok(plan)
}

fn duplicate(first: usize) -> FieldError {
    FieldError::new(
        "duplicate_row",
        "name",
        format!("与第 {first} 行重复：同一上级单位之下的单位名称相同"),
    )
}

fn counts<'a>(actions: impl Iterator<Item = &'a Action>) -> Counts {
    let mut counts = Counts::default();
    for action in actions {
        match action {
            Action::Create { .. } => counts.new_units += 1,
            Action::SetLeader { .. } => counts.updated_units += 1,
            Action::Unchanged => counts.unchanged_rows += 1,
        }
    }
    counts
}

pub(super) async fn import(
    db: &Db,
    actor: Actor<'_>,
    grid: &Grid,
    file_sha256: &str,
    mode: ImportMode,
) -> Result<Outcome, RosterError> {
    if mode == ImportMode::DryRun {
        let mut read = db.pool().begin().await?;
        let snapshot = Snapshot::load(&mut read).await?;
        read.commit().await?;
        let plan = plan(&snapshot, grid)?;
        return Ok(Outcome {
            total_rows: plan.total_rows,
            accepted: plan.accepted.len(),
            counts: counts(plan.accepted.iter()),
            rejected: plan.rejected,
            offset: 0,
            applied: 0,
            accounts: Vec::new(),
        });
    }
    let mut tx = db.begin_write().await?;
    let snapshot = Snapshot::load(&mut tx).await?;
    let plan = plan(&snapshot, grid)?;
    let (start, end) = slice(plan.accepted.len(), mode);
    let done = apply(&mut tx, &plan.accepted, start, end).await?;
    if done.new_units + done.updated_units > 0 {
        actor
            .record(
                &mut tx,
                "org_imported",
                "org:units",
                json!({ "rows": end - start, "new_units": done.new_units,
                        "updated_units": done.updated_units, "file_sha256": file_sha256 }),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(Outcome {
        total_rows: plan.total_rows,
        accepted: plan.accepted.len(),
        rejected: plan.rejected,
        offset: start,
        applied: end - start,
        counts: done,
        accounts: Vec::new(),
    })
}

/// Writes the actions `start..end`. Units created by earlier rows of the slice are found by
/// their index; those of earlier slices are stored by now, and the plan made afresh sees them.
async fn apply(
    conn: &mut Conn,
    actions: &[Action],
    start: usize,
    end: usize,
) -> Result<Counts, RosterError> {
    let mut ids: HashMap<usize, i64> = HashMap::new();
    let mut index = actions[..start]
        .iter()
        .filter(|a| matches!(a, Action::Create { .. }))
        .count();
    for action in &actions[start..end] {
        match action {
            Action::Create {
                parent,
                kind,
                name,
                leader,
            } => {
                let parent = match parent {
                    None => None,
                    Some(UnitRef::Stored(id)) => Some(*id),
                    Some(UnitRef::New(i)) => Some(*ids.get(i).ok_or_else(|| {
                        anyhow::anyhow!("a new unit's parent was not created in this slice")
                    })?),
                };
                let (id, _) = store::org::ensure_unit(conn, parent, *kind, name).await?;
                if let Some(leader) = leader {
                    store::org::set_district_leader(conn, id, leader).await?;
                }
                ids.insert(index, id);
                index += 1;
            }
            Action::SetLeader { id, leader } => {
                store::org::set_district_leader(conn, *id, leader).await?;
            }
            Action::Unchanged => {}
        }
    }
    Ok(counts(actions[start..end].iter()))
}

//! Export of the organisation table and the roster, in the columns their import reads, so an
//! export imports back with every stored field: units in tree order (parents first), then every
//! active person with each post they hold (a person without a post has one row, a post nobody
//! holds has a row without a person).

use std::collections::{BTreeMap, HashMap};

use app::api::district::OrgTable;
use domain::account::Role;

use super::{
    columns::{StaffColumn, UnitColumn, STAFF_WIDTHS, UNIT_WIDTHS},
    snapshot::Snapshot,
};
use crate::{
    actor::Actor,
    db::Db,
    error::Result,
    exchange::{table_csv, table_xlsx, Cell, TableColumn},
    org::in_tree_order,
    store,
};

/// A file to download.
pub struct Exported {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// The rows of `table`, every cell as the table writes it.
async fn rows(db: &Db, table: OrgTable) -> Result<Vec<Vec<String>>> {
    let mut conn = db.pool().begin().await?;
    let snapshot = Snapshot::load(&mut conn).await?;
    let units = store::org::units(&mut conn).await?;
    let ordered = in_tree_order(&units);
    let rows = match table {
        OrgTable::Units => ordered
            .iter()
            .map(|(unit, _)| {
                vec![
                    unit.parent.map(|p| snapshot.path(p)).unwrap_or_default(),
                    unit.name.clone(),
                    unit.kind.label().to_owned(),
                    unit.district_leader.clone().unwrap_or_default(),
                ]
            })
            .collect(),
        OrgTable::Staff => {
            let rank: HashMap<i64, usize> = ordered
                .iter()
                .enumerate()
                .map(|(i, (u, _))| (u.id, i))
                .collect();
            staff_rows(&mut conn, &snapshot, &rank).await?
        }
    };
    conn.commit().await?;
    Ok(rows)
}

async fn staff_rows(
    conn: &mut store::Conn,
    snapshot: &Snapshot,
    rank: &HashMap<i64, usize>,
) -> Result<Vec<Vec<String>>> {
    let posts = store::org::post_keys(conn).await?;
    let post_of: HashMap<i64, &store::org::PostKey> = posts.iter().map(|p| (p.id, p)).collect();
    let mut roles: HashMap<i64, Vec<(Role, i64)>> = HashMap::new();
    for (user, role, scope) in store::org::all_roles(conn).await? {
        roles.entry(user).or_default().push((role, scope));
    }
    let mut held: HashMap<i64, Vec<(i64, Option<String>)>> = HashMap::new();
    let mut vacant: Vec<i64> = posts.iter().map(|p| p.id).collect();
    for span in store::holdings::all(conn).await? {
        if span.ended_on.is_none() {
            held.entry(span.user_id)
                .or_default()
                .push((span.post_id, span.started_on));
            vacant.retain(|p| *p != span.post_id);
        }
    }
    // Sorted by unit in tree order, then by name; each person's posts in post order.
    let mut people: BTreeMap<(usize, String, String), Vec<Vec<String>>> = BTreeMap::new();
    let level_label = |level: domain::post::PostLevel| level.label().to_owned();
    for (username, user) in snapshot.users.iter().filter(|(_, u)| u.active) {
        let unit = snapshot.path(user.unit_id);
        let role_cell = roles
            .get(&user.id)
            .map(|list| {
                list.iter()
                    // 岗位人员 of one's own unit comes with every post held there.
                    .filter(|(r, s)| {
                        !(*r == Role::PostHolder
                            && *s == user.unit_id
                            && held.get(&user.id).is_some_and(|h| {
                                h.iter()
                                    .any(|(p, _)| post_of.get(p).is_some_and(|p| p.unit_id == *s))
                            }))
                    })
                    .map(|(role, scope)| match *scope == user.unit_id {
                        true => role.label().to_owned(),
                        false => format!("{}@{}", role.label(), snapshot.path(*scope)),
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default();
        let key = (
            rank.get(&user.unit_id).copied().unwrap_or(usize::MAX),
            user.display_name.clone(),
            username.clone(),
        );
        let mut holdings = held.get(&user.id).cloned().unwrap_or_default();
        holdings.sort();
        let rows: Vec<Vec<String>> = if holdings.is_empty() {
            vec![vec![
                user.display_name.clone(),
                username.clone(),
                unit.clone(),
                String::new(),
                String::new(),
                String::new(),
                role_cell.clone(),
            ]]
        } else {
            holdings
                .iter()
                .filter_map(|(post, started)| post_of.get(post).map(|p| (p, started)))
                .map(|(p, started)| {
                    vec![
                        user.display_name.clone(),
                        username.clone(),
                        snapshot.path(p.unit_id),
                        p.title.clone(),
                        level_label(p.level),
                        started.clone().unwrap_or_default(),
                        role_cell.clone(),
                    ]
                })
                .collect()
        };
        people.insert(key, rows);
    }
    let mut out: Vec<Vec<String>> = people.into_values().flatten().collect();
    let mut vacant: Vec<&store::org::PostKey> = vacant
        .iter()
        .filter_map(|p| post_of.get(p).copied())
        .collect();
    vacant.sort_by_key(|p| (rank.get(&p.unit_id).copied(), p.title.clone()));
    for post in vacant {
        out.push(vec![
            String::new(),
            String::new(),
            snapshot.path(post.unit_id),
            post.title.clone(),
            level_label(post.level),
            String::new(),
            String::new(),
        ]);
    }
    Ok(out)
}

/// `table` as `format` (`xlsx` or `csv`), for an administrator or the commission.
pub async fn export(db: &Db, actor: Actor<'_>, table: OrgTable, format: &str) -> Result<Exported> {
    actor.check(db, |p| p.may_view_org()).await?;
    let rows = rows(db, table).await?;
    let cells = rows
        .iter()
        .map(|row| row.iter().map(|c| Cell::Text(c)).collect::<Vec<_>>());
    let (headings, widths): (Vec<&str>, &[f64]) = match table {
        OrgTable::Units => (
            UnitColumn::ALL.iter().map(|c| c.heading()).collect(),
            &UNIT_WIDTHS,
        ),
        OrgTable::Staff => (
            StaffColumn::ALL.iter().map(|c| c.heading()).collect(),
            &STAFF_WIDTHS,
        ),
    };
    let bytes = match format {
        "csv" => table_csv(&headings, cells),
        "xlsx" => {
            let header: Vec<(&str, f64)> = headings
                .iter()
                .copied()
                .zip(widths.iter().copied())
                .collect();
            table_xlsx(table.label(), &header, cells)?
        }
        other => {
            return Err(app::error::ApiError::not_found(&format!("“{other}”格式的导出")).into())
        }
    };
    Ok(Exported {
        bytes,
        file_name: format!("{}.{format}", table.label()),
    })
}

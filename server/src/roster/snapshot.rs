//! What planning a roster or organisation import needs from the database, read in one
//! transaction: units, posts, accounts, roles and holdings, with their natural keys.

use std::collections::{HashMap, HashSet};

use domain::{
    account::Role,
    org::OrgUnitKind,
    post::{HoldingSpan, PostLevel},
    risk::IsoDate,
    text::UnitName,
    FieldError,
};

use crate::{
    error::corrupt,
    store::{self, org::Unit, Conn},
};

/// A stored account as the roster matches rows against it.
#[derive(Debug, Clone)]
pub(super) struct StoredUser {
    pub(super) id: i64,
    pub(super) display_name: String,
    pub(super) unit_id: i64,
    pub(super) active: bool,
}

pub(super) struct Snapshot {
    pub(super) units: HashMap<i64, Unit>,
    pub(super) root: Option<i64>,
    /// (parent, name) → unit.
    pub(super) children: HashMap<(i64, String), i64>,
    /// (unit, title) → (post, level).
    pub(super) posts: HashMap<(i64, String), (i64, PostLevel)>,
    pub(super) users: HashMap<String, StoredUser>,
    pub(super) roles: HashSet<(i64, Role, i64)>,
    /// (post, user) → the holdings of the post by the person.
    pub(super) holdings: HashMap<(i64, i64), Vec<HoldingSpan>>,
}

fn date(raw: Option<String>) -> anyhow::Result<Option<IsoDate>> {
    raw.map(|d| IsoDate::parse(&d, "date", "日期").map_err(|e| corrupt("holding date", e)))
        .transpose()
}

impl Snapshot {
    pub(super) async fn load(conn: &mut Conn) -> anyhow::Result<Self> {
        let mut snapshot = Self {
            units: HashMap::new(),
            root: None,
            children: HashMap::new(),
            posts: HashMap::new(),
            users: HashMap::new(),
            roles: HashSet::new(),
            holdings: HashMap::new(),
        };
        for unit in store::org::units(conn).await? {
            match unit.parent {
                Some(parent) => {
                    snapshot
                        .children
                        .insert((parent, unit.name.clone()), unit.id);
                }
                // The oldest root is the district (the database allows one per name only).
                None if snapshot.root.is_none() => snapshot.root = Some(unit.id),
                None => {}
            }
            snapshot.units.insert(unit.id, unit);
        }
        for post in store::org::post_keys(conn).await? {
            snapshot
                .posts
                .insert((post.unit_id, post.title), (post.id, post.level));
        }
        for user in store::accounts::all(conn).await? {
            snapshot.users.insert(
                user.username,
                StoredUser {
                    id: user.id,
                    display_name: user.display_name,
                    unit_id: user.unit_id,
                    active: user.active,
                },
            );
        }
        snapshot.roles = store::org::all_roles(conn).await?.into_iter().collect();
        for span in store::holdings::all(conn).await? {
            snapshot
                .holdings
                .entry((span.post_id, span.user_id))
                .or_default()
                .push(HoldingSpan {
                    start: date(span.started_on)?,
                    end: date(span.ended_on)?,
                });
        }
        Ok(snapshot)
    }

    pub(super) fn root_name(&self) -> Option<&str> {
        self.root
            .and_then(|id| self.units.get(&id))
            .map(|u| u.name.as_str())
    }

    pub(super) fn kind(&self, id: i64) -> OrgUnitKind {
        self.units.get(&id).map_or(OrgUnitKind::Unit, |u| u.kind)
    }

    /// How a unit is written in the tables: the district by its name, any other unit by the
    /// path below the district (`清河街道办事处/东村`).
    pub(super) fn path(&self, id: i64) -> String {
        let mut names = Vec::new();
        let mut current = self.units.get(&id);
        while let Some(unit) = current {
            match unit.parent {
                Some(parent) => {
                    names.push(unit.name.as_str());
                    current = self.units.get(&parent);
                }
                None if names.is_empty() => names.push(unit.name.as_str()),
                None => break,
            }
        }
        names.reverse();
        names.join("/")
    }

    /// The stored unit a path names: from the district, its own name leading the path or not.
    pub(super) fn find(&self, path: &[UnitName], label: &str) -> Result<i64, FieldError> {
        let Some(root) = self.root else {
            return Err(no_district());
        };
        let rest = match path {
            [first, rest @ ..] if Some(first.as_str()) == self.root_name() => rest,
            _ => path,
        };
        let mut current = root;
        for (depth, name) in rest.iter().enumerate() {
            match self.children.get(&(current, name.to_string())) {
                Some(child) => current = *child,
                None => {
                    let written: Vec<&str> = rest[..=depth].iter().map(UnitName::as_str).collect();
                    return Err(FieldError::new(
                        "unknown_unit",
                        "unit",
                        format!(
                            "{label}“{}”不存在：请先在“组织机构”中建立，或先导入组织机构表",
                            written.join("/")
                        ),
                    ));
                }
            }
        }
        Ok(current)
    }
}

pub(super) fn no_district() -> FieldError {
    FieldError::new(
        "no_district",
        "parent",
        "尚未建立区：请在组织机构表第一行填写本区（类型为“区”，上级单位留空），或在“组织机构”页面建立",
    )
}

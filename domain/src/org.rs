//! The organisation tree: district → unit → section; a sub-district holds villages and
//! communities. Roles are scoped to a node and reach everything beneath it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{ids::OrgUnitId, text::UnitName, FieldError};

/// What kind of node an organisational unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrgUnitKind {
    /// 区 — the root, where the commission sits.
    District,
    /// 单位 — a bureau, centre or other unit the commission supervises.
    Unit,
    /// 科室 — a section inside a unit.
    Section,
    /// 街道 — a sub-district office, which holds villages and communities.
    SubDistrict,
    /// 村
    Village,
    /// 社区
    Community,
}

impl OrgUnitKind {
    pub const ALL: [Self; 6] = [
        Self::District,
        Self::Unit,
        Self::Section,
        Self::SubDistrict,
        Self::Village,
        Self::Community,
    ];

    /// Stable code used in the database and on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Unit => "unit",
            Self::Section => "section",
            Self::SubDistrict => "sub_district",
            Self::Village => "village",
            Self::Community => "community",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::District => "区",
            Self::Unit => "单位",
            Self::Section => "科室",
            Self::SubDistrict => "街道",
            Self::Village => "村",
            Self::Community => "社区",
        }
    }

    /// A kind as a person writes it: its code or its Chinese label (`科室`); `村/社区` and `单位`
    /// synonyms seen in rosters are understood too.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let synonym = match raw {
            "部门" | "局" | "委" | "办" | "中心" => Some(Self::Unit),
            "街道办事处" | "乡镇" | "镇" => Some(Self::SubDistrict),
            "股室" | "科" | "处室" => Some(Self::Section),
            _ => None,
        };
        synonym
            .or_else(|| {
                Self::ALL
                    .into_iter()
                    .find(|k| k.code() == raw || k.label() == raw)
            })
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "kind",
                    format!("类型“{raw}”无效，应为 单位、科室、街道、村 或 社区"),
                )
            })
    }

    /// Checks that a unit of this kind may sit under `parent` (`None`: at the top, where only the
    /// district sits), with a message that says where it may go instead.
    pub fn check_placement(self, parent: Option<Self>) -> Result<(), FieldError> {
        let fits = match parent {
            None => self == Self::District,
            Some(parent) => self.may_sit_under(parent),
        };
        if fits {
            return Ok(());
        }
        let allowed = match self {
            Self::District => "区只能是最上级，不能设在其他单位之下",
            Self::Unit | Self::SubDistrict => "单位和街道须设在区或单位之下",
            Self::Section => "科室须设在单位或街道之下",
            Self::Village | Self::Community => "村和社区须设在街道之下",
        };
        let under = parent.map_or("最上级".to_owned(), |p| format!("{}之下", p.label()));
        Err(FieldError::new(
            "misplaced_unit",
            "parent",
            format!("{}不能设在{under}：{allowed}", self.label()),
        ))
    }

    pub fn from_code(code: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "org_unit_kind",
                    format!("未知的单位类型“{code}”"),
                )
            })
    }

    /// Guesses the kind of a unit from its Chinese name, as found in existing Excel tables.
    pub fn guess_from_name(name: &str) -> Self {
        if name.ends_with("街道办事处") || name.ends_with("街道") {
            Self::SubDistrict
        } else if name.ends_with("社区") {
            Self::Community
        } else if name.ends_with('村') {
            Self::Village
        } else if name.ends_with('科') || name.ends_with('室') {
            Self::Section
        } else {
            Self::Unit
        }
    }

    /// The kind of a new unit named `name` under a unit of kind `parent`: guessed from the name
    /// (`…街道办事处`, `…村`, `…社区`, `…科`), else the nearest kind the tree allows there.
    pub fn guess_under(name: &str, parent: Self) -> Self {
        [Self::guess_from_name(name), Self::Unit, Self::Section]
            .into_iter()
            .find(|kind| kind.may_sit_under(parent))
            .unwrap_or(Self::Unit)
    }

    /// Whether a node of kind `self` may sit directly under a node of kind `parent`.
    pub fn may_sit_under(self, parent: Self) -> bool {
        match self {
            Self::District => false,
            Self::Unit | Self::SubDistrict => matches!(parent, Self::District | Self::Unit),
            Self::Section => matches!(parent, Self::Unit | Self::SubDistrict),
            Self::Village | Self::Community => parent == Self::SubDistrict,
        }
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub parent: Option<OrgUnitId>,
    pub kind: OrgUnitKind,
    pub name: UnitName,
}

/// How a unit is written in the unit column of existing risk tables: a plain unit
/// (`区交通局`), a sub-unit in brackets (`区教育局（某中学）`), or a village or community under a
/// sub-district (`清河街道·东村`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLabel {
    /// The parent as written (may be a prefix of the parent's full name, as in `清河街道`).
    pub parent: Option<String>,
    pub leaf: UnitName,
}

impl UnitLabel {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if let Some((parent, leaf)) = raw.split_once('·') {
            return Ok(Self {
                parent: Some(UnitName::parse(parent)?.into()),
                leaf: UnitName::parse(leaf)?,
            });
        }
        if let Some(open) = raw.find('（').or_else(|| raw.find('(')) {
            let inner = raw[open..]
                .trim_start_matches(['（', '('])
                .trim_end_matches(['）', ')']);
            return Ok(Self {
                parent: Some(UnitName::parse(&raw[..open])?.into()),
                leaf: UnitName::parse(inner)?,
            });
        }
        Ok(Self {
            parent: None,
            leaf: UnitName::parse(raw)?,
        })
    }
}

/// The separators of a unit path (`区教育局/办公室`); `·` is how risk tables join a village to
/// its sub-district, and exports of the organisation write `/`.
pub const PATH_SEPARATORS: [char; 3] = ['/', '／', '·'];

/// A path of unit names from the top down, as the organisation table and the roster write it:
/// `区教育局/办公室`, `清河街道办事处/东村`. Every name is checked; an empty path is refused.
pub fn parse_path(raw: &str, field: &str, label: &str) -> Result<Vec<UnitName>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new(
            "required",
            field,
            format!("{label}不能为空"),
        ));
    }
    raw.split(PATH_SEPARATORS)
        .map(|name| {
            UnitName::parse(name).map_err(|e| {
                FieldError::new(&e.code, field, format!("{label}“{raw}”：{}", e.message))
            })
        })
        .collect()
}

/// The tree, for scope checks. Built from the full list of units.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    parents: HashMap<OrgUnitId, Option<OrgUnitId>>,
}

impl OrgTree {
    pub fn new(units: impl IntoIterator<Item = (OrgUnitId, Option<OrgUnitId>)>) -> Self {
        Self {
            parents: units.into_iter().collect(),
        }
    }

    /// The unit above `unit` (`None` for a root or an unknown unit).
    /// Whether `unit` is a node of the tree.
    pub fn contains(&self, unit: OrgUnitId) -> bool {
        self.parents.contains_key(&unit)
    }

    pub fn parent(&self, unit: OrgUnitId) -> Option<OrgUnitId> {
        self.parents.get(&unit).copied().flatten()
    }

    /// `unit` and every unit beneath it, parents before their children and siblings by id;
    /// empty for an unknown unit.
    pub fn subtree(&self, unit: OrgUnitId) -> Vec<OrgUnitId> {
        if !self.parents.contains_key(&unit) {
            return Vec::new();
        }
        let mut children: HashMap<OrgUnitId, Vec<OrgUnitId>> = HashMap::new();
        for (child, parent) in &self.parents {
            if let Some(parent) = parent {
                children.entry(*parent).or_default().push(*child);
            }
        }
        let mut order = Vec::new();
        let mut stack = vec![unit];
        let mut seen = std::collections::HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            order.push(id);
            if let Some(kids) = children.get_mut(&id) {
                kids.sort_unstable_by(|a, b| b.cmp(a));
                stack.extend(kids.iter().copied());
            }
        }
        order
    }

    /// Whether `unit` is `scope` or lies beneath it. Unknown units are outside every scope, and a
    /// cycle (which the database forbids) ends the walk rather than looping.
    pub fn is_within(&self, unit: OrgUnitId, scope: OrgUnitId) -> bool {
        let mut current = Some(unit);
        let mut steps = 0;
        while let Some(id) = current {
            if id == scope {
                return true;
            }
            steps += 1;
            if steps > self.parents.len() {
                return false;
            }
            current = match self.parents.get(&id) {
                Some(parent) => *parent,
                None => return false,
            };
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_labels_of_existing_tables_are_understood() {
        let plain = UnitLabel::parse("区交通局").unwrap();
        assert_eq!(plain.parent, None);
        assert_eq!(plain.leaf.as_str(), "区交通局");

        let school = UnitLabel::parse("区教育局（某中学）").unwrap();
        assert_eq!(school.parent.as_deref(), Some("区教育局"));
        assert_eq!(school.leaf.as_str(), "某中学");

        let village = UnitLabel::parse("清河街道·东村").unwrap();
        assert_eq!(village.parent.as_deref(), Some("清河街道"));
        assert_eq!(village.leaf.as_str(), "东村");
    }

    #[test]
    fn a_path_names_units_from_the_top_down_and_refuses_an_empty_step() {
        let path = parse_path(" 清河街道办事处/东村 ", "unit", "所在单位").unwrap();
        let names: Vec<&str> = path.iter().map(UnitName::as_str).collect();
        assert_eq!(names, ["清河街道办事处", "东村"]);
        assert_eq!(
            parse_path("区教育局／办公室", "unit", "所在单位")
                .unwrap()
                .len(),
            2
        );
        let err = parse_path("区教育局//办公室", "unit", "所在单位").unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_str()),
            ("required", "unit")
        );
        assert!(
            err.message.starts_with("所在单位“区教育局//办公室”："),
            "{}",
            err.message
        );
        assert_eq!(
            parse_path("  ", "unit", "所在单位").unwrap_err().code,
            "required"
        );
    }

    #[test]
    fn a_unit_is_placed_only_where_the_tree_allows_it_with_a_message_that_says_where() {
        assert!(OrgUnitKind::District.check_placement(None).is_ok());
        assert!(OrgUnitKind::Section
            .check_placement(Some(OrgUnitKind::Unit))
            .is_ok());
        let err = OrgUnitKind::Village
            .check_placement(Some(OrgUnitKind::Unit))
            .unwrap_err();
        assert_eq!(err.code, "misplaced_unit");
        assert_eq!(err.message, "村不能设在单位之下：村和社区须设在街道之下");
        assert!(OrgUnitKind::Unit.check_placement(None).is_err());
        assert_eq!(OrgUnitKind::parse("社区").unwrap(), OrgUnitKind::Community);
        assert_eq!(OrgUnitKind::parse("section").unwrap(), OrgUnitKind::Section);
        assert_eq!(OrgUnitKind::parse("大队").unwrap_err().field, "kind");
    }

    #[test]
    fn kinds_are_guessed_from_chinese_names() {
        assert_eq!(
            OrgUnitKind::guess_from_name("清河街道办事处"),
            OrgUnitKind::SubDistrict
        );
        assert_eq!(OrgUnitKind::guess_from_name("东村"), OrgUnitKind::Village);
        assert_eq!(
            OrgUnitKind::guess_from_name("西苑社区"),
            OrgUnitKind::Community
        );
        assert_eq!(OrgUnitKind::guess_from_name("区交通局"), OrgUnitKind::Unit);
    }

    #[test]
    fn villages_and_communities_sit_only_under_a_sub_district() {
        assert!(OrgUnitKind::Village.may_sit_under(OrgUnitKind::SubDistrict));
        assert!(!OrgUnitKind::Village.may_sit_under(OrgUnitKind::Unit));
        assert!(!OrgUnitKind::District.may_sit_under(OrgUnitKind::District));
    }

    #[test]
    fn a_scope_reaches_every_unit_beneath_it_and_nothing_else() {
        let (district, bureau, section, other) =
            (OrgUnitId(1), OrgUnitId(2), OrgUnitId(3), OrgUnitId(4));
        let tree = OrgTree::new([
            (district, None),
            (bureau, Some(district)),
            (section, Some(bureau)),
            (other, Some(district)),
        ]);
        assert!(tree.is_within(section, bureau));
        assert!(tree.is_within(section, district));
        assert!(tree.is_within(bureau, bureau));
        assert!(!tree.is_within(other, bureau));
        assert!(!tree.is_within(OrgUnitId(99), district));
    }

    #[test]
    fn a_subtree_lists_parents_before_children_and_siblings_by_id() {
        let tree = OrgTree::new([
            (OrgUnitId(1), None),
            (OrgUnitId(5), Some(OrgUnitId(1))),
            (OrgUnitId(2), Some(OrgUnitId(1))),
            (OrgUnitId(7), Some(OrgUnitId(2))),
            (OrgUnitId(3), Some(OrgUnitId(2))),
        ]);
        let ids: Vec<i64> = tree.subtree(OrgUnitId(1)).iter().map(|u| u.0).collect();
        assert_eq!(ids, [1, 2, 3, 7, 5]);
        assert_eq!(tree.subtree(OrgUnitId(2)).len(), 3);
        assert!(tree.subtree(OrgUnitId(99)).is_empty());
        assert_eq!(tree.parent(OrgUnitId(7)), Some(OrgUnitId(2)));
    }

    #[test]
    fn a_cycle_does_not_hang_the_scope_check() {
        let tree = OrgTree::new([
            (OrgUnitId(1), Some(OrgUnitId(2))),
            (OrgUnitId(2), Some(OrgUnitId(1))),
        ]);
        assert!(!tree.is_within(OrgUnitId(1), OrgUnitId(3)));
    }
}

//! Planning an import: every row resolved against the database (units found or planned as
//! new, posts, sheets) and checked (scope, levels, post levels and marks, duplicates, locked
//! sheets) before anything is written.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use domain::{
    ids::OrgUnitId,
    org::OrgUnitKind,
    post::{PostLevel, PostMarks},
    risk::{RatingMatrix, RiskLevel},
    stage::Stage,
    text::UnitName,
    FieldError,
};

use super::{
    columns::Column,
    rows::{ParsedTable, RejectedRow, TableRow},
    snapshot::{Snapshot, StoredPost, StoredRound},
};

/// What an import created (or, in a dry run, would create).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub new_units: usize,
    pub new_posts: usize,
    pub new_risk_points: usize,
    pub new_measures: usize,
    /// Accepted rows whose risk point the post's sheet already has: left as they are.
    pub existing_risk_points: usize,
}

/// Which units an importer may write: the whole district (the seed, the command line), or the
/// subtrees of some units (a unit's liaison, scoped to the unit). Rows outside it are refused as
/// `out_of_scope`; new units are allowed only beneath an allowed unit. `marks_posts` says whether
/// the importer may mark key posts and their grades (the commission's call): without it, a row
/// that would give a new post other marks than the defaults is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportScope {
    District,
    Units {
        units: Vec<OrgUnitId>,
        marks_posts: bool,
    },
}

/// A unit a row refers to: one in the database, or one the import would create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum UnitRef {
    Stored(i64),
    New(usize),
}

#[derive(Debug, Clone)]
pub(super) struct NewUnit {
    /// `None` only for a new district root.
    pub(super) parent: Option<UnitRef>,
    pub(super) kind: OrgUnitKind,
    pub(super) name: String,
}

/// An accepted row, resolved against the database.
#[derive(Debug, Clone)]
pub(crate) struct PlannedRow {
    pub(crate) row: TableRow,
    pub(super) unit: UnitRef,
    /// The level under the matrix of the sheet the point goes to.
    pub(super) level: RiskLevel,
    pub(super) stored_post: Option<i64>,
    /// The post's sheet already has a point with this description.
    pub(super) exists: bool,
}

/// Every row decided: accepted (resolved, in file order) or rejected (with every reason).
pub(crate) struct Plan {
    pub(super) total_rows: usize,
    pub(crate) accepted: Vec<PlannedRow>,
    pub(crate) rejected: Vec<RejectedRow>,
    pub(super) new_units: Vec<NewUnit>,
    pub(super) round: Option<StoredRound>,
}

/// Builds a [`Plan`]: resolves units (creating new ones in memory), and checks scope, levels,
/// post levels, duplicates and locked sheets.
pub(super) struct Planner<'a> {
    pub(super) snapshot: &'a Snapshot,
    pub(super) scope: &'a ImportScope,
    pub(super) root: UnitRef,
    pub(super) new_units: Vec<NewUnit>,
    pub(super) new_index: HashMap<(Option<UnitRef>, String), usize>,
    /// Top-level names a short parent (`清河街道`) may stand for: the root's children and the
    /// one-level units of the file, so a child written before its parent still finds it.
    pub(super) top_level: Vec<String>,
    pub(super) post_levels: HashMap<(UnitRef, String), (PostLevel, usize)>,
    /// The marks the first row of each post stated, and that row's number.
    pub(super) post_marks: HashMap<(UnitRef, String), (PostMarks, usize)>,
    pub(super) seen: HashMap<(UnitRef, String, String), usize>,
    pub(super) limits: domain::limits::Limits,
    /// Risk points per stored post in the round, and new ones per post as rows are accepted.
    pub(super) held: HashMap<i64, usize>,
    pub(super) added: HashMap<(UnitRef, String), usize>,
}

impl Plan {
    pub(crate) fn new(
        snapshot: &Snapshot,
        scope: &ImportScope,
        table: ParsedTable,
        limits: &domain::limits::Limits,
    ) -> Self {
        let mut top_level: Vec<String> = snapshot
            .top_level_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for row in &table.rows {
            if let [only] = row.unit.as_slice() {
                if !top_level.iter().any(|n| n == only.as_str()) {
                    top_level.push(only.to_string());
                }
            }
        }
        let mut planner = Planner {
            snapshot,
            scope,
            root: UnitRef::New(0),
            new_units: Vec::new(),
            new_index: HashMap::new(),
            top_level,
            post_levels: HashMap::new(),
            post_marks: HashMap::new(),
            seen: HashMap::new(),
            limits: *limits,
            held: snapshot
                .points
                .iter()
                .fold(HashMap::new(), |mut held, (post, _)| {
                    *held.entry(*post).or_default() += 1;
                    held
                }),
            added: HashMap::new(),
        };
        // Rows go into the district's current round: both are set up first (the organisation
        // by an administrator, the round by the commission), never invented by an import.
        let missing = match (&snapshot.root, &snapshot.round) {
            (None, _) => Some(FieldError::new(
                "no_district",
                "unit",
                "尚未建立本区的组织机构：请系统管理员先在“组织机构”中建立本区，再导入风险台账",
            )),
            (Some(_), None) => Some(FieldError::new(
                "no_round",
                "unit",
                "尚未启动排查批次：请区纪委先在“排查批次”中启动本年度排查，再导入风险台账",
            )),
            _ => None,
        };
        if let Some((id, _)) = &snapshot.root {
            planner.root = UnitRef::Stored(*id);
        }
        let mut accepted = Vec::new();
        let mut rejected = table.rejected;
        for row in table.rows {
            let number = row.row;
            if let Some(missing) = &missing {
                rejected.push(RejectedRow::new(
                    number,
                    Column::Unit.key(),
                    missing.clone(),
                ));
                continue;
            }
            match planner.plan_row(row) {
                Ok(planned) => accepted.push(planned),
                Err(problems) => rejected.extend(
                    problems
                        .into_iter()
                        .map(|(field, error)| RejectedRow::new(number, field, error)),
                ),
            }
        }
        rejected.sort_by_key(|r| r.row);
        Self {
            total_rows: table.total_rows,
            accepted,
            rejected,
            new_units: planner.new_units,
            round: snapshot.round.clone(),
        }
    }

    /// What applying every accepted row would create.
    pub(super) fn predicted(&self) -> ImportCounts {
        let mut units = HashSet::new();
        let mut posts = HashSet::new();
        let mut counts = ImportCounts::default();
        for planned in &self.accepted {
            let mut current = Some(planned.unit);
            while let Some(UnitRef::New(index)) = current {
                units.insert(index);
                current = self.new_units[index].parent;
            }
            if planned.stored_post.is_none() {
                posts.insert((planned.unit, planned.row.post.as_str()));
            }
            if planned.exists {
                counts.existing_risk_points += 1;
            } else {
                counts.new_risk_points += 1;
                counts.new_measures += planned.row.measures.len();
            }
        }
        counts.new_units = units.len();
        counts.new_posts = posts.len();
        counts
    }

    pub(super) fn rejected_rows(&self) -> usize {
        self.rejected
            .iter()
            .map(|r| r.row)
            .collect::<HashSet<_>>()
            .len()
    }
}

pub(super) type Problems = Vec<(&'static str, FieldError)>;

impl Planner<'_> {
    pub(super) fn plan_row(&mut self, row: TableRow) -> Result<PlannedRow, Problems> {
        let unit = self
            .resolve(&row.unit)
            .map_err(|e| vec![(Column::Unit.key(), e)])?;
        if !self.in_scope(unit) {
            return Err(vec![(
                Column::Unit.key(),
                FieldError::new(
                    "out_of_scope",
                    "unit",
                    format!("单位“{}”不在您可以导入的范围内", row.unit_label()),
                ),
            )]);
        }
        let stored_post = match unit {
            UnitRef::Stored(id) => self
                .snapshot
                .posts
                .get(&(id, row.post.to_string()))
                .copied(),
            UnitRef::New(_) => None,
        };
        let sheet = stored_post.and_then(|p| self.snapshot.sheets.get(&p.id));
        let matrix = match (sheet, &self.snapshot.round) {
            (Some(sheet), _) => &sheet.matrix,
            (None, Some(round)) => &round.matrix,
            (None, None) => &RatingMatrix::default(),
        };
        let mut problems = Vec::new();
        let level = row
            .check_level(matrix)
            .map_err(|e| problems.push((Column::Level.key(), e)))
            .ok();
        if let Err(e) = self.check_post_level(unit, stored_post, &row) {
            problems.push((Column::PostLevel.key(), e));
        }
        if let Err(e) = self.check_marks(unit, stored_post, &row) {
            problems.push((Column::KeyPost.key(), e));
        }
        let Some(level) = level.filter(|_| problems.is_empty()) else {
            return Err(problems);
        };
        let key = (unit, row.post.to_string(), row.risk.to_string());
        if let Some(first) = self.seen.get(&key) {
            return Err(vec![(
                Column::RiskPoint.key(),
                FieldError::new(
                    "duplicate_row",
                    "risk_point",
                    format!("与第 {first} 行重复：同一单位、同一岗位下的风险点相同"),
                ),
            )]);
        }
        let exists = stored_post
            .is_some_and(|p| self.snapshot.points.contains(&(p.id, row.risk.to_string())));
        if let Some(sheet) = sheet.filter(|s| !exists && s.stage != Stage::SelfCheck) {
            return Err(vec![(
                Column::Post.key(),
                FieldError::new(
                    "sheet_locked",
                    "post",
                    format!(
                        "岗位“{}”的本轮排查表已进入“{}”环节，不能再导入新的风险点",
                        row.post,
                        sheet.stage.label()
                    ),
                ),
            )]);
        }
        if !exists {
            let post = (unit, row.post.to_string());
            let held = stored_post
                .and_then(|p| self.held.get(&p.id))
                .copied()
                .unwrap_or(0)
                + self.added.get(&post).copied().unwrap_or(0);
            if let Err(e) = self.limits.check_new_risk_point(held) {
                return Err(vec![(Column::RiskPoint.key(), e)]);
            }
            *self.added.entry(post).or_default() += 1;
        }
        self.seen.insert(key, row.row);
        self.post_levels
            .entry((unit, row.post.to_string()))
            .or_insert((row.post_level, row.row));
        if let Some(marks) = row.marks {
            self.post_marks
                .entry((unit, row.post.to_string()))
                .or_insert((marks, row.row));
        }
        Ok(PlannedRow {
            row,
            unit,
            level,
            stored_post: stored_post.map(|p| p.id),
            exists,
        })
    }

    /// A post keeps one level: rows of the same post, and the post already stored, must agree.
    pub(super) fn check_post_level(
        &self,
        unit: UnitRef,
        stored: Option<StoredPost>,
        row: &TableRow,
    ) -> Result<(), FieldError> {
        let conflict = |level: PostLevel, whence: String| {
            FieldError::new(
                "post_level_conflict",
                "post_level",
                format!(
                    "岗位“{}”{whence}为{}，本行填为{}",
                    row.post,
                    level.label(),
                    row.post_level.label()
                ),
            )
        };
        if let Some(stored) = stored.filter(|p| p.level != row.post_level) {
            return Err(conflict(stored.level, "已登记".to_owned()));
        }
        match self.post_levels.get(&(unit, row.post.to_string())) {
            Some((level, first)) if *level != row.post_level => {
                Err(conflict(*level, format!("在第 {first} 行填")))
            }
            _ => Ok(()),
        }
    }

    /// A post's marks are the commission's: a row may state the marks a stored post has, or
    /// give a new post its marks when the importer may mark posts (or when they are the defaults
    /// anyway); rows of the same post agree.
    pub(super) fn check_marks(
        &self,
        unit: UnitRef,
        stored: Option<StoredPost>,
        row: &TableRow,
    ) -> Result<(), FieldError> {
        let Some(marks) = row.marks else {
            return Ok(());
        };
        let describe = |m: PostMarks| match (m.key_post(), m.grade()) {
            (false, _) => "非重点岗位".to_owned(),
            (true, None) => "重点岗位（未定监督等级）".to_owned(),
            (true, Some(g)) => format!("重点岗位（{}监督）", g.label()),
        };
        if let Some(stored) = stored.filter(|p| p.marks != marks) {
            return Err(FieldError::new(
                "marks_conflict",
                Column::KeyPost.key(),
                format!(
                    "岗位“{}”已认定为{}，本行填为{}；重点岗位和监督等级由区纪委在排查表页面认定，导入不能更改",
                    row.post,
                    describe(stored.marks),
                    describe(marks)
                ),
            ));
        }
        if let Some((first, at)) = self.post_marks.get(&(unit, row.post.to_string())) {
            if *first != marks {
                return Err(FieldError::new(
                    "marks_conflict",
                    Column::KeyPost.key(),
                    format!(
                        "岗位“{}”在第 {at} 行填为{}，本行填为{}",
                        row.post,
                        describe(*first),
                        describe(marks)
                    ),
                ));
            }
        }
        let marks_posts = match self.scope {
            ImportScope::District => true,
            ImportScope::Units { marks_posts, .. } => *marks_posts,
        };
        if stored.is_none() && !marks_posts && marks != PostMarks::default_for(row.post_level) {
            return Err(FieldError::new(
                "marks_not_allowed",
                Column::KeyPost.key(),
                format!(
                    "新岗位“{}”填为{}：重点岗位和监督等级由区纪委认定，请留空或按默认（领导岗位为重点岗位）填写",
                    row.post,
                    describe(marks)
                ),
            ));
        }
        Ok(())
    }

    /// The unit a path names. The district's own name may lead the path; the first name below it
    /// may abbreviate a top-level unit when more names follow (`清河街道·东村`); the rest are
    /// exact. Units not found are planned as new.
    pub(super) fn resolve(&mut self, path: &[UnitName]) -> Result<UnitRef, FieldError> {
        let root_name = self
            .snapshot
            .root
            .as_ref()
            .map_or("", |(_, name)| name.as_str());
        let path = match path {
            [first, rest @ ..] if first.as_str() == root_name => rest,
            _ => path,
        };
        let Some((first, rest)) = path.split_first() else {
            return Ok(self.root);
        };
        let top = if rest.is_empty() {
            first.to_string()
        } else {
            self.expand_top_level(first.as_str())?
        };
        let mut current = self.child(self.root, &top);
        for name in rest {
            current = self.child(current, name.as_str());
        }
        Ok(current)
    }

    /// The full name of the top-level unit `written` stands for: itself, or the one known unit
    /// whose name starts with it.
    pub(super) fn expand_top_level(&self, written: &str) -> Result<String, FieldError> {
        if self.top_level.iter().any(|n| n == written) {
            return Ok(written.to_owned());
        }
        let matches: Vec<&String> = self
            .top_level
            .iter()
            .filter(|n| n.starts_with(written))
            .collect();
        match matches.as_slice() {
            [] => Ok(written.to_owned()),
            [one] => Ok((*one).clone()),
            many => Err(FieldError::new(
                "ambiguous_unit",
                "unit",
                format!(
                    "“{written}”可指多个单位（{}），请写出上级单位的全称",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
        }
    }

    pub(super) fn child(&mut self, parent: UnitRef, name: &str) -> UnitRef {
        if let UnitRef::Stored(id) = parent {
            if let Some(child) = self.snapshot.children.get(&(id, name.to_owned())) {
                return UnitRef::Stored(*child);
            }
        }
        let key = (Some(parent), name.to_owned());
        if let Some(index) = self.new_index.get(&key) {
            return UnitRef::New(*index);
        }
        let kind = OrgUnitKind::guess_under(name, self.kind_of(parent));
        self.new_units.push(NewUnit {
            parent: Some(parent),
            kind,
            name: name.to_owned(),
        });
        self.new_index.insert(key, self.new_units.len() - 1);
        UnitRef::New(self.new_units.len() - 1)
    }

    pub(super) fn kind_of(&self, unit: UnitRef) -> OrgUnitKind {
        match unit {
            UnitRef::Stored(id) => self
                .snapshot
                .units
                .get(&id)
                .map_or(OrgUnitKind::Unit, |u| u.kind),
            UnitRef::New(index) => self.new_units[index].kind,
        }
    }

    pub(super) fn in_scope(&self, unit: UnitRef) -> bool {
        let ImportScope::Units { units: scopes, .. } = self.scope else {
            return true;
        };
        let mut current = unit;
        loop {
            match current {
                UnitRef::Stored(id) => {
                    return scopes
                        .iter()
                        .any(|scope| self.snapshot.tree.is_within(OrgUnitId(id), *scope))
                }
                UnitRef::New(index) => match self.new_units[index].parent {
                    Some(parent) => current = parent,
                    None => return false,
                },
            }
        }
    }
}

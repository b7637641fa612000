//! Writing planned rows: what is missing is created, keyed on natural keys, so that writing a
//! row twice creates nothing the second time.

use std::collections::HashMap;

use anyhow::Context as _;
use domain::{ids::RiskPointId, post::PostMarks, sync::RiskPointRecord};

use super::plan::{ImportCounts, Plan, PlannedRow, UnitRef};
use crate::{
    db::now_ms,
    store::{self, Conn},
};

#[derive(Debug, Clone, Copy)]
pub(super) struct SheetSlot {
    pub(super) id: i64,
    /// Created by this import, so at version 1 with nothing to bump.
    pub(super) fresh: bool,
    pub(super) next_position: i64,
    /// Points this import added to the sheet.
    pub(super) added: i64,
}

/// Where a written row went.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) unit: i64,
    pub(crate) post: i64,
}

/// Writes planned rows inside the caller's write transaction, creating what is missing and
/// counting what it created. Every insert is keyed on a natural key, so writing a row twice
/// creates nothing the second time.
pub(crate) struct Writer<'p> {
    pub(super) plan: &'p Plan,
    pub(super) now: i64,
    pub(super) unit_ids: HashMap<usize, i64>,
    pub(super) round: Option<(i64, String)>,
    pub(super) sheets: HashMap<i64, SheetSlot>,
    pub(super) created: ImportCounts,
}

impl<'p> Writer<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        Self {
            plan,
            now: now_ms(),
            unit_ids: HashMap::new(),
            round: plan.round.as_ref().map(|r| (r.id, r.matrix_json.clone())),
            sheets: HashMap::new(),
            created: ImportCounts::default(),
        }
    }

    /// Writes one row: its units, post, sheet and duty when missing, then its risk point with
    /// measures unless the sheet has it already.
    pub(crate) async fn write(
        &mut self,
        conn: &mut Conn,
        planned: &PlannedRow,
    ) -> anyhow::Result<Written> {
        let unit = self.unit_id(conn, planned.unit).await?;
        let row = &planned.row;
        let marks = row
            .marks
            .unwrap_or_else(|| PostMarks::default_for(row.post_level));
        let (post, post_created) =
            store::org::ensure_post(conn, unit, row.post.as_str(), row.post_level, marks).await?;
        self.created.new_posts += usize::from(post_created);
        let sheet = self.sheet(conn, post).await?;
        store::org::ensure_duty(conn, post, row.duty.as_str()).await?;
        if insert_risk_point(conn, post, sheet, planned, self.now).await? {
            self.created.new_risk_points += 1;
            self.created.new_measures += row.measures.len();
            if let Some(slot) = self.sheets.get_mut(&post) {
                slot.next_position += 1;
                slot.added += 1;
            }
        } else {
            self.created.existing_risk_points += 1;
        }
        Ok(Written { unit, post })
    }

    /// Records on each sheet that already existed that its content changed, as sync does, so a
    /// reviewer's decision based on the old content is refused as stale; and on every sheet
    /// that got points, its next free position, which is never handed out again.
    pub(crate) async fn finish(self, conn: &mut Conn) -> anyhow::Result<ImportCounts> {
        for slot in self.sheets.values().filter(|s| s.added > 0) {
            if !slot.fresh {
                store::sheets::bump_version(conn, slot.id, slot.added, self.now).await?;
            }
            store::sheets::raise_next_position(conn, slot.id, slot.next_position).await?;
        }
        Ok(self.created)
    }

    /// The id of a unit, creating it and any new units above it, top down.
    pub(super) async fn unit_id(&mut self, conn: &mut Conn, unit: UnitRef) -> anyhow::Result<i64> {
        let mut missing = Vec::new();
        let mut parent = None;
        let mut current = Some(unit);
        while let Some(r) = current {
            match r {
                UnitRef::Stored(id) => {
                    parent = Some(id);
                    break;
                }
                UnitRef::New(index) => match self.unit_ids.get(&index) {
                    Some(id) => {
                        parent = Some(*id);
                        break;
                    }
                    None => {
                        missing.push(index);
                        current = self.plan.new_units[index].parent;
                    }
                },
            }
        }
        for index in missing.into_iter().rev() {
            let new = &self.plan.new_units[index];
            let (id, created) = store::org::ensure_unit(conn, parent, new.kind, &new.name).await?;
            self.created.new_units += usize::from(created);
            self.unit_ids.insert(index, id);
            parent = Some(id);
        }
        parent.context("A unit resolved to nothing")
    }

    /// The round rows go into; a plan accepts no row without one.
    pub(super) fn round(&self) -> anyhow::Result<(i64, String)> {
        self.round
            .clone()
            .context("An import row was accepted without a round")
    }

    pub(super) async fn sheet(&mut self, conn: &mut Conn, post: i64) -> anyhow::Result<SheetSlot> {
        if let Some(slot) = self.sheets.get(&post) {
            return Ok(*slot);
        }
        let (round, matrix_json) = self.round()?;
        let (id, fresh, next_position) =
            store::sheets::ensure(conn, round, post, &matrix_json, self.now).await?;
        let slot = SheetSlot {
            id,
            fresh,
            next_position,
            added: 0,
        };
        self.sheets.insert(post, slot);
        Ok(slot)
    }
}

/// Inserts a row's risk point with its measures and logs it for sync pulls; returns whether it
/// was new. A point is the same when its sheet has one with the same description, whoever
/// created it (an earlier import, the seed, or the holder): that is the natural key. Checking
/// first is safe because this runs in a write transaction; the id derived from the same key makes
/// the point itself the same on every import.
pub(super) async fn insert_risk_point(
    conn: &mut Conn,
    post: i64,
    sheet: SheetSlot,
    planned: &PlannedRow,
    now: i64,
) -> anyhow::Result<bool> {
    let row = &planned.row;
    let description = row.risk.as_str();
    if store::points::described_on_sheet(conn, sheet.id, description).await? {
        return Ok(false);
    }
    let id = RiskPointId::from_natural_key(&format!("sheet/{}/{description}", sheet.id));
    let record = RiskPointRecord {
        id: id.0,
        post_id: post,
        version: 1,
        position: sheet.next_position,
        level: planned.level,
        input: row.to_input(),
    };
    store::points::write(conn, &[(sheet.id, &record)], &[], None, now).await?;
    let change = store::changes::Change {
        post_id: post,
        kind: store::changes::Kind::RiskPoint,
        entity: record.id.to_string(),
    };
    store::changes::record(conn, &[change], None, now).await?;
    Ok(true)
}

//! 区纪委工作台: the district's figures at a glance (DESIGN §8): units, posts, risk points by
//! level, measures by kind, catalogue entries, commitments signed; the likelihood × impact heat
//! map; levels by unit; a round's sheets by stage; warnings by level and status; measures done,
//! in progress and overdue. The server gathers the facts of one round, each under the top-level
//! unit it belongs to; [`Facts::figures`] counts them, for the district or one unit, so every
//! figure is counted in one place and tested against a hand count.

use serde::{Deserialize, Serialize};

use crate::{
    ids::OrgUnitId,
    risk::{IsoDate, MeasureKind, MeasureStatus, RiskLevel},
    stage::Stage,
    warning::{Level, Status},
};

/// A top-level unit of the district (a bureau, a sub-district), which the facts are counted under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFact {
    pub id: OrgUnitId,
    pub name: String,
}

/// A risk point on a sheet of the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointFact {
    pub unit: OrgUnitId,
    pub level: RiskLevel,
    /// 1 to 5 each.
    pub likelihood: u8,
    pub impact: u8,
}

/// A measure of one of those points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureFact {
    pub unit: OrgUnitId,
    pub kind: MeasureKind,
    pub status: MeasureStatus,
    pub due: Option<IsoDate>,
}

/// Everything the dashboard counts, for one round.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The top-level units, in the tree's order.
    pub units: Vec<UnitFact>,
    /// The unit of each post.
    pub posts: Vec<OrgUnitId>,
    /// The unit and stage of each sheet of the round.
    pub sheets: Vec<(OrgUnitId, Stage)>,
    pub points: Vec<PointFact>,
    pub measures: Vec<MeasureFact>,
    /// The unit, level and status of each warning.
    pub warnings: Vec<(OrgUnitId, Level, Status)>,
    /// The unit of each commitment in force, and whether it is signed.
    pub commitments: Vec<(OrgUnitId, bool)>,
    /// Entries of the district catalogue (the district's, whatever the unit).
    pub catalogue_entries: usize,
}

/// Risk points by level, in [`RiskLevel::ALL`]'s order (一级, 二级, 三级).
pub type ByLevel = [usize; 3];

/// One unit's points by level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLevels {
    pub unit: OrgUnitId,
    pub name: String,
    pub levels: ByLevel,
}

/// Where the measures stand: each measure in exactly one of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: usize,
    /// Not done and past its due day.
    pub overdue: usize,
    /// In progress, not overdue.
    pub in_progress: usize,
    /// Not started, not overdue.
    pub planned: usize,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub units: usize,
    pub posts: usize,
    pub points: usize,
    pub by_level: ByLevel,
    pub measures: usize,
    /// Measures by kind, in [`MeasureKind::ALL`]'s order.
    pub by_kind: [usize; 3],
    pub catalogue_entries: usize,
    pub commitments: usize,
    pub signed: usize,
    /// Points by rating: `heat[likelihood - 1][impact - 1]`.
    pub heat: [[usize; 5]; 5],
    pub levels_by_unit: Vec<UnitLevels>,
    /// Sheets by stage, in [`Stage::ALL`]'s order.
    pub pipeline: [usize; 8],
    /// Warnings: `warnings[level][status]`, levels in [`Level::ALL`]'s order, statuses in
    /// [`WARNING_STATUSES`]' order.
    pub warnings: [[usize; 3]; 3],
    pub progress: Progress,
}

/// The warning statuses in the dashboard's order.
pub const WARNING_STATUSES: [Status; 3] =
    [Status::AwaitingAnswer, Status::Answered, Status::Closed];

fn position<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|a| a == x).unwrap_or(0)
}

impl Facts {
    /// The figures of the district (`unit` none) or of one top-level unit, on `today`.
    pub fn figures(&self, unit: Option<OrgUnitId>, today: IsoDate) -> Figures {
        let keep = |u: &OrgUnitId| unit.is_none_or(|only| *u == only);
        let mut f = Figures {
            units: self.units.iter().filter(|u| keep(&u.id)).count(),
            posts: self.posts.iter().filter(|u| keep(u)).count(),
            catalogue_entries: self.catalogue_entries,
            ..Figures::default()
        };
        f.levels_by_unit = self
            .units
            .iter()
            .filter(|u| keep(&u.id))
            .map(|u| UnitLevels {
                unit: u.id,
                name: u.name.clone(),
                levels: [0; 3],
            })
            .collect();
        for p in self.points.iter().filter(|p| keep(&p.unit)) {
            let level = position(&RiskLevel::ALL, &p.level);
            f.points += 1;
            f.by_level[level] += 1;
            let (l, i) = (usize::from(p.likelihood), usize::from(p.impact));
            if (1..=5).contains(&l) && (1..=5).contains(&i) {
                f.heat[l - 1][i - 1] += 1;
            }
            if let Some(row) = f.levels_by_unit.iter_mut().find(|r| r.unit == p.unit) {
                row.levels[level] += 1;
            }
        }
        for m in self.measures.iter().filter(|m| keep(&m.unit)) {
            f.measures += 1;
            f.by_kind[position(&MeasureKind::ALL, &m.kind)] += 1;
            let slot = if m.status == MeasureStatus::Done {
                &mut f.progress.done
            } else if m.status.overdue(m.due, today) {
                &mut f.progress.overdue
            } else if m.status == MeasureStatus::InProgress {
                &mut f.progress.in_progress
            } else {
                &mut f.progress.planned
            };
            *slot += 1;
        }
        for (_, stage) in self.sheets.iter().filter(|(u, _)| keep(u)) {
            f.pipeline[position(&Stage::ALL, stage)] += 1;
        }
        for (_, level, status) in self.warnings.iter().filter(|(u, _, _)| keep(u)) {
            f.warnings[position(&Level::ALL, level)][position(&WARNING_STATUSES, status)] += 1;
        }
        for (_, signed) in self.commitments.iter().filter(|(u, _)| keep(u)) {
            f.commitments += 1;
            f.signed += usize::from(*signed);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> IsoDate {
        IsoDate::parse(s, "due", "完成时限").unwrap()
    }

    /// Two units: 交通局 (1) with three points and 卫生局 (2) with one, counted by hand below.
    fn fixture() -> Facts {
        let (a, b) = (OrgUnitId(1), OrgUnitId(2));
        let point = |unit, level, likelihood, impact| PointFact {
            unit,
            level,
            likelihood,
            impact,
        };
        let measure = |unit, kind, status, due: Option<&str>| MeasureFact {
            unit,
            kind,
            status,
            due: due.map(day),
        };
        Facts {
            units: vec![
                UnitFact {
                    id: a,
                    name: "区交通局".into(),
                },
                UnitFact {
                    id: b,
                    name: "区卫生局".into(),
                },
            ],
            posts: vec![a, a, b],
            sheets: vec![
                (a, Stage::SelfCheck),
                (a, Stage::Approved),
                (b, Stage::Approved),
            ],
            points: vec![
                point(a, RiskLevel::High, 4, 5),
                point(a, RiskLevel::High, 4, 5),
                point(a, RiskLevel::Medium, 3, 3),
                point(b, RiskLevel::Low, 1, 2),
            ],
            measures: vec![
                measure(
                    a,
                    MeasureKind::Institutional,
                    MeasureStatus::Done,
                    Some("2026-01-01"),
                ),
                measure(
                    a,
                    MeasureKind::Supervision,
                    MeasureStatus::InProgress,
                    Some("2026-11-30"),
                ),
                measure(
                    a,
                    MeasureKind::Education,
                    MeasureStatus::InProgress,
                    Some("2026-12-31"),
                ),
                measure(b, MeasureKind::Institutional, MeasureStatus::Planned, None),
                measure(
                    b,
                    MeasureKind::Institutional,
                    MeasureStatus::Planned,
                    Some("2026-12-01"),
                ),
            ],
            warnings: vec![
                (a, Level::Red, Status::AwaitingAnswer),
                (a, Level::Blue, Status::Closed),
                (b, Level::Blue, Status::Closed),
            ],
            commitments: vec![(a, true), (a, false), (b, true)],
            catalogue_entries: 7,
        }
    }

    #[test]
    fn the_district_figures_match_a_hand_count() {
        let f = fixture().figures(None, day("2026-12-04"));
        assert_eq!((f.units, f.posts, f.points), (2, 3, 4));
        assert_eq!(f.by_level, [2, 1, 1]);
        assert_eq!(f.measures, 5);
        assert_eq!(f.by_kind, [3, 1, 1]);
        assert_eq!(f.catalogue_entries, 7);
        assert_eq!((f.commitments, f.signed), (3, 2));
        assert_eq!(f.heat[3][4], 2, "likelihood 4 × impact 5");
        assert_eq!(f.heat[2][2], 1);
        assert_eq!(f.heat[0][1], 1);
        assert_eq!(f.heat.iter().flatten().sum::<usize>(), 4);
        assert_eq!(f.levels_by_unit[0].levels, [2, 1, 0]);
        assert_eq!(f.levels_by_unit[1].levels, [0, 0, 1]);
        assert_eq!(f.pipeline[0], 1, "one sheet in self-check");
        assert_eq!(f.pipeline[7], 2, "two approved");
        assert_eq!(f.pipeline.iter().sum::<usize>(), 3);
        // Red awaiting an answer; two blue closed.
        assert_eq!(f.warnings[2][0], 1);
        assert_eq!(f.warnings[0][2], 2);
        assert_eq!(f.warnings.iter().flatten().sum::<usize>(), 3);
        // Done 1; overdue: in progress due 11-30 and planned due 12-01; in progress due 12-31;
        // planned with no due day.
        assert_eq!(
            f.progress,
            Progress {
                done: 1,
                overdue: 2,
                in_progress: 1,
                planned: 1
            }
        );
    }

    #[test]
    fn a_unit_sees_only_its_own_figures_but_the_district_catalogue() {
        let f = fixture().figures(Some(OrgUnitId(2)), day("2026-12-04"));
        assert_eq!((f.units, f.posts, f.points, f.measures), (1, 1, 1, 2));
        assert_eq!(f.by_level, [0, 0, 1]);
        assert_eq!(f.levels_by_unit.len(), 1);
        assert_eq!(f.pipeline[7], 1);
        assert_eq!((f.commitments, f.signed), (1, 1));
        assert_eq!(f.progress.overdue, 1);
        assert_eq!(f.catalogue_entries, 7);
    }

    #[test]
    fn a_measure_due_today_is_not_yet_overdue() {
        let f = fixture().figures(None, day("2026-12-01"));
        assert_eq!(f.progress.overdue, 1, "only the one due 11-30");
    }
}

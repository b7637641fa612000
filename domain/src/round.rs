//! Rounds of risk identification (排查批次): a named campaign with a scope and a deadline.

use serde::{Deserialize, Serialize};

use crate::{
    ids::{OrgUnitId, RoundId},
    org::OrgTree,
    risk::{IsoDate, RatingMatrix},
    stage::Stage,
    text::RoundName,
    FieldError,
};

/// A round, e.g. "2026 年度排查". Pilots run first, then the district-wide round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: RoundId,
    pub name: RoundName,
    pub year: u16,
    /// The units (and everything beneath them) taking part.
    pub scope: Vec<OrgUnitId>,
    pub deadline: IsoDate,
    pub pilot: bool,
    /// The matrix the round's sheets are rated with, stored with the round so a later change of
    /// the district's matrix never rewrites this round's levels.
    pub matrix: RatingMatrix,
}

/// Checks a round's year.
pub fn parse_year(value: i64) -> Result<u16, FieldError> {
    if (2000..=2100).contains(&value) {
        Ok(value as u16)
    } else {
        Err(FieldError::new(
            "out_of_range",
            "year",
            format!("年度须在 2000 到 2100 之间（现为 {value}）"),
        ))
    }
}

/// A new round as the commission asked for it, checked: a name, a year, a deadline not in the
/// past, and at least one unit (each unit reaches everything beneath it, so a unit beneath another
/// chosen unit is dropped as already in scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRequest {
    pub name: RoundName,
    pub year: u16,
    pub deadline: IsoDate,
    pub scope: Vec<OrgUnitId>,
    pub pilot: bool,
}

/// Checks a new round against the organisation `tree` on `today`; every broken rule is reported.
pub fn check_request(
    name: &str,
    year: i64,
    deadline: &str,
    scope: &[OrgUnitId],
    pilot: bool,
    tree: &OrgTree,
    today: IsoDate,
) -> Result<RoundRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = RoundName::parse(name).map_err(|e| errors.push(e)).ok();
    let year = parse_year(year).map_err(|e| errors.push(e)).ok();
    let deadline = match IsoDate::parse(deadline, "deadline", "截止日期") {
        Ok(d) if d < today => {
            errors.push(FieldError::new(
                "in_the_past",
                "deadline",
                format!("截止日期 {d} 早于今天（{today}），请选择今天或以后的日期"),
            ));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut units: Vec<OrgUnitId> = Vec::new();
    for unit in scope {
        if !tree.contains(*unit) {
            errors.push(FieldError::new(
                "unknown_unit",
                "units",
                format!("单位（编号 {}）不存在", unit.0),
            ));
        } else if !units.contains(unit) {
            units.push(*unit);
        }
    }
    // A unit beneath another chosen unit is already in scope.
    let chosen = units.clone();
    units.retain(|u| !chosen.iter().any(|c| c != u && tree.is_within(*u, *c)));
    if scope.is_empty() {
        errors.push(FieldError::new(
            "empty_scope",
            "units",
            "参加单位：请至少选择一个参加本批次的单位",
        ));
    }
    match (name, year, deadline) {
        (Some(name), Some(year), Some(deadline)) if errors.is_empty() => Ok(RoundRequest {
            name,
            year,
            deadline,
            scope: units,
            pilot,
        }),
        _ => Err(errors),
    }
}

/// What starting a round does for one post in its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// The post has no sheet yet: an empty one is opened.
    Fresh,
    /// The post's current sheet was approved in an earlier year: a new sheet starts from copies of
    /// its points and measures (the approved one stays as it was, on record and on the public
    /// notice until the new one is published).
    CarryForward { from_sheet: i64 },
    /// The post's current sheet is still in the chain in another round: it moves into this round
    /// as it stands (points, stage, approvals), so no work is lost or done twice.
    Adopt { sheet: i64 },
    /// The post's sheet was approved this year already (a pilot unit, in the district-wide round
    /// that follows the pilot): it stays as approved.
    DoneThisYear,
    /// The post already has a sheet in this round.
    AlreadyIn,
}

/// The post's current sheet as starting a round of `year` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentSheet {
    pub round: i64,
    pub round_year: i64,
    pub sheet: i64,
    pub stage: Stage,
}

/// What starting round `round` of `year` does for a post with this current sheet. A 回头看
/// round (`re_review`) reopens an approved sheet whatever its year.
pub fn opening(round: i64, year: i64, re_review: bool, current: Option<CurrentSheet>) -> Opening {
    match current {
        None => Opening::Fresh,
        Some(c) if c.round == round => Opening::AlreadyIn,
        Some(c) if c.stage == Stage::Approved && c.round_year >= year && !re_review => {
            Opening::DoneThisYear
        }
        Some(c) if c.stage == Stage::Approved => Opening::CarryForward {
            from_sheet: c.sheet,
        },
        Some(c) => Opening::Adopt { sheet: c.sheet },
    }
}

/// A re-review is listed this many days before it falls due.
pub const RE_REVIEW_NOTICE_DAYS: i64 = 30;

/// Where a key post's re-review stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReReview {
    NotYet { days_left: i64 },
    DueSoon { days_left: i64 },
    Overdue { days_over: i64 },
}

impl ReReview {
    pub fn of(due: IsoDate, today: IsoDate) -> Self {
        let left = today.days_until(due);
        if left < 0 {
            Self::Overdue { days_over: -left }
        } else if left <= RE_REVIEW_NOTICE_DAYS {
            Self::DueSoon { days_left: left }
        } else {
            Self::NotYet { days_left: left }
        }
    }

    /// Whether the commission's list shows it (due within the notice days, or overdue).
    pub fn listed(self) -> bool {
        !matches!(self, Self::NotYet { .. })
    }

    pub fn label(self) -> String {
        match self {
            Self::NotYet { days_left } => format!("{days_left} 天后到期"),
            Self::DueSoon { days_left: 0 } => "今天到期".to_owned(),
            Self::DueSoon { days_left } => format!("{days_left} 天后到期"),
            Self::Overdue { days_over } => format!("已逾期 {days_over} 天"),
        }
    }
}

/// A reminder reaches the holder of a sheet still in self-check this many days before the
/// round's deadline.
pub const REMIND_DAYS_BEFORE: i64 = 7;

/// Where a sheet of a round stands against the round's deadline. A sheet is finished when it is
/// approved (审核通过); before that it is late once the deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    Finished,
    OnTime { days_left: i64 },
    DueSoon { days_left: i64 },
    Late { days_over: i64 },
}

impl Standing {
    pub fn of(stage: Stage, deadline: IsoDate, today: IsoDate) -> Self {
        let left = today.days_until(deadline);
        match stage {
            Stage::Approved => Self::Finished,
            _ if left < 0 => Self::Late { days_over: -left },
            _ if left <= REMIND_DAYS_BEFORE => Self::DueSoon { days_left: left },
            _ => Self::OnTime { days_left: left },
        }
    }

    pub fn is_late(self) -> bool {
        matches!(self, Self::Late { .. })
    }

    /// The reminder a holder sees for a sheet at `stage`: only the self-check is the holder's to
    /// finish, and only near or past the deadline.
    pub fn holder_reminder(self, stage: Stage, deadline: IsoDate) -> Option<String> {
        if stage != Stage::SelfCheck {
            return None;
        }
        match self {
            Self::DueSoon { days_left: 0 } => Some(format!(
                "本批次今天（{deadline}）截止，请尽快完成自查并提交审核"
            )),
            Self::DueSoon { days_left } => Some(format!(
                "本批次 {deadline} 截止，还剩 {days_left} 天，请尽快完成自查并提交审核"
            )),
            Self::Late { days_over } => Some(format!(
                "本批次已于 {deadline} 截止，已逾期 {days_over} 天，请立即完成自查并提交审核"
            )),
            _ => None,
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Finished => "已审核通过".to_owned(),
            Self::OnTime { days_left } => format!("办理中（距截止 {days_left} 天）"),
            Self::DueSoon { days_left: 0 } => "今天截止".to_owned(),
            Self::DueSoon { days_left } => format!("临近截止（剩 {days_left} 天）"),
            Self::Late { days_over } => format!("已逾期 {days_over} 天"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::SupervisionGrade;

    fn date(s: &str) -> IsoDate {
        IsoDate::parse(s, "d", "日期").unwrap()
    }

    fn tree() -> OrgTree {
        // 1 district; 2 and 4 units; 3 a section of 2.
        OrgTree::new([
            (OrgUnitId(1), None),
            (OrgUnitId(2), Some(OrgUnitId(1))),
            (OrgUnitId(3), Some(OrgUnitId(2))),
            (OrgUnitId(4), Some(OrgUnitId(1))),
        ])
    }

    #[test]
    fn a_round_needs_a_name_a_future_deadline_and_units_that_exist() {
        let today = date("2026-12-01");
        let ok = check_request(
            " 2027 年度试点 ",
            2027,
            "2027-03-31",
            &[OrgUnitId(2), OrgUnitId(3), OrgUnitId(2)],
            true,
            &tree(),
            today,
        )
        .unwrap();
        assert_eq!(ok.name.as_str(), "2027 年度试点");
        // The section is beneath its chosen unit; the repeat is dropped.
        assert_eq!(ok.scope, [OrgUnitId(2)]);
        let errors = check_request("", 1999, "2026-11-30", &[], false, &tree(), today).unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(codes, ["round_name", "year", "deadline", "units"]);
        assert!(errors[2].message.contains("早于今天"));
        assert_eq!(errors[3].code, "empty_scope");
        let unknown = check_request(
            "试点",
            2027,
            "2027-03-31",
            &[OrgUnitId(9)],
            true,
            &tree(),
            today,
        )
        .unwrap_err();
        assert_eq!(unknown[0].code, "unknown_unit");
    }

    #[test]
    fn a_round_opens_carries_forward_or_adopts_by_the_posts_current_sheet() {
        let current = |round, round_year, stage| {
            Some(CurrentSheet {
                round,
                round_year,
                sheet: 40,
                stage,
            })
        };
        assert_eq!(opening(5, 2027, false, None), Opening::Fresh);
        assert_eq!(
            opening(5, 2027, false, current(4, 2026, Stage::Approved)),
            Opening::CarryForward { from_sheet: 40 }
        );
        // A pilot unit approved this year keeps its sheet in the district-wide round.
        assert_eq!(
            opening(5, 2027, false, current(4, 2027, Stage::Approved)),
            Opening::DoneThisYear
        );
        assert_eq!(
            opening(5, 2027, false, current(4, 2027, Stage::PublicNotice)),
            Opening::Adopt { sheet: 40 }
        );
        assert_eq!(
            opening(5, 2027, false, current(5, 2027, Stage::SelfCheck)),
            Opening::AlreadyIn
        );
        // 回头看 reopens an approved sheet of this year too.
        assert_eq!(
            opening(5, 2027, true, current(4, 2027, Stage::Approved)),
            Opening::CarryForward { from_sheet: 40 }
        );
    }

    #[test]
    fn a_key_post_is_re_reviewed_by_its_grade_and_listed_a_month_ahead() {
        let approved = date("2026-08-31");
        let re_review_due = |grade, approved| {
            crate::settings::DistrictSettings::default().re_review_due(grade, approved)
        };
        assert_eq!(
            re_review_due(SupervisionGrade::First, approved),
            date("2027-02-28")
        );
        assert_eq!(
            re_review_due(SupervisionGrade::Second, approved),
            date("2027-08-31")
        );
        assert_eq!(
            re_review_due(SupervisionGrade::Third, approved),
            date("2028-08-31")
        );
        let due = date("2027-02-28");
        assert_eq!(
            ReReview::of(due, date("2026-12-01")),
            ReReview::NotYet { days_left: 89 }
        );
        assert!(!ReReview::of(due, date("2026-12-01")).listed());
        assert_eq!(
            ReReview::of(due, date("2027-02-01")),
            ReReview::DueSoon { days_left: 27 }
        );
        assert_eq!(
            ReReview::of(due, date("2027-03-02")),
            ReReview::Overdue { days_over: 2 }
        );
        assert_eq!(ReReview::of(due, date("2027-03-02")).label(), "已逾期 2 天");
    }

    #[test]
    fn a_sheet_is_late_after_the_deadline_unless_approved_and_reminded_a_week_before() {
        let deadline = date("2026-12-31");
        let at = |today: &str, stage| Standing::of(stage, deadline, date(today));
        assert_eq!(
            at("2026-12-01", Stage::SelfCheck),
            Standing::OnTime { days_left: 30 }
        );
        assert_eq!(
            at("2026-12-24", Stage::SelfCheck),
            Standing::DueSoon { days_left: 7 }
        );
        assert_eq!(
            at("2027-01-02", Stage::SectionReview),
            Standing::Late { days_over: 2 }
        );
        assert_eq!(at("2027-01-02", Stage::Approved), Standing::Finished);
        assert!(at("2026-12-25", Stage::SelfCheck)
            .holder_reminder(Stage::SelfCheck, deadline)
            .unwrap()
            .contains("还剩 6 天"));
        assert!(at("2026-12-25", Stage::PeerReview)
            .holder_reminder(Stage::PeerReview, deadline)
            .is_none());
        assert!(at("2026-12-01", Stage::SelfCheck)
            .holder_reminder(Stage::SelfCheck, deadline)
            .is_none());
    }

    #[test]
    fn a_round_year_outside_the_plausible_range_is_refused() {
        assert_eq!(parse_year(2026).unwrap(), 2026);
        assert_eq!(parse_year(26).unwrap_err().field, "year");
    }
}

//! Inherent and residual risk (固有风险与剩余风险). A risk point's likelihood and impact rate it
//! before its measures (the inherent rating); the holder also rates it with the measures in place
//! (the residual rating), and the sheet's reviewers check both up the chain. A point is flagged
//! where its measures do not lower it: residual ≥ inherent, or every measure of it is overdue.

use serde::{Deserialize, Serialize};

use super::{IsoDate, Measure, Ratings, Score};
use crate::FieldError;

/// The residual rating: likelihood and impact with the point's measures carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residual {
    /// 剩余可能性
    pub likelihood: Score,
    /// 剩余危害程度
    pub impact: Score,
}

impl Residual {
    /// The two scores as typed: both absent or both 0 is "not rated"; otherwise both must be
    /// 1–5. Errors name the field (`residual_likelihood`, `residual_impact`) and the rule.
    pub fn parse(likelihood: Option<i64>, impact: Option<i64>) -> Result<Option<Self>, FieldError> {
        let stated = |v: Option<i64>| v.filter(|v| *v != 0);
        match (stated(likelihood), stated(impact)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(FieldError::new(
                "required",
                "residual_impact",
                "剩余危害程度须与剩余可能性一同填写",
            )),
            (None, Some(_)) => Err(FieldError::new(
                "required",
                "residual_likelihood",
                "剩余可能性须与剩余危害程度一同填写",
            )),
            (Some(l), Some(i)) => Ok(Some(Self {
                likelihood: Score::parse(l, "residual_likelihood", "剩余可能性")?,
                impact: Score::parse(i, "residual_impact", "剩余危害程度")?,
            })),
        }
    }

    /// Likelihood × impact, the score the rating matrix reads.
    pub fn score(self) -> u8 {
        self.likelihood.get() * self.impact.get()
    }
}

/// Why a risk point's measures do not lower its risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidualFlag {
    /// The residual rating is no lower than the inherent one.
    NotReduced,
    /// Every measure of the point is past its due day unfinished.
    AllOverdue,
}

impl ResidualFlag {
    pub const ALL: [Self; 2] = [Self::NotReduced, Self::AllOverdue];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotReduced => "not_reduced",
            Self::AllOverdue => "all_overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotReduced => "剩余风险未低于固有风险",
            Self::AllOverdue => "全部防控措施均已逾期",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == raw.trim())
    }

    /// The flags of a point rated `inherent`, rated `residual` with its `measures` in place, on
    /// `today`. A point with no residual rating can only be flagged for its measures.
    pub fn of(
        inherent: &Ratings,
        residual: Option<Residual>,
        measures: &[Measure],
        today: IsoDate,
    ) -> Vec<Self> {
        let mut flags = Vec::new();
        let inherent_score = inherent.likelihood.get() * inherent.impact.get();
        if residual.is_some_and(|r| r.score() >= inherent_score) {
            flags.push(Self::NotReduced);
        }
        if !measures.is_empty() && measures.iter().all(|m| m.status.overdue(m.due, today)) {
            flags.push(Self::AllOverdue);
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{MeasureKind, MeasureStatus};
    use crate::text::MeasureText;

    fn day(raw: &str) -> IsoDate {
        IsoDate::parse(raw, "day", "日期").unwrap()
    }

    fn measure(due: Option<&str>, status: MeasureStatus) -> Measure {
        let done_on = (status == MeasureStatus::Done).then(|| day("2026-03-01"));
        Measure::new(
            MeasureKind::Institutional,
            MeasureText::parse("建立审批台账，每月核对一次").unwrap(),
            None,
            due.map(day),
            status,
            done_on,
        )
        .unwrap()
    }

    fn inherent(l: i64, i: i64) -> Ratings {
        Ratings::parse(l, i, 3).unwrap()
    }

    #[test]
    fn a_residual_rating_is_both_scores_or_neither() {
        assert_eq!(Residual::parse(None, None), Ok(None));
        assert_eq!(Residual::parse(Some(0), Some(0)), Ok(None));
        let rated = Residual::parse(Some(2), Some(3)).unwrap().unwrap();
        assert_eq!(
            (rated.likelihood.get(), rated.impact.get(), rated.score()),
            (2, 3, 6)
        );
        let half = Residual::parse(Some(2), None).unwrap_err();
        assert_eq!(
            (half.code.as_str(), half.field.as_str()),
            ("required", "residual_impact")
        );
        let half = Residual::parse(Some(0), Some(4)).unwrap_err();
        assert_eq!(half.field, "residual_likelihood");
        let big = Residual::parse(Some(2), Some(6)).unwrap_err();
        assert_eq!(
            (big.code.as_str(), big.field.as_str()),
            ("out_of_range", "residual_impact")
        );
        assert!(big.message.contains("剩余危害程度"));
        let negative = Residual::parse(Some(-1), Some(2)).unwrap_err();
        assert_eq!(negative.field, "residual_likelihood");
    }

    #[test]
    fn a_point_is_flagged_where_its_measures_do_not_lower_it() {
        let today = day("2026-06-01");
        let on_time = [measure(Some("2026-12-31"), MeasureStatus::InProgress)];
        let lower = Residual::parse(Some(2), Some(3)).unwrap();
        let same = Residual::parse(Some(3), Some(4)).unwrap();
        let higher = Residual::parse(Some(5), Some(5)).unwrap();
        // 3 × 4 = 12 inherent.
        assert!(ResidualFlag::of(&inherent(3, 4), lower, &on_time, today).is_empty());
        assert_eq!(
            ResidualFlag::of(&inherent(3, 4), same, &on_time, today),
            [ResidualFlag::NotReduced],
            "equal is not lower"
        );
        assert_eq!(
            ResidualFlag::of(&inherent(3, 4), higher, &on_time, today),
            [ResidualFlag::NotReduced]
        );
        // Another split of the same score (4 × 3) is not lower either.
        let swapped = Residual::parse(Some(4), Some(3)).unwrap();
        assert_eq!(
            ResidualFlag::of(&inherent(3, 4), swapped, &on_time, today),
            [ResidualFlag::NotReduced]
        );
        assert!(ResidualFlag::of(&inherent(3, 4), None, &on_time, today).is_empty());
    }

    #[test]
    fn a_point_is_flagged_when_every_measure_is_overdue_and_not_before() {
        let late = measure(Some("2026-05-31"), MeasureStatus::InProgress);
        let due_today = measure(Some("2026-06-01"), MeasureStatus::Planned);
        let done = measure(Some("2026-02-01"), MeasureStatus::Done);
        let no_due = measure(None, MeasureStatus::Planned);
        let rating = inherent(4, 4);
        let today = day("2026-06-01");
        assert_eq!(
            ResidualFlag::of(&rating, None, std::slice::from_ref(&late), today),
            [ResidualFlag::AllOverdue]
        );
        assert!(
            ResidualFlag::of(&rating, None, &[late.clone(), due_today.clone()], today).is_empty(),
            "one measure still within its time"
        );
        assert_eq!(
            ResidualFlag::of(&rating, None, &[late.clone(), due_today], day("2026-06-02")),
            [ResidualFlag::AllOverdue],
            "the day after the last due day"
        );
        assert!(ResidualFlag::of(&rating, None, &[late.clone(), done], today).is_empty());
        assert!(ResidualFlag::of(&rating, None, &[late.clone(), no_due], today).is_empty());
        assert!(ResidualFlag::of(&rating, None, &[], today).is_empty());
        let not_lower = Residual::parse(Some(4), Some(4)).unwrap();
        assert_eq!(
            ResidualFlag::of(&rating, not_lower, &[late], today),
            [ResidualFlag::NotReduced, ResidualFlag::AllOverdue]
        );
        for flag in ResidualFlag::ALL {
            assert_eq!(ResidualFlag::parse(flag.code()), Some(flag));
        }
    }
}

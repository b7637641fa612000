//! How severe a risk is: the 1–5 scores, the three ratings of a risk point, the risk level
//! (风险等级) and the district's rating matrix that turns ratings into a level.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A rating on the 1–5 scale (可能性, 危害程度, 发生频率).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Score(u8);

impl Score {
    pub fn parse(value: i64, field: &str, label: &str) -> Result<Self, FieldError> {
        if (1..=5).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(FieldError::new(
                "out_of_range",
                field,
                format!("{label}须为 1 到 5 之间的整数（现为 {value}）"),
            ))
        }
    }

    /// Parses text such as a spreadsheet cell.
    pub fn parse_text(raw: &str, field: &str, label: &str) -> Result<Self, FieldError> {
        let value: i64 = raw.trim().parse().map_err(|_| {
            FieldError::new(
                "not_a_number",
                field,
                format!("{label}须为 1 到 5 之间的整数（现为“{}”）", raw.trim()),
            )
        })?;
        Self::parse(value, field, label)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Score {
    type Error = FieldError;
    fn try_from(value: i64) -> Result<Self, FieldError> {
        Self::parse(value, "score", "评分")
    }
}

impl From<Score> for u8 {
    fn from(value: Score) -> u8 {
        value.0
    }
}

/// The three ratings of a risk point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    /// 可能性
    pub likelihood: Score,
    /// 危害程度
    pub impact: Score,
    /// 发生频率 — how often the power is exercised; sets the supervision cadence.
    pub frequency: Score,
}

impl Ratings {
    pub fn parse(likelihood: i64, impact: i64, frequency: i64) -> Result<Self, FieldError> {
        Ok(Self {
            likelihood: Score::parse(likelihood, "likelihood", "可能性")?,
            impact: Score::parse(impact, "impact", "危害程度")?,
            frequency: Score::parse(frequency, "frequency", "发生频率")?,
        })
    }
}

/// 风险等级. Ordered from high to low so that `max` of levels is the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RiskLevel {
    /// 一级 (high)
    High,
    /// 二级 (medium)
    Medium,
    /// 三级 (low)
    Low,
}

impl RiskLevel {
    pub const ALL: [Self; 3] = [Self::High, Self::Medium, Self::Low];

    pub fn code(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::High => "一级",
            Self::Medium => "二级",
            Self::Low => "三级",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.code() == raw || l.label() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "level",
                    format!("风险等级“{raw}”无效，应为 一级、二级 或 三级"),
                )
            })
    }

    fn severity(self) -> u8 {
        match self {
            Self::High => 3,
            Self::Medium => 2,
            Self::Low => 1,
        }
    }
}

/// The district's rating matrix: the level for every likelihood × impact cell. It is data, not
/// code, so a district can change it; each sheet stores the matrix it was rated with, so a later
/// change never silently rewrites old ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MatrixCells", into = "MatrixCells")]
pub struct RatingMatrix {
    /// `cells[likelihood - 1][impact - 1]`.
    cells: [[RiskLevel; 5]; 5],
}

/// The serialised form of a [`RatingMatrix`], checked on the way in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixCells {
    pub cells: [[RiskLevel; 5]; 5],
}

impl RatingMatrix {
    /// Builds a matrix from score thresholds on likelihood × impact: `score >= high_min` is 一级,
    /// `score >= medium_min` is 二级, anything lower 三级.
    pub fn from_thresholds(high_min: u8, medium_min: u8) -> Result<Self, FieldError> {
        if !(1 <= medium_min && medium_min < high_min && high_min <= 25) {
            return Err(FieldError::new(
                "invalid_matrix",
                "rating_matrix",
                format!(
                    "评级阈值无效：须满足 1 ≤ 二级下限（{medium_min}）< 一级下限（{high_min}）≤ 25"
                ),
            ));
        }
        let mut cells = [[RiskLevel::Low; 5]; 5];
        for (l, row) in cells.iter_mut().enumerate() {
            for (i, cell) in row.iter_mut().enumerate() {
                let score = (l as u8 + 1) * (i as u8 + 1);
                *cell = if score >= high_min {
                    RiskLevel::High
                } else if score >= medium_min {
                    RiskLevel::Medium
                } else {
                    RiskLevel::Low
                };
            }
        }
        Ok(Self { cells })
    }

    /// A matrix from explicit cells. A higher likelihood or impact may never give a lower level.
    pub fn from_cells(cells: [[RiskLevel; 5]; 5]) -> Result<Self, FieldError> {
        for l in 0..5 {
            for i in 0..5 {
                let here = cells[l][i].severity();
                let lower_l = l > 0 && cells[l - 1][i].severity() > here;
                let lower_i = i > 0 && cells[l][i - 1].severity() > here;
                if lower_l || lower_i {
                    return Err(FieldError::new(
                        "invalid_matrix",
                        "rating_matrix",
                        format!(
                            "评级矩阵无效：可能性 {} × 危害程度 {} 的等级低于评分更低的格",
                            l + 1,
                            i + 1
                        ),
                    ));
                }
            }
        }
        Ok(Self { cells })
    }

    /// The level of every likelihood × impact cell: `cells()[likelihood - 1][impact - 1]`.
    pub fn cells(&self) -> &[[RiskLevel; 5]; 5] {
        &self.cells
    }

    /// The score thresholds (一级 from, 二级 from) this matrix was built from, when it is a
    /// threshold matrix (the commission's settings page edits those).
    pub fn thresholds(&self) -> Option<(u8, u8)> {
        let lowest = |level: RiskLevel| {
            (1..=25u8).find(|score| {
                (1..=5u8).any(|l| {
                    (1..=5u8).any(|i| {
                        l * i == *score
                            && self.cells[usize::from(l - 1)][usize::from(i - 1)] == level
                    })
                })
            })
        };
        let (high, medium) = (lowest(RiskLevel::High)?, lowest(RiskLevel::Medium)?);
        Self::from_thresholds(high, medium)
            .ok()
            .filter(|m| m == self)
            .map(|_| (high, medium))
    }

    /// The level of a risk with these ratings.
    pub fn level(&self, ratings: &Ratings) -> RiskLevel {
        self.cells[usize::from(ratings.likelihood.get()) - 1][usize::from(ratings.impact.get()) - 1]
    }
}

impl Default for RatingMatrix {
    /// DESIGN §3: likelihood × impact ≥ 15 → 一级, 8–14 → 二级, ≤ 7 → 三级.
    fn default() -> Self {
        Self::from_thresholds(15, 8).expect("the default thresholds are valid")
    }
}

impl TryFrom<MatrixCells> for RatingMatrix {
    type Error = FieldError;
    fn try_from(value: MatrixCells) -> Result<Self, FieldError> {
        Self::from_cells(value.cells)
    }
}

impl From<RatingMatrix> for MatrixCells {
    fn from(value: RatingMatrix) -> Self {
        Self { cells: value.cells }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings(l: i64, i: i64) -> Ratings {
        Ratings::parse(l, i, 3).unwrap()
    }

    #[test]
    fn the_default_matrix_gives_level_one_from_a_score_of_fifteen() {
        let m = RatingMatrix::default();
        assert_eq!(m.level(&ratings(3, 5)), RiskLevel::High);
        assert_eq!(m.level(&ratings(4, 4)), RiskLevel::High);
        assert_eq!(m.level(&ratings(5, 5)), RiskLevel::High);
    }

    #[test]
    fn the_default_matrix_gives_level_two_from_eight_to_fourteen() {
        let m = RatingMatrix::default();
        assert_eq!(m.level(&ratings(2, 4)), RiskLevel::Medium);
        assert_eq!(m.level(&ratings(3, 3)), RiskLevel::Medium);
        assert_eq!(m.level(&ratings(2, 5)), RiskLevel::Medium);
        assert_eq!(m.level(&ratings(4, 3)), RiskLevel::Medium);
    }

    #[test]
    fn the_default_matrix_gives_level_three_up_to_seven() {
        let m = RatingMatrix::default();
        assert_eq!(m.level(&ratings(1, 1)), RiskLevel::Low);
        assert_eq!(m.level(&ratings(2, 3)), RiskLevel::Low);
        assert_eq!(m.level(&ratings(1, 5)), RiskLevel::Low);
    }

    #[test]
    fn a_changed_matrix_changes_levels_and_survives_serialisation() {
        let strict = RatingMatrix::from_thresholds(12, 6).unwrap();
        assert_eq!(strict.level(&ratings(3, 4)), RiskLevel::High);
        let json = serde_json::to_string(&strict).unwrap();
        let back: RatingMatrix = serde_json::from_str(&json).unwrap();
        assert_eq!(back, strict);
    }

    #[test]
    fn a_threshold_matrix_tells_its_thresholds() {
        assert_eq!(RatingMatrix::default().thresholds(), Some((15, 8)));
        assert_eq!(
            RatingMatrix::from_thresholds(12, 6).unwrap().thresholds(),
            Some((12, 6))
        );
        let mut cells = *RatingMatrix::default().cells();
        cells[4][4] = RiskLevel::High;
        cells[0][4] = RiskLevel::Medium; // 1 × 5 = 5 is 二级 here, but 2 × 3 = 6 stays 三级
        assert_eq!(RatingMatrix::from_cells(cells).unwrap().thresholds(), None);
    }

    #[test]
    fn a_matrix_where_a_higher_rating_gives_a_lower_level_is_refused() {
        let mut cells = [[RiskLevel::Low; 5]; 5];
        cells[0][0] = RiskLevel::High;
        let err = RatingMatrix::from_cells(cells).unwrap_err();
        assert_eq!(err.code, "invalid_matrix");
        assert!(RatingMatrix::from_thresholds(8, 15).is_err());
    }

    #[test]
    fn ratings_outside_one_to_five_are_refused_naming_the_field() {
        let err = Ratings::parse(0, 3, 3).unwrap_err();
        assert_eq!(err.field, "likelihood");
        assert!(err.message.contains("可能性须为 1 到 5 之间的整数"));
        let err = Ratings::parse(3, 6, 3).unwrap_err();
        assert_eq!(err.field, "impact");
        let err = Score::parse_text("高", "frequency", "发生频率").unwrap_err();
        assert_eq!(err.code, "not_a_number");
    }
}

//! The parts of a risk point (风险点): category, power type, ratings and level, and prevention
//! measures (防控措施). A whole risk point as entered is `sync::ValidRiskPoint`.

use serde::{Deserialize, Serialize};

use crate::{
    text::{MeasureText, PersonName},
    FieldError,
};

/// 风险类别 — where a risk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskCategory {
    /// 思想道德
    Ethics,
    /// 岗位职责
    Duty,
    /// 业务流程
    Process,
    /// 制度机制
    Institutional,
    /// 外部环境
    External,
}

impl RiskCategory {
    pub const ALL: [Self; 5] = [
        Self::Ethics,
        Self::Duty,
        Self::Process,
        Self::Institutional,
        Self::External,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ethics => "ethics",
            Self::Duty => "duty",
            Self::Process => "process",
            Self::Institutional => "institutional",
            Self::External => "external",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ethics => "思想道德",
            Self::Duty => "岗位职责",
            Self::Process => "业务流程",
            Self::Institutional => "制度机制",
            Self::External => "外部环境",
        }
    }

    /// Accepts the code, the label, or the label with the suffix 风险 as in `制度机制风险`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let bare = raw.strip_suffix("风险").unwrap_or(raw);
        Self::ALL
            .into_iter()
            .find(|c| c.code() == raw || c.label() == bare)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "category",
                    format!("风险类别“{raw}”无效，应为 思想道德、岗位职责、业务流程、制度机制 或 外部环境"),
                )
            })
    }
}

/// 权力类型 — the kind of power a risk attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerKind {
    Decision,
    Approval,
    Licensing,
    Penalty,
    Confirmation,
    Discretion,
    OnTheSpot,
    Personnel,
    Finance,
    Procurement,
    FundAllocation,
    ProjectManagement,
    Inspection,
    AssetManagement,
    InternalManagement,
    Other,
}

impl PowerKind {
    pub const ALL: [Self; 16] = [
        Self::Decision,
        Self::Approval,
        Self::Licensing,
        Self::Penalty,
        Self::Confirmation,
        Self::Discretion,
        Self::OnTheSpot,
        Self::Personnel,
        Self::Finance,
        Self::Procurement,
        Self::FundAllocation,
        Self::ProjectManagement,
        Self::Inspection,
        Self::AssetManagement,
        Self::InternalManagement,
        Self::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Decision => "决策",
            Self::Approval => "行政审批",
            Self::Licensing => "行政许可",
            Self::Penalty => "行政处罚",
            Self::Confirmation => "行政确认",
            Self::Discretion => "自由裁量",
            Self::OnTheSpot => "现场即决",
            Self::Personnel => "人事",
            Self::Finance => "财务",
            Self::Procurement => "物资采购",
            Self::FundAllocation => "资金分配",
            Self::ProjectManagement => "项目管理",
            Self::Inspection => "监督检查",
            Self::AssetManagement => "资产管理",
            Self::InternalManagement => "内部管理",
            Self::Other => "其他",
        }
    }
}

/// A power type as written by the unit (`行政处罚权（现场即决）`), with the kind it falls under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PowerType {
    kind: PowerKind,
    label: String,
}

impl PowerType {
    pub const MAX_CHARS: usize = 40;

    /// The kind is the known power whose name starts the label, once a trailing 权 and any
    /// bracketed qualifier are set aside: `行政确认和审核权（自由裁量）` is a 行政确认 power.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let label = crate::text::check_length(raw, "power_type", "权力类型", 1, Self::MAX_CHARS)?;
        let base = label
            .split(['（', '('])
            .next()
            .unwrap_or(&label)
            .trim()
            .trim_end_matches('权');
        let kind = PowerKind::ALL
            .into_iter()
            .find(|k| base.starts_with(k.label()))
            .unwrap_or(PowerKind::Other);
        Ok(Self { kind, label })
    }

    pub fn kind(&self) -> PowerKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.label
    }
}

impl TryFrom<String> for PowerType {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Self::parse(&raw)
    }
}

impl From<PowerType> for String {
    fn from(value: PowerType) -> String {
        value.label
    }
}

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

/// 防控措施的类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MeasureKind {
    /// 制度防范
    Institutional,
    /// 监督预警
    Supervision,
    /// 教育防范
    Education,
}

impl MeasureKind {
    pub const ALL: [Self; 3] = [Self::Institutional, Self::Supervision, Self::Education];

    pub fn code(self) -> &'static str {
        match self {
            Self::Institutional => "institutional",
            Self::Supervision => "supervision",
            Self::Education => "education",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Institutional => "制度防范",
            Self::Supervision => "监督预警",
            Self::Education => "教育防范",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.code() == raw || k.label() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "measure_kind",
                    format!("措施类型“{raw}”无效，应为 制度防范、监督预警 或 教育防范"),
                )
            })
    }
}

/// Where a measure stands: 未开始, 进行中 or 已完成 (a finished measure also carries the day it
/// was finished, see [`Measure::done_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeasureStatus {
    /// 未开始
    Planned,
    /// 进行中
    InProgress,
    /// 已完成
    Done,
}

impl MeasureStatus {
    pub const ALL: [Self; 3] = [Self::Planned, Self::InProgress, Self::Done];

    pub fn code(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "未开始",
            Self::InProgress => "进行中",
            Self::Done => "已完成",
        }
    }

    /// Other words tables use for the same status.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Planned => &["未落实"],
            Self::InProgress => &["落实中"],
            Self::Done => &["已落实"],
        }
    }

    /// Progress as lists and tables write it: `已完成（2026-11-30）` for a finished measure with its
    /// day, else the label alone.
    pub fn with_day(self, done_on: Option<IsoDate>) -> String {
        match done_on {
            Some(day) => format!("{}（{day}）", self.label()),
            None => self.label().to_owned(),
        }
    }

    /// Reads what [`Self::with_day`] writes (the day may also follow in ASCII brackets or after
    /// a space). Whether the day belongs with the status is [`Measure::new`]'s rule.
    pub fn parse_with_day(raw: &str) -> Result<(Self, Option<IsoDate>), FieldError> {
        let raw = raw.trim();
        let split = raw
            .find(['（', '(', ' '])
            .map(|at| (&raw[..at], &raw[at..]))
            .unwrap_or((raw, ""));
        let status = Self::parse(split.0)?;
        let day = split
            .1
            .trim()
            .trim_start_matches(['（', '('])
            .trim_end_matches(['）', ')'])
            .trim();
        if day.is_empty() {
            return Ok((status, None));
        }
        Ok((status, Some(IsoDate::parse(day, "done_on", "完成日期")?)))
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.code() == raw || s.label() == raw || s.aliases().contains(&raw))
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "status",
                    format!("措施状态“{raw}”无效，应为 未开始、进行中 或 已完成"),
                )
            })
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoDate {
    year: u16,
    month: u8,
    day: u8,
}

impl IsoDate {
    pub fn parse(raw: &str, field: &str, label: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "invalid_date",
                field,
                format!(
                    "{label}“{}”不是有效日期，格式应为 年-月-日，如 2026-12-31",
                    raw.trim()
                ),
            )
        };
        let raw = raw.trim();
        let mut parts = raw.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(invalid());
        }
        let year: u16 = y.parse().map_err(|_| invalid())?;
        let month: u8 = m.parse().map_err(|_| invalid())?;
        let day: u8 = d.parse().map_err(|_| invalid())?;
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days_in_month).contains(&day) {
            return Err(invalid());
        }
        Ok(Self { year, month, day })
    }
}

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for IsoDate {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Self, FieldError> {
        Self::parse(&raw, "date", "日期")
    }
}

impl From<IsoDate> for String {
    fn from(value: IsoDate) -> String {
        value.to_string()
    }
}

/// What separates the items of a list cell (measures, and each measure's owner, due date and
/// progress) in risk tables: the full-width and the ASCII semicolon.
pub const LIST_SEPARATORS: [char; 2] = ['；', ';'];

/// A prevention measure of a risk point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub kind: MeasureKind,
    pub text: MeasureText,
    /// 责任人
    pub owner: Option<PersonName>,
    /// 完成时限
    pub due: Option<IsoDate>,
    pub status: MeasureStatus,
    /// The day a finished measure was finished; present exactly when `status` is `Done`.
    pub done_on: Option<IsoDate>,
}

impl Measure {
    /// A measure from its parsed parts, with the rules that tie them together: a finished
    /// measure carries the day it was finished and no other does, and an owner's name has no
    /// semicolon (tables list one owner per measure, separated by semicolons). An error names
    /// the part (`done_on`, `owner`); the caller says which measure.
    pub fn new(
        kind: MeasureKind,
        text: MeasureText,
        owner: Option<PersonName>,
        due: Option<IsoDate>,
        status: MeasureStatus,
        done_on: Option<IsoDate>,
    ) -> Result<Self, FieldError> {
        if owner
            .as_ref()
            .is_some_and(|o| o.as_str().contains(LIST_SEPARATORS))
        {
            return Err(FieldError::new(
                "separator_in_name",
                "owner",
                "责任人姓名中不能有分号；多名责任人请用顿号（、）分隔",
            ));
        }
        match (status, done_on) {
            (MeasureStatus::Done, None) => Err(FieldError::new(
                "required",
                "done_on",
                "已完成的措施须填写完成日期",
            )),
            (status, Some(_)) if status != MeasureStatus::Done => Err(FieldError::new(
                "not_done",
                "done_on",
                format!("措施状态为“{}”，不能填写完成日期", status.label()),
            )),
            (status, done_on) => Ok(Self {
                kind,
                text,
                owner,
                due,
                status,
                done_on,
            }),
        }
    }

    /// Splits the measures cell of an existing risk table
    /// (`制度防范：…；…；监督预警：…；教育防范：…`) into measures. A segment that does not start
    /// with a kind belongs to the measure before it; text before any kind is refused.
    pub fn parse_cell(cell: &str) -> Result<Vec<(MeasureKind, MeasureText)>, FieldError> {
        let mut found: Vec<(MeasureKind, String)> = Vec::new();
        for segment in cell
            .split(LIST_SEPARATORS)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let started = MeasureKind::ALL.into_iter().find_map(|kind| {
                segment
                    .strip_prefix(kind.label())
                    .and_then(|rest| rest.strip_prefix('：').or_else(|| rest.strip_prefix(':')))
                    .map(|rest| (kind, rest.trim().to_owned()))
            });
            match (started, found.last_mut()) {
                (Some(measure), _) => found.push(measure),
                (None, Some((_, text))) => {
                    text.push('；');
                    text.push_str(segment);
                }
                (None, None) => {
                    return Err(FieldError::new(
                        "measure_kind_missing",
                        "measures",
                        format!(
                        "防控措施须以“制度防范：”“监督预警：”或“教育防范：”开头（现为“{segment}”）"
                    ),
                    ))
                }
            }
        }
        if found.is_empty() {
            return Err(FieldError::new("required", "measures", "防控措施不能为空"));
        }
        found
            .into_iter()
            .map(|(kind, text)| MeasureText::parse(&text).map(|t| (kind, t)))
            .collect()
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

    #[test]
    fn categories_parse_with_or_without_the_risk_suffix() {
        assert_eq!(
            RiskCategory::parse("制度机制风险").unwrap(),
            RiskCategory::Institutional
        );
        assert_eq!(
            RiskCategory::parse("思想道德").unwrap(),
            RiskCategory::Ethics
        );
        assert_eq!(RiskCategory::parse("钱财").unwrap_err().field, "category");
    }

    #[test]
    fn power_types_keep_their_label_and_find_their_kind() {
        let p = PowerType::parse("行政处罚权（现场即决）").unwrap();
        assert_eq!(p.kind(), PowerKind::Penalty);
        assert_eq!(p.as_str(), "行政处罚权（现场即决）");
        assert_eq!(
            PowerType::parse("行政确认和审核权（自由裁量）")
                .unwrap()
                .kind(),
            PowerKind::Confirmation
        );
        assert_eq!(
            PowerType::parse("决策权").unwrap().kind(),
            PowerKind::Decision
        );
        assert_eq!(
            PowerType::parse("招商引资权").unwrap().kind(),
            PowerKind::Other
        );
        assert!(PowerType::parse(" ").is_err());
    }

    #[test]
    fn a_measures_cell_splits_into_one_measure_per_kind() {
        let cell = "制度防范：集体决策，纪要留档；主要负责人不直接分管财务；监督预警：年度述职述廉；教育防范：任前廉政谈话";
        let measures = Measure::parse_cell(cell).unwrap();
        assert_eq!(measures.len(), 3);
        assert_eq!(measures[0].0, MeasureKind::Institutional);
        assert_eq!(
            measures[0].1.as_str(),
            "集体决策，纪要留档；主要负责人不直接分管财务"
        );
        assert_eq!(measures[1].0, MeasureKind::Supervision);
        assert_eq!(measures[2].1.as_str(), "任前廉政谈话");
    }

    #[test]
    fn a_measures_cell_without_a_kind_is_refused() {
        let err = Measure::parse_cell("加强学习").unwrap_err();
        assert_eq!(err.code, "measure_kind_missing");
        assert_eq!(Measure::parse_cell("").unwrap_err().code, "required");
    }

    #[test]
    fn measure_statuses_read_their_labels_and_the_older_words_for_them() {
        assert_eq!(
            MeasureStatus::parse("进行中").unwrap(),
            MeasureStatus::InProgress
        );
        assert_eq!(MeasureStatus::parse("已落实").unwrap(), MeasureStatus::Done);
        assert_eq!(MeasureStatus::parse("done").unwrap(), MeasureStatus::Done);
        assert_eq!(MeasureStatus::Done.label(), "已完成");
        assert_eq!(
            MeasureStatus::parse("差不多").unwrap_err().code,
            "unknown_value"
        );
    }

    #[test]
    fn progress_with_its_day_reads_back_as_it_is_written() {
        let day = IsoDate::parse("2026-11-30", "done_on", "完成日期").unwrap();
        let written = MeasureStatus::Done.with_day(Some(day));
        assert_eq!(written, "已完成（2026-11-30）");
        assert_eq!(
            MeasureStatus::parse_with_day(&written).unwrap(),
            (MeasureStatus::Done, Some(day))
        );
        assert_eq!(
            MeasureStatus::parse_with_day("已完成 2026-11-30").unwrap(),
            (MeasureStatus::Done, Some(day))
        );
        assert_eq!(
            MeasureStatus::parse_with_day("进行中").unwrap(),
            (MeasureStatus::InProgress, None)
        );
        assert_eq!(
            MeasureStatus::parse_with_day("已完成（昨天）")
                .unwrap_err()
                .code,
            "invalid_date"
        );
    }

    #[test]
    fn a_finished_measure_carries_its_day_and_an_unfinished_one_none() {
        let text = MeasureText::parse("计量单须三方签认").unwrap();
        let day = IsoDate::parse("2026-11-30", "done_on", "完成日期").unwrap();
        let kind = MeasureKind::Institutional;
        let make = |status, done_on| Measure::new(kind, text.clone(), None, None, status, done_on);
        assert!(make(MeasureStatus::Done, Some(day)).is_ok());
        assert_eq!(
            make(MeasureStatus::Done, None).unwrap_err().field,
            "done_on"
        );
        assert_eq!(
            make(MeasureStatus::Planned, Some(day)).unwrap_err().code,
            "not_done"
        );
        let semicolon = PersonName::parse("李娜；王芳").ok();
        assert_eq!(
            Measure::new(
                kind,
                text.clone(),
                semicolon,
                None,
                MeasureStatus::Planned,
                None
            )
            .unwrap_err()
            .code,
            "separator_in_name"
        );
    }

    #[test]
    fn dates_must_exist_on_the_calendar() {
        assert_eq!(
            IsoDate::parse("2028-02-29", "due", "完成时限")
                .unwrap()
                .to_string(),
            "2028-02-29"
        );
        assert!(IsoDate::parse("2026-02-29", "due", "完成时限").is_err());
        assert!(IsoDate::parse("2026-13-01", "due", "完成时限").is_err());
        let err = IsoDate::parse("2026/12/31", "due", "完成时限").unwrap_err();
        assert_eq!(err.code, "invalid_date");
        assert!(err.message.contains("完成时限"));
    }
}

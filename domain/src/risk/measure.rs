//! Prevention measures (防控措施): their kind and status, and how a measure and a risk table's
//! measures cell are read.

use serde::{Deserialize, Serialize};

use super::IsoDate;
use crate::{
    text::{MeasureText, PersonName},
    FieldError,
};

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

    /// A finished measure carries the day it was finished, and no other does.
    pub fn check_done_on(self, done_on: Option<IsoDate>) -> Result<(), FieldError> {
        match (self, done_on) {
            (Self::Done, None) => Err(FieldError::new(
                "required",
                "done_on",
                "已完成的措施须填写完成日期",
            )),
            (status, Some(_)) if status != Self::Done => Err(FieldError::new(
                "not_done",
                "done_on",
                format!("措施状态为“{}”，不能填写完成日期", status.label()),
            )),
            _ => Ok(()),
        }
    }

    /// Whether a measure due on `due` and standing at this status is 逾期 on `today`: its day
    /// has passed and it is not finished. Computed whenever it is shown, never stored.
    pub fn overdue(self, due: Option<IsoDate>, today: IsoDate) -> bool {
        self != Self::Done && due.is_some_and(|due| due < today)
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
        status.check_done_on(done_on)?;
        Ok(Self {
            kind,
            text,
            owner,
            due,
            status,
            done_on,
        })
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
}

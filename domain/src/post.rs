//! Posts (岗位) and their duties. Risks belong to the post, not the person (对岗不对人): a post's
//! risk points pass to whoever holds it.

use serde::{Deserialize, Serialize};

use crate::{
    ids::{OrgUnitId, PostId, UserId},
    text::{DutyText, PostTitle},
    FieldError,
};

/// The three levels of post. The leadership level has a shorter approval chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PostLevel {
    /// 领导岗位
    Leadership,
    /// 中层岗位
    Middle,
    /// 其它岗位
    General,
}

impl PostLevel {
    pub const ALL: [Self; 3] = [Self::Leadership, Self::Middle, Self::General];

    pub fn code(self) -> &'static str {
        match self {
            Self::Leadership => "leadership",
            Self::Middle => "middle",
            Self::General => "general",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Leadership => "领导岗位",
            Self::Middle => "中层岗位",
            Self::General => "其它岗位",
        }
    }

    /// Accepts the stable code or the Chinese label (also the common variant 其他岗位).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|level| level.code() == raw || level.label() == raw)
            .or((raw == "其他岗位").then_some(Self::General))
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "post_level",
                    format!("岗位层级“{raw}”无效，应为 领导岗位、中层岗位 或 其它岗位"),
                )
            })
    }
}

/// The commission's supervision grade of a key post (重点岗位监督等级), which sets how often its
/// sheet is looked at again (DESIGN §8: 一级 every 6 months, 二级 12, 三级 24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionGrade {
    First,
    Second,
    Third,
}

impl SupervisionGrade {
    pub const ALL: [Self; 3] = [Self::First, Self::Second, Self::Third];

    pub fn code(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Second => "second",
            Self::Third => "third",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::First => "一级",
            Self::Second => "二级",
            Self::Third => "三级",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|g| g.code() == raw || g.label() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    "unknown_value",
                    "grade",
                    format!("监督等级“{raw}”无效，应为 一级、二级 或 三级"),
                )
            })
    }
}

/// The commission's marks on a post: whether it is a key post (重点岗位) and, for a key post
/// only, its supervision grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostMarks {
    key_post: bool,
    grade: Option<SupervisionGrade>,
}

impl PostMarks {
    /// The marks a new post gets: leadership posts are key posts; nobody has graded it yet.
    pub fn default_for(level: PostLevel) -> Self {
        Self {
            key_post: level == PostLevel::Leadership,
            grade: None,
        }
    }

    /// Marks as given; a grade needs a key post.
    pub fn new(key_post: bool, grade: Option<SupervisionGrade>) -> Result<Self, FieldError> {
        if grade.is_some() && !key_post {
            return Err(FieldError::new(
                "grade_needs_key_post",
                "grade",
                "只有重点岗位才能设定监督等级",
            ));
        }
        Ok(Self { key_post, grade })
    }

    pub fn key_post(self) -> bool {
        self.key_post
    }

    pub fn grade(self) -> Option<SupervisionGrade> {
        self.grade
    }
}

/// 是 / 否 as risk tables write a yes-or-no column (also 1/0, Y/N and the English words).
pub fn parse_yes_no(raw: &str, field: &str, label: &str) -> Result<bool, FieldError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "是" | "1" | "y" | "yes" | "true" => Ok(true),
        "否" | "0" | "n" | "no" | "false" => Ok(false),
        other => Err(FieldError::new(
            "unknown_value",
            field,
            format!("{label}“{other}”无效，应为 是 或 否"),
        )),
    }
}

/// A post in an organisational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub unit: OrgUnitId,
    pub title: PostTitle,
    pub level: PostLevel,
    /// 关键岗位: supervised more closely.
    pub key_post: bool,
    pub holders: Vec<UserId>,
}

impl Post {
    pub fn is_held_by(&self, user: UserId) -> bool {
        self.holders.contains(&user)
    }
}

/// One duty of a post (岗位职责).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    pub post: PostId,
    pub text: DutyText,
}

/// A holding of a post as the handover rule sees it: from `start` (unknown when it began before
/// the system kept dates) until `end`, the handover day, exclusive (open while current).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldingSpan {
    pub start: Option<crate::risk::IsoDate>,
    pub end: Option<crate::risk::IsoDate>,
}

/// 轮岗交流: whether a person may start holding a post on `on`, given their holdings of it so far
/// and `today`. A handover is recorded on the day it happens or after, never ahead; a person holds
/// a post at most once at a time, so a start inside (or before the end of) an earlier holding of
/// the same post by the same person is refused.
pub fn check_new_holding(
    earlier: &[HoldingSpan],
    on: crate::risk::IsoDate,
    today: crate::risk::IsoDate,
) -> Result<(), FieldError> {
    if on > today {
        return Err(FieldError::new(
            "in_the_future",
            "started_on",
            format!("交接日期 {on} 晚于今天（{today}），请在交接当天或之后登记"),
        ));
    }
    for span in earlier {
        let overlaps = match span.end {
            None => true,
            Some(end) => end > on,
        };
        if overlaps {
            let since = span.start.map(|d| format!("自 {d} 起")).unwrap_or_default();
            let until = span
                .end
                .map(|d| format!("至 {d}"))
                .unwrap_or("至今".to_owned());
            return Err(FieldError::new(
                "overlapping_holding",
                "started_on",
                format!("该人员{since}{until}已在此岗位任职，与交接日期 {on} 重叠"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_levels_parse_from_chinese_labels_and_codes() {
        assert_eq!(PostLevel::parse("领导岗位").unwrap(), PostLevel::Leadership);
        assert_eq!(PostLevel::parse("中层岗位").unwrap(), PostLevel::Middle);
        assert_eq!(PostLevel::parse("其他岗位").unwrap(), PostLevel::General);
        assert_eq!(PostLevel::parse("general").unwrap(), PostLevel::General);
    }

    #[test]
    fn only_a_key_post_has_a_supervision_grade() {
        assert_eq!(
            PostMarks::new(false, Some(SupervisionGrade::First))
                .unwrap_err()
                .code,
            "grade_needs_key_post"
        );
        let marks = PostMarks::new(true, Some(SupervisionGrade::Second)).unwrap();
        assert_eq!(marks.grade(), Some(SupervisionGrade::Second));
        assert!(PostMarks::default_for(PostLevel::Leadership).key_post());
        assert!(!PostMarks::default_for(PostLevel::General).key_post());
        assert!(parse_yes_no("是", "key_post", "重点岗位").unwrap());
        assert_eq!(
            parse_yes_no("也许", "key_post", "重点岗位")
                .unwrap_err()
                .code,
            "unknown_value"
        );
    }

    #[test]
    fn an_unknown_post_level_names_the_allowed_values() {
        let err = PostLevel::parse("普通岗").unwrap_err();
        assert_eq!(err.code, "unknown_value");
        assert_eq!(err.field, "post_level");
        assert!(err.message.contains("领导岗位"));
    }

    #[test]
    fn a_person_holds_a_post_once_at_a_time_and_handovers_are_not_recorded_ahead() {
        let d = |s: &str| crate::risk::IsoDate::parse(s, "d", "日期").unwrap();
        let today = d("2026-12-01");
        assert!(check_new_holding(&[], d("2026-12-01"), today).is_ok());
        assert_eq!(
            check_new_holding(&[], d("2026-12-02"), today)
                .unwrap_err()
                .code,
            "in_the_future"
        );
        let current = HoldingSpan {
            start: None,
            end: None,
        };
        let err = check_new_holding(&[current], d("2026-11-01"), today).unwrap_err();
        assert_eq!(err.code, "overlapping_holding");
        assert!(err.message.contains("至今"));
        let past = HoldingSpan {
            start: Some(d("2024-01-01")),
            end: Some(d("2025-06-30")),
        };
        assert!(check_new_holding(&[past], d("2025-06-30"), today).is_ok());
        assert!(check_new_holding(&[past], d("2026-01-01"), today).is_ok());
        let err = check_new_holding(&[past], d("2025-03-01"), today).unwrap_err();
        assert!(err.message.contains("自 2024-01-01 起至 2025-06-30"));
    }
}

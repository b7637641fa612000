//! Bounded, trimmed text values. Each type is valid by construction: a description that exists is
//! non-empty and within its length limit, so nothing downstream checks again.

use crate::FieldError;

/// Defines a newtype over `String` whose only constructor trims the input and enforces a length
/// range counted in characters (a Chinese character counts as one).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, label = $label:literal, min = $min:literal, max = $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The field name used in error messages and wire formats.
            pub const FIELD: &'static str = $field;
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                $crate::text::check_length(raw, $field, $label, $min, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(raw: String) -> Result<Self, FieldError> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// At most `max` characters of `text` (at least one), with an ellipsis when cut: for texts made
/// from others (a warning's reason, a notice) that must fit their own bounds.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Trims `raw` and checks its length in characters; control characters other than line breaks
/// are refused because they break exports and printouts.
pub fn check_length(
    raw: &str,
    field: &str,
    label: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 && min > 0 {
        return Err(FieldError::new(
            "required",
            field,
            format!("{label}不能为空"),
        ));
    }
    if chars < min {
        return Err(FieldError::new(
            "too_short",
            field,
            format!("{label}至少需要 {min} 个字符"),
        ));
    }
    if chars > max {
        return Err(FieldError::new(
            "too_long",
            field,
            format!("{label}不能超过 {max} 个字符（现为 {chars} 个）"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            "invalid_character",
            field,
            format!("{label}含有不可见的控制字符"),
        ));
    }
    Ok(value.to_owned())
}

bounded_text!(
    /// A person's name as shown on sheets and commitments (姓名).
    PersonName, field = "display_name", label = "姓名", min = 1, max = 40
);
bounded_text!(
    /// The name of an organisational unit (单位/科室/村·社区名称).
    UnitName, field = "unit_name", label = "单位名称", min = 1, max = 80
);
bounded_text!(
    /// The name of a post (岗位名称).
    PostTitle, field = "post_title", label = "岗位名称", min = 1, max = 80
);
bounded_text!(
    /// What a post does (岗位职责).
    DutyText, field = "duty", label = "岗位职责", min = 1, max = 500
);
bounded_text!(
    /// A risk point's description (风险点描述).
    RiskDescription, field = "description", label = "风险点描述", min = 4, max = 500
);
bounded_text!(
    /// A district catalogue entry's canonical wording (风险库条目的统一表述).
    EntryWording, field = "wording", label = "风险库条目表述", min = 4, max = 500
);
bounded_text!(
    /// How a risk shows itself in practice (表现形式).
    Manifestation, field = "manifestation", label = "表现形式", min = 1, max = 500
);
bounded_text!(
    /// The content of a prevention measure (防控措施内容).
    MeasureText, field = "measure", label = "防控措施内容", min = 2, max = 500
);
bounded_text!(
    /// Why a reviewer sends a sheet back (退回理由); every return needs one.
    ReturnReason, field = "reason", label = "退回理由", min = 2, max = 500
);
bounded_text!(
    /// A colleague's peer-review comment (互评意见).
    ReviewComment, field = "comment", label = "互评意见", min = 2, max = 1000
);
bounded_text!(
    /// Why the holder declines a suggested risk point (不采纳理由).
    DeclineReason, field = "reason", label = "不采纳理由", min = 2, max = 500
);
bounded_text!(
    /// Who attended the collective-review meeting (参会人员).
    Attendees, field = "attendees", label = "参会人员", min = 2, max = 500
);
bounded_text!(
    /// What the collective-review meeting decided (会议决定).
    MeetingDecision, field = "decision", label = "会议决定", min = 2, max = 500
);
bounded_text!(
    /// Where the meeting's minutes are filed (会议纪要编号).
    MinutesRef, field = "minutes_ref", label = "会议纪要编号", min = 1, max = 100
);
bounded_text!(
    /// An objection filed during the public notice (异议内容).
    ObjectionText, field = "text", label = "异议内容", min = 5, max = 1000
);
bounded_text!(
    /// How to reach the person who objected, if they want an answer (联系方式).
    ObjectionContact, field = "contact", label = "联系方式", min = 1, max = 100
);
bounded_text!(
    /// The liaison's answer to an objection (处理意见).
    ObjectionResponse, field = "response", label = "处理意见", min = 2, max = 1000
);
bounded_text!(
    /// The name of a round of risk identification (排查批次名称).
    RoundName, field = "round_name", label = "排查批次名称", min = 2, max = 60
);
bounded_text!(
    /// The district leader in charge of a unit (分管区领导), as the commission writes it:
    /// `副区长 李明`.
    LeaderName, field = "district_leader", label = "分管区领导", min = 1, max = 40
);

bounded_text!(
    /// 预警事由: why the warning is raised (the finding, the complaint's substance).
    WarningReason, field = "reason", label = "预警事由", min = 1, max = 1000
);
bounded_text!(
    /// 来源编号: the complaint's, inspection's or audit's own reference, for example 区信访〔2026〕12号.
    SourceRef, field = "source_ref", label = "来源编号", min = 1, max = 100
);
bounded_text!(
    /// 原因分析: the subject's analysis of why it happened.
    AnswerAnalysis, field = "analysis", label = "原因分析", min = 1, max = 2000
);
bounded_text!(
    /// 整改措施: what the subject will do, by when.
    AnswerMeasures, field = "measures", label = "整改措施", min = 1, max = 2000
);
bounded_text!(
    /// 退回理由: why the issuer sends an answer back.
    SendBackReason, field = "reason", label = "退回理由", min = 1, max = 500
);
bounded_text!(
    /// 落实情况说明: what the holder did for a measure, written with each progress report.
    ProgressNote, field = "note", label = "落实情况说明", min = 2, max = 500
);
bounded_text!(
    /// 退回理由: why the section head sends a finished measure back at the check (检验).
    CheckReason, field = "reason", label = "退回理由", min = 2, max = 500
);
bounded_text!(
    /// 谈话人: who held a one-to-one talk, as the record names them (`区纪委书记 王某`).
    TalkerName, field = "talker", label = "谈话人", min = 1, max = 40
);
bounded_text!(
    /// 作废原因: why a talk or session recorded by mistake is voided.
    VoidReason, field = "reason", label = "作废原因", min = 2, max = 200
);
bounded_text!(
    /// 谈话主题 / 教育主题: what a talk or a collective session was about.
    EducationTopic, field = "topic", label = "主题", min = 2, max = 200
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        let name = PersonName::parse("  张三  ").unwrap();
        assert_eq!(name.as_str(), "张三");
        let forty = "廉".repeat(40);
        assert!(PersonName::parse(&forty).is_ok());
        let err = PersonName::parse(&"廉".repeat(41)).unwrap_err();
        assert_eq!(err.code, "too_long");
        assert_eq!(err.field, "display_name");
        assert!(err.message.contains("姓名不能超过 40 个字符"));
    }

    #[test]
    fn blank_text_is_refused_with_a_required_error() {
        let err = RiskDescription::parse("   ").unwrap_err();
        assert_eq!(err.code, "required");
        assert_eq!(err.message, "风险点描述不能为空");
    }

    #[test]
    fn control_characters_are_refused() {
        let err = DutyText::parse("审批\u{0007}项目").unwrap_err();
        assert_eq!(err.code, "invalid_character");
    }

    #[test]
    fn deserialising_validates_too() {
        let err = serde_json::from_str::<PostTitle>("\"\"").unwrap_err();
        assert!(err.to_string().contains("岗位名称不能为空"));
    }
}

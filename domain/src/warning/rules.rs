//! 预警规则: warnings a rule raises by itself, switched on and tuned by the commission (DESIGN §8).
//! A rule reads facts the server gathers (a measure's due day, a commitment's day of issue, a
//! key post's 回头看 due day, the day a sheet reached its stage) and, on the caller's `today`,
//! finds the causes that have passed its threshold. A cause names one occurrence of one fact (a
//! measure with its due day, a sheet at a stage since a day), so a rule raises one warning per
//! cause, ever: a rule run twice, or every ten minutes, raises nothing new, and a measure given a
//! new due day is a new cause.

use std::collections::HashSet;

use crate::text::clip;

use serde::{Deserialize, Serialize};

use super::{Handling, Level};
use crate::{
    ids::{OrgUnitId, UserId},
    risk::{IsoDate, ResidualFlag},
    stage::Stage,
    FieldError,
};

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// 防范措施逾期未落实: a measure of a published sheet is unfinished N days after its due day.
    MeasureOverdue,
    /// 廉政承诺逾期未签: a commitment is unsigned N days after it was generated.
    CommitmentUnsigned,
    /// 回头看逾期: a key post's re-review is N days overdue.
    ReReviewOverdue,
    /// 排查表滞留: a sheet has stood at one stage of the chain for N days.
    SheetStuck,
    /// 廉政谈话缺失: a key post's holder had no integrity talk in a period their grade owes one,
    /// N days after it ended.
    TalkMissing,
    /// 公示异议成立: an objection to a public notice was found upheld N days ago.
    ObjectionUpheld,
    /// 剩余风险未降低: a risk point of a published sheet is flagged
    /// ([`crate::risk::ResidualFlag`]): rated no lower with its measures than without, for N days
    /// since publication, or every measure of it overdue for N days since the last due day.
    ResidualFlag,
}

impl RuleKind {
    pub const ALL: [Self; 7] = [
        Self::MeasureOverdue,
        Self::CommitmentUnsigned,
        Self::ReReviewOverdue,
        Self::SheetStuck,
        Self::TalkMissing,
        Self::ObjectionUpheld,
        Self::ResidualFlag,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::MeasureOverdue => "measure_overdue",
            Self::CommitmentUnsigned => "commitment_unsigned",
            Self::ReReviewOverdue => "re_review_overdue",
            Self::SheetStuck => "sheet_stuck",
            Self::TalkMissing => "talk_missing",
            Self::ObjectionUpheld => "objection_upheld",
            Self::ResidualFlag => "residual_flag",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::MeasureOverdue => "防范措施逾期未落实",
            Self::CommitmentUnsigned => "廉政承诺逾期未签",
            Self::ReReviewOverdue => "回头看逾期",
            Self::SheetStuck => "排查表滞留",
            Self::TalkMissing => "廉政谈话缺失",
            Self::ObjectionUpheld => "公示异议成立",
            Self::ResidualFlag => "剩余风险未降低",
        }
    }

    /// What the threshold counts, for the settings form.
    pub fn threshold_label(self) -> &'static str {
        match self {
            Self::MeasureOverdue => "措施到期后仍未完成的天数",
            Self::CommitmentUnsigned => "承诺书生成后仍未签署的天数",
            Self::ReReviewOverdue => "回头看到期后仍未开展的天数",
            Self::SheetStuck => "排查表停留在同一环节的天数",
            Self::TalkMissing => "应谈话的周期结束后仍无谈话记录的天数",
            Self::ObjectionUpheld => "异议核实成立后的天数（0 为立即）",
            Self::ResidualFlag => "公示后（或措施全部逾期后）仍未降低的天数（0 为立即）",
        }
    }

    /// The smallest threshold that means anything: a commitment cannot be late the day it is
    /// generated, nor a sheet stuck the day it arrives.
    pub fn min_days(self) -> u32 {
        match self {
            Self::MeasureOverdue
            | Self::ReReviewOverdue
            | Self::TalkMissing
            | Self::ObjectionUpheld
            | Self::ResidualFlag => 0,
            Self::CommitmentUnsigned | Self::SheetStuck => 1,
        }
    }

    /// The rule as a new district has it: switched off, with a sensible threshold and level.
    pub fn default_rule(self) -> Rule {
        let (days, level) = match self {
            Self::MeasureOverdue => (7, Level::Blue),
            Self::CommitmentUnsigned => (14, Level::Blue),
            Self::ReReviewOverdue => (0, Level::Yellow),
            Self::SheetStuck => (15, Level::Blue),
            Self::TalkMissing => (15, Level::Blue),
            Self::ObjectionUpheld => (0, Level::Yellow),
            Self::ResidualFlag => (0, Level::Blue),
        };
        Rule {
            kind: self,
            enabled: false,
            days,
            level,
        }
    }
}

/// Longest threshold a rule may have, in days.
pub const MAX_RULE_DAYS: u32 = 365;

/// A rule as the commission set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub enabled: bool,
    /// The threshold, in days.
    pub days: u32,
    /// The level of the warnings it raises; their handling is the level's default.
    pub level: Level,
}

impl Rule {
    /// Checks a rule as sent by the settings form: a threshold outside the kind's range (a
    /// negative one among them) or an unknown level is refused, both reported at once.
    pub fn check(
        kind: RuleKind,
        enabled: bool,
        days: i64,
        level: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let field = format!("rules.{}", kind.code());
        let lowest = kind.min_days();
        let days = match u32::try_from(days) {
            Ok(d) if (lowest..=MAX_RULE_DAYS).contains(&d) => Some(d),
            _ => {
                errors.push(FieldError::new(
                    "out_of_range",
                    &format!("{field}.days"),
                    format!(
                        "{}：{}应为 {lowest} 至 {MAX_RULE_DAYS} 的整数",
                        kind.label(),
                        kind.threshold_label()
                    ),
                ));
                None
            }
        };
        let level = match Level::parse(level) {
            Ok(l) => Some(l),
            Err(e) => {
                errors.push(FieldError::new(
                    &e.code,
                    &format!("{field}.level"),
                    format!("{}：{}", kind.label(), e.message),
                ));
                None
            }
        };
        match (days, level) {
            (Some(days), Some(level)) => Ok(Self {
                kind,
                enabled,
                days,
                level,
            }),
            _ => Err(errors),
        }
    }

    /// The handling step of the warnings it raises.
    pub fn handling(&self) -> Handling {
        self.level.default_handling()
    }
}

/// The full set of rules: one per kind, in [`RuleKind::ALL`]'s order, defaults for any missing.
pub fn complete(stored: impl IntoIterator<Item = Rule>) -> Vec<Rule> {
    let stored: Vec<Rule> = stored.into_iter().collect();
    RuleKind::ALL
        .into_iter()
        .map(|kind| {
            stored
                .iter()
                .find(|r| r.kind == kind)
                .copied()
                .unwrap_or_else(|| kind.default_rule())
        })
        .collect()
}

/// Who a rule's warning goes to: the person, or the unit (whose liaison answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addressee {
    pub unit: OrgUnitId,
    pub person: Option<UserId>,
}

impl Addressee {
    /// The post's holder when it has exactly one, otherwise the unit.
    pub fn of_post(unit: OrgUnitId, holders: &[UserId]) -> Self {
        Self {
            unit,
            person: match holders {
                [one] => Some(*one),
                _ => None,
            },
        }
    }
}

/// Something a rule can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// A measure of a published sheet, as it stands.
    Measure {
        /// Its risk point and position: `uuid:2`.
        key: String,
        to: Addressee,
        post: String,
        text: String,
        due: IsoDate,
        done: bool,
    },
    /// A commitment that is neither signed nor superseded.
    Commitment {
        id: i64,
        to: Addressee,
        title: String,
        generated_on: IsoDate,
    },
    /// A key post's next 回头看.
    ReReview {
        post_id: i64,
        to: Addressee,
        post: String,
        due: IsoDate,
    },
    /// A sheet on its way up the chain, at `stage` since `since`.
    Sheet {
        sheet_id: i64,
        to: Addressee,
        post: String,
        stage: Stage,
        since: IsoDate,
    },
    /// A period a key post's holder is owed an integrity talk in (`domain::education`).
    Talk {
        user_id: i64,
        to: Addressee,
        person: String,
        post: String,
        grade: crate::post::SupervisionGrade,
        period: crate::education::Period,
        /// A talk with them is recorded within the period.
        held: bool,
    },
    /// An objection to a post's public notice, found upheld on `resolved_on`.
    Objection {
        id: i64,
        to: Addressee,
        post: String,
        response: String,
        resolved_on: IsoDate,
    },
    /// A flagged risk point of a published sheet (see [`Fact::residuals`]).
    Residual {
        /// The risk point's id.
        key: String,
        to: Addressee,
        post: String,
        description: String,
        /// Inherent likelihood × impact.
        inherent: u8,
        /// Residual likelihood × impact, when rated.
        residual: Option<u8>,
        flag: ResidualFlag,
        /// The day the flag became true.
        since: IsoDate,
    },
}

impl Fact {
    /// The residual facts of a risk point of a published sheet: one per flag it has on `today`
    /// ([`crate::risk::ResidualFlag::of`]), each since the day it became true: publication
    /// (`published_on`) for a rating not lowered, the last due day for measures all overdue.
    pub fn residuals(
        key: &str,
        to: Addressee,
        post: &str,
        point: &crate::sync::ValidRiskPoint,
        published_on: IsoDate,
        today: IsoDate,
    ) -> Vec<Self> {
        point
            .residual_flags(today)
            .into_iter()
            .map(|flag| Self::Residual {
                key: key.to_owned(),
                to,
                post: post.to_owned(),
                description: point.description.to_string(),
                inherent: point.ratings.likelihood.get() * point.ratings.impact.get(),
                residual: point.residual.map(|r| r.score()),
                flag,
                since: match flag {
                    ResidualFlag::NotReduced => published_on,
                    ResidualFlag::AllOverdue => point
                        .measures
                        .iter()
                        .filter_map(|m| m.due)
                        .max()
                        .unwrap_or(published_on),
                },
            })
            .collect()
    }
}

/// A warning a rule raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: RuleKind,
    /// The occurrence it is about; never raised twice.
    pub cause: String,
    pub to: Addressee,
    pub level: Level,
    pub handling: Handling,
    /// 预警事由, within [`crate::text::WarningReason`]'s bounds.
    pub reason: String,
}

/// The stages a sheet can be stuck at: those someone must act on. 公示 ends by itself and
/// 审核通过 is the end.
pub fn may_stick(stage: Stage) -> bool {
    !matches!(stage, Stage::PublicNotice | Stage::Approved)
}

/// The findings of the switched-on `rules` on `today`, leaving out the causes already raised
/// (`raised`) and any cause twice. Facts of a kind whose rule is off are ignored.
pub fn evaluate(
    rules: &[Rule],
    facts: &[Fact],
    raised: &HashSet<String>,
    today: IsoDate,
) -> Vec<Finding> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for fact in facts {
        let kind = kind_of(fact);
        let Some(rule) = rules.iter().find(|r| r.kind == kind && r.enabled) else {
            continue;
        };
        let Some((cause, to, reason)) = fires(rule, fact, today) else {
            continue;
        };
        if raised.contains(&cause) || !seen.insert(cause.clone()) {
            continue;
        }
        out.push(Finding {
            kind,
            cause,
            to,
            level: rule.level,
            handling: rule.handling(),
            reason: clip(&reason, 1000),
        });
    }
    out
}

fn kind_of(fact: &Fact) -> RuleKind {
    match fact {
        Fact::Measure { .. } => RuleKind::MeasureOverdue,
        Fact::Commitment { .. } => RuleKind::CommitmentUnsigned,
        Fact::ReReview { .. } => RuleKind::ReReviewOverdue,
        Fact::Sheet { .. } => RuleKind::SheetStuck,
        Fact::Talk { .. } => RuleKind::TalkMissing,
        Fact::Objection { .. } => RuleKind::ObjectionUpheld,
        Fact::Residual { .. } => RuleKind::ResidualFlag,
    }
}

/// The cause, addressee and reason when `fact` has passed `rule`'s threshold on `today`.
fn fires(rule: &Rule, fact: &Fact, today: IsoDate) -> Option<(String, Addressee, String)> {
    // Days since `from`, once they reach the threshold, and at least one: a measure is late the
    // day after its due day, a commitment or a sheet waits a day at the least.
    let past = |from: IsoDate| {
        let days = from.days_until(today);
        (days >= i64::from(rule.days).max(1)).then_some(days)
    };
    match fact {
        Fact::Measure {
            key,
            to,
            post,
            text,
            due,
            done,
        } => {
            let days = past(*due).filter(|_| !done)?;
            Some((
                format!("measure_overdue:{key}:{due}"),
                *to,
                format!(
                    "{post}的防范措施“{}”应于 {due} 前完成，已逾期 {days} 天仍未完成",
                    clip(text, 200)
                ),
            ))
        }
        Fact::Commitment {
            id,
            to,
            title,
            generated_on,
        } => {
            let days = past(*generated_on)?;
            Some((
                format!("commitment_unsigned:{id}"),
                *to,
                format!(
                    "《{}》于 {generated_on} 生成，{days} 天后仍未签署",
                    clip(title, 100)
                ),
            ))
        }
        Fact::ReReview {
            post_id,
            to,
            post,
            due,
        } => {
            let days = past(*due)?;
            Some((
                format!("re_review_overdue:{post_id}:{due}"),
                *to,
                format!("重点岗位“{post}”的回头看应于 {due} 前开展，已逾期 {days} 天"),
            ))
        }
        Fact::Sheet {
            sheet_id,
            to,
            post,
            stage,
            since,
        } => {
            let days = past(*since).filter(|_| may_stick(*stage))?;
            Some((
                format!("sheet_stuck:{sheet_id}:{}:{since}", stage.code()),
                *to,
                format!(
                    "“{post}”的排查表自 {since} 起停留在“{}”环节已 {days} 天",
                    stage.label()
                ),
            ))
        }
        Fact::Talk {
            user_id,
            to,
            person,
            post,
            grade,
            period,
            held,
        } => {
            let days = past(period.end).filter(|_| !held)?;
            Some((
                format!("talk_missing:{user_id}:{}", period.start),
                *to,
                format!(
                    "{}重点岗位“{post}”的{person}在{}（{} 至 {}）没有廉政谈话记录，周期结束已 {days} 天",
                    grade.label(),
                    period.label,
                    period.start,
                    period.end
                ),
            ))
        }
        Fact::Objection {
            id,
            to,
            post,
            response,
            resolved_on,
        } => {
            // The one rule that may fire at once: a finding needs no time to become late.
            let days = resolved_on.days_until(today);
            (days >= i64::from(rule.days)).then_some(())?;
            Some((
                format!("objection_upheld:{id}"),
                *to,
                format!(
                    "“{post}”公示期间收到的异议经核实成立（{resolved_on}）：{}",
                    clip(response, 300)
                ),
            ))
        }
        Fact::Residual {
            key,
            to,
            post,
            description,
            inherent,
            residual,
            flag,
            since,
        } => {
            // Like an objection, a flag may warn at once; the threshold waits longer.
            let days = since.days_until(today);
            (days >= i64::from(rule.days)).then_some(())?;
            let point = clip(description, 200);
            let (cause, reason) = match flag {
                ResidualFlag::NotReduced => (
                    format!("residual_flag:{key}:not_reduced"),
                    format!(
                        "{post}的风险点“{point}”采取防控措施后的剩余风险评分 {} 未低于固有风险评分 {inherent}，防控措施未能降低风险",
                        residual.unwrap_or(*inherent)
                    ),
                ),
                ResidualFlag::AllOverdue => (
                    format!("residual_flag:{key}:all_overdue:{since}"),
                    format!(
                        "{post}的风险点“{point}”的防控措施已全部逾期（最晚时限 {since}），风险未得到控制"
                    ),
                ),
            };
            Some((cause, *to, reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> IsoDate {
        IsoDate::parse(s, "d", "日期").unwrap()
    }

    fn on(kind: RuleKind, days: u32) -> Rule {
        Rule {
            enabled: true,
            days,
            ..kind.default_rule()
        }
    }

    fn person() -> Addressee {
        Addressee {
            unit: OrgUnitId(3),
            person: Some(UserId(7)),
        }
    }

    fn measure(due: &str, done: bool) -> Fact {
        Fact::Measure {
            key: "p1:0".into(),
            to: person(),
            post: "财务岗".into(),
            text: "大额支出集体研究".into(),
            due: day(due),
            done,
        }
    }

    /// The first day on which `fact` fires under `rule`, trying every day from `from` on.
    fn first_day(rule: Rule, fact: &Fact, from: &str) -> Option<String> {
        let start = day(from);
        (0..400)
            .map(|n| start.add_days(n))
            .find(|d| {
                !evaluate(&[rule], std::slice::from_ref(fact), &HashSet::new(), *d).is_empty()
            })
            .map(|d| d.to_string())
    }

    #[test]
    fn a_measure_fires_once_it_is_overdue_by_the_threshold_and_never_when_done() {
        let rule = on(RuleKind::MeasureOverdue, 3);
        assert_eq!(
            first_day(rule, &measure("2026-12-01", false), "2026-11-20").as_deref(),
            Some("2026-12-04")
        );
        // Threshold 0: the first day after the due day, not the due day itself.
        let rule = on(RuleKind::MeasureOverdue, 0);
        assert_eq!(
            first_day(rule, &measure("2026-12-01", false), "2026-11-20").as_deref(),
            Some("2026-12-02")
        );
        assert_eq!(
            first_day(rule, &measure("2026-12-01", true), "2026-11-20"),
            None
        );
    }

    #[test]
    fn each_kind_waits_for_its_threshold() {
        let to = person();
        let commitment = Fact::Commitment {
            id: 5,
            to,
            title: "廉政承诺书".into(),
            generated_on: day("2026-12-01"),
        };
        assert_eq!(
            first_day(
                on(RuleKind::CommitmentUnsigned, 14),
                &commitment,
                "2026-12-01"
            )
            .as_deref(),
            Some("2026-12-15")
        );
        let re_review = Fact::ReReview {
            post_id: 9,
            to,
            post: "工程建设管理岗".into(),
            due: day("2027-06-30"),
        };
        assert_eq!(
            first_day(on(RuleKind::ReReviewOverdue, 0), &re_review, "2027-06-01").as_deref(),
            Some("2027-07-01")
        );
        let sheet = |stage| Fact::Sheet {
            sheet_id: 4,
            to,
            post: "出纳岗".into(),
            stage,
            since: day("2026-12-01"),
        };
        assert_eq!(
            first_day(
                on(RuleKind::SheetStuck, 15),
                &sheet(Stage::SectionReview),
                "2026-12-01"
            )
            .as_deref(),
            Some("2026-12-16")
        );
        // 公示 ends by itself; an approved sheet is done.
        for stage in [Stage::PublicNotice, Stage::Approved] {
            assert_eq!(
                first_day(on(RuleKind::SheetStuck, 1), &sheet(stage), "2026-12-01"),
                None
            );
        }
    }

    #[test]
    fn a_missing_talk_fires_after_its_period_and_never_when_held() {
        let period = crate::education::periods(4, 2026).remove(2);
        let talk = |held| Fact::Talk {
            user_id: 7,
            to: Addressee {
                unit: OrgUnitId(3),
                person: None,
            },
            person: "张三".into(),
            post: "工程建设管理岗".into(),
            grade: crate::post::SupervisionGrade::First,
            period: period.clone(),
            held,
        };
        let rule = on(RuleKind::TalkMissing, 15);
        assert_eq!(
            first_day(rule, &talk(false), "2026-07-01").as_deref(),
            Some("2026-10-15")
        );
        assert_eq!(first_day(rule, &talk(true), "2026-07-01"), None);
        let found = evaluate(&[rule], &[talk(false)], &HashSet::new(), day("2026-11-01"));
        assert_eq!(found[0].cause, "talk_missing:7:2026-07-01");
        assert!(found[0]
            .reason
            .contains("2026年第3季度（2026-07-01 至 2026-09-30）"));
        let raised: HashSet<String> = [found[0].cause.clone()].into();
        assert!(evaluate(&[rule], &[talk(false)], &raised, day("2026-11-02")).is_empty());
    }

    #[test]
    fn an_upheld_objection_fires_at_once_with_threshold_zero_and_later_with_more() {
        let objection = Fact::Objection {
            id: 12,
            to: person(),
            post: "出纳岗".into(),
            response: "经核实，报销审核确有未按规定执行的情况".into(),
            resolved_on: day("2026-12-01"),
        };
        assert_eq!(
            first_day(on(RuleKind::ObjectionUpheld, 0), &objection, "2026-11-25").as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(
            first_day(on(RuleKind::ObjectionUpheld, 3), &objection, "2026-11-25").as_deref(),
            Some("2026-12-04")
        );
        let found = evaluate(
            &[on(RuleKind::ObjectionUpheld, 0)],
            &[objection],
            &HashSet::new(),
            day("2026-12-01"),
        );
        assert_eq!(found[0].cause, "objection_upheld:12");
        assert_eq!(found[0].level, Level::Yellow);
        assert!(found[0].reason.contains("异议经核实成立（2026-12-01）"));
    }

    fn point(residual: Option<(i64, i64)>, dues: &[&str]) -> crate::sync::ValidRiskPoint {
        crate::sync::RiskPointInput {
            description: "超出实际进度计量，提前多付工程款".into(),
            category: "process".into(),
            power_type: "财务权".into(),
            likelihood: 3,
            impact: 4,
            frequency: 2,
            residual_likelihood: residual.map(|r| r.0),
            residual_impact: residual.map(|r| r.1),
            measures: dues
                .iter()
                .map(|due| crate::sync::MeasureInput {
                    kind: "institutional".into(),
                    text: format!("计量单须三方签认（{due}）"),
                    due: (*due).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn a_residual_flag_fires_once_per_point_and_flag_and_not_before_its_threshold() {
        let published = day("2026-06-01");
        let facts = |p: &crate::sync::ValidRiskPoint, today| {
            Fact::residuals("rp-1", person(), "工程建设科科长", p, published, today)
        };
        // Rated lower with its measures: nothing, however late.
        let lowered = point(Some((2, 3)), &["2027-01-31"]);
        assert!(facts(&lowered, day("2026-12-01")).is_empty());
        // Not lowered: from publication, at once with threshold 0, or N days later.
        let same = point(Some((4, 3)), &["2027-01-31"]);
        let fact = &facts(&same, day("2026-12-01"))[0];
        assert_eq!(
            first_day(on(RuleKind::ResidualFlag, 0), fact, "2026-05-01").as_deref(),
            Some("2026-06-01")
        );
        assert_eq!(
            first_day(on(RuleKind::ResidualFlag, 10), fact, "2026-05-01").as_deref(),
            Some("2026-06-11")
        );
        let rules = [on(RuleKind::ResidualFlag, 0)];
        let found = evaluate(
            &rules,
            std::slice::from_ref(fact),
            &HashSet::new(),
            day("2026-06-02"),
        );
        assert_eq!(found[0].cause, "residual_flag:rp-1:not_reduced");
        assert_eq!(found[0].level, Level::Blue);
        assert!(
            found[0]
                .reason
                .contains("剩余风险评分 12 未低于固有风险评分 12"),
            "{}",
            found[0].reason
        );
        let raised: HashSet<String> = [found[0].cause.clone()].into();
        assert!(evaluate(
            &rules,
            std::slice::from_ref(fact),
            &raised,
            day("2026-07-01")
        )
        .is_empty());

        // Every measure overdue: from the last due day; a point still within one due day is not.
        let late = point(None, &["2026-09-30", "2026-10-31"]);
        assert!(facts(&late, day("2026-10-31")).is_empty());
        let found = evaluate(
            &rules,
            &facts(&late, day("2026-11-01")),
            &HashSet::new(),
            day("2026-11-01"),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cause, "residual_flag:rp-1:all_overdue:2026-10-31");
        assert!(found[0].reason.contains("最晚时限 2026-10-31"));
        // Both flags at once are two causes.
        let both = point(Some((5, 5)), &["2026-09-30"]);
        let found = evaluate(
            &rules,
            &facts(&both, day("2026-11-01")),
            &HashSet::new(),
            day("2026-11-01"),
        );
        let causes: Vec<&str> = found.iter().map(|f| f.cause.as_str()).collect();
        assert_eq!(
            causes,
            [
                "residual_flag:rp-1:not_reduced",
                "residual_flag:rp-1:all_overdue:2026-09-30"
            ]
        );
        // Switched off, nothing.
        let off = [RuleKind::ResidualFlag.default_rule()];
        assert!(evaluate(
            &off,
            &facts(&both, day("2026-11-01")),
            &HashSet::new(),
            day("2026-11-01")
        )
        .is_empty());
    }

    #[test]
    fn a_cause_fires_once_and_a_new_due_day_is_a_new_cause() {
        let rules = [on(RuleKind::MeasureOverdue, 0)];
        let today = day("2026-12-10");
        let facts = [measure("2026-12-01", false), measure("2026-12-01", false)];
        let first = evaluate(&rules, &facts, &HashSet::new(), today);
        assert_eq!(first.len(), 1, "the same cause twice in one run fires once");
        assert_eq!(first[0].cause, "measure_overdue:p1:0:2026-12-01");
        assert_eq!(first[0].to, person());
        assert_eq!(first[0].level, Level::Blue);
        assert_eq!(first[0].handling, Handling::Reminder);
        assert!(
            first[0].reason.contains("已逾期 9 天"),
            "{}",
            first[0].reason
        );
        let raised: HashSet<String> = first.iter().map(|f| f.cause.clone()).collect();
        for later in ["2026-12-10", "2026-12-11", "2027-03-01"] {
            assert!(evaluate(&rules, &facts, &raised, day(later)).is_empty());
        }
        let replanned = [measure("2026-12-05", false)];
        assert_eq!(evaluate(&rules, &replanned, &raised, today).len(), 1);
    }

    #[test]
    fn a_rule_that_is_off_raises_nothing_and_others_keep_their_own() {
        let mut rules = complete([on(RuleKind::SheetStuck, 1)]);
        assert_eq!(rules.len(), RuleKind::ALL.len());
        assert!(!rules[0].enabled, "rules a district has not set are off");
        let facts = [measure("2026-01-01", false)];
        assert!(evaluate(&rules, &facts, &HashSet::new(), day("2026-12-10")).is_empty());
        rules[0].enabled = true;
        rules[0].level = Level::Red;
        let found = evaluate(&rules, &facts, &HashSet::new(), day("2026-12-10"));
        assert_eq!(found[0].level, Level::Red);
        assert_eq!(found[0].handling, Handling::AdmonishmentTalk);
    }

    #[test]
    fn a_negative_or_oversized_threshold_and_an_unknown_level_are_refused_together() {
        let errors = Rule::check(RuleKind::MeasureOverdue, true, -1, "紫").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].code, "out_of_range");
        assert_eq!(errors[0].field, "rules.measure_overdue.days");
        assert!(
            errors[0].message.contains("防范措施逾期未落实"),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[1].field, "rules.measure_overdue.level");
        assert!(Rule::check(RuleKind::MeasureOverdue, true, 366, "蓝").is_err());
        assert!(Rule::check(RuleKind::CommitmentUnsigned, true, 0, "蓝").is_err());
        let rule = Rule::check(RuleKind::CommitmentUnsigned, false, 30, "yellow").unwrap();
        assert_eq!(
            (rule.days, rule.level, rule.enabled),
            (30, Level::Yellow, false)
        );
    }

    #[test]
    fn a_post_with_one_holder_warns_the_person_and_otherwise_the_unit() {
        let unit = OrgUnitId(2);
        assert_eq!(
            Addressee::of_post(unit, &[UserId(1)]).person,
            Some(UserId(1))
        );
        assert_eq!(
            Addressee::of_post(unit, &[UserId(1), UserId(2)]).person,
            None
        );
        assert_eq!(Addressee::of_post(unit, &[]).person, None);
    }

    #[test]
    fn a_long_measure_is_clipped_into_the_reasons_bounds() {
        let long = "措".repeat(5000);
        let fact = Fact::Measure {
            key: "p:1".into(),
            to: person(),
            post: "岗".repeat(900),
            text: long,
            due: day("2026-01-01"),
            done: false,
        };
        let found = evaluate(
            &[on(RuleKind::MeasureOverdue, 0)],
            &[fact],
            &HashSet::new(),
            day("2026-02-01"),
        );
        let reason = &found[0].reason;
        assert!(reason.chars().count() <= 1000);
        assert!(crate::text::WarningReason::parse(reason).is_ok());
    }
}

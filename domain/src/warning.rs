//! 预警: early warnings and their handling ladder (DESIGN §8). A warning names its subject (a
//! person or a unit), a level (蓝 / 黄 / 红), a handling step and a day by which a written answer
//! is due. The subject answers with an analysis and rectification measures; the issuer accepts,
//! which closes it, or sends it back (审核不通过，退回重订) with a reason. An answer that is late,
//! or a second send-back, escalates one level (never past red) with a fresh due day and tells the
//! subject's leader in charge. Every change goes through [`Warning::apply`]; the server stores
//! what it returns and records the [`Escalation`] it reports. The clock is always the caller's
//! `today`, so the ladder is tested on any day.

pub mod rules;

use serde::{Deserialize, Serialize};

use crate::{
    risk::IsoDate,
    text::{AnswerAnalysis, AnswerMeasures, SendBackReason, SourceRef, WarningReason},
    FieldError,
};

/// 预警等级, from mildest to gravest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Blue,
    Yellow,
    Red,
}

impl Level {
    pub const ALL: [Self; 3] = [Self::Blue, Self::Yellow, Self::Red];

    pub fn code(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Red => "red",
        }
    }

    /// The value a stored or sent code names (`yellow`), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Blue => "蓝色预警",
            Self::Yellow => "黄色预警",
            Self::Red => "红色预警",
        }
    }

    /// Days the subject has for a written answer, by default (7 / 10 / 15).
    pub fn answer_days(self) -> u32 {
        match self {
            Self::Blue => 7,
            Self::Yellow => 10,
            Self::Red => 15,
        }
    }

    /// The handling step a warning of this level takes unless the issuer names another.
    pub fn default_handling(self) -> Handling {
        match self {
            Self::Blue => Handling::Reminder,
            Self::Yellow => Handling::Inquiry,
            Self::Red => Handling::AdmonishmentTalk,
        }
    }

    /// One level up; red stays red.
    pub fn escalated(self) -> Self {
        match self {
            Self::Blue => Self::Yellow,
            Self::Yellow | Self::Red => Self::Red,
        }
    }

    /// Accepts the code (`yellow`) or the Chinese name (`黄`, `黄色`, `黄色预警`).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|l| raw == l.code() || !raw.is_empty() && l.label().starts_with(raw))
            .ok_or_else(|| {
                FieldError::new("invalid_level", "level", "预警等级只能是蓝色、黄色或红色")
            })
    }
}

/// 处置方式: what the issuer does about the warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// 打招呼提醒
    Reminder,
    /// 函询
    Inquiry,
    /// 诫勉谈话
    AdmonishmentTalk,
    /// 纠错 / 整改通知书
    Correction,
    /// 督导
    Supervision,
}

impl Handling {
    pub const ALL: [Self; 5] = [
        Self::Reminder,
        Self::Inquiry,
        Self::AdmonishmentTalk,
        Self::Correction,
        Self::Supervision,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::Inquiry => "inquiry",
            Self::AdmonishmentTalk => "admonishment_talk",
            Self::Correction => "correction",
            Self::Supervision => "supervision",
        }
    }

    /// The value a stored or sent code names (`inquiry`), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Reminder => "打招呼提醒",
            Self::Inquiry => "函询",
            Self::AdmonishmentTalk => "诫勉谈话",
            Self::Correction => "纠错（整改通知书）",
            Self::Supervision => "督导",
        }
    }

    /// The title of the printed notice: an admonishment talk has a notice of its own.
    pub fn notice_title(self) -> &'static str {
        match self {
            Self::AdmonishmentTalk => "诫勉谈话通知书",
            Self::Correction => "整改通知书",
            _ => "预警通知书",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|h| {
                raw == h.code() || raw == h.label() || raw == "纠错" && *h == Self::Correction
            })
            .ok_or_else(|| {
                FieldError::new(
                    "invalid_handling",
                    "handling",
                    "处置方式只能是打招呼提醒、函询、诫勉谈话、纠错或督导",
                )
            })
    }
}

/// 预警来源: where a warning raised by hand comes from. Rules raise warnings of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 信访举报
    Complaint,
    /// 监督检查
    Inspection,
    /// 审计发现
    Audit,
    /// 规则预警: raised by one of the commission's rules ([`rules`]), never by hand.
    Rule,
}

impl Source {
    pub const ALL: [Self; 4] = [Self::Complaint, Self::Inspection, Self::Audit, Self::Rule];
    /// The sources a person may name when raising a warning by hand.
    pub const BY_HAND: [Self; 3] = [Self::Complaint, Self::Inspection, Self::Audit];

    pub fn code(self) -> &'static str {
        match self {
            Self::Complaint => "complaint",
            Self::Inspection => "inspection",
            Self::Audit => "audit",
            Self::Rule => "rule",
        }
    }

    /// The value a stored or sent code names (`complaint`), if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Complaint => "信访举报",
            Self::Inspection => "监督检查",
            Self::Audit => "审计发现",
            Self::Rule => "规则预警",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        Self::BY_HAND
            .into_iter()
            .find(|s| raw == s.code() || raw == s.label())
            .ok_or_else(|| {
                FieldError::new(
                    "invalid_source",
                    "source",
                    "预警来源只能是信访举报、监督检查或审计发现",
                )
            })
    }
}

/// Where a warning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待答复: the subject owes a written answer.
    AwaitingAnswer,
    /// 待审核: answered; the issuer accepts or sends it back.
    Answered,
    /// 已办结: the issuer accepted the answer.
    Closed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingAnswer => "awaiting_answer",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AwaitingAnswer => "待答复",
            Self::Answered => "待审核",
            Self::Closed => "已办结",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::AwaitingAnswer, Self::Answered, Self::Closed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// Longest answer period an issuer may set, in days.
pub const MAX_ANSWER_DAYS: u32 = 90;

/// How many days before an answer is due its answerers are reminded, once per due day.
pub const REMIND_DAYS_BEFORE: i64 = 2;

/// A warning as raised by hand, checked: every field reported at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWarning {
    pub level: Level,
    pub handling: Handling,
    pub source: Source,
    pub source_ref: Option<SourceRef>,
    pub reason: WarningReason,
    /// The day the answer is due.
    pub due: IsoDate,
}

/// Checks a warning raised by hand on `today`. An empty handling takes the level's default, an
/// empty answer period the level's days; a period outside 1–[`MAX_ANSWER_DAYS`] is refused.
pub fn check_new(
    level: &str,
    handling: &str,
    source: &str,
    source_ref: &str,
    reason: &str,
    answer_days: Option<i64>,
    today: IsoDate,
) -> Result<NewWarning, Vec<FieldError>> {
    let mut errors = Vec::new();
    let level = Level::parse(level).map_err(|e| errors.push(e)).ok();
    let handling = match handling.trim() {
        "" => level.map(Level::default_handling),
        raw => Handling::parse(raw).map_err(|e| errors.push(e)).ok(),
    };
    let source = Source::parse(source).map_err(|e| errors.push(e)).ok();
    let source_ref = match source_ref.trim() {
        "" => None,
        raw => SourceRef::parse(raw).map_err(|e| errors.push(e)).ok(),
    };
    let reason = WarningReason::parse(reason)
        .map_err(|e| errors.push(e))
        .ok();
    let days = match answer_days {
        None => level.map(|l| i64::from(l.answer_days())),
        Some(d) if (1..=i64::from(MAX_ANSWER_DAYS)).contains(&d) => Some(d),
        Some(_) => {
            errors.push(FieldError::new(
                "out_of_range",
                "answer_days",
                format!("答复期限应为 1 至 {MAX_ANSWER_DAYS} 天"),
            ));
            None
        }
    };
    match (level, handling, source, reason, days) {
        (Some(level), Some(handling), Some(source), Some(reason), Some(days))
            if errors.is_empty() =>
        {
            Ok(NewWarning {
                level,
                handling,
                source,
                source_ref,
                reason,
                due: today.add_days(days),
            })
        }
        _ => Err(errors),
    }
}

/// The subject's written answer (书面答复), checked: both parts reported at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub analysis: AnswerAnalysis,
    pub measures: AnswerMeasures,
}

/// Checks an answer's analysis and rectification measures together.
pub fn check_answer(analysis: &str, measures: &str) -> Result<Answer, Vec<FieldError>> {
    match (
        AnswerAnalysis::parse(analysis),
        AnswerMeasures::parse(measures),
    ) {
        (Ok(analysis), Ok(measures)) => Ok(Answer { analysis, measures }),
        (a, m) => Err([a.err(), m.err()].into_iter().flatten().collect()),
    }
}

/// Checks the reason an issuer gives for sending an answer back.
pub fn check_send_back(reason: &str) -> Result<SendBackReason, FieldError> {
    SendBackReason::parse(reason)
}

/// What happens to a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The subject answers on `on`.
    Answer { on: IsoDate },
    /// The issuer accepts the answer: the warning is closed.
    Accept,
    /// The issuer sends the answer back on `on`.
    SendBack { on: IsoDate },
    /// The schedule (or someone on demand) looks at the warning on `today`.
    Tick { today: IsoDate },
}

/// Why a warning went up a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationCause {
    /// 逾期未答复
    LateAnswer,
    /// 两次退回
    SentBackTwice,
}

impl EscalationCause {
    pub fn code(self) -> &'static str {
        match self {
            Self::LateAnswer => "late_answer",
            Self::SentBackTwice => "sent_back_twice",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::LateAnswer => "逾期未答复",
            Self::SentBackTwice => "答复两次被退回",
        }
    }
}

/// A level change to record and to tell the subject's leader in charge about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub from: Level,
    pub to: Level,
    pub cause: EscalationCause,
}

/// The state of a warning that the ladder needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub level: Level,
    pub status: Status,
    /// The day the (next) answer is due.
    pub due: IsoDate,
    /// Send-backs since the warning last went up a level.
    pub send_backs: u8,
}

/// Why an event does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("该预警已办结，不能再答复或审核")]
    Closed,
    #[error("已提交答复，正在等待审核")]
    AlreadyAnswered,
    #[error("尚未收到答复，无法审核")]
    NotAnswered,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::Closed => "warning_closed",
            Self::AlreadyAnswered => "already_answered",
            Self::NotAnswered => "not_answered",
        }
    }
}

impl Warning {
    /// A warning just raised.
    pub fn raised(level: Level, due: IsoDate) -> Self {
        Self {
            level,
            status: Status::AwaitingAnswer,
            due,
            send_backs: 0,
        }
    }

    /// 逾期: an answer is owed and its day has passed.
    pub fn is_overdue(&self, today: IsoDate) -> bool {
        self.status == Status::AwaitingAnswer && today > self.due
    }

    /// 答复到期提醒: the days left (0 on the due day itself) when an answer is owed and due
    /// within [`REMIND_DAYS_BEFORE`] days of `today`; `None` before that, once answered, and
    /// once late (escalation takes over then).
    pub fn answer_reminder(&self, today: IsoDate) -> Option<i64> {
        let left = today.days_until(self.due);
        (self.status == Status::AwaitingAnswer && (0..=REMIND_DAYS_BEFORE).contains(&left))
            .then_some(left)
    }

    /// Applies `event`: the new state, and the escalation it caused if any. A tick changes
    /// nothing unless an answer is overdue below red, so ticking twice on one day escalates once.
    pub fn apply(self, event: &Event) -> Result<(Self, Option<Escalation>), Refusal> {
        let escalate = |mut w: Self, cause, on: IsoDate| {
            let from = w.level;
            w.level = from.escalated();
            w.send_backs = 0;
            w.due = on.add_days(i64::from(w.level.answer_days()));
            (
                w,
                Some(Escalation {
                    from,
                    to: w.level,
                    cause,
                }),
            )
        };
        match (self.status, event) {
            (Status::Closed, Event::Tick { .. }) => Ok((self, None)),
            (Status::Closed, _) => Err(Refusal::Closed),
            (Status::AwaitingAnswer, Event::Answer { .. }) => Ok((
                Self {
                    status: Status::Answered,
                    ..self
                },
                None,
            )),
            (Status::Answered, Event::Answer { .. }) => Err(Refusal::AlreadyAnswered),
            (Status::AwaitingAnswer, Event::Accept | Event::SendBack { .. }) => {
                Err(Refusal::NotAnswered)
            }
            (Status::Answered, Event::Accept) => Ok((
                Self {
                    status: Status::Closed,
                    ..self
                },
                None,
            )),
            (Status::Answered, Event::SendBack { on }) => {
                let back = Self {
                    status: Status::AwaitingAnswer,
                    send_backs: self.send_backs + 1,
                    due: on.add_days(i64::from(self.level.answer_days())),
                    ..self
                };
                if back.send_backs >= 2 && back.level < Level::Red {
                    Ok(escalate(back, EscalationCause::SentBackTwice, *on))
                } else {
                    Ok((back, None))
                }
            }
            (Status::AwaitingAnswer, Event::Tick { today }) => {
                if self.is_overdue(*today) && self.level < Level::Red {
                    Ok(escalate(self, EscalationCause::LateAnswer, *today))
                } else {
                    Ok((self, None))
                }
            }
            (Status::Answered, Event::Tick { .. }) => Ok((self, None)),
        }
    }
}

/// The warning's number as printed: 廉预〔2026〕3号.
pub fn number(year: u16, seq: i64) -> String {
    format!("廉预〔{year}〕{seq}号")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> IsoDate {
        IsoDate::parse(s, "d", "日期").unwrap()
    }

    fn yellow_raised_on(today: &str) -> Warning {
        let new = check_new(
            "黄",
            "",
            "complaint",
            "",
            "收受管理服务对象礼金",
            None,
            day(today),
        )
        .unwrap();
        Warning::raised(new.level, new.due)
    }

    #[test]
    fn an_owed_answer_is_reminded_in_its_last_days_and_not_once_answered_or_late() {
        // Yellow: 10 days to answer, due 2026-12-11.
        let w = yellow_raised_on("2026-12-01");
        assert_eq!(w.due, day("2026-12-11"));
        let on = |d: &str| w.answer_reminder(day(d));
        assert_eq!(on("2026-12-08"), None, "three days left");
        assert_eq!(on("2026-12-09"), Some(2));
        assert_eq!(on("2026-12-11"), Some(0), "the due day itself");
        assert_eq!(on("2026-12-12"), None, "late: escalation, not a reminder");
        let (answered, _) = w
            .apply(&Event::Answer {
                on: day("2026-12-09"),
            })
            .unwrap();
        assert_eq!(answered.answer_reminder(day("2026-12-10")), None);
    }

    #[test]
    fn a_warning_by_hand_takes_its_levels_handling_and_answer_days_by_default() {
        let new = check_new(
            "黄色",
            "",
            "信访举报",
            " 区信访〔2026〕12号 ",
            "事由",
            None,
            day("2026-12-02"),
        )
        .unwrap();
        assert_eq!(new.level, Level::Yellow);
        assert_eq!(new.handling, Handling::Inquiry);
        assert_eq!(new.source, Source::Complaint);
        assert_eq!(new.source_ref.unwrap().as_str(), "区信访〔2026〕12号");
        assert_eq!(new.due, day("2026-12-12"));
        let red = check_new(
            "red",
            "correction",
            "audit",
            "",
            "事由",
            Some(3),
            day("2026-12-30"),
        )
        .unwrap();
        assert_eq!(
            (red.handling, red.due),
            (Handling::Correction, day("2027-01-02"))
        );
    }

    #[test]
    fn a_bad_warning_reports_every_field_at_once() {
        let errors =
            check_new("紫", "罚款", "传闻", "", "  ", Some(-1), day("2026-12-02")).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["level", "handling", "source", "reason", "answer_days"]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
        let zero = check_new("蓝", "", "audit", "", "事由", Some(0), day("2026-12-02"));
        assert_eq!(zero.unwrap_err()[0].code, "out_of_range");
        let long = check_new("蓝", "", "audit", "", "事由", Some(91), day("2026-12-02"));
        assert_eq!(long.unwrap_err()[0].field, "answer_days");
    }

    #[test]
    fn a_late_answer_escalates_one_level_the_day_after_it_was_due_and_only_once() {
        let w = yellow_raised_on("2026-12-02");
        assert_eq!(w.due, day("2026-12-12"));
        let (same, none) = w
            .apply(&Event::Tick {
                today: day("2026-12-12"),
            })
            .unwrap();
        assert_eq!((same, none), (w, None));
        assert!(!w.is_overdue(day("2026-12-12")));
        assert!(w.is_overdue(day("2026-12-13")));
        let (red, up) = w
            .apply(&Event::Tick {
                today: day("2026-12-13"),
            })
            .unwrap();
        assert_eq!(
            up,
            Some(Escalation {
                from: Level::Yellow,
                to: Level::Red,
                cause: EscalationCause::LateAnswer
            })
        );
        assert_eq!(red.level, Level::Red);
        assert_eq!(red.due, day("2026-12-28"));
        // The same day again, or the schedule running twice, changes nothing.
        assert_eq!(
            red.apply(&Event::Tick {
                today: day("2026-12-13")
            })
            .unwrap(),
            (red, None)
        );
    }

    #[test]
    fn the_ladder_never_goes_past_red() {
        let blue = check_new(
            "blue",
            "",
            "inspection",
            "",
            "事由",
            None,
            day("2026-01-01"),
        )
        .unwrap();
        let mut w = Warning::raised(blue.level, blue.due);
        let mut levels = vec![w.level];
        for today in ["2026-01-09", "2026-01-20", "2026-02-10", "2026-06-01"] {
            let (next, _) = w.apply(&Event::Tick { today: day(today) }).unwrap();
            w = next;
            levels.push(w.level);
        }
        assert_eq!(
            levels,
            [
                Level::Blue,
                Level::Yellow,
                Level::Red,
                Level::Red,
                Level::Red
            ]
        );
        // Red and still unanswered stays overdue, shown as such, without another escalation.
        assert!(w.is_overdue(day("2026-06-01")));
        assert_eq!(
            w.apply(&Event::Tick {
                today: day("2026-07-01")
            })
            .unwrap()
            .1,
            None
        );
    }

    #[test]
    fn a_second_send_back_escalates_and_the_first_gives_a_fresh_period() {
        let w = yellow_raised_on("2026-12-02");
        let (answered, _) = w
            .apply(&Event::Answer {
                on: day("2026-12-05"),
            })
            .unwrap();
        assert_eq!(answered.status, Status::Answered);
        let (back, none) = answered
            .apply(&Event::SendBack {
                on: day("2026-12-06"),
            })
            .unwrap();
        assert_eq!(none, None);
        assert_eq!(
            (back.status, back.send_backs, back.due),
            (Status::AwaitingAnswer, 1, day("2026-12-16"))
        );
        let (again, _) = back
            .apply(&Event::Answer {
                on: day("2026-12-07"),
            })
            .unwrap();
        let (red, up) = again
            .apply(&Event::SendBack {
                on: day("2026-12-08"),
            })
            .unwrap();
        assert_eq!(
            up.map(|e| (e.to, e.cause)),
            Some((Level::Red, EscalationCause::SentBackTwice))
        );
        assert_eq!(
            (red.level, red.send_backs, red.due),
            (Level::Red, 0, day("2026-12-23"))
        );
        // At red, send-backs go on without escalating.
        let mut w = red;
        for _ in 0..3 {
            let (a, _) = w
                .apply(&Event::Answer {
                    on: day("2026-12-09"),
                })
                .unwrap();
            let (b, up) = a
                .apply(&Event::SendBack {
                    on: day("2026-12-10"),
                })
                .unwrap();
            assert_eq!((b.level, up), (Level::Red, None));
            w = b;
        }
    }

    #[test]
    fn closing_needs_an_answer_and_a_closed_warning_takes_nothing_more() {
        let w = yellow_raised_on("2026-12-02");
        assert_eq!(w.apply(&Event::Accept), Err(Refusal::NotAnswered));
        assert_eq!(
            w.apply(&Event::SendBack {
                on: day("2026-12-03")
            }),
            Err(Refusal::NotAnswered)
        );
        let (answered, _) = w
            .apply(&Event::Answer {
                on: day("2026-12-03"),
            })
            .unwrap();
        assert_eq!(
            answered.apply(&Event::Answer {
                on: day("2026-12-03")
            }),
            Err(Refusal::AlreadyAnswered)
        );
        // An answer awaiting review is not late, whatever the day.
        assert_eq!(
            answered
                .apply(&Event::Tick {
                    today: day("2027-06-01")
                })
                .unwrap()
                .1,
            None
        );
        let (closed, _) = answered.apply(&Event::Accept).unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert!(!closed.is_overdue(day("2027-06-01")));
        for event in [
            Event::Answer {
                on: day("2026-12-04"),
            },
            Event::Accept,
            Event::SendBack {
                on: day("2026-12-04"),
            },
        ] {
            assert_eq!(closed.apply(&event), Err(Refusal::Closed));
        }
        assert_eq!(
            closed
                .apply(&Event::Tick {
                    today: day("2027-01-01")
                })
                .unwrap(),
            (closed, None)
        );
    }

    #[test]
    fn an_answer_needs_both_its_analysis_and_its_measures() {
        let both = check_answer(" ", "").unwrap_err();
        assert_eq!(
            both.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["analysis", "measures"]
        );
        assert_eq!(
            check_answer("思想麻痹", "").unwrap_err()[0].field,
            "measures"
        );
        let ok = check_answer(" 思想麻痹 ", "退还礼金并作出书面检查").unwrap();
        assert_eq!(ok.analysis.as_str(), "思想麻痹");
        assert_eq!(check_send_back("").unwrap_err().code, "required");
        assert!(check_answer(&"析".repeat(2001), "改").is_err());
    }

    #[test]
    fn levels_and_handlings_read_their_chinese_names_and_print_their_notice() {
        assert_eq!(Level::parse("红").unwrap(), Level::Red);
        assert_eq!(Level::parse("红色预警").unwrap(), Level::Red);
        assert!(Level::parse("").is_err());
        assert_eq!(Handling::parse("纠错").unwrap(), Handling::Correction);
        assert_eq!(Handling::AdmonishmentTalk.notice_title(), "诫勉谈话通知书");
        assert_eq!(Handling::Inquiry.notice_title(), "预警通知书");
        assert_eq!(number(2026, 3), "廉预〔2026〕3号");
        assert_eq!(Status::from_code("answered"), Some(Status::Answered));
        for level in Level::ALL {
            assert_eq!(Level::from_code(level.code()), Some(level));
        }
        for handling in Handling::ALL {
            assert_eq!(Handling::from_code(handling.code()), Some(handling));
        }
        for source in Source::ALL {
            assert_eq!(Source::from_code(source.code()), Some(source));
        }
        assert_eq!(Level::from_code("黄色预警"), None, "a code, never a label");
        // Only a rule raises a rule's warning.
        assert!(Source::parse("rule").is_err());
        assert!(Source::parse("规则预警").is_err());
    }
}

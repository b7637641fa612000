//! 廉政教育 (DESIGN §8): one-to-one integrity talks (廉政谈话: who talked with whom, when, about
//! what) and collective sessions (警示教育, 廉政党课) with their attendance. The holders of a key
//! post are talked to a set number of times a year by its supervision grade ([`TalkQuota`]); the
//! year is cut into that many equal periods ([`periods`]) and a period that ended without a talk
//! is what the "谈话缺失" warning rule reads.

use serde::{Deserialize, Serialize};

use crate::{
    ids::UserId,
    post::SupervisionGrade,
    risk::IsoDate,
    text::{EducationTopic, TalkerName},
    FieldError,
};

/// A collective education session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// 警示教育: a warning-education session (a case, a prison visit, a film).
    WarningEducation,
    /// 廉政党课: an integrity Party lecture.
    PartyLecture,
}

impl SessionKind {
    pub const ALL: [Self; 2] = [Self::WarningEducation, Self::PartyLecture];

    pub fn code(self) -> &'static str {
        match self {
            Self::WarningEducation => "warning_education",
            Self::PartyLecture => "party_lecture",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::WarningEducation => "警示教育",
            Self::PartyLecture => "廉政党课",
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
                    "kind",
                    format!("教育形式“{raw}”无效，应为 警示教育 或 廉政党课"),
                )
            })
    }
}

/// How many integrity talks a year the holder of a key post is owed, by its supervision grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TalkQuota {
    pub first: u32,
    pub second: u32,
    pub third: u32,
}

impl TalkQuota {
    /// 一级 quarterly, 二级 every half year, 三级 once a year.
    pub const DEFAULT: Self = Self {
        first: 4,
        second: 2,
        third: 1,
    };
    /// The counts that cut a year into whole months; 0 asks for no talks.
    pub const ALLOWED: [u32; 7] = [0, 1, 2, 3, 4, 6, 12];

    /// Checks the three counts: each one of [`Self::ALLOWED`], and a higher grade is never talked
    /// to less often than a lower one. Every broken rule is reported.
    pub fn parse(first: i64, second: i64, third: i64) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut count = |value: i64, grade: SupervisionGrade| match u32::try_from(value) {
            Ok(v) if Self::ALLOWED.contains(&v) => Some(v),
            _ => {
                errors.push(FieldError::new(
                    "out_of_range",
                    &format!("talks_{}", grade.code()),
                    format!(
                        "{}重点岗位每年廉政谈话次数应为 0、1、2、3、4、6 或 12（现为 {value}）",
                        grade.label()
                    ),
                ));
                None
            }
        };
        let parsed = (
            count(first, SupervisionGrade::First),
            count(second, SupervisionGrade::Second),
            count(third, SupervisionGrade::Third),
        );
        let (Some(first), Some(second), Some(third)) = parsed else {
            return Err(errors);
        };
        if !(first >= second && second >= third) {
            return Err(vec![FieldError::new(
                "quota_order",
                "talks_first",
                format!(
                    "廉政谈话次数：一级（每年 {first} 次）不能少于二级（{second} 次），二级不能少于三级（{third} 次）"
                ),
            )]);
        }
        Ok(Self {
            first,
            second,
            third,
        })
    }

    pub fn per_year(&self, grade: SupervisionGrade) -> u32 {
        match grade {
            SupervisionGrade::First => self.first,
            SupervisionGrade::Second => self.second,
            SupervisionGrade::Third => self.third,
        }
    }
}

impl Default for TalkQuota {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One of the equal parts of a year a talk is owed in, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: IsoDate,
    pub end: IsoDate,
    /// 2026年第3季度, 2026年上半年, 2026年, 2026年5月, 2026年第2期
    pub label: String,
}

impl Period {
    pub fn contains(&self, day: IsoDate) -> bool {
        self.start <= day && day <= self.end
    }
}

/// The `per_year` periods of `year` (none for 0 or a count that does not divide twelve months).
pub fn periods(per_year: u32, year: u16) -> Vec<Period> {
    if per_year == 0 || 12 % per_year != 0 {
        return Vec::new();
    }
    let months = 12 / per_year;
    (0..per_year)
        .filter_map(|i| {
            let first_month = (i * months + 1) as u8;
            let start = IsoDate::first_of(year, first_month)?;
            let end = start.add_months(months).add_days(-1);
            let n = i + 1;
            let label = match per_year {
                1 => format!("{year}年"),
                2 => format!("{year}年{}", if n == 1 { "上半年" } else { "下半年" }),
                4 => format!("{year}年第{n}季度"),
                12 => format!("{year}年{n}月"),
                _ => format!("{year}年第{n}期"),
            };
            Some(Period { start, end, label })
        })
        .collect()
}

/// The periods of last year and this one that have ended by `today` (their last day is before
/// it) and that the holder, in the post since `since`, was there for at their end.
pub fn ended_periods(per_year: u32, since: IsoDate, today: IsoDate) -> Vec<Period> {
    let year = today.year();
    [year.saturating_sub(1), year]
        .into_iter()
        .flat_map(|y| periods(per_year, y))
        .filter(|p| p.end < today && p.end >= since)
        .collect()
}

/// The period of this year that `today` falls in, for the overview ("本季度已谈话").
pub fn current_period(per_year: u32, today: IsoDate) -> Option<Period> {
    periods(per_year, today.year())
        .into_iter()
        .find(|p| p.contains(today))
}

/// A held day as sent by a form: a real date, and not after today.
fn held_on(raw: &str, label: &str, today: IsoDate) -> Result<IsoDate, FieldError> {
    let day = IsoDate::parse(raw, "held_on", label)?;
    if day > today {
        return Err(FieldError::new(
            "future_date",
            "held_on",
            format!("{label}（{day}）不能晚于今天（{today}）：只能记录已经开展的活动"),
        ));
    }
    Ok(day)
}

/// A one-to-one talk as the form sent it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTalk {
    pub talker: TalkerName,
    pub held_on: IsoDate,
    pub topic: EducationTopic,
}

impl NewTalk {
    /// Checks every field; all refusals are reported together. A talk dated after `today` is
    /// refused: the record is of talks held.
    pub fn check(
        talker: &str,
        held: &str,
        topic: &str,
        today: IsoDate,
    ) -> Result<Self, Vec<FieldError>> {
        let talker = TalkerName::parse(talker);
        let held = held_on(held, "谈话日期", today);
        let topic = EducationTopic::parse(topic);
        match (talker, held, topic) {
            (Ok(talker), Ok(held_on), Ok(topic)) => Ok(Self {
                talker,
                held_on,
                topic,
            }),
            (talker, held, topic) => Err([talker.err(), held.err(), topic.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// A collective session as the form sent it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub kind: SessionKind,
    pub held_on: IsoDate,
    pub topic: EducationTopic,
}

impl NewSession {
    /// Checks every field; all refusals are reported together.
    pub fn check(
        kind: &str,
        held: &str,
        topic: &str,
        today: IsoDate,
    ) -> Result<Self, Vec<FieldError>> {
        let kind = SessionKind::parse(kind);
        let held = held_on(held, "活动日期", today);
        let topic = EducationTopic::parse(topic);
        match (kind, held, topic) {
            (Ok(kind), Ok(held_on), Ok(topic)) => Ok(Self {
                kind,
                held_on,
                topic,
            }),
            (kind, held, topic) => Err([kind.err(), held.err(), topic.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Someone who may attend a unit's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    pub id: UserId,
    pub username: &'a str,
    pub name: &'a str,
}

/// The most attendees one session records.
pub const MAX_ATTENDEES: usize = 500;

/// The attendance of a session: the people ticked (`ticked`, user names of `members`) and those of a
/// pasted or imported list (`list`: names or user names, one per line or separated by commas,
/// 、 or spaces), each matched to one of `members`. A name that matches nobody, or two people of
/// the same name, is refused naming the entry; someone named twice counts once. At least one
/// attendee is needed.
pub fn attendance(
    ticked: &[String],
    list: &str,
    members: &[Member<'_>],
) -> Result<Vec<UserId>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out: Vec<UserId> = Vec::new();
    for username in ticked {
        if let Some(m) = members.iter().find(|m| m.username == username.trim()) {
            if !out.contains(&m.id) {
                out.push(m.id);
            }
        } else {
            errors.push(FieldError::new(
                "not_member",
                "attendees",
                "参加人员：勾选的人员不属于该单位，请刷新页面后重新勾选",
            ));
        }
    }
    let entries = list
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|e| !e.is_empty());
    for (i, entry) in entries.enumerate() {
        let by_username: Vec<&Member<'_>> =
            members.iter().filter(|m| m.username == entry).collect();
        let by_name: Vec<&Member<'_>> = members.iter().filter(|m| m.name == entry).collect();
        let found = match (by_username.as_slice(), by_name.as_slice()) {
            ([one], _) | ([], [one]) => one.id,
            ([], []) => {
                errors.push(FieldError::new(
                    "unknown_person",
                    "attendee_list",
                    format!("参加人员名单第 {} 项“{entry}”不是该单位的人员", i + 1),
                ));
                continue;
            }
            _ => {
                errors.push(FieldError::new(
                    "ambiguous_person",
                    "attendee_list",
                    format!(
                        "参加人员名单第 {} 项“{entry}”有重名，请改写为其用户名",
                        i + 1
                    ),
                ));
                continue;
            }
        };
        if !out.contains(&found) {
            out.push(found);
        }
    }
    if errors.is_empty() && out.is_empty() {
        errors.push(FieldError::new(
            "required",
            "attendees",
            "参加人员：请至少勾选或列出一名参加人员",
        ));
    }
    if errors.is_empty() && out.len() > MAX_ATTENDEES {
        errors.push(FieldError::new(
            "too_many",
            "attendees",
            format!("参加人员：一次活动最多记录 {MAX_ATTENDEES} 人"),
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> IsoDate {
        IsoDate::parse(s, "d", "日期").unwrap()
    }

    #[test]
    fn quota_takes_whole_month_counts_in_grade_order() {
        assert_eq!(TalkQuota::parse(4, 2, 1).unwrap(), TalkQuota::DEFAULT);
        let errors = TalkQuota::parse(5, -1, 1).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["talks_first", "talks_second"]);
        assert!(errors[1].message.contains("现为 -1"));
        let order = TalkQuota::parse(1, 2, 1).unwrap_err();
        assert_eq!(order[0].code, "quota_order");
        assert_eq!(
            TalkQuota::parse(0, 0, 0)
                .unwrap()
                .per_year(SupervisionGrade::First),
            0
        );
    }

    #[test]
    fn a_year_is_cut_into_equal_periods() {
        let quarters = periods(4, 2026);
        assert_eq!(quarters.len(), 4);
        assert_eq!(quarters[0].start, day("2026-01-01"));
        assert_eq!(quarters[0].end, day("2026-03-31"));
        assert_eq!(quarters[3].end, day("2026-12-31"));
        assert_eq!(quarters[2].label, "2026年第3季度");
        assert_eq!(periods(2, 2026)[1].label, "2026年下半年");
        assert_eq!(periods(1, 2026)[0].end, day("2026-12-31"));
        assert_eq!(periods(12, 2028)[1].end, day("2028-02-29"));
        assert_eq!(periods(3, 2026)[1].start, day("2026-05-01"));
        assert!(periods(0, 2026).is_empty());
        assert!(periods(5, 2026).is_empty());
    }

    #[test]
    fn only_ended_periods_since_the_holder_came_are_owed() {
        let owed = ended_periods(4, day("2025-08-15"), day("2026-07-01"));
        let labels: Vec<&str> = owed.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2025年第3季度",
                "2025年第4季度",
                "2026年第1季度",
                "2026年第2季度"
            ]
        );
        // The day a period ends it is not over yet.
        assert_eq!(
            ended_periods(4, day("2026-01-01"), day("2026-06-30")).len(),
            1
        );
        assert!(ended_periods(0, day("2020-01-01"), day("2026-07-01")).is_empty());
        assert_eq!(
            current_period(4, day("2026-12-01")).unwrap().label,
            "2026年第4季度"
        );
    }

    #[test]
    fn a_talk_dated_in_the_future_is_refused() {
        let today = day("2026-12-01");
        let talk = NewTalk::check("区纪委书记 王某", "2026-12-01", "廉洁从业提醒", today).unwrap();
        assert_eq!(talk.held_on, today);
        let errors = NewTalk::check("", "2026-12-02", "谈", today).unwrap_err();
        let codes: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("talker", "required"),
                ("held_on", "future_date"),
                ("topic", "too_short")
            ]
        );
        assert!(errors[1].message.contains("不能晚于今天（2026-12-01）"));
        let bad = NewSession::check("讲座", "2026-13-01", "以案促改", today).unwrap_err();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].field, "kind");
        assert_eq!(bad[1].code, "invalid_date");
    }

    #[test]
    fn attendance_matches_names_and_user_names_once_each() {
        let members = [
            Member {
                id: UserId(1),
                username: "zhangsan",
                name: "张三",
            },
            Member {
                id: UserId(2),
                username: "lisi",
                name: "李四",
            },
            Member {
                id: UserId(3),
                username: "lisi2",
                name: "李四",
            },
        ];
        let ticked = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let ids = attendance(&ticked(&["zhangsan"]), "张三、lisi2\nlisi，张三", &members).unwrap();
        assert_eq!(ids, [UserId(1), UserId(3), UserId(2)]);
        let errors = attendance(&ticked(&["nobody"]), "王五 李四", &members).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["not_member", "unknown_person", "ambiguous_person"]);
        assert!(errors[1].message.contains("第 1 项“王五”"));
        assert!(errors[2].message.contains("第 2 项“李四”有重名"));
        assert_eq!(
            attendance(&[], " 、 ", &members).unwrap_err()[0].code,
            "required"
        );
    }
}

//! Settings the commission owns (DESIGN §4, §8): the notice period in working days with the
//! district's holiday calendar (放假 days and 调休 working weekends), and the 回头看 cadence by
//! supervision grade. Each value is checked here once; the server stores them and every reader
//! gets them through these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{post::SupervisionGrade, risk::IsoDate, FieldError};

/// The notice period (公示期) in working days: DESIGN §4's default is five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct NoticeDays(u32);

impl NoticeDays {
    pub const DEFAULT: Self = Self(5);
    pub const MAX: u32 = 30;

    pub fn parse(value: i64) -> Result<Self, FieldError> {
        if (1..=i64::from(Self::MAX)).contains(&value) {
            Ok(Self(value as u32))
        } else {
            Err(FieldError::new(
                "out_of_range",
                "notice_days",
                format!("公示期须为 1 到 {} 个工作日（现为 {value}）", Self::MAX),
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for NoticeDays {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<i64> for NoticeDays {
    type Error = FieldError;
    fn try_from(value: i64) -> Result<Self, FieldError> {
        Self::parse(value)
    }
}

impl From<NoticeDays> for i64 {
    fn from(value: NoticeDays) -> i64 {
        i64::from(value.0)
    }
}

/// How often a key post is looked at again (回头看), in months, by supervision grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadence {
    pub first: u32,
    pub second: u32,
    pub third: u32,
}

impl Cadence {
    /// DESIGN §8: 一级 every 6 months, 二级 12, 三级 24.
    pub const DEFAULT: Self = Self {
        first: 6,
        second: 12,
        third: 24,
    };
    pub const MAX_MONTHS: i64 = 60;

    /// Checks the three cadences; each must be 1–60 months and a higher grade may never be looked
    /// at less often than a lower one. Every broken rule is reported.
    pub fn parse(first: i64, second: i64, third: i64) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut month = |value: i64, grade: SupervisionGrade| {
            if (1..=Self::MAX_MONTHS).contains(&value) {
                Some(value as u32)
            } else {
                errors.push(FieldError::new(
                    "out_of_range",
                    &format!("cadence_{}", grade.code()),
                    format!(
                        "{}监督的回头看周期须为 1 到 {} 个月（现为 {value}）",
                        grade.label(),
                        Self::MAX_MONTHS
                    ),
                ));
                None
            }
        };
        let parsed = (
            month(first, SupervisionGrade::First),
            month(second, SupervisionGrade::Second),
            month(third, SupervisionGrade::Third),
        );
        let (Some(first), Some(second), Some(third)) = parsed else {
            return Err(errors);
        };
        if !(first <= second && second <= third) {
            return Err(vec![FieldError::new(
                "cadence_order",
                "cadence_first",
                format!(
                    "回头看周期：一级（{first} 个月）不能长于二级（{second} 个月），二级不能长于三级（{third} 个月）"
                ),
            )]);
        }
        Ok(Self {
            first,
            second,
            third,
        })
    }

    pub fn months(&self, grade: SupervisionGrade) -> u32 {
        match grade {
            SupervisionGrade::First => self.first,
            SupervisionGrade::Second => self.second,
            SupervisionGrade::Third => self.third,
        }
    }
}

impl Default for Cadence {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What a date of the holiday calendar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayKind {
    /// 放假: a public holiday, not a working day even on a weekday.
    Holiday,
    /// 调休上班: a weekend day worked in exchange for a holiday.
    Workday,
}

impl DayKind {
    pub const ALL: [Self; 2] = [Self::Holiday, Self::Workday];

    pub fn code(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Holiday => "放假",
            Self::Workday => "上班",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        match raw {
            "holiday" | "放假" | "休" | "假" | "休息" => Ok(Self::Holiday),
            "workday" | "上班" | "班" | "调休上班" | "补班" => Ok(Self::Workday),
            _ => Err(FieldError::new(
                "unknown_value",
                "kind",
                format!("“{raw}”无效：应为“放假”或“上班”（调休上班）"),
            )),
        }
    }
}

/// One date of the calendar, with what it is called (国庆节).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: IsoDate,
    pub kind: DayKind,
    pub name: String,
}

/// The longest name a calendar date keeps.
const MAX_DAY_NAME_CHARS: usize = 20;
/// The most dates one list may hold: a year has about 40 (holidays and make-up days); ten years
/// of them is plenty.
pub const MAX_CALENDAR_DAYS: usize = 400;

/// The district's calendar: which weekdays are holidays and which weekend days are worked. Other
/// days follow the week (Monday to Friday are working days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<IsoDate, DayKind>,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (IsoDate, DayKind)>) -> Self {
        Self {
            days: days.into_iter().collect(),
        }
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: IsoDate) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            // 1970-01-01 was a Thursday: (day number + 4) % 7 is 0 on Sundays, 6 on Saturdays.
            None => (1..=5).contains(&(date.day_number() + 4).rem_euclid(7)),
        }
    }

    /// `days` working days after the instant `from` (Unix ms), at the same time of day. A notice
    /// published on a Friday before a week-long holiday runs into the week after it.
    pub fn add_working_days(&self, from: i64, days: u32) -> i64 {
        const DAY: i64 = 86_400_000;
        let mut at = from;
        let mut left = days;
        while left > 0 {
            at += DAY;
            if self.is_working_day(IsoDate::of_instant(at)) {
                left -= 1;
            }
        }
        at
    }

    /// Parses a pasted list, one date a line: `2026-10-01 放假 国庆节`, `2026-09-27 上班 国庆节调休`
    /// (fields separated by spaces, tabs or commas; the name may be left out; `#` starts a
    /// comment). Every bad line is reported with its number; a date listed twice is refused.
    pub fn parse_list(text: &str) -> Result<Vec<CalendarDay>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut days: Vec<CalendarDay> = Vec::new();
        let mut seen: BTreeMap<IsoDate, usize> = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut fields = line
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '\t'))
                .filter(|f| !f.is_empty());
            let at = |e: FieldError| {
                FieldError::new(&e.code, "days", format!("第 {number} 行：{}", e.message))
            };
            let date = fields
                .next()
                .map(|d| IsoDate::parse(d, "days", "日期"))
                .transpose()
                .map_err(|e| errors.push(at(e)))
                .ok()
                .flatten();
            let kind = match fields.next() {
                Some(kind) => DayKind::parse(kind).map_err(|e| errors.push(at(e))).ok(),
                None => {
                    errors.push(at(FieldError::new(
                        "required",
                        "days",
                        "缺少“放假”或“上班”",
                    )));
                    None
                }
            };
            let name: String = fields.collect::<Vec<_>>().join(" ");
            if name.chars().count() > MAX_DAY_NAME_CHARS {
                errors.push(at(FieldError::new(
                    "too_long",
                    "days",
                    format!("名称不能超过 {MAX_DAY_NAME_CHARS} 个字符"),
                )));
                continue;
            }
            let (Some(date), Some(kind)) = (date, kind) else {
                continue;
            };
            if let Some(first) = seen.get(&date) {
                errors.push(at(FieldError::new(
                    "duplicate_row",
                    "days",
                    format!("日期 {date} 与第 {first} 行重复"),
                )));
                continue;
            }
            seen.insert(date, number);
            days.push(CalendarDay { date, kind, name });
        }
        if days.len() > MAX_CALENDAR_DAYS {
            errors.push(FieldError::new(
                "too_many",
                "days",
                format!("一次最多导入 {MAX_CALENDAR_DAYS} 个日期"),
            ));
        }
        if errors.is_empty() {
            Ok(days)
        } else {
            Err(errors)
        }
    }
}

/// The district's settings as the rules need them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistrictSettings {
    pub notice_days: NoticeDays,
    pub cadence: Cadence,
    pub calendar: Calendar,
}

impl DistrictSettings {
    /// When a public notice that starts at `from` (Unix ms) ends.
    pub fn notice_until(&self, from: i64) -> i64 {
        self.calendar.add_working_days(from, self.notice_days.get())
    }

    /// When a key post of `grade` approved on `approved_on` is due for 回头看.
    pub fn re_review_due(&self, grade: SupervisionGrade, approved_on: IsoDate) -> IsoDate {
        approved_on.add_months(self.cadence.months(grade))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::china_day;

    fn date(s: &str) -> IsoDate {
        IsoDate::parse(s, "d", "日期").unwrap()
    }

    /// 2026-09-25 12:00 China time, a Friday.
    const FRIDAY_BEFORE_NATIONAL_DAY: i64 = 1_790_308_800_000;

    #[test]
    fn the_notice_runs_five_working_days() {
        // Friday 2026-11-27 10:00 China time: the notice ends on Friday 2026-12-04.
        let friday = 1_795_831_673_000 - 86_400_000;
        let until = DistrictSettings::default().notice_until(friday);
        assert_eq!(china_day(until), "2026-12-04");
    }

    #[test]
    fn without_a_calendar_a_notice_runs_five_weekdays() {
        let settings = DistrictSettings::default();
        assert_eq!(china_day(FRIDAY_BEFORE_NATIONAL_DAY), "2026-09-25");
        assert_eq!(
            china_day(settings.notice_until(FRIDAY_BEFORE_NATIONAL_DAY)),
            "2026-10-02"
        );
    }

    #[test]
    fn a_notice_period_skips_holidays_and_counts_make_up_working_days() {
        // 2026's National Day holiday as the State Council might set it: 10-01 to 10-07 off,
        // Sunday 09-27 and Saturday 10-10 worked.
        let days = Calendar::parse_list(
            "2026-09-27 上班 国庆节调休\n\
             2026-10-01 放假 国庆节\n2026-10-02 放假\n2026-10-05 放假\n2026-10-06 放假\n2026-10-07 放假\n\
             # 周末本来就休息\n2026-10-10 上班 国庆节调休",
        )
        .unwrap();
        let settings = DistrictSettings {
            calendar: Calendar::new(days.iter().map(|d| (d.date, d.kind))),
            ..DistrictSettings::default()
        };
        // From Friday 09-25: Sun 09-27 (worked), Mon 09-28, Tue 09-29, Wed 09-30, then the
        // holiday, then Thu 10-08.
        assert_eq!(
            china_day(settings.notice_until(FRIDAY_BEFORE_NATIONAL_DAY)),
            "2026-10-08"
        );
        assert!(settings.calendar.is_working_day(date("2026-10-10")));
        assert!(!settings.calendar.is_working_day(date("2026-10-05")));
    }

    #[test]
    fn the_notice_period_is_the_commissions_number_of_working_days() {
        let settings = DistrictSettings {
            notice_days: NoticeDays::parse(7).unwrap(),
            ..DistrictSettings::default()
        };
        assert_eq!(
            china_day(settings.notice_until(FRIDAY_BEFORE_NATIONAL_DAY)),
            "2026-10-06"
        );
        assert_eq!(NoticeDays::parse(0).unwrap_err().field, "notice_days");
        assert!(NoticeDays::parse(31).is_err());
    }

    #[test]
    fn every_bad_line_of_a_calendar_list_is_named_by_its_number() {
        let errors = Calendar::parse_list(
            "2026-10-01 放假\n2026-13-01 放假\n2026-10-02 休假日\n2026-10-01 上班\n2026-10-03",
        )
        .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(errors.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("第 2 行："));
        assert!(messages[1].starts_with("第 3 行："));
        assert!(messages[2].contains("与第 1 行重复"));
        assert!(messages[3].starts_with("第 5 行：缺少"));
    }

    #[test]
    fn the_re_review_cadence_is_the_commissions_and_keeps_its_order() {
        let settings = DistrictSettings {
            cadence: Cadence::parse(3, 12, 36).unwrap(),
            ..DistrictSettings::default()
        };
        let approved = date("2026-01-31");
        assert_eq!(
            settings.re_review_due(SupervisionGrade::First, approved),
            date("2026-04-30")
        );
        assert_eq!(
            settings.re_review_due(SupervisionGrade::Third, approved),
            date("2029-01-31")
        );
        let default = DistrictSettings::default();
        assert_eq!(
            default.re_review_due(SupervisionGrade::First, approved),
            date("2026-07-31")
        );
        assert_eq!(
            Cadence::parse(12, 6, 24).unwrap_err()[0].code,
            "cadence_order"
        );
        assert_eq!(Cadence::parse(0, 6, 99).unwrap_err().len(), 2);
    }
}

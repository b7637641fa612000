//! Calendar dates in risk tables (完成时限, 完成日期), written `YYYY-MM-DD`.

use serde::{Deserialize, Serialize};

use crate::FieldError;

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

    /// The date in China time of a Unix-ms instant.
    pub fn of_instant(ms: i64) -> Self {
        let (year, month, day) = crate::time::civil_of_instant(ms);
        Self {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Days counted from 1970-01-01 (negative before it).
    pub fn day_number(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day `days` later (earlier when negative), within years 1–9999.
    pub fn add_days(self, days: i64) -> Self {
        let (year, month, day) = crate::time::civil(self.day_number() + days);
        let year = year.clamp(1, 9999);
        Self {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// How many days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Self) -> i64 {
        later.day_number() - self.day_number()
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The first day of `month` (1–12) of `year` (2000–2100), when both are in range.
    pub fn first_of(year: u16, month: u8) -> Option<Self> {
        ((2000..=2100).contains(&year) && (1..=12).contains(&month)).then_some(Self {
            year,
            month,
            day: 1,
        })
    }

    /// The same day `months` later, or the month's last day when it is shorter (08-31 + 6
    /// months is 02-28 or 02-29).
    pub fn add_months(self, months: u32) -> Self {
        let total = u32::from(self.month) - 1 + months;
        let year = (u32::from(self.year) + total / 12).min(9999) as u16;
        let month = (total % 12 + 1) as u8;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let last = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        Self {
            year,
            month,
            day: self.day.min(last),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn adding_days_walks_the_calendar_and_undoes_days_until() {
        let d = |s: &str| IsoDate::parse(s, "d", "日期").unwrap();
        assert_eq!(d("2026-12-25").add_days(7), d("2027-01-01"));
        assert_eq!(d("2028-02-28").add_days(1), d("2028-02-29"));
        assert_eq!(d("2027-03-01").add_days(-1), d("2027-02-28"));
        for n in [-800, -1, 0, 1, 15, 366, 1000] {
            assert_eq!(d("2026-06-30").days_until(d("2026-06-30").add_days(n)), n);
        }
    }

    #[test]
    fn days_are_counted_across_months_years_and_leap_days() {
        let d = |s: &str| IsoDate::parse(s, "d", "日期").unwrap();
        assert_eq!(d("2000-01-01").day_number(), 10_957);
        assert_eq!(d("2026-12-31").days_until(d("2027-01-01")), 1);
        assert_eq!(d("2028-02-28").days_until(d("2028-03-01")), 2);
        assert_eq!(d("2027-02-28").days_until(d("2027-03-01")), 1);
        assert_eq!(d("2026-12-01").days_until(d("2026-11-24")), -7);
        // 2026-11-28 02:07 UTC is 10:07 on the 28th in Beijing; 16:30 UTC is past midnight there.
        assert_eq!(IsoDate::of_instant(1_795_831_673_000), d("2026-11-28"));
        assert_eq!(IsoDate::of_instant(1_795_883_400_000), d("2026-11-29"));
        assert_eq!(d("2026-08-31").add_months(6), d("2027-02-28"));
        assert_eq!(d("2027-08-31").add_months(6), d("2028-02-29"));
        assert_eq!(d("2026-12-01").add_months(24), d("2028-12-01"));
        assert_eq!(d("2026-11-15").add_months(1), d("2026-12-15"));
    }
}

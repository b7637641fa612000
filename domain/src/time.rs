//! Instants as people in China read them. Every time the system keeps is Unix milliseconds (UTC);
//! pages, commitments and the notice calendar speak China time (UTC+8, no daylight saving).

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;
/// China time is UTC+8 all year.
const CHINA_OFFSET: i64 = 8 * 3_600_000;

/// `YYYY-MM-DD HH:MM` in China time for a Unix-ms instant.
pub fn china_time(ms: i64) -> String {
    let minutes = (ms + CHINA_OFFSET).div_euclid(MINUTE);
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    let (year, month, day) = civil(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// `YYYY-MM-DD` in China time.
pub fn china_day(ms: i64) -> String {
    let mut text = china_time(ms);
    text.truncate(10);
    text
}

/// `YYYY年M月D日` in China time, as a commitment is dated.
pub fn china_date(ms: i64) -> String {
    let (year, month, day) = civil((ms + CHINA_OFFSET).div_euclid(DAY));
    format!("{year}年{month}月{day}日")
}

/// The civil (year, month, day) in China time of a Unix-ms instant.
pub fn civil_of_instant(ms: i64) -> (i64, i64, i64) {
    civil((ms + CHINA_OFFSET).div_euclid(DAY))
}

/// The civil date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_china_time() {
        // 2026-11-28 02:07:53 UTC is 10:07 in Beijing.
        assert_eq!(china_time(1_795_831_673_000), "2026-11-28 10:07");
        assert_eq!(china_time(0), "1970-01-01 08:00");
        // 2028-02-29 23:30 in Beijing, a leap day.
        assert_eq!(china_time(1_835_451_000_000), "2028-02-29 23:30");
        assert_eq!(china_day(1_835_451_000_000), "2028-02-29");
        assert_eq!(china_date(1_795_831_673_000), "2026年11月28日");
    }
}

//! The settings the commission owns: one row of numbers and the holiday calendar.

use anyhow::Context as _;
use domain::{
    risk::IsoDate,
    settings::{Cadence, Calendar, CalendarDay, DayKind, DistrictSettings, NoticeDays},
};

use super::Conn;
use crate::error::corrupt;

/// The settings with the whole calendar, as the rules use them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(conn: &mut Conn) -> anyhow::Result<DistrictSettings> {
    let (notice_days, cadence) = numbers(conn).await?;
    let calendar = Calendar::new(
        calendar(conn)
            .await?
            .into_iter()
            .map(|day| (day.date, day.kind)),
    );
    Ok(DistrictSettings {
        notice_days,
        cadence,
        calendar,
    })
}

/// The notice period and the 回头看 cadence, without the calendar.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn numbers(conn: &mut Conn) -> anyhow::Result<(NoticeDays, Cadence)> {
    let row = sqlx::query!(
        r#"SELECT notice_days AS "notice_days!: i64", cadence_first AS "first!: i64",
                  cadence_second AS "second!: i64", cadence_third AS "third!: i64"
           FROM district_settings WHERE id = 1"#
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to load the district settings")?;
    let notice_days = NoticeDays::parse(row.notice_days).map_err(|e| corrupt("notice days", e))?;
    let cadence = Cadence::parse(row.first, row.second, row.third).map_err(|mut e| {
        corrupt(
            "re-review cadence",
            e.pop().expect("a refused cadence has a reason"),
        )
    })?;
    Ok((notice_days, cadence))
}

/// Stores the notice period and the cadence.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn save(
    conn: &mut Conn,
    notice_days: NoticeDays,
    cadence: Cadence,
    by: i64,
    now: i64,
) -> anyhow::Result<()> {
    let (days, first, second, third) = (
        i64::from(notice_days),
        i64::from(cadence.first),
        i64::from(cadence.second),
        i64::from(cadence.third),
    );
    sqlx::query!(
        "UPDATE district_settings SET notice_days = ?, cadence_first = ?, cadence_second = ?, cadence_third = ?, updated_by = ?, updated_at = ? WHERE id = 1",
        days,
        first,
        second,
        third,
        by,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to save the district settings")?;
    Ok(())
}

/// Every date of the calendar, in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn calendar(conn: &mut Conn) -> anyhow::Result<Vec<CalendarDay>> {
    sqlx::query!("SELECT day, kind, name FROM calendar_days ORDER BY day")
        .fetch_all(&mut *conn)
        .await
        .context("Failed to load the holiday calendar")?
        .into_iter()
        .map(|r| {
            Ok(CalendarDay {
                date: IsoDate::parse(&r.day, "day", "日期")
                    .map_err(|e| corrupt("calendar day", e))?,
                kind: DayKind::parse(&r.kind).map_err(|e| corrupt("calendar day kind", e))?,
                name: r.name,
            })
        })
        .collect()
}

/// Replaces the dates of the years `years` with `days`; returns how many dates were removed.
#[tracing::instrument(level = "debug", skip(conn, days))]
pub async fn replace_years(
    conn: &mut Conn,
    years: &[u16],
    days: &[CalendarDay],
) -> anyhow::Result<u64> {
    let mut removed = 0;
    for year in years {
        let prefix = format!("{year:04}-%");
        removed += sqlx::query!("DELETE FROM calendar_days WHERE day LIKE ?", prefix)
            .execute(&mut *conn)
            .await
            .context("Failed to clear a year of the calendar")?
            .rows_affected();
    }
    for day in days {
        let (date, kind) = (day.date.to_string(), day.kind.code());
        sqlx::query!(
            "INSERT INTO calendar_days (day, kind, name) VALUES (?, ?, ?)",
            date,
            kind,
            day.name
        )
        .execute(&mut *conn)
        .await
        .context("Failed to insert a calendar day")?;
    }
    Ok(removed)
}

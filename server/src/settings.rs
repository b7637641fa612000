//! Settings the commission owns: the notice period in working days, the 回头看 cadence by
//! supervision grade, the holiday calendar, and each round's rating matrix. Changing a round's
//! matrix rates its drafts (sheets still in 自查) again; sheets further up the chain or
//! published keep the matrix they were rated with. Every change is in the audit log.

use app::{
    api::{district::SettingsView, SessionUser},
    write::{CalendarImported, ImportCalendar, MatrixSet, SaveSettings, SetRoundMatrix},
};
use domain::{
    risk::{IsoDate, RatingMatrix, Ratings, RiskLevel},
    settings::{Cadence, Calendar, NoticeDays},
};
use serde_json::json;

use crate::{
    actor::Actor,
    db::{now_ms, Db},
    error::{Error, Result},
    store::{
        self,
        changes::{Change, Kind},
    },
};

/// Deny by default: the commission sets the district's settings.
async fn check(db: &Db, user: &SessionUser) -> Result<()> {
    Actor::User(user)
        .check(db, |p| p.may_set_district_settings())
        .await
}

/// The settings, for the commission and administrators.
pub async fn view(db: &Db, user: &SessionUser, now: i64) -> Result<SettingsView> {
    let person = db.directory().person(user.id).await?;
    let principal = &person.principal;
    if !(principal.may_set_district_settings() || principal.may_view_org()) {
        return Err(app::error::ApiError::forbidden().into());
    }
    let mut conn = db.pool().acquire().await?;
    let (notice_days, cadence) = store::settings::numbers(&mut conn).await?;
    Ok(SettingsView {
        notice_days: notice_days.get(),
        cadence,
        talk_quota: store::education::quota(&mut conn).await?,
        calendar: store::settings::calendar(&mut conn).await?,
        rules: crate::warnings::rules::current(&mut conn).await?,
        may_edit: principal.may_set_district_settings(),
        today: IsoDate::of_instant(now).to_string(),
        robots: if principal.may_set_group_robots() {
            Some(crate::robots::view(db, &mut conn).await?)
        } else {
            None
        },
    })
}

/// Saves the notice period and the 回头看 cadence. A notice already running keeps the end it
/// was given; due dates of re-reviews follow the new cadence at once (they are computed).
pub async fn save(db: &Db, user: &SessionUser, request: &SaveSettings) -> Result<()> {
    check(db, user).await?;
    let notice = NoticeDays::parse(request.notice_days);
    let cadence = Cadence::parse(
        request.cadence_first,
        request.cadence_second,
        request.cadence_third,
    );
    let (notice, cadence) = match (notice, cadence) {
        (Ok(n), Ok(c)) => (n, c),
        (n, c) => {
            let mut errors: Vec<domain::FieldError> = n.err().into_iter().collect();
            errors.extend(c.err().unwrap_or_default());
            return Err(errors.into());
        }
    };
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    store::settings::save(&mut tx, notice, cadence, user.id, now).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "settings_changed",
            "settings:district",
            json!({ "notice_days": notice.get(), "cadence": cadence }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Imports a list of holiday dates: the years it names are replaced by it, other years stay.
pub async fn import_calendar(
    db: &Db,
    user: &SessionUser,
    request: &ImportCalendar,
) -> Result<CalendarImported> {
    check(db, user).await?;
    let days = Calendar::parse_list(&request.days)?;
    if days.is_empty() {
        return Err(domain::FieldError::new(
            "required",
            "days",
            "节假日：请至少填写一个日期，每行一个，如“2027-01-01 放假 元旦”",
        )
        .into());
    }
    let mut years: Vec<u16> = days.iter().map(|d| d.date.year()).collect();
    years.sort_unstable();
    years.dedup();
    let mut tx = db.begin_write().await?;
    let removed = store::settings::replace_years(&mut tx, &years, &days).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "calendar_imported",
            "settings:calendar",
            json!({ "years": years, "days": days }),
        )
        .await?;
    tx.commit().await?;
    Ok(CalendarImported {
        years,
        added: days.len(),
        removed,
    })
}

/// Gives a round a new matrix by thresholds and rates its drafts again.
pub async fn set_round_matrix(
    db: &Db,
    user: &SessionUser,
    round: i64,
    request: &SetRoundMatrix,
) -> Result<MatrixSet> {
    check(db, user).await?;
    let (high, medium) = (
        u8::try_from(request.high_min).unwrap_or(0),
        u8::try_from(request.medium_min).unwrap_or(0),
    );
    let matrix = RatingMatrix::from_thresholds(high, medium)?;
    let matrix_json = serde_json::to_string(&matrix).map_err(|e| Error::Internal(e.into()))?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    if store::rounds::matrix_of(&mut tx, round).await?.is_none() {
        return Err(app::error::ApiError::not_found("该排查批次").into());
    }
    let (points, sheets) = store::rounds::set_matrix(&mut tx, round, &matrix_json, now).await?;
    let mut levels = Vec::new();
    let mut changes = Vec::new();
    for p in points {
        let ratings = Ratings::parse(p.likelihood, p.impact, p.frequency)
            .map_err(|e| Error::Internal(crate::error::corrupt("ratings", e)))?;
        let level = matrix.level(&ratings);
        let stored = RiskLevel::parse(&p.level)
            .map_err(|e| Error::Internal(crate::error::corrupt("level", e)))?;
        if level != stored {
            changes.push(Change {
                post_id: p.post_id,
                kind: Kind::RiskPoint,
                entity: p.id.clone(),
            });
            levels.push((p.id, level.code()));
        }
    }
    store::rounds::set_levels(&mut tx, &levels, now).await?;
    store::changes::record(&mut tx, &changes, None, now).await?;
    Actor::User(user)
        .record(
            &mut tx,
            "round_matrix_changed",
            &format!("round:{round}"),
            json!({ "high_min": high, "medium_min": medium, "drafts": sheets,
                    "levels_changed": levels.len() }),
        )
        .await?;
    tx.commit().await?;
    Ok(MatrixSet {
        drafts: sheets,
        levels_changed: levels.len(),
    })
}

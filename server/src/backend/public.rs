//! The public notice (公示): pages anyone may open, so each costs a fixed number of statements
//! however many posts a unit has, and shows no staff names.

use app::{
    api::{PublicSheet, PublicUnitLink, PublicUnitView},
    error::ApiError,
};
use domain::time::china_day;

use super::views;
use crate::{
    error::Result,
    store::{self, Conn},
};

/// A unit's published sheets.
pub async fn unit(conn: &mut Conn, unit_id: i64, name: Option<String>) -> Result<PublicUnitView> {
    let unit = name.ok_or_else(|| ApiError::not_found("该单位"))?;
    let rows = store::sheets::published(conn, unit_id).await?;
    let sheet_ids: Vec<i64> = rows.iter().map(|r| r.sheet_id).collect();
    let mut points = store::points::on_sheets(conn, &sheet_ids).await?;
    let round = rows.first().map(|r| r.round.clone()).unwrap_or_default();
    let mut sheets = Vec::with_capacity(rows.len());
    for row in rows {
        let mut risk_points = views::risk_points(points.remove(&row.sheet_id).unwrap_or_default())?;
        // The notice shows risks and measures, not who carries each measure out, nor the
        // supervision's flags.
        for point in risk_points.iter_mut() {
            point.flags.clear();
        }
        for measure in risk_points.iter_mut().flat_map(|p| p.measures.iter_mut()) {
            measure.owner = None;
            measure.due = None;
        }
        sheets.push(PublicSheet {
            post_id: row.post_id,
            post_title: row.title,
            post_level: row.level,
            stage: row.stage,
            notice_until: row.notice_until.map(china_day),
            open_objections: row.open_objections,
            risk_points,
        });
    }
    Ok(PublicUnitView {
        unit_id,
        unit,
        round,
        sheets,
    })
}

/// Units with published sheets.
pub async fn units(conn: &mut Conn) -> Result<Vec<PublicUnitLink>> {
    Ok(store::sheets::published_units(conn)
        .await?
        .into_iter()
        .map(|(id, name, published)| PublicUnitLink {
            id,
            name,
            published,
        })
        .collect())
}

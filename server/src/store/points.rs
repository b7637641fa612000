//! Risk points and their measures, read and written in bulk: a fixed number of statements per
//! call, however many points it covers.

use std::collections::{HashMap, HashSet};

use anyhow::Context as _;
use domain::{
    risk::RiskLevel,
    sync::{MeasureInput, RiskPointInput, RiskPointRecord},
};
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::{json_list, Conn, CHUNK};
use crate::error::corrupt;

/// A point's row, before its measures are attached.
struct Loaded {
    sheet: i64,
    record: RiskPointRecord,
}

fn nonempty(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|v| !v.is_empty())
}

/// Attaches measures (in position order) to loaded points, by point id.
async fn attach_measures(
    conn: &mut Conn,
    keys: &str,
    points: &mut HashMap<String, Loaded>,
) -> anyhow::Result<()> {
    let measures = sqlx::query!(
        r#"SELECT m.risk_point_id AS "risk_point_id!", m.kind, m.text, m.owner, m.due, m.status, m.done_on,
                  c.kind AS "check_kind?: String", c.status AS "check_status?: String", c.note AS "note?: String"
           FROM measures m
           LEFT JOIN measure_checks c ON c.risk_point_id = m.risk_point_id AND c.position = m.position
           WHERE m.risk_point_id IN (SELECT value FROM json_each(?)) ORDER BY m.risk_point_id, m.position"#,
        keys
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load measures")?;
    for m in measures {
        if let Some(point) = points.get_mut(&m.risk_point_id) {
            let check =
                super::measures::standing(m.check_kind.as_deref(), m.check_status.as_deref())?;
            point.record.input.measures.push(MeasureInput {
                kind: m.kind,
                text: m.text,
                owner: m.owner.unwrap_or_default(),
                due: m.due.unwrap_or_default(),
                status: m.status,
                done_on: m.done_on.unwrap_or_default(),
                check: check.code().to_owned(),
                note: m.note.unwrap_or_default(),
            });
        }
    }
    Ok(())
}

/// Loads the points `ids` with their measures, in the order of `ids` (first occurrence), each
/// with the id of its sheet; ids that no longer exist are left out.
#[tracing::instrument(level = "debug", skip_all, fields(points = ids.len()))]
pub async fn records(conn: &mut Conn, ids: &[Uuid]) -> anyhow::Result<Vec<(i64, RiskPointRecord)>> {
    let mut unique = Vec::new();
    let mut seen = HashSet::new();
    for id in ids {
        if seen.insert(*id) {
            unique.push(id.to_string());
        }
    }
    let mut loaded: HashMap<String, Loaded> = HashMap::new();
    for chunk in unique.chunks(CHUNK) {
        let keys = json_list(chunk)?;
        let rows = sqlx::query!(
            r#"SELECT p.id AS "id!", p.sheet_id AS "sheet_id!: i64", rs.post_id AS "post_id!: i64", p.version AS "version!: i64",
                      p.position AS "position!: i64", p.duty, p.description, p.manifestation, p.category, p.power_type,
                      p.likelihood AS "likelihood!: i64", p.impact AS "impact!: i64", p.frequency AS "frequency!: i64", p.level,
                  p.residual_likelihood, p.residual_impact
               FROM risk_points p JOIN risk_sheets rs ON rs.id = p.sheet_id
               WHERE p.id IN (SELECT value FROM json_each(?))"#,
            keys
        )
        .fetch_all(&mut *conn)
        .await
        .context("Failed to load risk points")?;
        for p in rows {
            let record = RiskPointRecord {
                id: Uuid::parse_str(&p.id).context("A risk point id is not a UUID")?,
                post_id: p.post_id,
                version: p.version,
                position: p.position,
                level: RiskLevel::parse(&p.level).map_err(|e| corrupt("risk level", e))?,
                input: RiskPointInput {
                    duty: p.duty.unwrap_or_default(),
                    description: p.description,
                    manifestation: p.manifestation.unwrap_or_default(),
                    category: p.category,
                    power_type: p.power_type,
                    likelihood: p.likelihood,
                    impact: p.impact,
                    frequency: p.frequency,
                    residual_likelihood: p.residual_likelihood,
                    residual_impact: p.residual_impact,
                    measures: Vec::new(),
                },
            };
            loaded.insert(
                p.id,
                Loaded {
                    sheet: p.sheet_id,
                    record,
                },
            );
        }
        attach_measures(conn, &keys, &mut loaded).await?;
    }
    Ok(unique
        .into_iter()
        .filter_map(|id| loaded.remove(&id))
        .map(|l| (l.sheet, l.record))
        .collect())
}

/// The points of many sheets with their measures, in two statements: sheet → points in list
/// order.
#[tracing::instrument(level = "debug", skip_all, fields(sheets = sheet_ids.len()))]
pub async fn on_sheets(
    conn: &mut Conn,
    sheet_ids: &[i64],
) -> anyhow::Result<HashMap<i64, Vec<RiskPointRecord>>> {
    let ids = json_list(sheet_ids)?;
    let rows = sqlx::query!(
        r#"SELECT p.id AS "id!", p.sheet_id AS "sheet_id!: i64", rs.post_id AS "post_id!: i64", p.version AS "version!: i64",
                  p.position AS "position!: i64", p.duty, p.description, p.manifestation, p.category, p.power_type,
                  p.likelihood AS "likelihood!: i64", p.impact AS "impact!: i64", p.frequency AS "frequency!: i64", p.level,
                  p.residual_likelihood, p.residual_impact
           FROM risk_points p JOIN risk_sheets rs ON rs.id = p.sheet_id
           WHERE p.sheet_id IN (SELECT value FROM json_each(?)) ORDER BY p.sheet_id, p.position"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the points of sheets")?;
    let mut order = Vec::with_capacity(rows.len());
    let mut loaded: HashMap<String, Loaded> = HashMap::new();
    for p in rows {
        order.push(p.id.clone());
        let record = RiskPointRecord {
            id: Uuid::parse_str(&p.id).context("A risk point id is not a UUID")?,
            post_id: p.post_id,
            version: p.version,
            position: p.position,
            level: RiskLevel::parse(&p.level).map_err(|e| corrupt("risk level", e))?,
            input: RiskPointInput {
                duty: p.duty.unwrap_or_default(),
                description: p.description,
                manifestation: p.manifestation.unwrap_or_default(),
                category: p.category,
                power_type: p.power_type,
                likelihood: p.likelihood,
                impact: p.impact,
                frequency: p.frequency,
                residual_likelihood: p.residual_likelihood,
                residual_impact: p.residual_impact,
                measures: Vec::new(),
            },
        };
        loaded.insert(
            p.id,
            Loaded {
                sheet: p.sheet_id,
                record,
            },
        );
    }
    let measures = sqlx::query!(
        r#"SELECT m.risk_point_id AS "risk_point_id!", m.kind, m.text, m.owner, m.due, m.status, m.done_on,
                  c.kind AS "check_kind?: String", c.status AS "check_status?: String", c.note AS "note?: String"
           FROM measures m JOIN risk_points p ON p.id = m.risk_point_id
           LEFT JOIN measure_checks c ON c.risk_point_id = m.risk_point_id AND c.position = m.position
           WHERE p.sheet_id IN (SELECT value FROM json_each(?)) ORDER BY m.risk_point_id, m.position"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the measures of sheets")?;
    for m in measures {
        if let Some(point) = loaded.get_mut(&m.risk_point_id) {
            let check =
                super::measures::standing(m.check_kind.as_deref(), m.check_status.as_deref())?;
            point.record.input.measures.push(MeasureInput {
                kind: m.kind,
                text: m.text,
                owner: m.owner.unwrap_or_default(),
                due: m.due.unwrap_or_default(),
                status: m.status,
                done_on: m.done_on.unwrap_or_default(),
                check: check.code().to_owned(),
                note: m.note.unwrap_or_default(),
            });
        }
    }
    let mut by_sheet: HashMap<i64, Vec<RiskPointRecord>> = HashMap::new();
    for id in order {
        if let Some(l) = loaded.remove(&id) {
            by_sheet.entry(l.sheet).or_default().push(l.record);
        }
    }
    Ok(by_sheet)
}

/// The ids of the points on the current sheets of `posts`, by post, then list order.
#[tracing::instrument(level = "debug", skip_all, fields(posts = posts.len()))]
pub async fn ids_on_current_sheets(
    conn: &mut Conn,
    posts: &[i64],
) -> anyhow::Result<Vec<(i64, Uuid)>> {
    let posts = json_list(posts)?;
    sqlx::query!(
        r#"SELECT cs.post_id AS "post_id!: i64", p.id AS "id!" FROM risk_points p
           JOIN current_sheets cs ON cs.id = p.sheet_id
           WHERE cs.post_id IN (SELECT value FROM json_each(?))
           ORDER BY cs.post_id, p.position"#,
        posts
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the points of current sheets")?
    .iter()
    .map(|r| {
        Uuid::parse_str(&r.id)
            .map(|id| (r.post_id, id))
            .context("A risk point id is not a UUID")
    })
    .collect()
}

/// Whether a sheet has a point with this description (the importer's natural key).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn described_on_sheet(
    conn: &mut Conn,
    sheet_id: i64,
    description: &str,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM risk_points WHERE sheet_id = ? AND description = ? LIMIT 1",
        sheet_id,
        description
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to look a point up by description")?
    .is_some())
}

/// (post, description) of every point in a round, for the importer.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn descriptions_in_round(
    conn: &mut Conn,
    round_id: i64,
) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query!(
        r#"SELECT rs.post_id AS "post_id!: i64", rp.description
           FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id WHERE rs.round_id = ?"#,
        round_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the points of a round")?
    .into_iter()
    .map(|r| (r.post_id, r.description))
    .collect())
}

/// Which of `ids` belonged to risk points that were deleted: those ids can never be used again.
pub async fn tombstoned(conn: &mut Conn, ids: &[Uuid]) -> anyhow::Result<HashSet<Uuid>> {
    let mut found = HashSet::new();
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    for chunk in ids.chunks(CHUNK) {
        let keys = json_list(chunk)?;
        let rows = sqlx::query_scalar!(
            r#"SELECT id AS "id!: String" FROM risk_point_tombstones WHERE id IN (SELECT value FROM json_each(?))"#,
            keys
        )
        .fetch_all(&mut *conn)
        .await
        .context("Failed to look up deleted risk points")?;
        found.extend(rows.iter().filter_map(|id| Uuid::parse_str(id).ok()));
    }
    Ok(found)
}

/// How many risk points a sheet holds.
pub async fn count_on_sheet(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<usize> {
    let n = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM risk_points WHERE sheet_id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to count a sheet's risk points")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Writes the final state of points: each of `present` (sheet, record) inserted or replaced with
/// its measures, each of `gone` (point, post) deleted and its id kept as taken. A handful of statements for any number of points.
#[tracing::instrument(level = "debug", skip_all, fields(present = present.len(), gone = gone.len()))]
pub async fn write(
    conn: &mut Conn,
    present: &[(i64, &RiskPointRecord)],
    gone: &[(Uuid, i64)],
    user_id: Option<i64>,
    now: i64,
) -> anyhow::Result<()> {
    let replaced: Vec<String> = present.iter().map(|(_, r)| r.id.to_string()).collect();
    for chunk in replaced.chunks(CHUNK) {
        let keys = json_list(chunk)?;
        sqlx::query!(
            "DELETE FROM measures WHERE risk_point_id IN (SELECT value FROM json_each(?))",
            keys
        )
        .execute(&mut *conn)
        .await
        .context("Failed to clear measures")?;
    }
    for chunk in present.chunks(CHUNK / 2) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO risk_points (id, sheet_id, position, duty, description, manifestation, category, power_type, \
             likelihood, impact, frequency, residual_likelihood, residual_impact, level, version, updated_at, updated_by) ",
        );
        upsert.push_values(chunk, |mut row, (sheet, r)| {
            let i = &r.input;
            row.push_bind(r.id.to_string())
                .push_bind(*sheet)
                .push_bind(r.position)
                .push_bind(nonempty(&i.duty))
                .push_bind(i.description.clone())
                .push_bind(nonempty(&i.manifestation))
                .push_bind(i.category.clone())
                .push_bind(i.power_type.clone())
                .push_bind(i.likelihood)
                .push_bind(i.impact)
                .push_bind(i.frequency)
                // 0 × 0 is "not rated", stored as no rating.
                .push_bind(i.residual_likelihood.filter(|v| *v != 0))
                .push_bind(i.residual_impact.filter(|v| *v != 0))
                .push_bind(r.level.code())
                .push_bind(r.version)
                .push_bind(now)
                .push_bind(user_id);
        });
        upsert.push(
            " ON CONFLICT (id) DO UPDATE SET duty = excluded.duty, description = excluded.description, \
             manifestation = excluded.manifestation, category = excluded.category, power_type = excluded.power_type, \
             likelihood = excluded.likelihood, impact = excluded.impact, frequency = excluded.frequency, \
             residual_likelihood = excluded.residual_likelihood, residual_impact = excluded.residual_impact, \
             level = excluded.level, version = excluded.version, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        );
        upsert
            .build()
            .execute(&mut *conn)
            .await
            .context("Failed to write risk points")?;
    }
    let measures: Vec<(String, i64, &MeasureInput)> = present
        .iter()
        .flat_map(|(_, r)| {
            r.input
                .measures
                .iter()
                .enumerate()
                .map(|(p, m)| (r.id.to_string(), p as i64, m))
        })
        .collect();
    for chunk in measures.chunks(CHUNK) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO measures (risk_point_id, position, kind, text, owner, due, status, done_on) ",
        );
        insert.push_values(chunk, |mut row, (id, position, m)| {
            row.push_bind(id.clone())
                .push_bind(*position)
                .push_bind(m.kind.clone())
                .push_bind(m.text.clone())
                .push_bind(nonempty(&m.owner))
                .push_bind(nonempty(&m.due))
                .push_bind(m.status.clone())
                .push_bind(nonempty(&m.done_on));
        });
        insert
            .build()
            .execute(&mut *conn)
            .await
            .context("Failed to write measures")?;
    }
    for chunk in gone.chunks(CHUNK) {
        // The id stays taken (see `tombstoned`), even for a point created and deleted within one
        // push that never reached this table.
        let mut tombstones = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO risk_point_tombstones (id, post_id, deleted_at) ",
        );
        tombstones.push_values(chunk, |mut row, (id, post_id)| {
            row.push_bind(id.to_string())
                .push_bind(*post_id)
                .push_bind(now);
        });
        tombstones
            .build()
            .execute(&mut *conn)
            .await
            .context("Failed to keep deleted risk points' ids")?;
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.to_string()).collect();
        let keys = json_list(&ids)?;
        sqlx::query!(
            "DELETE FROM risk_points WHERE id IN (SELECT value FROM json_each(?))",
            keys
        )
        .execute(&mut *conn)
        .await
        .context("Failed to delete risk points")?;
    }
    Ok(())
}

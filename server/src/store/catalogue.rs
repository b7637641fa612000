//! 风险库: the district catalogue's entries (`catalogue_entries`) and the units' risk points linked
//! to them (`catalogue_links`, one entry per point, held by the table's key), and the points the
//! grouping reads: every risk point on a post's current sheet.

use anyhow::Context as _;

use super::Conn;

/// A risk point on a current sheet, as the grouping and the catalogue page need it.
#[derive(Debug, Clone)]
pub struct CandidatePoint {
    pub id: String,
    pub post_id: i64,
    pub post: String,
    pub unit_id: i64,
    pub description: String,
    pub power_type: String,
    /// The entry it is linked to, if any.
    pub entry_id: Option<i64>,
}

/// Every risk point on the posts' current sheets, with its link, by unit, post and position.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn candidates(conn: &mut Conn) -> anyhow::Result<Vec<CandidatePoint>> {
    let rows = sqlx::query!(
        r#"SELECT rp.id AS "id!: String", p.id AS "post_id!: i64", p.title AS "post!: String",
                  p.unit_id AS "unit_id!: i64", rp.description AS "description!: String",
                  rp.power_type AS "power_type!: String", l.entry_id AS "entry_id?: i64"
           FROM current_sheets cs
           JOIN posts p ON p.id = cs.post_id
           JOIN risk_points rp ON rp.sheet_id = cs.id
           LEFT JOIN catalogue_links l ON l.point_id = rp.id
           ORDER BY p.unit_id, p.id, rp.position"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the risk points for the catalogue")?;
    Ok(rows
        .into_iter()
        .map(|r| CandidatePoint {
            id: r.id,
            post_id: r.post_id,
            post: r.post,
            unit_id: r.unit_id,
            description: r.description,
            power_type: r.power_type,
            entry_id: r.entry_id,
        })
        .collect())
}

/// A catalogue entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    /// The kind of power, by its label (`物资采购`).
    pub power_kind: String,
    pub wording: String,
    /// The unified measures in the measures cell's form.
    pub measures: String,
    pub updated_at: i64,
}

/// Every entry, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn entries(conn: &mut Conn) -> anyhow::Result<Vec<Entry>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!: i64", power_kind, wording, measures, updated_at AS "updated_at!: i64"
           FROM catalogue_entries ORDER BY id DESC"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the catalogue entries")?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            power_kind: r.power_kind,
            wording: r.wording,
            measures: r.measures,
            updated_at: r.updated_at,
        })
        .collect())
}

/// One entry.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn entry(conn: &mut Conn, id: i64) -> anyhow::Result<Option<Entry>> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!: i64", power_kind, wording, measures, updated_at AS "updated_at!: i64"
           FROM catalogue_entries WHERE id = ?"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a catalogue entry")?;
    Ok(row.map(|r| Entry {
        id: r.id,
        power_kind: r.power_kind,
        wording: r.wording,
        measures: r.measures,
        updated_at: r.updated_at,
    }))
}

/// A new entry; returns its id.
#[tracing::instrument(level = "debug", skip(conn, wording, measures))]
pub async fn create_entry(
    conn: &mut Conn,
    power_kind: &str,
    wording: &str,
    measures: &str,
    user_id: i64,
    now: i64,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO catalogue_entries (power_kind, wording, measures, created_by, created_at, updated_by, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        power_kind,
        wording,
        measures,
        user_id,
        now,
        user_id,
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to create a catalogue entry")
}

/// Sets an entry's wording and measures; false when there is no such entry.
#[tracing::instrument(level = "debug", skip(conn, wording, measures))]
pub async fn update_entry(
    conn: &mut Conn,
    id: i64,
    wording: &str,
    measures: &str,
    user_id: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "UPDATE catalogue_entries SET wording = ?, measures = ?, updated_by = ?, updated_at = ? WHERE id = ?",
        wording,
        measures,
        user_id,
        now,
        id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to update a catalogue entry")?;
    Ok(done.rows_affected() == 1)
}

/// Links `point` to `entry` unless it is already in an entry (the table's key decides); true when
/// it was linked.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn link(
    conn: &mut Conn,
    entry: i64,
    point: &str,
    user_id: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO catalogue_links (point_id, entry_id, linked_by, linked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (point_id) DO NOTHING",
        point,
        entry,
        user_id,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to link a risk point to a catalogue entry")?;
    Ok(done.rows_affected() == 1)
}

/// The entry `point` is linked to.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn entry_of(conn: &mut Conn, point: &str) -> anyhow::Result<Option<Entry>> {
    let id = sqlx::query_scalar!(
        r#"SELECT entry_id AS "entry_id!: i64" FROM catalogue_links WHERE point_id = ?"#,
        point
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to find a risk point's catalogue entry")?;
    match id {
        Some(id) => entry(conn, id).await,
        None => Ok(None),
    }
}

/// Takes `point` out of its entry; false when it was in none.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unlink(conn: &mut Conn, point: &str) -> anyhow::Result<bool> {
    let done = sqlx::query!("DELETE FROM catalogue_links WHERE point_id = ?", point)
        .execute(&mut *conn)
        .await
        .context("Failed to unlink a risk point from its catalogue entry")?;
    Ok(done.rows_affected() == 1)
}

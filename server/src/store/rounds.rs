//! Rounds (排查批次) as the commission starts and follows them: the rounds with their scope, what
//! starting one does to each post's sheet (a fresh sheet, a copy of the approved one, or the
//! unfinished one moved in), and the sheets of a round with their holders for its progress page.

use anyhow::Context as _;
use domain::stage::Stage;

use super::{json_list, Conn};
use crate::error::corrupt;

/// A round as listed.
#[derive(Debug, Clone)]
pub struct RoundRow {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub deadline: String,
    pub pilot: bool,
    pub re_review: bool,
    pub started_at: Option<i64>,
    /// The units chosen for it (each reaches everything beneath it).
    pub scope: Vec<i64>,
    pub sheets: i64,
}

/// Every round, newest first (by year, then id), with its scope and how many sheets it holds.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(conn: &mut Conn) -> anyhow::Result<Vec<RoundRow>> {
    sqlx::query!(
        r#"SELECT r.id AS "id!: i64", r.name, r.year AS "year!: i64", r.deadline, r.pilot AS "pilot!: bool",
                  r.re_review AS "re_review!: bool", r.started_at AS "started_at?: i64",
                  (SELECT json_group_array(s.unit_id) FROM round_scope s WHERE s.round_id = r.id) AS "scope!: String",
                  (SELECT COUNT(*) FROM risk_sheets rs WHERE rs.round_id = r.id) AS "sheets!: i64"
           FROM rounds r ORDER BY r.year DESC, r.id DESC"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the rounds")?
    .into_iter()
    .map(|r| {
        Ok(RoundRow {
            id: r.id,
            name: r.name,
            year: r.year,
            deadline: r.deadline,
            pilot: r.pilot,
            re_review: r.re_review,
            started_at: r.started_at,
            scope: serde_json::from_str(&r.scope).map_err(|e| corrupt("round scope", e))?,
            sheets: r.sheets,
        })
    })
    .collect()
}

/// A round to insert.
#[derive(Debug, Clone)]
pub struct NewRound<'a> {
    pub name: &'a str,
    pub year: i64,
    pub deadline: &'a str,
    pub pilot: bool,
    pub re_review: bool,
    pub matrix_json: &'a str,
    pub scope: &'a [i64],
    pub started_by: Option<i64>,
    pub now: i64,
}

/// Inserts a started round with its scope; `None` when a round of that name exists.
#[tracing::instrument(level = "debug", skip_all, fields(name = r.name))]
pub async fn insert(conn: &mut Conn, r: &NewRound<'_>) -> anyhow::Result<Option<i64>> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO rounds (name, year, deadline, pilot, re_review, matrix_json, started_at, started_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id AS "id!: i64""#,
        r.name,
        r.year,
        r.deadline,
        r.pilot,
        r.re_review,
        r.matrix_json,
        r.now,
        r.started_by
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to insert a round")?;
    let Some(id) = id else {
        return Ok(None);
    };
    let scope = json_list(r.scope)?;
    sqlx::query!(
        "INSERT OR IGNORE INTO round_scope (round_id, unit_id) SELECT ?, value FROM json_each(?)",
        id,
        scope
    )
    .execute(&mut *conn)
    .await
    .context("Failed to scope a round")?;
    Ok(Some(id))
}

/// A post's current sheet as starting a round sees it.
#[derive(Debug, Clone, Copy)]
pub struct CurrentOf {
    pub post_id: i64,
    pub round_id: i64,
    pub round_year: i64,
    pub sheet_id: i64,
    pub stage: Stage,
}

/// The current sheets of `posts` (posts without one are left out).
#[tracing::instrument(level = "debug", skip_all, fields(posts = posts.len()))]
pub async fn current_of(conn: &mut Conn, posts: &[i64]) -> anyhow::Result<Vec<CurrentOf>> {
    let ids = json_list(posts)?;
    sqlx::query!(
        r#"SELECT cs.post_id AS "post_id!: i64", cs.round_id AS "round_id!: i64", cs.round_year AS "round_year!: i64",
                  cs.id AS "sheet_id!: i64",
                  cs.stage AS "stage!: String"
           FROM current_sheets cs WHERE cs.post_id IN (SELECT value FROM json_each(?))"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the current sheets of posts")?
    .into_iter()
    .map(|r| {
        Ok(CurrentOf {
            post_id: r.post_id,
            round_id: r.round_id,
            round_year: r.round_year,
            sheet_id: r.sheet_id,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
        })
    })
    .collect()
}

/// Opens an empty sheet for `post` in `round`; returns its id.
#[tracing::instrument(level = "debug", skip(conn, matrix_json))]
pub async fn open(
    conn: &mut Conn,
    round: i64,
    post: i64,
    matrix_json: &str,
    now: i64,
) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO risk_sheets (round_id, post_id, matrix_json, updated_at) VALUES (?, ?, ?, ?)
           RETURNING id AS "id!: i64""#,
        round,
        post,
        matrix_json,
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to open a sheet")
}

/// Moves an unfinished sheet into `round` as it stands.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn adopt(conn: &mut Conn, sheet: i64, round: i64, now: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE risk_sheets SET round_id = ?, updated_at = ? WHERE id = ?",
        round,
        now,
        sheet
    )
    .execute(&mut *conn)
    .await
    .context("Failed to move a sheet into a round")?;
    Ok(())
}

/// The ids of the points on a sheet, by position.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn point_ids(conn: &mut Conn, sheet: i64) -> anyhow::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id!: String" FROM risk_points WHERE sheet_id = ? ORDER BY position"#,
        sheet
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the points of a sheet")
}

/// Copies points with every stored field and their measures onto sheet `to`, under new ids:
/// `pairs` are (old id, new id). The copies start at version 1, as written `now`; the sheet's
/// position counter continues from the old sheet's.
#[tracing::instrument(level = "debug", skip(conn, pairs), fields(points = pairs.len()))]
pub async fn copy_points(
    conn: &mut Conn,
    from: i64,
    to: i64,
    pairs: &[(String, String)],
    now: i64,
) -> anyhow::Result<()> {
    let pairs = json_list(pairs)?;
    sqlx::query!(
        r#"INSERT INTO risk_points (id, sheet_id, position, duty, description, manifestation, category, power_type,
                                    likelihood, impact, frequency, residual_likelihood, residual_impact, level,
                                    version, updated_at, updated_by)
           SELECT json_extract(j.value, '$[1]'), ?, rp.position, rp.duty, rp.description, rp.manifestation,
                  rp.category, rp.power_type, rp.likelihood, rp.impact, rp.frequency,
                  rp.residual_likelihood, rp.residual_impact, rp.level, 1, ?, rp.updated_by
           FROM json_each(?) j JOIN risk_points rp ON rp.id = json_extract(j.value, '$[0]')"#,
        to,
        now,
        pairs
    )
    .execute(&mut *conn)
    .await
    .context("Failed to copy risk points")?;
    sqlx::query!(
        r#"INSERT INTO measures (risk_point_id, position, kind, text, owner, due, status, done_on)
           SELECT json_extract(j.value, '$[1]'), m.position, m.kind, m.text, m.owner, m.due, m.status, m.done_on
           FROM json_each(?) j JOIN measures m ON m.risk_point_id = json_extract(j.value, '$[0]')"#,
        pairs
    )
    .execute(&mut *conn)
    .await
    .context("Failed to copy measures")?;
    sqlx::query!(
        "UPDATE risk_sheets SET next_position = (SELECT next_position FROM risk_sheets WHERE id = ?) WHERE id = ?",
        from,
        to
    )
    .execute(&mut *conn)
    .await
    .context("Failed to continue a sheet's positions")?;
    Ok(())
}

/// A sheet of a round, for its progress page.
#[derive(Debug, Clone)]
pub struct RoundSheet {
    pub post_id: i64,
    pub unit_id: i64,
    pub title: String,
    pub stage: Stage,
    pub risk_count: i64,
    /// The post's active holders' names, joined with "、".
    pub holders: String,
}

/// The sheets of `round`, by unit then post.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn sheets(conn: &mut Conn, round: i64) -> anyhow::Result<Vec<RoundSheet>> {
    sqlx::query!(
        r#"SELECT p.id AS "post_id!: i64", p.unit_id AS "unit_id!: i64", p.title, rs.stage,
                  (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = rs.id) AS "risk_count!: i64",
                  (SELECT COALESCE(group_concat(u.display_name, '、'), '') FROM post_holders h JOIN users u ON u.id = h.user_id
                   WHERE h.post_id = p.id AND u.active = 1) AS "holders!: String"
           FROM risk_sheets rs JOIN posts p ON p.id = rs.post_id
           WHERE rs.round_id = ? ORDER BY p.unit_id, p.id"#,
        round
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the sheets of a round")?
    .into_iter()
    .map(|r| {
        Ok(RoundSheet {
            post_id: r.post_id,
            unit_id: r.unit_id,
            title: r.title,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
            risk_count: r.risk_count,
            holders: r.holders,
        })
    })
    .collect()
}

/// The round of each current sheet of the posts a user holds: (post, round name, deadline).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn deadlines_of_holder(
    conn: &mut Conn,
    user: i64,
) -> anyhow::Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query!(
        r#"SELECT cs.post_id AS "post_id!: i64", r.name, r.deadline
           FROM post_holders h JOIN current_sheets cs ON cs.post_id = h.post_id JOIN rounds r ON r.id = cs.round_id
           WHERE h.user_id = ? ORDER BY cs.post_id"#,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load a holder's deadlines")?
    .into_iter()
    .map(|r| (r.post_id, r.name, r.deadline))
    .collect())
}

/// A key post whose approved sheet is its current one, with when it was approved.
#[derive(Debug, Clone)]
pub struct KeyPostApproved {
    pub post_id: i64,
    pub unit_id: i64,
    pub title: String,
    pub grade: String,
    pub approved_at: i64,
}

/// Key posts with a supervision grade whose current sheet is approved (none reopened yet), for
/// 回头看, by post.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn key_posts_approved(conn: &mut Conn) -> anyhow::Result<Vec<KeyPostApproved>> {
    Ok(sqlx::query!(
        r#"SELECT p.id AS "post_id!: i64", p.unit_id AS "unit_id!: i64", p.title,
                  p.supervision_grade AS "grade!: String",
                  (SELECT MAX(t.at) FROM sheet_transitions t WHERE t.sheet_id = cs.id AND t.to_stage = 'approved') AS "approved_at?: i64",
                  cs.updated_at AS "updated_at!: i64"
           FROM posts p JOIN current_sheets cs ON cs.post_id = p.id
           WHERE p.key_post = 1 AND p.supervision_grade IS NOT NULL AND cs.stage = 'approved'
           ORDER BY p.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the approved key posts")?
    .into_iter()
    .map(|r| KeyPostApproved {
        post_id: r.post_id,
        unit_id: r.unit_id,
        title: r.title,
        grade: r.grade,
        // A sheet approved outside the chain (an import of approved sheets) counts from its
        // last change.
        approved_at: r.approved_at.unwrap_or(r.updated_at),
    })
    .collect())
}

/// The rating matrix of a round (as stored JSON), if the round exists.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn matrix_of(conn: &mut Conn, round: i64) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar!("SELECT matrix_json FROM rounds WHERE id = ?", round)
        .fetch_optional(&mut *conn)
        .await
        .context("Failed to load a round's matrix")
}

/// A risk point on a draft (自查) sheet of a round, with what its level is computed from.
#[derive(Debug, Clone)]
pub struct DraftPoint {
    pub id: String,
    pub post_id: i64,
    pub likelihood: i64,
    pub impact: i64,
    pub frequency: i64,
    pub level: String,
}

/// Gives a round a new matrix, and with it every sheet of the round still in 自查 (drafts):
/// sheets further up the chain or published keep the matrix they were rated with. Returns the
/// drafts' points, to be rated again, and how many sheets took the matrix.
#[tracing::instrument(level = "debug", skip(conn, matrix_json))]
pub async fn set_matrix(
    conn: &mut Conn,
    round: i64,
    matrix_json: &str,
    now: i64,
) -> anyhow::Result<(Vec<DraftPoint>, u64)> {
    sqlx::query!(
        "UPDATE rounds SET matrix_json = ? WHERE id = ?",
        matrix_json,
        round
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set a round's matrix")?;
    let sheets = sqlx::query!(
        "UPDATE risk_sheets SET matrix_json = ?, updated_at = ? WHERE round_id = ? AND stage = 'self_check'",
        matrix_json,
        now,
        round
    )
    .execute(&mut *conn)
    .await
    .context("Failed to set the matrix of a round's drafts")?
    .rows_affected();
    let points = sqlx::query!(
        r#"SELECT p.id AS "id!", rs.post_id AS "post_id!: i64", p.likelihood AS "likelihood!: i64",
                  p.impact AS "impact!: i64", p.frequency AS "frequency!: i64", p.level
           FROM risk_points p JOIN risk_sheets rs ON rs.id = p.sheet_id
           WHERE rs.round_id = ? AND rs.stage = 'self_check' ORDER BY p.sheet_id, p.position"#,
        round
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the points of a round's drafts")?
    .into_iter()
    .map(|r| DraftPoint {
        id: r.id,
        post_id: r.post_id,
        likelihood: r.likelihood,
        impact: r.impact,
        frequency: r.frequency,
        level: r.level,
    })
    .collect();
    Ok((points, sheets))
}

/// Sets the levels of points: (point id, level code).
#[tracing::instrument(level = "debug", skip_all, fields(points = levels.len()))]
pub async fn set_levels(
    conn: &mut Conn,
    levels: &[(String, &str)],
    now: i64,
) -> anyhow::Result<()> {
    for (id, level) in levels {
        sqlx::query!(
            "UPDATE risk_points SET level = ?, updated_at = ? WHERE id = ?",
            level,
            now,
            id
        )
        .execute(&mut *conn)
        .await
        .context("Failed to set a point's level")?;
    }
    Ok(())
}

//! Rounds and risk sheets: one definition each of "the current round" and "a post's current
//! sheet" (the `current_round` and `current_sheets` views), the facts the approval chain decides
//! on, and the lists that pages show.

use anyhow::Context as _;
use domain::{post::PostLevel, risk::RatingMatrix, stage::Stage};

use super::{json_list, Conn};
use crate::error::corrupt;

/// A round (排查批次) with its rating matrix as stored.
#[derive(Debug, Clone)]
pub struct Round {
    pub id: i64,
    pub name: String,
    pub matrix_json: String,
}

/// The current round: the latest by year, then id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_round(conn: &mut Conn) -> anyhow::Result<Option<Round>> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", name AS "name!: String", matrix_json AS "matrix_json!: String" FROM current_round"#
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load the current round")?
    .map(|r| Round {
        id: r.id,
        name: r.name,
        matrix_json: r.matrix_json,
    }))
}

/// The round called `name`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn round_named(conn: &mut Conn, name: &str) -> anyhow::Result<Option<Round>> {
    Ok(sqlx::query!(
        r#"SELECT id AS "id!: i64", name, matrix_json FROM rounds WHERE name = ?"#,
        name
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a round")?
    .map(|r| Round {
        id: r.id,
        name: r.name,
        matrix_json: r.matrix_json,
    }))
}

/// The round `name` over the whole district (`district`), created with the default matrix when
/// missing.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn ensure_round(
    conn: &mut Conn,
    district: i64,
    name: &str,
    year: i64,
    deadline: &str,
) -> anyhow::Result<Round> {
    let matrix = serde_json::to_string(&RatingMatrix::default())?;
    sqlx::query!(
        "INSERT INTO rounds (name, year, deadline, pilot, matrix_json) VALUES (?, ?, ?, 0, ?) ON CONFLICT (name) DO NOTHING",
        name,
        year,
        deadline,
        matrix
    )
    .execute(&mut *conn)
    .await
    .context("Failed to insert a round")?;
    let round = round_named(conn, name)
        .await?
        .context("A round just inserted is missing")?;
    sqlx::query!(
        "INSERT OR IGNORE INTO round_scope (round_id, unit_id) VALUES (?, ?)",
        round.id,
        district
    )
    .execute(&mut *conn)
    .await
    .context("Failed to scope a round")?;
    Ok(round)
}

/// A post's current sheet as the write paths need it.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: i64,
    pub round: String,
    pub stage: Stage,
    pub version: i64,
    pub notice_until: Option<i64>,
    pub matrix: RatingMatrix,
    /// The next free position: past every position ever handed out on the sheet.
    pub next_position: i64,
}

/// The current sheet of `post_id` (none before the post's first round).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn current(conn: &mut Conn, post_id: i64) -> anyhow::Result<Option<Current>> {
    sqlx::query!(
        r#"SELECT cs.id AS "id!: i64", cs.round_name AS "round!: String", cs.stage AS "stage!: String",
                  cs.version AS "version!: i64", cs.notice_until AS "notice_until?: i64",
                  cs.matrix_json AS "matrix_json!: String",
                  MAX(cs.next_position, (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = cs.id)) AS "next!: i64"
           FROM current_sheets cs WHERE cs.post_id = ?"#,
        post_id
    )
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to load a post's current sheet")?
    .map(|r| {
        Ok(Current {
            id: r.id,
            round: r.round,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
            version: r.version,
            notice_until: r.notice_until,
            matrix: serde_json::from_str(&r.matrix_json).map_err(|e| corrupt("matrix", e))?,
            next_position: r.next,
        })
    })
    .transpose()
}

/// The post of a sheet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn post_of(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT post_id AS "post_id!: i64" FROM risk_sheets WHERE id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to find a sheet's post")
}

/// The rating matrix a sheet was rated with.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn matrix(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<RatingMatrix> {
    let json = sqlx::query_scalar!("SELECT matrix_json FROM risk_sheets WHERE id = ?", sheet_id)
        .fetch_one(&mut *conn)
        .await
        .context("Failed to load a sheet's matrix")?;
    serde_json::from_str(&json).map_err(|e| corrupt("matrix", e))
}

/// The sheets of a round: (post, stage, matrix), for the importer.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn in_round(
    conn: &mut Conn,
    round_id: i64,
) -> anyhow::Result<Vec<(i64, Stage, RatingMatrix)>> {
    sqlx::query!(
        r#"SELECT post_id AS "post_id!: i64", stage, matrix_json FROM risk_sheets WHERE round_id = ?"#,
        round_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the sheets of a round")?
    .into_iter()
    .map(|s| {
        Ok((
            s.post_id,
            Stage::from_code(&s.stage).map_err(|e| corrupt("stage", e))?,
            serde_json::from_str(&s.matrix_json).map_err(|e| corrupt("matrix", e))?,
        ))
    })
    .collect()
}

/// The sheet of `post` in `round`, created (in self-check, with `matrix_json`) when missing;
/// returns its id, whether it was created, and its next free position.
#[tracing::instrument(level = "debug", skip(conn, matrix_json))]
pub async fn ensure(
    conn: &mut Conn,
    round: i64,
    post: i64,
    matrix_json: &str,
    now: i64,
) -> anyhow::Result<(i64, bool, i64)> {
    let created = sqlx::query!(
        "INSERT INTO risk_sheets (round_id, post_id, matrix_json, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (round_id, post_id) DO NOTHING",
        round,
        post,
        matrix_json,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to insert a sheet")?
    .rows_affected()
        > 0;
    // Positions are never reused: the counter may be past every point there is now.
    let row = sqlx::query!(
        r#"SELECT rs.id AS "id!: i64",
                  MAX(rs.next_position, (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = rs.id)) AS "next!: i64"
           FROM risk_sheets rs WHERE rs.round_id = ? AND rs.post_id = ?"#,
        round,
        post
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to find a sheet")?;
    Ok((row.id, created, row.next))
}

/// Records that `changes` changes were made to a sheet's content: its version counts them.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn bump_version(
    conn: &mut Conn,
    sheet_id: i64,
    changes: i64,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE risk_sheets SET version = version + ?, updated_at = ? WHERE id = ?",
        changes,
        now,
        sheet_id
    )
    .execute(&mut *conn)
    .await
    .context("Failed to bump a sheet's version")?;
    Ok(())
}

/// Moves a sheet's counter of positions up to `next` (never down).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn raise_next_position(conn: &mut Conn, sheet_id: i64, next: i64) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE risk_sheets SET next_position = ? WHERE id = ? AND next_position < ?",
        next,
        sheet_id,
        next
    )
    .execute(&mut *conn)
    .await
    .context("Failed to move a sheet's position counter")?;
    Ok(())
}

/// A step of the chain: the sheet's new stage (and the end of its notice, when it enters one);
/// returns the sheet's new version.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn move_to(
    conn: &mut Conn,
    sheet_id: i64,
    stage: Stage,
    notice_until: Option<i64>,
    now: i64,
) -> anyhow::Result<i64> {
    let stage = stage.code();
    sqlx::query_scalar!(
        r#"UPDATE risk_sheets SET stage = ?, version = version + 1, updated_at = ?,
                  notice_until = COALESCE(?, notice_until)
           WHERE id = ? RETURNING version AS "v!: i64""#,
        stage,
        now,
        notice_until,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to move a sheet to its next stage")
}

/// What the chain's gates count on a sheet, and where it stands.
#[derive(Debug, Clone)]
pub struct Facts {
    pub version: i64,
    pub notice_until: Option<i64>,
    pub level: PostLevel,
    pub unit_id: i64,
    pub required_peer_reviews: i64,
    pub risk_points: i64,
    pub peer_reviews: i64,
    pub pending_suggestions: i64,
    pub open_objections: i64,
}

/// The counts behind the chain's gates for one sheet, in one statement.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn facts(conn: &mut Conn, sheet_id: i64) -> anyhow::Result<Facts> {
    let row = sqlx::query!(
        r#"SELECT rs.version AS "version!: i64", rs.notice_until, p.level, p.unit_id AS "unit_id!: i64",
                  u.required_peer_reviews AS "required!: i64",
                  (SELECT COUNT(*) FROM risk_points WHERE sheet_id = rs.id) AS "points!: i64",
                  (SELECT COUNT(*) FROM peer_reviews WHERE sheet_id = rs.id) AS "reviews!: i64",
                  (SELECT COUNT(*) FROM suggestions WHERE sheet_id = rs.id AND status = 'pending') AS "pending!: i64",
                  (SELECT COUNT(*) FROM objections WHERE sheet_id = rs.id AND status = 'open') AS "objections!: i64"
           FROM risk_sheets rs JOIN posts p ON p.id = rs.post_id JOIN org_units u ON u.id = p.unit_id
           WHERE rs.id = ?"#,
        sheet_id
    )
    .fetch_one(&mut *conn)
    .await
    .context("Failed to load a sheet's facts")?;
    Ok(Facts {
        version: row.version,
        notice_until: row.notice_until,
        level: PostLevel::parse(&row.level).map_err(|e| corrupt("post level", e))?,
        unit_id: row.unit_id,
        required_peer_reviews: row.required,
        risk_points: row.points,
        peer_reviews: row.reviews,
        pending_suggestions: row.pending,
        open_objections: row.objections,
    })
}

/// A post with its current sheet, as pull records and handbook sections need it.
#[derive(Debug, Clone)]
pub struct PostSheet {
    pub post_id: i64,
    pub unit_id: i64,
    pub unit: String,
    pub title: String,
    pub level: PostLevel,
    pub key_post: bool,
    pub grade: Option<String>,
    pub sheet: Option<SheetHead>,
}

/// A current sheet's heading.
#[derive(Debug, Clone)]
pub struct SheetHead {
    pub id: i64,
    pub round: String,
    pub stage: Stage,
    pub version: i64,
    pub notice_until: Option<i64>,
    pub matrix_json: String,
}

/// `posts` (those that exist) with their units and current sheets, in one statement, by id.
#[tracing::instrument(level = "debug", skip_all, fields(posts = posts.len()))]
pub async fn posts_with_sheets(conn: &mut Conn, posts: &[i64]) -> anyhow::Result<Vec<PostSheet>> {
    let ids = json_list(posts)?;
    sqlx::query!(
        r#"SELECT p.id AS "id!: i64", p.unit_id AS "unit_id!: i64", u.name AS unit, p.title, p.level,
                  p.key_post AS "key_post: bool", p.supervision_grade,
                  cs.id AS "sheet_id?: i64", cs.round_name AS "round?: String", cs.stage AS "stage?: String",
                  cs.version AS "version?: i64", cs.notice_until AS "notice_until?: i64",
                  cs.matrix_json AS "matrix_json?: String"
           FROM posts p JOIN org_units u ON u.id = p.unit_id LEFT JOIN current_sheets cs ON cs.post_id = p.id
           WHERE p.id IN (SELECT value FROM json_each(?)) ORDER BY p.id"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load posts with their sheets")?
    .into_iter()
    .map(|r| {
        let sheet = match (r.sheet_id, r.round, r.stage, r.version, r.matrix_json) {
            (Some(id), Some(round), Some(stage), Some(version), Some(matrix_json)) => {
                Some(SheetHead {
                    id,
                    round,
                    stage: Stage::from_code(&stage).map_err(|e| corrupt("stage", e))?,
                    version,
                    notice_until: r.notice_until,
                    matrix_json,
                })
            }
            _ => None,
        };
        Ok(PostSheet {
            post_id: r.id,
            unit_id: r.unit_id,
            unit: r.unit,
            title: r.title,
            level: PostLevel::parse(&r.level).map_err(|e| corrupt("post level", e))?,
            key_post: r.key_post,
            grade: r.supervision_grade,
            sheet,
        })
    })
    .collect()
}

/// The posts of the given units, by id.
#[tracing::instrument(level = "debug", skip_all, fields(units = units.len()))]
pub async fn posts_in_units(conn: &mut Conn, units: &[i64]) -> anyhow::Result<Vec<i64>> {
    let ids = json_list(units)?;
    sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM posts WHERE unit_id IN (SELECT value FROM json_each(?)) ORDER BY id"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the posts of units")
}

/// A post's current sheet in brief, for lists and inboxes.
#[derive(Debug, Clone)]
pub struct Summary {
    pub post_id: i64,
    pub unit_id: i64,
    pub title: String,
    pub level: PostLevel,
    pub stage: Stage,
    pub risk_count: i64,
    pub high_count: i64,
    pub open_objections: i64,
    /// `user` has peer-reviewed it.
    pub reviewed: bool,
}

/// Every post's current sheet in brief, as `user` sees it (whether they reviewed it), by unit
/// then post.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn summaries(conn: &mut Conn, user: i64) -> anyhow::Result<Vec<Summary>> {
    sqlx::query!(
        r#"SELECT p.id AS "post_id!: i64", p.unit_id AS "unit_id!: i64", p.title, p.level,
                  COALESCE(cs.stage, 'self_check') AS "stage!: String",
                  (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = cs.id) AS "risk_count!: i64",
                  (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = cs.id AND rp.level = 'high') AS "high_count!: i64",
                  (SELECT COUNT(*) FROM objections o WHERE o.sheet_id = cs.id AND o.status = 'open') AS "objections!: i64",
                  EXISTS (SELECT 1 FROM peer_reviews pr WHERE pr.sheet_id = cs.id AND pr.by_user = ?) AS "reviewed!: bool"
           FROM posts p LEFT JOIN current_sheets cs ON cs.post_id = p.id
           ORDER BY p.unit_id, p.id"#,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list the sheets")?
    .into_iter()
    .map(|r| {
        Ok(Summary {
            post_id: r.post_id,
            unit_id: r.unit_id,
            title: r.title,
            level: PostLevel::parse(&r.level).map_err(|e| corrupt("post level", e))?,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
            risk_count: r.risk_count,
            high_count: r.high_count,
            open_objections: r.objections,
            reviewed: r.reviewed,
        })
    })
    .collect()
}

/// A published sheet (公示 or later) on a unit's public notice.
#[derive(Debug, Clone)]
pub struct Published {
    pub post_id: i64,
    pub title: String,
    pub level: PostLevel,
    pub sheet_id: i64,
    pub stage: Stage,
    pub notice_until: Option<i64>,
    pub round: String,
    pub open_objections: i64,
}

/// The published sheets (the `published_sheets` view: a post's latest sheet at 公示 or later) of
/// the posts directly in a unit, by post, in one statement.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn published(conn: &mut Conn, unit_id: i64) -> anyhow::Result<Vec<Published>> {
    sqlx::query!(
        r#"SELECT p.id AS "post_id!: i64", p.title, p.level, cs.id AS "sheet_id!: i64", cs.stage AS "stage!: String",
                  cs.notice_until AS "notice_until?: i64", cs.round_name AS "round!: String",
                  (SELECT COUNT(*) FROM objections o WHERE o.sheet_id = cs.id AND o.status = 'open') AS "objections!: i64"
           FROM posts p JOIN published_sheets cs ON cs.post_id = p.id
           WHERE p.unit_id = ?
           ORDER BY p.id"#,
        unit_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list published sheets")?
    .into_iter()
    .map(|r| {
        Ok(Published {
            post_id: r.post_id,
            title: r.title,
            level: PostLevel::parse(&r.level).map_err(|e| corrupt("post level", e))?,
            sheet_id: r.sheet_id,
            stage: Stage::from_code(&r.stage).map_err(|e| corrupt("stage", e))?,
            notice_until: r.notice_until,
            round: r.round,
            open_objections: r.objections,
        })
    })
    .collect()
}

/// Units with published sheets: (id, name, how many), by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn published_units(conn: &mut Conn) -> anyhow::Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.name, COUNT(*) AS "published!: i64"
           FROM org_units u JOIN posts p ON p.unit_id = u.id JOIN published_sheets cs ON cs.post_id = p.id
           GROUP BY u.id ORDER BY u.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to list units with published sheets")?
    .into_iter()
    .map(|r| (r.id, r.name, r.published))
    .collect())
}

/// Notes that `user` opened `post`'s sheet at `now`, keeping only their `keep` latest.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn note_view(
    conn: &mut Conn,
    user: i64,
    post: i64,
    now: i64,
    keep: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO sheet_views (user_id, post_id, viewed_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id, post_id) DO UPDATE SET viewed_at = excluded.viewed_at",
        user,
        post,
        now
    )
    .execute(&mut *conn)
    .await
    .context("Failed to note a sheet view")?;
    sqlx::query!(
        "DELETE FROM sheet_views WHERE user_id = ? AND post_id NOT IN
           (SELECT post_id FROM sheet_views WHERE user_id = ? ORDER BY viewed_at DESC, post_id LIMIT ?)",
        user,
        user,
        keep
    )
    .execute(&mut *conn)
    .await
    .context("Failed to trim the sheet views")?;
    Ok(())
}

/// The posts whose sheets `user` opened lately, most recent first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn viewed_lately(conn: &mut Conn, user: i64) -> anyhow::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT post_id AS "post_id!: i64" FROM sheet_views WHERE user_id = ?
           ORDER BY viewed_at DESC, post_id"#,
        user
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the sheets viewed lately")
}

//! 预警规则: the commission's rules (`warning_rules`) and the facts they read. The rules
//! themselves are `domain::warning::rules`; these reads only gather what they look at.

use anyhow::Context as _;
use domain::warning::{
    rules::{Rule, RuleKind},
    Level,
};

use super::Conn;
use crate::error::corrupt;

/// The rules as stored; a kind never stored is absent (the caller completes it with defaults).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(conn: &mut Conn) -> anyhow::Result<Vec<Rule>> {
    sqlx::query!(
        r#"SELECT kind, enabled AS "enabled!: bool", days AS "days!: i64", level
           FROM warning_rules ORDER BY kind"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to load the warning rules")?
    .into_iter()
    .map(|r| {
        Ok(Rule {
            kind: RuleKind::from_code(&r.kind).ok_or_else(|| corrupt("warning rule", &r.kind))?,
            enabled: r.enabled,
            days: u32::try_from(r.days).map_err(|e| corrupt("warning rule days", e))?,
            level: Level::from_code(&r.level)
                .ok_or_else(|| corrupt("warning rule level", &r.level))?,
        })
    })
    .collect()
}

/// Stores `rules`, each replacing its kind's row.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn save(conn: &mut Conn, rules: &[Rule], by: i64, now: i64) -> anyhow::Result<()> {
    for rule in rules {
        let kind = rule.kind.code();
        let days = i64::from(rule.days);
        let level = rule.level.code();
        sqlx::query!(
            "INSERT INTO warning_rules (kind, enabled, days, level, updated_by, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind) DO UPDATE SET enabled = excluded.enabled, days = excluded.days,
                 level = excluded.level, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
            kind,
            rule.enabled,
            days,
            level,
            by,
            now
        )
        .execute(&mut *conn)
        .await
        .context("Failed to store a warning rule")?;
    }
    Ok(())
}

/// The holders of a post, as the JSON list `json_group_array` gives.
fn holders(raw: &str) -> anyhow::Result<Vec<i64>> {
    serde_json::from_str(raw).map_err(|e| corrupt("post holders", e))
}

/// An unfinished measure with a due day before `before`, of a post's published sheet.
#[derive(Debug, Clone)]
pub struct LateMeasure {
    pub risk_point_id: String,
    pub position: i64,
    pub text: String,
    pub due: String,
    pub post: String,
    pub unit_id: i64,
    pub holders: Vec<i64>,
}

/// The measures in force (of each post's published sheet) not done and due before `before`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn late_measures(conn: &mut Conn, before: &str) -> anyhow::Result<Vec<LateMeasure>> {
    sqlx::query!(
        r#"SELECT m.risk_point_id AS "point!: String", m.position AS "position!: i64", m.text,
                  m.due AS "due!: String", p.title AS post, p.unit_id AS "unit_id!: i64",
                  (SELECT json_group_array(h.user_id) FROM post_holders h WHERE h.post_id = p.id)
                      AS "holders!: String"
           FROM published_sheets ps
           JOIN posts p ON p.id = ps.post_id
           JOIN risk_points rp ON rp.sheet_id = ps.id
           JOIN measures m ON m.risk_point_id = rp.id
           WHERE m.due IS NOT NULL AND m.status <> 'done' AND m.due < ?1
           ORDER BY p.id, rp.position, m.position"#,
        before
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the late measures")?
    .into_iter()
    .map(|r| {
        Ok(LateMeasure {
            risk_point_id: r.point,
            position: r.position,
            text: r.text,
            due: r.due,
            post: r.post,
            unit_id: r.unit_id,
            holders: holders(&r.holders)?,
        })
    })
    .collect()
}

/// A post's sheet in force (published), with when it was first published.
#[derive(Debug, Clone)]
pub struct PublishedSheet {
    pub sheet_id: i64,
    pub post: String,
    pub unit_id: i64,
    pub holders: Vec<i64>,
    /// The first transition into 公示 or beyond (ms); the sheet's last change when none is
    /// recorded (a seeded or migrated sheet).
    pub published_at: i64,
}

/// The sheets in force, one per post, whose risk points the residual rule reads.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn published_sheets(conn: &mut Conn) -> anyhow::Result<Vec<PublishedSheet>> {
    sqlx::query!(
        r#"SELECT ps.id AS "sheet_id!: i64", p.title AS post, p.unit_id AS "unit_id!: i64",
                  COALESCE((SELECT MIN(t.at) FROM sheet_transitions t
                            WHERE t.sheet_id = ps.id
                              AND t.to_stage IN ('public_notice', 'commission_audit', 'approved')),
                           rs.updated_at) AS "published_at!: i64",
                  (SELECT json_group_array(h.user_id) FROM post_holders h WHERE h.post_id = p.id)
                      AS "holders!: String"
           FROM published_sheets ps
           JOIN risk_sheets rs ON rs.id = ps.id
           JOIN posts p ON p.id = ps.post_id
           ORDER BY p.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the published sheets")?
    .into_iter()
    .map(|r| {
        Ok(PublishedSheet {
            sheet_id: r.sheet_id,
            post: r.post,
            unit_id: r.unit_id,
            holders: holders(&r.holders)?,
            published_at: r.published_at,
        })
    })
    .collect()
}

/// A commitment neither signed nor superseded.
#[derive(Debug, Clone)]
pub struct UnsignedCommitment {
    pub id: i64,
    pub user_id: i64,
    pub unit_id: i64,
    pub title: String,
    pub created_at: i64,
}

/// The commitments waiting for a signature, of active accounts, generated before `before` (ms).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn unsigned_commitments(
    conn: &mut Conn,
    before: i64,
) -> anyhow::Result<Vec<UnsignedCommitment>> {
    Ok(sqlx::query!(
        r#"SELECT c.id AS "id!: i64", c.user_id AS "user_id!: i64", u.unit_id AS "unit_id!: i64",
                  c.title, c.created_at AS "created_at!: i64"
           FROM commitments c JOIN users u ON u.id = c.user_id
           WHERE c.signed_at IS NULL AND c.superseded = 0 AND u.active = 1 AND c.created_at < ?
           ORDER BY c.id"#,
        before
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the unsigned commitments")?
    .into_iter()
    .map(|r| UnsignedCommitment {
        id: r.id,
        user_id: r.user_id,
        unit_id: r.unit_id,
        title: r.title,
        created_at: r.created_at,
    })
    .collect())
}

/// A current sheet on its way up the chain, with when it reached its stage.
#[derive(Debug, Clone)]
pub struct WaitingSheet {
    pub sheet_id: i64,
    pub stage: String,
    /// The last transition's time (ms); `None` for a sheet that never moved.
    pub since: Option<i64>,
    pub updated_at: i64,
    pub post: String,
    pub unit_id: i64,
    pub holders: Vec<i64>,
}

/// The posts' current sheets at a stage someone must act on (neither 公示 nor 审核通过).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn waiting_sheets(conn: &mut Conn) -> anyhow::Result<Vec<WaitingSheet>> {
    sqlx::query!(
        r#"SELECT cs.id AS "sheet_id!: i64", cs.stage, cs.updated_at AS "updated_at!: i64",
                  (SELECT MAX(t.at) FROM sheet_transitions t WHERE t.sheet_id = cs.id) AS "since?: i64",
                  p.title AS post, p.unit_id AS "unit_id!: i64",
                  (SELECT json_group_array(h.user_id) FROM post_holders h WHERE h.post_id = p.id)
                      AS "holders!: String"
           FROM current_sheets cs JOIN posts p ON p.id = cs.post_id
           WHERE cs.stage NOT IN ('public_notice', 'approved')
           ORDER BY cs.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the sheets on their way")?
    .into_iter()
    .map(|r| {
        Ok(WaitingSheet {
            sheet_id: r.sheet_id,
            stage: r.stage,
            since: r.since,
            updated_at: r.updated_at,
            post: r.post,
            unit_id: r.unit_id,
            holders: holders(&r.holders)?,
        })
    })
    .collect()
}

/// An objection to a public notice found upheld (异议成立).
#[derive(Debug, Clone)]
pub struct UpheldObjection {
    pub id: i64,
    pub post: String,
    pub unit_id: i64,
    pub holders: Vec<i64>,
    pub response: String,
    pub resolved_at: i64,
}

/// Every objection found upheld, with its post and the post's current holders.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn upheld_objections(conn: &mut Conn) -> anyhow::Result<Vec<UpheldObjection>> {
    sqlx::query!(
        r#"SELECT o.id AS "id!: i64", p.title AS post, p.unit_id AS "unit_id!: i64",
                  (SELECT json_group_array(h.user_id) FROM post_holders h WHERE h.post_id = p.id)
                      AS "holders!: String",
                  o.response AS "response!: String", o.resolved_at AS "resolved_at!: i64"
           FROM objections o JOIN risk_sheets rs ON rs.id = o.sheet_id
           JOIN posts p ON p.id = rs.post_id
           WHERE o.outcome = 'upheld' AND o.resolved_at IS NOT NULL
           ORDER BY o.id"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("Failed to read the upheld objections")?
    .into_iter()
    .map(|r| {
        Ok(UpheldObjection {
            id: r.id,
            post: r.post,
            unit_id: r.unit_id,
            holders: holders(&r.holders)?,
            response: r.response,
            resolved_at: r.resolved_at,
        })
    })
    .collect()
}

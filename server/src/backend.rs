//! The database side of the app's server functions. Every method re-checks, from the database,
//! what the signed-in user may read: the UI's view of permissions is never trusted.

use std::collections::HashMap;

use app::{
    api::{
        backend::Backend, HomeView, MeasureView, RiskPointView, SessionUser, SheetSummary,
        SheetView, TimelineEntry, UserCard,
    },
    error::ApiError,
};
use domain::{
    access::Principal,
    account::{Role, RoleAssignment},
    ids::{OrgUnitId, PostId, UserId},
    org::OrgTree,
    post::PostLevel,
    risk::{MeasureKind, MeasureStatus, RiskCategory, RiskLevel},
    stage::Stage,
};

use sqlx::SqlitePool;

use crate::db::Db;

pub struct DbBackend {
    db: Db,
}

impl DbBackend {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A database failure, logged here and shown to the user only as `internal`.
fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "backend failure");
    ApiError::internal()
}

/// A stored value the code does not know means the database was edited by hand or by a newer
/// version: a server fault, not the user's.
fn corrupt(e: domain::FieldError) -> ApiError {
    internal(format!("stored value rejected: {e}"))
}

/// The signed-in user's roles and held posts, as the access rules see them.
pub(crate) async fn load_principal(pool: &SqlitePool, user_id: i64) -> Result<Principal, ApiError> {
    let roles = sqlx::query!(
        r#"SELECT role, scope_unit_id AS "scope!: i64" FROM role_assignments WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(|r| {
        Ok(RoleAssignment {
            role: Role::parse(&r.role).map_err(corrupt)?,
            scope: OrgUnitId(r.scope),
        })
    })
    .collect::<Result<Vec<_>, ApiError>>()?;
    let held_posts = sqlx::query_scalar!(
        r#"SELECT post_id AS "post_id!: i64" FROM post_holders WHERE user_id = ?"#,
        user_id
    )
    .fetch_all(pool)
    .await
    .map_err(internal)?
    .into_iter()
    .map(PostId)
    .collect();
    Ok(Principal {
        user: UserId(user_id),
        roles,
        held_posts,
    })
}

/// The organisation tree, and each unit's name.
pub(crate) async fn load_tree(
    pool: &SqlitePool,
) -> Result<(OrgTree, HashMap<i64, String>), ApiError> {
    let units = sqlx::query!(r#"SELECT id AS "id!: i64", parent_id, name FROM org_units"#)
        .fetch_all(pool)
        .await
        .map_err(internal)?;
    let tree = OrgTree::new(
        units
            .iter()
            .map(|u| (OrgUnitId(u.id), u.parent_id.map(OrgUnitId))),
    );
    let names = units.into_iter().map(|u| (u.id, u.name)).collect();
    Ok((tree, names))
}

impl DbBackend {
    async fn principal(&self, user: &SessionUser) -> Result<Principal, ApiError> {
        load_principal(self.db.pool(), user.id).await
    }

    async fn tree(&self) -> Result<(OrgTree, HashMap<i64, String>), ApiError> {
        load_tree(self.db.pool()).await
    }

    /// The sheet of `post_id` in the latest round that has one.
    async fn load_sheet(&self, post_id: i64) -> Result<Option<SheetView>, ApiError> {
        let pool = self.db.pool();
        let Some(post) = sqlx::query!(
            r#"SELECT p.id AS "id!: i64", p.title, p.level, p.key_post AS "key_post: bool", u.name AS unit
               FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE p.id = ?"#,
            post_id
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?
        else {
            return Ok(None);
        };
        let duties = sqlx::query_scalar!(
            "SELECT text FROM duties WHERE post_id = ? ORDER BY position",
            post_id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let sheet = sqlx::query!(
            r#"SELECT rs.id AS "id!: i64", rs.stage, r.name AS round
               FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id
               WHERE rs.post_id = ? ORDER BY r.year DESC, r.id DESC LIMIT 1"#,
            post_id
        )
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
        let (round, stage, risk_points, timeline) = match sheet {
            Some(sheet) => (
                sheet.round,
                Stage::from_code(&sheet.stage).map_err(corrupt)?,
                self.risk_points(sheet.id).await?,
                self.timeline(sheet.id).await?,
            ),
            None => (
                "尚未开始排查".to_owned(),
                Stage::SelfCheck,
                Vec::new(),
                Vec::new(),
            ),
        };
        Ok(Some(SheetView {
            post_id: post.id,
            post_title: post.title,
            post_level: PostLevel::parse(&post.level).map_err(corrupt)?,
            key_post: post.key_post,
            unit: post.unit,
            round,
            stage,
            duties,
            risk_points,
            timeline,
        }))
    }

    async fn timeline(&self, sheet_id: i64) -> Result<Vec<TimelineEntry>, ApiError> {
        let rows = sqlx::query!(
            r#"SELECT t.at AS "at!: i64", u.display_name, t.from_stage, t.to_stage, t.action, t.reason
               FROM sheet_transitions t JOIN users u ON u.id = t.by_user
               WHERE t.sheet_id = ? ORDER BY t.id"#,
            sheet_id
        )
        .fetch_all(self.db.pool())
        .await
        .map_err(internal)?;
        rows.into_iter()
            .map(|r| {
                Ok(TimelineEntry {
                    at: china_time(r.at),
                    by: r.display_name,
                    from: Stage::from_code(&r.from_stage).map_err(corrupt)?,
                    to: Stage::from_code(&r.to_stage).map_err(corrupt)?,
                    action: match r.action.as_str() {
                        "submit" => "提交审核",
                        "close_peer_review" => "结束互评",
                        "approve" => "审核通过",
                        _ => "退回",
                    }
                    .to_owned(),
                    reason: r.reason,
                })
            })
            .collect()
    }

    async fn risk_points(&self, sheet_id: i64) -> Result<Vec<RiskPointView>, ApiError> {
        let pool = self.db.pool();
        let points = sqlx::query!(
            r#"SELECT id, duty, description, manifestation, category, power_type,
                      likelihood AS "likelihood!: i64", impact AS "impact!: i64", frequency AS "frequency!: i64", level
               FROM risk_points WHERE sheet_id = ? ORDER BY position"#,
            sheet_id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let measures = sqlx::query!(
            r#"SELECT m.risk_point_id, m.kind, m.text, m.owner, m.due, m.status
               FROM measures m JOIN risk_points p ON p.id = m.risk_point_id
               WHERE p.sheet_id = ? ORDER BY m.risk_point_id, m.position"#,
            sheet_id
        )
        .fetch_all(pool)
        .await
        .map_err(internal)?;
        let mut by_point: HashMap<String, Vec<MeasureView>> = HashMap::new();
        for m in measures {
            by_point
                .entry(m.risk_point_id)
                .or_default()
                .push(MeasureView {
                    kind: MeasureKind::parse(&m.kind).map_err(corrupt)?,
                    text: m.text,
                    owner: m.owner,
                    due: m.due,
                    status: MeasureStatus::parse(&m.status).map_err(corrupt)?,
                });
        }
        points
            .into_iter()
            .map(|p| {
                Ok(RiskPointView {
                    measures: by_point.remove(&p.id).unwrap_or_default(),
                    id: p.id,
                    duty: p.duty,
                    description: p.description,
                    manifestation: p.manifestation,
                    category: RiskCategory::parse(&p.category).map_err(corrupt)?,
                    power_type: p.power_type,
                    likelihood: score(p.likelihood),
                    impact: score(p.impact),
                    frequency: score(p.frequency),
                    level: RiskLevel::parse(&p.level).map_err(corrupt)?,
                })
            })
            .collect()
    }
}

/// `YYYY-MM-DD HH:MM` in China time (UTC+8) for a Unix-ms instant.
fn china_time(ms: i64) -> String {
    let minutes = (ms + 8 * 3_600_000).div_euclid(60_000);
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

fn score(value: i64) -> u8 {
    u8::try_from(value).unwrap_or(0)
}

#[async_trait::async_trait]
impl Backend for DbBackend {
    async fn home(&self, user: &SessionUser) -> Result<HomeView, ApiError> {
        let principal = self.principal(user).await?;
        let (tree, unit_names) = self.tree().await?;
        let pool = self.db.pool();
        let unit = sqlx::query_scalar!(
            "SELECT o.name FROM users u JOIN org_units o ON o.id = u.unit_id WHERE u.id = ?",
            user.id
        )
        .fetch_one(pool)
        .await
        .map_err(internal)?;
        let mut roles: Vec<String> = principal
            .roles
            .iter()
            .map(|a| {
                let scope = unit_names
                    .get(&a.scope.0)
                    .map(String::as_str)
                    .unwrap_or("—");
                format!("{}（{scope}）", a.role.label())
            })
            .collect();
        roles.sort();

        let mut my_sheets = Vec::new();
        for post in &principal.held_posts {
            if let Some(sheet) = self.load_sheet(post.0).await? {
                my_sheets.push(sheet);
            }
        }

        let mut in_scope = Vec::new();
        if principal.sheet_scopes().next().is_some() {
            let rows = sqlx::query!(
                r#"SELECT p.id AS "post_id!: i64", p.unit_id AS "unit_id!: i64", p.title, p.level,
                          COALESCE(rs.stage, 'self_check') AS "stage!: String",
                          (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = rs.id) AS "risk_count!: i64",
                          (SELECT COUNT(*) FROM risk_points rp WHERE rp.sheet_id = rs.id AND rp.level = 'high') AS "high_count!: i64"
                   FROM posts p
                   LEFT JOIN risk_sheets rs ON rs.post_id = p.id
                        AND rs.round_id = (SELECT r.id FROM rounds r JOIN risk_sheets s ON s.round_id = r.id
                                           WHERE s.post_id = p.id ORDER BY r.year DESC, r.id DESC LIMIT 1)
                   ORDER BY p.unit_id, p.id"#
            )
            .fetch_all(pool)
            .await
            .map_err(internal)?;
            for row in rows {
                let post = PostId(row.post_id);
                if principal.held_posts.contains(&post)
                    || !principal.may_read_sheet(&tree, post, OrgUnitId(row.unit_id))
                {
                    continue;
                }
                in_scope.push(SheetSummary {
                    post_id: row.post_id,
                    unit: unit_names.get(&row.unit_id).cloned().unwrap_or_default(),
                    post_title: row.title,
                    post_level: PostLevel::parse(&row.level).map_err(corrupt)?,
                    stage: Stage::from_code(&row.stage).map_err(corrupt)?,
                    risk_count: row.risk_count,
                    high_count: row.high_count,
                });
            }
        }

        Ok(HomeView {
            user: UserCard {
                display_name: user.display_name.clone(),
                username: user.username.clone(),
                unit,
                roles,
            },
            my_sheets,
            in_scope,
        })
    }

    async fn sheet(&self, user: &SessionUser, post_id: i64) -> Result<SheetView, ApiError> {
        let unit = sqlx::query_scalar!(
            r#"SELECT unit_id AS "unit_id!: i64" FROM posts WHERE id = ?"#,
            post_id
        )
        .fetch_optional(self.db.pool())
        .await
        .map_err(internal)?;
        // An unknown post and a forbidden one look alike, so ids cannot be probed.
        let Some(unit) = unit else {
            return Err(ApiError::forbidden());
        };
        let principal = self.principal(user).await?;
        let (tree, _) = self.tree().await?;
        if !principal.may_read_sheet(&tree, PostId(post_id), OrgUnitId(unit)) {
            return Err(ApiError::forbidden());
        }
        self.load_sheet(post_id)
            .await?
            .ok_or_else(ApiError::forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::china_time;

    #[test]
    fn times_are_shown_in_china_time() {
        // 2026-11-28 02:07:53 UTC is 10:07 in Beijing.
        assert_eq!(china_time(1_795_831_673_000), "2026-11-28 10:07");
        assert_eq!(china_time(0), "1970-01-01 08:00");
        // 2028-02-29 23:30 in Beijing, a leap day.
        assert_eq!(china_time(1_835_451_000_000), "2028-02-29 23:30");
    }
}

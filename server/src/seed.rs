//! The demo district, built from a risk table with the columns of `risk-points-demo.tsv`: its units,
//! posts, duties and risk points, one holder per post, and users for every role. Every insert is
//! keyed on a natural key and ignores conflicts, so seeding twice changes nothing.

use std::collections::HashMap;

use anyhow::Context as _;
use domain::{
    account::Role,
    ids::RiskPointId,
    org::{OrgUnitKind, UnitLabel},
    post::PostLevel,
    risk::{Measure, PowerType, RatingMatrix, Ratings, RiskCategory, RiskLevel},
    text::{DutyText, PostTitle, RiskDescription},
    FieldError,
};
use sqlx::{Sqlite, Transaction};

use crate::db::{now_ms, Db};

/// Where `serve --seed-demo` and `seed-demo` read the demo table unless told otherwise; the
/// built-in copy is used when this file does not exist.
pub const DEFAULT_DEMO_DATA: &str = "server/demo/risk-points-demo.tsv";
/// A copy of the demo table inside the binary, so the demo works from any directory.
pub const BUILT_IN_DEMO_DATA: &str = include_str!("../demo/risk-points-demo.tsv");

/// The password of every demo account. Demo only: it is printed on start.
pub const DEMO_PASSWORD: &str = "lianfang2026";
pub const DISTRICT_NAME: &str = "示范区";
pub const ROUND_NAME: &str = "2026 年度排查";
/// Frequency is not a column of existing tables; imported points get the middle of the scale.
const DEFAULT_FREQUENCY: i64 = 3;

/// Names for demo post holders, in table order: (login, 姓名).
const HOLDER_NAMES: [(&str, &str); 30] = [
    ("zhangwei", "张伟"),
    ("wangfang", "王芳"),
    ("lina", "李娜"),
    ("liuyang", "刘洋"),
    ("chenjing", "陈静"),
    ("yangli", "杨丽"),
    ("zhaolei", "赵磊"),
    ("huangmin", "黄敏"),
    ("zhoujie", "周杰"),
    ("wuqiang", "吴强"),
    ("xujun", "徐军"),
    ("sunli", "孙丽"),
    ("mahui", "马慧"),
    ("zhuhong", "朱红"),
    ("hulin", "胡林"),
    ("guoping", "郭平"),
    ("heyan", "何燕"),
    ("gaofeng", "高峰"),
    ("linxia", "林霞"),
    ("luobin", "罗斌"),
    ("zhenghua", "郑华"),
    ("liangyu", "梁宇"),
    ("xiekai", "谢凯"),
    ("songtao", "宋涛"),
    ("tangning", "唐宁"),
    ("hanxue", "韩雪"),
    ("fengbo", "冯波"),
    ("dengchao", "邓超"),
    ("caoyu", "曹宇"),
    ("pengfei", "彭飞"),
];

/// One valid row of the demo table.
#[derive(Debug, Clone)]
pub struct DemoRow {
    pub line: usize,
    pub unit: UnitLabel,
    pub post: PostTitle,
    pub level: PostLevel,
    pub duty: DutyText,
    pub risk: RiskDescription,
    pub category: RiskCategory,
    pub power_type: PowerType,
    pub ratings: Ratings,
    pub measures: Vec<Measure>,
}

/// An error in the demo table, with its line number.
#[derive(Debug, thiserror::Error)]
#[error("第 {line} 行：{error}")]
pub struct RowError {
    pub line: usize,
    pub error: FieldError,
}

/// Parses the tab-separated table; the first line is the header. The level column must agree with
/// what the default matrix gives, so a table rated under other rules is not loaded silently.
pub fn parse_table(text: &str) -> Result<Vec<DemoRow>, RowError> {
    let matrix = RatingMatrix::default();
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = parse_row(line, &matrix).map_err(|error| RowError {
            line: line_no,
            error,
        })?;
        rows.push(DemoRow {
            line: line_no,
            ..row
        });
    }
    Ok(rows)
}

fn parse_row(line: &str, matrix: &RatingMatrix) -> Result<DemoRow, FieldError> {
    let cells: Vec<&str> = line.split('\t').collect();
    if cells.len() != 11 {
        return Err(FieldError::new(
            "column_count",
            "row",
            format!("应有 11 列，实有 {} 列", cells.len()),
        ));
    }
    let ratings = Ratings {
        likelihood: domain::risk::Score::parse_text(cells[7], "likelihood", "可能性")?,
        impact: domain::risk::Score::parse_text(cells[8], "impact", "危害程度")?,
        frequency: domain::risk::Score::parse(DEFAULT_FREQUENCY, "frequency", "发生频率")?,
    };
    let stated = RiskLevel::parse(cells[9])?;
    let computed = matrix.level(&ratings);
    if stated != computed {
        return Err(FieldError::new(
            "level_mismatch",
            "level",
            format!(
                "风险等级填为{}，但按评级矩阵（可能性 {} × 危害程度 {}）应为{}",
                stated.label(),
                ratings.likelihood.get(),
                ratings.impact.get(),
                computed.label()
            ),
        ));
    }
    let measures = Measure::parse_cell(cells[10])?
        .into_iter()
        .map(|(kind, text)| Measure {
            kind,
            text,
            owner: None,
            due: None,
            status: domain::risk::MeasureStatus::Planned,
        })
        .collect();
    Ok(DemoRow {
        line: 0,
        unit: UnitLabel::parse(cells[0])?,
        post: PostTitle::parse(cells[1])?,
        level: PostLevel::parse(cells[2])?,
        duty: DutyText::parse(cells[3])?,
        risk: RiskDescription::parse(cells[4])?,
        category: RiskCategory::parse(cells[5])?,
        power_type: PowerType::parse(cells[6])?,
        ratings,
        measures,
    })
}

/// A demo account, for printing.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub display_name: String,
    pub what: String,
}

/// Reads the demo table from `path`, or the built-in copy when that file does not exist.
pub fn load_table(path: &std::path::Path) -> anyhow::Result<String> {
    if path.exists() {
        std::fs::read_to_string(path).with_context(|| format!("Failed to read {}", path.display()))
    } else {
        Ok(BUILT_IN_DEMO_DATA.to_owned())
    }
}

/// Seeds the demo district in one write transaction and returns the demo accounts.
pub async fn seed_demo(db: &Db, table: &str) -> anyhow::Result<Vec<DemoAccount>> {
    let rows = parse_table(table).context("The demo table has an invalid row")?;
    let password_hash = tokio::task::spawn_blocking(|| crate::auth::password::hash(DEMO_PASSWORD))
        .await
        .context("Failed to join the hashing task")??;
    let mut tx = db
        .begin_write()
        .await
        .context("Failed to begin the seed transaction")?;
    let accounts = seed_in(&mut tx, &rows, &password_hash).await?;
    tx.commit()
        .await
        .context("Failed to commit the demo district")?;
    Ok(accounts)
}

async fn seed_in(
    tx: &mut Transaction<'static, Sqlite>,
    rows: &[DemoRow],
    password_hash: &str,
) -> anyhow::Result<Vec<DemoAccount>> {
    let now = now_ms();
    let district = ensure_unit(tx, None, OrgUnitKind::District, DISTRICT_NAME).await?;

    // Units first, so that a child written before its parent in the table still finds it.
    let mut units: HashMap<String, i64> = HashMap::new();
    for row in rows.iter().filter(|r| r.unit.parent.is_none()) {
        let name = row.unit.leaf.as_str();
        if !units.contains_key(name) {
            let kind = OrgUnitKind::guess_from_name(name);
            units.insert(
                name.to_owned(),
                ensure_unit(tx, Some(district), kind, name).await?,
            );
        }
    }
    let mut leaf_of_row = Vec::with_capacity(rows.len());
    for row in rows {
        let id = match &row.unit.parent {
            None => units[row.unit.leaf.as_str()],
            Some(parent_label) => {
                let parent_name = units
                    .keys()
                    .find(|name| name.starts_with(parent_label.as_str()))
                    .cloned()
                    .unwrap_or_else(|| parent_label.clone());
                let parent = match units.get(&parent_name) {
                    Some(id) => *id,
                    None => {
                        let kind = OrgUnitKind::guess_from_name(&parent_name);
                        let id = ensure_unit(tx, Some(district), kind, &parent_name).await?;
                        units.insert(parent_name.clone(), id);
                        id
                    }
                };
                let leaf = row.unit.leaf.as_str();
                let mut kind = OrgUnitKind::guess_from_name(leaf);
                if kind == OrgUnitKind::SubDistrict || kind == OrgUnitKind::District {
                    kind = OrgUnitKind::Unit;
                }
                ensure_unit(tx, Some(parent), kind, leaf).await?
            }
        };
        leaf_of_row.push(id);
    }

    let round = ensure_round(tx, district).await?;
    let matrix_json = serde_json::to_string(&RatingMatrix::default())?;

    let mut accounts = Vec::new();
    let mut holders: HashMap<i64, String> = HashMap::new();
    let mut positions: HashMap<i64, i64> = HashMap::new();
    for (row, &unit_id) in rows.iter().zip(&leaf_of_row) {
        let post_id = ensure_post(tx, unit_id, row).await?;
        let sheet_id = ensure_sheet(tx, round, post_id, &matrix_json, now).await?;
        if !holders.contains_key(&post_id) {
            let (login, name) = HOLDER_NAMES
                .get(holders.len())
                .context("The demo table has more posts than demo names")?;
            let user_id = ensure_user(tx, login, name, unit_id, password_hash, now).await?;
            sqlx::query!(
                "INSERT OR IGNORE INTO post_holders (post_id, user_id) VALUES (?, ?)",
                post_id,
                user_id
            )
            .execute(&mut **tx)
            .await?;
            grant(tx, user_id, Role::PostHolder, unit_id).await?;
            holders.insert(post_id, (*login).to_owned());
            accounts.push(DemoAccount {
                username: (*login).to_owned(),
                display_name: (*name).to_owned(),
                what: format!("{} · {}", row.unit_display(), row.post),
            });
        }
        let duty = row.duty.as_str();
        sqlx::query!(
            "INSERT INTO duties (post_id, position, text) VALUES (?, (SELECT COUNT(*) FROM duties WHERE post_id = ?), ?) ON CONFLICT (post_id, text) DO NOTHING",
            post_id,
            post_id,
            duty
        )
        .execute(&mut **tx)
        .await?;
        let position = positions.entry(post_id).or_insert(0);
        insert_risk_point(tx, sheet_id, *position, row, now).await?;
        *position += 1;
    }

    // Reviewers and officers of the first unit in the table, the commission, and an administrator.
    let first_unit = *leaf_of_row.first().context("The demo table has no rows")?;
    let first_unit_name = rows[0].unit_display();
    let staff: [(&str, &str, Role, i64, String); 5] = [
        (
            "kezhang",
            "钱科长",
            Role::SectionHead,
            first_unit,
            format!("{first_unit_name} 科室负责人"),
        ),
        (
            "fenguan",
            "孔分管",
            Role::LeaderInCharge,
            first_unit,
            format!("{first_unit_name} 分管领导"),
        ),
        (
            "lianluo",
            "严联络",
            Role::UnitLiaison,
            first_unit,
            format!("{first_unit_name} 纪检联络员"),
        ),
        (
            "shenhe",
            "鲁审核",
            Role::CommissionReviewer,
            district,
            format!("{DISTRICT_NAME}纪委 审核人员"),
        ),
        (
            "admin",
            "系统管理员",
            Role::Admin,
            district,
            "系统管理员".to_owned(),
        ),
    ];
    for (login, name, role, scope, what) in staff {
        let unit = if role == Role::CommissionReviewer || role == Role::Admin {
            district
        } else {
            first_unit
        };
        let user_id = ensure_user(tx, login, name, unit, password_hash, now).await?;
        grant(tx, user_id, role, scope).await?;
        accounts.push(DemoAccount {
            username: login.to_owned(),
            display_name: name.to_owned(),
            what,
        });
    }
    Ok(accounts)
}

impl DemoRow {
    fn unit_display(&self) -> String {
        match &self.unit.parent {
            Some(parent) => format!("{parent}·{}", self.unit.leaf),
            None => self.unit.leaf.to_string(),
        }
    }
}

async fn ensure_unit(
    tx: &mut Transaction<'static, Sqlite>,
    parent: Option<i64>,
    kind: OrgUnitKind,
    name: &str,
) -> anyhow::Result<i64> {
    let kind = kind.code();
    sqlx::query!(
        "INSERT INTO org_units (parent_id, kind, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        parent,
        kind,
        name
    )
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM org_units WHERE parent_id IS ? AND name = ?"#,
        parent,
        name
    )
    .fetch_one(&mut **tx)
    .await
    .with_context(|| format!("Failed to find the unit {name}"))?;
    Ok(id)
}

async fn ensure_round(tx: &mut Transaction<'static, Sqlite>, district: i64) -> anyhow::Result<i64> {
    let matrix = serde_json::to_string(&RatingMatrix::default())?;
    sqlx::query!(
        "INSERT INTO rounds (name, year, deadline, pilot, matrix_json) VALUES (?, 2026, '2026-12-31', 0, ?) ON CONFLICT (name) DO NOTHING",
        ROUND_NAME,
        matrix
    )
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM rounds WHERE name = ?"#,
        ROUND_NAME
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT OR IGNORE INTO round_scope (round_id, unit_id) VALUES (?, ?)",
        id,
        district
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

async fn ensure_post(
    tx: &mut Transaction<'static, Sqlite>,
    unit_id: i64,
    row: &DemoRow,
) -> anyhow::Result<i64> {
    let title = row.post.as_str();
    let level = row.level.code();
    let key_post = i64::from(row.level == PostLevel::Leadership);
    sqlx::query!(
        "INSERT INTO posts (unit_id, title, level, key_post) VALUES (?, ?, ?, ?) ON CONFLICT (unit_id, title) DO NOTHING",
        unit_id,
        title,
        level,
        key_post
    )
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM posts WHERE unit_id = ? AND title = ?"#,
        unit_id,
        title
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn ensure_sheet(
    tx: &mut Transaction<'static, Sqlite>,
    round: i64,
    post: i64,
    matrix_json: &str,
    now: i64,
) -> anyhow::Result<i64> {
    sqlx::query!(
        "INSERT INTO risk_sheets (round_id, post_id, matrix_json, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (round_id, post_id) DO NOTHING",
        round,
        post,
        matrix_json,
        now
    )
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM risk_sheets WHERE round_id = ? AND post_id = ?"#,
        round,
        post
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

async fn ensure_user(
    tx: &mut Transaction<'static, Sqlite>,
    username: &str,
    display_name: &str,
    unit_id: i64,
    password_hash: &str,
    now: i64,
) -> anyhow::Result<i64> {
    sqlx::query!(
        "INSERT INTO users (username, display_name, password_hash, unit_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
        username,
        display_name,
        password_hash,
        unit_id,
        now
    )
    .execute(&mut **tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM users WHERE username = ?"#,
        username
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Gives `user` the role within `scope`; a role already held is left as it is.
pub async fn grant(
    tx: &mut Transaction<'static, Sqlite>,
    user: i64,
    role: Role,
    scope: i64,
) -> Result<(), sqlx::Error> {
    let role = role.code();
    sqlx::query!(
        "INSERT OR IGNORE INTO role_assignments (user_id, role, scope_unit_id) VALUES (?, ?, ?)",
        user,
        role,
        scope
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_risk_point(
    tx: &mut Transaction<'static, Sqlite>,
    sheet_id: i64,
    position: i64,
    row: &DemoRow,
    now: i64,
) -> anyhow::Result<()> {
    let key = format!("{}/{}/{}", row.unit_display(), row.post, row.risk);
    let id = RiskPointId::from_natural_key(&key).to_string();
    let level = RatingMatrix::default().level(&row.ratings).code();
    let (duty, description, category, power_type) = (
        row.duty.as_str(),
        row.risk.as_str(),
        row.category.code(),
        row.power_type.as_str(),
    );
    let (l, i, f) = (
        i64::from(row.ratings.likelihood.get()),
        i64::from(row.ratings.impact.get()),
        i64::from(row.ratings.frequency.get()),
    );
    let inserted = sqlx::query!(
        "INSERT INTO risk_points (id, sheet_id, position, duty, description, category, power_type, likelihood, impact, frequency, level, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        id, sheet_id, position, duty, description, category, power_type, l, i, f, level, now
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    for (position, measure) in row.measures.iter().enumerate() {
        let position = position as i64;
        let (kind, text, status) = (
            measure.kind.code(),
            measure.text.as_str(),
            measure.status.code(),
        );
        sqlx::query!(
            "INSERT INTO measures (risk_point_id, position, kind, text, status) VALUES (?, ?, ?, ?, ?)",
            id, position, kind, text, status
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_table_parses_and_its_levels_agree_with_the_default_matrix() {
        let rows = parse_table(BUILT_IN_DEMO_DATA).unwrap();
        assert_eq!(rows.len(), 26);
        assert!(rows.iter().all(|r| r.measures.len() >= 3));
    }

    #[test]
    fn a_row_whose_level_disagrees_with_the_matrix_is_refused_with_its_line() {
        let header = BUILT_IN_DEMO_DATA.lines().next().unwrap();
        let bad = "区交通局\t局长\t领导岗位\t主持工作\t以个人意见代替集体决策\t制度机制风险\t决策权\t1\t1\t一级\t制度防范：集体决策";
        let err = parse_table(&format!("{header}\n{bad}\n")).unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.error.code, "level_mismatch");
    }
}

//! The demo district, built from a risk table with the columns of `risk-points-demo.tsv`: its units,
//! posts, duties and risk points (written as an import writes them, see [`crate::exchange`]), one
//! holder per post, and users for every role. Every insert is keyed on a natural key and ignores
//! conflicts, so seeding twice changes nothing.

use std::collections::HashMap;

use anyhow::Context as _;
use domain::{account::Role, org::OrgUnitKind, risk::RatingMatrix, FieldError};

mod scale;

pub use scale::generated_table;

use crate::{
    db::{now_ms, Db},
    exchange::{self, ImportScope, ParsedTable, Plan, RoundChoice, Snapshot, TableRow, Writer},
    store::{self, Conn},
};

/// Where `serve --seed-demo` and `seed-demo` read the demo table unless told otherwise; the
/// built-in copy is used when this file does not exist.
pub const DEFAULT_DEMO_DATA: &str = "server/demo/risk-points-demo.tsv";
/// A copy of the demo table inside the binary, so the demo works from any directory.
pub const BUILT_IN_DEMO_DATA: &str = include_str!("../demo/risk-points-demo.tsv");

/// The demo district's name.
pub const DISTRICT_NAME: &str = "示范区";
/// The demo round, its year and deadline: the commission starts later rounds itself.
pub const ROUND_NAME: &str = "2026 年度排查";
const ROUND_YEAR: i64 = 2026;
const ROUND_DEADLINE: &str = "2026-12-31";

/// The password of every demo account. Demo only: it is printed on start.
pub const DEMO_PASSWORD: &str = "lianfang2026";

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

/// The reviewers and sections of a demo unit.
struct UnitStaff {
    unit: &'static str,
    sections: &'static [&'static str],
    /// Section head, leader in charge, liaison: (login, 姓名).
    people: [(&'static str, &'static str); 3],
}

/// Every top-level unit of the demo table. 区交通局's logins are the short ones the README and
/// the tests use.
const UNIT_STAFF: [UnitStaff; 6] = [
    UnitStaff {
        unit: "区交通局",
        sections: &["办公室", "工程建设科", "运输管理所"],
        people: [
            ("kezhang", "钱科长"),
            ("fenguan", "孔分管"),
            ("lianluo", "严联络"),
        ],
    },
    UnitStaff {
        unit: "区招标办",
        sections: &["招标文件审查科", "现场监督科"],
        people: [
            ("kezhang_zb", "蒋科长"),
            ("fenguan_zb", "沈分管"),
            ("lianluo_zb", "韩联络"),
        ],
    },
    UnitStaff {
        unit: "区卫生局",
        sections: &["医政科", "卫生监督所"],
        people: [
            ("kezhang_ws", "杨科长"),
            ("fenguan_ws", "朱分管"),
            ("lianluo_ws", "秦联络"),
        ],
    },
    UnitStaff {
        unit: "区教育局",
        sections: &["人事科", "计划财务科"],
        people: [
            ("kezhang_jy", "尤科长"),
            ("fenguan_jy", "许分管"),
            ("lianluo_jy", "何联络"),
        ],
    },
    UnitStaff {
        unit: "区城管执法局",
        sections: &["执法中队", "户外广告管理科"],
        people: [
            ("kezhang_cg", "吕科长"),
            ("fenguan_cg", "施分管"),
            ("lianluo_cg", "张联络"),
        ],
    },
    UnitStaff {
        unit: "清河街道办事处",
        sections: &["民政科", "城建科"],
        people: [
            ("kezhang_qh", "孔科长"),
            ("fenguan_qh", "曹分管"),
            ("lianluo_qh", "金联络"),
        ],
    },
];

/// An error in the demo table, with its line number.
#[derive(Debug, thiserror::Error)]
#[error("第 {line} 行：{error}")]
pub struct RowError {
    pub line: usize,
    pub error: FieldError,
}

/// Parses the tab-separated table (the format of risk-table imports, see [`exchange`]); the
/// first line is the header. Unlike an import, the demo must be whole: the first bad row fails
/// it. The level column must agree with what the default matrix gives, so a table rated under
/// other rules is not loaded silently.
pub fn parse_table(text: &str) -> Result<Vec<TableRow>, RowError> {
    let table =
        exchange::parse_table(text.as_bytes()).map_err(|error| RowError { line: 1, error })?;
    if let Some(bad) = table.rejected.into_iter().next() {
        return Err(RowError {
            line: bad.row,
            error: FieldError {
                code: bad.code,
                field: bad.field,
                message: bad.message,
            },
        });
    }
    let matrix = RatingMatrix::default();
    for row in &table.rows {
        row.check_level(&matrix).map_err(|error| RowError {
            line: row.row,
            error,
        })?;
    }
    Ok(table.rows)
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
    let accounts = seed_in(&mut tx, rows, &password_hash).await?;
    tx.commit()
        .await
        .context("Failed to commit the demo district")?;
    Ok(accounts)
}

/// Adds `posts` generated posts to the demo district ([`generated_table`], through the importer,
/// in one write transaction), with no holders: the district at the scale to measure. Seeding
/// them again adds nothing. Returns the risk points written.
pub async fn seed_generated(db: &Db, posts: usize) -> anyhow::Result<usize> {
    let table = generated_table(BUILT_IN_DEMO_DATA, posts)?;
    let rows = parse_table(&table).context("The generated table has an invalid row")?;
    let mut tx = db
        .begin_write()
        .await
        .context("Failed to begin the generated district's transaction")?;
    demo_district(&mut tx).await?;
    let written = import_rows(&mut tx, rows).await?.len();
    tx.commit()
        .await
        .context("Failed to commit the generated district")?;
    Ok(written)
}

/// Writes the rows as an import of the whole district would, under the default limits, and
/// returns for each row written its label (unit · post), post and unit.
async fn import_rows(
    tx: &mut Conn,
    rows: Vec<TableRow>,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let snapshot = Snapshot::load(tx, RoundChoice::Named(ROUND_NAME)).await?;
    let total_rows = rows.len();
    let table = ParsedTable {
        total_rows,
        rows,
        rejected: Vec::new(),
    };
    // The demo is seeded under the default limits, whatever the server is later run with.
    let plan = Plan::new(
        &snapshot,
        &ImportScope::District,
        table,
        &domain::limits::Limits::default(),
    );
    // The table parsed, so a refusal comes from what the database became since the last seed
    // (a sheet submitted after a demo point was deleted, a post's level changed): the demo keeps
    // starting, without those rows.
    for bad in &plan.rejected {
        tracing::warn!(row = bad.row, code = %bad.code, "Demo row skipped: {}", bad.message);
    }
    let mut writer = Writer::new(&plan);
    let mut written = Vec::with_capacity(plan.accepted.len());
    for planned in &plan.accepted {
        let place = writer.write(tx, planned).await?;
        written.push((
            format!("{} · {}", planned.row.unit_label(), planned.row.post),
            place.post,
            place.unit,
        ));
    }
    writer.finish(tx).await?;
    Ok(written)
}

/// The demo district and its first round, as an administrator and the commission would set them
/// up before any table is imported; returns the district's id.
pub async fn demo_district(conn: &mut Conn) -> anyhow::Result<i64> {
    let (district, _) =
        store::org::ensure_unit(conn, None, OrgUnitKind::District, DISTRICT_NAME).await?;
    store::sheets::ensure_round(conn, district, ROUND_NAME, ROUND_YEAR, ROUND_DEADLINE).await?;
    Ok(district)
}

/// Writes the table as an import would (units, posts, sheets, duties, risk points, measures),
/// then gives every post a holder and adds the reviewers, the commission and an administrator.
async fn seed_in(
    tx: &mut Conn,
    rows: Vec<TableRow>,
    password_hash: &str,
) -> anyhow::Result<Vec<DemoAccount>> {
    let now = now_ms();
    let district = demo_district(tx).await?;
    let written = import_rows(tx, rows).await?;

    let mut accounts = Vec::new();
    let mut holders: HashMap<i64, String> = HashMap::new();
    for (label, post, unit) in written {
        if holders.contains_key(&post) {
            continue;
        }
        let (login, name) = HOLDER_NAMES
            .get(holders.len())
            .context("The demo table has more posts than demo names")?;
        let user_id =
            store::accounts::ensure_user(tx, login, name, unit, password_hash, now).await?;
        store::org::add_first_holder(tx, post, user_id).await?;
        store::org::grant(tx, user_id, Role::PostHolder, unit).await?;
        holders.insert(post, (*login).to_owned());
        accounts.push(DemoAccount {
            username: (*login).to_owned(),
            display_name: (*name).to_owned(),
            what: label,
        });
    }

    // Every top-level unit of the table gets its sections, a section head, a leader in charge and
    // a liaison, so every sheet can climb the whole chain; then the commission and an
    // administrator.
    let org = store::org::units(tx).await?;
    for staff in UNIT_STAFF {
        let Some(unit) = org
            .iter()
            .find(|u| u.name == staff.unit && u.parent == Some(district))
        else {
            tracing::warn!(
                unit = staff.unit,
                "Demo unit missing from the table; no reviewers"
            );
            continue;
        };
        for section in staff.sections {
            store::org::ensure_unit(tx, Some(unit.id), OrgUnitKind::Section, section).await?;
        }
        let roles = [
            (Role::SectionHead, "科室负责人"),
            (Role::LeaderInCharge, "分管领导"),
            (Role::UnitLiaison, "纪检联络员"),
        ];
        for ((login, name), (role, title)) in staff.people.iter().zip(roles) {
            let user_id =
                store::accounts::ensure_user(tx, login, name, unit.id, password_hash, now).await?;
            store::org::grant(tx, user_id, role, unit.id).await?;
            accounts.push(DemoAccount {
                username: (*login).to_owned(),
                display_name: (*name).to_owned(),
                what: format!("{} {title}", staff.unit),
            });
        }
    }
    let district_staff = [
        (
            "shenhe",
            "鲁审核",
            Role::CommissionReviewer,
            format!("{DISTRICT_NAME}纪委 审核人员"),
        ),
        ("admin", "系统管理员", Role::Admin, "系统管理员".to_owned()),
    ];
    for (login, name, role, what) in district_staff {
        let user_id =
            store::accounts::ensure_user(tx, login, name, district, password_hash, now).await?;
        store::org::grant(tx, user_id, role, district).await?;
        accounts.push(DemoAccount {
            username: login.to_owned(),
            display_name: name.to_owned(),
            what,
        });
    }
    Ok(accounts)
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

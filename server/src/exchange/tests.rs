//! Tests of import and export: parsing, planning, writing and the lossless round trip.

use std::collections::{HashMap, HashSet};

use calamine::Dimensions;
use domain::{ids::OrgUnitId, risk::MeasureStatus};

use super::{
    columns::*,
    export::*,
    import::*,
    plan::*,
    read::{fill_merged_for_test, read_table, Grid},
    rows::*,
};
use crate::{db::Db, seed};

async fn fresh_db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("lianfang.db")).await.unwrap();
    (dir, db)
}

/// A database with the district and its round set up and nothing else, as an administrator and
/// the commission leave it before the first import.
async fn district_db() -> (tempfile::TempDir, Db) {
    let (dir, db) = fresh_db().await;
    let mut conn = db.pool().acquire().await.unwrap();
    seed::demo_district(&mut conn).await.unwrap();
    drop(conn);
    (dir, db)
}

async fn counts(db: &Db) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in [
        "org_units",
        "users",
        "posts",
        "duties",
        "rounds",
        "round_scope",
        "risk_sheets",
        "risk_points",
        "measures",
        "changes",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db.pool())
            .await
            .unwrap();
        out.push((table, n));
    }
    out
}

async fn unit_id(db: &Db, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM org_units WHERE name = ?")
        .bind(name)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Columns that are bookkeeping, not content, with why a round trip may change them:
/// surrogate ids (a new database numbers its own), the references replaced by natural keys
/// in [`stored`], and a point's version and who changed it when.
const NOT_CONTENT: [(&str, &str); 9] = [
    ("posts", "id"),
    ("duties", "id"),
    ("risk_points", "id"),
    ("risk_points", "version"),
    ("risk_points", "updated_at"),
    ("risk_points", "updated_by"),
    ("posts", "unit_id"),
    ("duties", "post_id"),
    ("risk_points", "sheet_id"),
];

type Rows = std::collections::BTreeSet<std::collections::BTreeMap<String, String>>;

/// Every stored column of every post, duty, risk point and measure, as text ("NULL" for
/// none). The columns come from the schema, so a column added later is compared too, and a
/// round trip that drops it fails. References are replaced by natural keys: a post by its
/// unit path and title, a point by its post and description, a point's position by its
/// rank on the sheet.
async fn stored(db: &Db) -> std::collections::BTreeMap<&'static str, Rows> {
    let pool = db.pool();
    let units: Vec<(i64, Option<i64>, String)> =
        sqlx::query_as("SELECT id, parent_id, name FROM org_units")
            .fetch_all(pool)
            .await
            .unwrap();
    let labels = UnitLabels::new(units);
    let posts: HashMap<String, String> =
        sqlx::query_as::<_, (i64, i64, String)>("SELECT id, unit_id, title FROM posts")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, unit, title)| (id.to_string(), format!("{}/{title}", labels.label(unit))))
            .collect();
    let sheets: HashMap<String, String> =
        sqlx::query_as::<_, (i64, i64)>("SELECT id, post_id FROM risk_sheets")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, post)| (id.to_string(), posts[&post.to_string()].clone()))
            .collect();
    let mut points: HashMap<String, String> = HashMap::new();
    let mut ranks: HashMap<String, String> = HashMap::new();
    let mut by_sheet: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (id, sheet, position, description) in sqlx::query_as::<_, (String, i64, i64, String)>(
        "SELECT id, sheet_id, position, description FROM risk_points",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    {
        points.insert(
            id.clone(),
            format!("{}/{description}", sheets[&sheet.to_string()]),
        );
        by_sheet.entry(sheet).or_default().push((position, id));
    }
    for mut list in by_sheet.into_values() {
        list.sort();
        for (rank, (_, id)) in list.into_iter().enumerate() {
            ranks.insert(id, rank.to_string());
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for table in ["posts", "duties", "risk_points", "measures"] {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .unwrap();
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), 'NULL')"))
            .collect();
        let sql = format!("SELECT {} FROM {table}", select.join(", "));
        let mut rows = Rows::new();
        for row in sqlx::query(&sql).fetch_all(pool).await.unwrap() {
            use sqlx::Row as _;
            let mut record = std::collections::BTreeMap::new();
            let raw =
                |name: &str| -> String { row.get(columns.iter().position(|c| c == name).unwrap()) };
            for (i, column) in columns.iter().enumerate() {
                let value: String = row.get(i);
                let value = match (table, column.as_str()) {
                    ("posts", "unit_id") => labels.label(value.parse().unwrap()),
                    ("duties", "post_id") => posts[&value].clone(),
                    ("risk_points", "sheet_id") => sheets[&value].clone(),
                    ("risk_points", "position") => ranks[&raw("id")].clone(),
                    ("measures", "risk_point_id") => points[&value].clone(),
                    _ if NOT_CONTENT.contains(&(table, column.as_str())) => continue,
                    _ => value,
                };
                record.insert(column.clone(), value);
            }
            rows.insert(record);
        }
        out.insert(table, rows);
    }
    out
}

/// Gives the seeded district a value other than the default in every column a risk table
/// carries, so that a column dropped by the export or ignored by the import changes what
/// comes back.
async fn fill_every_column(db: &Db) {
    for sql in [
        "UPDATE posts SET key_post = 1, supervision_grade = 'first' WHERE title = '局长'",
        "UPDATE posts SET key_post = 1, supervision_grade = 'second' WHERE title = '工程建设科科长'",
        "UPDATE posts SET key_post = 1 WHERE title = '驾驶员'",
        "UPDATE risk_points SET manifestation = '以口头指示代替会议决定', frequency = 5 WHERE position = 0 AND description LIKE '重大事项%'",
        "UPDATE risk_points SET frequency = 1 WHERE description LIKE '设计变更%'",
        "UPDATE risk_points SET residual_likelihood = 2, residual_impact = 3 WHERE description LIKE '设计变更%'",
        "UPDATE measures SET owner = '李娜', due = '2026-12-31', status = 'done', done_on = '2026-11-30' WHERE position = 0",
        "UPDATE measures SET owner = '王芳、赵磊', status = 'in_progress' WHERE position = 1",
        "UPDATE measures SET due = '2027-03-31' WHERE position = 2",
    ] {
        let changed = sqlx::query(sql).execute(db.pool()).await.unwrap();
        assert!(changed.rows_affected() > 0, "{sql}");
    }
}

fn problems(report: &ImportReport) -> Vec<(usize, &str, &str)> {
    report
        .rejected
        .iter()
        .map(|r| (r.row, r.field.as_str(), r.code.as_str()))
        .collect()
}

const GOOD_MEASURES: &str =
    "\"制度防范：审批单须两人签字，金额超限报局务会；监督预警：每季度抽查, 异常即预警\"";

fn bad_rows_csv() -> String {
    // Chinese headers, in another order than the demo table, and quoted cells.
    let header =
        "风险点,单位,岗位,岗位类别,岗位职责,风险类别,权力类型,可能性,危害程度,风险等级,防控措施";
    let row = |risk: &str, unit: &str, category: &str, l: &str, i: &str, level: &str| {
        format!("{risk},{unit},出纳岗,其它岗位,负责现金收付,{category},财务权,{l},{i},{level},{GOOD_MEASURES}")
    };
    [
        header.to_owned(),
        row(
            "出纳挪用备用金后做平账目",
            "区交通局",
            "业务流程风险",
            "3",
            "4",
            "二级",
        ), // 2: good
        row(
            "出纳收款不开票据而截留",
            "区交通局",
            "业务流程风险",
            "9",
            "4",
            "二级",
        ), // 3: likelihood 9
        row(
            "出纳私自保管空白支票",
            "区交通局",
            "管理风险",
            "2",
            "4",
            "二级",
        ), // 4: category
        row(
            "出纳为关系人提前支付",
            "区交通局",
            "业务流程风险",
            "1",
            "2",
            "一级",
        ), // 5: level
        row("", "区交通局", "业务流程风险", "3", "4", "二级"), // 6: risk missing
        row(
            "出纳挪用卫生经费做平账目",
            "区卫生局",
            "业务流程风险",
            "3",
            "4",
            "二级",
        ), // 7: scope
        String::new(),                                         // 8: blank, skipped
        row(
            "出纳挪用备用金后做平账目",
            "区交通局",
            "业务流程风险",
            "3",
            "4",
            "二级",
        ), // 9: duplicate of 2
    ]
    .join("\r\n")
}

#[tokio::test]
async fn a_dry_run_names_every_bad_row_and_its_rule_and_writes_nothing() {
    let (_dir, db) = fresh_db().await;
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let scope = ImportScope::Units {
        units: vec![OrgUnitId(unit_id(&db, "区交通局").await)],
        marks_posts: false,
    };
    let before = counts(&db).await;

    let csv = bad_rows_csv();
    let report = import(&db, csv.as_bytes(), &scope, ImportMode::DryRun)
        .await
        .unwrap();
    assert_eq!(
        problems(&report),
        vec![
            (3, "likelihood", "out_of_range"),
            (4, "category", "unknown_value"),
            (5, "level", "level_mismatch"),
            (6, "risk_point", "required"),
            (7, "unit", "out_of_scope"),
            (9, "risk_point", "duplicate_row"),
        ]
    );
    assert!(report.rejected.iter().all(|r| !r.message.is_empty()));
    assert_eq!(
        report.rejected[5].message,
        "与第 2 行重复：同一单位、同一岗位下的风险点相同"
    );
    assert_eq!(
        (
            report.total_rows,
            report.accepted_rows,
            report.rejected_rows
        ),
        (7, 1, 6)
    );
    assert_eq!(
        report.counts,
        ImportCounts {
            new_units: 0,
            new_posts: 1,
            new_risk_points: 1,
            new_measures: 2,
            existing_risk_points: 0
        }
    );
    assert_eq!(counts(&db).await, before, "a dry run writes nothing");

    // Applying writes exactly what the dry run announced.
    let applied = import(&db, csv.as_bytes(), &scope, ImportMode::APPLY_ALL)
        .await
        .unwrap();
    assert_eq!(applied.counts, report.counts);
    assert_eq!(applied.rejected, report.rejected);
}

#[tokio::test]
async fn an_exported_district_imports_into_an_empty_database_with_every_stored_field() {
    let (_dir, source) = fresh_db().await;
    seed::seed_demo(&source, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    fill_every_column(&source).await;
    let expected = stored(&source).await;
    // Every compared column has more than one value in the source: a column the round trip
    // drops would come back with one default and be seen.
    for (table, rows) in &expected {
        let columns = rows.iter().next().unwrap().keys();
        for column in columns.filter(|c| *c != "position") {
            let values: HashSet<&String> = rows.iter().map(|r| &r[column]).collect();
            assert!(values.len() > 1, "{table}.{column} has one value only");
        }
    }
    let district = unit_id(&source, seed::DISTRICT_NAME).await;
    let rows = export_unit(source.pool(), district).await.unwrap();
    assert_eq!(
        rows.len(),
        26,
        "every post beneath the district, sections and villages too"
    );

    for (format, file) in [("csv", to_csv(&rows)), ("xlsx", to_xlsx(&rows).unwrap())] {
        let (_dir, target) = district_db().await;
        let report = import(
            &target,
            &file,
            &ImportScope::District,
            ImportMode::APPLY_ALL,
        )
        .await
        .unwrap();
        assert!(
            report.rejected.is_empty(),
            "{format}: {:?}",
            report.rejected
        );
        assert_eq!(report.counts.new_risk_points, 26, "{format}");
        let got = stored(&target).await;
        for table in expected.keys() {
            let lost: Vec<_> = expected[table].difference(&got[table]).collect();
            let changed: Vec<_> = got[table].difference(&expected[table]).collect();
            assert!(
                lost.is_empty() && changed.is_empty(),
                "{format}: {table}: stored before {lost:#?}, after the round trip {changed:#?}"
            );
        }
        // And what it exports is the same table again.
        let again = export_unit(target.pool(), unit_id(&target, seed::DISTRICT_NAME).await)
            .await
            .unwrap();
        assert_eq!(again, rows, "{format}");
    }
}

#[test]
fn every_column_the_export_writes_is_one_the_import_reads() {
    for column in Column::ALL {
        assert_eq!(
            super::columns::from_heading::<Column>(column.heading()),
            Some(column)
        );
        assert_eq!(
            super::columns::from_heading::<Column>(column.key()),
            Some(column)
        );
    }
    let header = String::from_utf8(to_csv(&[])).unwrap();
    let grid = read_table(header.as_bytes()).unwrap();
    let (_, map) = map_header(&grid).unwrap();
    assert!(Column::ALL.iter().all(|c| map.has(*c)));
}

#[tokio::test]
async fn a_list_column_that_does_not_match_the_measures_is_refused_naming_it() {
    let (_dir, db) = fresh_db().await;
    let file = "单位,岗位,岗位类别,岗位职责,风险点,风险类别,权力类型,可能性,危害程度,风险等级,防控措施,措施责任人,措施落实情况\n\
                区交通局,出纳,其它岗位,负责现金收付,白条抵库挪用现金,业务流程风险,财务权,3,4,二级,制度防范：日清月结；监督预警：突击盘点,李娜,已完成\n";
    let report = import(
        &db,
        file.as_bytes(),
        &ImportScope::District,
        ImportMode::DryRun,
    )
    .await
    .unwrap();
    assert_eq!(
        problems(&report),
        [
            (2, "measure_owners", "list_mismatch"),
            (2, "measure_status", "list_mismatch")
        ]
    );
    assert!(report.rejected[0].message.contains("措施责任人"));
}

#[tokio::test]
async fn an_import_takes_positions_after_every_position_the_sheet_ever_handed_out() {
    let (_dir, db) = fresh_db().await;
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    // The holder added and deleted points: the counter is past every point left.
    let sheet: i64 = sqlx::query_scalar(
        "SELECT rs.id FROM risk_sheets rs JOIN posts p ON p.id = rs.post_id WHERE p.title = '局长'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE risk_sheets SET next_position = 7 WHERE id = ?")
        .bind(sheet)
        .execute(db.pool())
        .await
        .unwrap();
    let header = seed::BUILT_IN_DEMO_DATA.lines().next().unwrap();
    let file = format!(
        "{header}\n区交通局\t局长\t领导岗位\t主持全面工作\t在干部选任中搞“带病提拔”\t岗位职责风险\t人事权\t2\t5\t二级\t制度防范：干部选任全程纪实\n"
    );
    let report = import(
        &db,
        file.as_bytes(),
        &ImportScope::District,
        ImportMode::APPLY_ALL,
    )
    .await
    .unwrap();
    assert_eq!(report.counts.new_risk_points, 1, "{:?}", report.rejected);
    let (position, next): (i64, i64) = sqlx::query_as(
        "SELECT rp.position, rs.next_position FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id
         WHERE rp.description = '在干部选任中搞“带病提拔”'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!((position, next), (7, 8));
}

#[tokio::test]
async fn marks_of_a_post_are_imported_only_by_those_who_may_mark_posts() {
    let (_dir, db) = fresh_db().await;
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let bureau = OrgUnitId(unit_id(&db, "区交通局").await);
    let file = "单位,岗位,岗位类别,重点岗位,监督等级,岗位职责,风险点,风险类别,权力类型,可能性,危害程度,风险等级,防控措施\n\
                区交通局,统计员,其它岗位,是,一级,负责报表,虚报统计数据,业务流程风险,审核权,2,3,三级,制度防范：双人复核\n\
                区交通局,局长,领导岗位,否,,主持全面工作,新的风险点描述,岗位职责风险,决策权,2,3,三级,制度防范：集体决策\n";
    let liaison = ImportScope::Units {
        units: vec![bureau],
        marks_posts: false,
    };
    let report = import(&db, file.as_bytes(), &liaison, ImportMode::DryRun)
        .await
        .unwrap();
    assert_eq!(
        problems(&report),
        [
            (2, "key_post", "marks_not_allowed"),
            (3, "key_post", "marks_conflict")
        ]
    );
    let commission = ImportScope::Units {
        units: vec![bureau],
        marks_posts: true,
    };
    let report = import(&db, file.as_bytes(), &commission, ImportMode::DryRun)
        .await
        .unwrap();
    assert_eq!(problems(&report), [(3, "key_post", "marks_conflict")]);
}

#[tokio::test]
async fn importing_the_same_file_twice_creates_nothing_the_second_time() {
    let (_dir, db) = district_db().await;
    let file = seed::BUILT_IN_DEMO_DATA.as_bytes();
    let first = import(&db, file, &ImportScope::District, ImportMode::APPLY_ALL)
        .await
        .unwrap();
    assert!(first.rejected.is_empty(), "{:?}", first.rejected);
    assert_eq!(first.counts.new_risk_points, 26);
    assert_eq!(first.counts.new_posts, 26);
    let after_first = counts(&db).await;

    let dry = import(&db, file, &ImportScope::District, ImportMode::DryRun)
        .await
        .unwrap();
    let second = import(&db, file, &ImportScope::District, ImportMode::APPLY_ALL)
        .await
        .unwrap();
    let nothing_new = ImportCounts {
        existing_risk_points: 26,
        ..ImportCounts::default()
    };
    assert_eq!(dry.counts, nothing_new);
    assert_eq!(second.counts, nothing_new);
    assert_eq!(counts(&db).await, after_first);
}

#[tokio::test]
async fn a_file_applied_in_slices_ends_as_one_applied_at_once() {
    let (_dir, whole) = district_db().await;
    let (_dir2, sliced) = district_db().await;
    let file = seed::BUILT_IN_DEMO_DATA.as_bytes();
    import(&whole, file, &ImportScope::District, ImportMode::APPLY_ALL)
        .await
        .unwrap();
    let mut offset = Some(0);
    let mut created = 0;
    while let Some(start) = offset {
        let mode = ImportMode::Apply {
            offset: start,
            limit: Some(10),
        };
        let report = import(&sliced, file, &ImportScope::District, mode)
            .await
            .unwrap();
        created += report.counts.new_risk_points;
        offset = report.next_offset;
    }
    assert_eq!(created, 26);
    assert_eq!(counts(&sliced).await, counts(&whole).await);
}

#[tokio::test]
async fn importing_into_a_seeded_district_adds_to_the_open_sheet_and_logs_it() {
    let (_dir, db) = fresh_db().await;
    seed::seed_demo(&db, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let header = seed::BUILT_IN_DEMO_DATA.lines().next().unwrap();
    let file = format!(
        "{header}\n区交通局\t局长\t领导岗位\t主持全面工作\t在干部选任中搞“带病提拔”\t岗位职责风险\t人事权\t2\t5\t二级\t制度防范：干部选任全程纪实\n清河街道·东村\t村报账员\t其它岗位\t负责村级报账\t虚列支出套取村集体资金\t业务流程风险\t财务权\t3\t4\t二级\t监督预警：村务公开\n"
    );
    let version = || async {
        sqlx::query_scalar::<_, i64>("SELECT rs.version FROM risk_sheets rs JOIN posts p ON p.id = rs.post_id WHERE p.title = '局长'")
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    let before = version().await;
    let report = import(
        &db,
        file.as_bytes(),
        &ImportScope::District,
        ImportMode::APPLY_ALL,
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.counts.new_units, 0, "清河街道 is 清河街道办事处");
    assert_eq!(report.counts.new_posts, 0);
    assert_eq!(report.counts.new_risk_points, 2);
    assert_eq!(version().await, before + 1);
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM changes c JOIN risk_points rp ON rp.id = c.entity_id WHERE rp.description = '虚列支出套取村集体资金'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(logged, 1);
}

#[test]
fn a_missing_column_is_named_for_the_whole_file() {
    let err = parse_table(
        "unit,post,post_level,duty,category,power_type,likelihood,impact,level\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(err.code, "missing_column");
    assert_eq!(err.field, "risk_point");
    assert!(err.message.contains("风险点") && err.message.contains("防控措施"));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_as_unreadable() {
    // "单位" in GBK, as Excel saves CSV on a Chinese system.
    let err = read_table(b"\xB5\xA5\xCE\xBB,post\n").unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.field.as_str()),
        ("unreadable_file", "file")
    );
    let err = read_table(b"PK\x03\x04 not really a workbook").unwrap_err();
    assert_eq!(err.code, "unreadable_file");
}

#[test]
fn rows_are_numbered_as_excel_shows_them() {
    for newline in ["\n", "\r\n"] {
        let text = format!("\u{FEFF}a,b{newline}{newline}\"x{newline}y\",1{newline}z,2");
        let grid: Vec<Vec<String>> = read_table(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(grid.len(), 4);
        assert_eq!(grid[0], vec!["a", "b"]);
        assert!(grid[1].is_empty(), "the blank row 2 is kept");
        assert_eq!(grid[2], vec![format!("x{newline}y"), "1".to_owned()]);
        assert_eq!(
            grid[3],
            vec!["z", "2"],
            "a line break inside a cell is no new row"
        );
    }
}

#[test]
fn a_title_row_above_the_header_is_skipped() {
    let text = format!("区交通局廉政风险点台账\n{}", seed::BUILT_IN_DEMO_DATA);
    let table = parse_table(text.as_bytes()).unwrap();
    assert!(table.rejected.is_empty(), "{:?}", table.rejected);
    assert_eq!(table.rows.len(), 26);
    assert_eq!(table.rows[0].row, 3);
}

#[tokio::test]
async fn a_workbook_with_a_title_row_and_merged_unit_cells_imports() {
    let (_dir, source) = fresh_db().await;
    seed::seed_demo(&source, seed::BUILT_IN_DEMO_DATA)
        .await
        .unwrap();
    let rows = export_unit(source.pool(), unit_id(&source, "区交通局").await)
        .await
        .unwrap();
    // As offices lay their tables out: a title above the header, and the unit written once
    // in a cell merged down the unit's rows.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 0, 10, "区交通局廉政风险点台账", &plain)
        .unwrap();
    for (col, column) in Column::ALL.iter().enumerate() {
        sheet.write_string(1, col as u16, column.heading()).unwrap();
    }
    let last = rows.len() as u32 + 1;
    sheet
        .merge_range(2, 0, last, 0, "区交通局", &plain)
        .unwrap();
    for (index, row) in rows.iter().enumerate() {
        for (col, cell) in row.cells().iter().enumerate().skip(1) {
            let (r, c) = (index as u32 + 2, col as u16);
            match cell {
                Cell::Text(text) => sheet.write_string(r, c, *text),
                Cell::Number(n) => sheet.write_number(r, c, f64::from(*n)),
            }
            .unwrap();
        }
    }
    let file = book.save_to_buffer().unwrap();

    let (_dir, target) = district_db().await;
    let report = import(&target, &file, &ImportScope::District, ImportMode::DryRun)
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.total_rows, rows.len());
    assert_eq!(report.counts.new_risk_points, rows.len());
    assert_eq!(
        report.counts.new_units, 1,
        "the bureau; the district was set up first"
    );
}

#[test]
fn merged_cells_take_the_value_of_their_top_left_cell() {
    let grid: Grid = vec![
        vec!["区交通局".into(), "局长".into()],
        vec!["".into(), "副局长".into()],
    ];
    let grid = fill_merged_for_test(
        grid,
        &[Dimensions {
            start: (0, 0),
            end: (1, 0),
        }],
    );
    assert_eq!(&*grid[1][0], "区交通局");
}

#[test]
fn csv_cells_excel_would_run_as_formulas_are_guarded_and_read_back() {
    let row = ExportRow {
        unit: "区交通局".to_owned(),
        post: "=HYPERLINK(\"x\")".to_owned(),
        post_level: "其它岗位".to_owned(),
        key_post: "否".to_owned(),
        supervision_grade: String::new(),
        duty: "负责，审核".to_owned(),
        risk_point: "虚报冒领, 套取资金".to_owned(),
        manifestation: "-以假发票报销".to_owned(),
        category: "业务流程风险".to_owned(),
        power_type: "财务权".to_owned(),
        likelihood: 3,
        impact: 4,
        frequency: 2,
        residual_likelihood: Some(2),
        residual_impact: Some(1),
        level: "二级".to_owned(),
        measures: "制度防范：两人签字".to_owned(),
        measure_owners: "李娜".to_owned(),
        measure_due: "2026-12-31".to_owned(),
        measure_status: "已完成（2026-11-30）".to_owned(),
    };
    let csv = to_csv(std::slice::from_ref(&row));
    assert!(csv.starts_with("\u{FEFF}unit,post,".as_bytes()));
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""));
    let table = parse_table(&csv).unwrap();
    assert!(table.rejected.is_empty(), "{:?}", table.rejected);
    assert_eq!(table.rows[0].post.as_str(), "=HYPERLINK(\"x\")");
    assert_eq!(table.rows[0].risk.as_str(), "虚报冒领, 套取资金");
    assert_eq!(
        table.rows[0].manifestation.as_ref().unwrap().as_str(),
        "-以假发票报销"
    );
    assert_eq!(table.rows[0].measures[0].status, MeasureStatus::Done);
    assert_eq!(table.rows[0].residual.map(|r| r.score()), Some(2));
}

#[test]
fn a_residual_rating_is_both_cells_or_neither() {
    let header = "单位,岗位,岗位类别,岗位职责,风险点,风险类别,权力类型,可能性,危害程度,剩余可能性,剩余危害程度,风险等级,防控措施";
    let row = |risk: &str, l: &str, i: &str| {
        format!("区交通局,出纳岗,其它岗位,负责现金收付,{risk},业务流程风险,财务权,3,4,{l},{i},二级,{GOOD_MEASURES}")
    };
    let csv = [
        header.to_owned(),
        row("出纳挪用备用金后做平账目", "2", "2"),
        row("出纳收款不开票据而截留", "", ""),
        row("出纳私自保管空白支票", "2", ""),
        row("出纳为关系人提前支付", "2", "6"),
    ]
    .join("\r\n");
    let table = parse_table(csv.as_bytes()).unwrap();
    let rated: Vec<Option<u8>> = table
        .rows
        .iter()
        .map(|r| r.residual.map(|r| r.score()))
        .collect();
    assert_eq!(rated, [Some(4), None]);
    let refused: Vec<(usize, &str, &str)> = table
        .rejected
        .iter()
        .map(|r| (r.row, r.field.as_str(), r.code.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            (4, "residual_impact", "required"),
            (5, "residual_impact", "out_of_range")
        ]
    );
    assert!(table.rejected[1].message.contains("剩余危害程度"));
}

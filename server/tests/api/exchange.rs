//! The risk table through HTTP: a dry run names each bad row and its rule and writes nothing,
//! applying in slices writes the rest once, and the export reads back what is there.

use reqwest::header;
use serde_json::Value;

use super::helpers::{spawn_app, TestApp};

const HEADER: &str =
    "unit,post,post_level,duty,risk_point,category,power_type,likelihood,impact,level,measures";

async fn import(app: &TestApp, cookie: &str, unit: i64, query: &str, file: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/units/{unit}/import?{query}")))
        .header(header::ORIGIN, app.origin())
        .header(header::COOKIE, cookie)
        .body(file.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_dry_run_names_bad_rows_then_slices_apply_once_and_the_export_reads_them_back() {
    let app = spawn_app().await;
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let liaison = app.session_cookie("lianluo").await;
    let file = [
        HEADER,
        "区交通局,路政巡查员,其它岗位,路政巡查,巡查中对违法占道收受好处后不予处理,岗位职责风险,行政处罚权,3,4,二级,监督预警：巡查全程记录仪；教育防范：季度警示教育",
        "区交通局,路政巡查员,其它岗位,路政巡查,可能性写错的一行,岗位职责风险,行政处罚权,9,4,二级,制度防范：双人巡查",
        "区卫生局,医政科科员,其它岗位,医政管理,不归本单位联络员导入的一行,岗位职责风险,行政许可权,2,2,三级,制度防范：集体审核",
        "区交通局,路政巡查员,其它岗位,路政巡查,路政赔补偿费收取不入账,岗位职责风险,行政处罚权,2,3,三级,制度防范：票据统一管理",
    ]
    .join("\n");

    let before = app.count("SELECT COUNT(*) FROM risk_points").await;
    let (status, dry) = import(&app, &liaison, unit, "dry_run=true", &file).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["total_rows"], 4);
    assert_eq!(dry["accepted_rows"], 2);
    let rejected: Vec<(u64, &str)> = dry["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(3, "out_of_range"), (4, "out_of_scope")]);
    assert_eq!(dry["new_posts"], 1);
    assert_eq!(dry["new_risk_points"], 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM risk_points").await,
        before,
        "a dry run writes nothing"
    );

    // Applied one row at a time, as the page does for a large file, with a cursor to follow.
    let (_, first) = import(&app, &liaison, unit, "offset=0&limit=1", &file).await;
    assert_eq!(first["applied_rows"], 1);
    assert_eq!(first["next_offset"], 1);
    let (_, second) = import(&app, &liaison, unit, "offset=1&limit=1", &file).await;
    assert_eq!(second["next_offset"], Value::Null);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM risk_points").await,
        before + 2
    );
    // The same file again creates nothing new.
    let (_, again) = import(&app, &liaison, unit, "offset=0", &file).await;
    assert_eq!(again["new_risk_points"], 0);
    assert_eq!(again["existing_risk_points"], 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM risk_points").await,
        before + 2
    );

    // A file that is not a table at all is refused as a whole, with the field named.
    let (status, error) = import(&app, &liaison, unit, "dry_run=true", "just,some,words\n").await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "missing_column");

    // The export carries the imported rows, with the measures in the table's own format.
    let csv = app
        .client
        .get(app.url(&format!("/api/units/{unit}/export.csv")))
        .header(header::COOKIE, &liaison)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM, for Excel");
    assert!(text.contains("巡查中对违法占道收受好处后不予处理"));
    assert!(text.contains("监督预警：巡查全程记录仪；教育防范：季度警示教育"));
    let xlsx = app
        .client
        .get(app.url(&format!("/api/units/{unit}/export.xlsx")))
        .header(header::COOKIE, &liaison)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
}

//! The risk table through HTTP: a dry run names each bad row and its rule and writes nothing,
//! applying in slices writes the rest once, and the export reads back what is there.

use reqwest::header;
use serde_json::{json, Value};

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
    // Each applied slice is in the audit log, by the liaison, with the file's SHA-256.
    let logged: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT payload, actor FROM audit_log WHERE kind = 'risk_table_imported' ORDER BY seq",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let lianluo = app
        .count("SELECT id FROM users WHERE username = 'lianluo'")
        .await;
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(file.as_bytes()));
    assert_eq!(logged.len(), 2, "{logged:?}");
    for ((payload, actor), offset) in logged.iter().zip([0, 1]) {
        let payload: Value = serde_json::from_str(payload).unwrap();
        assert_eq!(*actor, Some(lianluo));
        assert_eq!(payload["file_sha256"], sha.as_str());
        assert_eq!(payload["offset"], offset);
        assert_eq!(payload["rows"], 1);
        assert_eq!(payload["units"], json!([unit]));
        assert_eq!(payload["counts"]["new_risk_points"], 1);
        assert_eq!(payload["via"], "web");
    }

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

/// A minimal XLSX workbook with the given shared strings, sheet rows and merged ranges.
fn workbook(shared: &[String], rows: &str, merges: &[&str], padding_mib: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    let mut part = |name: &str, body: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
    );
    let strings: String = shared
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    part(
        "xl/sharedStrings.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">{strings}</sst>"#,
            shared.len()
        ),
    );
    let merged: String = merges
        .iter()
        .map(|m| format!(r#"<mergeCell ref="{m}"/>"#))
        .collect();
    // Written in pieces, so that padding never sits in memory whole.
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let mut write = |text: &str| zip.write_all(text.as_bytes()).unwrap();
    write(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    write(rows);
    let mebibyte = " ".repeat(1 << 20);
    for _ in 0..padding_mib {
        write(&mebibyte);
    }
    write(&format!(
        r#"</sheetData><mergeCells count="{}">{merged}</mergeCells></worksheet>"#,
        merges.len()
    ));
    zip.finish().unwrap().into_inner()
}

/// The header row of a risk table, as inline strings.
fn header_row() -> String {
    let cells: String = HEADER
        .split(',')
        .enumerate()
        .map(|(i, h)| {
            let col = char::from(b'A' + u8::try_from(i).unwrap());
            format!(r#"<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>"#)
        })
        .collect();
    format!(r#"<row r="1">{cells}</row>"#)
}

/// The process's peak resident memory so far, from /proc (Linux), in MiB.
fn peak_memory_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

async fn import_bytes(
    app: &TestApp,
    cookie: &str,
    unit: i64,
    file: Vec<u8>,
) -> (u16, Value, usize) {
    let response = app
        .client
        .post(app.url(&format!("/api/units/{unit}/import?dry_run=true")))
        .header(header::ORIGIN, app.origin())
        .header(header::COOKIE, cookie)
        .body(file)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap(), body.len())
}

#[tokio::test]
async fn a_small_workbook_that_expands_to_gigabytes_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let liaison = app.session_cookie("lianluo").await;
    let long = "风".repeat(3_400); // 10 KB of UTF-8

    // One shared string in A2, merged over A2:J20000 (199,990 cells, 2 GB if copied), with a
    // cell at the far corner so the rows exist.
    let rows = format!(
        r#"{}<row r="2"><c r="A2" t="s"><v>0</v></c></row><row r="20000"><c r="J20000" t="s"><v>0</v></c></row>"#,
        header_row()
    );
    let merged = workbook(std::slice::from_ref(&long), &rows, &["A2:J20000"], 0);
    // The same string referenced by 40,000 cells: 400 MB of text if each cell held a copy.
    let many: String = (2..4_002)
        .map(|r| {
            let cells: String = "ABCDEFGHIJ"
                .chars()
                .map(|c| format!(r#"<c r="{c}{r}" t="s"><v>0</v></c>"#))
                .collect();
            format!(r#"<row r="{r}">{cells}</row>"#)
        })
        .collect();
    let shared = workbook(
        std::slice::from_ref(&long),
        &format!("{}{many}", header_row()),
        &[],
        0,
    );
    // A sheet that unzips to 80 MB of padding.
    let padded = workbook(&[], &header_row(), &[], 80);

    for (name, file) in [("merged", merged), ("shared", shared), ("padded", padded)] {
        let size = file.len();
        let before = peak_memory_mib();
        let (status, body, answer_len) = import_bytes(&app, &liaison, unit, file).await;
        let after = peak_memory_mib();
        println!(
            "{name}: file {size} B, answer {answer_len} B, peak memory {before} MiB before, {after} MiB after"
        );
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["code"], "table_too_large", "{name}: {body}");
        assert!(body["message"].as_str().unwrap().contains("分批导入"));
        assert!(answer_len < 1_000, "{name}: the refusal is short");
    }
}

#[tokio::test]
async fn a_report_lists_the_first_refusals_of_each_rule_and_counts_the_rest() {
    let app = spawn_app().await;
    let unit = app
        .count("SELECT id FROM org_units WHERE name = '区交通局'")
        .await;
    let liaison = app.session_cookie("lianluo").await;
    let long = "风".repeat(3_400);
    let mut file = vec![HEADER.to_owned()];
    for _ in 0..150 {
        file.push(format!(
            "区交通局,路政巡查员,其它岗位,路政巡查,{long},岗位职责风险,行政处罚权,3,4,二级,制度防范：双人巡查"
        ));
    }
    let (status, report) = import(&app, &liaison, unit, "dry_run=true", &file.join("\n")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rejected_rows"], 150);
    let listed = report["rejected"].as_array().unwrap();
    assert_eq!(listed.len(), 20);
    assert!(listed
        .iter()
        .all(|r| r["message"].as_str().unwrap().chars().count() <= 201));
    assert_eq!(report["rejected_omitted"][0]["count"], 130);
}

//! Export: a unit's risk table as CSV and XLSX, with every column an import reads.

use std::collections::{HashMap, HashSet};

use domain::{
    post::SupervisionGrade,
    risk::{IsoDate, MeasureKind, MeasureStatus, RiskCategory, Score},
    sync::MeasureInput,
};
use serde::Serialize;
use sqlx::SqlitePool;

use super::{
    columns::{Column, COLUMNS, FORMULA_STARTS},
    rows::join_path,
};
use crate::{error::corrupt, store};

/// The name of the sheet in XLSX exports.
pub const SHEET_NAME: &str = "风险点台账";

/// One risk point as a row of the table, every cell as the table writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRow {
    /// `单位`, or `上级·单位` below a top-level unit.
    pub unit: String,
    pub post: String,
    /// 领导岗位 / 中层岗位 / 其它岗位
    pub post_level: String,
    /// 是 / 否
    pub key_post: String,
    /// 一级 / 二级 / 三级, or empty
    pub supervision_grade: String,
    pub duty: String,
    pub risk_point: String,
    pub manifestation: String,
    /// `制度机制风险`
    pub category: String,
    pub power_type: String,
    pub likelihood: u8,
    pub impact: u8,
    pub frequency: u8,
    /// 剩余可能性 and 剩余危害程度: empty until the holder rates the point with its measures.
    pub residual_likelihood: Option<u8>,
    pub residual_impact: Option<u8>,
    /// 一级 / 二级 / 三级
    pub level: String,
    /// `制度防范：…；监督预警：…；教育防范：…`
    pub measures: String,
    /// One item per measure, in the same order, separated by `；` (empty when no measure has one).
    pub measure_owners: String,
    pub measure_due: String,
    /// `未开始；已完成（2026-11-30）；…`
    pub measure_status: String,
}

impl ExportRow {
    /// The cells in column order ([`Column::ALL`]), for writers.
    pub(super) fn cells(&self) -> [Cell<'_>; COLUMNS] {
        [
            Cell::Text(&self.unit),
            Cell::Text(&self.post),
            Cell::Text(&self.post_level),
            Cell::Text(&self.key_post),
            Cell::Text(&self.supervision_grade),
            Cell::Text(&self.duty),
            Cell::Text(&self.risk_point),
            Cell::Text(&self.manifestation),
            Cell::Text(&self.category),
            Cell::Text(&self.power_type),
            Cell::Number(self.likelihood),
            Cell::Number(self.impact),
            Cell::Number(self.frequency),
            self.residual_likelihood
                .map_or(Cell::Text(""), Cell::Number),
            self.residual_impact.map_or(Cell::Text(""), Cell::Number),
            Cell::Text(&self.level),
            Cell::Text(&self.measures),
            Cell::Text(&self.measure_owners),
            Cell::Text(&self.measure_due),
            Cell::Text(&self.measure_status),
        ]
    }
}

pub(crate) enum Cell<'a> {
    Text(&'a str),
    Number(u8),
}

/// The risk table of a unit and every unit beneath it: one row per risk point of each post's
/// current sheet (what the unit's handbook prints), in tree order, then post, then the point's
/// position. An unknown unit gives no rows. Does not check permissions: the caller does.
pub async fn export_unit(pool: &SqlitePool, unit_id: i64) -> anyhow::Result<Vec<ExportRow>> {
    let mut conn = pool.begin().await?;
    let units = store::org::units(&mut conn).await?;
    let tree = UnitLabels::new(units.into_iter().map(|u| (u.id, u.parent, u.name)));
    let order = tree.subtree(unit_id);
    let posts = store::sheets::posts_in_units(&mut conn, &order).await?;
    let posts = store::sheets::posts_with_sheets(&mut conn, &posts).await?;
    let sheet_ids: Vec<i64> = posts
        .iter()
        .filter_map(|p| p.sheet.as_ref().map(|s| s.id))
        .collect();
    let mut points = store::points::on_sheets(&mut conn, &sheet_ids).await?;
    let post_ids: Vec<i64> = posts.iter().map(|p| p.post_id).collect();
    let duties = store::org::duties_of(&mut conn, &post_ids).await?;
    conn.commit().await?;

    let rank: HashMap<i64, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut posts = posts;
    posts.sort_by_key(|p| (rank.get(&p.unit_id).copied(), p.post_id));
    let mut rows = Vec::new();
    for post in posts {
        let Some(sheet) = &post.sheet else {
            continue;
        };
        let grade = post
            .grade
            .as_deref()
            .map(SupervisionGrade::parse)
            .transpose()
            .map_err(|e| corrupt("supervision grade", e))?;
        // A point without a duty of its own is filed under the post's first duty.
        let first_duty = duties
            .get(&post.post_id)
            .and_then(|d| d.first())
            .cloned()
            .unwrap_or_default();
        for point in points.remove(&sheet.id).unwrap_or_default() {
            let input = point.input;
            let cells = MeasureCells::new(&input.measures)?;
            rows.push(ExportRow {
                unit: tree.label(post.unit_id),
                post: post.title.clone(),
                post_level: post.level.label().to_owned(),
                key_post: if post.key_post { "是" } else { "否" }.to_owned(),
                supervision_grade: grade.map(|g| g.label().to_owned()).unwrap_or_default(),
                duty: if input.duty.is_empty() {
                    first_duty.clone()
                } else {
                    input.duty
                },
                risk_point: input.description,
                manifestation: input.manifestation,
                category: format!(
                    "{}风险",
                    RiskCategory::parse(&input.category)
                        .map_err(|e| corrupt("category", e))?
                        .label()
                ),
                power_type: input.power_type,
                likelihood: score(input.likelihood)?,
                impact: score(input.impact)?,
                frequency: score(input.frequency)?,
                residual_likelihood: input.residual_likelihood.map(score).transpose()?,
                residual_impact: input.residual_impact.map(score).transpose()?,
                level: point.level.label().to_owned(),
                measures: cells.measures,
                measure_owners: cells.owners,
                measure_due: cells.due,
                measure_status: cells.status,
            });
        }
    }
    Ok(rows)
}

pub(super) fn score(value: i64) -> anyhow::Result<u8> {
    Score::parse(value, "score", "评分")
        .map(Score::get)
        .map_err(|e| corrupt("score", e))
}

/// A point's measures as the four cells that hold them: the measures in the format
/// [`domain::risk::Measure::parse_cell`] reads back, and each measure's owner, due date and
/// progress as lists in the same order.
pub(super) struct MeasureCells {
    pub(super) measures: String,
    pub(super) owners: String,
    pub(super) due: String,
    pub(super) status: String,
}

impl MeasureCells {
    /// From a point's measures, in their order.
    pub(super) fn new(measures: &[MeasureInput]) -> anyhow::Result<Self> {
        let mut texts = Vec::with_capacity(measures.len());
        let (mut owners, mut due, mut status) = (Vec::new(), Vec::new(), Vec::new());
        for m in measures {
            let kind = MeasureKind::parse(&m.kind).map_err(|e| corrupt("measure kind", e))?;
            texts.push(format!("{}：{}", kind.label(), m.text));
            owners.push(m.owner.clone());
            due.push(m.due.clone());
            let progress =
                MeasureStatus::parse(&m.status).map_err(|e| corrupt("measure status", e))?;
            let day = Some(m.done_on.as_str())
                .filter(|d| !d.is_empty())
                .map(|d| IsoDate::parse(d, "done_on", "完成日期"))
                .transpose()
                .map_err(|e| corrupt("measure day", e))?;
            status.push(progress.with_day(day));
        }
        // A list column stays empty where it says nothing: no owners at all, every measure not
        // started. Empty reads back as exactly that.
        let list = |items: Vec<String>, blank: &str| {
            if items.iter().all(|i| i == blank) {
                String::new()
            } else {
                items.join("；")
            }
        };
        Ok(Self {
            measures: texts.join("；"),
            owners: list(owners, ""),
            due: list(due, ""),
            status: list(status, MeasureStatus::Planned.label()),
        })
    }
}

/// Unit labels as the table writes them: the path below the district root, joined with `·`.
pub(super) struct UnitLabels {
    pub(super) parents: HashMap<i64, Option<i64>>,
    pub(super) names: HashMap<i64, String>,
    pub(super) children: HashMap<i64, Vec<i64>>,
}

impl UnitLabels {
    pub(super) fn new(units: impl IntoIterator<Item = (i64, Option<i64>, String)>) -> Self {
        let mut labels = Self {
            parents: HashMap::new(),
            names: HashMap::new(),
            children: HashMap::new(),
        };
        for (id, parent, name) in units {
            labels.parents.insert(id, parent);
            labels.names.insert(id, name);
            if let Some(parent) = parent {
                labels.children.entry(parent).or_default().push(id);
            }
        }
        labels
    }

    /// `unit` and everything beneath it, parents before children, siblings by id.
    pub(super) fn subtree(&self, unit: i64) -> Vec<i64> {
        if !self.names.contains_key(&unit) {
            return Vec::new();
        }
        let mut order = Vec::new();
        let mut stack = vec![unit];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            order.push(id);
            if let Some(children) = self.children.get(&id) {
                stack.extend(children.iter().rev());
            }
        }
        order
    }

    /// The names from the top-level unit down to `unit`; the root's own name for the root.
    pub(super) fn label(&self, unit: i64) -> String {
        let mut path = Vec::new();
        let mut current = Some(unit);
        while let Some(id) = current {
            let parent = self.parents.get(&id).copied().flatten();
            if parent.is_none() && !path.is_empty() {
                break; // the district root heads no label below it
            }
            path.push(self.names.get(&id).map_or("", String::as_str));
            if path.len() > self.parents.len() {
                break; // a cycle, which the database forbids
            }
            current = parent;
        }
        path.reverse();
        join_path(path.into_iter())
    }
}

/// The table as CSV: UTF-8 with a BOM (so Excel reads the Chinese right), the English header of
/// the demo table, RFC 4180 quoting, CRLF line ends. A text cell Excel would run as a formula
/// gets a leading `'`, which import drops again.
pub fn to_csv(rows: &[ExportRow]) -> Vec<u8> {
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.key()).collect();
    table_csv(&header, rows.iter().map(|r| r.cells()))
}

/// Any table as CSV, written as [`to_csv`] writes the risk table.
pub(crate) fn table_csv<'a, R>(header: &[&str], rows: impl Iterator<Item = R>) -> Vec<u8>
where
    R: AsRef<[Cell<'a>]>,
{
    let mut out = String::from("\u{FEFF}");
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row
            .as_ref()
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) => csv_field(text),
                Cell::Number(n) => n.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

pub(super) fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Column widths in characters, in column order: wide enough for the usual Chinese text, with
/// long cells wrapped.
pub(super) const COLUMN_WIDTHS: [f64; COLUMNS] = [
    16.0, 18.0, 10.0, 8.0, 8.0, 36.0, 40.0, 30.0, 14.0, 16.0, 8.0, 10.0, 10.0, 12.0, 12.0, 10.0,
    60.0, 16.0, 16.0, 22.0,
];

/// The table as an Excel workbook: one sheet named [`SHEET_NAME`], a bold header with the
/// Chinese column names, frozen, with a filter; text wraps; ratings are numbers. Text is always
/// written as text, never as a formula.
pub fn to_xlsx(rows: &[ExportRow]) -> anyhow::Result<Vec<u8>> {
    let header: Vec<(&str, f64)> = Column::ALL
        .iter()
        .map(|c| c.heading())
        .zip(COLUMN_WIDTHS)
        .collect();
    table_xlsx(SHEET_NAME, &header, rows.iter().map(|r| r.cells()))
}

/// Any table as an Excel workbook, written as [`to_xlsx`] writes the risk table: `header` gives
/// each column's heading and width.
pub(crate) fn table_xlsx<'a, R>(
    sheet_name: &str,
    header: &[(&str, f64)],
    rows: impl Iterator<Item = R>,
) -> anyhow::Result<Vec<u8>>
where
    R: AsRef<[Cell<'a>]>,
{
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let number = Format::new()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::Top);
    for (col, (heading, width)) in header.iter().enumerate() {
        let col = u16::try_from(col)?;
        sheet.set_column_width(col, *width)?;
        sheet.write_string_with_format(0, col, *heading, &bold)?;
    }
    let mut last_row = 0;
    for (index, row) in rows.enumerate() {
        let r = u32::try_from(index + 1)?;
        last_row = r;
        for (col, cell) in row.as_ref().iter().enumerate() {
            let col = u16::try_from(col)?;
            match cell {
                Cell::Text(value) => sheet.write_string_with_format(r, col, *value, &text)?,
                Cell::Number(value) => {
                    sheet.write_number_with_format(r, col, f64::from(*value), &number)?
                }
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, u16::try_from(header.len().max(1) - 1)?)?;
    Ok(book.save_to_buffer()?)
}

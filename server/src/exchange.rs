//! Import and export of a unit's risk table (工作手册/风险点台账) as CSV, TSV and Excel.
//!
//! The table has the columns of `risk-points-demo.tsv` (DESIGN §3): one row per risk point, with
//! its unit, post, duty, ratings and measures. Import is planned before anything is written: the
//! whole file is parsed, every row is checked (the domain parsers, the rating matrix, the
//! importer's scope, duplicates), and what applying would create is counted against the database.
//! A dry run stops there; applying writes the accepted rows in one write transaction, keyed on
//! natural keys so that importing the same file twice creates nothing new. The demo seed
//! (`crate::seed`) goes through the same parsing, planning and writing.
//!
//! Export produces the same table, so an exported file imports back unchanged.

use std::{
    collections::{HashMap, HashSet},
    io::Cursor,
};

use anyhow::Context as _;
use calamine::{Data, Dimensions, Reader as _, Xlsx};
use domain::{
    ids::{OrgUnitId, RiskPointId},
    org::{OrgTree, OrgUnitKind, UnitLabel},
    post::{PostLevel, PostMarks, SupervisionGrade},
    risk::{
        IsoDate, Measure, MeasureKind, MeasureStatus, PowerType, RatingMatrix, Ratings,
        RiskCategory, RiskLevel, Score, LIST_SEPARATORS,
    },
    stage::Stage,
    text::{
        DutyText, Manifestation, MeasureText, PersonName, PostTitle, RiskDescription, UnitName,
    },
    FieldError,
};
use serde::Serialize;
use sqlx::{SqliteConnection, SqlitePool};

use crate::{
    db::{now_ms, Db},
    seed::{DISTRICT_NAME, ROUND_NAME},
};

/// Frequency is not a column of existing tables; imported points get the middle of the scale.
const DEFAULT_FREQUENCY: i64 = 3;
/// The most rows a file may have (header and blank rows included): larger tables are split by
/// unit anyway, and the limit bounds the memory one upload can take.
pub const MAX_ROWS: usize = 20_000;
/// Title rows (`某某局廉政风险点台账`) often stand above the header; it is looked for this far down.
const HEADER_SEARCH_ROWS: usize = 10;
/// Cells right of this column are ignored: a risk table is a dozen columns wide, and the bound
/// keeps a sheet with a stray far-right cell from taking memory.
const MAX_COLUMNS: usize = 64;
/// A row is taken for the header once it names this many known columns.
const HEADER_MIN_COLUMNS: usize = 3;
/// The name of the sheet in XLSX exports.
pub const SHEET_NAME: &str = "风险点台账";

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// A column of the risk table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Unit,
    Post,
    PostLevel,
    KeyPost,
    SupervisionGrade,
    Duty,
    RiskPoint,
    Manifestation,
    Category,
    PowerType,
    Likelihood,
    Impact,
    Frequency,
    Level,
    Measures,
    MeasureOwners,
    MeasureDue,
    MeasureStatus,
}

/// How many columns the table knows.
const COLUMNS: usize = 18;

impl Column {
    /// Every column, in the order of exports. An export writes each of them and an import reads
    /// each of them, so a table goes out and comes back with every stored field.
    pub const ALL: [Self; COLUMNS] = [
        Self::Unit,
        Self::Post,
        Self::PostLevel,
        Self::KeyPost,
        Self::SupervisionGrade,
        Self::Duty,
        Self::RiskPoint,
        Self::Manifestation,
        Self::Category,
        Self::PowerType,
        Self::Likelihood,
        Self::Impact,
        Self::Frequency,
        Self::Level,
        Self::Measures,
        Self::MeasureOwners,
        Self::MeasureDue,
        Self::MeasureStatus,
    ];

    /// Whether a file must have the column: the columns of existing tables (the demo table's)
    /// are required; the others were added for a lossless round trip and take defaults when a
    /// table has no such column (see [`parse_row`]).
    pub fn required(self) -> bool {
        !matches!(
            self,
            Self::KeyPost
                | Self::SupervisionGrade
                | Self::Manifestation
                | Self::Frequency
                | Self::MeasureOwners
                | Self::MeasureDue
                | Self::MeasureStatus
        )
    }

    /// The English header of the demo table and CSV exports; also the `field` of row errors, so
    /// a client can point at the column.
    pub fn key(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::Post => "post",
            Self::PostLevel => "post_level",
            Self::KeyPost => "key_post",
            Self::SupervisionGrade => "supervision_grade",
            Self::Duty => "duty",
            Self::RiskPoint => "risk_point",
            Self::Manifestation => "manifestation",
            Self::Category => "category",
            Self::PowerType => "power_type",
            Self::Likelihood => "likelihood",
            Self::Impact => "impact",
            Self::Frequency => "frequency",
            Self::Level => "level",
            Self::Measures => "measures",
            Self::MeasureOwners => "measure_owners",
            Self::MeasureDue => "measure_due",
            Self::MeasureStatus => "measure_status",
        }
    }

    /// The Chinese header of existing tables and XLSX exports.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Unit => "单位",
            Self::Post => "岗位",
            Self::PostLevel => "岗位类别",
            Self::KeyPost => "重点岗位",
            Self::SupervisionGrade => "监督等级",
            Self::Duty => "岗位职责",
            Self::RiskPoint => "风险点",
            Self::Manifestation => "表现形式",
            Self::Category => "风险类别",
            Self::PowerType => "权力类型",
            Self::Likelihood => "可能性",
            Self::Impact => "危害程度",
            Self::Frequency => "发生频率",
            Self::Level => "风险等级",
            Self::Measures => "防控措施",
            Self::MeasureOwners => "措施责任人",
            Self::MeasureDue => "措施完成时限",
            Self::MeasureStatus => "措施落实情况",
        }
    }

    /// Other headers seen in existing tables for the same column.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Unit => &["单位名称"],
            Self::Post => &["岗位名称"],
            Self::PostLevel => &["岗位层级", "岗位级别"],
            Self::KeyPost => &["关键岗位", "是否重点岗位"],
            Self::SupervisionGrade => &["监督级别"],
            Self::Duty => &["职责"],
            Self::RiskPoint => &["风险点描述", "廉政风险点"],
            Self::Manifestation => &["风险表现形式", "主要表现"],
            Self::Category => &["风险类型"],
            Self::PowerType => &["权力事项"],
            Self::Frequency => &["频率"],
            Self::Likelihood | Self::Impact | Self::Level => &[],
            Self::Measures => &["防控措施内容"],
            Self::MeasureOwners => &["责任人"],
            Self::MeasureDue => &["完成时限"],
            Self::MeasureStatus => &["落实情况"],
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The column a header cell names, ignoring spaces and the case of English names.
    fn from_heading(raw: &str) -> Option<Self> {
        let heading: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL.into_iter().find(|column| {
            column.key() == heading
                || column.heading() == heading
                || column.aliases().contains(&heading.as_str())
        })
    }
}

/// Where each column sits in the file; `None` for an optional column the file does not have.
#[derive(Debug, Clone)]
struct ColumnMap([Option<usize>; COLUMNS]);

impl ColumnMap {
    /// The cell of `column`, without the guard a CSV export puts before text Excel would take
    /// for a formula. A short row has empty cells at its end; a column the file lacks is empty.
    fn cell<'a>(&self, cells: &'a [String], column: Column) -> &'a str {
        let raw = self.0[column.index()]
            .and_then(|i| cells.get(i))
            .map_or("", String::as_str);
        match raw.strip_prefix('\'') {
            Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
            _ => raw,
        }
    }

    /// Whether the file has `column`.
    fn has(&self, column: Column) -> bool {
        self.0[column.index()].is_some()
    }
}

/// Finds the header among the first rows and maps every column. A missing column makes the whole
/// file unusable, so all missing ones are named at once.
fn map_header(grid: &[Vec<String>]) -> Result<(usize, ColumnMap), FieldError> {
    let known = |cells: &Vec<String>| {
        cells
            .iter()
            .filter(|c| Column::from_heading(c).is_some())
            .count()
    };
    let header = grid
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|cells| known(cells) >= HEADER_MIN_COLUMNS)
        .or_else(|| grid.iter().position(|cells| !is_blank(cells)))
        .ok_or_else(|| FieldError::new("empty_file", "file", "文件中没有任何内容"))?;
    let mut found: [Option<usize>; COLUMNS] = [None; COLUMNS];
    for (index, cell) in grid[header].iter().enumerate() {
        let Some(column) = Column::from_heading(cell) else {
            continue;
        };
        if found[column.index()].is_some() {
            return Err(FieldError::new(
                "duplicate_column",
                column.key(),
                format!("表头中“{}”列出现了不止一次", column.heading()),
            ));
        }
        found[column.index()] = Some(index);
    }
    let missing: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|c| c.required() && found[c.index()].is_none())
        .collect();
    if let Some(first) = missing.first() {
        let names: Vec<String> = missing
            .iter()
            .map(|c| format!("{}（{}）", c.heading(), c.key()))
            .collect();
        return Err(FieldError::new(
            "missing_column",
            first.key(),
            format!("第 {} 行表头缺少以下列：{}", header + 1, names.join("、")),
        ));
    }
    Ok((header, ColumnMap(found)))
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// Reading files
// ---------------------------------------------------------------------------------------------

/// The start of a zip archive, as an XLSX workbook is.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The start of an OLE compound file: the old binary `.xls`, refused with advice.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// What Excel would read as the start of a formula in a CSV cell.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// Reads a table file into rows of cells. Row `i` of the result is row `i + 1` as Excel shows
/// the file (blank rows are kept, empty), so errors can name the row a user sees.
///
/// An XLSX workbook is read from its first sheet, with merged cells filled from their top-left
/// cell (tables often merge the unit and post cells of a post's rows). Text is UTF-8 (a BOM is
/// dropped) or UTF-16 with a BOM (Excel's “Unicode text”); it is TSV when its header line has a
/// tab, and CSV with RFC 4180 quoting otherwise.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, FieldError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(unreadable(
            "不支持旧版 Excel 97-2003 工作簿（.xls），请在 Excel 中另存为 .xlsx 后再导入",
        ));
    }
    read_delimited(&decode_text(bytes)?)
}

fn unreadable(message: impl Into<String>) -> FieldError {
    FieldError::new("unreadable_file", "file", message)
}

fn too_many_rows() -> FieldError {
    FieldError::new(
        "too_many_rows",
        "file",
        format!("文件超过 {MAX_ROWS} 行，请按单位拆分后分批导入"),
    )
}

fn decode_text(bytes: &[u8]) -> Result<String, FieldError> {
    if let Some(utf16) = bytes.strip_prefix(b"\xFF\xFE") {
        let units: Vec<u16> = utf16
            .chunks(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]))
            .collect();
        return String::from_utf16(&units)
            .map_err(|_| unreadable("文件的 UTF-16 编码有误，无法读取"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        unreadable(
            "无法识别文件内容：不是 Excel 工作簿，也不是 UTF-8 编码的文本。\
             Excel 默认保存的 CSV 为 GBK 编码，请另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）后再导入",
        )
    })
}

fn read_delimited(text: &str) -> Result<Vec<Vec<String>>, FieldError> {
    // The first line with a tab or a comma decides, so title rows above the header are passed.
    let tsv = text
        .lines()
        .take(HEADER_SEARCH_ROWS)
        .find(|line| line.contains(['\t', ',']))
        .is_some_and(|line| line.contains('\t'));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if tsv { b'\t' } else { b',' })
        // Tab-separated tables carry quotes as text (“” are common, " happens).
        .quoting(!tsv)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut record = csv::StringRecord::new();
    // Excel shows a record as one row however many line breaks its quoted cells hold, and shows
    // the blank lines the reader skips: so a record's row is the line it starts on, less the
    // line breaks inside earlier records.
    let mut folded = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(unreadable(format!("文件无法按 CSV 格式解析：{e}"))),
        }
        let inner = record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let last_line = text
            .get(..end)
            .unwrap_or(text)
            .trim_end_matches(['\r', '\n'])
            .matches('\n')
            .count()
            + 1;
        let row = last_line.saturating_sub(inner + folded).max(rows.len() + 1);
        if row > MAX_ROWS {
            return Err(too_many_rows());
        }
        rows.resize(row - 1, Vec::new());
        rows.push(record.iter().map(str::to_owned).collect());
        folded += inner;
    }
    Ok(rows)
}

/// Reads the first sheet cell by cell, so that memory follows the cells present rather than the
/// span between the first and the last.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, FieldError> {
    let broken = || unreadable("无法读取该 Excel 文件：文件可能已损坏、加密，或不是 .xlsx 工作簿");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| broken())?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("Excel 文件中没有工作表"))?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    {
        let mut cells = book.worksheet_cells_reader(&name).map_err(|_| broken())?;
        while let Some(cell) = cells.next_cell().map_err(|_| broken())? {
            let (row, col) = cell.get_position();
            let (row, col) = (row as usize, col as usize);
            if row >= MAX_ROWS {
                return Err(too_many_rows());
            }
            let text = cell_text(&Data::from(cell.get_value().clone()));
            if col >= MAX_COLUMNS || text.is_empty() {
                continue;
            }
            if grid.len() <= row {
                grid.resize(row + 1, Vec::new());
            }
            let cells = &mut grid[row];
            if cells.len() <= col {
                cells.resize(col + 1, String::new());
            }
            cells[col] = text;
        }
    }
    let merges = book.merge_cells_by_sheet_name(&name).unwrap_or_default();
    fill_merged(&mut grid, &merges);
    Ok(grid)
}

/// A cell as text. Whole numbers print without a decimal point, as Excel shows them.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Gives every cell of a merged region the value of its top-left cell. Regions are clipped to
/// the cells read, so a merge over whole columns costs nothing.
fn fill_merged(grid: &mut [Vec<String>], merges: &[Dimensions]) {
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    for merge in merges {
        let (top, left) = (merge.start.0 as usize, merge.start.1 as usize);
        let Some(value) = grid.get(top).and_then(|row| row.get(left)).cloned() else {
            continue;
        };
        let right = (merge.end.1 as usize).min(width.saturating_sub(1));
        let bottom = merge.end.0 as usize;
        if value.is_empty() || right < left {
            continue;
        }
        for row in grid.iter_mut().take(bottom.saturating_add(1)).skip(top) {
            if row.len() <= right {
                row.resize(right + 1, String::new());
            }
            for cell in &mut row[left..=right] {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/// One row of a risk table with every cell parsed.
#[derive(Debug, Clone)]
pub struct TableRow {
    /// The row number as Excel shows it.
    pub row: usize,
    /// The unit from the top level down: `区交通局`, or `区教育局`, `某中学` for `区教育局（某中学）`
    /// or `区教育局·某中学`. The first name may be a prefix of the unit's full name
    /// (`清河街道` for `清河街道办事处`) when more follow.
    pub unit: Vec<UnitName>,
    pub post: PostTitle,
    pub post_level: PostLevel,
    /// The post's marks as the file states them; `None` when the file has neither column (or
    /// leaves 重点岗位 empty), so a new post takes the defaults and a stored one keeps its own.
    pub marks: Option<PostMarks>,
    pub duty: DutyText,
    pub risk: RiskDescription,
    pub manifestation: Option<Manifestation>,
    pub category: RiskCategory,
    pub power_type: PowerType,
    pub ratings: Ratings,
    /// The level the table states; it must agree with the rating matrix.
    pub level: RiskLevel,
    pub measures: Vec<Measure>,
}

impl TableRow {
    /// The unit as one label, `上级·单位` for a sub-unit.
    pub fn unit_label(&self) -> String {
        join_path(self.unit.iter().map(UnitName::as_str))
    }

    /// The level `matrix` gives this row's ratings, when the stated level agrees with it: a table
    /// rated under other rules is refused rather than silently re-rated.
    pub fn check_level(&self, matrix: &RatingMatrix) -> Result<RiskLevel, FieldError> {
        let computed = matrix.level(&self.ratings);
        if computed == self.level {
            return Ok(computed);
        }
        Err(FieldError::new(
            "level_mismatch",
            "level",
            format!(
                "风险等级填为{}，但按评级矩阵（可能性 {} × 危害程度 {}）应为{}",
                self.level.label(),
                self.ratings.likelihood.get(),
                self.ratings.impact.get(),
                computed.label()
            ),
        ))
    }
}

fn join_path<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join("·")
}

/// A refused row: its row number as Excel shows it, the column (or `row`), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub row: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

impl RejectedRow {
    fn new(row: usize, field: &str, error: FieldError) -> Self {
        Self {
            row,
            field: field.to_owned(),
            code: error.code,
            message: error.message,
        }
    }
}

/// A file read and every row parsed; nothing checked against the database yet.
#[derive(Debug, Clone, Default)]
pub struct ParsedTable {
    /// Rows with data after the header.
    pub total_rows: usize,
    pub rows: Vec<TableRow>,
    /// Every problem of every refused row.
    pub rejected: Vec<RejectedRow>,
}

/// Reads and parses a whole table. An error is about the file as a whole (unreadable, no header,
/// a missing column); problems of single rows are in [`ParsedTable::rejected`].
pub fn parse_table(bytes: &[u8]) -> Result<ParsedTable, FieldError> {
    let grid = read_table(bytes)?;
    if grid.len() > MAX_ROWS {
        return Err(too_many_rows());
    }
    let (header, columns) = map_header(&grid)?;
    let mut table = ParsedTable::default();
    for (index, cells) in grid.iter().enumerate().skip(header + 1) {
        if is_blank(cells) {
            continue;
        }
        table.total_rows += 1;
        match parse_row(index + 1, cells, &columns) {
            Ok(row) => table.rows.push(row),
            Err(problems) => table.rejected.extend(problems),
        }
    }
    Ok(table)
}

/// Keeps a parsed value, or records why the cell was refused.
fn keep<T>(
    problems: &mut Vec<RejectedRow>,
    row: usize,
    column: Column,
    parsed: Result<T, FieldError>,
) -> Option<T> {
    parsed
        .map_err(|e| problems.push(RejectedRow::new(row, column.key(), e)))
        .ok()
}

/// Parses every cell of a row, reporting every bad cell rather than the first.
fn parse_row(
    row: usize,
    cells: &[String],
    columns: &ColumnMap,
) -> Result<TableRow, Vec<RejectedRow>> {
    let cell = |column| columns.cell(cells, column);
    let mut problems = Vec::new();
    let p = &mut problems;
    let unit = keep(p, row, Column::Unit, unit_path(cell(Column::Unit)));
    let post = keep(p, row, Column::Post, PostTitle::parse(cell(Column::Post)));
    let post_level = keep(
        p,
        row,
        Column::PostLevel,
        PostLevel::parse(cell(Column::PostLevel)),
    );
    let marks = keep(p, row, Column::KeyPost, post_marks(columns, cells));
    let duty = keep(p, row, Column::Duty, DutyText::parse(cell(Column::Duty)));
    let risk = keep(
        p,
        row,
        Column::RiskPoint,
        RiskDescription::parse(cell(Column::RiskPoint)),
    );
    let manifestation = keep(
        p,
        row,
        Column::Manifestation,
        match cell(Column::Manifestation).trim() {
            "" => Ok(None),
            text => Manifestation::parse(text).map(Some),
        },
    );
    let category = keep(
        p,
        row,
        Column::Category,
        RiskCategory::parse(cell(Column::Category)),
    );
    let power_type = keep(
        p,
        row,
        Column::PowerType,
        PowerType::parse(cell(Column::PowerType)),
    );
    let likelihood = keep(
        p,
        row,
        Column::Likelihood,
        Score::parse_text(cell(Column::Likelihood), "likelihood", "可能性"),
    );
    let impact = keep(
        p,
        row,
        Column::Impact,
        Score::parse_text(cell(Column::Impact), "impact", "危害程度"),
    );
    // Existing tables have no frequency column: their points get the middle of the scale. A
    // table that has the column states it for every row.
    let frequency = keep(
        p,
        row,
        Column::Frequency,
        if columns.has(Column::Frequency) {
            Score::parse_text(cell(Column::Frequency), "frequency", "发生频率")
        } else {
            Score::parse(DEFAULT_FREQUENCY, "frequency", "发生频率")
        },
    );
    let level = keep(p, row, Column::Level, RiskLevel::parse(cell(Column::Level)));
    let measures = keep(
        p,
        row,
        Column::Measures,
        domain::risk::Measure::parse_cell(cell(Column::Measures)),
    )
    .and_then(|parsed| measures(row, parsed, columns, cells, p));
    let (
        Some(unit),
        Some(post),
        Some(post_level),
        Some(marks),
        Some(duty),
        Some(risk),
        Some(manifestation),
        Some(category),
        Some(power_type),
        Some(likelihood),
        Some(impact),
        Some(frequency),
        Some(level),
        Some(measures),
    ) = (
        unit,
        post,
        post_level,
        marks,
        duty,
        risk,
        manifestation,
        category,
        power_type,
        likelihood,
        impact,
        frequency,
        level,
        measures,
    )
    else {
        return Err(problems);
    };
    Ok(TableRow {
        row,
        unit,
        post,
        post_level,
        marks,
        duty,
        risk,
        manifestation,
        category,
        power_type,
        ratings: Ratings {
            likelihood,
            impact,
            frequency,
        },
        level,
        measures,
    })
}

/// The 重点岗位 and 监督等级 cells: stated when 重点岗位 is filled in; a grade without a key post
/// is refused, as on the sheet page.
fn post_marks(columns: &ColumnMap, cells: &[String]) -> Result<Option<PostMarks>, FieldError> {
    let key = columns.cell(cells, Column::KeyPost).trim();
    let grade = columns.cell(cells, Column::SupervisionGrade).trim();
    let grade = match grade {
        "" => None,
        raw => Some(SupervisionGrade::parse(raw).map_err(|e| FieldError {
            field: Column::SupervisionGrade.key().to_owned(),
            ..e
        })?),
    };
    if key.is_empty() {
        return match grade {
            None => Ok(None),
            Some(_) => Err(FieldError::new(
                "grade_needs_key_post",
                Column::KeyPost.key(),
                "填写了监督等级，须同时在“重点岗位”列填“是”",
            )),
        };
    }
    let key_post = domain::post::parse_yes_no(key, Column::KeyPost.key(), "重点岗位")?;
    PostMarks::new(key_post, grade).map(Some)
}

/// The measures of a row with each one's owner, due date and progress from the list columns,
/// which hold one item per measure in the same order, separated by semicolons. A list that does
/// not match the measures one to one is refused: guessing which measure an owner belongs to
/// could put a name to the wrong duty.
fn measures(
    row: usize,
    parsed: Vec<(MeasureKind, MeasureText)>,
    columns: &ColumnMap,
    cells: &[String],
    problems: &mut Vec<RejectedRow>,
) -> Option<Vec<Measure>> {
    let count = parsed.len();
    let mut list = |column: Column| -> Option<Vec<String>> {
        let cell = columns.cell(cells, column).trim();
        if cell.is_empty() {
            return Some(vec![String::new(); count]);
        }
        let items: Vec<String> = cell
            .split(LIST_SEPARATORS)
            .map(|item| item.trim().to_owned())
            .collect();
        if items.len() == count {
            return Some(items);
        }
        problems.push(RejectedRow::new(
            row,
            column.key(),
            FieldError::new(
                "list_mismatch",
                column.key(),
                format!(
                    "“{}”列有 {} 项，防控措施有 {count} 条，须一一对应：每条措施一项，用“；”分隔，没有的留空",
                    column.heading(),
                    items.len()
                ),
            ),
        ));
        None
    };
    let owners = list(Column::MeasureOwners);
    let dues = list(Column::MeasureDue);
    let progress = list(Column::MeasureStatus);
    let (owners, dues, progress) = (owners?, dues?, progress?);
    let before = problems.len();
    let mut out = Vec::with_capacity(count);
    for (i, (kind, text)) in parsed.into_iter().enumerate() {
        let nth = |column: Column, e: FieldError| {
            RejectedRow::new(
                row,
                column.key(),
                FieldError {
                    message: format!("第 {} 条措施：{}", i + 1, e.message),
                    ..e
                },
            )
        };
        let owner = match owners[i].as_str() {
            "" => Ok(None),
            name => PersonName::parse(name).map(Some),
        }
        .map_err(|e| problems.push(nth(Column::MeasureOwners, e)))
        .ok();
        let due = match dues[i].as_str() {
            "" => Ok(None),
            day => IsoDate::parse(day, "due", "完成时限").map(Some),
        }
        .map_err(|e| problems.push(nth(Column::MeasureDue, e)))
        .ok();
        let status = match progress[i].as_str() {
            "" => Ok((MeasureStatus::Planned, None)),
            raw => MeasureStatus::parse_with_day(raw),
        }
        .map_err(|e| problems.push(nth(Column::MeasureStatus, e)))
        .ok();
        let (Some(owner), Some(due), Some((status, done_on))) = (owner, due, status) else {
            continue;
        };
        match Measure::new(kind, text, owner, due, status, done_on) {
            Ok(measure) => out.push(measure),
            Err(e) => {
                let column = if e.field == "owner" {
                    Column::MeasureOwners
                } else {
                    Column::MeasureStatus
                };
                problems.push(nth(column, e));
            }
        }
    }
    (problems.len() == before).then_some(out)
}

/// The unit column as a path of names. [`UnitLabel`] reads the forms of existing tables
/// (`单位`, `上级（单位）`, `上级·单位`); a deeper unit is written `单位·科室·…`.
fn unit_path(raw: &str) -> Result<Vec<UnitName>, FieldError> {
    let label = UnitLabel::parse(raw)?;
    let mut path = Vec::new();
    if let Some(parent) = &label.parent {
        path.push(UnitName::parse(parent)?);
    }
    for name in label.leaf.as_str().split('·') {
        path.push(UnitName::parse(name)?);
    }
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// What the database holds
// ---------------------------------------------------------------------------------------------

/// Which round rows go into.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RoundChoice<'a> {
    /// The current round (the latest by year, then id, as sync and export see it); the demo
    /// round is created when there is none.
    Current,
    /// The round of this name, created when missing.
    Named(&'a str),
}

#[derive(Debug, Clone)]
struct StoredUnit {
    kind: OrgUnitKind,
}

#[derive(Debug, Clone)]
struct StoredRound {
    id: i64,
    matrix: RatingMatrix,
    matrix_json: String,
}

#[derive(Debug, Clone, Copy)]
struct StoredPost {
    id: i64,
    level: PostLevel,
    marks: PostMarks,
}

#[derive(Debug, Clone)]
struct StoredSheet {
    stage: Stage,
    matrix: RatingMatrix,
}

/// What planning needs from the database, read in one transaction.
pub(crate) struct Snapshot {
    /// The district root: the one named [`DISTRICT_NAME`], else the oldest root.
    root: Option<(i64, String)>,
    units: HashMap<i64, StoredUnit>,
    /// (parent, name) → unit.
    children: HashMap<(i64, String), i64>,
    tree: OrgTree,
    round: Option<StoredRound>,
    /// The name of the round to create when `round` is `None`.
    round_name: String,
    /// (unit, title) → post.
    posts: HashMap<(i64, String), StoredPost>,
    /// post → its sheet in the round.
    sheets: HashMap<i64, StoredSheet>,
    /// (post, description) of the points in the round.
    points: HashSet<(i64, String)>,
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} rejected: {error}")
}

impl Snapshot {
    pub(crate) async fn load(
        conn: &mut SqliteConnection,
        round: RoundChoice<'_>,
    ) -> anyhow::Result<Self> {
        let unit_rows = sqlx::query!(
            r#"SELECT id AS "id!: i64", parent_id, kind, name FROM org_units ORDER BY id"#
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut snapshot = Self {
            root: None,
            units: HashMap::new(),
            children: HashMap::new(),
            tree: OrgTree::new(
                unit_rows
                    .iter()
                    .map(|u| (OrgUnitId(u.id), u.parent_id.map(OrgUnitId))),
            ),
            round: None,
            round_name: match round {
                RoundChoice::Current => ROUND_NAME.to_owned(),
                RoundChoice::Named(name) => name.to_owned(),
            },
            posts: HashMap::new(),
            sheets: HashMap::new(),
            points: HashSet::new(),
        };
        for unit in unit_rows {
            let kind = OrgUnitKind::from_code(&unit.kind).map_err(|e| corrupt("unit kind", e))?;
            match unit.parent_id {
                Some(parent) => {
                    snapshot.children.insert((parent, unit.name), unit.id);
                }
                None if snapshot.root.is_none() || unit.name == DISTRICT_NAME => {
                    snapshot.root = Some((unit.id, unit.name));
                }
                None => {}
            }
            snapshot.units.insert(unit.id, StoredUnit { kind });
        }
        for post in sqlx::query!(
            r#"SELECT id AS "id!: i64", unit_id AS "unit_id!: i64", title, level,
                      key_post AS "key_post: bool", supervision_grade FROM posts"#
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let level = PostLevel::parse(&post.level).map_err(|e| corrupt("post level", e))?;
            let grade = post
                .supervision_grade
                .as_deref()
                .map(SupervisionGrade::parse)
                .transpose()
                .map_err(|e| corrupt("supervision grade", e))?;
            let marks =
                PostMarks::new(post.key_post, grade).map_err(|e| corrupt("post marks", e))?;
            snapshot.posts.insert(
                (post.unit_id, post.title),
                StoredPost {
                    id: post.id,
                    level,
                    marks,
                },
            );
        }
        snapshot.round = load_round(conn, round).await?;
        if let Some(round) = &snapshot.round {
            snapshot.load_sheets(conn, round.id).await?;
        }
        Ok(snapshot)
    }

    async fn load_sheets(&mut self, conn: &mut SqliteConnection, round: i64) -> anyhow::Result<()> {
        for sheet in sqlx::query!(
            r#"SELECT post_id AS "post_id!: i64", stage, matrix_json FROM risk_sheets WHERE round_id = ?"#,
            round
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let stored = StoredSheet {
                stage: Stage::from_code(&sheet.stage).map_err(|e| corrupt("stage", e))?,
                matrix: serde_json::from_str(&sheet.matrix_json)
                    .map_err(|e| corrupt("sheet matrix", e))?,
            };
            self.sheets.insert(sheet.post_id, stored);
        }
        for point in sqlx::query!(
            r#"SELECT rs.post_id AS "post_id!: i64", rp.description
               FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id WHERE rs.round_id = ?"#,
            round
        )
        .fetch_all(&mut *conn)
        .await?
        {
            self.points.insert((point.post_id, point.description));
        }
        Ok(())
    }

    /// The names of the root's children, which a table may abbreviate.
    fn top_level_names(&self) -> Vec<&str> {
        let Some((root, _)) = &self.root else {
            return Vec::new();
        };
        self.children
            .keys()
            .filter(|(parent, _)| parent == root)
            .map(|(_, name)| name.as_str())
            .collect()
    }
}

async fn load_round(
    conn: &mut SqliteConnection,
    choice: RoundChoice<'_>,
) -> anyhow::Result<Option<StoredRound>> {
    let row = match choice {
        RoundChoice::Current => {
            sqlx::query_as!(
                RoundRow,
                r#"SELECT id AS "id!: i64", matrix_json FROM rounds ORDER BY year DESC, id DESC LIMIT 1"#
            )
            .fetch_optional(&mut *conn)
            .await?
        }
        RoundChoice::Named(name) => {
            sqlx::query_as!(
                RoundRow,
                r#"SELECT id AS "id!: i64", matrix_json FROM rounds WHERE name = ?"#,
                name
            )
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    row.map(|r| {
        Ok(StoredRound {
            id: r.id,
            matrix: serde_json::from_str(&r.matrix_json).map_err(|e| corrupt("round matrix", e))?,
            matrix_json: r.matrix_json,
        })
    })
    .transpose()
}

struct RoundRow {
    id: i64,
    matrix_json: String,
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

/// Which units an importer may write: the whole district (the seed, the command line), or the
/// subtrees of some units (a unit's liaison, scoped to the unit). Rows outside it are refused as
/// `out_of_scope`; new units are allowed only beneath an allowed unit. `marks_posts` says whether
/// the importer may mark key posts and their grades (the commission's call): without it, a row
/// that would give a new post other marks than the defaults is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportScope {
    District,
    Units {
        units: Vec<OrgUnitId>,
        marks_posts: bool,
    },
}

/// A unit a row refers to: one in the database, or one the import would create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UnitRef {
    Stored(i64),
    New(usize),
}

#[derive(Debug, Clone)]
struct NewUnit {
    /// `None` only for a new district root.
    parent: Option<UnitRef>,
    kind: OrgUnitKind,
    name: String,
}

/// An accepted row, resolved against the database.
#[derive(Debug, Clone)]
pub(crate) struct PlannedRow {
    pub(crate) row: TableRow,
    unit: UnitRef,
    /// The level under the matrix of the sheet the point goes to.
    level: RiskLevel,
    stored_post: Option<i64>,
    /// The post's sheet already has a point with this description.
    exists: bool,
}

/// Every row decided: accepted (resolved, in file order) or rejected (with every reason).
pub(crate) struct Plan {
    pub(crate) total_rows: usize,
    pub(crate) accepted: Vec<PlannedRow>,
    pub(crate) rejected: Vec<RejectedRow>,
    root: UnitRef,
    new_units: Vec<NewUnit>,
    round: Option<StoredRound>,
    round_name: String,
}

/// Builds a [`Plan`]: resolves units (creating new ones in memory), and checks scope, levels,
/// post levels, duplicates and locked sheets.
struct Planner<'a> {
    snapshot: &'a Snapshot,
    scope: &'a ImportScope,
    root: UnitRef,
    new_units: Vec<NewUnit>,
    new_index: HashMap<(Option<UnitRef>, String), usize>,
    /// Top-level names a short parent (`清河街道`) may stand for: the root's children and the
    /// one-level units of the file, so a child written before its parent still finds it.
    top_level: Vec<String>,
    post_levels: HashMap<(UnitRef, String), (PostLevel, usize)>,
    /// The marks the first row of each post stated, and that row's number.
    post_marks: HashMap<(UnitRef, String), (PostMarks, usize)>,
    seen: HashMap<(UnitRef, String, String), usize>,
}

impl Plan {
    pub(crate) fn new(snapshot: &Snapshot, scope: &ImportScope, table: ParsedTable) -> Self {
        let mut top_level: Vec<String> = snapshot
            .top_level_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for row in &table.rows {
            if let [only] = row.unit.as_slice() {
                if !top_level.iter().any(|n| n == only.as_str()) {
                    top_level.push(only.to_string());
                }
            }
        }
        let mut planner = Planner {
            snapshot,
            scope,
            root: UnitRef::New(0),
            new_units: Vec::new(),
            new_index: HashMap::new(),
            top_level,
            post_levels: HashMap::new(),
            post_marks: HashMap::new(),
            seen: HashMap::new(),
        };
        planner.root = match &snapshot.root {
            Some((id, _)) => UnitRef::Stored(*id),
            None => {
                planner.new_units.push(NewUnit {
                    parent: None,
                    kind: OrgUnitKind::District,
                    name: DISTRICT_NAME.to_owned(),
                });
                UnitRef::New(0)
            }
        };
        let mut accepted = Vec::new();
        let mut rejected = table.rejected;
        for row in table.rows {
            let number = row.row;
            match planner.plan_row(row) {
                Ok(planned) => accepted.push(planned),
                Err(problems) => rejected.extend(
                    problems
                        .into_iter()
                        .map(|(field, error)| RejectedRow::new(number, field, error)),
                ),
            }
        }
        rejected.sort_by_key(|r| r.row);
        Self {
            total_rows: table.total_rows,
            accepted,
            rejected,
            root: planner.root,
            new_units: planner.new_units,
            round: snapshot.round.clone(),
            round_name: snapshot.round_name.clone(),
        }
    }

    /// What applying every accepted row would create.
    fn predicted(&self) -> ImportCounts {
        let mut units = HashSet::new();
        let mut posts = HashSet::new();
        let mut counts = ImportCounts::default();
        for planned in &self.accepted {
            let mut current = Some(planned.unit);
            while let Some(UnitRef::New(index)) = current {
                units.insert(index);
                current = self.new_units[index].parent;
            }
            if planned.stored_post.is_none() {
                posts.insert((planned.unit, planned.row.post.as_str()));
            }
            if planned.exists {
                counts.existing_risk_points += 1;
            } else {
                counts.new_risk_points += 1;
                counts.new_measures += planned.row.measures.len();
            }
        }
        counts.new_units = units.len();
        counts.new_posts = posts.len();
        counts
    }

    fn rejected_rows(&self) -> usize {
        self.rejected
            .iter()
            .map(|r| r.row)
            .collect::<HashSet<_>>()
            .len()
    }
}

type Problems = Vec<(&'static str, FieldError)>;

impl Planner<'_> {
    fn plan_row(&mut self, row: TableRow) -> Result<PlannedRow, Problems> {
        let unit = self
            .resolve(&row.unit)
            .map_err(|e| vec![(Column::Unit.key(), e)])?;
        if !self.in_scope(unit) {
            return Err(vec![(
                Column::Unit.key(),
                FieldError::new(
                    "out_of_scope",
                    "unit",
                    format!("单位“{}”不在您可以导入的范围内", row.unit_label()),
                ),
            )]);
        }
        let stored_post = match unit {
            UnitRef::Stored(id) => self
                .snapshot
                .posts
                .get(&(id, row.post.to_string()))
                .copied(),
            UnitRef::New(_) => None,
        };
        let sheet = stored_post.and_then(|p| self.snapshot.sheets.get(&p.id));
        let matrix = match (sheet, &self.snapshot.round) {
            (Some(sheet), _) => &sheet.matrix,
            (None, Some(round)) => &round.matrix,
            (None, None) => &RatingMatrix::default(),
        };
        let mut problems = Vec::new();
        let level = row
            .check_level(matrix)
            .map_err(|e| problems.push((Column::Level.key(), e)))
            .ok();
        if let Err(e) = self.check_post_level(unit, stored_post, &row) {
            problems.push((Column::PostLevel.key(), e));
        }
        if let Err(e) = self.check_marks(unit, stored_post, &row) {
            problems.push((Column::KeyPost.key(), e));
        }
        let Some(level) = level.filter(|_| problems.is_empty()) else {
            return Err(problems);
        };
        let key = (unit, row.post.to_string(), row.risk.to_string());
        if let Some(first) = self.seen.get(&key) {
            return Err(vec![(
                Column::RiskPoint.key(),
                FieldError::new(
                    "duplicate_row",
                    "risk_point",
                    format!("与第 {first} 行重复：同一单位、同一岗位下的风险点相同"),
                ),
            )]);
        }
        let exists = stored_post
            .is_some_and(|p| self.snapshot.points.contains(&(p.id, row.risk.to_string())));
        if let Some(sheet) = sheet.filter(|s| !exists && s.stage != Stage::SelfCheck) {
            return Err(vec![(
                Column::Post.key(),
                FieldError::new(
                    "sheet_locked",
                    "post",
                    format!(
                        "岗位“{}”的本轮排查表已进入“{}”环节，不能再导入新的风险点",
                        row.post,
                        sheet.stage.label()
                    ),
                ),
            )]);
        }
        self.seen.insert(key, row.row);
        self.post_levels
            .entry((unit, row.post.to_string()))
            .or_insert((row.post_level, row.row));
        if let Some(marks) = row.marks {
            self.post_marks
                .entry((unit, row.post.to_string()))
                .or_insert((marks, row.row));
        }
        Ok(PlannedRow {
            row,
            unit,
            level,
            stored_post: stored_post.map(|p| p.id),
            exists,
        })
    }

    /// A post keeps one level: rows of the same post, and the post already stored, must agree.
    fn check_post_level(
        &self,
        unit: UnitRef,
        stored: Option<StoredPost>,
        row: &TableRow,
    ) -> Result<(), FieldError> {
        let conflict = |level: PostLevel, whence: String| {
            FieldError::new(
                "post_level_conflict",
                "post_level",
                format!(
                    "岗位“{}”{whence}为{}，本行填为{}",
                    row.post,
                    level.label(),
                    row.post_level.label()
                ),
            )
        };
        if let Some(stored) = stored.filter(|p| p.level != row.post_level) {
            return Err(conflict(stored.level, "已登记".to_owned()));
        }
        match self.post_levels.get(&(unit, row.post.to_string())) {
            Some((level, first)) if *level != row.post_level => {
                Err(conflict(*level, format!("在第 {first} 行填")))
            }
            _ => Ok(()),
        }
    }

    /// A post's marks are the commission's: a row may state the marks a stored post has, or
    /// give a new post its marks when the importer may mark posts (or when they are the defaults
    /// anyway); rows of the same post agree.
    fn check_marks(
        &self,
        unit: UnitRef,
        stored: Option<StoredPost>,
        row: &TableRow,
    ) -> Result<(), FieldError> {
        let Some(marks) = row.marks else {
            return Ok(());
        };
        let describe = |m: PostMarks| match (m.key_post(), m.grade()) {
            (false, _) => "非重点岗位".to_owned(),
            (true, None) => "重点岗位（未定监督等级）".to_owned(),
            (true, Some(g)) => format!("重点岗位（{}监督）", g.label()),
        };
        if let Some(stored) = stored.filter(|p| p.marks != marks) {
            return Err(FieldError::new(
                "marks_conflict",
                Column::KeyPost.key(),
                format!(
                    "岗位“{}”已认定为{}，本行填为{}；重点岗位和监督等级由区纪委在排查表页面认定，导入不能更改",
                    row.post,
                    describe(stored.marks),
                    describe(marks)
                ),
            ));
        }
        if let Some((first, at)) = self.post_marks.get(&(unit, row.post.to_string())) {
            if *first != marks {
                return Err(FieldError::new(
                    "marks_conflict",
                    Column::KeyPost.key(),
                    format!(
                        "岗位“{}”在第 {at} 行填为{}，本行填为{}",
                        row.post,
                        describe(*first),
                        describe(marks)
                    ),
                ));
            }
        }
        let marks_posts = match self.scope {
            ImportScope::District => true,
            ImportScope::Units { marks_posts, .. } => *marks_posts,
        };
        if stored.is_none() && !marks_posts && marks != PostMarks::default_for(row.post_level) {
            return Err(FieldError::new(
                "marks_not_allowed",
                Column::KeyPost.key(),
                format!(
                    "新岗位“{}”填为{}：重点岗位和监督等级由区纪委认定，请留空或按默认（领导岗位为重点岗位）填写",
                    row.post,
                    describe(marks)
                ),
            ));
        }
        Ok(())
    }

    /// The unit a path names. The district's own name may lead the path; the first name below it
    /// may abbreviate a top-level unit when more names follow (`清河街道·东村`); the rest are
    /// exact. Units not found are planned as new.
    fn resolve(&mut self, path: &[UnitName]) -> Result<UnitRef, FieldError> {
        let root_name = self
            .snapshot
            .root
            .as_ref()
            .map_or(DISTRICT_NAME, |(_, name)| name.as_str());
        let path = match path {
            [first, rest @ ..] if first.as_str() == root_name => rest,
            _ => path,
        };
        let Some((first, rest)) = path.split_first() else {
            return Ok(self.root);
        };
        let top = if rest.is_empty() {
            first.to_string()
        } else {
            self.expand_top_level(first.as_str())?
        };
        let mut current = self.child(self.root, &top);
        for name in rest {
            current = self.child(current, name.as_str());
        }
        Ok(current)
    }

    /// The full name of the top-level unit `written` stands for: itself, or the one known unit
    /// whose name starts with it.
    fn expand_top_level(&self, written: &str) -> Result<String, FieldError> {
        if self.top_level.iter().any(|n| n == written) {
            return Ok(written.to_owned());
        }
        let matches: Vec<&String> = self
            .top_level
            .iter()
            .filter(|n| n.starts_with(written))
            .collect();
        match matches.as_slice() {
            [] => Ok(written.to_owned()),
            [one] => Ok((*one).clone()),
            many => Err(FieldError::new(
                "ambiguous_unit",
                "unit",
                format!(
                    "“{written}”可指多个单位（{}），请写出上级单位的全称",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
        }
    }

    fn child(&mut self, parent: UnitRef, name: &str) -> UnitRef {
        if let UnitRef::Stored(id) = parent {
            if let Some(child) = self.snapshot.children.get(&(id, name.to_owned())) {
                return UnitRef::Stored(*child);
            }
        }
        let key = (Some(parent), name.to_owned());
        if let Some(index) = self.new_index.get(&key) {
            return UnitRef::New(*index);
        }
        let kind = kind_under(name, self.kind_of(parent));
        self.new_units.push(NewUnit {
            parent: Some(parent),
            kind,
            name: name.to_owned(),
        });
        self.new_index.insert(key, self.new_units.len() - 1);
        UnitRef::New(self.new_units.len() - 1)
    }

    fn kind_of(&self, unit: UnitRef) -> OrgUnitKind {
        match unit {
            UnitRef::Stored(id) => self
                .snapshot
                .units
                .get(&id)
                .map_or(OrgUnitKind::Unit, |u| u.kind),
            UnitRef::New(index) => self.new_units[index].kind,
        }
    }

    fn in_scope(&self, unit: UnitRef) -> bool {
        let ImportScope::Units { units: scopes, .. } = self.scope else {
            return true;
        };
        let mut current = unit;
        loop {
            match current {
                UnitRef::Stored(id) => {
                    return scopes
                        .iter()
                        .any(|scope| self.snapshot.tree.is_within(OrgUnitId(id), *scope))
                }
                UnitRef::New(index) => match self.new_units[index].parent {
                    Some(parent) => current = parent,
                    None => return false,
                },
            }
        }
    }
}

/// The kind of a new unit named `name` under a unit of kind `parent`: guessed from the name
/// (`…街道办事处`, `…村`, `…社区`, `…科`), else the nearest kind the tree allows there.
fn kind_under(name: &str, parent: OrgUnitKind) -> OrgUnitKind {
    [
        OrgUnitKind::guess_from_name(name),
        OrgUnitKind::Unit,
        OrgUnitKind::Section,
    ]
    .into_iter()
    .find(|kind| kind.may_sit_under(parent))
    .unwrap_or(OrgUnitKind::Unit)
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// What an import created (or, in a dry run, would create).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub new_units: usize,
    pub new_posts: usize,
    pub new_risk_points: usize,
    pub new_measures: usize,
    /// Accepted rows whose risk point the post's sheet already has: left as they are.
    pub existing_risk_points: usize,
}

#[derive(Debug, Clone, Copy)]
struct SheetSlot {
    id: i64,
    /// Created by this import, so at version 1 with nothing to bump.
    fresh: bool,
    next_position: i64,
    /// Points this import added to the sheet.
    added: i64,
}

/// Where a written row went.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) unit: i64,
    pub(crate) post: i64,
}

/// Writes planned rows inside the caller's write transaction, creating what is missing and
/// counting what it created. Every insert is keyed on a natural key, so writing a row twice
/// creates nothing the second time.
pub(crate) struct Writer<'p> {
    plan: &'p Plan,
    now: i64,
    unit_ids: HashMap<usize, i64>,
    round: Option<(i64, String)>,
    sheets: HashMap<i64, SheetSlot>,
    created: ImportCounts,
}

impl<'p> Writer<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        Self {
            plan,
            now: now_ms(),
            unit_ids: HashMap::new(),
            round: plan.round.as_ref().map(|r| (r.id, r.matrix_json.clone())),
            sheets: HashMap::new(),
            created: ImportCounts::default(),
        }
    }

    /// Writes one row: its units, post, sheet and duty when missing, then its risk point with
    /// measures unless the sheet has it already.
    pub(crate) async fn write(
        &mut self,
        conn: &mut SqliteConnection,
        planned: &PlannedRow,
    ) -> anyhow::Result<Written> {
        let unit = self.unit_id(conn, planned.unit).await?;
        let (post, post_created) = ensure_post(conn, unit, &planned.row).await?;
        self.created.new_posts += usize::from(post_created);
        let sheet = self.sheet(conn, post).await?;
        let duty = planned.row.duty.as_str();
        sqlx::query!(
            "INSERT INTO duties (post_id, position, text) VALUES (?, (SELECT COUNT(*) FROM duties WHERE post_id = ?), ?) ON CONFLICT (post_id, text) DO NOTHING",
            post,
            post,
            duty
        )
        .execute(&mut *conn)
        .await?;
        if insert_risk_point(conn, post, sheet, planned, self.now).await? {
            self.created.new_risk_points += 1;
            self.created.new_measures += planned.row.measures.len();
            if let Some(slot) = self.sheets.get_mut(&post) {
                slot.next_position += 1;
                slot.added += 1;
            }
        } else {
            self.created.existing_risk_points += 1;
        }
        Ok(Written { unit, post })
    }

    /// The district root's id, created if missing.
    pub(crate) async fn district(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<i64> {
        self.unit_id(conn, self.plan.root).await
    }

    /// Records on each sheet that already existed that its content changed, as sync does, so a
    /// reviewer's decision based on the old content is refused as stale; and on every sheet
    /// that got points, its next free position, which is never handed out again.
    pub(crate) async fn finish(self, conn: &mut SqliteConnection) -> anyhow::Result<ImportCounts> {
        for slot in self.sheets.values().filter(|s| s.added > 0) {
            let bump = if slot.fresh { 0 } else { slot.added };
            sqlx::query!(
                "UPDATE risk_sheets SET version = version + ?, updated_at = ?, next_position = MAX(next_position, ?) WHERE id = ?",
                bump,
                self.now,
                slot.next_position,
                slot.id
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(self.created)
    }

    /// The id of a unit, creating it and any new units above it, top down.
    async fn unit_id(&mut self, conn: &mut SqliteConnection, unit: UnitRef) -> anyhow::Result<i64> {
        let mut missing = Vec::new();
        let mut parent = None;
        let mut current = Some(unit);
        while let Some(r) = current {
            match r {
                UnitRef::Stored(id) => {
                    parent = Some(id);
                    break;
                }
                UnitRef::New(index) => match self.unit_ids.get(&index) {
                    Some(id) => {
                        parent = Some(*id);
                        break;
                    }
                    None => {
                        missing.push(index);
                        current = self.plan.new_units[index].parent;
                    }
                },
            }
        }
        for index in missing.into_iter().rev() {
            let new = &self.plan.new_units[index];
            let (id, created) = ensure_unit(conn, parent, new.kind, &new.name).await?;
            self.created.new_units += usize::from(created);
            self.unit_ids.insert(index, id);
            parent = Some(id);
        }
        parent.context("A unit resolved to nothing")
    }

    async fn round(&mut self, conn: &mut SqliteConnection) -> anyhow::Result<(i64, String)> {
        if let Some(round) = &self.round {
            return Ok(round.clone());
        }
        let district = self.district(conn).await?;
        let round = ensure_round(conn, district, &self.plan.round_name).await?;
        self.round = Some(round.clone());
        Ok(round)
    }

    async fn sheet(&mut self, conn: &mut SqliteConnection, post: i64) -> anyhow::Result<SheetSlot> {
        if let Some(slot) = self.sheets.get(&post) {
            return Ok(*slot);
        }
        let (round, matrix_json) = self.round(conn).await?;
        let (id, fresh) = ensure_sheet(conn, round, post, &matrix_json, self.now).await?;
        // Positions are never reused: the counter may be past every point there is now.
        let next_position = sqlx::query_scalar!(
            r#"SELECT MAX(next_position, (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = rs.id)) AS "next!: i64"
               FROM risk_sheets rs WHERE rs.id = ?"#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        let slot = SheetSlot {
            id,
            fresh,
            next_position,
            added: 0,
        };
        self.sheets.insert(post, slot);
        Ok(slot)
    }
}

/// Inserts a unit unless its parent already has one of that name; returns its id and whether it
/// was created.
async fn ensure_unit(
    conn: &mut SqliteConnection,
    parent: Option<i64>,
    kind: OrgUnitKind,
    name: &str,
) -> anyhow::Result<(i64, bool)> {
    let kind = kind.code();
    let created = sqlx::query!(
        "INSERT INTO org_units (parent_id, kind, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        parent,
        kind,
        name
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM org_units WHERE parent_id IS ? AND name = ?"#,
        parent,
        name
    )
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("Failed to find the unit {name}"))?;
    Ok((id, created))
}

/// The round `name` (in the scope of the whole district), created as the demo round is when
/// missing. Returns its id and matrix.
async fn ensure_round(
    conn: &mut SqliteConnection,
    district: i64,
    name: &str,
) -> anyhow::Result<(i64, String)> {
    let matrix = serde_json::to_string(&RatingMatrix::default())?;
    sqlx::query!(
        "INSERT INTO rounds (name, year, deadline, pilot, matrix_json) VALUES (?, 2026, '2026-12-31', 0, ?) ON CONFLICT (name) DO NOTHING",
        name,
        matrix
    )
    .execute(&mut *conn)
    .await?;
    let round = sqlx::query_as!(
        RoundRow,
        r#"SELECT id AS "id!: i64", matrix_json FROM rounds WHERE name = ?"#,
        name
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT OR IGNORE INTO round_scope (round_id, unit_id) VALUES (?, ?)",
        round.id,
        district
    )
    .execute(&mut *conn)
    .await?;
    Ok((round.id, round.matrix_json))
}

async fn ensure_post(
    conn: &mut SqliteConnection,
    unit_id: i64,
    row: &TableRow,
) -> anyhow::Result<(i64, bool)> {
    let title = row.post.as_str();
    let level = row.post_level.code();
    let marks = row
        .marks
        .unwrap_or_else(|| PostMarks::default_for(row.post_level));
    let key_post = i64::from(marks.key_post());
    let grade = marks.grade().map(SupervisionGrade::code);
    let created = sqlx::query!(
        "INSERT INTO posts (unit_id, title, level, key_post, supervision_grade) VALUES (?, ?, ?, ?, ?) ON CONFLICT (unit_id, title) DO NOTHING",
        unit_id,
        title,
        level,
        key_post,
        grade
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM posts WHERE unit_id = ? AND title = ?"#,
        unit_id,
        title
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, created))
}

async fn ensure_sheet(
    conn: &mut SqliteConnection,
    round: i64,
    post: i64,
    matrix_json: &str,
    now: i64,
) -> anyhow::Result<(i64, bool)> {
    let created = sqlx::query!(
        "INSERT INTO risk_sheets (round_id, post_id, matrix_json, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (round_id, post_id) DO NOTHING",
        round,
        post,
        matrix_json,
        now
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM risk_sheets WHERE round_id = ? AND post_id = ?"#,
        round,
        post
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, created))
}

/// Inserts a row's risk point with its measures and logs it for sync pulls; returns whether it
/// was new. A point is the same when its sheet has one with the same description, whoever
/// created it (an earlier import, the seed, or the holder): that is the natural key. Checking
/// first is safe because this runs in a write transaction; the id derived from the same key makes
/// the insert itself idempotent.
async fn insert_risk_point(
    conn: &mut SqliteConnection,
    post: i64,
    sheet: SheetSlot,
    planned: &PlannedRow,
    now: i64,
) -> anyhow::Result<bool> {
    let row = &planned.row;
    let description = row.risk.as_str();
    let existing = sqlx::query_scalar!(
        "SELECT id FROM risk_points WHERE sheet_id = ? AND description = ? LIMIT 1",
        sheet.id,
        description
    )
    .fetch_optional(&mut *conn)
    .await?;
    if existing.is_some() {
        return Ok(false);
    }
    let id =
        RiskPointId::from_natural_key(&format!("sheet/{}/{description}", sheet.id)).to_string();
    let (duty, manifestation, category, power_type, level) = (
        row.duty.as_str(),
        row.manifestation.as_ref().map(Manifestation::as_str),
        row.category.code(),
        row.power_type.as_str(),
        planned.level.code(),
    );
    let (l, i, f) = (
        i64::from(row.ratings.likelihood.get()),
        i64::from(row.ratings.impact.get()),
        i64::from(row.ratings.frequency.get()),
    );
    let inserted = sqlx::query!(
        "INSERT INTO risk_points (id, sheet_id, position, duty, description, manifestation, category, power_type, likelihood, impact, frequency, level, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        id, sheet.id, sheet.next_position, duty, description, manifestation, category, power_type, l, i, f, level, now
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    for (position, m) in row.measures.iter().enumerate() {
        let (position, kind, text, status) = (
            position as i64,
            m.kind.code(),
            m.text.as_str(),
            m.status.code(),
        );
        let owner = m.owner.as_ref().map(PersonName::as_str);
        let (due, done_on) = (
            m.due.map(|d| d.to_string()),
            m.done_on.map(|d| d.to_string()),
        );
        sqlx::query!(
            "INSERT INTO measures (risk_point_id, position, kind, text, owner, due, status, done_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            id,
            position,
            kind,
            text,
            owner,
            due,
            status,
            done_on
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO changes (post_id, kind, entity_id, at, client_id) VALUES (?, 'risk_point', ?, ?, NULL)",
        post,
        id,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Whether an import only reports or also writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Check every row and count what applying would create; write nothing.
    DryRun,
    /// Write the accepted rows `offset..offset + limit` (all from `offset` when `limit` is
    /// `None`), so a client can apply a large file in slices and show progress. The accepted
    /// rows are those of a plan made afresh on each call; applied rows stay accepted (they
    /// count as existing), so the slices of one file line up from call to call.
    Apply { offset: usize, limit: Option<usize> },
}

impl ImportMode {
    /// Apply every accepted row at once.
    pub const APPLY_ALL: Self = Self::Apply {
        offset: 0,
        limit: None,
    };
}

/// The answer to an import, the same for a dry run and for applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Rows with data after the header.
    pub total_rows: usize,
    pub accepted_rows: usize,
    pub rejected_rows: usize,
    /// Every problem of every refused row, in row order; a row may appear more than once.
    pub rejected: Vec<RejectedRow>,
    /// The accepted rows the counts cover: `offset..offset + applied_rows` (all of them in a
    /// dry run).
    pub offset: usize,
    pub applied_rows: usize,
    /// Where the next slice starts, or `None` when the last accepted row has been covered.
    pub next_offset: Option<usize>,
    /// Created (or, in a dry run, to be created) by the rows covered.
    #[serde(flatten)]
    pub counts: ImportCounts,
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The user's file as a whole: unreadable, empty, too large, or missing a column. A client
    /// error (400/422), with a stable code and a Chinese message.
    #[error("{0}")]
    File(FieldError),
    /// A server fault.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// Imports a risk table: checks every row, and in [`ImportMode::Apply`] writes the accepted rows
/// of the slice in one write transaction. Works on an empty database: the district root
/// ([`DISTRICT_NAME`]) and the round ([`ROUND_NAME`]) are created when missing; rows go into the
/// current round otherwise. Users are never created.
pub async fn import(
    db: &Db,
    bytes: &[u8],
    scope: &ImportScope,
    mode: ImportMode,
) -> Result<ImportReport, ImportError> {
    let owned = bytes.to_vec();
    // Parsing a large workbook takes a while: keep it off the async workers.
    let table = tokio::task::spawn_blocking(move || parse_table(&owned))
        .await
        .context("Failed to join the parsing task")?
        .map_err(ImportError::File)?;
    match mode {
        ImportMode::DryRun => {
            let mut read = db.pool().begin().await?;
            let snapshot = Snapshot::load(&mut read, RoundChoice::Current).await?;
            read.commit().await?;
            let plan = Plan::new(&snapshot, scope, table);
            let counts = plan.predicted();
            Ok(report(&plan, true, 0, plan.accepted.len(), counts))
        }
        ImportMode::Apply { offset, limit } => {
            let mut tx = db.begin_write().await?;
            let snapshot = Snapshot::load(&mut tx, RoundChoice::Current).await?;
            let plan = Plan::new(&snapshot, scope, table);
            let start = offset.min(plan.accepted.len());
            let end = limit.map_or(plan.accepted.len(), |l| {
                start.saturating_add(l).min(plan.accepted.len())
            });
            let mut writer = Writer::new(&plan);
            for planned in &plan.accepted[start..end] {
                writer.write(&mut tx, planned).await?;
            }
            let counts = writer.finish(&mut tx).await?;
            tx.commit().await?;
            Ok(report(&plan, false, start, end - start, counts))
        }
    }
}

fn report(
    plan: &Plan,
    dry_run: bool,
    offset: usize,
    applied_rows: usize,
    counts: ImportCounts,
) -> ImportReport {
    let end = offset + applied_rows;
    ImportReport {
        dry_run,
        total_rows: plan.total_rows,
        accepted_rows: plan.accepted.len(),
        rejected_rows: plan.rejected_rows(),
        rejected: plan.rejected.clone(),
        offset,
        applied_rows,
        next_offset: (!dry_run && end < plan.accepted.len()).then_some(end),
        counts,
    }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

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
    fn cells(&self) -> [Cell<'_>; COLUMNS] {
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
            Cell::Text(&self.level),
            Cell::Text(&self.measures),
            Cell::Text(&self.measure_owners),
            Cell::Text(&self.measure_due),
            Cell::Text(&self.measure_status),
        ]
    }
}

enum Cell<'a> {
    Text(&'a str),
    Number(u8),
}

/// A stored measure as the export reads it.
struct StoredMeasure {
    position: i64,
    kind: String,
    text: String,
    owner: Option<String>,
    due: Option<String>,
    status: String,
    done_on: Option<String>,
}

/// The risk table of a unit and every unit beneath it in the current round: one row per risk
/// point, in tree order, then post, then the point's position. An unknown unit, or a database
/// without rounds, gives no rows. Does not check permissions: the caller does.
pub async fn export_unit(pool: &SqlitePool, unit_id: i64) -> anyhow::Result<Vec<ExportRow>> {
    let mut conn = pool.begin().await?;
    let units =
        sqlx::query!(r#"SELECT id AS "id!: i64", parent_id, name FROM org_units ORDER BY id"#)
            .fetch_all(&mut *conn)
            .await?;
    let tree = UnitLabels::new(units.into_iter().map(|u| (u.id, u.parent_id, u.name)));
    let order = tree.subtree(unit_id);
    let Some(round) = sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM rounds ORDER BY year DESC, id DESC LIMIT 1"#
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(Vec::new());
    };
    let unit_json = serde_json::to_string(&order)?;
    let points = sqlx::query!(
        r#"SELECT rp.id AS "id!: String", p.unit_id AS "unit_id!: i64", p.id AS "post_id!: i64",
                  p.title, p.level AS post_level, p.key_post AS "key_post: bool", p.supervision_grade,
                  rp.position AS "position!: i64",
                  COALESCE(rp.duty, (SELECT d.text FROM duties d WHERE d.post_id = p.id ORDER BY d.position LIMIT 1), '') AS "duty!: String",
                  rp.description, rp.manifestation, rp.category, rp.power_type,
                  rp.likelihood AS "likelihood!: i64", rp.impact AS "impact!: i64", rp.frequency AS "frequency!: i64", rp.level
           FROM risk_points rp JOIN risk_sheets rs ON rs.id = rp.sheet_id JOIN posts p ON p.id = rs.post_id
           WHERE rs.round_id = ? AND p.unit_id IN (SELECT value FROM json_each(?))"#,
        round,
        unit_json
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut measures: HashMap<String, Vec<StoredMeasure>> = HashMap::new();
    for m in sqlx::query!(
        r#"SELECT m.risk_point_id, m.position AS "position!: i64", m.kind, m.text, m.owner, m.due, m.status, m.done_on
           FROM measures m JOIN risk_points rp ON rp.id = m.risk_point_id
           JOIN risk_sheets rs ON rs.id = rp.sheet_id JOIN posts p ON p.id = rs.post_id
           WHERE rs.round_id = ? AND p.unit_id IN (SELECT value FROM json_each(?))"#,
        round,
        unit_json
    )
    .fetch_all(&mut *conn)
    .await?
    {
        measures
            .entry(m.risk_point_id)
            .or_default()
            .push(StoredMeasure {
                position: m.position,
                kind: m.kind,
                text: m.text,
                owner: m.owner,
                due: m.due,
                status: m.status,
                done_on: m.done_on,
            });
    }
    conn.commit().await?;

    let rank: HashMap<i64, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut sorted: Vec<_> = points
        .into_iter()
        .map(|p| ((rank.get(&p.unit_id).copied(), p.post_id, p.position), p))
        .collect();
    sorted.sort_by_key(|(key, _)| *key);
    sorted
        .into_iter()
        .map(|(_, p)| {
            let cells = MeasureCells::new(measures.remove(&p.id).unwrap_or_default())?;
            let grade = p
                .supervision_grade
                .as_deref()
                .map(SupervisionGrade::parse)
                .transpose()
                .map_err(|e| corrupt("supervision grade", e))?;
            Ok(ExportRow {
                unit: tree.label(p.unit_id),
                post: p.title,
                post_level: PostLevel::parse(&p.post_level)
                    .map_err(|e| corrupt("post level", e))?
                    .label()
                    .to_owned(),
                key_post: if p.key_post { "是" } else { "否" }.to_owned(),
                supervision_grade: grade.map(|g| g.label().to_owned()).unwrap_or_default(),
                duty: p.duty,
                risk_point: p.description,
                manifestation: p.manifestation.unwrap_or_default(),
                category: format!(
                    "{}风险",
                    RiskCategory::parse(&p.category)
                        .map_err(|e| corrupt("category", e))?
                        .label()
                ),
                power_type: p.power_type,
                likelihood: score(p.likelihood)?,
                impact: score(p.impact)?,
                frequency: score(p.frequency)?,
                level: RiskLevel::parse(&p.level)
                    .map_err(|e| corrupt("level", e))?
                    .label()
                    .to_owned(),
                measures: cells.measures,
                measure_owners: cells.owners,
                measure_due: cells.due,
                measure_status: cells.status,
            })
        })
        .collect()
}

fn score(value: i64) -> anyhow::Result<u8> {
    Score::parse(value, "score", "评分")
        .map(Score::get)
        .map_err(|e| corrupt("score", e))
}

/// A point's measures as the four cells that hold them: the measures in the format
/// [`domain::risk::Measure::parse_cell`] reads back, and each measure's owner, due date and
/// progress as lists in the same order.
struct MeasureCells {
    measures: String,
    owners: String,
    due: String,
    status: String,
}

impl MeasureCells {
    fn new(mut measures: Vec<StoredMeasure>) -> anyhow::Result<Self> {
        measures.sort_by_key(|m| m.position);
        let mut texts = Vec::with_capacity(measures.len());
        let (mut owners, mut due, mut status) = (Vec::new(), Vec::new(), Vec::new());
        for m in measures {
            let kind = MeasureKind::parse(&m.kind).map_err(|e| corrupt("measure kind", e))?;
            texts.push(format!("{}：{}", kind.label(), m.text));
            owners.push(m.owner.unwrap_or_default());
            due.push(m.due.unwrap_or_default());
            let progress =
                MeasureStatus::parse(&m.status).map_err(|e| corrupt("measure status", e))?;
            let day = m
                .done_on
                .map(|d| IsoDate::parse(&d, "done_on", "完成日期"))
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
struct UnitLabels {
    parents: HashMap<i64, Option<i64>>,
    names: HashMap<i64, String>,
    children: HashMap<i64, Vec<i64>>,
}

impl UnitLabels {
    fn new(units: impl IntoIterator<Item = (i64, Option<i64>, String)>) -> Self {
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
    fn subtree(&self, unit: i64) -> Vec<i64> {
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
    fn label(&self, unit: i64) -> String {
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
    let mut out = String::from("\u{FEFF}");
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.key()).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row
            .cells()
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

fn csv_field(text: &str) -> String {
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
const COLUMN_WIDTHS: [f64; COLUMNS] = [
    16.0, 18.0, 10.0, 8.0, 8.0, 36.0, 40.0, 30.0, 14.0, 16.0, 8.0, 10.0, 10.0, 10.0, 60.0, 16.0,
    16.0, 22.0,
];

/// The table as an Excel workbook: one sheet named [`SHEET_NAME`], a bold header with the
/// Chinese column names, frozen, with a filter; text wraps; ratings are numbers. Text is always
/// written as text, never as a formula.
pub fn to_xlsx(rows: &[ExportRow]) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET_NAME)?;
    let header = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let number = Format::new()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::Top);
    for (col, (column, width)) in Column::ALL.iter().zip(COLUMN_WIDTHS).enumerate() {
        let col = u16::try_from(col)?;
        sheet.set_column_width(col, width)?;
        sheet.write_string_with_format(0, col, column.heading(), &header)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let r = u32::try_from(index + 1)?;
        for (col, cell) in row.cells().iter().enumerate() {
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
    let last_row = u32::try_from(rows.len())?;
    sheet.autofilter(0, 0, last_row, u16::try_from(Column::ALL.len() - 1)?)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed;

    async fn fresh_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("lianfang.db")).await.unwrap();
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
                .map(|(id, unit, title)| {
                    (id.to_string(), format!("{}/{title}", labels.label(unit)))
                })
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
                let raw = |name: &str| -> String {
                    row.get(columns.iter().position(|c| c == name).unwrap())
                };
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
        let header = "风险点,单位,岗位,岗位类别,岗位职责,风险类别,权力类型,可能性,危害程度,风险等级,防控措施";
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
            let (_dir, target) = fresh_db().await;
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
            assert_eq!(Column::from_heading(column.heading()), Some(column));
            assert_eq!(Column::from_heading(column.key()), Some(column));
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
        let (_dir, db) = fresh_db().await;
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
        let (_dir, whole) = fresh_db().await;
        let (_dir2, sliced) = fresh_db().await;
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
            let grid = read_table(text.as_bytes()).unwrap();
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

        let (_dir, target) = fresh_db().await;
        let report = import(&target, &file, &ImportScope::District, ImportMode::DryRun)
            .await
            .unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        assert_eq!(report.total_rows, rows.len());
        assert_eq!(report.counts.new_risk_points, rows.len());
        assert_eq!(report.counts.new_units, 2);
    }

    #[test]
    fn merged_cells_take_the_value_of_their_top_left_cell() {
        let mut grid = vec![
            vec!["区交通局".to_owned(), "局长".to_owned()],
            vec![String::new(), "副局长".to_owned()],
        ];
        fill_merged(
            &mut grid,
            &[Dimensions {
                start: (0, 0),
                end: (1, 0),
            }],
        );
        assert_eq!(grid[1][0], "区交通局");
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
    }
}

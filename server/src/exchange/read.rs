//! Reading table files (XLSX, CSV, TSV, UTF-8 or UTF-16) into rows of cells.

use std::{
    collections::HashSet,
    io::{Cursor, Read as _},
    sync::Arc,
};

use calamine::{Data, DataRef, Dimensions, Reader as _, Xlsx};
use domain::FieldError;

use super::columns::HEADER_SEARCH_ROWS;

/// The most rows a file may have (header and blank rows included): larger tables are split by
/// unit anyway, and the limit bounds the memory one upload can take.
pub const MAX_ROWS: usize = 20_000;
/// Cells right of this column are ignored: a risk table is a dozen columns wide, and the bound
/// keeps a sheet with a stray far-right cell from taking memory.
const MAX_COLUMNS: usize = 64;

/// One cell's text. Cells with the same text share it: a shared string referenced by many cells,
/// or a merged region filled from its top-left cell, is held once however many cells show it.
pub type Cell = Arc<str>;
/// A table as rows of cells.
pub type Grid = Vec<Vec<Cell>>;

/// The most a workbook may hold once unzipped, all its parts together. A real risk table of a
/// whole district (8,426 risk points) is under 10 MB unzipped; zip bombs are far larger.
pub const MAX_UNZIPPED_BYTES: u64 = 64 * 1024 * 1024;
/// The most parts a workbook may have.
const MAX_ZIP_ENTRIES: usize = 1_000;
/// The most text the table may show, counting each cell's text as often as cells show it (a
/// merged region counts its text once per cell). This bounds everything built from the cells
/// afterwards: parsed rows, refusals, the report.
pub const MAX_TABLE_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// The most non-empty cells a table may have, merged regions counted cell by cell.
pub const MAX_CELLS: usize = 400_000;

/// The start of a zip archive, as an XLSX workbook is.
pub(super) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The start of an OLE compound file: the old binary `.xls`, refused with advice.
pub(super) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Reads a table file into rows of cells. Row `i` of the result is row `i + 1` as Excel shows
/// the file (blank rows are kept, empty), so errors can name the row a user sees.
///
/// An XLSX workbook is read from its first sheet, with merged cells filled from their top-left
/// cell (tables often merge the unit and post cells of a post's rows). Text is UTF-8 (a BOM is
/// dropped) or UTF-16 with a BOM (Excel's “Unicode text”); it is TSV when its header line has a
/// tab, and CSV with RFC 4180 quoting otherwise.
pub fn read_table(bytes: &[u8]) -> Result<Grid, FieldError> {
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

pub(super) fn unreadable(message: impl Into<String>) -> FieldError {
    FieldError::new("unreadable_file", "file", message)
}

fn too_much_text() -> FieldError {
    FieldError::new(
        "table_too_large",
        "file",
        format!(
            "文件内容过大：展开合并单元格与共享文本后超过 {} MB 或 {MAX_CELLS} 个单元格，请按单位拆分后分批导入",
            MAX_TABLE_TEXT_BYTES / 1024 / 1024
        ),
    )
}

/// Builds a grid within the bounds: texts interned, cells and text counted as they are placed.
#[derive(Default)]
struct GridBuilder {
    grid: Grid,
    texts: HashSet<Cell>,
    cells: usize,
    text_bytes: usize,
}

impl GridBuilder {
    fn intern(&mut self, text: &str) -> Cell {
        if let Some(cell) = self.texts.get(text) {
            return cell.clone();
        }
        let cell: Cell = Arc::from(text);
        self.texts.insert(cell.clone());
        cell
    }

    /// Counts one more cell showing `text`, refusing the table past the bounds.
    fn count(&mut self, text: &str) -> Result<(), FieldError> {
        self.cells += 1;
        self.text_bytes += text.len();
        if self.cells > MAX_CELLS || self.text_bytes > MAX_TABLE_TEXT_BYTES {
            return Err(too_much_text());
        }
        Ok(())
    }

    fn set(&mut self, row: usize, col: usize, text: &str) -> Result<(), FieldError> {
        self.count(text)?;
        let cell = self.intern(text);
        if self.grid.len() <= row {
            self.grid.resize(row + 1, Vec::new());
        }
        let cells = &mut self.grid[row];
        if cells.len() <= col {
            cells.resize(col + 1, empty());
        }
        cells[col] = cell;
        Ok(())
    }
}

fn empty() -> Cell {
    Arc::from("")
}

pub(crate) fn too_many_rows() -> FieldError {
    FieldError::new(
        "too_many_rows",
        "file",
        format!("文件超过 {MAX_ROWS} 行，请按单位拆分后分批导入"),
    )
}

pub(super) fn decode_text(bytes: &[u8]) -> Result<String, FieldError> {
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

pub(super) fn read_delimited(text: &str) -> Result<Grid, FieldError> {
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
    let mut builder = GridBuilder::default();
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
        let row = last_line
            .saturating_sub(inner + folded)
            .max(builder.grid.len() + 1);
        if row > MAX_ROWS {
            return Err(too_many_rows());
        }
        builder.grid.resize(row, Vec::new());
        for (col, field) in record.iter().enumerate() {
            builder.set(row - 1, col, field)?;
        }
        folded += inner;
    }
    Ok(builder.grid)
}

/// Reads the first sheet cell by cell, so that memory follows the cells present rather than the
/// span between the first and the last. The workbook is unzipped once into nothing first, so a
/// zip bomb is refused before calamine holds any part of it.
pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Grid, FieldError> {
    let broken = || unreadable("无法读取该 Excel 文件：文件可能已损坏、加密，或不是 .xlsx 工作簿");
    check_unzipped_size(bytes)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| broken())?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("Excel 文件中没有工作表"))?;
    let mut builder = GridBuilder::default();
    {
        let mut cells = book.worksheet_cells_reader(&name).map_err(|_| broken())?;
        while let Some(cell) = cells.next_cell().map_err(|_| broken())? {
            let (row, col) = cell.get_position();
            let (row, col) = (row as usize, col as usize);
            if row >= MAX_ROWS {
                return Err(too_many_rows());
            }
            if col >= MAX_COLUMNS {
                continue;
            }
            match cell.get_value() {
                // A shared string is read where it is stored, never copied per cell.
                DataRef::SharedString(text) if !text.is_empty() => builder.set(row, col, text)?,
                DataRef::String(text) if !text.is_empty() => builder.set(row, col, text)?,
                DataRef::SharedString(_) | DataRef::String(_) | DataRef::Empty => {}
                other => {
                    let text = cell_text(&Data::from(other.clone()));
                    if !text.is_empty() {
                        builder.set(row, col, &text)?;
                    }
                }
            }
        }
    }
    let merges = book.merge_cells_by_sheet_name(&name).unwrap_or_default();
    fill_merged(&mut builder, &merges)?;
    Ok(builder.grid)
}

/// Refuses a workbook whose parts unzip to more than [`MAX_UNZIPPED_BYTES`], by unzipping each
/// into nothing and stopping at the bound (a part's stated size may lie).
fn check_unzipped_size(bytes: &[u8]) -> Result<(), FieldError> {
    let broken = || unreadable("无法读取该 Excel 文件：文件可能已损坏、加密，或不是 .xlsx 工作簿");
    let too_large = || {
        FieldError::new(
            "table_too_large",
            "file",
            format!(
                "Excel 文件解压后超过 {} MB，请按单位拆分后分批导入",
                MAX_UNZIPPED_BYTES / 1024 / 1024
            ),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| broken())?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(too_large());
    }
    let mut left = MAX_UNZIPPED_BYTES;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| broken())?;
        let read =
            std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|_| broken())?;
        if read > left {
            return Err(too_large());
        }
        left -= read;
    }
    Ok(())
}

/// A cell as text. Whole numbers print without a decimal point, as Excel shows them.
pub(super) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Gives every cell of a merged region the value of its top-left cell, by reference, counting
/// each against the bounds. Regions are clipped to the rows and columns read, so a merge over
/// whole columns costs nothing.
fn fill_merged(builder: &mut GridBuilder, merges: &[Dimensions]) -> Result<(), FieldError> {
    let width = builder.grid.iter().map(Vec::len).max().unwrap_or(0);
    for merge in merges {
        let (top, left) = (merge.start.0 as usize, merge.start.1 as usize);
        let Some(value) = builder.grid.get(top).and_then(|row| row.get(left)).cloned() else {
            continue;
        };
        let right = (merge.end.1 as usize).min(width.saturating_sub(1));
        let bottom = (merge.end.0 as usize).min(builder.grid.len().saturating_sub(1));
        if value.is_empty() || right < left {
            continue;
        }
        for row in top..=bottom {
            for col in left..=right {
                let filled = builder.grid[row].get(col).is_some_and(|c| !c.is_empty());
                if !filled {
                    builder.count(&value)?;
                    let cells = &mut builder.grid[row];
                    if cells.len() <= col {
                        cells.resize(col + 1, empty());
                    }
                    cells[col] = value.clone();
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(super) fn fill_merged_for_test(grid: Grid, merges: &[Dimensions]) -> Grid {
    let mut builder = GridBuilder {
        grid,
        ..GridBuilder::default()
    };
    fill_merged(&mut builder, merges).expect("within the bounds");
    builder.grid
}

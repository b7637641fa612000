//! Reading table files (XLSX, CSV, TSV, UTF-8 or UTF-16) into rows of cells.

use std::io::Cursor;

use calamine::{Data, Dimensions, Reader as _, Xlsx};
use domain::FieldError;

use super::columns::HEADER_SEARCH_ROWS;

/// The most rows a file may have (header and blank rows included): larger tables are split by
/// unit anyway, and the limit bounds the memory one upload can take.
pub const MAX_ROWS: usize = 20_000;
/// Cells right of this column are ignored: a risk table is a dozen columns wide, and the bound
/// keeps a sheet with a stray far-right cell from taking memory.
const MAX_COLUMNS: usize = 64;

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

pub(super) fn unreadable(message: impl Into<String>) -> FieldError {
    FieldError::new("unreadable_file", "file", message)
}

pub(super) fn too_many_rows() -> FieldError {
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

pub(super) fn read_delimited(text: &str) -> Result<Vec<Vec<String>>, FieldError> {
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
pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, FieldError> {
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
pub(super) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Gives every cell of a merged region the value of its top-left cell. Regions are clipped to
/// the cells read, so a merge over whole columns costs nothing.
pub(super) fn fill_merged(grid: &mut [Vec<String>], merges: &[Dimensions]) {
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

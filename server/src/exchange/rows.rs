//! The rows of a risk table, every cell parsed with the domain's parsers and every problem of a
//! row reported at once.

use domain::{
    org::UnitLabel,
    post::{PostLevel, PostMarks, SupervisionGrade},
    risk::{
        IsoDate, Measure, MeasureKind, MeasureStatus, PowerType, RatingMatrix, Ratings, Residual,
        RiskCategory, RiskLevel, Score, LIST_SEPARATORS,
    },
    text::{
        DutyText, Manifestation, MeasureText, PersonName, PostTitle, RiskDescription, UnitName,
    },
    FieldError,
};
use serde::Serialize;

use super::{
    columns::{is_blank, map_header, Column, ColumnMap},
    read::{read_table, too_many_rows, Cell, MAX_ROWS},
};

/// Frequency is not a column of existing tables; their points get the middle of the scale.
const DEFAULT_FREQUENCY: i64 = 3;

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
    /// 剩余可能性 × 剩余危害程度, when the table rates it (both cells, or neither).
    pub residual: Option<Residual>,
    /// The level the table states; it must agree with the rating matrix.
    pub level: RiskLevel,
    pub measures: Vec<Measure>,
}

impl TableRow {
    /// The row's risk point in the wire form sync and the store use: the same conversion as a
    /// point that passed validation in the editor.
    pub fn to_input(&self) -> domain::sync::RiskPointInput {
        domain::sync::ValidRiskPoint {
            duty: Some(self.duty.clone()),
            description: self.risk.clone(),
            manifestation: self.manifestation.clone(),
            category: self.category,
            power_type: self.power_type.clone(),
            ratings: self.ratings,
            residual: self.residual,
            measures: self.measures.clone(),
        }
        .to_input()
    }

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

pub(super) fn join_path<'a>(names: impl Iterator<Item = &'a str>) -> String {
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

/// The longest message a refusal keeps: messages quote the cell, and a cell may be long.
const MAX_MESSAGE_CHARS: usize = 200;

impl RejectedRow {
    pub(crate) fn new(row: usize, field: &str, error: FieldError) -> Self {
        let message = match error.message.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &error.message[..cut]),
            None => error.message,
        };
        Self {
            row,
            field: field.to_owned(),
            code: error.code,
            message,
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
pub(super) fn keep<T>(
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
pub(super) fn parse_row(
    row: usize,
    cells: &[Cell],
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
    let residual = residual(columns, cells)
        .map_err(|(column, e)| p.push(RejectedRow::new(row, column.key(), e)))
        .ok();
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
        Some(residual),
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
        residual,
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
        residual,
        level,
        measures,
    })
}

/// The 剩余可能性 and 剩余危害程度 cells: both empty (not rated, or a table without the columns)
/// or both 1–5. An error names the column it is about.
fn residual(columns: &ColumnMap, cells: &[Cell]) -> Result<Option<Residual>, (Column, FieldError)> {
    let score = |column: Column, label: &str| match columns.cell(cells, column).trim() {
        "" => Ok(None),
        raw => Score::parse_text(raw, column.key(), label)
            .map(|s| Some(i64::from(s.get())))
            .map_err(|e| (column, e)),
    };
    let likelihood = score(Column::ResidualLikelihood, "剩余可能性")?;
    let impact = score(Column::ResidualImpact, "剩余危害程度")?;
    Residual::parse(likelihood, impact).map_err(|e| {
        let column = if e.field == Column::ResidualImpact.key() {
            Column::ResidualImpact
        } else {
            Column::ResidualLikelihood
        };
        (column, e)
    })
}

/// The 重点岗位 and 监督等级 cells: stated when 重点岗位 is filled in; a grade without a key post
/// is refused, as on the sheet page.
pub(super) fn post_marks(
    columns: &ColumnMap,
    cells: &[Cell],
) -> Result<Option<PostMarks>, FieldError> {
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
pub(super) fn measures(
    row: usize,
    parsed: Vec<(MeasureKind, MeasureText)>,
    columns: &ColumnMap,
    cells: &[Cell],
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
pub(super) fn unit_path(raw: &str) -> Result<Vec<UnitName>, FieldError> {
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

//! The columns of a risk table, and finding them in a file's header.

use domain::FieldError;

/// Title rows (`某某局廉政风险点台账`) often stand above the header; it is looked for this far down.
pub(crate) const HEADER_SEARCH_ROWS: usize = 10;
/// A row is taken for the header once it names this many known columns.
const HEADER_MIN_COLUMNS: usize = 3;
/// What Excel would read as the start of a formula in a CSV cell.
pub(crate) const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

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
    ResidualLikelihood,
    ResidualImpact,
    Level,
    Measures,
    MeasureOwners,
    MeasureDue,
    MeasureStatus,
}

/// How many columns the table knows.
pub(super) const COLUMNS: usize = 20;

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
        Self::ResidualLikelihood,
        Self::ResidualImpact,
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
                | Self::ResidualLikelihood
                | Self::ResidualImpact
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
            Self::ResidualLikelihood => "residual_likelihood",
            Self::ResidualImpact => "residual_impact",
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
            Self::ResidualLikelihood => "剩余可能性",
            Self::ResidualImpact => "剩余危害程度",
            Self::Level => "风险等级",
            Self::Measures => "防控措施",
            Self::MeasureOwners => "措施责任人",
            Self::MeasureDue => "措施完成时限",
            Self::MeasureStatus => "措施落实情况",
        }
    }

    /// Other headers seen in existing tables for the same column.
    pub(super) fn aliases(self) -> &'static [&'static str] {
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
            Self::ResidualLikelihood => &["剩余风险可能性"],
            Self::ResidualImpact => &["剩余风险危害程度"],
            Self::Likelihood | Self::Impact | Self::Level => &[],
            Self::Measures => &["防控措施内容"],
            Self::MeasureOwners => &["责任人"],
            Self::MeasureDue => &["完成时限"],
            Self::MeasureStatus => &["落实情况"],
        }
    }
}

impl TableColumn for Column {
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn key(self) -> &'static str {
        Column::key(self)
    }
    fn heading(self) -> &'static str {
        Column::heading(self)
    }
    fn aliases(self) -> &'static [&'static str] {
        Column::aliases(self)
    }
    fn required(self) -> bool {
        Column::required(self)
    }
}

/// The columns of a table a file is read into: the risk table's, the organisation's, the
/// roster's. One header finder serves them all.
pub trait TableColumn: Copy + PartialEq + 'static {
    /// Every column, in the order of exports.
    fn all() -> &'static [Self];
    /// The English name: the `field` of row errors.
    fn key(self) -> &'static str;
    /// The Chinese header of files and exports.
    fn heading(self) -> &'static str;
    /// Other headers seen for the same column.
    fn aliases(self) -> &'static [&'static str];
    /// Whether a file must have the column.
    fn required(self) -> bool;
}

/// The column a header cell names, ignoring spaces and the case of English names.
pub(crate) fn from_heading<C: TableColumn>(raw: &str) -> Option<C> {
    let heading: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    C::all().iter().copied().find(|column| {
        column.key() == heading
            || column.heading() == heading
            || column.aliases().contains(&heading.as_str())
    })
}

fn position<C: TableColumn>(column: C) -> usize {
    C::all()
        .iter()
        .position(|c| *c == column)
        .expect("a column is one of its table's")
}

/// Where each column sits in the file; `None` for an optional column the file does not have.
#[derive(Debug, Clone)]
pub(crate) struct ColumnMap<C = Column> {
    found: Vec<Option<usize>>,
    table: std::marker::PhantomData<C>,
}

impl<C: TableColumn> ColumnMap<C> {
    /// The cell of `column`, without the guard a CSV export puts before text Excel would take
    /// for a formula. A short row has empty cells at its end; a column the file lacks is empty.
    pub(crate) fn cell<'a, T: AsRef<str>>(&self, cells: &'a [T], column: C) -> &'a str {
        let raw = self.found[position(column)]
            .and_then(|i| cells.get(i))
            .map_or("", AsRef::as_ref);
        match raw.strip_prefix('\'') {
            Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
            _ => raw,
        }
    }

    /// Whether the file has `column`.
    pub(crate) fn has(&self, column: C) -> bool {
        self.found[position(column)].is_some()
    }
}

/// Finds the header among the first rows and maps every column. A missing column makes the whole
/// file unusable, so all missing ones are named at once.
pub(crate) fn map_header<C: TableColumn, T: AsRef<str>>(
    grid: &[Vec<T>],
) -> Result<(usize, ColumnMap<C>), FieldError> {
    let known = |cells: &Vec<T>| {
        cells
            .iter()
            .filter(|c| from_heading::<C>(c.as_ref()).is_some())
            .count()
    };
    let header = grid
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|cells| known(cells) >= HEADER_MIN_COLUMNS.min(C::all().len()))
        .or_else(|| grid.iter().position(|cells| !is_blank(cells)))
        .ok_or_else(|| FieldError::new("empty_file", "file", "文件中没有任何内容"))?;
    let mut found: Vec<Option<usize>> = vec![None; C::all().len()];
    for (index, cell) in grid[header].iter().enumerate() {
        let Some(column) = from_heading::<C>(cell.as_ref()) else {
            continue;
        };
        if found[position(column)].is_some() {
            return Err(FieldError::new(
                "duplicate_column",
                column.key(),
                format!("表头中“{}”列出现了不止一次", column.heading()),
            ));
        }
        found[position(column)] = Some(index);
    }
    let missing: Vec<C> = C::all()
        .iter()
        .copied()
        .filter(|c| c.required() && found[position(*c)].is_none())
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
    Ok((
        header,
        ColumnMap {
            found,
            table: std::marker::PhantomData,
        },
    ))
}

pub(crate) fn is_blank<C: AsRef<str>>(cells: &[C]) -> bool {
    cells.iter().all(|c| c.as_ref().trim().is_empty())
}

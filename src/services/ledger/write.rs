//! Writing ledger rows: an .xlsx workbook (rust_xlsxwriter in constant-memory mode, one sheet
//! per plan, styled and frozen header) or a UTF-8 CSV with a byte order mark (the `csv`
//! crate), so that Excel shows the Chinese text. Pure output: rows in, bytes to a writer.

use std::io::Write;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::LedgerRow;
use crate::error::{AppError, AppResult};

/// The two formats of the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerFormat {
    Xlsx,
    Csv,
}

impl LedgerFormat {
    /// Parses `xlsx | csv`.
    ///
    /// # Errors
    /// INVALID_INPUT for anything else.
    pub fn parse(s: &str) -> AppResult<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            other => Err(AppError::invalid(format!(
                "unknown ledger format {other:?}: use xlsx or csv"
            ))),
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
        }
    }
}

/// Where ledger rows go, one at a time, in list order (plan by plan).
pub trait LedgerSink: Send {
    /// # Errors
    /// INTERNAL when the row cannot be written.
    fn row(&mut self, row: &LedgerRow) -> AppResult<()>;
}

/// Column headings and widths (in characters; a CJK character counts about two).
const COLUMNS: [(&str, f64); 17] = [
    ("编号", 10.0),
    ("任务", 48.0),
    ("牵头单位", 24.0),
    ("参与单位", 30.0),
    ("落实单位", 24.0),
    ("原定时限", 12.0),
    ("当前时限", 12.0),
    ("状态", 10.0),
    ("进度(%)", 8.0),
    ("亮灯", 6.0),
    ("最新进展期次", 12.0),
    ("最新进展", 60.0),
    ("提醒", 6.0),
    ("催办", 6.0),
    ("督办", 6.0),
    ("通报", 6.0),
    ("约谈", 6.0),
];
/// The CSV has no sheets: the plan comes first on each line.
const CSV_PLAN: &str = "实施方案";
/// The last column, after the record counts.
const LAST_NUMBER: (&str, f64) = ("最新文号", 18.0);

fn joined(names: &[String]) -> String {
    names.join("、")
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The text cells of a row, in column order (counts and progress are numbers in the
/// workbook, written separately).
fn texts(r: &LedgerRow) -> [String; 8] {
    [
        r.code.clone(),
        r.title.clone(),
        joined(&r.lead),
        joined(&r.participants),
        joined(&r.implementers),
        date(r.original_deadline),
        date(r.deadline),
        r.status.chinese().to_owned(),
    ]
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal(std::io::Error::other(format!(
        "cannot write the workbook: {e}"
    )))
}

/// An .xlsx ledger: a sheet per plan named after it, opened when its first row arrives.
pub struct XlsxLedger {
    workbook: Workbook,
    header: Format,
    current_plan: Option<i64>,
    sheets: usize,
    next_row: u32,
}

impl XlsxLedger {
    /// A new workbook whose worksheets buffer their rows in temporary files under `tempdir`
    /// (constant memory: a row is on disk once written).
    ///
    /// # Errors
    /// INTERNAL when the temporary directory cannot be used.
    pub fn new(tempdir: Option<&std::path::Path>) -> AppResult<Self> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(dir).map_err(xlsx_error)?;
        }
        let header = Format::new()
            .set_bold()
            .set_font_color(Color::White)
            .set_background_color(Color::RGB(0x1F4E79))
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap()
            .set_border(FormatBorder::Thin);
        Ok(Self {
            workbook,
            header,
            current_plan: None,
            sheets: 0,
            next_row: 0,
        })
    }

    fn open_sheet(&mut self, row: &LedgerRow) -> Result<(), XlsxError> {
        let name = sheet_name(row.plan_id, &row.plan_title);
        let header = self.header.clone();
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (c, (title, width)) in COLUMNS.iter().chain([&LAST_NUMBER]).enumerate() {
            let c = c as u16;
            sheet.set_column_width(c, *width)?;
            sheet.write_string_with_format(0, c, *title, &header)?;
        }
        sheet.set_row_height(0, 24)?;
        sheet.set_freeze_panes(1, 0)?;
        self.sheets += 1;
        self.current_plan = Some(row.plan_id);
        self.next_row = 1;
        Ok(())
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(self.sheets - 1)
    }

    fn write(&mut self, r: &LedgerRow) -> Result<(), XlsxError> {
        if self.current_plan != Some(r.plan_id) {
            self.open_sheet(r)?;
        }
        let at = self.next_row;
        let sheet = self.sheet()?;
        for (c, text) in texts(r).iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(at, c as u16, text)?;
            }
        }
        sheet.write_number(at, 8, f64::from(r.progress))?;
        sheet.write_string(at, 9, r.light.chinese())?;
        if let Some(p) = &r.report_period {
            sheet.write_string(at, 10, p)?;
        }
        if let Some(t) = r.report_text.as_deref().filter(|t| !t.is_empty()) {
            sheet.write_string(at, 11, t)?;
        }
        for (i, n) in r.records.iter().enumerate() {
            sheet.write_number(at, 12 + i as u16, f64::from(*n))?;
        }
        if let Some(n) = &r.last_doc_number {
            sheet.write_string(at, 17, n)?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// Assembles the workbook into `out`. A ledger without tasks is one sheet with the
    /// header only.
    ///
    /// # Errors
    /// INTERNAL when writing fails.
    pub fn finish(mut self, out: impl Write + Send) -> AppResult<()> {
        if self.sheets == 0 {
            let empty = LedgerRow {
                task_id: 0,
                plan_id: 0,
                plan_title: "台账".into(),
                code: String::new(),
                title: String::new(),
                lead: Vec::new(),
                participants: Vec::new(),
                implementers: Vec::new(),
                original_deadline: None,
                deadline: None,
                status: crate::domain::TaskStatus::NotStarted,
                progress: 0,
                light: crate::domain::Light::Green,
                report_period: None,
                report_text: None,
                records: [0; 5],
                last_doc_number: None,
            };
            self.open_sheet(&empty).map_err(xlsx_error)?;
        }
        self.workbook.save_to_writer(out).map_err(xlsx_error)
    }
}

impl LedgerSink for XlsxLedger {
    fn row(&mut self, row: &LedgerRow) -> AppResult<()> {
        self.write(row).map_err(xlsx_error)
    }
}

/// A sheet name from the plan: Excel allows 31 characters and none of `[]:*?/\`; the id in
/// front keeps two plans with the same title apart.
fn sheet_name(plan_id: i64, title: &str) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c })
        .collect();
    let mut name = if plan_id > 0 {
        format!("{plan_id} {}", clean.trim())
    } else {
        clean.trim().to_owned()
    };
    if let Some((i, _)) = name.char_indices().nth(31) {
        name.truncate(i);
    }
    name.trim_end().to_owned()
}

/// A CSV ledger: UTF-8 with a byte order mark (Excel reads it as UTF-8 only then), one
/// header line, the plan title in the first column.
pub struct CsvLedger<W: Write> {
    out: csv::Writer<W>,
}

fn csv_error(e: csv::Error) -> AppError {
    AppError::internal(std::io::Error::other(format!("cannot write the CSV: {e}")))
}

impl<W: Write + Send> CsvLedger<W> {
    /// Writes the BOM and the header line.
    ///
    /// # Errors
    /// INTERNAL when writing fails.
    pub fn new(mut out: W) -> AppResult<Self> {
        out.write_all("\u{feff}".as_bytes())
            .map_err(AppError::internal)?;
        let mut out = csv::Writer::from_writer(out);
        out.write_record(
            std::iter::once(CSV_PLAN)
                .chain(COLUMNS.iter().map(|(t, _)| *t))
                .chain([LAST_NUMBER.0]),
        )
        .map_err(csv_error)?;
        Ok(Self { out })
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// INTERNAL when flushing fails.
    pub fn finish(self) -> AppResult<W> {
        self.out.into_inner().map_err(|e| {
            AppError::internal(std::io::Error::other(format!("cannot write the CSV: {e}")))
        })
    }
}

impl<W: Write + Send> LedgerSink for CsvLedger<W> {
    fn row(&mut self, r: &LedgerRow) -> AppResult<()> {
        let mut fields: Vec<String> = Vec::with_capacity(19);
        fields.push(r.plan_title.clone());
        fields.extend(texts(r));
        fields.push(r.progress.to_string());
        fields.push(r.light.chinese().to_owned());
        fields.push(r.report_period.clone().unwrap_or_default());
        fields.push(r.report_text.clone().unwrap_or_default());
        fields.extend(r.records.iter().map(u32::to_string));
        fields.push(r.last_doc_number.clone().unwrap_or_default());
        debug_assert_eq!(fields.len(), 2 + COLUMNS.len());
        self.out.write_record(&fields).map_err(csv_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_legal_and_distinct() {
        assert_eq!(sheet_name(3, "a/b:c"), "3 a_b_c");
        let long = "关于印发全面推进乡村振兴加快农业农村现代化实施方案的通知（试行）";
        let n = sheet_name(12, long);
        assert_eq!(n.chars().count(), 31);
        assert!(n.starts_with("12 关于"));
        assert_ne!(sheet_name(1, long), sheet_name(2, long));
    }

    #[test]
    fn formats_parse() {
        assert_eq!(LedgerFormat::parse("XLSX").unwrap(), LedgerFormat::Xlsx);
        assert_eq!(LedgerFormat::parse("csv").unwrap(), LedgerFormat::Csv);
        assert_eq!(
            LedgerFormat::parse("pdf").unwrap_err().code(),
            "INVALID_INPUT"
        );
    }
}

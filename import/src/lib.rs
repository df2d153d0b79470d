//! # duban-import — the plan-document parser of 督办
//!
//! Turns an implementation plan (实施方案 / 工作方案) into a [`ParsedPlan`]:
//! the outline of tasks with their responsible agencies (牵头 / 参与 / 落实),
//! deadlines, quantified targets and warnings for everything a person must
//! check (unknown agencies, undecided leads, missing deadlines …).
//!
//! Inputs: plain text (UTF-8 or GB18030/GBK, detected by content), Word
//! `.docx` and Word 97–2003 `.doc`, Excel `.xlsx` and CSV task sheets (任务分解表). The crate is pure:
//! no database, no clock, no I/O beyond the bytes it is given.
//!
//! ## Task codes
//! * outline: chapter numeral + (section) + item number, e.g. `三(二)1`;
//!   the k-th dash bullet (——) under an item gets `-k` (`三(三)1-2`), a
//!   parenthesised sub-item `(n)` gets `(n)` (`三(二)1(3)`);
//! * lists (附件清单 and sheets): `目标N`, `任务N`, `政策N` by the row number,
//!   with list headings `任务一`, `任务一(二)`;
//! * a duplicate code gets `#2`, `#3` ….
//!
//! ## Pipeline
//! [`decode`] (format + encoding) → [`clean`] (boilerplate, page marks,
//! duplicate preview, hard wraps) → [`header`] (title, 文号, issuers, region)
//! → [`tables`] (flattened lists) → [`outline`] → [`clause`] + [`registry`]
//! (who) → [`deadline`] (when) → [`target`] (how much).

pub mod bounds;
pub mod clause;
pub mod clean;
pub mod deadline;
pub mod decode;
pub mod doc;
pub mod docx;
pub mod error;
#[doc(hidden)]
pub mod eval;
pub mod header;
pub mod outline;
mod plan;
pub mod registry;
pub mod sheet;
mod t2s_table;
pub mod tables;
pub mod target;
pub mod vtable;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

pub use deadline::{Deadline, Precision};
pub use error::ImportError;
pub use registry::{Registry, RegistryEntry, is_group};
pub use target::Direction;

/// Inputs above this size are refused with [`ImportError::TooLarge`].
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;

/// Every zip member read (.docx / .xlsx XML parts) is refused with
/// [`ImportError::TooLargeContent`] when it decompresses beyond this size
/// (zip bombs: a 225 KB .docx can expand to 63 MiB).
pub const MAX_ZIP_MEMBER_BYTES: u64 = 24 * 1024 * 1024;

/// All XML members of a zip together may decompress to at most this size.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// A sheet whose non-empty cells span more than this many cells (rows ×
/// columns of their bounding box) is refused with
/// [`ImportError::TooLargeContent`]; cells are read one by one, never as the
/// sheet's declared dimensions.
pub const MAX_SHEET_CELLS: u64 = 2_000_000;

/// Text input with more lines than this is refused with
/// [`ImportError::TooLargeContent`] (`TOO_LARGE`) before it is decoded:
/// lines, not bytes, are what the parser's work grows with (9 MB of one-cell
/// rows are 1.5 M rows). The largest real plan seen has ≈ 500 lines.
/// Text with more commas or tabs than [`MAX_SHEET_CELLS`] is refused alike.
pub const MAX_INPUT_LINES: usize = 200_000;

/// Sheets and tables (.xlsx, CSV, .docx tables) with more non-empty rows
/// than this are refused with [`ImportError::TooManyTasks`] before they are
/// read: every row becomes a task or heading (the margin is for title,
/// header and note rows).
pub const MAX_LIST_ROWS: usize = MAX_TASKS + 200;

/// A parsed plan with more tasks than this is refused with
/// [`ImportError::TooManyTasks`].
pub const MAX_TASKS: usize = 5_000;

/// A reference to an agency (单位) as assigned to a task.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AgencyRef {
    /// Canonical registry name if resolved, else the region-qualified name
    /// as written (`济宁市气象局`), or the group name for generic groups.
    pub name: String,
    /// The name exactly as written in the document.
    pub raw: String,
    /// Resolved in the registry (or a recognised generic group).
    pub confirmed: bool,
}

/// What an entry of the plan is.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Structure or context (总体要求, 指导思想, a chapter grouping tasks).
    Heading,
    /// A task with responsibility (重点任务).
    Task,
    /// A target row of a 目标清单 (指标).
    Target,
    /// A policy to issue, from a 政策清单.
    Policy,
}

/// Something a person should check; never fatal.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Warning {
    /// Stable code: UNKNOWN_AGENCY, LEAD_UNDECIDED, NO_DEADLINE, NO_LEAD,
    /// LEAD_BY_REFERENCE, AMBIGUOUS_SPLIT, NO_REGION, NO_TASKS,
    /// DUPLICATE_CODE.
    pub code: String,
    pub message: String,
    pub task_code: Option<String>,
}

impl Warning {
    pub(crate) fn new(code: &str, message: impl Into<String>, task_code: Option<&str>) -> Warning {
        Warning {
            code: code.to_string(),
            message: message.into(),
            task_code: task_code.map(|s| s.to_string()),
        }
    }
}

/// One entry of the plan outline or of an attached list.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParsedTask {
    pub code: String,
    pub kind: TaskKind,
    /// Index into [`ParsedPlan::tasks`].
    pub parent: Option<usize>,
    pub title: String,
    /// Full text without the title and the responsibility clause.
    pub body: String,
    /// The responsibility clause(s) as written (or a sheet row's agency and
    /// deadline cells), so that no text of the task is lost.
    pub clause_text: String,
    /// 牵头单位 (several when they share the lead).
    pub leads: Vec<AgencyRef>,
    /// 参与 / 配合单位.
    pub participants: Vec<AgencyRef>,
    /// 落实单位 (local governments carrying the task out).
    pub implementers: Vec<AgencyRef>,
    /// Generic groups named in any role (各有关部门, 各县区政府 …).
    pub groups: Vec<String>,
    pub deadline: Option<Deadline>,
    /// A deadline stated relative to the document's issue that could not be
    /// dated (no issue date, or working days), as written (`印发之日起30日内`);
    /// warned as `RELATIVE_DEADLINE`.
    pub relative_deadline: Option<String>,
    /// 持续推进 / 长期坚持: no final deadline, periodic reports instead.
    pub ongoing: bool,
    /// `待国家分工明确后确定`.
    pub lead_undecided: bool,
    pub warnings: Vec<Warning>,
}

/// A quantified target (指标).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParsedTarget {
    /// The task (or heading) whose text states the target.
    pub task_index: Option<usize>,
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    pub direction: Direction,
    pub target_year: Option<i32>,
    /// Baseline year of a relative target (`比2005年下降` → `2005`).
    pub baseline: Option<String>,
    pub leads: Vec<AgencyRef>,
    pub participants: Vec<AgencyRef>,
}

/// A convention of the document the parser detected and applied, and where:
/// shown by the dry run so an office sees why each role was given.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Convention {
    /// FIRST_LISTED_LEAD, STANDING_IMPLEMENTERS, NUMBERING, DEFAULT_DEADLINE,
    /// PLAN_YEAR, RELATIVE_DEADLINE,
    /// LABELLED_FIELDS, TRADITIONAL_CHARACTERS, CELL_PER_LINE_TABLE …
    pub code: String,
    /// What was read, in words (`first-listed lead from 一(三)1 on …`).
    pub description: String,
    /// The task code where it was stated (None: the preamble or the whole
    /// document).
    pub from: Option<String>,
    /// Tasks it was applied to (at most 200 listed).
    pub tasks: Vec<String>,
}

/// The result of parsing a plan document.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParsedPlan {
    pub title: String,
    /// 文号, e.g. `济政字〔2023〕39号`.
    pub document_number: Option<String>,
    pub issuers: Vec<String>,
    pub issue_date: Option<NaiveDate>,
    /// The region names are qualified with (`济宁市`, `浙江省`).
    pub region: Option<String>,
    /// Footnote default (`上表中未注明的，完成时限均为2025年`).
    pub default_deadline: Option<Deadline>,
    pub tasks: Vec<ParsedTask>,
    pub targets: Vec<ParsedTarget>,
    /// All warnings: the plan's own and every task's.
    pub warnings: Vec<Warning>,
    /// SHA-256 (hex) of the normalised clean text: same document, same print.
    pub fingerprint: String,
    /// Agencies not found in the registry (qualified names), deduplicated.
    pub unconfirmed_agencies: Vec<String>,
    /// The conventions detected and where they apply.
    pub conventions: Vec<Convention>,
    /// Text of the document that is neither a heading nor a task: the
    /// preamble before the outline, and every other line the parser did not
    /// read into a task (each run of them also gives a `TEXT_UNREAD`
    /// warning). With the tasks' titles, bodies and clauses this accounts for
    /// every non-blank line of the source: nothing is lost silently.
    pub context: Vec<ContextText>,
}

/// A piece of the document outside the tasks and headings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ContextText {
    /// `preamble` (before the outline), `table_header` (a task table's
    /// header rows and what a sheet reader consumed with them: a title row
    /// other than the plan's title, a `填报单位` line, a row of column
    /// numbers), `table_note` (a table's footnote read for the default
    /// deadline) or `unread` (not read into any task).
    pub kind: String,
    pub text: String,
}

/// What the caller knows about a document that the document may not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The importing office's region (`宜昌市`, `湖北省宜昌市`, `新宾县`): used when
    /// the document names none (a task sheet without a title row), so that
    /// relative names (`市发展改革委`) are qualified. A region the document
    /// names itself wins: an office also imports the plans of its province.
    pub region: Option<String>,
    /// The plan's year as the importing office knows it (`2016`): used when
    /// the document names none (a task sheet without a title row), so that
    /// dates without a year (`12月底前`, `全年`) are read. A year the document
    /// states itself (title, issue date, its number) wins.
    pub plan_year: Option<i32>,
}

/// Parses a document of any supported format from its bytes.
pub fn parse_bytes(bytes: &[u8], registry: &Registry) -> Result<ParsedPlan, ImportError> {
    parse_bytes_with(bytes, registry, &ParseOptions::default())
}

/// [`parse_bytes`] with what the caller knows ([`ParseOptions`]).
pub fn parse_bytes_with(
    bytes: &[u8],
    registry: &Registry,
    options: &ParseOptions,
) -> Result<ParsedPlan, ImportError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ImportError::TooLarge(bytes.len(), MAX_INPUT_BYTES));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::EmptyDocument);
    }
    let format = decode::detect_format(bytes)?;
    match format {
        decode::Format::Text => bounds::check_text_shape(bytes, MAX_INPUT_LINES, MAX_SHEET_CELLS)?,
        decode::Format::Docx | decode::Format::Xlsx => {
            docx::check_zip_bounds(bytes, MAX_ZIP_MEMBER_BYTES, MAX_ZIP_TOTAL_BYTES)?
        }
        // Bounded while it is read (doc::DocBounds).
        decode::Format::Doc => {}
    }
    let blocks = match format {
        decode::Format::Docx => docx::read_docx(bytes)?,
        decode::Format::Doc => doc::read_doc(bytes)?,
        decode::Format::Xlsx => sheet::read_xlsx(bytes)?
            .into_iter()
            .map(|(_, grid)| docx::Block::Grid(grid))
            .collect(),
        decode::Format::Text => {
            let text = decode::decode_text(bytes)?;
            if text.trim().is_empty() {
                return Err(ImportError::EmptyDocument);
            }
            text_blocks(&text)?
        }
    };
    bounds::check_blocks(&blocks, MAX_INPUT_LINES, MAX_LIST_ROWS)?;
    let plan = plan::build_plan(blocks, registry, options);
    if plan.tasks.len() > MAX_TASKS {
        return Err(ImportError::TooManyTasks(plan.tasks.len(), MAX_TASKS));
    }
    if plan.tasks.is_empty() && plan.fingerprint == plan::EMPTY_FINGERPRINT {
        return Err(ImportError::EmptyDocument);
    }
    if !plan.tasks.iter().any(|t| t.kind != TaskKind::Heading) {
        return Err(ImportError::NoTasks);
    }
    Ok(plan)
}

/// The blocks of a text: one grid if it is a CSV/TSV task sheet (a grid of
/// more than [`MAX_SHEET_CELLS`] cells is refused), else the text.
fn text_blocks(text: &str) -> Result<Vec<docx::Block>, ImportError> {
    // Sheets are detected on the raw text: normalisation would turn tabs
    // into spaces and full-width commas into field separators.
    let raw = text.trim_start_matches('\u{feff}');
    if let Some((grid, _)) = sheet::csv_task_list_capped(raw, MAX_SHEET_CELLS)? {
        return Ok(vec![docx::Block::Grid(grid)]);
    }
    Ok(vec![docx::Block::Text(text.to_string())])
}

/// Parses plain text (a CSV/TSV task sheet is recognised by its header).
pub fn parse_text(text: &str, registry: &Registry) -> ParsedPlan {
    parse_text_with(text, registry, &ParseOptions::default())
}

/// [`parse_text`] with what the caller knows ([`ParseOptions`]).
pub fn parse_text_with(text: &str, registry: &Registry, options: &ParseOptions) -> ParsedPlan {
    // A grid past the cell cap is read as prose here: this entry point has
    // no error to give (`parse_bytes` refuses it with TOO_LARGE).
    let blocks = text_blocks(text).unwrap_or_else(|_| vec![docx::Block::Text(text.to_string())]);
    plan::build_plan(blocks, registry, options)
}

fn agency_names(v: &[AgencyRef]) -> Value {
    Value::Array(v.iter().map(|a| Value::String(a.name.clone())).collect())
}

fn precision_str(p: Precision) -> &'static str {
    match p {
        Precision::Year => "year",
        Precision::Month => "month",
        Precision::Day => "day",
    }
}

impl ParsedPlan {
    /// The JSON object printed by the CLI: canonical agency names, ISO dates,
    /// snake_case enums.
    pub fn to_cli_json(&self) -> Value {
        let tasks: Vec<Value> = self
            .tasks
            .iter()
            .map(|t| {
                json!({
                    "code": t.code,
                    "kind": t.kind,
                    "parent": t.parent.and_then(|p| self.tasks.get(p)).map(|p| p.code.clone()),
                    "title": t.title,
                    "leads": agency_names(&t.leads),
                    "participants": agency_names(&t.participants),
                    "implementers": agency_names(&t.implementers),
                    "groups": t.groups,
                    "deadline": t.deadline.map(|d| d.date.to_string()),
                    "precision": t.deadline.map(|d| precision_str(d.precision)),
                    "ongoing": t.ongoing,
                    "lead_undecided": t.lead_undecided,
                })
            })
            .collect();
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|g| {
                json!({
                    "task_code": g.task_index.and_then(|i| self.tasks.get(i)).map(|t| t.code.clone()),
                    "indicator": g.indicator,
                    "value": g.value,
                    "unit": g.unit,
                    "direction": g.direction,
                    "target_year": g.target_year,
                    "baseline": g.baseline,
                    "leads": agency_names(&g.leads),
                    "participants": agency_names(&g.participants),
                })
            })
            .collect();
        json!({
            "title": self.title,
            "document_number": self.document_number,
            "issuers": self.issuers,
            "issue_date": self.issue_date.map(|d| d.to_string()),
            "region": self.region,
            "default_deadline": self.default_deadline.map(|d| d.date.to_string()),
            "fingerprint": self.fingerprint,
            "tasks": tasks,
            "targets": targets,
            "warnings": self.warnings,
            "unconfirmed_agencies": self.unconfirmed_agencies,
            "conventions": self.conventions,
            "context": self.context,
        })
    }
}

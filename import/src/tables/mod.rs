//! Flattened tables (附件清单 copied out of a PDF or web page): the cells of a
//! table run together into one line, e.g.
//!
//! ```text
//! 一、目标清单序号指标目标牵头单位参与单位1主要污染物总量减排完成国家下达的控制
//! 目标。省生态环境厅省经信厅、省交通运输厅2单位GDP二氧化碳排放……—15—序号指标目标
//! 牵头单位参与单位6创建20个创新城市……注:上表中未注明的,完成时限均为2025年。
//! ```
//!
//! Rows are found by their running numbers (序号): row n+1 starts where the
//! number n+1 follows the end of row n's agency cells. The agency cells are
//! the longest tail of the row that reads as agency names and clause phrases;
//! the boundary between the lead and participant columns is where two names
//! touch without a separator (`省生态环境厅省发展改革委`) or follows
//! `按职责分工负责` / `待国家分工明确后确定`. Repeated page headers and page marks
//! (`—19—`) are cell boundaries: text after them continues the row's task.

mod find;
mod rows;
mod scan;
#[cfg(test)]
mod tests;

pub use find::*;
pub use rows::*;
use scan::*;

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::clause::{MAX_LIST_CHARS, split_list};
use crate::clean::PAGE_MARK;
use crate::deadline::{Deadline, find_default_deadline};
use crate::outline::{cn_number, numeral};
use crate::registry::{Region, Registry, norm_key};

/// What a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// 目标清单 / 指标: quantified targets.
    Target,
    /// 任务清单: work tasks.
    Task,
    /// 政策清单: policies to issue.
    Policy,
}

impl ListKind {
    /// Prefix of row codes (`目标3`, `任务12`, `政策1`).
    pub fn code_prefix(self) -> &'static str {
        match self {
            ListKind::Target => "目标",
            ListKind::Task => "任务",
            ListKind::Policy => "政策",
        }
    }
}

/// A data row of a list with raw (unresolved) agency names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListRow {
    pub number: u32,
    /// The row's 序号 as the document writes it (`1`, `(一)`, `1.1`; sheet
    /// input only): the task's code. None: the row has no 序号 of its own
    /// and is coded by its list's prefix and running number (`任务3`).
    pub label: Option<String>,
    pub text: String,
    pub leads: Vec<String>,
    pub participants: Vec<String>,
    /// 落实单位 (sheet input only).
    pub implementers: Vec<String>,
    pub standing: Vec<String>,
    pub lead_undecided: bool,
    pub by_reference: bool,
    /// More agency columns than the table has, or a row number skipped.
    pub ambiguous: Option<String>,
    /// Explicit deadline cell (sheet input only).
    pub deadline_cell: Option<String>,
    /// The row's agency and deadline cells as written (sheet input only):
    /// its clause text, for the accounting (a lead cell `A牵头，B配合` or
    /// `待国家分工明确后确定` is read, though no name keeps its words).
    pub role_cells: Vec<String>,
    /// A cell or row was longer than [`MAX_LIST_CHARS`]; only its beginning
    /// was read for agency names.
    pub truncated: bool,
}

/// An item of a list in document order.
#[derive(Clone, Debug, PartialEq)]
pub enum ListItem {
    /// A grouping heading inside the list (`一、加强源头防控`, `(一)…`).
    Heading {
        level: u8,
        number: u32,
        title: String,
    },
    Row(ListRow),
}

/// A list (flattened table, sheet or docx table) of tasks, targets or policies.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskList {
    pub kind: ListKind,
    pub items: Vec<ListItem>,
    pub default_deadline: Option<Deadline>,
    /// Byte range of the list in the text it was found in.
    pub range: Range<usize>,
    /// Text inside the list that no row could take (reported, not silent).
    pub dropped: Option<String>,
    /// Rows the list reader consumed on purpose that became no task or
    /// heading (sheet input only): the header rows and what stands above
    /// them (`table_header`), a footnote read for the default deadline
    /// (`table_note`). Accounted for as context, not as unread text.
    pub context: Vec<crate::ContextText>,
}

fn header_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            r"序号\s*(指标名称|指标|工作任务|具体内容|主要任务|重点任务|任务内容|任务名称|工作内容|目标任务|任务)\s*",
            r"(目标值|目标)?\s*(牵头单位|牵头部门|责任单位|责任部门)\s*",
            r"(参与单位|配合单位|配合部门|协办单位|参与部门)?\s*(完成时限|完成时间|时间节点|时限要求)?"
        ))
        .expect("static regex")
    })
}

/// Does the text contain a list header row (`序号 工作任务 牵头单位 …`)?
pub fn contains_list_header(s: &str) -> bool {
    header_re().is_match(s)
}

fn list_title_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"([一二三四五六七八九十]{1,3})\s*[、.]\s*([\p{Han}]{0,12}清单)\s*$")
            .expect("static regex")
    })
}

fn footnote_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            r"(?:注\s*[:：]?\s*(?:上表中|表中|本表中?|以上|上述)?|上表中|表中|本表中?)",
            r"未(?:注明|标明|列明|明确|标注)[^。\n]{0,40}。?"
        ))
        .expect("static regex")
    })
}

fn attachment_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"附件\s*\d").expect("static regex"))
}

fn standing_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^以下(?:各项工作|各项任务|任务)?均(?:需|由)(.{1,200}?)(?:负责)?落实[,，]?(?:以下)?不再(?:一一)?列出")
            .expect("static regex")
    })
}

fn undecided_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^待[^,，。;；]{0,12}明确后(?:再)?确定").expect("static regex"))
}

fn reference_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:具体)?参照《[^》]{0,80}》(?:的)?(?:职责)?分工").expect("static regex")
    })
}

fn coshare_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^(?:按照?职责分工负责|分工负责|牵头负责|负责|牵头)").expect("static regex")
    })
}

fn year_at_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^(?:19|20)\d{2}\s*年").expect("static regex"))
}

fn deadline_cell_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:(?:20\d{2})\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?",
            r"(?:底|末|年底|年末|上半年|下半年|前后)?(?:前|以前|之前)?(?:完成)?",
            r"|长期坚持|持续推进|长期推进|持续实施|长期)"
        ))
        .expect("static regex")
    })
}

fn etc_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"^等(?:省级|市级|县级)?(?:相关|有关)?(?:部门|单位)?").expect("static regex")
    })
}

fn generic_agency_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:(?:省|市|县)(?:[\p{Han}&&[^省市县案的为将对与等]]|市场){1,12}?(?:委员会|办公室|厅|局|委|办|中心|集团|公司)",
            r"|(?:国网|国铁|中国人民银行|人民银行|人行|国家)[\p{Han}]{2,16}?(?:公司|中心支行|分行|支行|分局|局|段|办事处)",
            r"|各[\p{Han}]{1,10}?(?:政府|管委会|部门|单位))"
        ))
        .expect("static regex")
    })
}

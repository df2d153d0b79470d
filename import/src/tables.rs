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

/// Context for recognising agency names while scanning.
struct Scan<'a> {
    region: &'a Region,
    registry: &'a Registry,
    first_chars: std::collections::HashSet<char>,
}

impl<'a> Scan<'a> {
    fn new(region: &'a Region, registry: &'a Registry) -> Scan<'a> {
        let mut first_chars: std::collections::HashSet<char> = [
            '省', '市', '县', '各', '国', '人', '中', '待', '具', '参', '以',
        ]
        .into_iter()
        .collect();
        for e in registry.entries() {
            for s in std::iter::once(&e.name)
                .chain(e.aliases.iter())
                .chain(e.short_name.iter())
            {
                if let Some(c) = s.chars().next() {
                    first_chars.insert(c);
                }
            }
        }
        Scan {
            region,
            registry,
            first_chars,
        }
    }

    /// Length in bytes of an agency name starting at `s[pos..]`.
    fn agency_at(&self, s: &str, pos: usize) -> Option<usize> {
        let rest = &s[pos..];
        let first = rest.chars().next()?;
        if !self.first_chars.contains(&first) {
            return None;
        }
        // Registry spellings, longest first.
        let ends: Vec<usize> = rest
            .char_indices()
            .skip(1)
            .map(|(i, _)| i)
            .chain(std::iter::once(rest.len()))
            .take(self.registry.max_chars().max(3))
            .collect();
        for &end in ends.iter().rev() {
            if rest[..end].chars().count() < 3 {
                break;
            }
            let cand = &rest[..end];
            if !self.registry.could_end(cand) {
                continue;
            }
            if self.registry.lookup(&self.region.qualify(cand)).is_some()
                || self.registry.lookup(cand).is_some()
            {
                return Some(end);
            }
        }
        generic_agency_re().find(rest).map(|m| m.end())
    }

    /// Does an agency name (or a clause phrase) end exactly at `end`?
    fn block_ends_at(&self, s: &str, end: usize) -> bool {
        let mut head = s[..end].trim_end_matches([PAGE_MARK, ' ', '\n']);
        // A parenthetical after a name: `省发展改革委(省能源局)`.
        if head.ends_with(')')
            && let Some(open) = head.rfind('(')
        {
            head = &head[..open];
        }
        for phrase in [
            "负责",
            "确定",
            "职责分工",
            "不再列出",
            "牵头",
            "相关部门",
            "有关部门",
            "相关单位",
            "有关单位",
        ] {
            if head.ends_with(phrase) {
                return true;
            }
        }
        // Registry names ending here.
        let starts: Vec<usize> = head
            .char_indices()
            .rev()
            .take(self.registry.max_chars().max(3))
            .map(|(i, _)| i)
            .collect();
        for &st in starts.iter().filter(|_| self.registry.could_end(head)) {
            let cand = &head[st..];
            if cand.chars().count() < 3 {
                continue;
            }
            if self.registry.lookup(&self.region.qualify(cand)).is_some()
                || self.registry.lookup(cand).is_some()
            {
                return true;
            }
        }
        // Generic: a name of the usual shape ending here.
        for &st in &starts {
            if let Some(m) = generic_agency_re().find(&head[st..])
                && st + m.end() == head.len()
            {
                return true;
            }
        }
        false
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Agency(String),
    Sep,
    /// Blank between cells: a column boundary in a table pasted one row per
    /// line, a mere separator otherwise.
    Space,
    CoShare,
    Undecided,
    Reference,
    Standing(Vec<String>),
    Etc,
    /// A trailing deadline cell (`2025年底前`, `长期坚持`).
    Deadline(String),
}

/// Tokenises `s[start..]` completely as agency cells, or fails.
fn tokenize_block(scan: &Scan, s: &str, start: usize) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut pos = start;
    while pos < s.len() {
        let rest = &s[pos..];
        let c = rest.chars().next()?;
        if c == ' ' || c == '\t' {
            toks.push(Tok::Space);
            pos += c.len_utf8();
            continue;
        }
        if matches!(c, '、' | ',' | ';' | '，') {
            toks.push(Tok::Sep);
            pos += c.len_utf8();
            continue;
        }
        if let Some(m) = standing_re().captures(rest) {
            toks.push(Tok::Standing(split_list(&m[1])));
            pos += m.get(0)?.end();
            continue;
        }
        if let Some(m) = undecided_re().find(rest) {
            toks.push(Tok::Undecided);
            pos += m.end();
            continue;
        }
        if let Some(m) = reference_re().find(rest) {
            toks.push(Tok::Reference);
            pos += m.end();
            continue;
        }
        if let Some(len) = scan.agency_at(s, pos) {
            let mut end = pos + len;
            // Attached parenthetical: alias or note.
            if s[end..].starts_with('(')
                && let Some(close) = s[end..].find(')')
                && s[end..end + close].chars().count() <= 30
            {
                end += close + 1;
            }
            toks.push(Tok::Agency(s[pos..end].to_string()));
            pos = end;
            continue;
        }
        if let Some(m) = deadline_cell_re().find(rest)
            && !toks.is_empty()
            && rest[m.end()..]
                .chars()
                .all(|c| matches!(c, ' ' | '\n' | PAGE_MARK | '。' | '.'))
        {
            toks.push(Tok::Deadline(m.as_str().to_string()));
            pos = s.len();
            continue;
        }
        if let Some(m) = coshare_re().find(rest)
            && !toks.is_empty()
        {
            toks.push(Tok::CoShare);
            pos += m.end();
            continue;
        }
        if let Some(m) = etc_re().find(rest)
            && !toks.is_empty()
            && m.end() > 0
        {
            toks.push(Tok::Etc);
            pos += m.end();
            continue;
        }
        return None;
    }
    if toks
        .iter()
        .any(|t| matches!(t, Tok::Agency(_) | Tok::Undecided | Tok::Reference))
    {
        Some(toks)
    } else {
        None
    }
}

/// The agency cells at the end of a row part: (start byte, tokens). Only
/// the last [`MAX_LIST_CHARS`] chars are tried as a block start, which keeps
/// the scan bounded on a huge row.
fn find_block(scan: &Scan, part: &str) -> Option<(usize, Vec<Tok>)> {
    let n = part.chars().count();
    let skip = n.saturating_sub(MAX_LIST_CHARS);
    for (i, _) in part.char_indices().skip(skip) {
        if let Some(toks) = tokenize_block(scan, part, i)
            && matches!(
                toks.first(),
                Some(Tok::Agency(_) | Tok::Undecided | Tok::Reference)
            )
        {
            return Some((i, toks));
        }
    }
    None
}

/// Splits block tokens into columns: lead column, participant column and
/// anything beyond (ambiguous).
fn columns(toks: &[Tok], row: &mut ListRow, single_column: bool, space_columns: bool) {
    let mut col = 0usize;
    let mut prev_named = false; // previous token ends a name or phrase
    for t in toks {
        match t {
            Tok::Sep | Tok::Etc => prev_named = false,
            Tok::Space => {
                if !space_columns {
                    prev_named = false;
                }
            }
            Tok::Deadline(d) => {
                row.deadline_cell = Some(d.clone());
            }
            Tok::CoShare => prev_named = true,
            Tok::Standing(names) => {
                row.standing.extend(names.iter().cloned());
                prev_named = true;
            }
            Tok::Agency(_) | Tok::Undecided | Tok::Reference => {
                if prev_named && !single_column {
                    col += 1;
                }
                match t {
                    Tok::Agency(a) => {
                        if col == 0 || single_column {
                            row.leads.push(a.clone());
                        } else {
                            if col > 1 && row.ambiguous.is_none() {
                                row.ambiguous =
                                    Some(format!("more than two agency columns near {a}"));
                            }
                            row.participants.push(a.clone());
                        }
                    }
                    Tok::Undecided if col == 0 => {
                        row.lead_undecided = true;
                    }
                    Tok::Reference if col == 0 => {
                        row.by_reference = true;
                    }
                    _ => {}
                }
                prev_named = true;
            }
        }
    }
}

/// Finds the flattened lists of a text. The text is the cleaned document
/// joined with `\n`; ranges returned refer to it.
pub fn find_flat_lists(text: &str, region: &Region, registry: &Registry) -> Vec<TaskList> {
    let headers: Vec<(usize, usize, bool)> = header_re()
        .find_iter(text)
        .map(|m| {
            let before = text[..m.start()].trim_end_matches(' ');
            let continuation = before.ends_with(PAGE_MARK);
            // The header's trailing blanks (and line break) are not its own.
            (
                m.start(),
                m.start() + m.as_str().trim_end().len(),
                continuation,
            )
        })
        .collect();
    if headers.is_empty() {
        return Vec::new();
    }
    let scan = Scan::new(region, registry);
    let starts: Vec<usize> = headers.iter().filter(|h| !h.2).map(|h| h.0).collect();
    let mut lists = Vec::new();
    for (k, &(hstart, hend, cont)) in headers.iter().enumerate() {
        if cont {
            continue;
        }
        let header_text = &text[hstart..hend];
        let before = &text[..hstart];
        let (kind, list_start) = match list_title_re().captures(before) {
            Some(c) => {
                let title = &c[2];
                let kind = if title.contains("目标") || title.contains("指标") {
                    ListKind::Target
                } else if title.contains("政策") {
                    ListKind::Policy
                } else {
                    ListKind::Task
                };
                (kind, c.get(0).map_or(hstart, |m| m.start()))
            }
            None => {
                let kind = if header_text.contains("指标") {
                    ListKind::Target
                } else if header_text.contains("具体内容") && !header_text.contains("参与") {
                    ListKind::Policy
                } else {
                    ListKind::Task
                };
                (kind, hstart)
            }
        };
        // The list ends at the next list's title/header, a footnote, an
        // attachment mark or the end of the line.
        let next_start = starts
            .iter()
            .copied()
            .find(|&s| s > hstart)
            .unwrap_or(text.len());
        let next_start = match list_title_re().captures(&text[..next_start]) {
            Some(c) if next_start < text.len() => c.get(0).map_or(next_start, |m| m.start()),
            _ => next_start,
        };
        let mut end = next_start;
        let mut multiline = false;
        if let Some(nl) = text[hend..end].find('\n') {
            let line_end = hend + nl;
            // A table pasted one row per line: the header's own line holds no
            // row, so the list runs over the following lines.
            let line = &text[hend..line_end];
            let one_line_rows = !line.trim().is_empty()
                && !line.trim_start().starts_with('注')
                && parse_rows(&scan, line, true, false)
                    .0
                    .iter()
                    .any(|i| matches!(i, ListItem::Row(_)));
            end = if one_line_rows {
                line_end
            } else {
                multiline = true;
                multiline_end(text, line_end + 1, end)
            };
        }
        if let Some(m) = attachment_re().find(&text[hend..end]) {
            end = hend + m.start();
        }
        let mut default_deadline = None;
        let mut body_end = end;
        if let Some(m) = footnote_re().find(&text[hend..end]) {
            default_deadline = find_default_deadline(m.as_str());
            body_end = hend + m.start();
            end = hend + m.end();
        }
        let _ = k;
        let single_column = !header_text.contains("参与")
            && !header_text.contains("配合")
            && !header_text.contains("协办");
        // Page headers inside the list become cell boundaries.
        let mut body = text[hend..body_end].to_string();
        body = header_re()
            .replace_all(&body, PAGE_MARK.to_string().as_str())
            .into_owned();
        let (items, dropped) = parse_rows(&scan, &body, single_column, multiline);
        if items.iter().any(|i| matches!(i, ListItem::Row(_))) {
            lists.push(TaskList {
                kind,
                items,
                default_deadline,
                range: list_start..end,
                dropped,
            });
        }
    }
    lists
}

fn row_line_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\s*(\d{1,3})(?:[^\d%.．]|$)").expect("static regex"))
}

/// End of a list written one row per line, starting at `from` (the line
/// after the header) and not beyond `limit`. Lines are rows (`3 …`),
/// grouping headings (`一、…` / `(一)…` followed by the next row), repeated
/// header lines or continuations of a wrapped cell. The list ends after a
/// footnote (`注：…`), before an attachment mark, a 清单 title or a chapter
/// heading that is not followed by the next row number.
fn multiline_end(text: &str, from: usize, limit: usize) -> usize {
    let mut pos = from;
    let mut next_row = 1u32;
    while pos < limit {
        let le = text[pos..limit].find('\n').map_or(limit, |i| pos + i);
        let line = text[pos..le].trim_matches([' ', PAGE_MARK]);
        if line.is_empty() || header_re().find(line).is_some_and(|m| m.start() == 0) {
            pos = le + 1;
            continue;
        }
        if footnote_re().find(line).is_some_and(|m| m.start() <= 3) {
            return le;
        }
        if attachment_re().find(line).is_some_and(|m| m.start() == 0)
            || list_title_re().is_match(line)
        {
            return pos;
        }
        if let Some(c) = row_line_re().captures(line) {
            let n: u32 = c[1].parse().unwrap_or(0);
            if n == next_row || n == next_row + 1 {
                next_row = n + 1;
                pos = le + 1;
                continue;
            }
        }
        if chapter_at_re().is_match(line) || section_at_re().is_match(line) {
            // A grouping heading inside the list is followed (within a few
            // lines) by the next row; a chapter of the body is not.
            let rest = &text[le.min(limit)..limit];
            let groups = rest
                .split('\n')
                .map(|l| l.trim_matches([' ', PAGE_MARK]))
                .filter(|l| !l.is_empty())
                .take(3)
                .take_while(|l| {
                    !row_line_re().is_match(l)
                        && (chapter_at_re().is_match(l) || section_at_re().is_match(l))
                })
                .count();
            let following = rest
                .split('\n')
                .map(|l| l.trim_matches([' ', PAGE_MARK]))
                .filter(|l| !l.is_empty())
                .nth(groups);
            let continues = following
                .and_then(|l| row_line_re().captures(l))
                .and_then(|c| c[1].parse::<u32>().ok())
                .is_some_and(|n| n == next_row);
            if !continues {
                return pos;
            }
        }
        pos = le + 1;
    }
    limit.min(text.len())
}

fn chapter_at_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^([一二三四五六七八九十]{1,3})、").expect("static regex"))
}
fn section_at_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\(([一二三四五六七八九十]{1,3})\)").expect("static regex"))
}

fn skip_marks(body: &str, mut pos: usize) -> usize {
    while pos < body.len() {
        let c = body[pos..].chars().next().unwrap_or(' ');
        if c == PAGE_MARK || c == ' ' || c == '\n' {
            pos += c.len_utf8();
        } else {
            break;
        }
    }
    pos
}

/// Splits a list body into headings and rows by the running row numbers.
fn parse_rows(
    scan: &Scan,
    body: &str,
    single_column: bool,
    space_columns: bool,
) -> (Vec<ListItem>, Option<String>) {
    let mut dropped = None;
    let mut items = Vec::new();
    let mut pos = 0usize;
    let mut expected = 1u32;
    let mut last_ch = 0u32;
    let mut last_sec = 0u32;
    let mut guard = 0;
    while pos < body.len() && guard < 100_000 {
        guard += 1;
        pos = skip_marks(body, pos);
        if pos >= body.len() {
            break;
        }
        // Headings before the row.
        let mut progressed = true;
        while progressed {
            progressed = false;
            pos = skip_marks(body, pos);
            let rest = &body[pos..];
            let head = chapter_at_re()
                .captures(rest)
                .and_then(|c| cn_number(&c[1]).map(|n| (1u8, n, c.get(0).map_or(0, |m| m.end()))))
                .filter(|(_, n, _)| *n == last_ch + 1)
                .or_else(|| {
                    section_at_re()
                        .captures(rest)
                        .and_then(|c| {
                            cn_number(&c[1]).map(|n| (2u8, n, c.get(0).map_or(0, |m| m.end())))
                        })
                        .filter(|(_, n, _)| *n == last_sec + 1 || *n == 1)
                });
            if let Some((level, n, mlen)) = head {
                let after = pos + mlen;
                // Title runs to the next section marker or the row number.
                let num = expected.to_string();
                let mut tend = body.len();
                if let Some(i) = body[after..].find(num.as_str()) {
                    tend = tend.min(after + i);
                }
                if level == 1
                    && let Some(i) = body[after..].find('(')
                {
                    tend = tend.min(after + i);
                }
                if let Some(i) = body[after..].find([PAGE_MARK, '\n']) {
                    tend = tend.min(after + i);
                }
                let title = body[after..tend].trim().to_string();
                if level == 1 {
                    last_ch = n;
                } else {
                    last_sec = n;
                }
                items.push(ListItem::Heading {
                    level,
                    number: n,
                    title,
                });
                pos = tend;
                progressed = true;
            }
        }
        pos = skip_marks(body, pos);
        let num = expected.to_string();
        let mut note = None;
        if !body[pos..].starts_with(num.as_str()) {
            // Garbled numbering: resynchronise on the next plausible number.
            match body[pos..].find(num.as_str()) {
                Some(i) => {
                    note = Some(format!("text before row {expected} was skipped"));
                    pos += i;
                }
                None => {
                    let rest: String = body[pos..].chars().filter(|&c| c != PAGE_MARK).collect();
                    let rest = rest.trim();
                    if rest.chars().any(|c| c > '\u{2e80}') {
                        dropped = Some(rest.chars().take(60).collect());
                    }
                    break;
                }
            }
        }
        let row_start = pos + num.len();
        let row_end = next_row_start(scan, body, row_start, expected, last_ch, last_sec);
        let row_text = &body[row_start..row_end];
        let mut row = build_row(scan, expected, row_text, single_column, space_columns);
        if row.ambiguous.is_none() {
            row.ambiguous = note;
        }
        items.push(ListItem::Row(row));
        expected += 1;
        pos = row_end;
    }
    (items, dropped)
}

/// Where the row after `n` starts: the number n+1 (or the next expected
/// heading) right after the end of an agency cell or a sentence.
fn next_row_start(
    scan: &Scan,
    body: &str,
    from: usize,
    n: u32,
    last_ch: u32,
    last_sec: u32,
) -> usize {
    let next = (n + 1).to_string();
    let ch_marker = format!("{}、", numeral(last_ch + 1));
    let sec_marker = format!("({})", numeral(last_sec + 1));
    let mut search = from;
    while search < body.len() {
        // Earliest candidate among the row number and heading markers.
        let cands = [
            body[search..].find(next.as_str()).map(|i| (search + i, 0)),
            body[search..]
                .find(ch_marker.as_str())
                .map(|i| (search + i, 1)),
            body[search..]
                .find(sec_marker.as_str())
                .map(|i| (search + i, 2)),
        ];
        let Some((q, what)) = cands.iter().flatten().min().copied() else {
            return body.len();
        };
        let prev = body[..q]
            .trim_end_matches([PAGE_MARK, ' '])
            .chars()
            .next_back();
        let after_sentence = matches!(prev, Some('。'));
        let line_start = body[..q].trim_end_matches([' ', PAGE_MARK]).ends_with('\n');
        let ok = if what == 0 {
            let prev_digit = body[..q]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit());
            let next_char = body[q + next.len()..].chars().next();
            // `2025年底前` in a deadline cell is a year, not row 2.
            let year_here = year_at_re().is_match(&body[q..]);
            !prev_digit
                && !year_here
                && (scan.block_ends_at(body, q)
                    || ((after_sentence || line_start)
                        && next_char.is_some_and(|c| {
                            !c.is_ascii_digit() && c != '%' && c != '年' && c != '个'
                        })))
        } else {
            scan.block_ends_at(body, q)
                || after_sentence
                || line_start
                || body[..q].ends_with(PAGE_MARK)
        };
        if ok && q > from {
            return q;
        }
        let step = body[q..].chars().next().map_or(1, |c| c.len_utf8());
        search = q + step;
    }
    body.len()
}

/// Builds a row from its text: task text and agency cells.
fn build_row(
    scan: &Scan,
    number: u32,
    text: &str,
    single_column: bool,
    space_columns: bool,
) -> ListRow {
    let mut row = ListRow {
        number,
        ..ListRow::default()
    };
    let parts: Vec<&str> = text.split([PAGE_MARK, '\n']).collect();
    let mut texts: Vec<String> = Vec::new();
    let mut found = false;
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if !found && let Some((start, toks)) = find_block(scan, part) {
            columns(&toks, &mut row, single_column, space_columns);
            found = true;
            let t = part[..start].trim();
            if !t.is_empty() {
                texts.push(t.to_string());
            }
            continue;
        }
        texts.push(part.to_string());
    }
    row.text = texts.concat();
    row
}

/// Normalised header cell name used by sheets (see `sheet.rs`).
pub fn header_key(cell: &str) -> String {
    norm_key(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        let names = [
            "浙江省生态环境厅",
            "浙江省经济和信息化厅",
            "浙江省交通运输厅",
            "浙江省发展和改革委员会",
            "浙江省能源局",
            "浙江省住房和城乡建设厅",
        ];
        let mut entries: Vec<crate::RegistryEntry> = names
            .iter()
            .map(|n| crate::RegistryEntry {
                name: n.to_string(),
                short_name: None,
                aliases: vec![],
                level: "province".into(),
                kind: "department".into(),
                parent: None,
            })
            .collect();
        entries[1].aliases.push("浙江省经信厅".into());
        entries[3].aliases.push("浙江省发展改革委".into());
        entries[5].aliases.push("浙江省建设厅".into());
        Registry::from_entries(entries)
    }

    fn zj() -> Region {
        Region {
            province: Some("浙江省".into()),
            ..Region::default()
        }
    }

    fn rows(lists: &[TaskList]) -> Vec<&ListRow> {
        lists
            .iter()
            .flat_map(|l| l.items.iter())
            .filter_map(|i| match i {
                ListItem::Row(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn splits_run_together_columns() {
        let text = "一、目标清单序号指标目标牵头单位参与单位1主要污染物总量减排完成控制目标。省生态环境厅省经信厅、省交通运输厅2风光装机实现倍增。省发展改革委、省能源局3打造60个标杆项目。省生态环境厅、省发展改革委(省能源局)按职责分工负责省建设厅4编制清单(完成期限为2023年)。待国家分工明确后确定省经信厅注:上表中未注明的,完成时限均为2025年。";
        let lists = find_flat_lists(text, &zj(), &reg());
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].kind, ListKind::Target);
        assert_eq!(
            lists[0].default_deadline.unwrap().date.to_string(),
            "2025-12-31"
        );
        let r = rows(&lists);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].leads, ["省生态环境厅"]);
        assert_eq!(r[0].participants, ["省经信厅", "省交通运输厅"]);
        assert_eq!(r[1].leads, ["省发展改革委", "省能源局"]);
        assert!(r[1].participants.is_empty());
        assert_eq!(r[2].leads, ["省生态环境厅", "省发展改革委(省能源局)"]);
        assert_eq!(r[2].participants, ["省建设厅"]);
        assert!(r[3].lead_undecided);
        assert_eq!(r[3].participants, ["省经信厅"]);
        assert_eq!(r[3].text, "编制清单(完成期限为2023年)。");
    }

    #[test]
    fn page_break_inside_a_row() {
        let text = "二、任务清单序号工作任务牵头单位参与单位一、加强源头防控(一)强化管控1统筹考虑要求,完善能源基础省发展改革委(省能源局)省经信厅—19—序号工作任务牵头单位参与单位设施建设。二、推进协同控制(二)推进发展2聚焦行业开展协同。省生态环境厅省经信厅".to_string()
        .replace("—19—", &PAGE_MARK.to_string());
        let lists = find_flat_lists(&text, &zj(), &reg());
        assert_eq!(lists.len(), 1);
        let items = &lists[0].items;
        assert!(
            matches!(&items[0], ListItem::Heading { level: 1, title, .. } if title == "加强源头防控")
        );
        assert!(
            matches!(&items[1], ListItem::Heading { level: 2, title, .. } if title == "强化管控")
        );
        let r = rows(&lists);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "统筹考虑要求,完善能源基础设施建设。");
        assert_eq!(r[0].leads, ["省发展改革委(省能源局)"]);
        assert_eq!(r[0].participants, ["省经信厅"]);
        assert_eq!(r[1].leads, ["省生态环境厅"]);
    }

    #[test]
    fn table_pasted_one_row_per_line() {
        let text = "二、任务清单\n序号 工作任务 牵头单位 配合单位 完成时限\n一、加强源头防控\n1 推进能源基础设施建设。 省发展改革委 省经信厅 2025年底前\n2 完善交通运输结构，\n推动公转铁。 省交通运输厅 省生态环境厅、省建设厅 2024年6月底前\n二、推进协同控制\n3 开展减污降碳协同创新。 省生态环境厅 省经信厅 长期坚持\n注：表中未注明时限的，均于2025年底前完成。\n三、保障措施\n(一)加强组织领导。";
        let lists = find_flat_lists(text, &zj(), &reg());
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].kind, ListKind::Task);
        assert_eq!(
            lists[0].default_deadline.unwrap().date.to_string(),
            "2025-12-31"
        );
        // The list stops at the footnote: the body chapter stays outside.
        assert!(text[lists[0].range.end..].contains("三、保障措施"));
        let headings = lists[0]
            .items
            .iter()
            .filter(|i| matches!(i, ListItem::Heading { .. }))
            .count();
        assert_eq!(headings, 2);
        let r = rows(&lists);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].text, "推进能源基础设施建设。");
        assert_eq!(r[0].leads, ["省发展改革委"]);
        assert_eq!(r[0].participants, ["省经信厅"]);
        assert_eq!(r[0].deadline_cell.as_deref(), Some("2025年底前"));
        assert_eq!(
            r[1].text,
            "完善交通运输结构,推动公转铁。".replace(',', "，")
        );
        assert_eq!(r[1].participants, ["省生态环境厅", "省建设厅"]);
        assert_eq!(r[1].deadline_cell.as_deref(), Some("2024年6月底前"));
        assert_eq!(r[2].deadline_cell.as_deref(), Some("长期坚持"));
    }

    #[test]
    fn text_no_row_takes_is_reported() {
        let text = "序号 工作任务 牵头单位\n1 推进A。 省发展改革委\n2 推进B。 省经信厅\n另有若干事项待定,请各地结合实际研究。";
        let lists = find_flat_lists(text, &zj(), &reg());
        assert_eq!(rows(&lists).len(), 2);
        // The trailing sentence is no row: it is kept in the last row or
        // reported, never lost silently.
        let last = rows(&lists)[1].text.clone();
        assert!(
            last.contains("另有若干事项") || lists[0].dropped.is_some(),
            "{lists:?}"
        );
    }

    #[test]
    fn pasted_list_ends_at_a_body_chapter() {
        let text = "序号 工作任务 牵头单位\n1 推进A。 省发展改革委\n2 推进B。 省经信厅\n三、保障措施\n(一)加强组织领导。";
        let lists = find_flat_lists(text, &zj(), &reg());
        assert_eq!(rows(&lists).len(), 2);
        assert!(text[lists[0].range.end..].starts_with("三、保障措施"));
    }

    #[test]
    fn row_numbers_glued_to_values() {
        let text = "序号指标目标牵头单位参与单位1降低20个百分点、10个百分点。省生态环境厅、省经信厅260%的开发区建成清新园区。省生态环境厅";
        let lists = find_flat_lists(text, &zj(), &reg());
        let r = rows(&lists);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].text, "降低20个百分点、10个百分点。");
        assert!(r.iter().any(|row| row.text.starts_with("60%的开发区")));
    }
}

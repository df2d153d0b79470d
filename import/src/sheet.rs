//! Task breakdown sheets (任务分解表): one task per row, from .xlsx, .csv or a
//! table inside a .docx. Header names are matched flexibly (序号, 工作任务 /
//! 任务 / 主要任务 / 重点任务, 牵头单位 / 责任单位 / 牵头部门, 配合单位 /
//! 参与单位 / 协办单位 / 配合部门, 完成时限 / 时间节点 / 完成时间 …).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::clause::{MAX_LIST_CHARS, cap_chars, parse_clause, split_list};
use crate::deadline::find_default_deadline;
use crate::error::ImportError;
use crate::tables::{ListItem, ListKind, ListRow, TaskList};

/// A table as rows of cell strings.
pub type Grid = Vec<Vec<String>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Number,
    Task,
    Target,
    Lead,
    Participant,
    Implementer,
    Deadline,
    Category,
}

pub(crate) fn classify_header(cell: &str) -> Option<Col> {
    // traditional characters read as simplified (`責任單位`, `項目名稱`)
    let c: String = cell
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(crate::clean::to_simplified)
        .collect();
    // `2022年预期目标`, `2024年度重点任务`: the year names the plan's, not the column's kind
    let c = match c.char_indices().nth(4) {
        Some((at, '年')) if c[..at].chars().all(|d| d.is_ascii_digit()) => {
            let rest = &c[at + '年'.len_utf8()..];
            rest.strip_prefix('度').unwrap_or(rest).to_string()
        }
        _ => c,
    };
    if c.is_empty() || c.chars().count() > 12 {
        return None;
    }
    const LEAD: &[&str] = &[
        "牵头单位",
        "牵头部门",
        "责任单位",
        "责任部门",
        "主责单位",
        "牵头",
        "主办单位",
        "承办单位",
        "责任科室",
        "牵头科室",
        "责任处室",
        "牵头处室",
        "责任股室",
        "牵头负责部门",
        "牵头负责单位",
        // the ministry that guides a measure rolled out locally
        "指导部门",
        "指导单位",
        "主管部门",
        "主管单位",
    ];
    const PART: &[&str] = &[
        "配合单位",
        "参与单位",
        "协办单位",
        "配合部门",
        "参与部门",
        "协同单位",
        "协助单位",
        "配合",
    ];
    const DEADLINE: &[&str] = &[
        "完成时限",
        "时间节点",
        "完成时间",
        "完成期限",
        "时限要求",
        "时限",
        "时间安排",
        "进度安排",
        "截止时间",
        // a project's construction year or period (`建设时间：2024`)
        "建设时间",
        "建设期限",
    ];
    const NUMBER: &[&str] = &["序号", "编号", "序"];
    const TASK: &[&str] = &[
        "工作任务",
        "主要任务",
        "重点任务",
        "任务内容",
        "任务名称",
        "工作内容",
        "具体内容",
        "具体任务",
        "工作措施",
        "重点工作",
        "目标任务",
        "项目名称",
        "实事项目",
        "改革举措",
        "主要举措",
        "工作举措",
        "举措",
        "民生实事",
        "实事",
        "任务",
        "指标名称",
        "指标",
        "内容",
        "事项",
    ];
    const TARGET: &[&str] = &["目标值", "目标", "指标值", "预期目标"];
    const CATEGORY: &[&str] = &["类别", "领域", "分类", "板块"];
    if NUMBER.contains(&c.as_str()) {
        return Some(Col::Number);
    }
    // People, not agencies: `牵头市领导`, `责任人`, `联系人及电话`.
    const PEOPLE: &[&str] = &["领导", "责任人", "联系人", "负责人", "联系电话", "电话"];
    if PEOPLE.iter().any(|k| c.contains(k)) {
        return None;
    }
    const IMPL: &[&str] = &[
        "落实单位",
        "实施单位",
        "落实主体",
        "实施主体",
        "责任县区",
        "责任县(市、区)",
        "责任县（市、区）",
        "责任区县",
        "落实县区",
    ];
    if IMPL.iter().any(|k| c.contains(k)) {
        return Some(Col::Implementer);
    }
    if PART.iter().any(|k| c.contains(k)) {
        return Some(Col::Participant);
    }
    if LEAD.iter().any(|k| c.contains(k)) {
        return Some(Col::Lead);
    }
    if DEADLINE.iter().any(|k| c.contains(k)) {
        return Some(Col::Deadline);
    }
    if TARGET.contains(&c.as_str()) {
        return Some(Col::Target);
    }
    if TASK.iter().any(|k| c == *k || c.contains(k)) {
        return Some(Col::Task);
    }
    if CATEGORY.contains(&c.as_str()) {
        return Some(Col::Category);
    }
    None
}

/// Reads a grid as a task list if it has a recognisable header row.
pub fn grid_to_list(grid: &Grid) -> Option<TaskList> {
    let (hrow, cols) = grid.iter().enumerate().take(15).find_map(|(i, row)| {
        let cols: Vec<Option<Col>> = row.iter().map(|c| classify_header(c)).collect();
        let has_task = cols.contains(&Some(Col::Task));
        let has_lead = cols.contains(&Some(Col::Lead));
        (has_task && has_lead).then_some((i, cols))
    })?;
    // A two-row header: `责任单位` spanning `牵头单位 | 配合单位` below it.
    let mut cols = cols;
    let mut body_from = hrow + 1;
    if let Some(sub) = grid.get(hrow + 1) {
        let sub_cols: Vec<Option<Col>> = sub.iter().map(|c| classify_header(c)).collect();
        let nonempty = sub.iter().filter(|c| !c.trim().is_empty()).count();
        let classified = sub_cols.iter().filter(|c| c.is_some()).count();
        if nonempty > 0 && classified == nonempty {
            for (i, c) in sub_cols.into_iter().enumerate() {
                if let Some(c) = c {
                    if i < cols.len() {
                        cols[i] = Some(c);
                    } else {
                        cols.resize(i, None);
                        cols.push(Some(c));
                    }
                }
            }
            body_from = hrow + 2;
        }
    }
    // The rows above the header (a title row, `填报单位：… 日期：…`) and the
    // header rows themselves decide nothing but the columns: they are the
    // table's header, accounted as such.
    let mut context: Vec<crate::ContextText> = Vec::new();
    let header_context = |row: &Vec<String>| crate::ContextText {
        kind: "table_header".into(),
        text: row
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    };
    // The last row naming columns (for the lead column's name below).
    let names_row = body_from - 1;
    // A row of column numbers under the header (`1 2 3 4 5`) is part of it.
    if grid.get(body_from).is_some_and(|r| is_column_number_row(r)) {
        body_from += 1;
    }
    for row in grid.iter().take(body_from) {
        if row.iter().any(|c| !c.trim().is_empty()) {
            context.push(header_context(row));
        }
    }
    let header_text: String = grid[hrow].concat();
    let kind = if header_text.contains("指标")
        || cols.contains(&Some(Col::Target)) && !header_text.contains("任务")
    {
        ListKind::Target
    } else if header_text.contains("政策") {
        ListKind::Policy
    } else {
        ListKind::Task
    };
    let col_of = |want: Col| cols.iter().position(|c| *c == Some(want));
    let task_cols: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Some(Col::Task) | Some(Col::Target)))
        .map(|(i, _)| i)
        .collect();
    // Of several lead-like columns, prefer one named like an agency column
    // (`…单位` / `…部门`).
    let lead_col = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == Some(Col::Lead))
        .map(|(i, _)| i)
        .find(|&i| {
            let h = grid[hrow].get(i).map(|s| s.trim()).unwrap_or("");
            let h2 = grid
                .get(names_row)
                .and_then(|r| r.get(i))
                .map(|s| s.trim())
                .unwrap_or("");
            [h, h2]
                .iter()
                .any(|h| h.ends_with("单位") || h.ends_with("部门"))
        })
        .or_else(|| col_of(Col::Lead))?;
    let impl_col = col_of(Col::Implementer);
    let part_col = col_of(Col::Participant);
    let deadline_col = col_of(Col::Deadline);
    let number_col = col_of(Col::Number);
    let category_col = col_of(Col::Category);
    let cell =
        |row: &Vec<String>, i: usize| row.get(i).map(|s| s.trim().to_string()).unwrap_or_default();

    let mut items = Vec::new();
    let mut seq = 0u32;
    let mut last_category = String::new();
    let mut default_deadline = None;
    for row in grid.iter().skip(body_from) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A footnote row (`注：表中未注明时限的，均于2025年底前完成`) sets the
        // default deadline and is no task.
        let nonempty: Vec<&str> = row
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        if nonempty.len() <= 2
            && let Some(d) = find_default_deadline(&nonempty.concat())
        {
            default_deadline = Some(d);
            context.push(crate::ContextText {
                kind: "table_note".into(),
                text: nonempty.join(" "),
            });
            continue;
        }
        // A repeated header row (page break in a docx table).
        if row.iter().filter(|c| classify_header(c).is_some()).count() >= 2
            && row.iter().any(|c| classify_header(c) == Some(Col::Lead))
        {
            context.push(header_context(row));
            continue;
        }
        let text: String = task_cols
            .iter()
            .map(|&i| cell(row, i))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(":");
        let (lead, lead_cut) = {
            let l = names_in_cell(&cell(row, lead_col));
            let (c, cut) = cap_chars(&l, MAX_LIST_CHARS);
            (c.to_string(), cut)
        };
        if let Some(cc) = category_col {
            let cat = cell(row, cc);
            if !cat.is_empty() && cat != last_category {
                last_category = cat.clone();
                items.push(ListItem::Heading {
                    level: 1,
                    number: 0,
                    title: cat,
                });
            }
        }
        if text.is_empty() {
            // A grouping row: one non-empty cell spanning the table.
            let nonempty: Vec<String> = row
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if nonempty.len() == 1 && lead.is_empty() {
                items.push(ListItem::Heading {
                    level: 1,
                    number: 0,
                    title: nonempty[0].clone(),
                });
            }
            continue;
        }
        if lead.is_empty() && part_col.is_none_or(|p| cell(row, p).is_empty()) {
            let others_empty = row.iter().enumerate().all(|(i, c)| {
                task_cols.contains(&i) || Some(i) == number_col || c.trim().is_empty()
            });
            // `一、加强源头防控` in the task column alone is a heading.
            if others_empty && crate::clean::starts_with_marker(&text) && !text.contains('。') {
                items.push(ListItem::Heading {
                    level: 1,
                    number: 0,
                    title: text,
                });
                continue;
            }
        }
        seq += 1;
        let number = number_col
            .and_then(|i| cell(row, i).trim_end_matches('.').parse::<u32>().ok())
            .unwrap_or(seq);
        // The 序号 as written is the row's code; an empty 序号 cell right
        // under a numbered row is the lower part of a merged cell (a CSV
        // export leaves it empty), so the row shares that number.
        let label = match number_col {
            Some(i) if cell(row, i).is_empty() => match items.last() {
                Some(ListItem::Row(prev)) => prev.label.clone(),
                _ => None,
            },
            Some(i) => row_label(&cell(row, i)),
            None => None,
        };
        let mut r = ListRow {
            number,
            label,
            text,
            truncated: lead_cut,
            ..ListRow::default()
        };
        match parse_clause(&lead) {
            Some(c)
                if !c.participants.is_empty() || c.lead_undecided || !c.implementers.is_empty() =>
            {
                r.leads = c.leads;
                r.participants = c.participants;
                r.lead_undecided = c.lead_undecided;
                r.by_reference = c.by_reference;
                r.standing = c.standing_implementers;
                // A lead cell that is a clause reads as the same clause in
                // brackets: local governments after the departments
                // (`A、B按职责分工负责，各地级以上市人民政府结合实际落实`)
                // implement; named alone they are the row's lead.
                if r.leads.is_empty() {
                    r.leads = c.implementers;
                } else {
                    r.implementers.extend(c.implementers);
                }
            }
            Some(c) => {
                r.leads = c.leads;
                r.lead_undecided = c.lead_undecided;
                r.by_reference = c.by_reference;
                r.standing = c.standing_implementers;
            }
            None => r.leads = split_list(&lead),
        }
        if let Some(p) = part_col {
            let v = names_in_cell(&cell(row, p));
            r.truncated |= cap_chars(&v, MAX_LIST_CHARS).1;
            // The cell may itself be a clause (`各县区政府负责落实`).
            match parse_clause(&v) {
                Some(c) => {
                    r.participants.extend(c.leads);
                    r.participants.extend(c.participants);
                    r.implementers.extend(c.implementers);
                    r.standing.extend(c.standing_implementers);
                }
                None => r.participants.extend(split_list(&v)),
            }
        }
        if let Some(i) = impl_col {
            let v = names_in_cell(&cell(row, i));
            r.truncated |= cap_chars(&v, MAX_LIST_CHARS).1;
            match parse_clause(&v) {
                Some(c) => {
                    r.implementers.extend(c.leads);
                    r.implementers.extend(c.participants);
                    r.implementers.extend(c.implementers);
                }
                None => r.implementers.extend(split_list(&v)),
            }
        }
        let mut seen = std::collections::HashSet::new();
        r.implementers.retain(|i| seen.insert(i.clone()));
        // A row without a number and without any agency right after a
        // numbered row continues it: the number and agency cells were one
        // merged cell, which a CSV export leaves empty below its first row.
        let unnumbered = number_col.is_some_and(|i| cell(row, i).is_empty());
        if unnumbered
            && r.leads.is_empty()
            && r.participants.is_empty()
            && r.implementers.is_empty()
            && !r.lead_undecided
            && let Some(ListItem::Row(prev)) = items.last()
        {
            r.leads = prev.leads.clone();
            r.participants = prev.participants.clone();
            r.implementers = prev.implementers.clone();
        }
        if let Some(d) = deadline_col {
            let v = cell(row, d);
            if !v.is_empty() {
                r.deadline_cell = Some(v);
            }
        }
        r.role_cells = [Some(lead_col), part_col, impl_col, deadline_col]
            .into_iter()
            .flatten()
            .map(|i| cell(row, i))
            .filter(|v| !v.is_empty())
            .collect();
        items.push(ListItem::Row(r));
    }
    if !items.iter().any(|i| matches!(i, ListItem::Row(_))) {
        return None;
    }
    Some(TaskList {
        kind,
        items,
        default_deadline,
        range: 0..0,
        dropped: None,
        context,
    })
}

/// A 序号 cell as a task code: as the document writes it, without spaces
/// and without the separator after a running number (`1.` and `1、` → `1`;
/// `（一）` and `1.1` stay, in the normalised characters the cells are read
/// in). None when empty or too long for a number (a misread column).
fn row_label(cell: &str) -> Option<String> {
    let l: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
    let l = l.trim_end_matches(['.', '、', ',', '，', '．']);
    (!l.is_empty() && l.chars().count() <= 12).then(|| l.to_string())
}

/// A row numbering the columns under a header (`1 2 3 4 5`, printed for
/// reference): every non-empty cell is a number, counting up by one from 1,
/// and there are at least three of them (no task row reads so).
fn is_column_number_row(row: &[String]) -> bool {
    let cells: Vec<&str> = row
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    cells.len() >= 3
        && cells
            .iter()
            .enumerate()
            .all(|(k, c)| c.trim_matches(['(', ')']).parse::<usize>() == Ok(k + 1))
}

/// An agency cell with one name per line (`县水务局⏎县住建局`): a line break
/// after a whole name separates names; after a part of one (a name wrapped
/// inside the cell, `县发展和改革⏎委员会`) it joins.
fn names_in_cell(v: &str) -> String {
    if !v.contains('\n') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len() + 8);
    for piece in v.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty()
            && !out.ends_with(['、', ',', '，', ';', '；'])
            && crate::registry::reads_as_body(
                out.rsplit(['、', ',', '，', ';', '；'])
                    .next()
                    .unwrap_or(""),
            )
        {
            out.push('、');
        }
        out.push_str(piece);
    }
    out
}

/// Parses CSV (or TSV) text with quoted fields. Returns None when the text is
/// not shaped like a table, or holds more than [`crate::MAX_SHEET_CELLS`]
/// cells (see [`parse_csv_capped`]).
pub fn parse_csv(text: &str) -> Option<Grid> {
    parse_csv_capped(text, crate::MAX_SHEET_CELLS)
        .ok()
        .flatten()
}

/// [`parse_csv`] that stops reading, with [`ImportError::TooLargeContent`],
/// once the grid would hold more than `max_cells` cells (a blank line is a
/// cell too): no input materialises a bigger grid than an .xlsx may.
pub fn parse_csv_capped(text: &str, max_cells: u64) -> Result<Option<Grid>, ImportError> {
    // The delimiter shows in the first lines (a title row may precede the
    // header row).
    let head: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    let delim = if head.iter().any(|l| l.matches('\t').count() >= 2) {
        '\t'
    } else if head.iter().any(|l| l.matches(',').count() >= 2) {
        ','
    } else {
        return Ok(None);
    };
    let mut cells = 0u64;
    let too_large = || {
        ImportError::TooLargeContent(format!(
            "the CSV/TSV text holds more than {max_cells} cells"
        ))
    };
    // The `csv` crate reads the quoting (`""` inside quotes, delimiters and
    // line breaks inside a quoted cell); rows may differ in length (a title
    // row of one cell above the header row). A blank line is a row of one
    // empty cell, as a spreadsheet shows it (the crate would skip it).
    let mut rows: Grid = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        // The input is a &str and the reader flexible: no record fails.
        let Ok(record) = record else { break };
        // The record's position is taken before the blank lines the reader
        // skips: each of them is a row of one empty cell.
        let mut at = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        if at > 0
            && text.as_bytes().get(at - 1) == Some(&b'\r')
            && text.get(at..).is_some_and(|r| r.starts_with('\n'))
        {
            // the second half of the previous record's CRLF
            at += 1;
        }
        while let Some(rest) = text.get(at..) {
            let skip = if rest.starts_with("\r\n") {
                2
            } else if rest.starts_with('\n') {
                1
            } else {
                break;
            };
            cells += 1;
            if cells > max_cells {
                return Err(too_large());
            }
            rows.push(vec![String::new()]);
            at += skip;
        }
        cells += record.len() as u64;
        if cells > max_cells {
            return Err(too_large());
        }
        let row: Vec<String> = record.iter().map(|c| c.replace('\r', "")).collect();
        rows.push(row);
    }
    Ok(Some(rows))
}

/// Is this text a task sheet in CSV/TSV form (header row with a task and a
/// lead column)?
pub fn csv_task_list(text: &str) -> Option<(Grid, TaskList)> {
    csv_task_list_capped(text, crate::MAX_SHEET_CELLS)
        .ok()
        .flatten()
}

/// [`csv_task_list`] that refuses a grid of more than `max_cells` cells with
/// [`ImportError::TooLargeContent`] instead of reading the text as prose.
pub fn csv_task_list_capped(
    text: &str,
    max_cells: u64,
) -> Result<Option<(Grid, TaskList)>, ImportError> {
    let Some(grid) = parse_csv_capped(text, max_cells)? else {
        return Ok(None);
    };
    Ok(grid_to_list(&grid).map(|list| (grid, list)))
}

/// Excel serial date → ISO date (1900 system, with the 1900 leap-year bug).
fn serial_to_iso(v: f64) -> Option<String> {
    if !(1.0..=2_958_465.0).contains(&v) {
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = base.checked_add_signed(chrono::Duration::days(v.floor() as i64))?;
    Some(d.format("%Y-%m-%d").to_string())
}

fn cell_string(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => serial_to_iso(dt.as_f64()).unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) => String::new(),
    }
}

/// Reads all worksheets of an .xlsx file as grids.
///
/// Cells are read one by one (never as the sheet's declared dimensions, which
/// a crafted file sets to the whole 1 048 576 × 16 384 grid); the grid spans
/// the non-empty cells only, and a sheet whose non-empty cells span more than
/// [`crate::MAX_SHEET_CELLS`] cells is refused with `TOO_LARGE`.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<(String, Grid)>, ImportError> {
    read_xlsx_capped(bytes, crate::MAX_SHEET_CELLS)
}

/// [`read_xlsx`] with an explicit bound on rows × columns.
pub fn read_xlsx_capped(bytes: &[u8], max_cells: u64) -> Result<Vec<(String, Grid)>, ImportError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BrokenDocument(format!("xlsx: {e}")))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let mut cells: Vec<(u32, u32, String)> = Vec::new();
        let (mut r0, mut c0, mut r1, mut c1) = (u32::MAX, u32::MAX, 0u32, 0u32);
        {
            let mut reader = match wb.worksheet_cells_reader(&name) {
                Ok(r) => r,
                Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
                Err(e) => return Err(ImportError::BrokenDocument(format!("xlsx: {e}"))),
            };
            while let Some(cell) = reader
                .next_cell()
                .map_err(|e| ImportError::BrokenDocument(format!("xlsx: {e}")))?
            {
                let (r, c) = cell.get_position();
                let v = cell_string(&Data::from(cell.get_value().clone()));
                if v.is_empty() {
                    continue;
                }
                (r0, c0, r1, c1) = (r0.min(r), c0.min(c), r1.max(r), c1.max(c));
                let span = (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1);
                if span > max_cells || cells.len() as u64 >= max_cells {
                    return Err(ImportError::TooLargeContent(format!(
                        "sheet {name}: its cells span {} rows × {} columns (limit {max_cells} cells)",
                        r1 - r0 + 1,
                        c1 - c0 + 1
                    )));
                }
                cells.push((r, c, v));
            }
        }
        let mut grid: Grid = Vec::new();
        if !cells.is_empty() {
            let width = (c1 - c0 + 1) as usize;
            grid = vec![vec![String::new(); width]; (r1 - r0 + 1) as usize];
            for (r, c, v) in cells {
                grid[(r - r0) as usize][(c - c0) as usize] = v;
            }
        }
        // Merged cells (a lead spanning several rows) repeat their value
        // downwards; a broken merge list is ignored.
        if !grid.is_empty()
            && let Some(Ok(dims)) = wb.worksheet_merge_cells(&name)
        {
            let regions: Vec<(Cell, Cell)> = dims.iter().map(|d| (d.start, d.end)).collect();
            fill_merged_down(&mut grid, &regions, (r0, c0));
        }
        out.push((name, grid));
    }
    Ok(out)
}

/// A cell position `(row, col)`.
pub type Cell = (u32, u32);

/// Fills vertically merged regions (absolute `(row, col)` corners; `origin`
/// is the grid's top-left cell) with the value of their top cell, in their
/// first column. Horizontal merges are left alone so a grouping row stays one
/// cell.
pub fn fill_merged_down(grid: &mut Grid, regions: &[(Cell, Cell)], origin: Cell) {
    for &((r0, c0), (r1, _)) in regions {
        if r1 <= r0 || r0 < origin.0 || c0 < origin.1 {
            continue;
        }
        let (r0, r1, c) = (
            (r0 - origin.0) as usize,
            ((r1 - origin.0) as usize).min(grid.len().saturating_sub(1)),
            (c0 - origin.1) as usize,
        );
        let Some(top) = grid.get(r0).and_then(|r| r.get(c)).cloned() else {
            continue;
        };
        for row in grid.iter_mut().take(r1 + 1).skip(r0 + 1) {
            if let Some(v) = row.get_mut(c)
                && v.trim().is_empty()
            {
                *v = top.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(rows: &[&[&str]]) -> Grid {
        rows.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    /// An unnumbered row without agencies after a numbered row continues its
    /// merged number and agency cells (a CSV export leaves them empty).
    #[test]
    fn a_row_below_a_merged_agency_cell_shares_its_agencies() {
        let grid = g(&[
            &["序号", "民生实事", "责任单位", "完成时限"],
            &["5", "开工建设县老年养护楼。", "县民政局", "5月底前动工"],
            &["", "开工建设老年大学。", "", "12月底前"],
            &["6", "迁建县政务服务中心。", "县代建中心", "12月底前"],
            &["7", "建设公园。", "", ""],
        ]);
        let list = grid_to_list(&grid).unwrap();
        let r = rows_of(&list);
        assert_eq!(r[1].leads, ["县民政局"]);
        assert_eq!(r[2].leads, ["县代建中心"]);
        // a numbered row without agencies inherits nothing
        assert!(r[3].leads.is_empty());
    }

    /// A lead cell that is a clause reads as the bracketed clause would:
    /// local governments after the departments implement; alone they lead.
    #[test]
    fn local_governments_after_the_departments_of_a_lead_cell_implement() {
        let grid = g(&[
            &["序号", "任务", "责任单位"],
            &[
                "1",
                "推进A",
                "省科技厅、工业和信息化厅按职责分工负责，各地级以上市人民政府结合实际落实",
            ],
            &["2", "推进B", "各地级以上市人民政府负责落实"],
        ]);
        let list = grid_to_list(&grid).unwrap();
        let r = rows_of(&list);
        assert_eq!(r[0].leads, ["省科技厅", "工业和信息化厅"]);
        assert_eq!(r[0].implementers, ["各地级以上市人民政府"]);
        assert_eq!(r[1].leads, ["各地级以上市人民政府"]);
        assert!(r[1].implementers.is_empty());
    }

    /// The 序号 as written is the row's label; an empty 序号 cell under a
    /// numbered row is the lower part of a merged cell and shares it; a
    /// table without a 序号 column labels no row.
    #[test]
    fn a_rows_label_is_its_sequence_number_as_written() {
        assert_eq!(row_label(" 1. "), Some("1".into()));
        assert_eq!(row_label("3、"), Some("3".into()));
        assert_eq!(row_label("(二)"), Some("(二)".into()));
        assert_eq!(row_label("1.1"), Some("1.1".into()));
        assert_eq!(row_label(""), None);
        let list = grid_to_list(&g(&[
            &["序号", "工作任务", "牵头单位"],
            &["5", "建设平台", "市财政局"],
            &["", "完善制度", "市民政局"],
        ]))
        .unwrap();
        let labels: Vec<_> = rows_of(&list).iter().map(|r| r.label.clone()).collect();
        assert_eq!(labels, vec![Some("5".into()), Some("5".into())]);
        let list =
            grid_to_list(&g(&[&["工作任务", "牵头单位"], &["建设平台", "市财政局"]])).unwrap();
        assert_eq!(rows_of(&list)[0].label, None);
    }

    /// Column numbers under a header count up from 1 in every non-empty
    /// cell, three at least; a task row does not read so.
    #[test]
    fn a_row_of_column_numbers() {
        let row = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_column_number_row(&row(&["1", "2", "3", "4", "5"])));
        assert!(is_column_number_row(&row(&["(1)", "(2)", "", "(3)"])));
        assert!(!is_column_number_row(&row(&["1", "2"])));
        assert!(!is_column_number_row(&row(&["1", "建设平台", "3"])));
        assert!(!is_column_number_row(&row(&["2", "3", "4"])));
        let list = grid_to_list(&g(&[
            &["序号", "工作任务", "牵头单位"],
            &["1", "2", "3"],
            &["1", "建设平台", "市财政局"],
        ]))
        .unwrap();
        assert_eq!(rows_of(&list).len(), 1);
        let kinds: Vec<(&str, &str)> = list
            .context
            .iter()
            .map(|c| (c.kind.as_str(), c.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("table_header", "序号 工作任务 牵头单位"),
                ("table_header", "1 2 3")
            ]
        );
    }

    /// A row's agency and deadline cells are kept as written: a lead cell
    /// that is a clause is read, though no name keeps its words.
    #[test]
    fn a_rows_role_cells_are_kept_as_written() {
        let list = grid_to_list(&g(&[
            &["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
            &[
                "1",
                "建设平台",
                "市财政局牵头,市审计局配合",
                "",
                "2025年底前",
            ],
            &[
                "2",
                "完善制度",
                "待国家分工明确后确定",
                "市民政局等单位",
                "",
            ],
        ]))
        .unwrap();
        let cells: Vec<_> = rows_of(&list)
            .iter()
            .map(|r| r.role_cells.clone())
            .collect();
        assert_eq!(
            cells,
            vec![
                vec!["市财政局牵头,市审计局配合".to_string(), "2025年底前".into()],
                vec!["待国家分工明确后确定".to_string(), "市民政局等单位".into()],
            ]
        );
    }

    #[test]
    fn flexible_headers() {
        let grid = g(&[
            &["某市任务分解表", "", "", "", ""],
            &["序号", "重点任务", "责任单位", "配合部门", "时间节点"],
            &["一、能源转型", "", "", "", ""],
            &[
                "1",
                "推进煤炭替代。",
                "市发展改革委",
                "市生态环境局、市工业和信息化局",
                "2025年底前",
            ],
            &[
                "2",
                "发展新能源。",
                "市能源局牵头,市自然资源局配合",
                "",
                "持续推进",
            ],
        ]);
        let list = grid_to_list(&grid).unwrap();
        assert_eq!(list.kind, ListKind::Task);
        let rows: Vec<&ListRow> = list
            .items
            .iter()
            .filter_map(|i| {
                if let ListItem::Row(r) = i {
                    Some(r)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].leads, ["市发展改革委"]);
        assert_eq!(rows[0].participants, ["市生态环境局", "市工业和信息化局"]);
        assert_eq!(rows[0].deadline_cell.as_deref(), Some("2025年底前"));
        assert_eq!(rows[1].leads, ["市能源局"]);
        assert_eq!(rows[1].participants, ["市自然资源局"]);
        assert!(
            matches!(&list.items[0], ListItem::Heading { title, .. } if title == "一、能源转型")
        );
    }

    fn rows_of(list: &TaskList) -> Vec<&ListRow> {
        list.items
            .iter()
            .filter_map(|i| match i {
                ListItem::Row(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn people_columns_are_not_lead_columns() {
        let grid = g(&[
            &[
                "序号",
                "工作任务",
                "牵头市领导",
                "牵头单位",
                "配合单位",
                "落实单位",
            ],
            &[
                "1",
                "推进A",
                "张三",
                "市发展改革委",
                "各县区政府负责落实",
                "各县区政府",
            ],
            &[
                "2",
                "推进B",
                "李四",
                "市财政局",
                "市统计局",
                "某某县政府、某某区政府",
            ],
        ]);
        let list = grid_to_list(&grid).unwrap();
        let r = rows_of(&list);
        assert_eq!(r[0].leads, ["市发展改革委"]);
        assert_eq!(r[0].implementers, ["各县区政府"]);
        assert!(r[0].participants.is_empty());
        assert_eq!(r[1].participants, ["市统计局"]);
        assert_eq!(r[1].implementers, ["某某县政府", "某某区政府"]);
    }

    #[test]
    fn two_row_header_and_footnote_row() {
        let grid = g(&[
            &["序号", "工作任务", "责任单位", "", "完成时限"],
            &["", "", "牵头单位", "配合单位", ""],
            &["1", "推进A", "市发展改革委", "市财政局", "2024年底前"],
            &["2", "推进B", "市财政局", "市统计局", ""],
            &["注：表中未注明时限的，均于2025年底前完成。", "", "", "", ""],
        ]);
        let list = grid_to_list(&grid).unwrap();
        let r = rows_of(&list);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].leads, ["市发展改革委"]);
        assert_eq!(r[0].participants, ["市财政局"]);
        assert_eq!(r[1].participants, ["市统计局"]);
        assert_eq!(
            list.default_deadline.unwrap().date.to_string(),
            "2025-12-31"
        );
    }

    #[test]
    fn merged_cells_fill_down() {
        let mut grid = g(&[
            &["序号", "工作任务", "牵头单位"],
            &["1", "推进A", "市发展改革委"],
            &["2", "推进B", ""],
            &["一、总体", "", ""],
        ]);
        fill_merged_down(
            &mut grid,
            &[((11, 5), (12, 5)), ((13, 3), (13, 5))],
            (10, 3),
        );
        assert_eq!(grid[2][2], "市发展改革委");
        assert_eq!(grid[3], ["一、总体", "", ""]);
    }

    #[test]
    fn huge_cells_are_cut_with_a_warning() {
        let huge = "市财政局和".repeat(9_000);
        let text = format!(
            "序号,工作任务,牵头单位,配合单位\n1,推进A,市发展改革委,{huge}\n2,推进B,{huge},市统计局\n"
        );
        let (_, list) = csv_task_list(&text).unwrap();
        let rows: Vec<&ListRow> = list
            .items
            .iter()
            .filter_map(|i| match i {
                ListItem::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.truncated));
        let reg = crate::Registry::from_entries(vec![]);
        let plan = crate::parse_bytes(text.as_bytes(), &reg).unwrap();
        assert!(plan.warnings.iter().any(|w| w.code == "TEXT_TRUNCATED"));
    }

    #[test]
    fn csv_grid_keeps_blank_lines_and_quoted_breaks() {
        // A blank line stays a row of one empty cell (the fingerprint hashes
        // the rows); a quoted cell may hold delimiters, quotes and breaks.
        let text =
            "标题,,\n\n序号,任务,牵头单位\n1,\"甲\n乙,\"\"丙\"\"\",市财政局\r\n2,丁,市统计局";
        let grid = parse_csv(text).unwrap();
        assert_eq!(
            grid,
            vec![
                vec!["标题".to_string(), String::new(), String::new()],
                vec![String::new()],
                vec!["序号".into(), "任务".into(), "牵头单位".into()],
                vec!["1".into(), "甲\n乙,\"丙\"".into(), "市财政局".into()],
                vec!["2".into(), "丁".into(), "市统计局".into()],
            ]
        );
    }

    #[test]
    fn one_name_per_line_in_a_cell() {
        assert_eq!(names_in_cell("县水务局\n县住建局"), "县水务局、县住建局");
        assert_eq!(names_in_cell("县发展和改革\n委员会"), "县发展和改革委员会");
        assert_eq!(names_in_cell("县财政局、\n县统计局"), "县财政局、县统计局");
        let text = "序号,任务,责任单位,完成时限\n1,建设东湖湿地公园,\"县水务局\n县住建局\",2025年12月底前\n";
        let (_, list) = csv_task_list(text).unwrap();
        let ListItem::Row(r) = &list.items[0] else {
            panic!()
        };
        assert_eq!(r.leads, ["县水务局", "县住建局"]);
    }

    #[test]
    fn csv_with_quotes() {
        let text = "序号,工作任务,牵头单位,配合单位,完成时限\n1,\"推进A,含逗号\",市发展改革委,\"市财政局、市统计局\",2025年\n";
        let (_, list) = csv_task_list(text).unwrap();
        let ListItem::Row(r) = &list.items[0] else {
            panic!()
        };
        assert_eq!(r.text, "推进A,含逗号");
        assert_eq!(r.participants, ["市财政局", "市统计局"]);
    }

    #[test]
    fn tsv_with_title_row() {
        let text = "某市任务分解表\n序号\t工作任务\t牵头单位\t配合单位\n1\t推进A\t市发展改革委\t市财政局\n";
        let (_, list) = csv_task_list(text).unwrap();
        let ListItem::Row(r) = &list.items[0] else {
            panic!()
        };
        assert_eq!(r.leads, ["市发展改革委"]);
    }

    #[test]
    fn not_a_sheet() {
        assert!(
            csv_task_list("一、总体要求\n以习近平新时代中国特色社会主义思想为指导,全面贯彻")
                .is_none()
        );
        assert!(grid_to_list(&g(&[&["a", "b"], &["c", "d"]])).is_none());
    }

    #[test]
    fn serial_dates() {
        assert_eq!(serial_to_iso(45657.0).as_deref(), Some("2024-12-31"));
        assert!(serial_to_iso(-5.0).is_none());
    }
}

//! Task breakdown sheets (任务分解表): one task per row, from .xlsx, .csv or a
//! table inside a .docx. Header names are matched flexibly (序号, 工作任务 /
//! 任务 / 主要任务 / 重点任务, 牵头单位 / 责任单位 / 牵头部门, 配合单位 /
//! 参与单位 / 协办单位 / 配合部门, 完成时限 / 时间节点 / 完成时间 …).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::clause::{MAX_LIST_CHARS, cap_chars, parse_clause, split_list};
use crate::error::ImportError;
use crate::tables::{ListItem, ListKind, ListRow, TaskList};

/// A table as rows of cell strings.
pub type Grid = Vec<Vec<String>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Number,
    Task,
    Target,
    Lead,
    Participant,
    Deadline,
    Category,
}

fn classify_header(cell: &str) -> Option<Col> {
    let c: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
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
    let lead_col = col_of(Col::Lead)?;
    let part_col = col_of(Col::Participant);
    let deadline_col = col_of(Col::Deadline);
    let number_col = col_of(Col::Number);
    let category_col = col_of(Col::Category);
    let cell =
        |row: &Vec<String>, i: usize| row.get(i).map(|s| s.trim().to_string()).unwrap_or_default();

    let mut items = Vec::new();
    let mut seq = 0u32;
    let mut last_category = String::new();
    for row in grid.iter().skip(hrow + 1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A repeated header row (page break in a docx table).
        if row.iter().filter(|c| classify_header(c).is_some()).count() >= 2
            && row.iter().any(|c| classify_header(c) == Some(Col::Lead))
        {
            continue;
        }
        let text: String = task_cols
            .iter()
            .map(|&i| cell(row, i))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(":");
        let (lead, lead_cut) = {
            let l = cell(row, lead_col);
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
        let mut r = ListRow {
            number,
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
                // implementers written in the lead cell stay implementers via
                // the standing mechanism only when said so; here they lead.
                r.leads.extend(c.implementers);
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
            let v = cell(row, p);
            r.truncated |= cap_chars(&v, MAX_LIST_CHARS).1;
            r.participants.extend(split_list(&v));
        }
        if let Some(d) = deadline_col {
            let v = cell(row, d);
            if !v.is_empty() {
                r.deadline_cell = Some(v);
            }
        }
        items.push(ListItem::Row(r));
    }
    if !items.iter().any(|i| matches!(i, ListItem::Row(_))) {
        return None;
    }
    Some(TaskList {
        kind,
        items,
        default_deadline: None,
        range: 0..0,
    })
}

/// Parses CSV (or TSV) text with quoted fields. Returns None when the text is
/// not shaped like a table.
pub fn parse_csv(text: &str) -> Option<Grid> {
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
        return None;
    };
    let mut rows: Grid = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c if c == delim => row.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Some(rows)
}

/// Is this text a task sheet in CSV/TSV form (header row with a task and a
/// lead column)?
pub fn csv_task_list(text: &str) -> Option<(Grid, TaskList)> {
    let grid = parse_csv(text)?;
    let list = grid_to_list(&grid)?;
    Some((grid, list))
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
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<(String, Grid)>, ImportError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ImportError::BrokenDocument(format!("xlsx: {e}")))?;
    let mut out = Vec::new();
    for (name, range) in wb.worksheets() {
        let grid: Grid = range
            .rows()
            .map(|r| r.iter().map(cell_string).collect())
            .collect();
        out.push((name, grid));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(rows: &[&[&str]]) -> Grid {
        rows.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
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

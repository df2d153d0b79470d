//! Tables pasted one *cell* per line (a web page's table copied as text, or
//! cells ending with ` |`):
//!
//! ```text
//! 序号            ← header cells, possibly broken over lines (`责任` / `科室`)
//! 民生实事
//! 责任单位
//! 完成时限
//! 1               ← a row starts at its running number
//! 启动建设……。     ← task cell
//! 县水务局         ← agency lines of one cell
//! 县住建局
//! 12月底前         ← deadline cell
//! ```
//!
//! Rows are found by their running numbers standing alone on a line; the
//! header is the run of short lines before the first row, its fragments joined
//! so that there are as many header cells as a row has cells. Rows with more
//! lines than columns keep the task first and a deadline last, and the lines
//! between them are one agency cell. Lines after a row's deadline that read as
//! a task of their own (`开工建设老年大学。` / `12月底前`) are a row of the same
//! number, sharing the agencies of the row above (a merged cell).

use crate::registry::has_agency_suffix;
use crate::sheet::{Col, Grid, classify_header};

/// A cell line: the text without a trailing ` |`.
fn cell_text(line: &str) -> &str {
    line.trim().trim_end_matches('|').trim()
}

fn row_number(line: &str) -> Option<u32> {
    let t = cell_text(line);
    (!t.is_empty() && t.len() <= 3 && t.chars().all(|c| c.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

fn is_deadline_cell(s: &str) -> bool {
    let n = s.chars().count();
    n <= 16
        && (s.contains("月")
            || s.contains("年")
            || s.contains("季度")
            || s.contains("长期")
            || s.contains("持续")
            || s.contains("底前"))
        && !s.ends_with('。')
}

fn is_agency_cell(s: &str) -> bool {
    let n = s.chars().count();
    (2..=80).contains(&n)
        && !s.ends_with('。')
        && crate::clause::split_top(s, &['、', ',', '，', ' '])
            .into_iter()
            .map(|p| p.trim().trim_end_matches('等'))
            .filter(|p| !p.is_empty())
            .all(|p| {
                has_agency_suffix(p)
                    || crate::registry::is_group(p)
                    || p.ends_with("小组")
                    || crate::clause::is_local_government_group(p)
            })
}

/// A header cell of its own: a column the sheet reader knows, or a people /
/// status / remarks column (`责任领导`, `完成情况`, `备注`).
fn names_a_column(s: &str) -> bool {
    classify_header(s).is_some()
        || ["领导", "责任人", "联系人", "负责人", "情况", "备注", "说明"]
            .iter()
            .any(|k| s.contains(k))
}

/// Joins header fragments into `n` cells: a fragment that names no column is
/// joined to the next one when together they do (`责任` + `科室`), else a
/// fragment that names no column continues the one before (`工作任务安排` +
/// `第二季度`).
fn join_header(frags: &[String], n: usize) -> Option<Vec<String>> {
    let mut h: Vec<String> = frags.to_vec();
    while h.len() > n {
        if let Some(i) = (0..h.len() - 1).find(|&i| {
            !names_a_column(&h[i])
                && names_a_column(&format!("{}{}", h[i], h[i + 1]))
                && (!names_a_column(&h[i + 1]) || h[i + 1].chars().count() <= 2)
        }) {
            let next = h.remove(i + 1);
            h[i].push_str(&next);
        } else if let Some(i) = (1..h.len()).find(|&i| !names_a_column(&h[i])) {
            let cur = h.remove(i);
            h[i - 1].push_str(&cur);
        } else {
            return None;
        }
    }
    (h.len() == n).then_some(h)
}

/// The vertical tables of a document: (line range, grid with header row).
/// Blank lines between cells are ignored.
pub fn find_vertical_tables(all: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    // a line of only `|` (a web table flattened one cell per line, `||||` between
    // rows) is as blank as an empty one
    let idx: Vec<usize> = (0..all.len())
        .filter(|&k| !cell_text(&all[k]).trim_matches('|').trim().is_empty())
        .collect();
    let lines: Vec<String> = idx.iter().map(|&k| all[k].clone()).collect();
    find_in_nonblank(&lines)
        .into_iter()
        .map(|(r, g)| {
            let start = idx[r.start];
            let end = if r.end >= idx.len() {
                all.len()
            } else {
                idx[r.end]
            };
            (start..end, g)
        })
        .collect()
}

fn find_in_nonblank(lines: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if row_number(&lines[i]) != Some(1) {
            i += 1;
            continue;
        }
        // Header fragments: short lines right before `1`.
        let mut h0 = i;
        while h0 > 0 && i - h0 < 16 {
            let t = cell_text(&lines[h0 - 1]);
            // (`年度投资金额 (万元)`: a header cell may carry its unit)
            if t.is_empty() || t.chars().count() > 14 || t.contains(['。', ',', '，']) {
                break;
            }
            h0 -= 1;
        }
        // The header starts at its first header cell (a title or `附件` line
        // before it is no part of it).
        while h0 < i {
            let a = cell_text(&lines[h0]);
            let b = lines.get(h0 + 1).map(|l| cell_text(l)).unwrap_or("");
            if classify_header(a).is_some()
                || (h0 + 1 < i && classify_header(&format!("{a}{b}")).is_some())
            {
                break;
            }
            h0 += 1;
        }
        let frags: Vec<String> = lines[h0..i]
            .iter()
            .map(|l| cell_text(l).to_string())
            .collect();
        if frags.len() < 3 {
            i += 1;
            continue;
        }
        // Rows: from each running number to the next.
        let mut starts = vec![i];
        let mut expect = 2;
        let mut end = lines.len();
        for (k, l) in lines.iter().enumerate().skip(i + 1) {
            if row_number(l) == Some(expect) {
                starts.push(k);
                expect += 1;
            } else if k - starts.last().copied().unwrap_or(i) > 40 {
                end = k;
                break;
            }
        }
        let rows: Vec<Vec<String>> = starts
            .iter()
            .enumerate()
            .map(|(j, &s)| {
                let e = starts.get(j + 1).copied().unwrap_or(end);
                lines[s..e]
                    .iter()
                    .map(|l| cell_text(l).to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .collect();
        // Cells per row: the most common count.
        let mut counts = std::collections::HashMap::new();
        for r in &rows {
            *counts.entry(r.len()).or_insert(0usize) += 1;
        }
        let Some((&n, _)) = counts
            .iter()
            .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
        else {
            i += 1;
            continue;
        };
        let header = join_header(&frags, n).or_else(|| {
            // more fragments than a typical row: try the header as cells
            let cols: Vec<Option<Col>> = frags.iter().map(|f| classify_header(f)).collect();
            (cols.contains(&Some(Col::Task)) && cols.contains(&Some(Col::Lead)))
                .then(|| frags.clone())
        });
        let Some(header) = header else {
            i += 1;
            continue;
        };
        let cols: Vec<Option<Col>> = header.iter().map(|f| classify_header(f)).collect();
        let task_col = cols.iter().position(|c| *c == Some(Col::Task));
        let lead_col = cols.iter().position(|c| *c == Some(Col::Lead));
        let deadline_col = cols.iter().position(|c| *c == Some(Col::Deadline));
        let (Some(task_col), Some(lead_col)) = (task_col, lead_col) else {
            i += 1;
            continue;
        };
        let width = header.len();
        let mut grid: Grid = vec![header];
        for r in rows {
            if r.len() == width {
                grid.push(r);
                continue;
            }
            // Number, task, agency lines, deadline; then perhaps a second
            // task of the same number.
            let number = r[0].clone();
            let mut k = 1;
            let mut prev_lead = String::new();
            while k < r.len() {
                // A second task of the same number reads as a task (not a
                // `分享到:` tail after the last row).
                if k > 1 && (r[k].chars().count() < 5 || r[k].ends_with([':', '：'])) {
                    break;
                }
                let mut row = vec![String::new(); width];
                row[0] = number.clone();
                row[task_col] = r[k].clone();
                k += 1;
                let mut agencies = Vec::new();
                while k < r.len() && is_agency_cell(&r[k]) && !is_deadline_cell(&r[k]) {
                    agencies.push(r[k].clone());
                    k += 1;
                }
                // Other cells (people, notes) up to the deadline.
                while k < r.len() && !is_deadline_cell(&r[k]) && !r[k].ends_with('。') {
                    k += 1;
                }
                if let Some(dc) = deadline_col
                    && k < r.len()
                    && is_deadline_cell(&r[k])
                {
                    row[dc] = r[k].clone();
                    k += 1;
                }
                row[lead_col] = if agencies.is_empty() {
                    prev_lead.clone()
                } else {
                    agencies.join("、")
                };
                prev_lead = row[lead_col].clone();
                grid.push(row);
                if deadline_col.is_none() {
                    break;
                }
            }
        }
        out.push((h0..end, grid));
        i = end;
    }
    out
}

/// Tables pasted one *row* per line with blanks between the cells:
///
/// ```text
/// 序号 工 作 任 务 牵头负责部门
/// 1 居民消费价格涨幅3%左右 发展改革委
/// ```
///
/// The header line names the columns (task, lead, participants, deadline);
/// each row is its number, the task text, and the agency (and deadline)
/// cells at its end.
pub fn find_space_tables(all: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let head: String = all[i].chars().filter(|c| !c.is_whitespace()).collect();
        let n = head.chars().count();
        let has_task = ["工作任务", "任务", "工作内容", "重点工作", "事项"]
            .iter()
            .any(|w| head.contains(w));
        let has_lead = ["牵头", "责任单位", "负责部门", "责任部门", "负责单位"]
            .iter()
            .any(|w| head.contains(w));
        if !(n <= 40 && has_task && has_lead) {
            i += 1;
            continue;
        }
        let has_part = ["配合", "参与", "协办", "协同"]
            .iter()
            .any(|w| head.contains(w));
        let has_deadline = ["时限", "完成时间", "时间节点"]
            .iter()
            .any(|w| head.contains(w));
        // `牵头单位 参与单位 责任单位`: a 责任单位 after the lead column names the
        // local governments that carry the task out
        let has_impl = head
            .find("牵头")
            .is_some_and(|at| head[at..].contains("责任单位"));
        // `类别 主要任务 细化措施`: short heading cells before the measure
        let has_category = ["类别", "主要任务"].iter().any(|w| head.contains(w))
            && ["细化措施", "具体措施", "工作措施", "主要措施"]
                .iter()
                .any(|w| head.contains(w));
        let mut header = vec![
            "序号".to_string(),
            "工作任务".to_string(),
            "牵头单位".to_string(),
        ];
        if has_part {
            header.push("配合单位".into());
        }
        if has_deadline {
            header.push("完成时限".into());
        }
        if has_impl {
            header.push("落实单位".into());
        }
        if has_category {
            header.push("类别".into());
        }
        let mut grid: Grid = vec![header.clone()];
        let mut k = i + 1;
        while k < all.len() {
            let l = all[k].trim();
            if l.is_empty() {
                k += 1;
                continue;
            }
            if !crate::clean::table_row_line(l) {
                break;
            }
            let words: Vec<&str> = l.split_whitespace().collect();
            let mut row = vec![String::new(); header.len()];
            row[0] = words[0].to_string();
            let mut end = words.len();
            let impl_col = header.iter().position(|h| h == "落实单位");
            if let Some(c) = impl_col
                && end > 3
                && is_agency_cell(words[end - 1])
                && is_agency_cell(words[end - 2])
            {
                row[c] = words[end - 1].to_string();
                end -= 1;
            }
            if has_deadline && end > 2 && is_deadline_cell(words[end - 1]) {
                row[header.len() - 1] = words[end - 1].to_string();
                end -= 1;
            }
            if has_part
                && end > 3
                && is_agency_cell(words[end - 1])
                && is_agency_cell(words[end - 2])
            {
                row[3] = words[end - 1].to_string();
                end -= 1;
            }
            row[2] = words[end - 1].to_string();
            row[1] = words[1..end - 1].join(" ");
            // the measure is the first sentence-long cell; the short cells
            // before it are its category and heading
            if let Some(c) = header.iter().position(|h| h == "类别")
                && let Some(j) = (1..end - 1)
                    .find(|&j| words[j].contains('。') && words[j].chars().count() >= 15)
                && j > 1
            {
                row[c] = words[1..j].join(" ");
                row[1] = words[j..end - 1].join(" ");
            }
            grid.push(row);
            k += 1;
        }
        if grid.len() > 1 {
            out.push((i..k, grid));
        }
        i = k.max(i + 1);
    }
    out
}

/// The keys a web page's task records use, lower case (`{ id, title, content,
/// departments, deadline }`, `{"task", "owner", "co"}`), shared by the
/// record readers below.
mod record_keys {
    pub const NUMBER: &[&str] = &["id", "no", "num", "number", "seq", "index"];
    pub const TASK: &[&str] = &["title", "task", "name", "item", "work"];
    pub const TEXT: &[&str] = &[
        "content", "detail", "details", "text", "desc", "measure", "measures",
    ];
    pub const LEAD: &[&str] = &[
        "departments",
        "department",
        "dept",
        "depts",
        "unit",
        "units",
        "responsible",
        "lead",
        "leader_unit",
        "owner",
    ];
    pub const PART: &[&str] = &[
        "co",
        "cooperate",
        "participants",
        "participant",
        "partners",
        "assist",
    ];
    pub const DEADLINE: &[&str] = &["deadline", "due", "time", "timeline", "date"];
}

/// Longest line read as a JSON array of records: a dashboard's task list is
/// tens of kilobytes; the parsed value tree takes many times its text, so a
/// crafted line of millions of values is left as text.
pub const MAX_JSON_LINE_BYTES: usize = 1024 * 1024;

/// Task records of a web page's data copied as text (a JavaScript or JSON
/// literal: `{ id: "1", title: "…", content: "…", departments: "…" }`): every
/// record with a task-like and a responsibility-like key is a row.
pub fn find_record_tables(all: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    use regex::Regex;
    use std::sync::OnceLock;
    static KV: OnceLock<Regex> = OnceLock::new();
    let kv = KV.get_or_init(|| {
        Regex::new(
            r#"^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+))\s*,?\s*$"#,
        )
        .expect("static regex")
    });
    use record_keys::*;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut first, mut last) = (usize::MAX, 0usize);
    let mut rec: Vec<(String, String)> = Vec::new();
    let mut rec_start = 0usize;
    let flush = |rec: &mut Vec<(String, String)>, rows: &mut Vec<Vec<String>>| -> bool {
        let get = |keys: &[&str]| {
            rec.iter()
                .find(|(k, _)| keys.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(_, v)| v.clone())
        };
        let lead = get(LEAD);
        let task = get(TASK);
        let text = get(TEXT);
        let ok = lead.is_some() && (task.is_some() || text.is_some());
        if ok {
            rows.push(vec![
                get(NUMBER).unwrap_or_default(),
                task.unwrap_or_default(),
                text.unwrap_or_default(),
                lead.unwrap_or_default(),
                get(DEADLINE).unwrap_or_default(),
            ]);
        }
        rec.clear();
        ok
    };
    for (k, line) in all.iter().enumerate() {
        if let Some(c) = kv.captures(line) {
            if rec.is_empty() {
                rec_start = k;
            }
            let v = c
                .get(2)
                .or(c.get(3))
                .map_or("", |m| m.as_str())
                .replace("\\\"", "\"");
            rec.push((c[1].to_string(), v));
        } else if !rec.is_empty() && flush(&mut rec, &mut rows) {
            first = first.min(rec_start);
            last = k;
        }
    }
    if !rec.is_empty() && flush(&mut rec, &mut rows) {
        first = first.min(rec_start);
        last = all.len() - 1;
    }
    if rows.len() < 2 {
        return Vec::new();
    }
    let mut grid: Grid = vec![
        ["序号", "工作任务", "具体内容", "责任单位", "完成时限"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ];
    grid.extend(rows);
    vec![(first..last + 1, grid)]
}

/// Task records of a web page's data written as one JSON array on a line
/// (`const TASKS = [{"id": 1, "task": "…", "owner": "省发展改革委", "co": "…", "deadline": "2026年6月"}, …]`):
/// every object with a task-like and a lead-like key is a row, its
/// participants (`co`, `participants`, `cooperate`) in their own column. The
/// array is read with serde_json (its nesting limit bounds the work).
pub fn find_json_record_lines(all: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    use record_keys::*;
    let mut out = Vec::new();
    for (k, line) in all.iter().enumerate() {
        let (Some(a), Some(z)) = (line.find("[{"), line.rfind("}]")) else {
            continue;
        };
        if z < a || line.len() < 100 || line.len() > MAX_JSON_LINE_BYTES {
            continue;
        }
        let Ok(items) = serde_json::from_str::<Vec<serde_json::Value>>(&line[a..z + 2]) else {
            continue;
        };
        let mut grid: Grid = vec![
            [
                "序号",
                "工作任务",
                "具体内容",
                "牵头单位",
                "配合单位",
                "完成时限",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ];
        for item in &items {
            let Some(obj) = item.as_object() else {
                continue;
            };
            let get = |keys: &[&str]| -> String {
                keys.iter()
                    .find_map(|key| {
                        obj.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .and_then(|(_, v)| match v {
                                serde_json::Value::String(s) => Some(s.clone()),
                                serde_json::Value::Number(n) => Some(n.to_string()),
                                _ => None,
                            })
                    })
                    .unwrap_or_default()
            };
            let (task, lead) = (get(TASK), get(LEAD));
            if task.is_empty() || lead.is_empty() {
                continue;
            }
            let part = get(PART);
            let part = if matches!(part.trim(), "无" | "/" | "-" | "—") {
                String::new()
            } else {
                part
            };
            grid.push(vec![
                get(NUMBER),
                task,
                get(TEXT),
                lead,
                part,
                get(DEADLINE),
            ]);
        }
        if grid.len() >= 3 {
            out.push((k..k + 1, grid));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_records_of_a_web_pages_data() {
        let t = find_record_tables(&lines(
            "const data = [\n  { id: 1, title: \"板块\", subsections: [\n  {\n    id: \"1\",\n    title: \"实施关键核心技术攻关\",\n    content: \"优化协同管理机制。\",\n    departments: \"省科技厅、工业和信息化厅按职责分工负责\"\n  },\n  {\n    id: \"2\",\n    title: \"推进产业协同创新\",\n    content: \"完善创新体系。\",\n    departments: \"省工业和信息化厅牵头\"\n  }\n]",
        ));
        assert_eq!(t.len(), 1);
        let g = &t[0].1;
        assert_eq!(g.len(), 3);
        assert_eq!(g[1][1], "实施关键核心技术攻关");
        assert_eq!(g[2][3], "省工业和信息化厅牵头");
    }

    #[test]
    fn rows_pasted_one_per_line_with_blank_separated_cells() {
        let t = super::find_space_tables(&lines(
            "量化指标任务分工\n序号 工 作 任 务 牵头负责部门\n1 居民消费价格涨幅3%左右 发展改革委\n2 城镇新增就业1000万人以上 人力资源社会保障部\n结束",
        ));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].0, 1..4);
        assert_eq!(
            t[0].1[2],
            ["2", "城镇新增就业1000万人以上", "人力资源社会保障部"]
        );
    }

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(|l| l.to_string()).collect()
    }

    #[test]
    fn one_cell_per_line_with_multi_line_agency_cells() {
        let t = find_vertical_tables(&lines(
            "附件\n序号\n\n民生实事\n责任单位\n完成时限\n1\n启动建设综合治理工程。\n县水务局\n县住建局\n12月底前\n2\n新建2座人行天桥。\n县住建局\n9月投入使用\n3\n建设老年养护楼。\n县民政局\n5月底前动工\n开工建设老年大学。\n12月底前",
        ));
        assert_eq!(t.len(), 1);
        let g = &t[0].1;
        assert_eq!(g[0], ["序号", "民生实事", "责任单位", "完成时限"]);
        assert_eq!(
            g[1],
            [
                "1",
                "启动建设综合治理工程。",
                "县水务局、县住建局",
                "12月底前"
            ]
        );
        assert_eq!(g[4], ["3", "开工建设老年大学。", "县民政局", "12月底前"]);
    }

    #[test]
    fn header_fragments_are_joined_to_the_row_width() {
        let t = find_vertical_tables(&lines(
            "序号\n重点工作\n责任\n领导\n责任\n科室\n工作任务安排\n第二季度\n完成情况\n1\n水库政策处理\n某某\n水库工作领导小组\n推进迁移工作。\n进度达60%。\n2\n美丽城镇\n某某\n乡村振兴办\n开展项目建设。\n完成投资。",
        ));
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].1[0],
            [
                "序号",
                "重点工作",
                "责任领导",
                "责任科室",
                "工作任务安排第二季度",
                "完成情况"
            ]
        );
    }

    #[test]
    fn header_cells_broken_over_lines_and_pipe_cells() {
        let t = find_vertical_tables(&lines(
            "序号 |\n重点工作 |\n责任 |\n科室 |\n完成时限 |\n1 |\n盘活存量土地。 |\n改革办 |\n全年 |\n2 |\n提升园区承载能力。 |\n规划建设局 |\n全年 |",
        ));
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].1[0], ["序号", "重点工作", "责任科室", "完成时限"]);
        assert_eq!(t[0].1[2], ["2", "提升园区承载能力。", "规划建设局", "全年"]);
    }
}

/// Tables pasted one row per line with TAB-separated cells (copied out of a
/// web page or a spreadsheet into a text): a header line whose cells name a
/// task column and a lead column (`序号⇥改革举措⇥主要内容⇥指导部门⇥推广范围`),
/// then its rows. A line without a TAB inside the table (`一、知识产权保护方面（共5项）`)
/// is a row spanning the table, padded with empty cells as a .docx reads a
/// merged row, when a TAB row follows within three lines (a section whose rows
/// were deleted leaves two section rows in a row); the table ends at the first
/// line that is neither (a paragraph).
pub fn find_tab_tables(all: &[String]) -> Vec<(std::ops::Range<usize>, Grid)> {
    use crate::sheet::{Col, classify_header};
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let cells: Vec<String> = all[i].split('\t').map(|c| c.trim().to_string()).collect();
        let cols: Vec<Option<Col>> = cells.iter().map(|c| classify_header(c)).collect();
        let is_header =
            cells.len() >= 3 && cols.contains(&Some(Col::Task)) && cols.contains(&Some(Col::Lead));
        if !is_header {
            i += 1;
            continue;
        }
        let width = cells.len();
        let mut grid: Grid = vec![cells];
        let mut k = i + 1;
        let mut last_row = i;
        let mut spanning_run = 0;
        // cells of the last TAB row when fewer than the header's
        let mut short_row: Option<usize> = None;
        while k < all.len() {
            let l = all[k].trim();
            if l.is_empty() {
                k += 1;
                continue;
            }
            if l.contains('\t') {
                let cells: Vec<String> = l.split('\t').map(|c| c.trim().to_string()).collect();
                // a cell broken over two lines: the row before stopped short of
                // the header's width and this line carries on its last cell
                if let Some(short) = short_row
                    && short + cells.len() - 1 <= width
                    && let Some(prev) = grid.last_mut()
                {
                    let at = short - 1;
                    prev[at].push_str(&cells[0]);
                    for (k, c) in cells.into_iter().enumerate().skip(1) {
                        prev[at + k] = c;
                    }
                    let filled = short + (l.matches('\t').count());
                    short_row = (filled < width).then_some(filled);
                } else {
                    short_row = (cells.len() < width).then_some(cells.len());
                    let mut row = cells;
                    row.resize(width.max(row.len()), String::new());
                    grid.push(row);
                }
                spanning_run = 0;
            } else if l.chars().count() <= 60 && spanning_run < 3 && rows_follow(all, k + 1) {
                let mut row = vec![l.to_string()];
                row.resize(width, String::new());
                grid.push(row);
                spanning_run += 1;
                short_row = None;
            } else {
                break;
            }
            last_row = k;
            k += 1;
        }
        // a trailing spanning line is the paragraph after the table
        while grid.len() > 1
            && grid
                .last()
                .is_some_and(|r| r.iter().skip(1).all(String::is_empty))
        {
            grid.pop();
            last_row -= 1;
            while last_row > i && all[last_row].trim().is_empty() {
                last_row -= 1;
            }
        }
        if grid.len() >= 2 {
            out.push((i..last_row + 1, grid));
        }
        i = last_row + 1;
    }
    out
}

/// Does a TAB-separated row come within the next three non-blank lines?
fn rows_follow(all: &[String], from: usize) -> bool {
    all.iter()
        .skip(from)
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .any(|l| l.contains('\t'))
}

#[cfg(test)]
mod tab_table_tests {
    use super::find_tab_tables;

    fn lines(s: &str) -> Vec<String> {
        s.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn rows_and_spanning_section_rows() {
        let all = lines(
            "现将清单印发。\n序号\t改革举措\t指导部门\n一、甲方面\n1\t甲\t财政部\n二、乙方面\n三、丙方面\n5\t丙\t商务部\n各地要抓好落实。",
        );
        let found = find_tab_tables(&all);
        assert_eq!(found.len(), 1);
        let (range, grid) = &found[0];
        // the closing sentence is no row
        assert_eq!(range.clone(), 1..7);
        assert_eq!(grid.len(), 6);
        assert_eq!(grid[2], ["1", "甲", "财政部"]);
        assert_eq!(grid[3], ["二、乙方面", "", ""]);
    }

    #[test]
    fn a_cell_broken_over_two_lines_is_one_cell() {
        let all = lines(
            "序号\t改革举措\t主要内容\t指导部门\n1\t甲\t总结推广\n经验做法。\t司法部\n2\t乙\t内容\t商务部",
        );
        let (_, grid) = &find_tab_tables(&all)[0];
        assert_eq!(grid.len(), 3);
        assert_eq!(grid[1], ["1", "甲", "总结推广经验做法。", "司法部"]);
        assert_eq!(grid[2], ["2", "乙", "内容", "商务部"]);
    }

    #[test]
    fn no_lead_column_no_table() {
        let all = lines("序号\t改革举措\t推广范围\n1\t甲\t全国");
        assert!(find_tab_tables(&all).is_empty());
    }
}

#[cfg(test)]
mod json_record_tests {
    use super::find_json_record_lines;

    #[test]
    fn a_json_array_of_task_records_on_one_line() {
        let line = r#"const TASKS = [{"id": 1, "task": "聚力推动甲。", "owner": "省发展改革委", "co": "省经信厅、省科技厅", "deadline": "2026年6月"}, {"id": 2, "task": "推进乙。", "owner": "省科技厅", "co": "无", "deadline": "持续推进"}, {"id": 3, "note": "no task"}];"#;
        let found = find_json_record_lines(&[line.to_string()]);
        assert_eq!(found.len(), 1);
        let g = &found[0].1;
        assert_eq!(g.len(), 3);
        assert_eq!(
            g[1],
            [
                "1",
                "聚力推动甲。",
                "",
                "省发展改革委",
                "省经信厅、省科技厅",
                "2026年6月"
            ]
        );
        assert_eq!(g[2][4], "");
        // not JSON, or no lead: nothing
        assert!(find_json_record_lines(&["[{not json}] ".repeat(20)]).is_empty());
        // a line past the bound stays text, however well formed
        let rec = r#"{"id": 1, "task": "推进甲。", "owner": "省发展改革委"}, "#;
        let n = super::MAX_JSON_LINE_BYTES / rec.len() + 1;
        let long = format!("[{}{}]", rec.repeat(n), rec.trim_end_matches([',', ' ']));
        assert!(long.len() > super::MAX_JSON_LINE_BYTES);
        assert!(find_json_record_lines(&[long]).is_empty());
    }
}

#[cfg(test)]
mod flattened_web_table_tests {
    use super::find_vertical_tables;

    #[test]
    fn a_web_table_flattened_one_cell_per_line_with_bars() {
        let text = "附件:\n|\n序號 |\n項目名稱 |\n建設時間 |\n年度投資金額 (萬元) |\n責任單位 |\n|\n1 |\n中小學改造項目 |\n2024 |\n300 |\n教體局 |\n|\n2 |\n城北道路建設項目 |\n2024 |\n300 |\n住建局 |\n";
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let found = find_vertical_tables(&lines);
        assert_eq!(found.len(), 1, "{found:?}");
        let grid = &found[0].1;
        assert_eq!(grid.len(), 3);
        assert_eq!(grid[1].last().map(String::as_str), Some("教體局"));
    }
}

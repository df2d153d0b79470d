//! Phase 4a: outline nodes to headings and tasks. A node is a task when it
//! carries a responsibility clause (bracketed, or a labelled line such as
//! `责任单位：A、B`), or when it is a substantive leaf of a work chapter in a
//! plan without attached lists; items without a clause of their own under a
//! section that has one share its responsibility. Context chapters (总体要求,
//! 保障措施 …) give tasks only where a clause is written.

use std::sync::OnceLock;

use regex::Regex;

use super::body::Body;
use super::builder::Builder;
use crate::clause::{Clause, find_clauses};
use crate::deadline::{clause_time, explicit_deadline, task_deadline};
use crate::outline::Node;
use crate::{ParsedTask, TaskKind};

/// Titles of context chapters: their entries are tasks only when they carry
/// a responsibility clause.
const CONTEXT_WORDS: &[&str] = &[
    "总体要求",
    "指导思想",
    "基本原则",
    "工作原则",
    "主要目标",
    "总体目标",
    "发展目标",
    "工作目标",
    "保障措施",
    "组织实施",
    "组织保障",
    "保障机制",
    "政策保障",
    "实施保障",
    "工作要求",
    "重要意义",
    "实施步骤",
    "工作步骤",
    "进度安排",
    "时间安排",
    "步骤安排",
    "实施进度",
];

/// Reads every outline node into a heading or task.
pub(super) fn add_outline_tasks(b: &mut Builder, body: &Body) {
    let nodes = &body.outline.nodes;
    // A document that writes no bracketed or labelled clause states
    // responsibility in its sentences (approvals, notices); in one that does,
    // a sentence naming a body is prose.
    let has_clause: Vec<bool> = nodes
        .iter()
        .map(|n| !find_clauses(&bracket_labelled_lines(&n.text)).is_empty())
        .collect();
    let sentence_clauses = !has_clause.iter().any(|&c| c);
    let mut node_task: Vec<usize> = Vec::with_capacity(nodes.len());
    // Each node's own clause, for children that have none.
    let mut node_clause: Vec<Option<Clause>> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let node_text = bracket_labelled_lines(&node.text);
        let found = find_clauses(&node_text);
        let mut clause = Clause::default();
        for f in &found {
            clause.merge(f.clause.clone());
        }
        let mut ranges: Vec<(usize, usize)> = found.iter().map(|f| (f.start, f.end)).collect();
        // A standing rule written as a sentence applies from here on but
        // does not make the node a task.
        let plain_standing = crate::clause::find_plain_standing(&node_text);
        if let Some((r, _)) = &plain_standing {
            ranges.push((r.start, r.end));
            ranges.sort_unstable();
        }
        let mut clause_text: String = ranges
            .iter()
            .filter_map(|&(a, z)| node_text.get(a..z))
            .collect::<Vec<_>>()
            .join("\n");
        // Responsibility written in a sentence (`由A、B合作共建`, `…，A负责`,
        // `A要…，会同B…`), read only in a leaf outside the context chapters
        // that has no bracketed clause; the sentence stays in the text.
        if sentence_clauses
            && found.is_empty()
            && plain_standing.is_none()
            && node.children.is_empty()
            && !is_context(nodes, i)
            && let Some((r, c)) = crate::clause::find_sentence_clause(&node_text)
        {
            clause = c;
            clause_text = node_text.get(r).unwrap_or_default().to_string();
            let code = node.code.clone();
            b.convention(
                "SENTENCE_CLAUSES",
                Some(&code),
                "responsibility written in the sentence (由A、B…共建 / …，A负责 / A要…，会同B…), as in a document without bracketed clauses".into(),
            );
        }
        let text = strip_ranges(&node_text, &ranges);
        let body_text = text
            .strip_prefix(node.title.as_str())
            .unwrap_or(&text)
            .trim_start_matches(['。', '\n', ' '])
            .trim()
            .to_string();
        let context = is_context(nodes, i);
        let leaf = node.children.is_empty();
        let substantive = !body_text.is_empty() || node.title.chars().count() >= 12;
        // A node is a task when it carries a clause, or when it is a leaf of
        // a work chapter (not context) in a plan without attached lists.
        let work_leaf = leaf && !context && !body.has_lists && substantive && node.level >= 2;
        // Items without a clause of their own under a section that has one
        // share its responsibility (`(一)…(市财政局负责)` then `1.…` `2.…`).
        let inherited = clause.is_empty()
            && work_leaf
            && node
                .parent
                .and_then(|p| node_clause.get(p))
                .and_then(|c| c.as_ref())
                .is_some_and(|c| !c.leads.is_empty() || c.lead_undecided);
        if inherited && let Some(pc) = node.parent.and_then(|p| node_clause[p].clone()) {
            clause = Clause {
                standing_implementers: Vec::new(),
                ..pc
            };
        }
        node_clause.push((!clause.is_empty()).then(|| clause.clone()));
        // A clause shared by items below (they inherit it) makes the node
        // their heading: the items are the tasks it answers for.
        let shared = !leaf && !clause.is_empty() && node.children.iter().any(|&c| !has_clause[c]);
        let kind = if (!clause.is_empty() && !shared) || work_leaf {
            TaskKind::Task
        } else {
            TaskKind::Heading
        };
        let parent = node.parent.map(|p| node_task[p]);
        let code = b.unique_code(node.code.clone());
        let settled = if kind == TaskKind::Heading {
            None
        } else {
            // An explicit completion limit (`完成时限：2024年6月底前`, also
            // inside the responsibility clause) is the task's deadline;
            // otherwise the latest date the text names.
            // The time at the end of the clause (`（A负责，年内持续推进）`)
            // is one too.
            Some(match explicit_deadline(&node_text) {
                Some(found) => b.settle_deadline(found, &text, &code),
                None => match clause_time(&clause_text) {
                    Some(time) => b.settle_clause_time(&time, &code),
                    None => b.settle_deadline(task_deadline(&text), &text, &code),
                },
            })
        };
        let (deadline, ongoing) = settled
            .as_ref()
            .map_or((None, false), |s| (s.deadline, s.ongoing));
        let (relative_deadline, warnings) =
            settled.map_or((None, Vec::new()), |s| (s.relative, s.warnings));
        let mut task = ParsedTask {
            code,
            kind,
            parent,
            title: node.title.clone(),
            body: body_text,
            clause_text: clause_text.clone(),
            leads: Vec::new(),
            participants: Vec::new(),
            implementers: Vec::new(),
            groups: Vec::new(),
            deadline,
            relative_deadline,
            ongoing,
            lead_undecided: false,
            warnings,
        };
        if let Some((_, names)) = plain_standing {
            clause.standing_implementers.extend(names);
        }
        b.assign(&mut task, &clause, false);
        b.deadline_warning(&mut task);
        let idx = b.tasks.len();
        b.tasks.push(task);
        node_task.push(idx);
        if !body.has_target_list {
            let year = b.tasks[idx].deadline.map(|d| d.year_value());
            b.add_targets(idx, &text, year);
        }
    }
}

fn is_context(nodes: &[Node], i: usize) -> bool {
    let mut cur = Some(i);
    while let Some(c) = cur {
        let title = &nodes[c].title;
        if CONTEXT_WORDS.iter().any(|w| title.contains(w)) {
            return true;
        }
        cur = nodes[c].parent;
    }
    false
}

fn label_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(&format!(
            r"(?:^|[。;\s])((?:{})\s*[:：])",
            crate::clause::label_alternation()
        ))
        .expect("static regex")
    })
}

/// Puts labelled responsibility lines (`责任单位：A、B` at the end of an item
/// or on a line of their own) into brackets so that the clause grammar
/// reads them like `(A、B按职责分工负责)`.
fn bracket_labelled_lines(text: &str) -> String {
    if !label_re().is_match(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    // Was the previous line a labelled line of its own? Consecutive labelled
    // lines (`牵头单位：A` / `责任单位：B`) form one clause, so that the
    // roles are read together (an explicit lead makes 责任单位 participants,
    // as in `A牵头，B按职责分工负责`).
    let mut prev_labelled = false;
    for (k, line) in text.split('\n').enumerate() {
        // A label inside an open bracket is already part of a clause
        // (`(牵头单位:A;责任单位:B、` cut off at the end).
        let inside_bracket = |at: usize| {
            let mut depth = 0i32;
            for c in line[..at].chars() {
                match c {
                    '(' | '（' | '〔' | '[' | '【' => depth += 1,
                    ')' | '）' | '〕' | ']' | '】' => depth -= 1,
                    _ => {}
                }
            }
            depth > 0
        };
        match label_re()
            .captures(line)
            .and_then(|c| c.get(1))
            .filter(|m| !inside_bracket(m.start()))
        {
            Some(m) => {
                let own_line = line[..m.start()].trim().is_empty();
                let content = line[m.start()..].trim_end_matches(['。', ' ', ';', '；']);
                if prev_labelled && own_line && out.ends_with(')') {
                    out.pop();
                    out.push(';');
                } else {
                    if k > 0 {
                        out.push('\n');
                    }
                    out.push_str(&line[..m.start()]);
                    out.push('(');
                }
                out.push_str(content);
                out.push(')');
                prev_labelled = true;
            }
            None => {
                if k > 0 {
                    out.push('\n');
                }
                out.push_str(line);
                prev_labelled = false;
            }
        }
    }
    out
}

/// Removes clause brackets from a text.
fn strip_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(s, e) in ranges {
        if s >= last && e <= text.len() {
            out.push_str(&text[last..s]);
            last = e;
        }
    }
    out.push_str(&text[last..]);
    out
}

//! Assembles a [`ParsedPlan`] from decoded blocks: header, outline tasks,
//! attached lists and sheets, responsibility, deadlines, targets, warnings.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use crate::clause::{Clause, find_clauses};
use crate::clean::{self, PAGE_MARK};
use crate::deadline::{Deadline, explicit_deadline, parse_deadline_cell, task_deadline};
use crate::docx::Block;
use crate::header::{infer_region, parse_header, split_title_line};
use crate::outline::{Node, numeral, parse_outline};
use crate::registry::{Region, Registry, Resolved, resolve_list};
use crate::sheet::{Grid, grid_to_list};
use crate::tables::{ListItem, ListKind, ListRow, TaskList, find_flat_lists};
use crate::target::extract_targets;
use crate::{ParsedPlan, ParsedTarget, ParsedTask, TaskKind, Warning};

/// Fingerprint of a document with no text at all.
pub(crate) const EMPTY_FINGERPRINT: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

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

fn attachment_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?m)(?:^|[。;])\s*(附件\s*(?::|\d|$))").expect("static regex"))
}

/// Everything needed while building tasks.
struct Builder<'a> {
    registry: &'a Registry,
    region: Region,
    tasks: Vec<ParsedTask>,
    targets: Vec<ParsedTarget>,
    warnings: Vec<Warning>,
    unconfirmed: Vec<String>,
    standing: Vec<Resolved>,
    codes: HashSet<String>,
    /// The plan's year (title `2024年…`, else issue date) for dates written
    /// without one (`6月底前`).
    plan_year: Option<i32>,
    /// The first-listed lead rule is in force (stated in the preamble or in
    /// a clause, from that task on).
    first_listed: bool,
    /// How the document was read, for [`ParsedPlan::conventions`].
    conventions: Vec<crate::Convention>,
}

impl Builder<'_> {
    fn unique_code(&mut self, code: String) -> String {
        let mut c = code.clone();
        let mut k = 2;
        while self.codes.contains(&c) {
            c = format!("{code}#{k}");
            k += 1;
        }
        self.codes.insert(c.clone());
        c
    }

    fn resolve(&self, names: &[String]) -> Vec<Resolved> {
        resolve_list(names, &self.region, self.registry)
    }

    /// Applies roles to a task, records standing rules, and warns.
    fn convention(&mut self, code: &str, from: Option<&str>, description: String) {
        match self.conventions.iter_mut().find(|c| c.code == code) {
            Some(c) => {
                if let Some(f) = from
                    && !c.tasks.iter().any(|t| t == f)
                    && c.tasks.len() < 200
                {
                    c.tasks.push(f.to_string());
                }
            }
            None => self.conventions.push(crate::Convention {
                code: code.to_string(),
                description,
                from: from.map(|f| f.to_string()),
                tasks: from.map(|f| vec![f.to_string()]).unwrap_or_default(),
            }),
        }
    }

    fn assign(&mut self, task: &mut ParsedTask, clause: &Clause, by_reference: bool) {
        if clause.first_listed_rule && !self.first_listed {
            self.first_listed = true;
            let code = task.code.clone();
            self.convention(
                "FIRST_LISTED_LEAD",
                Some(&code),
                format!("first-listed lead (列第一位者为牵头单位) from {code} on: in every later list the first body leads and the others participate, unless 牵头 is written"),
            );
        }
        let mut leads = self.resolve(&clause.leads);
        let mut participants = self.resolve(&clause.participants);
        let mut implementers = self.resolve(&clause.implementers);
        // Agency names are validated: a string that is not in the registry
        // and does not read as a body is warned about, never assigned.
        for list in [&mut leads, &mut participants, &mut implementers] {
            list.retain(|r| {
                let ok = r.is_group
                    || r.agency.confirmed
                    || crate::registry::reads_as_body(&r.agency.raw);
                if !ok {
                    task.warnings.push(Warning::new(
                        "NOT_AN_AGENCY",
                        format!(
                            "\"{}\" does not read as the name of a body and was not assigned",
                            r.agency.raw
                        ),
                        Some(&task.code),
                    ));
                }
                ok
            });
        }
        if self.first_listed && !clause.explicit_lead && leads.len() > 1 {
            // The standing rule: the first body leads, the rest participate.
            let rest: Vec<Resolved> = leads.drain(1..).collect();
            participants.splice(0..0, rest);
            if task.kind != TaskKind::Heading {
                let code = task.code.clone();
                self.convention("FIRST_LISTED_LEAD", Some(&code), String::new());
            }
        }
        let standing = self.resolve(&clause.standing_implementers);
        participants.retain(|p| !leads.iter().any(|l| l.agency.name == p.agency.name));
        implementers.retain(|p| {
            !leads.iter().any(|l| l.agency.name == p.agency.name)
                && !participants.iter().any(|l| l.agency.name == p.agency.name)
        });
        if !standing.is_empty() {
            // The rule applies from this task on.
            let names: Vec<String> = standing.iter().map(|r| r.agency.name.clone()).collect();
            self.standing = standing;
            let code = task.code.clone();
            self.conventions.retain(|c| {
                c.code != "STANDING_IMPLEMENTERS" || c.from.as_deref() != Some(code.as_str())
            });
            self.conventions.push(crate::Convention {
                code: "STANDING_IMPLEMENTERS".into(),
                description: format!(
                    "standing rule from {code} on: {} implement every later task (以下均…落实/不再列出/下同)",
                    names.join("、")
                ),
                from: Some(code.clone()),
                tasks: vec![code],
            });
        }
        if task.kind != TaskKind::Heading {
            for s in &self.standing {
                let present = leads
                    .iter()
                    .chain(participants.iter())
                    .chain(implementers.iter())
                    .any(|r| r.agency.name == s.agency.name);
                if !present {
                    implementers.push(s.clone());
                }
            }
        }
        let code = task.code.clone();
        if clause.truncated {
            let w = Warning::new(
                "TEXT_TRUNCATED",
                format!(
                    "a responsibility cell or clause longer than {} characters was cut; names after the cut were not read",
                    crate::clause::MAX_LIST_CHARS
                ),
                Some(&code),
            );
            if !task.warnings.contains(&w) {
                task.warnings.push(w);
            }
        }
        for r in leads
            .iter()
            .chain(participants.iter())
            .chain(implementers.iter())
        {
            if r.is_group {
                if !task.groups.contains(&r.agency.name) {
                    task.groups.push(r.agency.name.clone());
                }
            } else if !r.agency.confirmed {
                let w = Warning::new(
                    "UNKNOWN_AGENCY",
                    format!(
                        "agency not in the registry: {} (written \"{}\")",
                        r.agency.name, r.agency.raw
                    ),
                    Some(&code),
                );
                if !task.warnings.contains(&w) {
                    task.warnings.push(w);
                }
                if !self.unconfirmed.contains(&r.agency.name) {
                    self.unconfirmed.push(r.agency.name.clone());
                }
            }
        }
        task.leads = leads.into_iter().map(|r| r.agency).collect();
        task.participants = participants.into_iter().map(|r| r.agency).collect();
        task.implementers = implementers.into_iter().map(|r| r.agency).collect();
        task.lead_undecided = clause.lead_undecided;
        if task.kind == TaskKind::Heading {
            return;
        }
        if clause.lead_undecided {
            task.warnings.push(Warning::new(
                "LEAD_UNDECIDED",
                "the lead agency is not decided yet (待国家分工明确后确定)",
                Some(&code),
            ));
        } else if by_reference || clause.by_reference {
            task.warnings.push(Warning::new(
                "LEAD_BY_REFERENCE",
                "responsibility is given by reference to another document",
                Some(&code),
            ));
        } else if task.leads.is_empty() {
            task.warnings.push(Warning::new(
                "NO_LEAD",
                "no lead agency is named for this task",
                Some(&code),
            ));
        }
    }

    fn deadline_warning(&self, task: &mut ParsedTask) {
        if task.kind != TaskKind::Heading && task.deadline.is_none() && !task.ongoing {
            let code = task.code.clone();
            task.warnings.push(Warning::new(
                "NO_DEADLINE",
                "no deadline is stated; set one or mark the task ongoing",
                Some(&code),
            ));
        }
    }

    fn add_targets(&mut self, task_index: usize, text: &str, year: Option<i32>) {
        let (leads, participants) = {
            let t = &self.tasks[task_index];
            (t.leads.clone(), t.participants.clone())
        };
        for d in extract_targets(text, year) {
            self.targets.push(ParsedTarget {
                task_index: Some(task_index),
                indicator: d.indicator,
                value: d.value,
                unit: d.unit,
                direction: d.direction,
                target_year: d.target_year,
                baseline: d.baseline,
                leads: leads.clone(),
                participants: participants.clone(),
            });
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

fn short_title(text: &str) -> String {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | ';'))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let title = &t[..end];
    if title.chars().count() > 60 {
        title.chars().take(60).collect()
    } else {
        title.to_string()
    }
}

fn fingerprint(lines: &[String], grids: &[Grid]) -> String {
    let mut h = Sha256::new();
    for l in lines {
        let s: String = l
            .chars()
            .filter(|c| !c.is_whitespace() && *c != PAGE_MARK)
            .collect();
        h.update(s.as_bytes());
    }
    for g in grids {
        for row in g {
            for cell in row {
                let s: String = clean::normalize_chars(cell)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                h.update(s.as_bytes());
                h.update([0x1f]);
            }
            h.update([0x1e]);
        }
    }
    hex::encode(h.finalize())
}

/// Builds the plan from decoded blocks.
pub(crate) fn build_plan(blocks: Vec<Block>, registry: &Registry) -> ParsedPlan {
    let mut lines: Vec<String> = Vec::new();
    let mut grids: Vec<Grid> = Vec::new();
    let mut cell_tables = 0usize;
    // The document's own characters, for the stored titles and bodies.
    let mut source = String::new();
    for b in &blocks {
        match b {
            Block::Text(t) => source.push_str(t),
            Block::Grid(g) => {
                for row in g {
                    for c in row {
                        source.push_str(c);
                        source.push('\n');
                    }
                }
            }
        }
        source.push('\n');
    }
    let traditional = blocks
        .iter()
        .map(|b| match b {
            Block::Text(t) => t
                .chars()
                .take(100_000)
                .filter(|&c| c as u32 >= 0x4E00 && clean::to_simplified(c) != c)
                .count(),
            Block::Grid(_) => 0,
        })
        .sum::<usize>()
        >= 20;
    for b in blocks {
        match b {
            Block::Text(t) => {
                // Tables pasted one cell per line become grids (read before
                // the clean-up, which takes their row numbers for page
                // numbers).
                let raw: Vec<String> = clean::normalize_chars(&t)
                    .split('\n')
                    .map(|l| l.trim().to_string())
                    .collect();
                let mut vtables = crate::vtable::find_vertical_tables(&raw);
                vtables.extend(crate::vtable::find_space_tables(&raw));
                vtables.extend(crate::vtable::find_record_tables(&raw));
                vtables.sort_by_key(|(r, _)| r.start);
                if vtables.is_empty() {
                    lines.extend(clean::clean(&t).lines);
                } else {
                    let mut keep = vec![true; raw.len()];
                    for (range, grid) in vtables {
                        cell_tables += 1;
                        for k in range {
                            keep[k] = false;
                        }
                        grids.push(grid);
                    }
                    let rest: Vec<&str> = raw
                        .iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(l, _)| l.as_str())
                        .collect();
                    lines.extend(clean::clean(&rest.join("\n")).lines);
                }
            }
            Block::Grid(g) => {
                let g: Grid = g
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|c| clean::normalize_chars(&c).trim().to_string())
                            .collect()
                    })
                    .collect();
                grids.push(g);
            }
        }
    }
    let print = fingerprint(&lines, &grids);
    // A one-line document: split its title from the rest.
    if let Some(first) = lines.first()
        && let Some((title, rest)) = split_title_line(first)
    {
        lines[0] = title;
        lines.insert(1, rest);
    }
    let flattened = lines.iter().any(|l| l.chars().count() > 2000);

    // Header and region from the lines before the first outline marker.
    let first_marker = lines
        .iter()
        .position(|l| clean::starts_with_marker(l))
        .unwrap_or(lines.len());
    let preamble: Vec<String> = lines[..first_marker.min(80)].to_vec();
    let tail_start = lines.len().saturating_sub(6);
    let mut header = parse_header(&preamble, &lines[tail_start..]);
    if header.title.is_empty() {
        // A sheet: its title row.
        if let Some(t) = grids.iter().flat_map(|g| g.iter().take(3)).find_map(|r| {
            let ne: Vec<&String> = r.iter().filter(|c| !c.is_empty()).collect();
            (ne.len() == 1 && ne[0].chars().count() <= 60).then(|| ne[0].clone())
        }) {
            header.title = t;
        }
    }
    let joined = lines.join("\n");
    let sample: String = joined.chars().take(200_000).collect();
    let mut region = infer_region(&header.title, &header.issuers, &sample, registry);
    // `区人民政府办公室关于…` names the level only: a signature line
    // (`蔡甸区人民政府办公室`) names the place.
    if region.name().is_none() {
        static SIG: OnceLock<Regex> = OnceLock::new();
        let sig = SIG.get_or_init(|| {
            Regex::new(r"^([\p{Han}]{2,4}?(?:区|县|市))人民政府(?:办公室|办公厅)?$")
                .expect("static regex")
        });
        if let Some(c) = lines.iter().take(120).find_map(|l| sig.captures(l.trim())) {
            let place = c[1].to_string();
            if !matches!(place.as_str(), "区" | "县" | "市")
                && !place.starts_with(['省', '市', '县', '区'])
            {
                if place.ends_with('市') {
                    region.city = Some(place);
                } else {
                    region.county = Some(place);
                }
            }
        }
    }
    if region.name().is_none()
        && let Some(p) = header
            .document_number
            .as_deref()
            .and_then(crate::header::province_of_document_number)
    {
        region.province = Some(p.to_string());
    }

    // Issuers to canonical names where known.
    let issuers: Vec<String> = header
        .issuers
        .iter()
        .map(|i| {
            registry
                .lookup(&region.qualify(i))
                .map(|e| e.name.clone())
                .unwrap_or_else(|| i.clone())
        })
        .collect();

    // Flattened lists; the body is the text without them, up to the
    // attachments.
    let mut lists: Vec<TaskList> = find_flat_lists(&joined, &region, registry);
    let mut body = String::with_capacity(joined.len());
    let mut last = 0;
    for l in &lists {
        if l.range.start >= last && l.range.end <= joined.len() {
            body.push_str(&joined[last..l.range.start]);
            body.push('\n');
            last = l.range.end;
        }
    }
    body.push_str(&joined[last..]);
    let mut dropped_warning = None;
    if let Some(m) = attachment_re().captures(&body).and_then(|c| c.get(1)) {
        // Only when it is not the very start (a document of attachments).
        if m.start() > body.len() / 5 {
            // Attachments are read as lists; anything else after the mark is
            // dropped, but never silently when it holds tasks.
            let dropped = &body[m.start()..];
            if crate::tables::contains_list_header(dropped) || !find_clauses(dropped).is_empty() {
                let snippet: String = dropped.chars().take(40).collect();
                dropped_warning = Some(Warning::new(
                    "TEXT_DROPPED",
                    format!(
                        "text after the attachment mark was not read although it looks like a task table or carries responsibility clauses: {}…",
                        snippet.replace('\n', " ")
                    ),
                    None,
                ));
            }
            body.truncate(m.start());
        }
    }
    for g in &grids {
        if let Some(l) = grid_to_list(g) {
            lists.push(l);
        }
    }
    let body_lines: Vec<String> = body.split('\n').map(|s| s.to_string()).collect();
    let body_lines = clean::split_long_lines(body_lines);
    let outline = parse_outline(&body_lines, flattened);

    let mut b = Builder {
        registry,
        region: region.clone(),
        tasks: Vec::new(),
        targets: Vec::new(),
        warnings: Vec::new(),
        unconfirmed: Vec::new(),
        standing: Vec::new(),
        codes: HashSet::new(),
        plan_year: plan_year(&header.title, header.issue_date),
        first_listed: false,
        conventions: Vec::new(),
    };
    // A preamble rule (`排在第一位的部门为牵头部门`) holds for the whole document.
    if crate::clause::states_first_listed_rule(&outline.preamble.join("\n"))
        || crate::clause::states_first_listed_rule(&preamble.join("\n"))
    {
        b.first_listed = true;
        b.convention(
            "FIRST_LISTED_LEAD",
            None,
            "first-listed lead (排在第一位的部门为牵头部门) stated in the preamble: in every list of the document the first body leads and the others participate, unless 牵头 is written".into(),
        );
    }
    b.warnings.extend(dropped_warning);
    for (code, note) in &outline.notes {
        b.warnings
            .push(Warning::new("NUMBERING_SKIP", note.clone(), Some(code)));
    }
    if region.name().is_none() {
        b.warnings.push(Warning::new(
            "NO_REGION",
            "the plan's region could not be inferred; relative names (市…/省…) stay unqualified",
            None,
        ));
    }
    let has_lists = lists
        .iter()
        .any(|l| l.items.iter().any(|i| matches!(i, ListItem::Row(_))));
    let has_target_list = lists.iter().any(|l| l.kind == ListKind::Target);

    // Outline tasks.
    let nodes = &outline.nodes;
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
        let clause_text: String = ranges
            .iter()
            .filter_map(|&(a, z)| node_text.get(a..z))
            .collect::<Vec<_>>()
            .join("\n");
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
        let work_leaf = leaf && !context && !has_lists && substantive && node.level >= 2;
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
        let kind = if !clause.is_empty() || work_leaf {
            TaskKind::Task
        } else {
            TaskKind::Heading
        };
        let parent = node.parent.map(|p| node_task[p]);
        let code = b.unique_code(node.code.clone());
        let (deadline, ongoing) = if kind == TaskKind::Heading {
            (None, false)
        } else {
            // An explicit completion limit (`完成时限：2024年6月底前`, also
            // inside the responsibility clause) is the task's deadline;
            // otherwise the latest date the text names.
            with_plan_year(
                explicit_deadline(&node_text).unwrap_or_else(|| task_deadline(&text)),
                &text,
                b.plan_year,
            )
        };
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
            ongoing,
            lead_undecided: false,
            warnings: Vec::new(),
        };
        if let Some((_, names)) = plain_standing {
            clause.standing_implementers.extend(names);
        }
        b.assign(&mut task, &clause, false);
        b.deadline_warning(&mut task);
        let idx = b.tasks.len();
        b.tasks.push(task);
        node_task.push(idx);
        if !has_target_list {
            let year = b.tasks[idx].deadline.map(|d| d.year_value());
            b.add_targets(idx, &text, year);
        }
    }

    // Lists: targets, tasks, policies.
    let mut default_deadline: Option<Deadline> = None;
    for list in &lists {
        if let Some(d) = &list.dropped {
            b.warnings.push(Warning::new(
                "LIST_TEXT_DROPPED",
                format!(
                    "text in a {} list that no row could take was not read: {d}…",
                    list.kind.code_prefix()
                ),
                None,
            ));
        }
        if default_deadline.is_none() {
            default_deadline = list.default_deadline;
        }
        let list_default = list.default_deadline.or(default_deadline);
        let prefix = list.kind.code_prefix();
        let kind = match list.kind {
            ListKind::Target => TaskKind::Target,
            ListKind::Task => TaskKind::Task,
            ListKind::Policy => TaskKind::Policy,
        };
        let mut chapter: Option<(usize, String)> = None;
        let mut section: Option<usize> = None;
        let mut unnumbered = 0;
        for item in &list.items {
            match item {
                ListItem::Heading {
                    level,
                    number,
                    title,
                } => {
                    let code = if *number == 0 {
                        unnumbered += 1;
                        format!("{prefix}H{unnumbered}")
                    } else if *level == 1 {
                        format!("{prefix}{}", numeral(*number))
                    } else {
                        match &chapter {
                            Some((_, c)) => format!("{c}({})", numeral(*number)),
                            None => format!("{prefix}({})", numeral(*number)),
                        }
                    };
                    let code = b.unique_code(code);
                    let parent = if *level == 1 {
                        None
                    } else {
                        chapter.as_ref().map(|c| c.0)
                    };
                    let idx = b.tasks.len();
                    b.tasks.push(ParsedTask {
                        code: code.clone(),
                        kind: TaskKind::Heading,
                        parent,
                        title: title.clone(),
                        body: String::new(),
                        clause_text: String::new(),
                        leads: Vec::new(),
                        participants: Vec::new(),
                        implementers: Vec::new(),
                        groups: Vec::new(),
                        deadline: None,
                        ongoing: false,
                        lead_undecided: false,
                        warnings: Vec::new(),
                    });
                    if *level == 1 {
                        chapter = Some((idx, code));
                        section = None;
                    } else {
                        section = Some(idx);
                    }
                }
                ListItem::Row(row) => {
                    let idx = push_row(
                        &mut b,
                        row,
                        prefix,
                        kind,
                        section.or(chapter.as_ref().map(|c| c.0)),
                        list_default,
                    );
                    let year = b.tasks[idx].deadline.map(|d| d.year_value());
                    b.add_targets(idx, &row.text, year);
                }
            }
        }
    }

    if !outline.notes.is_empty() {
        let notes: Vec<String> = outline
            .notes
            .iter()
            .map(|(code, note)| format!("{code}: {}", note.trim_start_matches("numbering skips: ")))
            .collect();
        b.conventions.push(crate::Convention {
            code: "NUMBERING".into(),
            description: format!(
                "numbering with gaps, read on and warned (NUMBERING_SKIP): {}",
                notes.join("; ")
            ),
            from: outline.notes.first().map(|(c, _)| c.clone()),
            tasks: outline
                .notes
                .iter()
                .map(|(c, _)| c.clone())
                .take(200)
                .collect(),
        });
    }
    if let Some(d) = default_deadline {
        b.conventions.push(crate::Convention {
            code: "DEFAULT_DEADLINE".into(),
            description: format!(
                "default deadline {} from a footnote (上表中未注明的…), for the rows that state none",
                d.date
            ),
            from: None,
            tasks: Vec::new(),
        });
    }
    if traditional {
        b.conventions.push(crate::Convention {
            code: "TRADITIONAL_CHARACTERS".into(),
            description: "written in traditional characters: read with the same grammar; titles and bodies keep the document's characters, agency names are given in simplified form".into(),
            from: None,
            tasks: Vec::new(),
        });
    }
    if cell_tables > 0 {
        b.conventions.push(crate::Convention {
            code: "CELL_PER_LINE_TABLE".into(),
            description: format!("{cell_tables} table(s) pasted one cell per line, read as task sheets (rows by their running numbers)"),
            from: None,
            tasks: Vec::new(),
        });
    }
    let mut warnings = b.warnings;
    if !b.tasks.iter().any(|t| t.kind != TaskKind::Heading) {
        warnings.push(Warning::new(
            "NO_TASKS",
            "no tasks were found in the document",
            None,
        ));
    }
    for t in &b.tasks {
        warnings.extend(t.warnings.iter().cloned());
    }
    // Stored text reads exactly as the document does: the grammar worked on
    // normalised text (ASCII punctuation, simplified characters).
    let mut restorer = clean::Restorer::new(&source);
    let restorer_source_lines = source;
    for t in &mut b.tasks {
        t.title = restorer.restore(&t.title);
        t.body = restorer.restore(&t.body);
    }
    header.title = restorer.restore(&header.title);
    let context = account_for_every_line(
        &restorer_source_lines,
        &header,
        &outline.preamble,
        &mut b.tasks,
        &mut warnings,
    );
    ParsedPlan {
        title: header.title,
        document_number: header.document_number,
        issuers,
        issue_date: header.issue_date,
        region: region.name(),
        default_deadline,
        tasks: b.tasks,
        targets: b.targets,
        warnings,
        fingerprint: print,
        unconfirmed_agencies: b.unconfirmed,
        conventions: b.conventions,
        context,
    }
}

/// No silent loss: every non-blank line of the source must end up in a
/// heading or task (title, body or clause), the header or the preamble. The
/// lines that do not are kept as `unread` context, each run of them with a
/// `TEXT_UNREAD` warning. Also warns of a task body holding outline-numbered
/// lines (`BODY_HAS_OUTLINE`) and of a heading that absorbed a responsibility
/// clause (`HEADING_WITH_CLAUSE`).
fn account_for_every_line(
    source: &str,
    header: &crate::header::Header,
    preamble: &[String],
    tasks: &mut [ParsedTask],
    warnings: &mut Vec<Warning>,
) -> Vec<crate::ContextText> {
    let mut context: Vec<crate::ContextText> = preamble
        .iter()
        .map(|l| crate::ContextText {
            kind: "preamble".into(),
            text: l.clone(),
        })
        .collect();
    // Everything read, normalised for matching, in document order.
    let mut places = String::new();
    for s in std::iter::once(&header.title)
        .chain(header.document_number.iter())
        .chain(header.issuers.iter())
        .chain(preamble.iter())
    {
        places.push_str(&clean::match_key(s));
        places.push('|');
    }
    for t in tasks.iter() {
        // title and body run on (a key may span both)
        places.push_str(&clean::match_key(&t.title));
        places.push_str(&clean::match_key(&t.body));
        places.push('|');
        places.push_str(&clean::match_key(&t.clause_text));
        places.push('|');
    }
    let mut cursor = 0usize;
    let mut run: Vec<String> = Vec::new();
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut misses = 0usize;
    for line in source.split('\n') {
        let line = line.trim();
        let key = clean::line_key(line);
        if key.chars().count() < 2 {
            continue;
        }
        let key: String = key.chars().take(16).collect();
        if misses >= 300 {
            // A document this far out of order is reported, not searched.
            run.push(line.to_string());
            continue;
        }
        let window_end = places.len().min(cursor + 100_000);
        let window_end = (window_end..=places.len())
            .find(|&e| places.is_char_boundary(e))
            .unwrap_or(places.len());
        let found = places[cursor..window_end]
            .find(&key)
            .map(|p| p + cursor)
            .or_else(|| {
                // Out of order (a table read after the text): search it all,
                // for documents of ordinary size.
                (places.len() <= 2_000_000)
                    .then(|| places.find(&key))
                    .flatten()
            });
        match found {
            Some(p) => {
                if p >= cursor {
                    cursor = p;
                }
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
            None => {
                misses += 1;
                run.push(line.to_string());
            }
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    for r in runs {
        let first: String = r[0].chars().take(40).collect();
        warnings.push(Warning::new(
            "TEXT_UNREAD",
            format!(
                "{} line(s) not read into any heading or task (kept as context): {first}{}",
                r.len(),
                if r.len() > 1 || r[0].chars().count() > 40 {
                    "…"
                } else {
                    ""
                }
            ),
            None,
        ));
        for l in r {
            context.push(crate::ContextText {
                kind: "unread".into(),
                text: l,
            });
        }
    }
    for t in tasks.iter_mut() {
        if t.kind == TaskKind::Heading && !t.clause_text.is_empty() {
            let w = Warning::new(
                "HEADING_WITH_CLAUSE",
                "a heading carries a responsibility clause: check whether it is a task",
                Some(&t.code),
            );
            t.warnings.push(w.clone());
            warnings.push(w);
        }
        if t.kind != TaskKind::Heading && t.body.lines().skip(1).any(clean::starts_with_marker) {
            let w = Warning::new(
                "BODY_HAS_OUTLINE",
                "the task body holds outline-numbered lines that were not read as items",
                Some(&t.code),
            );
            t.warnings.push(w.clone());
            warnings.push(w);
        }
    }
    context
}

/// The year a plan is about: a single year in its title (`2024年工作要点`), else the
/// year it was issued. A title naming a span (`（2021—2030年）`, `2021-2025年`) is about
/// no one year, so the issue year counts.
fn plan_year(title: &str, issue: Option<chrono::NaiveDate>) -> Option<i32> {
    static R: OnceLock<Regex> = OnceLock::new();
    static SPAN: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("static regex"));
    let span = SPAN.get_or_init(|| {
        Regex::new(r"(?:19|20)\d{2}\s*年?\s*[-—–~～至到]+\s*(?:19|20)\d{2}").expect("static regex")
    });
    let single = if span.is_match(title) {
        None
    } else {
        re.captures(title).and_then(|c| c[1].parse().ok())
    };
    single.or_else(|| issue.map(|d| chrono::Datelike::year(&d)))
}

/// A deadline found without a year (`6月底前`) in the plan's year, when the
/// text named no other.
fn with_plan_year(
    found: (Option<Deadline>, bool),
    text: &str,
    year: Option<i32>,
) -> (Option<Deadline>, bool) {
    match (found, year) {
        ((None, false), Some(y)) => match crate::deadline::yearless_deadline(text, y) {
            Some(d) => (Some(d), false),
            None => (None, false),
        },
        // `2017年6月底前…、9月底前…、11月底前全部下达`: dates without a year
        // after a dated one of the same text are in that year.
        ((Some(d), false), _) if d.year_value() == year.unwrap_or(d.year_value()) => {
            match crate::deadline::yearless_deadline(text, d.year_value()) {
                Some(y) if y.date > d.date => (Some(y), false),
                _ => found,
            }
        }
        _ => found,
    }
}

fn push_row(
    b: &mut Builder,
    row: &ListRow,
    prefix: &str,
    kind: TaskKind,
    parent: Option<usize>,
    list_default: Option<Deadline>,
) -> usize {
    let code = b.unique_code(format!("{prefix}{}", row.number));
    let (mut deadline, mut ongoing) = match &row.deadline_cell {
        Some(c)
            if matches!(c.trim(), "全年" | "年内" | "本年度" | "年度内")
                && b.plan_year.is_some() =>
        {
            (b.plan_year.and_then(crate::deadline::Deadline::year), false)
        }
        Some(c) => with_plan_year(parse_deadline_cell(c), c, b.plan_year),
        None => with_plan_year(task_deadline(&row.text), &row.text, b.plan_year),
    };
    // The list's footnote default covers every row without a date of its
    // own, even rows describing continuing work.
    if deadline.is_none() && (row.deadline_cell.is_none() || !ongoing) {
        deadline = list_default;
    }
    if deadline.is_some() {
        ongoing = false;
    }
    let mut task = ParsedTask {
        code: code.clone(),
        kind,
        parent,
        title: short_title(&row.text),
        body: row.text.clone(),
        clause_text: row
            .leads
            .iter()
            .chain(&row.participants)
            .chain(&row.implementers)
            .chain(&row.standing)
            .cloned()
            .chain(row.deadline_cell.clone())
            .collect::<Vec<_>>()
            .join("、"),
        leads: Vec::new(),
        participants: Vec::new(),
        implementers: Vec::new(),
        groups: Vec::new(),
        deadline,
        ongoing,
        lead_undecided: false,
        warnings: Vec::new(),
    };
    let clause = Clause {
        leads: row.leads.clone(),
        participants: row.participants.clone(),
        implementers: row.implementers.clone(),
        standing_implementers: row.standing.clone(),
        lead_undecided: row.lead_undecided,
        by_reference: row.by_reference,
        truncated: row.truncated,
        // a participant column makes the lead column explicit
        explicit_lead: !row.participants.is_empty(),
        first_listed_rule: false,
    };
    b.assign(&mut task, &clause, row.by_reference);
    if let Some(a) = &row.ambiguous {
        task.warnings.push(Warning::new(
            "AMBIGUOUS_SPLIT",
            format!("the row's columns could not be split with certainty: {a}"),
            Some(&code),
        ));
    }
    b.deadline_warning(&mut task);
    let idx = b.tasks.len();
    b.tasks.push(task);
    idx
}

#[cfg(test)]
mod tests {

    #[test]
    fn plan_year_ignores_a_span_in_the_title() {
        let issued = chrono::NaiveDate::from_ymd_opt(2022, 3, 1);
        assert_eq!(
            super::plan_year("某市2024年节能降碳工作要点", issued),
            Some(2024)
        );
        assert_eq!(
            super::plan_year("某市碳达峰实施方案（2021—2030年）", issued),
            Some(2022)
        );
        assert_eq!(
            super::plan_year("某市行动计划(2021-2025年)", issued),
            Some(2022)
        );
        assert_eq!(super::plan_year("某市行动计划", None), None);
    }

    use crate::{Registry, RegistryEntry, TaskKind, parse_text};

    fn reg() -> Registry {
        let e = |name: &str, aliases: &[&str]| RegistryEntry {
            name: name.into(),
            short_name: None,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            level: "city".into(),
            kind: "department".into(),
            parent: Some("抚顺市人民政府".into()),
        };
        Registry::from_entries(vec![
            e("抚顺市发展和改革委员会", &["抚顺市发展改革委"]),
            e("抚顺市生态环境局", &[]),
            e("抚顺市财政局", &[]),
        ])
    }

    #[test]
    fn plain_sentence_standing_rule_applies_to_later_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n以下各项任务均需各县(市、区)政府落实,不再一一列出。\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)",
            &reg(),
        );
        let kinds: Vec<TaskKind> = plan.tasks.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TaskKind::Heading, TaskKind::Task, TaskKind::Task]);
        for t in &plan.tasks[1..] {
            assert_eq!(t.groups, ["各县(市、区)政府"], "{t:?}");
        }
        assert!(!plan.tasks[0].body.contains("不再"));
    }

    #[test]
    fn yearless_dates_use_the_title_year() {
        let plan = parse_text(
            "抚顺市2024年节能工作要点\n一、重点任务\n(一)推进能源转型。6月底前完成方案。(市发展改革委牵头负责)\n(二)加大资金支持。巩固“十三五”成果。(市财政局负责)",
            &reg(),
        );
        let t = plan.tasks.iter().find(|t| t.code == "一(一)").unwrap();
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        let t = plan.tasks.iter().find(|t| t.code == "一(二)").unwrap();
        assert!(t.deadline.is_none(), "{t:?}");
    }

    #[test]
    fn items_inherit_their_sections_clause() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。(市发展改革委牵头,市财政局配合)\n1.发展光伏发电项目。建设一批分布式光伏。\n2.发展风电项目。建设一批集中式风电。\n(二)加大资金支持。\n1.设立专项资金支持。(市财政局负责)\n2.完善补贴政策制度。修订补贴办法。\n二、实施步骤\n(一)动员部署阶段。2024年3月前完成动员部署。",
            &reg(),
        );
        let t = |c: &str| plan.tasks.iter().find(|t| t.code == c).unwrap();
        for c in ["一(一)1", "一(一)2"] {
            assert_eq!(t(c).kind, TaskKind::Task);
            assert_eq!(t(c).leads[0].name, "抚顺市发展和改革委员会", "{c}");
            assert_eq!(t(c).participants[0].name, "抚顺市财政局", "{c}");
            assert!(!t(c).warnings.iter().any(|w| w.code == "NO_LEAD"));
        }
        // Without a clause on the section, nothing is inherited.
        assert!(t("一(二)2").leads.is_empty());
        // 实施步骤 is context.
        assert_eq!(t("二(一)").kind, TaskKind::Heading);
    }

    #[test]
    fn text_cut_at_an_attachment_mark_is_reported() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)\n(三)加强统计。内容很具体。(市财政局负责)\n附件\n重点项目表\n1.建设储能电站。(市发展改革委负责)",
            &reg(),
        );
        assert!(plan.warnings.iter().any(|w| w.code == "TEXT_DROPPED"));
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)推进能源转型。内容很具体。(市发展改革委牵头负责)\n(二)加大资金支持。内容很具体。(市财政局负责)\n(三)加强统计。内容很具体。(市财政局负责)\n附件\n领导小组成员名单",
            &reg(),
        );
        assert!(!plan.warnings.iter().any(|w| w.code == "TEXT_DROPPED"));
    }

    #[test]
    fn pasted_task_table_rows_become_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、总体要求\n坚持系统观念。\n附件\n任务清单\n序号 工作任务 牵头单位 配合单位 完成时限\n1 推进能源转型。 市发展改革委 市财政局 2025年底前\n2 加大资金支持。 市财政局 市生态环境局 2024年6月底前\n注：表中未注明时限的，均于2025年底前完成。",
            &reg(),
        );
        let tasks: Vec<_> = plan
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Task)
            .collect();
        assert_eq!(tasks.len(), 2, "{:#?}", plan.tasks);
        assert_eq!(tasks[0].leads[0].name, "抚顺市发展和改革委员会");
        assert_eq!(tasks[1].participants[0].name, "抚顺市生态环境局");
        assert_eq!(tasks[1].deadline.unwrap().date.to_string(), "2024-06-30");
    }

    #[test]
    fn context_chapters_are_headings_and_work_is_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、总体要求\n(一)指导思想\n坚持系统观念。\n二、重点任务\n(一)推进能源转型。内容。(市发展改革委牵头负责)\n(二)无分工的任务。内容很具体。\n三、保障措施\n(一)加强组织领导。各部门要加强领导。\n(二)加大资金支持。(市财政局负责)",
            &reg(),
        );
        let kinds: Vec<(&str, TaskKind)> = plan
            .tasks
            .iter()
            .map(|t| (t.code.as_str(), t.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("一", TaskKind::Heading),
                ("一(一)", TaskKind::Heading),
                ("二", TaskKind::Heading),
                ("二(一)", TaskKind::Task),
                ("二(二)", TaskKind::Task),
                ("三", TaskKind::Heading),
                ("三(一)", TaskKind::Heading),
                ("三(二)", TaskKind::Task),
            ]
        );
        assert!(plan.tasks[4].warnings.iter().any(|w| w.code == "NO_LEAD"));
        assert_eq!(plan.tasks[3].parent, Some(2));
    }

    #[test]
    fn standing_rule_applies_to_later_tasks() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n1.任务甲。内容。(市发展改革委、各县区政府等按职责分工负责。以下均需各县区政府、各开发区管委会落实,不再列出)\n2.任务乙。内容。(市生态环境局负责)\n3.任务丙。内容。(市财政局牵头,各县区政府配合)",
            &reg(),
        );
        let t1 = &plan.tasks[1];
        // local governments named after the departments implement
        let imp: Vec<_> = t1.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
        let t2 = &plan.tasks[2];
        let imp: Vec<_> = t2.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
        assert_eq!(t2.groups, ["各县区政府", "各开发区管委会"]);
        let t3 = &plan.tasks[3];
        // local governments after an explicit lead implement; the standing
        // rule does not repeat them
        assert!(t3.participants.is_empty());
        let imp: Vec<_> = t3.implementers.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(imp, ["各县区政府", "各开发区管委会"]);
    }

    #[test]
    fn undecided_lead_and_unknown_agency_warnings() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容。(待国家分工明确后确定)\n(二)任务乙。内容。(市气象局负责)",
            &reg(),
        );
        assert!(plan.tasks[1].lead_undecided);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.code == "LEAD_UNDECIDED" && w.task_code.as_deref() == Some("一(一)"))
        );
        let a = &plan.tasks[2].leads[0];
        assert_eq!(a.name, "抚顺市气象局");
        assert_eq!(a.raw, "市气象局");
        assert!(!a.confirmed);
        assert_eq!(plan.unconfirmed_agencies, ["抚顺市气象局"]);
        assert!(plan.warnings.iter().any(|w| w.code == "UNKNOWN_AGENCY"));
    }

    #[test]
    fn unknown_region_qualifies_names() {
        let plan = parse_text(
            "南京市碳达峰实施方案\n一、重点任务\n(一)任务甲。内容。(市发展改革委、市生态环境局按职责分工负责)",
            &reg(),
        );
        assert_eq!(plan.region.as_deref(), Some("南京市"));
        let names: Vec<_> = plan.tasks[1]
            .leads
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["南京市发展改革委", "南京市生态环境局"]);
        assert!(plan.tasks[1].leads.iter().all(|a| !a.confirmed));
    }

    #[test]
    fn labelled_responsibility_lines() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容。\n牵头单位:市发展改革委\n配合单位:市财政局\n完成时限:2024年6月底前",
            &reg(),
        );
        let t = &plan.tasks[1];
        assert_eq!(t.leads[0].name, "抚顺市发展和改革委员会");
        assert_eq!(t.participants[0].name, "抚顺市财政局");
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        assert!(!t.body.contains("牵头单位"));
    }

    #[test]
    fn labelled_lead_and_responsible_lines_read_together() {
        let plan = parse_text(
            "抚顺市测试方案\n一、重点任务\n(一)任务甲。内容到2025年\n完成。\n牵头单位:市发展改革委\n责任单位:市财政局、市统计局\n(完成时限:2024年6月底前)\n(二)任务乙。内容。\n责任单位:市财政局、市统计局",
            &reg(),
        );
        let t = &plan.tasks[1];
        assert_eq!(t.leads.len(), 1);
        assert_eq!(t.participants.len(), 2);
        assert_eq!(t.deadline.unwrap().date.to_string(), "2024-06-30");
        assert!(t.body.contains("内容到2025年完成"), "{}", t.body);
        // 责任单位 alone: co-leads.
        assert_eq!(plan.tasks[2].leads.len(), 2);
        assert!(plan.tasks[2].participants.is_empty());
    }

    #[test]
    fn targets_from_goal_chapter() {
        let plan = parse_text(
            "济宁市测试方案\n一、主要目标\n到2025年,非化石能源消费比重提高至13%左右。到2030年,单位地区生产总值二氧化碳排放比2005年下降68%以上。\n二、重点任务\n(一)任务。内容。(市发展改革委负责)",
            &Registry::empty(),
        );
        assert_eq!(plan.targets.len(), 2);
        assert_eq!(plan.targets[0].target_year, Some(2025));
        assert_eq!(plan.targets[1].baseline.as_deref(), Some("2005"));
        assert_eq!(plan.targets[0].task_index, Some(0));
    }
}

#[cfg(test)]
mod standing_role_tests {
    use crate::{Registry, parse_text};

    fn roles(plan: &crate::ParsedPlan, code: &str) -> (Vec<String>, Vec<String>) {
        let t = plan
            .tasks
            .iter()
            .find(|t| t.code == code)
            .unwrap_or_else(|| panic!("{code}"));
        (
            t.leads.iter().map(|a| a.name.clone()).collect(),
            t.participants.iter().map(|a| a.name.clone()).collect(),
        )
    }

    #[test]
    fn a_clause_rule_applies_from_its_task_on() {
        let plan = parse_text(
            "国务院关于某项工作的意见\n一、重点任务\n(一)甲工作。内容。(国家发展改革委、财政部负责)\n(二)乙工作。内容。(国家发展改革委、财政部、商务部等按职责分工负责。列第一位者为牵头单位,下同)\n(三)丙工作。内容。(商务部、财政部按职责分工负责)\n(四)丁工作。内容。(财政部、商务部牵头,人民银行参与)",
            &Registry::empty(),
        );
        // before the rule: co-leads
        assert_eq!(roles(&plan, "一(一)").0, ["国家发展改革委", "财政部"]);
        assert_eq!(
            roles(&plan, "一(二)"),
            (
                vec!["国家发展改革委".into()],
                vec!["财政部".into(), "商务部".into()]
            )
        );
        assert_eq!(
            roles(&plan, "一(三)"),
            (vec!["商务部".into()], vec!["财政部".into()])
        );
        // an explicit 牵头 overrides the rule
        assert_eq!(roles(&plan, "一(四)").0, ["财政部", "商务部"]);
        let c = plan
            .conventions
            .iter()
            .find(|c| c.code == "FIRST_LISTED_LEAD")
            .unwrap();
        assert_eq!(c.from.as_deref(), Some("一(二)"));
        assert!(c.description.contains("一(二)"));
        // the rule sentence is no agency
        assert!(plan.tasks.iter().all(|t| {
            t.leads
                .iter()
                .chain(&t.participants)
                .all(|a| !a.name.contains("第一位"))
        }));
    }

    #[test]
    fn a_preamble_rule_applies_to_the_whole_document() {
        let plan = parse_text(
            "国务院办公厅关于某项工作的通知\n各部门按照分工落实。排在第一位的部门为牵头部门。\n一、重点任务\n(一)甲工作。内容。(国家发展改革委、财政部负责)",
            &Registry::empty(),
        );
        assert_eq!(
            roles(&plan, "一(一)"),
            (vec!["国家发展改革委".into()], vec!["财政部".into()])
        );
        let c = plan
            .conventions
            .iter()
            .find(|c| c.code == "FIRST_LISTED_LEAD")
            .unwrap();
        assert!(c.from.is_none());
        assert!(
            plan.to_cli_json()["conventions"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
    }
}

#[cfg(test)]
mod signature_tests {
    #[test]
    fn a_signature_names_the_place_a_relative_title_does_not() {
        let plan = crate::parse_text(
            "区人民政府办公室关于印发重点工作分解方案的通知\n蔡甸区人民政府办公室\n一、主要目标\n(一)地区生产总值增长7%以上。(区发展和改革局)",
            &crate::Registry::empty(),
        );
        assert_eq!(plan.region.as_deref(), Some("蔡甸区"));
    }
}

#[cfg(test)]
mod yearless_tests {
    #[test]
    fn dates_without_a_year_after_a_dated_one_are_in_its_year() {
        let plan = crate::parse_text(
            "某省2017年稳增长意见\n一、推进重大项目建设\n资金须于2017年6月底前下达60%以上、9月底前下达80%以上、11月底前全部下达到位。(省财政厅牵头)",
            &crate::Registry::empty(),
        );
        let t = plan.tasks.iter().find(|t| t.code == "一").unwrap();
        assert_eq!(t.deadline.unwrap().date.to_string(), "2017-11-30");
    }
}

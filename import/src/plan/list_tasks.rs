//! Phase 4b: attached lists and sheets to tasks. Each list heading becomes a
//! heading (`任务一`, `任务一(二)`), each row a target, task or policy coded by
//! its 序号 as written (a sheet's `1`, `(一)`, `1.1`) or else its row number
//! (`目标3`); a row's deadline cell (or its text) gives the
//! deadline, else the list's footnote default (`上表中未注明的，完成时限均为…`).

use super::builder::Builder;
use super::builder::Settled;
use crate::Warning;
use crate::clause::Clause;
use crate::deadline::{Deadline, parse_deadline_cell, task_deadline};
use crate::outline::numeral;
use crate::tables::{ListItem, ListKind, ListRow, TaskList};
use crate::{ParsedTask, TaskKind};

/// Reads every list; returns the document's default deadline (the first
/// list footnote that states one).
pub(super) fn add_list_tasks(b: &mut Builder, lists: &[TaskList]) -> Option<Deadline> {
    let mut default_deadline: Option<Deadline> = None;
    for list in lists {
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
                        relative_deadline: None,
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
                        b,
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
    default_deadline
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

/// A deadline cell saying the plan's whole year (`全年`, `年内`).
fn is_whole_year(cell: &str) -> bool {
    matches!(cell.trim(), "全年" | "年内" | "本年度" | "年度内")
}

fn push_row(
    b: &mut Builder<'_>,
    row: &ListRow,
    prefix: &str,
    kind: TaskKind,
    parent: Option<usize>,
    list_default: Option<Deadline>,
) -> usize {
    // A sheet row is coded by its 序号 as written (`1`, `(一)`, `1.1`); a row
    // without one by the list's prefix and running number (`任务3`).
    let code = b.unique_code(
        row.label
            .clone()
            .unwrap_or_else(|| format!("{prefix}{}", row.number)),
    );
    let settled = match &row.deadline_cell {
        Some(c) if is_whole_year(c) && b.plan_year.is_some() => {
            b.note_plan_year(&code);
            Settled {
                deadline: b.plan_year.and_then(crate::deadline::Deadline::year),
                ongoing: false,
                relative: None,
                warnings: Vec::new(),
            }
        }
        Some(c) => b.settle_deadline(parse_deadline_cell(c), c, &code),
        None => b.settle_deadline(task_deadline(&row.text), &row.text, &code),
    };
    let (mut deadline, mut ongoing) = (settled.deadline, settled.ongoing);
    let mut warnings = settled.warnings;
    // A deadline cell opening with a month (`9月投入使用`) is the month.
    if deadline.is_none()
        && let (Some(c), Some(y)) = (&row.deadline_cell, b.plan_year)
        && let Some(d) = crate::deadline::month_cell(c, y)
    {
        deadline = Some(d);
        b.note_plan_year(&code);
    }
    // `全年` or `9月投入使用` in the cell, and no year known: say so.
    if deadline.is_none()
        && b.plan_year.is_none()
        && let Some(c) = &row.deadline_cell
        && (is_whole_year(c) || crate::deadline::month_cell(c, 2000).is_some())
        && !warnings.iter().any(|w| w.code == "NO_PLAN_YEAR")
    {
        warnings.push(Warning::new(
            "NO_PLAN_YEAR",
            format!("`{}` names no year and neither the document nor the import gives the plan's year: the deadline is not set", c.trim()),
            Some(&code),
        ));
    }
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
        // A sheet row's cells as written; a flattened list's names.
        clause_text: if row.role_cells.is_empty() {
            row.leads
                .iter()
                .chain(&row.participants)
                .chain(&row.implementers)
                .chain(&row.standing)
                .cloned()
                .chain(row.deadline_cell.clone())
                .collect::<Vec<_>>()
                .join("、")
        } else {
            row.role_cells.join("、")
        },
        leads: Vec::new(),
        participants: Vec::new(),
        implementers: Vec::new(),
        groups: Vec::new(),
        deadline,
        relative_deadline: settled.relative,
        ongoing,
        lead_undecided: false,
        warnings,
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
        // a division's name in a cell is still recognised by its ending
        internal_units: Vec::new(),
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

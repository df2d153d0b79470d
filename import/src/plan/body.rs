//! Phase 3: the body of the document. Flattened lists (附件清单 run into one
//! line) and sheets are read as [`TaskList`]s and taken out of the text; text
//! after the attachment mark is cut (attachments are read as lists; a warning
//! says so when the cut text looks like tasks); the rest is read as the
//! outline.

use std::sync::OnceLock;

use regex::Regex;

use crate::Warning;
use crate::clause::find_clauses;
use crate::clean;
use crate::outline::{Outline, parse_outline};
use crate::registry::{Region, Registry};
use crate::sheet::{Grid, grid_to_list};
use crate::tables::{ListItem, ListKind, TaskList, find_flat_lists};

fn attachment_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?m)(?:^|[。;])\s*(附件\s*(?::|\d|$))").expect("static regex"))
}

/// The outline and the lists of the document.
pub(super) struct Body {
    pub lists: Vec<TaskList>,
    /// Codes of the paragraphs read as several duties ([`super::duties`]).
    pub split_duties: Vec<String>,
    /// The closing words after the last item ([`super::closing`]).
    pub closing: Vec<String>,
    pub outline: Outline,
    /// `TEXT_DROPPED`: text after the attachment mark that looked like tasks.
    pub dropped_warning: Option<Warning>,
    /// A list has rows: outline leaves are then not tasks by themselves.
    pub has_lists: bool,
    /// A target list states the targets: none are read from the outline.
    pub has_target_list: bool,
}

pub(super) fn read_body(
    lines: &[String],
    grids: &[Grid],
    region: &Region,
    registry: &Registry,
) -> Body {
    let flattened = lines.iter().any(|l| l.chars().count() > 2000);
    let joined = lines.join("\n");
    // Flattened lists; the body is the text without them, up to the
    // attachments.
    let mut lists: Vec<TaskList> = find_flat_lists(&joined, region, registry);
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
    for g in grids {
        if let Some(l) = grid_to_list(g) {
            lists.push(l);
        }
    }
    let body_lines: Vec<String> = body.split('\n').map(|s| s.to_string()).collect();
    let body_lines = clean::split_long_lines(body_lines);
    let mut outline = parse_outline(&body_lines, flattened);
    let closing = super::closing::detach_closing(&mut outline);
    super::trailing_clause::lift_trailing_clauses(&mut outline);
    let split_duties = super::duties::split_duties(&mut outline);
    let has_lists = lists
        .iter()
        .any(|l| l.items.iter().any(|i| matches!(i, ListItem::Row(_))));
    let has_target_list = lists.iter().any(|l| l.kind == ListKind::Target);
    Body {
        lists,
        outline,
        split_duties,
        closing,
        dropped_warning,
        has_lists,
        has_target_list,
    }
}

//! No silent loss: the accounting of every source line after the tasks are
//! built (see [`account_for_every_line`]).

use crate::clean;
use crate::{ParsedTask, TaskKind, Warning};

/// No silent loss: every non-blank line of the source must end up in a
/// heading or task (title, body, clause or code), the header or the
/// preamble, or the rows a table reader consumed (`table_context`: a sheet's
/// header rows and footnote, kept as context of their kind unless they are the
/// plan's title already). The
/// lines that do not are kept as `unread` context, each run of them with a
/// `TEXT_UNREAD` warning. Also warns of a task body holding outline-numbered
/// lines (`BODY_HAS_OUTLINE`) and of a heading that absorbed a responsibility
/// clause (`HEADING_WITH_CLAUSE`).
pub(super) fn account_for_every_line(
    source: &str,
    header: &crate::header::Header,
    preamble: &[String],
    table_context: &[crate::ContextText],
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
    // A sheet's title row went to the title: it is not kept twice.
    let title_key = clean::match_key(&header.title);
    context.extend(
        table_context
            .iter()
            .filter(|c| clean::match_key(&c.text) != title_key)
            .cloned(),
    );
    // Everything read, normalised for matching, in document order.
    let mut places = String::new();
    for s in std::iter::once(&header.title)
        .chain(header.document_number.iter())
        .chain(header.issuers.iter())
        .chain(preamble.iter())
        .chain(table_context.iter().map(|c| &c.text))
    {
        places.push_str(&clean::match_key(s));
        places.push('|');
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for (i, t) in tasks.iter().enumerate() {
        if let Some(p) = t.parent.filter(|&p| p < tasks.len()) {
            children[p].push(i);
        }
    }
    let own = |t: &ParsedTask| {
        let mut k = clean::match_key(&t.title);
        k.push_str(&clean::match_key(&t.body));
        k.push_str(&clean::match_key(&t.clause_text));
        k
    };
    for (i, t) in tasks.iter().enumerate() {
        // A sheet row's 序号 cell (`10`) is read as its code.
        places.push_str(&clean::match_key(&t.code));
        places.push('|');
        // title, body and clause run on: the key of a short task's line
        // (`1.建设平台。（市财政局负责）`) spans all three
        places.push_str(&own(t));
        places.push('|');
        // a TAB row's number runs on into its text (`1⇥知识产权…`), or into
        // the category cells read as its heading (`1 加强水资源保护 … 实施…`)
        places.push_str(&clean::match_key(&t.code));
        places.push_str(&own(t));
        places.push('|');
        if let Some(p) = t.parent.filter(|&p| p < i) {
            places.push_str(&clean::match_key(&t.code));
            places.push_str(&own(&tasks[p]));
            places.push_str(&own(t));
            places.push('|');
        }
        // a paragraph read as several duties runs on from its heading's
        // title into the first of them (`（一）强化顶层设计。建立甲体系……`)
        if t.kind == TaskKind::Heading && !children[i].is_empty() {
            places.push_str(&own(t));
            for &c in children[i].iter().take(3) {
                places.push_str(&own(&tasks[c]));
            }
            places.push('|');
        }
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
    // A heading whose clause its items share (they have none of their own
    // and inherit it) carries it on purpose.
    let shared: std::collections::HashSet<usize> = tasks
        .iter()
        .filter(|t| t.kind != TaskKind::Heading && t.clause_text.is_empty() && !t.leads.is_empty())
        .filter_map(|t| t.parent)
        .collect();
    for (i, t) in tasks.iter_mut().enumerate() {
        if t.kind == TaskKind::Heading && !t.clause_text.is_empty() && !shared.contains(&i) {
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

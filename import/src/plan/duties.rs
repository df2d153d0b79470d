//! One paragraph, several duties: a section that states measure after measure,
//! each closed by its own responsibility clause
//! (`（一）强化顶层设计。建立指标体系……（生态环境部牵头，……参与）。优化管理体制……（A、B负责）。`),
//! is a heading over one task per clause. Read as one task, the paragraph
//! would give every body every measure, and the office could not tell who
//! answers for what.

use crate::clause::find_clauses;
use crate::outline::{Node, Outline, split_title};

/// Most duties read out of one paragraph (the real ones hold a handful).
const MAX_DUTIES: usize = 200;

/// Splits every leaf whose text holds two or more sentence-final clauses into
/// child nodes, one per clause: the text from the end of the previous clause
/// (or the node's title) up to and including this one. The node keeps its
/// title and becomes their heading. Text after the last clause stays with the
/// last duty. Returns the codes of the nodes split, for the conventions.
pub(super) fn split_duties(outline: &mut Outline) -> Vec<String> {
    let old = std::mem::take(&mut outline.nodes);
    let mut nodes: Vec<Node> = Vec::with_capacity(old.len());
    let mut new_index: Vec<usize> = Vec::with_capacity(old.len());
    let mut split = Vec::new();
    for node in old {
        let parent = node.parent.map(|p| new_index[p]);
        let duties = if node.children.is_empty() && node.level >= 2 {
            duty_segments(&node)
        } else {
            Vec::new()
        };
        new_index.push(nodes.len());
        if duties.len() < 2 {
            nodes.push(Node {
                parent,
                children: Vec::new(),
                ..node
            });
            continue;
        }
        let at = nodes.len();
        split.push(node.code.clone());
        let level = (node.level + 1).min(4);
        nodes.push(Node {
            text: node.title.clone(),
            parent,
            children: Vec::new(),
            ..node.clone()
        });
        for (k, seg) in duties.into_iter().enumerate() {
            let code = if node.level <= 2 {
                format!("{}{}", node.code, k + 1)
            } else {
                format!("{}({})", node.code, k + 1)
            };
            let (title, _) = split_title(&seg, false, level);
            nodes.push(Node {
                level,
                code,
                title,
                text: seg,
                parent: Some(at),
                children: Vec::new(),
            });
        }
    }
    // Children from the parent links (document order is kept).
    for i in 0..nodes.len() {
        if let Some(p) = nodes[i].parent {
            nodes[p].children.push(i);
        }
    }
    outline.nodes = nodes;
    split
}

/// The duties of a node's text: one segment per sentence-final clause that
/// names someone, or nothing when it has fewer than two.
fn duty_segments(node: &Node) -> Vec<String> {
    let text = node.text.as_str();
    let Some(rest) = text.strip_prefix(node.title.as_str()) else {
        return Vec::new();
    };
    let found: Vec<_> = find_clauses(text)
        .into_iter()
        .filter(|f| {
            let names = f.clause.names_someone();
            // the clause closes a sentence: it follows a sentence end
            // (`……衔接融合。（A负责）加强……`) or one follows it
            let after = text[f.end..].trim_start_matches([' ', '\u{3000}']);
            let before = text[..f.start].trim_end_matches([' ', '\u{3000}']);
            let final_ = after.is_empty()
                || after.starts_with(['。', ';', '；', '\n'])
                || before.ends_with(['。', ';', '；', '!', '！', '\n']);
            names && final_ && f.start >= text.len() - rest.len()
        })
        .collect();
    // Brackets with nothing but punctuation between them are one clause
    // (`（牵头单位：A）（配合单位：B、C）`): a duty needs its own measure.
    let mut ends: Vec<usize> = Vec::with_capacity(found.len());
    for f in &found {
        match ends.last_mut() {
            Some(prev)
                if text[*prev..f.start]
                    .chars()
                    .all(|c| c.is_whitespace() || "。，,;；、".contains(c)) =>
            {
                *prev = f.end
            }
            _ => ends.push(f.end),
        }
    }
    // a paragraph of hundreds of clauses is no list of measures: one task
    if !(2..=MAX_DUTIES).contains(&ends.len()) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(ends.len());
    let mut start = text.len() - rest.len();
    for (k, &end) in ends.iter().enumerate() {
        let stop = if k + 1 == ends.len() { text.len() } else { end };
        let seg = text[start..stop]
            .trim_start_matches(['。', ' ', '\n', '\u{3000}'])
            .trim_end();
        if seg.is_empty() {
            return Vec::new();
        }
        out.push(seg.to_string());
        start = stop;
    }
    out
}

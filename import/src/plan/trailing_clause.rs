//! A clause on a line of its own after a run of sub-items, none of which has
//! a clause of its own:
//!
//! ```text
//! 1.完善应急预案体系
//! (1)加强应急预案管理……
//! (2)推进应急预案“精编化”……
//! (责任单位:市直各有关单位、各县(市、区)人民政府)
//! ```
//!
//! answers for the whole run (the item above them), not only for the last
//! sub-item it happens to follow. It is moved to the parent, whose children
//! then share it as they share any parent's clause.

use crate::clause::find_clauses;
use crate::outline::Outline;

/// Moves such trailing clause lines from the last child to its parent.
pub(super) fn lift_trailing_clauses(outline: &mut Outline) {
    for p in 0..outline.nodes.len() {
        let children = outline.nodes[p].children.clone();
        let Some((&last, earlier)) = children.split_last() else {
            continue;
        };
        if earlier.is_empty()
            || !outline.nodes[last].children.is_empty()
            || !find_clauses(&outline.nodes[p].text).is_empty()
            || earlier
                .iter()
                .any(|&c| !find_clauses(&outline.nodes[c].text).is_empty())
        {
            continue;
        }
        let text = &outline.nodes[last].text;
        let Some(nl) = text.rfind('\n') else {
            continue;
        };
        let line = text[nl + 1..].trim();
        let whole_line = find_clauses(line)
            .first()
            .is_some_and(|f| f.start == 0 && f.end == line.len() && !f.clause.is_empty());
        if !whole_line {
            continue;
        }
        let line = line.to_string();
        outline.nodes[last].text.truncate(nl);
        let parent = &mut outline.nodes[p];
        parent.text.push('\n');
        parent.text.push_str(&line);
    }
}

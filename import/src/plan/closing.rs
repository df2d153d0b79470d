//! The closing words of a document (结语: `对真抓实干……具有重要意义。`,
//! `各有关部门……于2018年12月31日前报送国务院办公厅。`) follow its last item
//! without a heading of their own. They are no part of that item: its duty
//! ended with its responsibility clause, and a date in the closing words (a
//! report due from every department) is not the last task's deadline.

use crate::clause::find_clauses;
use crate::outline::Outline;

/// Moves the paragraphs after the last item's closing clause out of it:
/// when the document's last node ends a line with a responsibility clause
/// that names someone and further paragraphs follow with no clause of their
/// own, those paragraphs are returned (kept as `closing` context) and the
/// node keeps its text up to the clause.
pub(super) fn detach_closing(outline: &mut Outline) -> Vec<String> {
    let Some(last) = outline.nodes.last_mut() else {
        return Vec::new();
    };
    if !last.children.is_empty() {
        return Vec::new();
    }
    let text = last.text.as_str();
    let Some(clause_end) = find_clauses(text)
        .into_iter()
        .filter(|f| f.clause.names_someone())
        .map(|f| f.end)
        .next_back()
    else {
        return Vec::new();
    };
    // The clause closes a paragraph of the item's own text (`……实行“免督查”。（国务院办公厅负责）`);
    // one after the title alone (`（二）强化督查考核（A牵头）`) heads the
    // paragraphs that follow, which are the item's body.
    let line_start = text[..clause_end].rfind('\n').map_or(0, |p| p + 1);
    if !text[line_start..clause_end].contains('。') {
        return Vec::new();
    }
    let rest = &text[clause_end..];
    let Some(nl) = rest.find('\n') else {
        return Vec::new();
    };
    if !rest[..nl].trim().trim_matches(['。', ';', '；']).is_empty() {
        return Vec::new();
    }
    let closing: Vec<String> = rest[nl..]
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if closing.is_empty() || closing.iter().any(|l| !find_clauses(l).is_empty()) {
        return Vec::new();
    }
    let keep = clause_end + nl;
    last.text.truncate(keep);
    closing
}

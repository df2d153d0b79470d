//! Finding the flattened lists of a document: their header rows (序号 … 牵头单位
//! …), the list kind and title, the footnote default deadline, and the range
//! of text each list covers.

#[allow(unused_imports)]
use super::*;

/// Finds the flattened lists of a text. The text is the cleaned document
/// joined with `\n`; ranges returned refer to it.
pub fn find_flat_lists(text: &str, region: &Region, registry: &Registry) -> Vec<TaskList> {
    let headers: Vec<(usize, usize, bool)> = header_re()
        .find_iter(text)
        .map(|m| {
            let before = text[..m.start()].trim_end_matches(' ');
            let continuation = before.ends_with(PAGE_MARK);
            // The header's trailing blanks (and line break) are not its own.
            (
                m.start(),
                m.start() + m.as_str().trim_end().len(),
                continuation,
            )
        })
        .collect();
    if headers.is_empty() {
        return Vec::new();
    }
    let scan = Scan::new(region, registry);
    let starts: Vec<usize> = headers.iter().filter(|h| !h.2).map(|h| h.0).collect();
    let mut lists = Vec::new();
    for (k, &(hstart, hend, cont)) in headers.iter().enumerate() {
        if cont {
            continue;
        }
        let header_text = &text[hstart..hend];
        let before = &text[..hstart];
        let (kind, list_start) = match list_title_re().captures(before) {
            Some(c) => {
                let title = &c[2];
                let kind = if title.contains("目标") || title.contains("指标") {
                    ListKind::Target
                } else if title.contains("政策") {
                    ListKind::Policy
                } else {
                    ListKind::Task
                };
                (kind, c.get(0).map_or(hstart, |m| m.start()))
            }
            None => {
                let kind = if header_text.contains("指标") {
                    ListKind::Target
                } else if header_text.contains("具体内容") && !header_text.contains("参与") {
                    ListKind::Policy
                } else {
                    ListKind::Task
                };
                (kind, hstart)
            }
        };
        // The list ends at the next list's title/header, a footnote, an
        // attachment mark or the end of the line.
        let next_start = starts
            .iter()
            .copied()
            .find(|&s| s > hstart)
            .unwrap_or(text.len());
        let next_start = match list_title_re().captures(&text[..next_start]) {
            Some(c) if next_start < text.len() => c.get(0).map_or(next_start, |m| m.start()),
            _ => next_start,
        };
        let mut end = next_start;
        let mut multiline = false;
        if let Some(nl) = text[hend..end].find('\n') {
            let line_end = hend + nl;
            // A table pasted one row per line: the header's own line holds no
            // row, so the list runs over the following lines.
            let line = &text[hend..line_end];
            let one_line_rows = !line.trim().is_empty()
                && !line.trim_start().starts_with('注')
                && parse_rows(&scan, line, true, false)
                    .0
                    .iter()
                    .any(|i| matches!(i, ListItem::Row(_)));
            end = if one_line_rows {
                line_end
            } else {
                multiline = true;
                multiline_end(text, line_end + 1, end)
            };
        }
        if let Some(m) = attachment_re().find(&text[hend..end]) {
            end = hend + m.start();
        }
        let mut default_deadline = None;
        let mut body_end = end;
        if let Some(m) = footnote_re().find(&text[hend..end]) {
            default_deadline = find_default_deadline(m.as_str());
            body_end = hend + m.start();
            end = hend + m.end();
        }
        let _ = k;
        let single_column = !header_text.contains("参与")
            && !header_text.contains("配合")
            && !header_text.contains("协办");
        // Page headers inside the list become cell boundaries.
        let mut body = text[hend..body_end].to_string();
        body = header_re()
            .replace_all(&body, PAGE_MARK.to_string().as_str())
            .into_owned();
        let (items, dropped) = parse_rows(&scan, &body, single_column, multiline);
        if items.iter().any(|i| matches!(i, ListItem::Row(_))) {
            lists.push(TaskList {
                kind,
                items,
                default_deadline,
                range: list_start..end,
                dropped,
                context: Vec::new(),
            });
        }
    }
    lists
}

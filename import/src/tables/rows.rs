//! The rows of one list: where each row starts (its running number after the
//! previous row's agency cells, or one row per line), chapter and section
//! headings between rows, and building a [`ListRow`] from its text.

#[allow(unused_imports)]
use super::*;

fn row_line_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\s*(\d{1,3})(?:[^\d%.．]|$)").expect("static regex"))
}

/// End of a list written one row per line, starting at `from` (the line
/// after the header) and not beyond `limit`. Lines are rows (`3 …`),
/// grouping headings (`一、…` / `(一)…` followed by the next row), repeated
/// header lines or continuations of a wrapped cell. The list ends after a
/// footnote (`注：…`), before an attachment mark, a 清单 title or a chapter
/// heading that is not followed by the next row number.
pub(super) fn multiline_end(text: &str, from: usize, limit: usize) -> usize {
    let mut pos = from;
    let mut next_row = 1u32;
    while pos < limit {
        let le = text[pos..limit].find('\n').map_or(limit, |i| pos + i);
        let line = text[pos..le].trim_matches([' ', PAGE_MARK]);
        if line.is_empty() || header_re().find(line).is_some_and(|m| m.start() == 0) {
            pos = le + 1;
            continue;
        }
        if footnote_re().find(line).is_some_and(|m| m.start() <= 3) {
            return le;
        }
        if attachment_re().find(line).is_some_and(|m| m.start() == 0)
            || list_title_re().is_match(line)
        {
            return pos;
        }
        if let Some(c) = row_line_re().captures(line) {
            let n: u32 = c[1].parse().unwrap_or(0);
            if n == next_row || n == next_row + 1 {
                next_row = n + 1;
                pos = le + 1;
                continue;
            }
        }
        if chapter_at_re().is_match(line) || section_at_re().is_match(line) {
            // A grouping heading inside the list is followed (within a few
            // lines) by the next row; a chapter of the body is not.
            let rest = &text[le.min(limit)..limit];
            let groups = rest
                .split('\n')
                .map(|l| l.trim_matches([' ', PAGE_MARK]))
                .filter(|l| !l.is_empty())
                .take(3)
                .take_while(|l| {
                    !row_line_re().is_match(l)
                        && (chapter_at_re().is_match(l) || section_at_re().is_match(l))
                })
                .count();
            let following = rest
                .split('\n')
                .map(|l| l.trim_matches([' ', PAGE_MARK]))
                .filter(|l| !l.is_empty())
                .nth(groups);
            let continues = following
                .and_then(|l| row_line_re().captures(l))
                .and_then(|c| c[1].parse::<u32>().ok())
                .is_some_and(|n| n == next_row);
            if !continues {
                return pos;
            }
        }
        pos = le + 1;
    }
    limit.min(text.len())
}

fn chapter_at_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^([一二三四五六七八九十]{1,3})、").expect("static regex"))
}
fn section_at_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"^\(([一二三四五六七八九十]{1,3})\)").expect("static regex"))
}

fn skip_marks(body: &str, mut pos: usize) -> usize {
    while pos < body.len() {
        let c = body[pos..].chars().next().unwrap_or(' ');
        if c == PAGE_MARK || c == ' ' || c == '\n' {
            pos += c.len_utf8();
        } else {
            break;
        }
    }
    pos
}

/// Splits a list body into headings and rows by the running row numbers.
pub(super) fn parse_rows(
    scan: &Scan,
    body: &str,
    single_column: bool,
    space_columns: bool,
) -> (Vec<ListItem>, Option<String>) {
    let mut dropped = None;
    let mut items = Vec::new();
    let mut pos = 0usize;
    let mut expected = 1u32;
    let mut last_ch = 0u32;
    let mut last_sec = 0u32;
    let mut guard = 0;
    while pos < body.len() && guard < 100_000 {
        guard += 1;
        pos = skip_marks(body, pos);
        if pos >= body.len() {
            break;
        }
        // Headings before the row.
        let mut progressed = true;
        while progressed {
            progressed = false;
            pos = skip_marks(body, pos);
            let rest = &body[pos..];
            let head = chapter_at_re()
                .captures(rest)
                .and_then(|c| cn_number(&c[1]).map(|n| (1u8, n, c.get(0).map_or(0, |m| m.end()))))
                .filter(|(_, n, _)| *n == last_ch + 1)
                .or_else(|| {
                    section_at_re()
                        .captures(rest)
                        .and_then(|c| {
                            cn_number(&c[1]).map(|n| (2u8, n, c.get(0).map_or(0, |m| m.end())))
                        })
                        .filter(|(_, n, _)| *n == last_sec + 1 || *n == 1)
                });
            if let Some((level, n, mlen)) = head {
                let after = pos + mlen;
                // Title runs to the next section marker or the row number.
                let num = expected.to_string();
                let mut tend = body.len();
                if let Some(i) = body[after..].find(num.as_str()) {
                    tend = tend.min(after + i);
                }
                if level == 1
                    && let Some(i) = body[after..].find('(')
                {
                    tend = tend.min(after + i);
                }
                if let Some(i) = body[after..].find([PAGE_MARK, '\n']) {
                    tend = tend.min(after + i);
                }
                let title = body[after..tend].trim().to_string();
                if level == 1 {
                    last_ch = n;
                } else {
                    last_sec = n;
                }
                items.push(ListItem::Heading {
                    level,
                    number: n,
                    title,
                });
                pos = tend;
                progressed = true;
            }
        }
        pos = skip_marks(body, pos);
        let num = expected.to_string();
        let mut note = None;
        if !body[pos..].starts_with(num.as_str()) {
            // Garbled numbering: resynchronise on the next plausible number.
            match body[pos..].find(num.as_str()) {
                Some(i) => {
                    note = Some(format!("text before row {expected} was skipped"));
                    pos += i;
                }
                None => {
                    let rest: String = body[pos..].chars().filter(|&c| c != PAGE_MARK).collect();
                    let rest = rest.trim();
                    if rest.chars().any(|c| c > '\u{2e80}') {
                        dropped = Some(rest.chars().take(60).collect());
                    }
                    break;
                }
            }
        }
        let row_start = pos + num.len();
        let row_end = next_row_start(scan, body, row_start, expected, last_ch, last_sec);
        let row_text = &body[row_start..row_end];
        let mut row = build_row(scan, expected, row_text, single_column, space_columns);
        if row.ambiguous.is_none() {
            row.ambiguous = note;
        }
        items.push(ListItem::Row(row));
        expected += 1;
        pos = row_end;
    }
    (items, dropped)
}

/// Where the row after `n` starts: the number n+1 (or the next expected
/// heading) right after the end of an agency cell or a sentence.
fn next_row_start(
    scan: &Scan,
    body: &str,
    from: usize,
    n: u32,
    last_ch: u32,
    last_sec: u32,
) -> usize {
    let next = (n + 1).to_string();
    let ch_marker = format!("{}、", numeral(last_ch + 1));
    let sec_marker = format!("({})", numeral(last_sec + 1));
    let mut search = from;
    while search < body.len() {
        // Earliest candidate among the row number and heading markers.
        let cands = [
            body[search..].find(next.as_str()).map(|i| (search + i, 0)),
            body[search..]
                .find(ch_marker.as_str())
                .map(|i| (search + i, 1)),
            body[search..]
                .find(sec_marker.as_str())
                .map(|i| (search + i, 2)),
        ];
        let Some((q, what)) = cands.iter().flatten().min().copied() else {
            return body.len();
        };
        let prev = body[..q]
            .trim_end_matches([PAGE_MARK, ' '])
            .chars()
            .next_back();
        let after_sentence = matches!(prev, Some('。'));
        let line_start = body[..q].trim_end_matches([' ', PAGE_MARK]).ends_with('\n');
        let ok = if what == 0 {
            let prev_digit = body[..q]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit());
            let next_char = body[q + next.len()..].chars().next();
            // `2025年底前` in a deadline cell is a year, not row 2.
            let year_here = year_at_re().is_match(&body[q..]);
            !prev_digit
                && !year_here
                && (scan.block_ends_at(body, q)
                    || ((after_sentence || line_start)
                        && next_char.is_some_and(|c| {
                            !c.is_ascii_digit() && c != '%' && c != '年' && c != '个'
                        })))
        } else {
            scan.block_ends_at(body, q)
                || after_sentence
                || line_start
                || body[..q].ends_with(PAGE_MARK)
        };
        if ok && q > from {
            return q;
        }
        let step = body[q..].chars().next().map_or(1, |c| c.len_utf8());
        search = q + step;
    }
    body.len()
}

/// Builds a row from its text: task text and agency cells.
fn build_row(
    scan: &Scan,
    number: u32,
    text: &str,
    single_column: bool,
    space_columns: bool,
) -> ListRow {
    let mut row = ListRow {
        number,
        ..ListRow::default()
    };
    let parts: Vec<&str> = text.split([PAGE_MARK, '\n']).collect();
    let mut texts: Vec<String> = Vec::new();
    let mut found = false;
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if !found && let Some((start, toks)) = find_block(scan, part) {
            columns(&toks, &mut row, single_column, space_columns);
            found = true;
            let t = part[..start].trim();
            if !t.is_empty() {
                texts.push(t.to_string());
            }
            continue;
        }
        texts.push(part.to_string());
    }
    row.text = texts.concat();
    row
}

/// Normalised header cell name used by sheets (see `sheet.rs`).
pub fn header_key(cell: &str) -> String {
    norm_key(cell)
}

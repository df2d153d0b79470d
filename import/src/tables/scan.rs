//! Scanning one stretch of a flattened row: the tail of agency names and
//! clause phrases is tokenised (names recognised by the registry or by their
//! endings) and split into the lead, participant and implementer columns.

#[allow(unused_imports)]
use super::*;

/// Context for recognising agency names while scanning.
pub(super) struct Scan<'a> {
    region: &'a Region,
    registry: &'a Registry,
    first_chars: std::collections::HashSet<char>,
}

impl<'a> Scan<'a> {
    pub(super) fn new(region: &'a Region, registry: &'a Registry) -> Scan<'a> {
        let mut first_chars: std::collections::HashSet<char> = [
            '省', '市', '县', '各', '国', '人', '中', '待', '具', '参', '以',
        ]
        .into_iter()
        .collect();
        for e in registry.entries() {
            for s in std::iter::once(&e.name)
                .chain(e.aliases.iter())
                .chain(e.short_name.iter())
            {
                if let Some(c) = s.chars().next() {
                    first_chars.insert(c);
                }
            }
        }
        Scan {
            region,
            registry,
            first_chars,
        }
    }

    /// Length in bytes of an agency name starting at `s[pos..]`.
    pub(super) fn agency_at(&self, s: &str, pos: usize) -> Option<usize> {
        let rest = &s[pos..];
        let first = rest.chars().next()?;
        if !self.first_chars.contains(&first) {
            return None;
        }
        // Registry spellings, longest first.
        let ends: Vec<usize> = rest
            .char_indices()
            .skip(1)
            .map(|(i, _)| i)
            .chain(std::iter::once(rest.len()))
            .take(self.registry.max_chars().max(3))
            .collect();
        for &end in ends.iter().rev() {
            if rest[..end].chars().count() < 3 {
                break;
            }
            let cand = &rest[..end];
            if !self.registry.could_end(cand) {
                continue;
            }
            if self.registry.lookup(&self.region.qualify(cand)).is_some()
                || self.registry.lookup(cand).is_some()
            {
                return Some(end);
            }
        }
        generic_agency_re().find(rest).map(|m| m.end())
    }

    /// Does an agency name (or a clause phrase) end exactly at `end`?
    pub(super) fn block_ends_at(&self, s: &str, end: usize) -> bool {
        let mut head = s[..end].trim_end_matches([PAGE_MARK, ' ', '\n']);
        // A parenthetical after a name: `省发展改革委(省能源局)`.
        if head.ends_with(')')
            && let Some(open) = head.rfind('(')
        {
            head = &head[..open];
        }
        for phrase in [
            "负责",
            "确定",
            "职责分工",
            "不再列出",
            "牵头",
            "相关部门",
            "有关部门",
            "相关单位",
            "有关单位",
        ] {
            if head.ends_with(phrase) {
                return true;
            }
        }
        // Registry names ending here.
        let starts: Vec<usize> = head
            .char_indices()
            .rev()
            .take(self.registry.max_chars().max(3))
            .map(|(i, _)| i)
            .collect();
        for &st in starts.iter().filter(|_| self.registry.could_end(head)) {
            let cand = &head[st..];
            if cand.chars().count() < 3 {
                continue;
            }
            if self.registry.lookup(&self.region.qualify(cand)).is_some()
                || self.registry.lookup(cand).is_some()
            {
                return true;
            }
        }
        // Generic: a name of the usual shape ending here.
        for &st in &starts {
            if let Some(m) = generic_agency_re().find(&head[st..])
                && st + m.end() == head.len()
            {
                return true;
            }
        }
        false
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Agency(String),
    Sep,
    /// Blank between cells: a column boundary in a table pasted one row per
    /// line, a mere separator otherwise.
    Space,
    CoShare,
    Undecided,
    Reference,
    Standing(Vec<String>),
    Etc,
    /// A trailing deadline cell (`2025年底前`, `长期坚持`).
    Deadline(String),
}

/// Tokenises `s[start..]` completely as agency cells, or fails.
pub(super) fn tokenize_block(scan: &Scan, s: &str, start: usize) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut pos = start;
    while pos < s.len() {
        let rest = &s[pos..];
        let c = rest.chars().next()?;
        if c == ' ' || c == '\t' {
            toks.push(Tok::Space);
            pos += c.len_utf8();
            continue;
        }
        if matches!(c, '、' | ',' | ';' | '，') {
            toks.push(Tok::Sep);
            pos += c.len_utf8();
            continue;
        }
        if let Some(m) = standing_re().captures(rest) {
            toks.push(Tok::Standing(split_list(&m[1])));
            pos += m.get(0)?.end();
            continue;
        }
        if let Some(m) = undecided_re().find(rest) {
            toks.push(Tok::Undecided);
            pos += m.end();
            continue;
        }
        if let Some(m) = reference_re().find(rest) {
            toks.push(Tok::Reference);
            pos += m.end();
            continue;
        }
        if let Some(len) = scan.agency_at(s, pos) {
            let mut end = pos + len;
            // Attached parenthetical: alias or note.
            if s[end..].starts_with('(')
                && let Some(close) = s[end..].find(')')
                && s[end..end + close].chars().count() <= 30
            {
                end += close + 1;
            }
            toks.push(Tok::Agency(s[pos..end].to_string()));
            pos = end;
            continue;
        }
        if let Some(m) = deadline_cell_re().find(rest)
            && !toks.is_empty()
            && rest[m.end()..]
                .chars()
                .all(|c| matches!(c, ' ' | '\n' | PAGE_MARK | '。' | '.'))
        {
            toks.push(Tok::Deadline(m.as_str().to_string()));
            pos = s.len();
            continue;
        }
        if let Some(m) = coshare_re().find(rest)
            && !toks.is_empty()
        {
            toks.push(Tok::CoShare);
            pos += m.end();
            continue;
        }
        if let Some(m) = etc_re().find(rest)
            && !toks.is_empty()
            && m.end() > 0
        {
            toks.push(Tok::Etc);
            pos += m.end();
            continue;
        }
        return None;
    }
    if toks
        .iter()
        .any(|t| matches!(t, Tok::Agency(_) | Tok::Undecided | Tok::Reference))
    {
        Some(toks)
    } else {
        None
    }
}

/// The agency cells at the end of a row part: (start byte, tokens). Only
/// the last [`MAX_LIST_CHARS`] chars are tried as a block start, which keeps
/// the scan bounded on a huge row.
pub(super) fn find_block(scan: &Scan, part: &str) -> Option<(usize, Vec<Tok>)> {
    let n = part.chars().count();
    let skip = n.saturating_sub(MAX_LIST_CHARS);
    for (i, _) in part.char_indices().skip(skip) {
        if let Some(toks) = tokenize_block(scan, part, i)
            && matches!(
                toks.first(),
                Some(Tok::Agency(_) | Tok::Undecided | Tok::Reference)
            )
        {
            return Some((i, toks));
        }
    }
    None
}

/// Splits block tokens into columns: lead column, participant column and
/// anything beyond (ambiguous).
pub(super) fn columns(toks: &[Tok], row: &mut ListRow, single_column: bool, space_columns: bool) {
    let mut col = 0usize;
    let mut prev_named = false; // previous token ends a name or phrase
    for t in toks {
        match t {
            Tok::Sep | Tok::Etc => prev_named = false,
            Tok::Space => {
                if !space_columns {
                    prev_named = false;
                }
            }
            Tok::Deadline(d) => {
                row.deadline_cell = Some(d.clone());
            }
            Tok::CoShare => prev_named = true,
            Tok::Standing(names) => {
                row.standing.extend(names.iter().cloned());
                prev_named = true;
            }
            Tok::Agency(_) | Tok::Undecided | Tok::Reference => {
                if prev_named && !single_column {
                    col += 1;
                }
                match t {
                    Tok::Agency(a) => {
                        if col == 0 || single_column {
                            row.leads.push(a.clone());
                        } else {
                            if col > 1 && row.ambiguous.is_none() {
                                row.ambiguous =
                                    Some(format!("more than two agency columns near {a}"));
                            }
                            row.participants.push(a.clone());
                        }
                    }
                    Tok::Undecided if col == 0 => {
                        row.lead_undecided = true;
                    }
                    Tok::Reference if col == 0 => {
                        row.by_reference = true;
                    }
                    _ => {}
                }
                prev_named = true;
            }
        }
    }
}

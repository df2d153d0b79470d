//! Responsibility clauses (责任分工): the bracketed tails such as
//! `（市生态环境局牵头，市发展改革委、市财政局按职责分工负责）` that say who
//! answers for a task.
//!
//! This module only reads the *grammar* of a clause and returns raw names per
//! role; resolving names against the registry happens in [`crate::registry`].
//!
//! Conventions (see DOMAIN.md):
//! * `X牵头负责` / `X负责` / `X牵头` – lead (牵头单位);
//! * `A、B、C按职责分工负责` – co-leads, unless an explicit lead precedes them,
//!   in which case they are participants (参与/配合单位);
//! * `A，B、C按职责分工负责` – the comma separates the lead column from the
//!   participant column (the name(s) before the first comma lead);
//! * `X配合` / `X参与` / `X协助` – participants;
//! * `X负责落实` / `X结合实际落实` – implementers (落实单位, usually local
//!   governments);
//! * `以下均需X落实，不再列出` – a standing rule: X implements every later task;
//! * `待国家分工明确后确定` – lead not decided yet;
//! * `具体参照《…》职责分工` – responsibility given by reference to another text.

#[cfg(test)]
mod convention_tests;
mod grammar;
mod names;
mod sentence;
#[cfg(test)]
mod tests;

pub use grammar::*;
pub use names::*;
pub use sentence::find_sentence_clause;

use std::sync::OnceLock;

use regex::Regex;

use crate::registry::{clean_item, has_agency_suffix, is_group};

/// A responsibility clause with raw (unresolved) names per role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clause {
    /// 牵头单位 (one or several co-leads).
    pub leads: Vec<String>,
    /// 参与 / 配合单位.
    pub participants: Vec<String>,
    /// 落实单位: who carries the task out locally.
    pub implementers: Vec<String>,
    /// Standing rule (`以下均需…落实，不再列出`): implementers of all later tasks.
    pub standing_implementers: Vec<String>,
    /// `待国家分工明确后确定`: the lead is an open question.
    pub lead_undecided: bool,
    /// `具体参照《…》职责分工`: responsibility given by another document.
    pub by_reference: bool,
    /// The clause text or one of its lists was longer than
    /// [`MAX_LIST_CHARS`] and only its beginning was read.
    pub truncated: bool,
    /// A standing role rule stated here (`列第一位者为牵头单位，下同`): in this
    /// and every later list the first body leads and the rest participate.
    pub first_listed_rule: bool,
    /// 牵头 is written explicitly (`A牵头`, `牵头单位：A`): it overrides a
    /// first-listed rule.
    pub explicit_lead: bool,
    /// Names written under a division label (`责任处室：`, `牵头科室：`,
    /// `责任股室：`): a department's internal divisions.
    pub internal_units: Vec<String>,
}

/// Longest clause / list / cell text read in full (chars); longer text is cut
/// there (with a warning from the caller) so hostile input cannot make the
/// parser do unbounded work.
pub const MAX_LIST_CHARS: usize = 2000;

/// A clause longer than [`MAX_LIST_CHARS`] keeps its beginning and its end
/// (where the verb usually stands), both cut at a list separator.
fn cap_clause(s: &str) -> (String, bool) {
    let n = s.chars().count();
    if n <= MAX_LIST_CHARS {
        return (s.to_string(), false);
    }
    const TAIL: usize = 200;
    const SEPS: &[char] = &['、', ',', '，', ';', '；', '和', '及', '与'];
    let (head, _) = cap_chars(s, MAX_LIST_CHARS - TAIL);
    let head = head.rfind(SEPS).map_or(head, |i| &head[..i]);
    let tail_start = s.char_indices().nth(n - TAIL).map_or(0, |(i, _)| i);
    let tail = &s[tail_start..];
    let tail = tail.find(SEPS).map_or(tail, |i| {
        &tail[i + tail[i..].chars().next().map_or(0, |c| c.len_utf8())..]
    });
    (format!("{head}、{tail}"), true)
}

/// `s` cut to at most `max` chars, and whether it was cut.
pub fn cap_chars(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

impl Clause {
    pub fn is_empty(&self) -> bool {
        !self.first_listed_rule
            && self.leads.is_empty()
            && self.participants.is_empty()
            && self.implementers.is_empty()
            && self.standing_implementers.is_empty()
            && !self.lead_undecided
            && !self.by_reference
    }

    /// Does it name anyone in a role (not only a rule or a note)?
    pub fn names_someone(&self) -> bool {
        !self.leads.is_empty() || !self.participants.is_empty() || !self.implementers.is_empty()
    }

    /// Merges another clause of the same task (tasks rarely carry two).
    pub fn merge(&mut self, other: Clause) {
        self.leads.extend(other.leads);
        self.participants.extend(other.participants);
        self.implementers.extend(other.implementers);
        self.standing_implementers
            .extend(other.standing_implementers);
        self.lead_undecided |= other.lead_undecided;
        self.by_reference |= other.by_reference;
        self.truncated |= other.truncated;
        self.first_listed_rule |= other.first_listed_rule;
        self.explicit_lead |= other.explicit_lead;
        self.internal_units.extend(other.internal_units);
    }
}

/// A clause found in a text, with the byte range of its brackets.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundClause {
    pub start: usize,
    pub end: usize,
    pub clause: Clause,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

fn standing_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"以下(?:各项工作|各项任务|任务)?均(?:需|由)(.{1,200}?)(?:负责)?落实[,，]?(?:以下)?不再(?:一一)?列出",
    )
}

fn plain_standing_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:以下|下列|下述)(?:各项|所有)?(?:工作任务|重点任务|工作|任务|事项)?(?:均|都|全部)(?:需要?|须|由|要|应)(.{1,200}?)(?:负责|组织|抓好|结合实际)?(?:落实|实施)[,，]?\s*(?:以下|下文)?不再(?:一一|逐一|单独)?(?:列出|列明|注明|标注)[。;；]?",
    )
}

/// A standing rule written as a plain sentence outside brackets
/// (`以下各项任务均需各县(市、区)政府落实，不再一一列出。`): its byte range and
/// the implementers it names.
pub fn find_plain_standing(text: &str) -> Option<(std::ops::Range<usize>, Vec<String>)> {
    for caps in plain_standing_re().captures_iter(text) {
        let m = caps.get(0)?;
        // Outside brackets only (bracketed rules are clauses).
        let mut depth = 0i32;
        for c in text[..m.start()].chars() {
            if is_open(c) {
                depth += 1;
            } else if is_close(c) && depth > 0 {
                depth -= 1;
            }
        }
        if depth > 0 {
            continue;
        }
        let names: Vec<String> = split_list(&caps[1])
            .into_iter()
            .filter(|n| looks_like_agency(n))
            .collect();
        if !names.is_empty() {
            return Some((m.range(), names));
        }
    }
    None
}

/// The first-listed lead rule: `列第一位者为牵头单位`, `排在第一位的部门为牵头部门`,
/// `排名第一的为牵头单位`, `第一个单位为牵头单位`, with `下同` / `以下同`.
fn first_listed_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:(?:列|排|排名|排列)(?:在)?(?:于)?(?:第一位|第一|首位)|第一个|列首位)(?:者|的)?(?:部门|单位)?(?:均)?为牵头(?:单位|部门)?(?:或[\p{Han}]{1,4}?(?:单位|部门))?[,，]?\s*(?:其他|其余)?(?:为|是)?(?:配合|参与)?(?:单位|部门)?[,，]?\s*(?:下同|以下同|以下均同)?",
    )
}

/// Does the text state the first-listed lead rule (a preamble or a clause)?
pub fn states_first_listed_rule(text: &str) -> bool {
    first_listed_re().is_match(text)
}

/// `（各县市区政府负责落实，下同）`: a clause that says it applies to the later
/// tasks too.
fn same_below_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"[,，;；。]?\s*(?:以下同|下同)\s*$")
}

/// `具体任务均涉及相关市(州)人民政府，不再做分工，下同`: implementers of this
/// and every later task, not repeated.
fn standing_involved_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:具体任务|各项任务|有关任务|以下任务)?均(?:涉及|需要?|须|由)([^,，。;；]{2,60}?)(?:负责)?(?:落实|实施)?[,，]\s*(?:以下)?不再(?:做分工|分工|列出|一一列出|单独列出)(?:[,，]\s*(?:下同|以下同))?",
    )
}

fn undecided_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"待[^,，。;；]{0,12}明确后(?:再)?确定")
}

fn reference_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:具体)?参照《[^》]{0,80}》(?:的)?(?:职责)?分工")
}

fn is_open(c: char) -> bool {
    matches!(c, '(' | '（' | '〔' | '[' | '【')
}
fn is_close(c: char) -> bool {
    matches!(c, ')' | '）' | '〕' | ']' | '】')
}

/// Finds the responsibility clauses of a task text. A bracket counts as a
/// clause when its grammar says so (a responsibility verb with agency names,
/// or a bare list of agencies standing as its own sentence).
pub fn find_clauses(text: &str) -> Vec<FoundClause> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut open_at = 0usize;
    for (i, c) in text.char_indices() {
        if is_open(c) {
            if depth == 0 {
                open_at = i;
            }
            depth += 1;
        } else if is_close(c) && depth > 0 {
            depth -= 1;
            if depth == 0 {
                let inner_start =
                    open_at + text[open_at..].chars().next().map_or(1, |c| c.len_utf8());
                let content = &text[inner_start..i];
                let end = i + c.len_utf8();
                let before = text[..open_at].trim_end().chars().next_back();
                let after = text[end..].trim_start().chars().next();
                // A bracket on a line of its own counts as standing alone.
                let line_start = text[..open_at].ends_with('\n');
                let line_end = text[end..].starts_with('\n');
                let preceded_ok =
                    line_start || matches!(before, None | Some('。' | ';' | '；' | '!' | '！'));
                let followed_ok =
                    line_end || matches!(after, None | Some('。' | ';' | '；' | '(' | '（'));
                if content.chars().count() > 600 {
                    continue;
                }
                if let Some((clause, has_verb)) = parse_clause_inner(content) {
                    let ok = if has_verb {
                        preceded_ok || followed_ok
                    } else {
                        preceded_ok && followed_ok
                    };
                    if ok {
                        out.push(FoundClause {
                            start: open_at,
                            end,
                            clause,
                        });
                    }
                }
            }
        }
    }
    // A clause cut off at the end of the text (an excerpt or a truncated
    // copy: `（牵头单位：省发展改革委；责任单位：省编办、`) is still read when
    // its grammar says so.
    if depth > 0 {
        let inner_start = open_at + text[open_at..].chars().next().map_or(1, |c| c.len_utf8());
        let mut content =
            text[inner_start..].trim_end_matches(['、', ',', '，', ';', '；', ' ', '\n']);
        // a name cut in the middle (`…、省`) is dropped
        if let Some(at) = content.rfind(['、', ',', '，', ';', '；'])
            && content[at..].chars().count() <= 3
        {
            content = &content[..at];
        }
        if content.chars().count() <= 600
            && !content.contains(['(', '（', ')', '）'])
            && let Some((clause, true)) = parse_clause_inner(content)
        {
            out.push(FoundClause {
                start: open_at,
                end: text.len(),
                clause,
            });
        }
    }
    out
}

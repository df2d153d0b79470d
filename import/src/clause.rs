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
        r"(?:(?:列|排|排名|排列)(?:在)?(?:于)?(?:第一位|第一|首位)|第一个|列首位)(?:者|的)?(?:部门|单位)?(?:均)?为牵头(?:单位|部门)?[,，]?\s*(?:其他|其余)?(?:为|是)?(?:配合|参与)?(?:单位|部门)?[,，]?\s*(?:下同|以下同|以下均同)?",
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

/// Parses the inside of a clause (without brackets).
pub fn parse_clause(content: &str) -> Option<Clause> {
    parse_clause_inner(content).map(|(c, _)| c)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum SegRole {
    Lead,
    CoShare,
    Participant,
    Implementer,
    Bare,
    /// A label whose value is itself a clause (`部门分工：A牵头，B配合`).
    Inner,
    /// A label whose value names no agency (`适用范围：…`, `牵头负责领导：某某`).
    Ignore,
}

/// Returns the clause and whether it contained a responsibility verb.
fn parse_clause_inner(content: &str) -> Option<(Clause, bool)> {
    let mut clause = Clause::default();
    let (mut text, cut) = cap_clause(content);
    clause.truncated = cut;
    let mut has_verb = false;

    if let Some(m) = first_listed_re().find(&text) {
        clause.first_listed_rule = true;
        has_verb = true;
        let r = m.range();
        text.replace_range(r, ",");
    }
    if let Some(caps) = standing_involved_re().captures(&text) {
        clause.standing_implementers = split_list(&caps[1]);
        has_verb = true;
        let m = caps.get(0).map(|m| m.range()).unwrap_or(0..0);
        text.replace_range(m, ",");
    }
    let same_below = match same_below_re().find(&text) {
        Some(m) => {
            let r = m.range();
            text.replace_range(r, "");
            true
        }
        None => false,
    };
    if let Some(caps) = standing_re().captures(&text) {
        clause.standing_implementers = split_list(&caps[1]);
        has_verb = true;
        let m = caps.get(0).map(|m| m.range()).unwrap_or(0..0);
        text.replace_range(m, "");
    }
    if let Some(m) = undecided_re().find(&text) {
        clause.lead_undecided = true;
        has_verb = true;
        let r = m.range();
        text.replace_range(r, ",");
    }
    if let Some(m) = reference_re().find(&text) {
        clause.by_reference = true;
        has_verb = true;
        let r = m.range();
        text.replace_range(r, ",");
    }

    let mut segs: Vec<(SegRole, Vec<String>)> = Vec::new();
    for seg in split_top(&text, &[',', '，', ';', '；', '。']) {
        let seg = seg.trim();
        if seg.is_empty() {
            continue;
        }
        // `A会同B负责` / `A会同B、C牵头`: A leads, B and C take part.
        if let Some(at) = seg.find("会同") {
            let lead = strip_you(seg[..at].trim());
            let (role, names) = classify_segment(&seg[at + "会同".len()..]);
            let leads: Vec<String> = split_list(lead)
                .into_iter()
                .filter(|i| looks_like_agency_loose(i))
                .collect();
            let parts: Vec<String> = split_list(names)
                .into_iter()
                .filter(|i| looks_like_agency_loose(i))
                .collect();
            if role != SegRole::Bare && !leads.is_empty() && !parts.is_empty() {
                has_verb = true;
                segs.push((SegRole::Lead, leads));
                segs.push((SegRole::Participant, parts));
                continue;
            }
        }
        // `A(牵头)、B、C`: the marked name leads, the others take part.
        if seg.contains("(牵头)") || seg.contains("（牵头）") {
            let mut leads = Vec::new();
            let mut parts = Vec::new();
            let plain = seg.replace("（牵头）", "(牵头)");
            let (_, names) = classify_segment(&plain);
            for item in split_top(names, &['、', ',', '，', ';', '；']) {
                let item = item.trim();
                match item.strip_suffix("(牵头)") {
                    Some(n) => leads.extend(split_list(n)),
                    None => parts.extend(split_list(item)),
                }
            }
            leads.retain(|i| looks_like_agency_loose(i));
            parts.retain(|i| looks_like_agency_loose(i));
            if !leads.is_empty() {
                has_verb = true;
                segs.push((SegRole::Lead, leads));
                if !parts.is_empty() {
                    segs.push((SegRole::Participant, parts));
                }
                continue;
            }
        }
        let (role, names) = classify_segment(seg);
        if role == SegRole::Ignore {
            // A labelled field naming no agency still marks the bracket as
            // a clause (`（负责部门：A；适用范围：…）`).
            has_verb = true;
            continue;
        }
        if role == SegRole::Bare && names.is_empty() {
            continue;
        }
        if role == SegRole::Bare {
            let items = split_list(names);
            if items.is_empty() {
                continue;
            }
            if items.iter().all(|i| looks_like_agency(i)) {
                segs.push((SegRole::Bare, items));
            } else {
                // Prose inside brackets: this is no clause unless a verb
                // segment elsewhere says otherwise (then the prose is a note).
                segs.push((SegRole::Bare, Vec::new()));
            }
            continue;
        }
        let items: Vec<String> = split_list(names)
            .into_iter()
            .filter(|i| looks_like_agency_loose(i))
            .collect();
        if items.is_empty() {
            continue;
        }
        has_verb = true;
        segs.push((role, items));
    }

    // A bracket of prose (e.g. `(以下简称“两高”)`) is not a clause.
    let bare_prose = segs
        .iter()
        .any(|(r, v)| *r == SegRole::Bare && v.is_empty());
    if !has_verb && (bare_prose || segs.is_empty()) {
        return None;
    }

    let explicit_lead = segs.iter().any(|(r, _)| *r == SegRole::Lead);
    // Only a written 牵头 (not `A、B负责`) overrides a first-listed rule.
    clause.explicit_lead = explicit_lead && (text.contains("牵头") || text.contains("主责"));
    let first_coshare = segs.iter().position(|(r, _)| *r == SegRole::CoShare);
    // The comma convention (`A，B、C按职责分工负责`: the lead column, then the
    // participant column) holds for one group of names before the comma and
    // a list after it; `A、B，C按职责分工负责` (one name after the comma) or
    // `A，B、C，D、E按职责分工负责` (several groups) are co-leads grouped by
    // kind of body, as `按职责分工负责` says.
    let comma_columns = first_coshare.is_some_and(|f| {
        let bare: Vec<&(SegRole, Vec<String>)> = segs[..f]
            .iter()
            .filter(|(r, v)| *r == SegRole::Bare && !v.is_empty())
            .collect();
        bare.len() == 1 && segs[f].1.len() >= 2
    });
    let mut seen_lead = false;
    for (idx, (role, items)) in segs.into_iter().enumerate() {
        if items.is_empty() {
            continue;
        }
        match role {
            SegRole::Lead => {
                seen_lead = true;
                clause.leads.extend(items);
            }
            SegRole::CoShare => {
                if explicit_lead || seen_lead {
                    clause.participants.extend(items);
                } else {
                    clause.leads.extend(items);
                    seen_lead = true;
                }
            }
            SegRole::Participant => clause.participants.extend(items),
            SegRole::Implementer => clause.implementers.extend(items),
            SegRole::Inner | SegRole::Ignore => {}
            SegRole::Bare => {
                // The comma convention: bare names before the first
                // `按职责分工负责` segment form the lead column.
                let before_coshare = first_coshare.is_some_and(|f| idx < f);
                if !explicit_lead && (before_coshare || !seen_lead) {
                    clause.leads.extend(items);
                    if before_coshare && comma_columns {
                        // the co-share segment becomes the participant column
                        seen_lead = true;
                    }
                } else {
                    clause.participants.extend(items);
                }
            }
        }
    }
    // Local governments named after the departments in a co-lead list
    // (`A、B、各地级以上市人民政府按职责分工负责`) carry the task out locally.
    if clause.leads.len() > 1
        && let Some(first_local) = clause
            .leads
            .iter()
            .position(|l| is_local_government_group(l))
        && first_local > 0
    {
        {
            let (depts, rest): (Vec<String>, Vec<String>) = {
                let mut d = Vec::new();
                let mut r = Vec::new();
                for (k, l) in std::mem::take(&mut clause.leads).into_iter().enumerate() {
                    if k >= first_local && is_local_government_group(&l) {
                        r.push(l);
                    } else {
                        d.push(l);
                    }
                }
                (d, r)
            };
            clause.leads = depts;
            clause.implementers.splice(0..0, rest);
        }
    }
    // Local governments named after the departments carry the task out
    // locally (`配合单位：市财政局，各区、县级市`): implementers, not participants.
    if !clause.leads.is_empty()
        && clause
            .participants
            .iter()
            .any(|p| is_local_government_group(p))
    {
        let (local, depts): (Vec<String>, Vec<String>) = std::mem::take(&mut clause.participants)
            .into_iter()
            .partition(|p| is_local_government_group(p));
        clause.participants = depts;
        clause.implementers.extend(local);
    }
    // `（…各县市区政府负责落实，下同）`: its implementers stand for the later
    // tasks too.
    if same_below && clause.standing_implementers.is_empty() {
        clause.standing_implementers = clause.implementers.clone();
    }
    if clause.is_empty() && !clause.first_listed_rule {
        return None;
    }
    Some((clause, has_verb))
}

/// Column labels used instead of verbs (`责任单位：A、B`, `配合单位：C`).
/// Longer labels first (`牵头责任单位` before `责任单位`).
const LABELS: &[(&str, SegRole)] = &[
    ("主要责任单位", SegRole::Lead),
    ("牵头责任单位", SegRole::Lead),
    ("牵头负责单位", SegRole::Lead),
    ("牵头负责部门", SegRole::Lead),
    ("协同责任单位", SegRole::Participant),
    ("配合责任单位", SegRole::Participant),
    ("参与责任单位", SegRole::Participant),
    ("牵头负责领导", SegRole::Ignore),
    ("分管省领导", SegRole::Ignore),
    ("分管市领导", SegRole::Ignore),
    ("分管领导", SegRole::Ignore),
    ("责任领导", SegRole::Ignore),
    ("牵头领导", SegRole::Ignore),
    ("责任人", SegRole::Ignore),
    ("适用范围", SegRole::Ignore),
    ("部门分工", SegRole::Inner),
    ("责任分工", SegRole::Inner),
    ("牵头单位", SegRole::Lead),
    ("牵头部门", SegRole::Lead),
    ("责任单位", SegRole::CoShare),
    ("责任部门", SegRole::CoShare),
    ("负责单位", SegRole::CoShare),
    ("负责部门", SegRole::CoShare),
    ("主责单位", SegRole::Lead),
    ("配合单位", SegRole::Participant),
    ("配合部门", SegRole::Participant),
    ("参与单位", SegRole::Participant),
    ("参与部门", SegRole::Participant),
    ("协同单位", SegRole::Participant),
    ("协同部门", SegRole::Participant),
    ("协办单位", SegRole::Participant),
    ("落实单位", SegRole::Implementer),
    ("实施单位", SegRole::Implementer),
];

/// The regex alternation of every label (for the labelled-line finder).
pub(crate) fn label_alternation() -> String {
    LABELS.iter().map(|(l, _)| *l).collect::<Vec<_>>().join("|")
}

/// Is this text a labelled responsibility line (`责任单位：…`)?
pub fn starts_with_label(s: &str) -> bool {
    let t = s.trim_start();
    LABELS.iter().any(|(l, _)| {
        t.strip_prefix(l)
            .is_some_and(|r| r.trim_start().starts_with([':', '：']))
    })
}

/// `由A牵头` / `由A负责`: the preposition is no part of the name.
fn strip_you(p: &str) -> &str {
    p.strip_prefix('由').unwrap_or(p)
}

/// Splits a segment into its role and the names part.
fn classify_segment(seg: &str) -> (SegRole, &str) {
    for (label, role) in LABELS {
        if let Some(rest) = seg.strip_prefix(label)
            && let Some(names) = rest.trim_start().strip_prefix([':', '：'])
        {
            return match role {
                SegRole::Inner => classify_segment(names.trim()),
                SegRole::Ignore => (SegRole::Ignore, ""),
                // `责任单位：A、B按职责分工负责`: the verb is no part of the names
                _ => match classify_segment(names.trim()) {
                    (SegRole::Bare | SegRole::Ignore | SegRole::Inner, _) => (*role, names.trim()),
                    (_, n) => (*role, n),
                },
            };
        }
    }
    if seg.starts_with("完成时限") || seg.starts_with("完成时间") || seg.starts_with("时间节点")
    {
        return (SegRole::Bare, "");
    }
    // `A、B分别牵头/分别负责`: each leads its own part (co-leads).
    for s in ["分别牵头负责", "分别牵头", "分别负责", "分别落实"] {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::CoShare, strip_you(p));
        }
    }
    const LEAD: &[&str] = &["牵头负责", "牵头落实", "牵头"];
    const COSHARE: &[&str] = &[
        "按职责分工负责",
        "按照职责分工负责",
        "按职能分工负责",
        "根据职责分工负责",
        "依据职责分工负责",
        "按职责分工落实",
        "按职责负责",
        "分工负责",
        "共同负责",
        "各负其责",
    ];
    const IMPL: &[&str] = &[
        "负责落实",
        "结合实际落实",
        "抓好落实",
        "具体落实",
        "组织落实",
        "贯彻落实",
        "负责实施",
        "组织实施",
        "落实",
    ];
    const PART: &[&str] = &[
        "配合落实",
        "配合实施",
        "配合",
        "参与",
        "协同",
        "协助",
        "协办",
    ];
    for s in LEAD {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::Lead, strip_you(p));
        }
    }
    for s in COSHARE {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::CoShare, p.strip_suffix('等').unwrap_or(p));
        }
    }
    for s in IMPL {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::Implementer, p);
        }
    }
    for s in PART {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::Participant, p);
        }
    }
    if let Some(p) = seg.strip_suffix("负责") {
        return (SegRole::Lead, strip_you(p));
    }
    (SegRole::Bare, seg)
}

/// Splits `s` on the given separators outside brackets and quotes.
pub(crate) fn split_top<'a>(s: &'a str, seps: &[char]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if is_open(c) || c == '《' {
            depth += 1;
        } else if (is_close(c) || c == '》') && depth > 0 {
            depth -= 1;
        } else if depth == 0 && seps.contains(&c) {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// Splits a list of names on 、 , ; and on 和/及/与 when both sides are names
/// (`市领导小组办公室和各县市区政府`), never inside `发展和改革`.
pub fn split_list(s: &str) -> Vec<String> {
    let (s, _) = cap_chars(s, MAX_LIST_CHARS);
    let mut out = Vec::new();
    for piece in split_top(s, &['、', ',', '，', ';', '；']) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        split_conjunction(piece, &mut out);
    }
    let items: Vec<String> = out
        .into_iter()
        .map(|p| clean_item(&p))
        .filter(|p| !p.is_empty())
        .collect();
    merge_local_groups(items)
}

/// A level word of local government standing alone in a list after a `各…`
/// group: `县级市` in `各区、县级市`, `市人民政府` in `各州、市人民政府`.
fn is_bare_level(s: &str) -> bool {
    let base = s
        .strip_suffix("人民政府")
        .or_else(|| s.strip_suffix("政府"))
        .unwrap_or(s);
    matches!(
        base,
        "县级市"
            | "县"
            | "区"
            | "市"
            | "州"
            | "旗"
            | "镇"
            | "乡"
            | "乡镇"
            | "街道"
            | "县(市"
            | "市(州"
    ) || (base.chars().count() <= 6
        && base.starts_with(['县', '区', '市', '州'])
        && base.contains(['(', '（']))
}

/// `各区、县级市` is one group (the 各 applies to every part): the list
/// items after a `各…` local-government group that are bare level words are
/// joined back to it.
fn merge_local_groups(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    let mut open = false;
    for it in items {
        if open
            && is_bare_level(&it)
            && let Some(last) = out.last_mut()
        {
            last.push('、');
            last.push_str(&it);
            continue;
        }
        open = it.starts_with('各')
            && (is_bare_level(it.trim_start_matches('各')) || is_local_government_group(&it));
        out.push(it);
    }
    out
}

/// A group of local governments (implementers when named after the
/// departments): `各区、县级市`, `各县(市、区)人民政府`, `各地`, `相关市(州)人民政府`,
/// `各开发区管委会`.
pub fn is_local_government_group(s: &str) -> bool {
    let s = s.trim();
    let grouped = s.starts_with('各') || s.starts_with("相关") || s.starts_with("有关");
    if !grouped {
        // A named local government or zone (`立山经济开发区`, `某某县人民政府`,
        // `某某街道办事处`, `高新区管委会`).
        let named = (s.ends_with("开发区")
            || s.ends_with("高新区")
            || s.ends_with("新区")
            || s.ends_with("管委会")
            || s.ends_with("街道办事处")
            || s.ends_with("人民政府")
            || s.ends_with("镇政府"))
            && s.chars().count() >= 4
            && !s.starts_with(['省', '市', '县', '区']);
        // a district or county by its name (`越秀区`, `从化县`)
        let place = (2..=4).contains(&s.chars().count())
            && s.ends_with(['区', '县'])
            && !s.starts_with(['省', '市', '县', '区', '各'])
            && ![
                "社区", "园区", "片区", "城区", "景区", "新区", "市区", "郊区", "辖区",
            ]
            .iter()
            .any(|w| s.ends_with(w));
        return named || place;
    }
    let rest = s
        .trim_start_matches("各")
        .trim_start_matches("有关")
        .trim_start_matches("相关");
    let first = rest.split(['、', '(', '（']).next().unwrap_or(rest);
    rest == "地"
        || rest.starts_with("地级")
        || rest.starts_with("街道")
        || s.ends_with("政府")
        || s.ends_with("管委会")
        || is_bare_level(first)
        || matches!(
            first,
            "区市"
                | "县市区"
                | "县区"
                | "县市"
                | "市县"
                | "州市"
                | "市州"
                | "镇街"
                | "镇(街道)"
                | "乡镇(街道)"
                | "开发区"
                | "园区"
        )
}

fn split_conjunction(piece: &str, out: &mut Vec<String>) {
    // Iterative (an explicit stack, left part first) so a cell with
    // thousands of 和 cannot overflow the call stack.
    let mut stack: Vec<&str> = vec![piece];
    'pieces: while let Some(piece) = stack.pop() {
        for conj in ["以及", "和", "及", "与"] {
            let mut search_from = 0;
            while let Some(rel) = piece[search_from..].find(conj) {
                let at = search_from + rel;
                let left = &piece[..at];
                let right = &piece[at + conj.len()..];
                let right_ok = right.starts_with('各')
                    || right.starts_with('省')
                    || right.starts_with('市')
                    || right.starts_with('县')
                    || (has_agency_suffix(right) && right.chars().count() >= 3);
                if has_agency_suffix(left) && right_ok && left.chars().count() >= 2 {
                    stack.push(right);
                    stack.push(left);
                    continue 'pieces;
                }
                search_from = at + conj.len();
            }
        }
        out.push(piece.to_string());
    }
}

/// Strict test for bare lists: every item must end like an agency or be a
/// generic group.
pub fn looks_like_agency(s: &str) -> bool {
    let s = clean_item(s);
    let n = s.chars().count();
    if !(2..=40).contains(&n) || s.contains('。') {
        return false;
    }
    if s.chars().filter(|c| c.is_ascii_digit()).count() > 2 {
        return false;
    }
    // `单位` / `部门` alone continue a group (`各有关部门、单位`).
    is_group(&s)
        || (n >= 3 && has_agency_suffix(&s))
        || matches!(s.as_str(), "单位" | "部门")
        || is_local_government_group(&s)
}

/// Lenient test for names before a responsibility verb.
fn looks_like_agency_loose(s: &str) -> bool {
    let s = clean_item(s);
    let n = s.chars().count();
    // Besides agency suffixes, places and a few institutions (`某某县`,
    // `某某街道`, `市气象台`, `某某大学`); prose such as `确保任务` is no name.
    const EXTRA: &[&str] = &[
        "县",
        "区",
        "市",
        "镇",
        "乡",
        "街道",
        "台",
        "大学",
        "学校",
        "医院",
        "法院",
        "组",
        "军",
        "园区",
        "开发区",
    ];
    // A trailing note in brackets (`市统计局(完成时限:…)`) is no part of the
    // name's ending.
    let base = match (s.ends_with(')'), s.find('(')) {
        (true, Some(open)) if open > 0 => &s[..open],
        _ => s.as_str(),
    };
    (2..=40).contains(&n)
        && !s.contains('。')
        && (looks_like_agency(&s)
            || (n <= 20 && (has_agency_suffix(base) || EXTRA.iter().any(|x| base.ends_with(x)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Clause {
        parse_clause(s).unwrap_or_else(|| panic!("no clause in {s}"))
    }

    #[test]
    fn more_lead_grammar() {
        let c = p("由市发展改革委牵头,市财政局配合");
        assert_eq!(c.leads, ["市发展改革委"]);
        assert_eq!(c.participants, ["市财政局"]);
        let c = p("市生态环境局会同市发展改革委、市财政局负责");
        assert_eq!(c.leads, ["市生态环境局"]);
        assert_eq!(c.participants, ["市发展改革委", "市财政局"]);
        let c = p("市发展改革委(牵头)、市财政局、市统计局");
        assert_eq!(c.leads, ["市发展改革委"]);
        assert_eq!(c.participants, ["市财政局", "市统计局"]);
        let c = p("市教育局、市卫生健康委分别牵头");
        assert_eq!(c.leads, ["市教育局", "市卫生健康委"]);
        assert!(c.participants.is_empty());
        let c = p("市发展改革委牵头,市教育局、市卫生健康委分别负责");
        assert_eq!(c.leads, ["市发展改革委"]);
        assert_eq!(c.participants, ["市教育局", "市卫生健康委"]);
        // Prose before 落实 is no implementer.
        assert!(parse_clause("确保任务落实").is_none());
        let c = p("市财政局负责,某某县落实");
        assert_eq!(c.implementers, ["某某县"]);
    }

    #[test]
    fn standing_rule_as_a_plain_sentence() {
        let t = "二、重点任务\n以下各项任务均需各县(市、区)政府落实,不再一一列出。\n(一)推进A。";
        let (r, names) = find_plain_standing(t).unwrap();
        assert_eq!(names, ["各县(市、区)政府"]);
        assert!(t[r].ends_with("列出。"));
        let (_, names) =
            find_plain_standing("下列任务均由各区县政府、各开发区管委会负责落实，不再列出。")
                .unwrap();
        assert_eq!(names, ["各区县政府", "各开发区管委会"]);
        // Inside brackets it is a clause, not a plain sentence.
        assert!(find_plain_standing("推进A(以下均需各县区政府落实,不再列出)").is_none());
        assert!(find_plain_standing("以下不再列出。").is_none());
    }

    #[test]
    fn huge_conjunction_lists_do_not_overflow() {
        // 20 000 names joined by 和: the old recursive split overflowed the
        // stack. The list is cut at MAX_LIST_CHARS and flagged.
        let cell = "市财政局和".repeat(20_000);
        let items = split_list(&cell);
        assert!(!items.is_empty() && items.len() <= MAX_LIST_CHARS / 5 + 1);
        assert!(items.iter().all(|i| i.starts_with("市财政局")));
        let c = p(&format!("{cell}负责"));
        assert!(c.truncated);
        assert!(!c.leads.is_empty());
        // A short list is not flagged.
        assert!(!p("市财政局和市统计局负责").truncated);
        // The iterative split keeps document order.
        let mut out = Vec::new();
        split_conjunction(&"市财政局和市统计局和".repeat(3_000), &mut out);
        assert_eq!(out.len(), 6_000);
        assert_eq!(&out[..2], ["市财政局", "市统计局"]);
    }

    #[test]
    fn single_lead() {
        let c = p("市生态环境局牵头负责");
        assert_eq!(c.leads, ["市生态环境局"]);
        let c = p("市生态环境局负责");
        assert_eq!(c.leads, ["市生态环境局"]);
    }

    #[test]
    fn co_leads_by_division_of_duties() {
        let c = p("市生态环境局、市发展改革委、市工业和信息化局按职责分工负责");
        assert_eq!(
            c.leads,
            ["市生态环境局", "市发展改革委", "市工业和信息化局"]
        );
        assert!(c.participants.is_empty());
    }

    #[test]
    fn lead_with_participants() {
        let c = p("市生态环境局牵头,市发展改革委、市科技局按职责分工负责");
        assert_eq!(c.leads, ["市生态环境局"]);
        assert_eq!(c.participants, ["市发展改革委", "市科技局"]);
        let c = p("A局牵头,B局、C局配合");
        assert_eq!(c.leads, ["A局"]);
        assert_eq!(c.participants, ["B局", "C局"]);
        let c = p("省发展改革委牵头，省财政厅参与");
        assert_eq!(c.participants, ["省财政厅"]);
    }

    #[test]
    fn comma_separates_lead_column() {
        let c = p("市住房城乡建设局,市发展改革委、市自然资源局等按职责分工负责");
        assert_eq!(c.leads, ["市住房城乡建设局"]);
        assert_eq!(c.participants, ["市发展改革委", "市自然资源局"]);
        let c = p("市科技局、市教育局,市发展改革委、市财政局等按职责分工负责");
        assert_eq!(c.leads, ["市科技局", "市教育局"]);
        assert_eq!(c.participants, ["市发展改革委", "市财政局"]);
        // one name after the comma: co-leads of another kind
        let c = p("市科技局、市教育局,市税务局按职责分工负责");
        assert_eq!(c.leads, ["市科技局", "市教育局", "市税务局"]);
    }

    #[test]
    fn implementers() {
        let c = p("市能源局、市住房城乡建设局按职责分工负责,各县市区政府、管委会负责落实");
        assert_eq!(c.leads, ["市能源局", "市住房城乡建设局"]);
        assert_eq!(c.implementers, ["各县市区政府", "管委会"]);
        let c = p("各县区政府结合实际落实");
        assert_eq!(c.implementers, ["各县区政府"]);
        let c = p("市碳达峰碳中和工作领导小组办公室和各县市区政府、管委会负责落实");
        assert_eq!(
            c.implementers,
            ["市碳达峰碳中和工作领导小组办公室", "各县市区政府", "管委会"]
        );
    }

    #[test]
    fn standing_rule() {
        let c = p(
            "市发展改革委、各县区政府、各开发区管委会等按职责分工负责。以下均需各县区政府、各开发区管委会落实,不再列出",
        );
        // local governments named after the departments implement
        assert_eq!(c.leads, ["市发展改革委"]);
        assert_eq!(c.implementers, ["各县区政府", "各开发区管委会"]);
        assert_eq!(c.standing_implementers, ["各县区政府", "各开发区管委会"]);
        let c = p("省生态环境厅,以下各项工作均需各市、县(市、区)落实,以下不再列出");
        assert_eq!(c.leads, ["省生态环境厅"]);
        // `各市、县(市、区)`: one group, the 各 applies to every part
        assert_eq!(c.standing_implementers, ["各市、县(市、区)"]);
    }

    #[test]
    fn undecided_and_reference() {
        let c = p("待国家分工明确后确定");
        assert!(c.lead_undecided);
        assert!(c.leads.is_empty());
        let c = p("具体参照《浙江省全域“无废城市”建设工作方案》职责分工");
        assert!(c.by_reference);
    }

    #[test]
    fn nested_alias_and_etc() {
        let c = p("市发展改革委、市营商局(市大数据管理局)等按职责分工负责");
        assert_eq!(c.leads, ["市发展改革委", "市营商局(市大数据管理局)"]);
    }

    #[test]
    fn etc_tail_naming_no_agency() {
        let c = p("省科技厅牵头,省教育厅、财政厅等省有关部门配合");
        assert_eq!(c.participants, ["省教育厅", "财政厅"]);
        let c = p("市公安局牵头,市应急局等市直相关单位配合");
        assert_eq!(c.participants, ["市应急局"]);
        // 等 inside a name stays.
        assert_eq!(clean_item("市高等教育单位"), "市高等教育单位");
    }

    #[test]
    fn generic_groups_without_verb() {
        let found = find_clauses("形成工作合力。(各区市、各有关部门、单位)");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].clause.leads, ["各区市", "各有关部门", "单位"]);
    }

    #[test]
    fn prose_brackets_are_not_clauses() {
        assert!(find_clauses("严控高耗能、高排放、低水平(以下简称“两高一低”)项目").is_empty());
        assert!(find_clauses("所有设区市和60%的县(市、区)通过评估。").is_empty());
        assert!(find_clauses("开发(EOD)模式试点。").is_empty());
        assert!(find_clauses("省发展改革委(省能源局)、省经信厅").is_empty());
    }

    #[test]
    fn find_clause_at_paragraph_end() {
        let t = "依法加快城市建成区重污染企业搬迁改造或关闭退出。(市生态环境局、市发展改革委按职责分工负责)";
        let found = find_clauses(t);
        assert_eq!(found.len(), 1);
        assert_eq!(&t[found[0].end..], "");
        let t = "〔市发展改革委、市营商局(市大数据管理局)等按职责分工负责〕";
        assert_eq!(find_clauses(t).len(), 1);
    }

    #[test]
    fn labelled_columns() {
        let c = p("牵头单位:市发展改革委;配合单位:市财政局、市统计局");
        assert_eq!(c.leads, ["市发展改革委"]);
        assert_eq!(c.participants, ["市财政局", "市统计局"]);
        let c = p("责任单位:市发展改革委、市能源局");
        assert_eq!(c.leads, ["市发展改革委", "市能源局"]);
        let c = p("责任单位:市发展改革委;完成时限:2025年底前");
        assert_eq!(c.leads, ["市发展改革委"]);
        assert!(starts_with_label("责任单位：市发展改革委"));
        assert!(!starts_with_label("责任单位要加强领导"));
    }

    #[test]
    fn split_list_keeps_names_with_he() {
        assert_eq!(
            split_list("市发展和改革委员会、市住房和城乡建设局"),
            ["市发展和改革委员会", "市住房和城乡建设局"]
        );
        assert_eq!(
            split_list("市碳达峰碳中和工作领导小组办公室、各有关部门及各县市区政府"),
            [
                "市碳达峰碳中和工作领导小组办公室",
                "各有关部门",
                "各县市区政府"
            ]
        );
    }
}

#[cfg(test)]
mod convention_tests {
    use super::*;

    fn roles(s: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
        let c = parse_clause(s).expect("a clause");
        (c.leads, c.participants, c.implementers)
    }

    #[test]
    fn labelled_fields_with_local_governments_after_the_departments() {
        let (l, p, i) =
            roles("牵头单位:市委组织部,配合单位:市人力资源和社会保障局、市财政局,各区、县级市");
        assert_eq!(l, ["市委组织部"]);
        assert_eq!(p, ["市人力资源和社会保障局", "市财政局"]);
        assert_eq!(i, ["各区、县级市"]);
    }

    #[test]
    fn responsible_department_and_scope_fields() {
        let (l, p, i) = roles("负责部门:省发展改革委、省财政厅;适用范围:全省");
        assert_eq!(l, ["省发展改革委", "省财政厅"]);
        assert!(p.is_empty() && i.is_empty());
    }

    #[test]
    fn lead_and_cooperating_responsibility_labels() {
        let (l, p, _) = roles("牵头责任单位:省商务厅;协同责任单位:省发展改革委、省财政厅等");
        assert_eq!(l, ["省商务厅"]);
        assert_eq!(p, ["省发展改革委", "省财政厅"]);
    }

    #[test]
    fn a_label_whose_value_is_a_clause() {
        let (l, p, i) = roles("部门分工:省发展改革委牵头,各地、各部门配合");
        assert_eq!(l, ["省发展改革委"]);
        assert_eq!(p, ["各部门"]);
        assert_eq!(i, ["各地"]);
    }

    #[test]
    fn a_labelled_field_followed_by_a_verb() {
        let (l, _, _) = roles("责任单位:省发展改革委、省大数据中心按职责分工负责");
        assert_eq!(l, ["省发展改革委", "省大数据中心"]);
    }

    #[test]
    fn a_person_label_names_no_agency() {
        let (l, p, _) = roles("牵头负责领导:刘惠;牵头责任单位:省发展改革委");
        assert_eq!(l, ["省发展改革委"]);
        assert!(p.is_empty());
    }

    #[test]
    fn local_government_groups_are_one_entry() {
        assert_eq!(split_list("各区、县级市"), ["各区、县级市"]);
        assert_eq!(
            split_list("市财政局、各州、市人民政府"),
            ["市财政局", "各州、市人民政府"]
        );
        assert_eq!(
            split_list("各有关部门、各有关单位"),
            ["各有关部门", "各有关单位"]
        );
        assert_eq!(split_list("各区、市财政局"), ["各区", "市财政局"]);
    }

    #[test]
    fn named_local_governments_after_an_explicit_lead_implement() {
        let (_, p, i) = roles("牵头单位:市委组织部;配合单位:市科协,越秀区");
        assert_eq!(p, ["市科协"]);
        assert_eq!(i, ["越秀区"]);
        let (l, p, i) = roles("牵头单位:区发改局;责任单位:立山经济开发区,各街道、区直各部门");
        assert_eq!(l, ["区发改局"]);
        assert_eq!(p, ["区直各部门"]);
        assert_eq!(i, ["立山经济开发区", "各街道"]);
    }

    #[test]
    fn the_first_listed_rule_is_read_and_is_no_agency() {
        for rule in [
            "国家发展改革委、财政部、商务部等负责。列第一位者为牵头单位,下同",
            "国家发展改革委、财政部、商务部按职责分工负责,排在第一位的部门为牵头部门",
        ] {
            let c = parse_clause(rule).unwrap();
            assert!(c.first_listed_rule, "{rule}");
            assert!(!c.explicit_lead);
            assert_eq!(c.leads, ["国家发展改革委", "财政部", "商务部"], "{rule}");
            assert!(c.participants.is_empty());
        }
        assert!(parse_clause("财政部牵头,商务部参与").unwrap().explicit_lead);
    }

    #[test]
    fn standing_implementers_of_every_kind() {
        let c = parse_clause("省发展改革委、省市场监管局按职责分工负责。具体任务均涉及相关市(州)人民政府,不再做分工,下同").unwrap();
        assert_eq!(c.leads, ["省发展改革委", "省市场监管局"]);
        assert_eq!(c.standing_implementers, ["相关市(州)人民政府"]);
        let c = parse_clause("市财政局牵头,各县市区政府负责落实,下同").unwrap();
        assert_eq!(c.implementers, ["各县市区政府"]);
        assert_eq!(c.standing_implementers, ["各县市区政府"]);
    }

    #[test]
    fn local_governments_after_co_leads_implement() {
        let (l, p, i) =
            roles("省发展改革委、交通运输厅等省有关部门和各地级以上市人民政府按职责分工负责");
        assert_eq!(l, ["省发展改革委", "交通运输厅"]);
        assert!(p.is_empty());
        assert_eq!(i, ["各地级以上市人民政府"]);
        // a local government named first leads
        let (l, _, _) = roles("各县区政府、市财政局按职责分工负责");
        assert_eq!(l, ["各县区政府", "市财政局"]);
    }

    #[test]
    fn a_comma_between_kinds_of_bodies_is_no_column_break() {
        let (l, p, _) = roles("省发展改革委、商务厅,省税务局按职责分工负责");
        assert_eq!(l, ["省发展改革委", "商务厅", "省税务局"]);
        assert!(p.is_empty());
        // one name, then a list: the lead column and the participant column
        let (l, p, _) = roles("市住房城乡建设局,市发展改革委、市自然资源局按职责分工负责");
        assert_eq!(l, ["市住房城乡建设局"]);
        assert_eq!(p, ["市发展改革委", "市自然资源局"]);
    }

    #[test]
    fn a_clause_cut_off_at_the_end_is_read() {
        let f = find_clauses("全面开放市场。(牵头单位:省发展改革委;责任单位:省编办、省环保厅、");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].clause.leads, ["省发展改革委"]);
        assert_eq!(f[0].clause.participants, ["省编办", "省环保厅"]);
        // a name cut in the middle is dropped
        let f = find_clauses("内容。(省发展改革委牵头,省工业和信息化厅、省");
        assert_eq!(f[0].clause.participants, ["省工业和信息化厅"]);
        // an open bracket of prose is no clause
        assert!(find_clauses("全面开放市场(包括").is_empty());
    }

    #[test]
    fn local_governments_after_an_explicit_lead_implement() {
        let (l, p, i) = roles("省发展改革委、财政厅牵头;省林业厅,各州、市人民政府配合");
        assert_eq!(l, ["省发展改革委", "财政厅"]);
        assert_eq!(p, ["省林业厅"]);
        assert_eq!(i, ["各州、市人民政府"]);
    }
}

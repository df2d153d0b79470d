//! The grammar inside one clause: segments split at commas and semicolons,
//! each classified by its verb (牵头, 负责, 配合, 落实 …) or its label
//! (`牵头单位：`, `配合单位：` …), giving raw names per role.

#[allow(unused_imports)]
use super::*;

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
    /// `（A、B指导）`: the bodies guiding a measure that localities carry
    /// out answer for it (leads), unless the clause names a lead as well
    /// (`A牵头，B配合，省某厅指导`: a higher level's guidance, no role here).
    Guide,
}

/// Returns the clause and whether it contained a responsibility verb.
pub(super) fn parse_clause_inner(content: &str) -> Option<(Clause, bool)> {
    let mut clause = Clause::default();
    let (mut text, cut) = cap_clause(content);
    clause.truncated = cut;
    let mut has_verb = false;
    hoist_rule_notes(&mut text);

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
        // `责任科室：组干科、机关党委`: this segment's names are divisions
        let label = seg.split([':', '：']).next().unwrap_or("");
        if seg.contains([':', '：']) && ["处室", "科室", "股室"].iter().any(|u| label.ends_with(u))
        {
            clause.internal_units.extend(items.iter().cloned());
        }
        segs.push((role, items));
    }

    // A bracket of prose (e.g. `(以下简称“两高”)`) is not a clause.
    let bare_prose = segs
        .iter()
        .any(|(r, v)| *r == SegRole::Bare && v.is_empty());
    if !has_verb && (bare_prose || segs.is_empty()) {
        return None;
    }

    let other_lead = segs
        .iter()
        .any(|(r, v)| matches!(r, SegRole::Lead | SegRole::CoShare) && !v.is_empty());
    for (r, _) in segs.iter_mut() {
        if *r == SegRole::Guide {
            *r = if other_lead {
                SegRole::Ignore
            } else {
                SegRole::Lead
            };
        }
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
            SegRole::Inner | SegRole::Ignore | SegRole::Guide => {}
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

/// A rule stated in brackets after the last name of a list
/// (`责任单位：A、B、C(除标注“分别牵头”外，列第一位为牵头或汇总单位，下同)`) is
/// no part of that name: the bracket is moved out to a segment of its own,
/// where the rule is read like one written outside brackets.
fn hoist_rule_notes(text: &mut String) {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = re(&R, r"[(（]([^()（）]{2,120})[)）]");
    let notes: Vec<(std::ops::Range<usize>, String)> = re
        .captures_iter(text)
        .filter_map(|c| {
            let inner = c.get(1)?.as_str();
            let rule = first_listed_re().is_match(inner)
                || same_below_re().is_match(inner)
                || standing_re().is_match(inner)
                || standing_involved_re().is_match(inner);
            let whole = c.get(0)?.range();
            rule.then(|| (whole, inner.to_string()))
        })
        .collect();
    for (range, inner) in notes.into_iter().rev() {
        text.replace_range(range, "");
        text.push('，');
        text.push_str(&inner);
    }
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
    ("主办单位", SegRole::Lead),
    ("主办部门", SegRole::Lead),
    // a department's own plan: its internal divisions
    ("牵头处室", SegRole::Lead),
    ("牵头科室", SegRole::Lead),
    ("牵头股室", SegRole::Lead),
    ("责任处室", SegRole::CoShare),
    ("责任科室", SegRole::CoShare),
    ("责任股室", SegRole::CoShare),
    ("配合处室", SegRole::Participant),
    ("配合科室", SegRole::Participant),
    ("配合股室", SegRole::Participant),
    ("参与处室", SegRole::Participant),
    ("协同处室", SegRole::Participant),
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
                    // `责任单位：A、B分别牵头`: the written 牵头 says more than the label
                    (SegRole::Lead, n) if *role == SegRole::CoShare => (SegRole::Lead, n),
                    (_, n) => (*role, n),
                },
            };
        }
    }
    if seg.starts_with("完成时限") || seg.starts_with("完成时间") || seg.starts_with("时间节点")
    {
        return (SegRole::Bare, "");
    }
    // `A、B分别牵头`: each leads its own part, all of them written as leads
    // (so a first-listed rule does not apply: `除标注“分别牵头”外`).
    for s in ["分别牵头负责", "分别牵头"] {
        if let Some(p) = seg.strip_suffix(s) {
            return (SegRole::Lead, strip_you(p));
        }
    }
    // `A、B分别负责`: co-leads.
    for s in ["分别负责", "分别落实"] {
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
    for s in ["负责指导", "指导"] {
        if let Some(p) = seg.strip_suffix(s) {
            let p = p
                .strip_suffix("加强")
                .or_else(|| p.strip_suffix("业务"))
                .unwrap_or(p);
            return (SegRole::Guide, strip_you(p));
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
